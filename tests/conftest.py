"""Shared test fixtures. The Harbor test vectors and Harbor's API definition are kept in the
repository (tests/data/harbor, with their provenance), so a plain clone tests itself; the
project's shared/ folder, where present, is only checked against (test_data_provenance)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HARBOR_DATA = ROOT / "tests" / "data" / "harbor"


def shared_dir() -> Path:
    """The project's shared/ folder, where it may be: for checking the copies against."""
    configured = os.environ.get("TAGGUARD_SHARED")
    if configured:
        return Path(configured)
    beside = ROOT.parent / "shared"
    if beside.is_dir():
        return beside
    origin = _clone_origin()
    return origin.parent / "shared" if origin is not None else beside


def _clone_origin() -> Path | None:
    """The local repository this checkout was cloned from (`git clone /work/main $d`)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    url = done.stdout.strip().removeprefix("file://")
    return Path(url) if url.startswith("/") else None


def vectors_dir() -> Path:
    return HARBOR_DATA / "vectors"


def load_vectors(name: str) -> list[dict[str, Any]]:
    """Every line of a vector file. A missing file is a failure, never a skip."""
    path = vectors_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"test vectors not found at {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the network by accident: connections anywhere but loopback (the
    test servers) fail, and so do name lookups other than localhost."""
    import ipaddress
    import socket

    connect = socket.socket.connect
    getaddrinfo = socket.getaddrinfo

    def loopback(address: object) -> bool:
        if isinstance(address, tuple) and address:
            try:
                return ipaddress.ip_address(str(address[0])).is_loopback
            except ValueError:
                return False
        return isinstance(address, (str, bytes))  # unix sockets

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not loopback(address):
            raise AssertionError(f"a test tried to connect to {address!r}, off loopback")
        connect(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in (None, "localhost", b"localhost") and not loopback((host,)):
            raise socket.gaierror(socket.EAI_NONAME, f"name lookups are off in tests ({host!r})")
        return getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
