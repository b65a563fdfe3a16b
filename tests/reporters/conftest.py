from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tagguard.core.decide import Decision, Operation, Verdict
from tagguard.core.report import Notice, Report
from tagguard.reporters import Context
from tests.conftest import ROOT

A = "sha256:" + "a" * 64


def tools_dir() -> Path:
    return Path(os.environ.get("TAGGUARD_TOOLS", ROOT / ".tools"))


def npm_tool(relative: str) -> Path:
    """A file from the npm tools `make tools` installs; missing is a failure, not a skip."""
    path = tools_dir() / "node_modules" / relative
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make tools` (needs npm)")
    return path


def decision(verdict: Verdict, reference: str, reason: str, **extra: Any) -> Decision:
    registry, _, rest = reference.partition("/")
    repository, _, tag = rest.partition(":")
    return Decision(
        extra.pop("operation", Operation.PUSH),
        reference,
        registry,
        repository.split("/")[0],
        repository,
        tag or None,
        verdict,
        verdict is Verdict.BLOCK,
        A,
        None,
        3 if verdict is Verdict.BLOCK else None,
        reason,
        **extra,
    )


@pytest.fixture
def report() -> Report:
    made = Report()
    made.record(
        decision(
            Verdict.BLOCK,
            "h.io/p/app:v1",
            "tag v1 is immutable (rule 3)",
            origin=("release.yml", 4),
        )
    )
    made.record(decision(Verdict.SKIP, "h.io/p/app:latest", "already there"))
    made.record(decision(Verdict.ALLOW, "h.io/p/app:v2", "new tag"))
    made.record(decision(Verdict.ALLOW, "h.io/p/app:old", "mutable", operation=Operation.DELETE))
    made.warn(Notice("broken-rule", "project p: rule 2 is broken", "h.io", "p", 2))
    return made


def context(**kwargs: Any) -> Context:
    return Context(stream=io.StringIO(), **kwargs)


def load(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())
