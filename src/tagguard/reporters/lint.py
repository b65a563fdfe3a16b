"""`tagguard lint` findings, as text or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from tagguard.core.lint import Finding, Level
from tagguard.core.sanitize import printable
from tagguard.reporters.text import paint

_COLORS = {Level.ERROR: "31", Level.WARNING: "33", Level.INFO: "36"}


def render_text(
    findings: Sequence[Finding], origin: str, stream: TextIO, color: bool = False
) -> None:
    for finding in findings:
        where = f"{origin}: "
        if finding.project is not None:
            where += f"project {finding.project}: "
        label = paint(finding.level.value, _COLORS[finding.level], color)
        stream.write(f"{printable(where)}{label}: {printable(finding.message)} [{finding.code}]\n")
    counts = {level: sum(1 for f in findings if f.level is level) for level in Level}
    stream.write(
        f"tagguard lint: {counts[Level.ERROR]} error(s), {counts[Level.WARNING]} warning(s), "
        f"{counts[Level.INFO]} note(s)\n"
    )


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "level": finding.level.value,
        "code": finding.code,
        "project": finding.project,
        "rule_id": finding.rule_id,
        "rule_index": finding.rule_index,
        "selector": finding.slot,
        "pattern": finding.pattern,
        "message": finding.message,
    }


def render_json(
    findings: Sequence[Finding], origin: str, stream: TextIO, color: bool = False
) -> None:
    data = {
        "file": origin,
        "findings": [finding_dict(f) for f in findings],
        "summary": {level.value: sum(1 for f in findings if f.level is level) for level in Level},
    }
    json.dump(data, stream, indent=2)
    stream.write("\n")
