"""The CI surfaces run against the same Harbor-compatible server as the e2e tests."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ROOT
from tests.e2e.conftest import harbor, registry

__all__ = ["harbor", "readme_example", "registry"]


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
