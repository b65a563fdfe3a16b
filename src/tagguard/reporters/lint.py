"""`tagguard lint` findings, as text or JSON. Each finding comes with the file it is in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from types import MappingProxyType
from typing import Any, TextIO

from tagguard.core.lint import Finding, Level
from tagguard.core.sanitize import printable, printable_json
from tagguard.reporters.text import paint
from tagguard.reporters.versioning import versioned

_COLORS = MappingProxyType({Level.ERROR: "31", Level.WARNING: "33", Level.INFO: "36"})
Located = tuple[str, Finding]


def _counts(found: Sequence[Located]) -> dict[Level, int]:
    return {level: sum(1 for _, f in found if f.level is level) for level in Level}


def render_text(found: Sequence[Located], stream: TextIO, color: bool = False) -> None:
    for origin, finding in found:
        where = f"{origin}: "
        if finding.project is not None:
            where += f"project {finding.project}: "
        label = paint(finding.level.value, _COLORS[finding.level], color)
        stream.write(f"{printable(where)}{label}: {printable(finding.message)} [{finding.code}]\n")
    counts = _counts(found)
    stream.write(
        f"tagguard lint: {counts[Level.ERROR]} error(s), {counts[Level.WARNING]} warning(s), "
        f"{counts[Level.INFO]} info\n"
    )


def finding_dict(origin: str, finding: Finding) -> dict[str, Any]:
    return {
        "file": origin,
        "level": finding.level.value,
        "code": finding.code,
        "project": finding.project,
        "rule_id": finding.rule_id,
        "rule_index": finding.rule_index,
        "selector": finding.slot,
        "pattern": finding.pattern,
        # A name the finding is about: one that makes the pattern error, a signature tag.
        "example": finding.example,
        "message": finding.message,
    }


def render_json(found: Sequence[Located], stream: TextIO, color: bool = False) -> None:
    data = versioned(
        {
            "findings": [finding_dict(origin, f) for origin, f in found],
            "summary": {level.value: count for level, count in _counts(found).items()},
        }
    )
    stream.write(printable_json(json.dumps(data, indent=2)))
    stream.write("\n")
