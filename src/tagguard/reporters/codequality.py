"""GitLab Code Quality JSON (`artifacts: reports: codequality`): an issue per block and per
warning; a run that could not decide, one issue saying so.

GitLab compares a merge request's issues with its target's by `fingerprint`, so each one
must be the same finding's across pipelines and differ between findings: a hash of the
check, the reference (or the warning's text) and the file, and how many identical findings
came before it (two blocks of one reference, on two lines of a plan, are two issues).
Paths are relative to the repository, as GitLab links them (tagguard.reporters.locations).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable, printable_json
from tagguard.reporters.files import write_text
from tagguard.reporters.locations import Location, locate

if TYPE_CHECKING:
    from tagguard.reporters.context import Context, Undecided


class _Fingerprints:
    def __init__(self) -> None:
        self._seen: Counter[tuple[str, ...]] = Counter()

    def __call__(self, *identity: str) -> str:
        self._seen[identity] += 1
        parts = (*identity, str(self._seen[identity]))
        joined = "\0".join(parts).encode("utf-8", "backslashreplace")
        return hashlib.md5(joined, usedforsecurity=False).hexdigest()


def _issue(
    description: str, check: str, fingerprint: str, severity: str, where: Location
) -> dict[str, Any]:
    return {
        "description": printable(description),
        "check_name": check,
        "fingerprint": fingerprint,
        "severity": severity,
        "location": {"path": where.path, "lines": {"begin": where.line}},
    }


def issues(report: Report, env: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    env = env or {}
    fingerprint = _Fingerprints()
    found = []
    for decision in report.decisions:
        if decision.decision is not Verdict.BLOCK:
            continue
        check = f"tagguard-{decision.operation.value}-blocked"
        where = locate(decision.origin, env)
        found.append(
            _issue(
                f"{decision.reference}: {decision.reason}",
                check,
                fingerprint(check, decision.reference, where.path),
                "blocker",
                where,
            )
        )
    job = locate(None, env)
    for notice in report.warnings:
        check = f"tagguard-{notice.code}"
        found.append(
            _issue(
                notice.message, check, fingerprint(check, notice.message, job.path), "major", job
            )
        )
    return found


def undecided_issues(undecided: Undecided, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """One `blocker` issue, on the CI job's file, with the error line's message. Not an
    empty array: GitLab compares a merge request's report with its target branch's, so an
    empty one would show every issue the target has as resolved and none as new, "Code
    Quality improved", while nothing was checked. The issue keeps the failure in the
    widget; a blocker, as a block is, since the run may hide one (it fails closed)."""
    check = "tagguard-undecided"
    job = locate(None, env)
    fingerprint = _Fingerprints()(check, undecided.message, job.path)
    return [
        _issue(
            f"tagguard could not decide: {undecided.message}", check, fingerprint, "blocker", job
        )
    ]


def _dumps(found: list[dict[str, Any]]) -> str:
    return printable_json(json.dumps(found, indent=2)) + "\n"


def write_undecided(undecided: Undecided, path: str, context: Context) -> None:
    write_text(path, _dumps(undecided_issues(undecided, context.env)), context.redactor)


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, _dumps(issues(report, context.env)), context.redactor)
