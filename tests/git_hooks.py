"""What the git hook tests share: git's shas, a plan, offline files, a fake checker, and a
repository to run git in."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from tagguard.git_hook_check import Checker, Outcome
from tests.conftest import EXAMPLES

A, B = "a" * 40, "b" * 40
PLAN = "operations:\n  - push: harbor.example.com/platform/api:${GIT_TAG}\n"
OFFLINE = (
    "--rules-file",
    str(EXAMPLES / "rules.json"),
    "--state-file",
    str(EXAMPLES / "state.json"),
)


def outcome(tag: str, verdict: str, code: int | None = None, **extra: Any) -> Outcome:
    decision = {
        "decision": verdict,
        "reference": f"harbor.example.com/p/app:{tag}",
        "reason": f"reason for {tag}",
        "source": {"file": ".tagguard.yml", "line": 2},
        **extra,
    }
    return Outcome(tag, code if code is not None else int(verdict == "block"), (decision,))


def fake(verdicts: dict[str, str]) -> tuple[Checker, list[str]]:
    """A checker that answers each tag's verdict from `verdicts` ("error": undecided), and
    the tags it was asked, in order."""
    asked: list[str] = []

    def check(tag: str) -> Outcome:
        asked.append(tag)
        if verdicts[tag] == "error":
            return Outcome(tag, 2)
        return outcome(tag, verdicts[tag])

    return check, asked


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def make_repo(path: Path) -> Path:
    """A git repository at `path` with the plan committed."""
    git(path, "init", "-q", "-b", "main")
    (path / ".tagguard.yml").write_text(PLAN)
    git(path, "add", ".")
    git(path, "commit", "-qm", "one")
    return path


def write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
