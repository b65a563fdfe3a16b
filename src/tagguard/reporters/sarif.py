"""SARIF 2.1.0, for code-scanning dashboards: a result per block (error) and per warning.

What GitHub code scanning requires of an upload ("SARIF support for code scanning"): each
rule an id, `shortDescription`, `fullDescription` and `help` texts; each result a message,
a `physicalLocation` whose `artifactLocation.uri` is relative to the repository's root (an
absolute one is not a file of the repository), a `region` with its `startLine`, and
`partialFingerprints` (code scanning uses `primaryLocationLineHash` to tell a new alert from
one it already has).

* Locations (tagguard.reporters.locations): a plan's operation at its line of the plan file;
  anything else on line 1 of the CI job's file (the workflow in GITHUB_WORKFLOW_REF). The
  URI is percent-encoded; a region without columns covers the whole line.
* Fingerprints identify the finding, not the line it is on, so editing the plan above it
  does not open a new alert: a hash of the rule, the operation, the reference and the file,
  then `:n` for the n-th identical finding (as code scanning's own line hashes count
  repeats), so two findings never share one.
* Message texts are plain text, where SARIF reads `[text](target)` as a link: brackets from
  outside data are escaped (`\\[`), as SARIF's embedded-link rules provide.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from tagguard import __version__
from tagguard.core.decide import Verdict, is_in_doubt
from tagguard.core.report import Report
from tagguard.core.sanitize import printable, printable_json
from tagguard.reporters.files import write_text
from tagguard.reporters.locations import Location, locate, uri

if TYPE_CHECKING:
    from tagguard.reporters.context import Context, Undecided

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"
HELP = "https://github.com/tagguard/tagguard"
RULES = MappingProxyType(
    {
        "blocked": (
            "Harbor will refuse this write or delete: the tag is immutable (or may be)",
            "An immutability rule of the Harbor project (or the tag's own immutable flag) makes "
            "the tag immutable, and the operation would move, overwrite or delete it. Harbor "
            "refuses it, and the pipeline step fails. Where tagguard cannot know what the "
            "operation meets (an image the run pushes whose manifest it has not read, a flag "
            "that disagrees with the rules), it blocks rather than guess: such a result's "
            "`in_doubt` property is true and its message says why.",
        ),
        "broken-rule": (
            "An immutability rule errors in Harbor and fails open",
            "Harbor stops evaluating the project's immutability rules at a rule whose pattern "
            "errors, and treats the tag as mutable: the rules after it protect nothing.",
        ),
        "warning": (
            "Harbor will silently do something other than the pipeline expects",
            "The operation succeeds, but its effect differs from what the pipeline asks for "
            "(an image left in place, a replication that fails later, a rule that never matches).",
        ),
    }
)


def _message(text: str) -> dict[str, str]:
    return {"text": printable(text).replace("[", "\\[").replace("]", "\\]")}


def _location(where: Location) -> list[dict[str, Any]]:
    return [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": uri(where.path), "uriBaseId": SOURCE_ROOT},
                "region": {"startLine": where.line, "startColumn": 1, "endLine": where.line},
            }
        }
    ]


class _Fingerprints:
    """`primaryLocationLineHash` values: a hash of what identifies a finding, and how many
    identical findings came before it."""

    def __init__(self) -> None:
        self._seen: Counter[str] = Counter()

    def __call__(self, *identity: str) -> dict[str, str]:
        joined = "\0".join(identity).encode("utf-8", "backslashreplace")
        key = hashlib.sha256(joined).hexdigest()[:16]
        self._seen[key] += 1
        return {"primaryLocationLineHash": f"{key}:{self._seen[key]}"}


def _rules() -> list[dict[str, Any]]:
    return [
        {
            "id": rid,
            "name": rid,
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "help": {"text": full},
            "defaultConfiguration": {"level": "error" if rid == "blocked" else "warning"},
        }
        for rid, (short, full) in RULES.items()
    ]


def sarif(report: Report, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The report as a SARIF log; `env` is the CI job's environment (where the repository
    and the workflow file are)."""
    env = env or {}
    fingerprint = _Fingerprints()
    results: list[dict[str, Any]] = []
    for decision in report.decisions:
        if decision.decision is not Verdict.BLOCK:
            continue
        where = locate(decision.origin, env)
        operation = decision.operation.value
        results.append(
            {
                "ruleId": "blocked",
                "level": "error",
                "message": _message(f"{decision.reference}: {decision.reason}"),
                "locations": _location(where),
                "partialFingerprints": fingerprint(
                    "blocked", operation, decision.reference, where.path
                ),
                "properties": {
                    "operation": operation,
                    "reference": decision.reference,
                    "rule_id": decision.rule_id,
                    # A block of tagguard failing closed, not a refusal it knows Harbor makes.
                    "in_doubt": is_in_doubt(decision),
                },
            }
        )
    job = locate(None, env)
    for notice in report.warnings:
        rule = "broken-rule" if notice.code == "broken-rule" else "warning"
        results.append(
            {
                "ruleId": rule,
                "level": "warning",
                "message": _message(notice.message),
                "locations": _location(job),
                "partialFingerprints": fingerprint(rule, notice.code, notice.message, job.path),
                "properties": {"code": notice.code},
            }
        )
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "tagguard",
                        "version": __version__,
                        "informationUri": HELP,
                        "rules": _rules(),
                    }
                },
                "originalUriBaseIds": {
                    SOURCE_ROOT: {"description": {"text": "The root of the repository."}}
                },
                "results": results,
            }
        ],
    }


def error_log(message: str) -> str:
    """The SARIF log of a run that could not decide (exit 2): no results, and an invocation
    that did not succeed, with the one-line error as its notification."""
    log = sarif(Report())
    log["runs"][0]["invocations"] = [
        {
            "executionSuccessful": False,
            "toolExecutionNotifications": [{"level": "error", "message": _message(message)}],
        }
    ]
    return printable_json(json.dumps(log, indent=2)) + "\n"


def dumps(report: Report, env: Mapping[str, str] | None = None) -> str:
    return printable_json(json.dumps(sarif(report, env), indent=2)) + "\n"


def render(report: Report, context: Context) -> None:
    context.stream.write(dumps(report, context.env))


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, dumps(report, context.env), context.redactor)


def write_undecided(undecided: Undecided, path: str, context: Context) -> None:
    """What --format sarif prints when the run could not decide (`error_log`)."""
    write_text(path, error_log(undecided.message), context.redactor)
