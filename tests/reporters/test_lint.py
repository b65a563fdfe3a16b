"""tagguard.reporters.lint: `tagguard lint` findings as text and as JSON."""

from __future__ import annotations

import io
import json

from tagguard.core.lint import Finding, Level
from tagguard.reporters.lint import Located, render_json, render_text
from tagguard.reporters.versioning import SCHEMA_VERSION

FOUND: list[Located] = [
    (
        "rules.json",
        Finding(Level.ERROR, "pattern-error", 3, 0, "tag selector 'rc{1' errors", "p", "tag"),
    ),
    ("rules.json", Finding(Level.WARNING, "dead-rule", 4, 1, "never matches")),
    ("other.json", Finding(Level.INFO, "merge", 5, 0, "could be merged", example="v1")),
    ("other.json", Finding(Level.WARNING, "dead-rule", 6, 1, "never matches either")),
]


def test_text_is_a_line_per_finding_and_a_summary() -> None:
    out = io.StringIO()
    render_text(FOUND, out)
    assert out.getvalue().splitlines() == [
        "rules.json: project p: error: tag selector 'rc{1' errors [pattern-error]",
        "rules.json: warning: never matches [dead-rule]",
        "other.json: info: could be merged [merge]",
        "other.json: warning: never matches either [dead-rule]",
        "tagguard lint: 1 error(s), 2 warning(s), 1 info",
    ]


def test_text_colours_the_level_only_when_asked() -> None:
    plain, painted = io.StringIO(), io.StringIO()
    render_text(FOUND[:1], plain)
    render_text(FOUND[:1], painted, color=True)
    assert "\x1b" not in plain.getvalue()
    assert "\x1b[31merror\x1b[0m" in painted.getvalue()


def test_outside_text_is_made_printable() -> None:
    hostile = Finding(Level.ERROR, "pattern-error", 1, 0, "bad \x1b[2J pattern", "p\nq")
    out = io.StringIO()
    render_text([("rules\r.json", hostile)], out)
    assert "\x1b" not in out.getvalue()
    assert "\r" not in out.getvalue()
    assert len(out.getvalue().splitlines()) == 2  # the finding and the summary, nothing split


def test_json_names_every_field_and_counts_each_level() -> None:
    out = io.StringIO()
    render_json(FOUND, out)
    data = json.loads(out.getvalue())
    assert list(data) == ["schema_version", "findings", "summary"]
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["summary"] == {"error": 1, "warning": 2, "info": 1}
    assert data["findings"][0] == {
        "file": "rules.json",
        "level": "error",
        "code": "pattern-error",
        "project": "p",
        "rule_id": 3,
        "rule_index": 0,
        "selector": "tag",
        "pattern": None,
        "example": None,
        "message": "tag selector 'rc{1' errors",
    }
    assert [f["file"] for f in data["findings"]] == [origin for origin, _ in FOUND]


def test_no_findings_is_an_empty_list_and_zero_counts() -> None:
    out = io.StringIO()
    render_json([], out)
    data = json.loads(out.getvalue())
    assert data["findings"] == []
    assert data["summary"] == {"error": 0, "warning": 0, "info": 0}
    text = io.StringIO()
    render_text([], text)
    assert text.getvalue() == "tagguard lint: 0 error(s), 0 warning(s), 0 info\n"
