"""Shared test fixtures. The Harbor test vectors are read from ../shared/harbor/vectors
(beside the checkout, as on developer machines and in CI), never copied into the repo."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def shared_dir() -> Path:
    configured = os.environ.get("TAGGUARD_SHARED")
    return Path(configured) if configured else ROOT.parent / "shared"


def vectors_dir() -> Path:
    return shared_dir() / "harbor" / "vectors"


def load_vectors(name: str) -> list[dict[str, Any]]:
    """Every line of a vector file. A missing file is a failure, never a skip."""
    path = vectors_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"test vectors not found at {path}; set TAGGUARD_SHARED to the shared/ folder"
        )
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests must not reach the network by accident: any socket connect fails."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a unit test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
