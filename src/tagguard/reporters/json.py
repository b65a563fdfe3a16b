"""The JSON contract other tooling parses: one object with decisions, warnings, summary.

{"decisions": [...], "warnings": [...], "summary": {"allow": n, "skip": n, "block": n}}
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tagguard.core.decide import Decision
from tagguard.core.report import Notice, Report
from tagguard.core.sanitize import printable_json
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters import Context


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
    data: dict[str, Any] = {"code": notice.code, "message": notice.message}
    for key in ("registry", "project", "rule_id", "reference"):
        value = getattr(notice, key)
        if value is not None:
            data[key] = value
    return data


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "decisions": [decision_dict(d) for d in report.decisions],
        "warnings": [notice_dict(w) for w in report.warnings],
        "summary": report.summary,
    }


def dumps(report: Report) -> str:
    """The report, one decision and one warning per line: easy to read and to diff, and
    encoded by json's C encoder (an indented dump of a large report is ten times slower).
    Strings are ASCII with escapes, and hold no GitHub command syntax (`printable_json`)."""
    data = report_dict(report)

    def block(items: list[dict[str, Any]]) -> str:
        if not items:
            return "[]"
        return "[\n" + ",\n".join("    " + json.dumps(item) for item in items) + "\n  ]"

    return printable_json(
        "{\n"
        f'  "decisions": {block(data["decisions"])},\n'
        f'  "warnings": {block(data["warnings"])},\n'
        f'  "summary": {json.dumps(data["summary"])}\n'
        "}\n"
    )


def render(report: Report, context: Context) -> None:
    context.stream.write(dumps(report))


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, dumps(report))
