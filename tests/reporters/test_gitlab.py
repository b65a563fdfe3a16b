"""JUnit, Code Quality and dotenv, as GitLab reads them."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from tagguard import reporters
from tagguard.core.report import Report
from tagguard.reporters import gitlab
from tests.reporters.conftest import context, load

# The paths the GitLab template and component pass to --report.
FILES = {
    "junit": "tagguard-junit.xml",
    "codequality": "gl-code-quality-report.json",
    "dotenv": "tagguard.env",
}

# GitLab's Code Quality report: an array of issues with these fields (its documented format).
CODE_QUALITY = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


def test_gitlab_writes_its_three_reports(
    report: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ctx = context()
    gitlab.render(report, ctx)
    assert ctx.stream.getvalue().startswith("release.yml:4: block")  # type: ignore[attr-defined]
    assert list(tmp_path.iterdir()) == []  # the format alone writes nothing (issue 13)
    for name, path in FILES.items():  # what --report NAME=PATH writes
        reporters.write(name, report, path, ctx)

    suite = ET.parse(tmp_path / "tagguard-junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [
        "h.io/p/app:v1",
        "h.io/p/app:latest",
        "h.io/p/app:v2",
        "h.io/p/app:old",
    ]
    assert cases[0].find("failure") is not None
    assert (cases[0].get("file"), cases[0].get("line")) == ("release.yml", "4")
    assert cases[1].find("skipped") is not None
    assert cases[2].find("failure") is None

    issues = load(tmp_path / "gl-code-quality-report.json")
    jsonschema.validate(issues, CODE_QUALITY)
    assert [i["severity"] for i in issues] == ["blocker", "major"]
    assert issues[0]["location"] == {"path": "release.yml", "lines": {"begin": 4}}
    again = tmp_path / "again"
    again.mkdir()
    monkeypatch.chdir(again)
    reporters.write("codequality", report, FILES["codequality"], context())
    assert load(again / "gl-code-quality-report.json")[0]["fingerprint"] == issues[0]["fingerprint"]

    assert (
        tmp_path / "tagguard.env"
    ).read_text() == "TAGGUARD_BLOCKED=1\nTAGGUARD_SKIPPED=1\nTAGGUARD_ALLOWED=2\n"
