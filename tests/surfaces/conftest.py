"""The CI surfaces run against the same Harbor-compatible server as the e2e tests."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.e2e.conftest import harbor, registry

__all__ = ["harbor", "readme_example", "refused_url", "registry"]


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A Harbor URL on loopback that refuses every connection at once: the port is held by a
    socket that never listens, so nothing else can take it while the test runs."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


def readme_example(name: str) -> str:
    """The fenced block after `<!-- example: NAME -->` in the README: what users copy, and
    what the tests run."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {re.escape(name)} -->\s*```[a-z]*\n(.*?)```", text, re.S)
    if found is None:
        raise AssertionError(f"README.md has no example named {name!r}")
    return found.group(1)


def repository_root() -> Path:
    return ROOT
