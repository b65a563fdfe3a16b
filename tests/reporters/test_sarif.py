from __future__ import annotations

import jsonschema

from tagguard.core.report import Report
from tagguard.reporters import sarif
from tests.reporters.conftest import load, npm_tool


def test_valid_sarif_2_1_0(report: Report) -> None:
    schema = load(npm_tool("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"))
    data = sarif.sarif(report)
    jsonschema.Draft4Validator(schema).validate(data)
    results = data["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning"]
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "release.yml"},
        "region": {"startLine": 4},
    }
    assert results[1]["ruleId"] == "broken-rule"
