"""tagguard.reporters.json: the report as one versioned JSON document."""

from __future__ import annotations

import io

from tagguard.core.report import Impact, Report
from tagguard.reporters import Context, render
from tests.conftest import output_json
from tests.reporters.conftest import A


def test_json_contract(report: Report) -> None:
    out = io.StringIO()
    render("json", report, Context(out))
    data = output_json(out.getvalue())
    assert set(data) == {"schema_version", "decisions", "warnings", "summary"}
    assert data["schema_version"] == 1
    assert data["summary"] == {"allow": 2, "skip": 1, "block": 1}
    assert data["decisions"][0] == {
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
        "reason": "tag v1 is immutable (rule 3)",
        "source": {"file": "release.yml", "line": 4},
    }
    assert "source" not in data["decisions"][1]
    # Every warning key is there, null where it does not apply.
    assert data["warnings"] == [
        {
            "code": "broken-rule",
            "message": "project p: rule 2 is broken",
            "registry": "h.io",
            "project": "p",
            "rule_id": 2,
            "reference": None,
        }
    ]


def test_impact_counts_are_a_key_of_their_own() -> None:
    # Additive: the verdict counts keep their meaning (impact decides none), the tags read
    # and how many change each way are `impact`, only in impact's report.
    out = io.StringIO()
    render("json", Report(impact=Impact(tags=5, immutable=2, mutable=1)), Context(out))
    data = output_json(out.getvalue())
    assert data["summary"] == {"allow": 0, "skip": 0, "block": 0}
    assert data["impact"] == {"tags": 5, "immutable": 2, "mutable": 1}
