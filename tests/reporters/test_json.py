"""tagguard.reporters.json: the report as one versioned JSON document."""

from __future__ import annotations

import io
import json

import pytest

from tagguard.core.report import Impact, Report
from tagguard.reporters import Context, render
from tagguard.reporters.json import _dumps
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


@pytest.mark.parametrize("c_encoder", [True, False])
def test_each_line_is_json_dumps_own(monkeypatch: pytest.MonkeyPatch, c_encoder: bool) -> None:
    """A report's lines are encoded by one encoder made for them all (`_dumps`): each the
    text `json.dumps` gives, and its errors, with json's C encoder or without."""
    if not c_encoder:
        monkeypatch.setattr(json.encoder, "c_make_encoder", None)
    values: list[object] = [
        {"operation": "push", "reason": 'é \u2028 \x00 ##[ "q"', "rule_id": 3, "tag": None},
        {"notes": [{"code": "x", "message": "y"}], "source": {"file": "p.yml", "line": 2}},
        {2: 2, None: 3, 1.5: 4, True: 5, "f": [1.5, -0.0, float("nan"), 10**30, False]},
        "text",
        [],
    ]
    dumps = _dumps()
    assert [dumps(v) for v in values] == [json.dumps(v) for v in values]
    circular: list[object] = []
    circular.append(circular)
    for bad, error in (
        ({"a": object()}, TypeError),
        ({(1,): 2}, TypeError),
        (circular, ValueError),
    ):
        with pytest.raises(error) as ours:
            _dumps()(bad)
        with pytest.raises(error) as theirs:
            json.dumps(bad)
        assert str(ours.value) == str(theirs.value)
