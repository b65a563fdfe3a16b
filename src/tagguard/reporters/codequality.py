"""GitLab Code Quality JSON (`artifacts: reports: codequality`): an issue per block and per
warning, with a fingerprint that stays the same for the same finding across pipelines."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters import Context

DEFAULT_PATH = ".gitlab-ci.yml"


def _fingerprint(*parts: str) -> str:
    return hashlib.md5("\0".join(parts).encode(), usedforsecurity=False).hexdigest()


def issues(report: Report) -> list[dict[str, Any]]:
    found = []
    for decision in report.decisions:
        if decision.decision is not Verdict.BLOCK:
            continue
        path, line = decision.origin or (DEFAULT_PATH, 1)
        found.append(
            {
                "description": f"{printable(decision.reference)}: {printable(decision.reason)}",
                "check_name": f"tagguard-{decision.operation.value}-blocked",
                "fingerprint": _fingerprint("block", decision.operation.value, decision.reference),
                "severity": "blocker",
                "location": {"path": path, "lines": {"begin": line}},
            }
        )
    for notice in report.warnings:
        found.append(
            {
                "description": printable(notice.message),
                "check_name": f"tagguard-{notice.code}",
                "fingerprint": _fingerprint("warning", notice.code, notice.message),
                "severity": "major",
                "location": {"path": DEFAULT_PATH, "lines": {"begin": 1}},
            }
        )
    return found


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, json.dumps(issues(report), indent=2) + "\n")
