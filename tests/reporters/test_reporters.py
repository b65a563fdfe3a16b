"""Text and JSON output, checked against exact expected output."""

from __future__ import annotations

import io
import json

from tagguard.core.decide import Decision, Operation, Verdict
from tagguard.core.report import Notice, Report
from tagguard.reporters import REGISTRY, renderer
from tagguard.reporters.text import render as render_text

A = "sha256:" + "a" * 64


def sample() -> Report:
    report = Report()
    report.record(
        Decision(
            Operation.PUSH,
            "h.io/p/app:v1",
            "h.io",
            "p",
            "p/app",
            "v1",
            Verdict.BLOCK,
            True,
            A,
            None,
            3,
            "tag v1 is immutable",
        )
    )
    report.record(
        Decision(
            Operation.RETAG,
            "h.io/p/app:dev",
            "h.io",
            "p",
            "p/app",
            "dev",
            Verdict.ALLOW,
            False,
            None,
            A,
            None,
            "new\x1b[31mtag",
            from_reference="h.io/p/app:v1",
        )
    )
    report.warn(Notice("broken-rule", "project p: rule 2 is broken", "h.io", "p", 2))
    return report


def test_text_output() -> None:
    out = io.StringIO()
    render_text(sample(), out)
    assert out.getvalue() == (
        "block  h.io/p/app:v1  tag v1 is immutable\n"
        "allow  h.io/p/app:dev  new\\x1b[31mtag\n"
        "warning: project p: rule 2 is broken\n"
        "tagguard: 1 blocked, 0 skipped, 1 allowed\n"
    )


def test_text_colour_only_when_asked() -> None:
    out = io.StringIO()
    render_text(sample(), out, True)
    assert "\x1b[31mblock\x1b[0m" in out.getvalue()


def test_json_contract() -> None:
    out = io.StringIO()
    renderer("json")(sample(), out, False)
    data = json.loads(out.getvalue())
    assert set(data) == {"decisions", "warnings", "summary"}
    assert data["summary"] == {"allow": 1, "skip": 0, "block": 1}
    first, second = data["decisions"]
    assert first == {
        "operation": "push",
        "reference": "h.io/p/app:v1",
        "registry": "h.io",
        "project": "p",
        "repository": "p/app",
        "tag": "v1",
        "decision": "block",
        "immutable": True,
        "current_digest": A,
        "new_digest": None,
        "rule_id": 3,
        "reason": "tag v1 is immutable",
    }
    assert second["from_reference"] == "h.io/p/app:v1"
    assert data["warnings"] == [
        {
            "code": "broken-rule",
            "message": "project p: rule 2 is broken",
            "registry": "h.io",
            "project": "p",
            "rule_id": 2,
        }
    ]


def test_registry_feeds_the_format_choices() -> None:
    from tagguard.commands import FORMATS

    assert set(REGISTRY) == set(FORMATS)
    for name in REGISTRY:
        assert callable(renderer(name))
