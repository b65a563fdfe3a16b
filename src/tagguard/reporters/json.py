"""The JSON contract other tooling parses: one object with decisions, warnings, summary.

{"schema_version": 1, "decisions": [...], "warnings": [...], "summary": {"allow": n,
"skip": n, "block": n}}, and `"error": {"code", "message"}` added when the run could not
decide (exit 2): then decisions and warnings are empty and every count is 0.

tagguard/schemas/output.schema.json describes it exactly, with explain's and lint's JSON.
Within one schema_version keys are only ever added, never removed or retyped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from tagguard.core.decide import Decision
from tagguard.core.report import Impact, Notice, Report
from tagguard.core.sanitize import printable_json
from tagguard.errors import (
    AuthError,
    BadReferenceError,
    FileError,
    InputError,
    PatternError,
    PatternTooComplexError,
    RemoteError,
    RulesError,
    StateError,
    TagguardError,
)
from tagguard.reporters.files import emit, write_pieces, write_text
from tagguard.reporters.versioning import SCHEMA_VERSION, versioned

if TYPE_CHECKING:
    from tagguard.reporters.context import Context, Undecided

# A warning carries every one of these keys, null where it does not apply, so a parser
# never has to ask whether a key is there (an `undecided` warning has no registry).
NOTICE_KEYS = ("code", "message", "registry", "project", "rule_id", "reference")

# error.code for each of tagguard's errors, most specific first. The CLI adds "usage" (an
# option or argument click refuses), "aborted" and "internal" (a bug: please report it).
ERROR_CODES: tuple[tuple[type[TagguardError], str], ...] = (
    (AuthError, "auth"),
    (RemoteError, "remote"),
    (StateError, "state"),
    (FileError, "file"),
    (RulesError, "rules"),
    (BadReferenceError, "reference"),
    (InputError, "input"),
    (PatternTooComplexError, "pattern"),
    (PatternError, "pattern"),
    (TagguardError, "error"),
)


def error_code(error: BaseException) -> str:
    """The `error.code` of the JSON an exit 2 prints, from the error's class."""
    for kind, code in ERROR_CODES:
        if isinstance(error, kind):
            return code
    return "internal"


def decision_dict(decision: Decision) -> dict[str, Any]:
    data: dict[str, Any] = {
        "operation": decision.operation.value,
        "reference": decision.reference,
        "registry": decision.registry,
        "project": decision.project,
        "repository": decision.repository,
        "tag": decision.tag,
        "decision": decision.decision.value,
        "immutable": decision.immutable,
        "current_digest": decision.current_digest,
        "new_digest": decision.new_digest,
        "rule_id": decision.rule_id,
        "reason": decision.reason,
    }
    if decision.from_reference is not None:
        data["from_reference"] = decision.from_reference
    if decision.origin is not None:
        data["source"] = {"file": decision.origin[0], "line": decision.origin[1]}
    if decision.notes:
        data["notes"] = [{"code": n.code, "message": n.message} for n in decision.notes]
    return data


def notice_dict(notice: Notice) -> dict[str, Any]:
    return {key: getattr(notice, key) for key in NOTICE_KEYS}


def impact_dict(impact: Impact) -> dict[str, int]:
    return {"tags": impact.tags, "immutable": impact.immutable, "mutable": impact.mutable}


def report_dict(report: Report, error: dict[str, str] | None = None) -> dict[str, Any]:
    data = versioned(
        {
            "decisions": [decision_dict(d) for d in report.decisions],
            "warnings": [notice_dict(w) for w in report.warnings],
            "summary": report.summary,
        }
    )
    if report.impact is not None:
        data["impact"] = impact_dict(report.impact)
    if error is not None:
        data["error"] = error
    return data


def pieces(report: Report, error: dict[str, str] | None = None) -> Iterator[str]:
    """The report, one decision and one warning per line: easy to read and to diff, and
    encoded by json's C encoder (an indented dump of a large report is ten times slower).
    Strings are ASCII with escapes, and hold no GitHub command syntax (`printable_json`).

    Made piece by piece, each ending between two JSON values, so a large report is never
    held whole (nor as a dict per decision): reporters.files writes the pieces as they come.
    """
    yield f'{{\n  "schema_version": {SCHEMA_VERSION},\n  "decisions": '
    yield from _block(decision_dict(d) for d in report.decisions)
    yield ',\n  "warnings": '
    yield from _block(notice_dict(w) for w in report.warnings)
    yield f',\n  "summary": {json.dumps(report.summary)}'
    if report.impact is not None:
        yield f',\n  "impact": {json.dumps(impact_dict(report.impact))}'
    if error is not None:
        yield f',\n  "error": {printable_json(json.dumps(error))}'
    yield "\n}\n"


def _block(items: Iterable[dict[str, Any]]) -> Iterator[str]:
    opening = "[\n    "
    for item in items:
        yield opening + printable_json(json.dumps(item))
        opening = ",\n    "
    yield "[]" if opening.startswith("[") else "\n  ]"


def dumps(report: Report, error: dict[str, str] | None = None) -> str:
    """The report as one string (see `pieces`)."""
    return "".join(pieces(report, error))


def error_document(command: str, code: str, message: str, reference: str | None = None) -> str:
    """What `--format json` prints when the run could not decide (exit 2): the command's
    own object with nothing in it, and `error`, so a parser of the success finds its keys.

    explain's keys are all null (its "unknown"), `reference` the argument given if it was
    read; lint's findings are empty; every other command prints an empty report."""
    error = {"code": code, "message": message}
    if command == "explain":
        from tagguard.check import Explained
        from tagguard.reporters.explain import explanation_dict

        empty = explanation_dict(Explained(None, None, "", ""), reference or "")
        data = versioned({**empty, "reference": reference, "glob_version": None})
    elif command == "lint":
        from tagguard.core.lint import Level

        data = versioned({"findings": [], "summary": {level.value: 0 for level in Level}})
    else:
        return dumps(Report(), error)
    data["error"] = error
    return printable_json(json.dumps(data, indent=2)) + "\n"


def render(report: Report, context: Context) -> None:
    emit(context.stream, pieces(report))


def write(report: Report, path: str, context: Context) -> None:
    write_pieces(path, pieces(report), context.redactor)


def write_undecided(undecided: Undecided, path: str, context: Context) -> None:
    """What --format json prints when the run could not decide (`error_document`)."""
    document = error_document(undecided.command, undecided.code, undecided.message)
    write_text(path, document, context.redactor)
