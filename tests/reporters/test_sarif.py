"""SARIF as GitHub code scanning takes it: valid SARIF 2.1.0 (the OASIS schema, from
@microsoft/jest-sarif) and what code scanning's upload requires on top of it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest

from tagguard.cli import main
from tagguard.core.decide import Note, Operation, Verdict
from tagguard.core.report import Notice, Report
from tagguard.reporters import sarif
from tests.conftest import EXAMPLES
from tests.reporters.conftest import decision, load, npm_tool

OFFLINE = [
    "--rules-file",
    str(EXAMPLES / "rules.json"),
    "--state-file",
    str(EXAMPLES / "state.json"),
]
IMMUTABLE = "harbor.example.com/platform/api:v1.4.0"  # rule 1 of examples/rules.json
OTHER = "sha256:" + "f" * 64
WORKFLOW_REF = "octo/app/.github/workflows/release.yml@refs/heads/main"


def schema_errors(log: Any) -> list[str]:
    schema = load(npm_tool("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"))
    return [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)]


# A relative reference: no scheme, no authority, no absolute path, every byte outside RFC 3986's
# unreserved characters, sub-delimiters, ':' '@' and '/' percent-encoded.
RELATIVE_URI = re.compile(
    r"(?![a-zA-Z][a-zA-Z0-9+.-]*:)(?!/)([A-Za-z0-9\-._~!$&'()*+,;=@/:]|%[0-9A-F]{2})+"
)


def code_scanning_problems(log: dict[str, Any]) -> list[str]:
    """What "SARIF support for code scanning" (docs.github.com) marks required, with no empty
    strings: $schema, version 2.1.0, runs; tool.driver.name and rules; each rule's id and its
    short, full and help texts; each result's message, 1 to 10 locations, the first with a
    physicalLocation whose artifactLocation.uri is relative to the repository and a region
    with startLine; and partialFingerprints (code scanning uses primaryLocationLineHash)."""
    problems = []
    if not log.get("$schema") or log.get("version") != "2.1.0" or not log.get("runs"):
        problems.append("log: $schema, version 2.1.0 and runs are required")
    for run in log.get("runs", []):
        driver = run.get("tool", {}).get("driver", {})
        if not driver.get("name") or not driver.get("rules"):
            problems.append("tool.driver: name and rules are required")
        rule_ids = set()
        for rule in driver.get("rules", []):
            rule_ids.add(rule.get("id"))
            for key in ("shortDescription", "fullDescription", "help"):
                if not rule.get(key, {}).get("text"):
                    problems.append(f"rule {rule.get('id')}: {key}.text is required")
        if "results" not in run:
            problems.append("run: results is required")
        for i, result in enumerate(run.get("results", [])):
            where = f"result {i}"
            if result.get("ruleId") not in rule_ids:
                problems.append(f"{where}: ruleId names no rule")
            if not result.get("message", {}).get("text"):
                problems.append(f"{where}: message.text is required")
            locations = result.get("locations") or []
            if not 1 <= len(locations) <= 10:
                problems.append(f"{where}: 1 to 10 locations are required")
                continue
            physical = locations[0].get("physicalLocation") or {}
            uri = physical.get("artifactLocation", {}).get("uri", "")
            if not RELATIVE_URI.fullmatch(uri):
                problems.append(f"{where}: uri {uri!r} is not a relative, encoded URI")
            elif unquote(uri).startswith("../") or "/../" in unquote(uri):
                problems.append(f"{where}: uri {uri!r} leaves the repository")
            start = physical.get("region", {}).get("startLine")
            if not isinstance(start, int) or start < 1:
                problems.append(f"{where}: region.startLine is required")
            fingerprint = result.get("partialFingerprints", {}).get("primaryLocationLineHash")
            if not fingerprint:
                problems.append(f"{where}: partialFingerprints.primaryLocationLineHash is required")
    return problems


def accepted(log: dict[str, Any]) -> None:
    assert schema_errors(log) == []
    assert code_scanning_problems(log) == []


def fingerprints(log: dict[str, Any]) -> list[str]:
    return [r["partialFingerprints"]["primaryLocationLineHash"] for r in log["runs"][0]["results"]]


def test_valid_sarif_2_1_0(report: Report) -> None:
    data = sarif.sarif(report)
    accepted(data)
    results = data["runs"][0]["results"]
    assert [r["level"] for r in results] == ["error", "warning"]
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "release.yml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 4, "startColumn": 1, "endLine": 4},
    }
    assert results[1]["ruleId"] == "broken-rule"


def test_a_push_outside_a_plan_is_accepted_by_code_scanning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The issue's case: a push on the command line (and its warning) had no physical
    location, which code scanning's upload rejects. It is placed on the workflow file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("GITHUB_WORKFLOW_REF", WORKFLOW_REF)
    out = tmp_path / "tagguard.sarif"
    code = main(["push", IMMUTABLE, "--digest", OTHER, *OFFLINE, "--report", f"sarif={out}"])
    capsys.readouterr()
    assert code == 1
    log = json.loads(out.read_text())
    accepted(log)
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        ".github/workflows/release.yml"
    )
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1


def test_a_warning_is_placed_on_the_job_file() -> None:
    report = Report()
    report.warn(Notice("broken-rule", "project p: rule 2 is broken", "h.io", "p", 2))
    log = sarif.sarif(report, {"CI_CONFIG_PATH": "ci/release.gitlab-ci.yml"})
    accepted(log)
    location = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "ci/release.gitlab-ci.yml"
    assert (
        sarif.sarif(report)["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "artifactLocation"
        ]["uri"]
        == ".tagguard.yml"
    )


def test_a_plan_given_by_absolute_path_is_a_relative_encoded_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "deploy plans" / "release#1.yml"
    plan.parent.mkdir()
    plan.write_text("operations: []\n")
    monkeypatch.chdir(tmp_path / "deploy plans")  # the workspace is not the working directory
    report = Report()
    report.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "immutable", origin=(str(plan), 7)))
    log = sarif.sarif(report, {"GITHUB_WORKSPACE": str(tmp_path)})
    accepted(log)
    physical = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "deploy%20plans/release%231.yml"
    assert physical["region"]["startLine"] == 7
    assert str(tmp_path) not in json.dumps(log)  # never the absolute path

    outside = sarif.sarif(report, {"GITHUB_WORKSPACE": str(tmp_path / "elsewhere")})
    accepted(outside)
    where = outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert where["artifactLocation"]["uri"] == ".tagguard.yml"


def test_fingerprints_differ_between_findings_and_stay_across_runs() -> None:
    report = Report()
    for line in (4, 9):  # one reference blocked on two lines of one plan
        report.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "immutable", origin=("r.yml", line)))
    report.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "immutable", operation=Operation.DELETE))
    report.warn(Notice("broken-rule", "rule 2 is broken"))
    report.warn(Notice("broken-rule", "rule 3 is broken"))
    first = fingerprints(sarif.sarif(report))
    assert len(set(first)) == len(first) == 5
    assert fingerprints(sarif.sarif(report)) == first


def test_message_text_holds_no_embedded_link() -> None:
    # SARIF reads [text](target) in a plain-text message as a link; brackets from data are
    # escaped as SARIF provides (a backslash before each).
    report = Report()
    report.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "see [docs](https://evil.example)"))
    text = sarif.sarif(report)["runs"][0]["results"][0]["message"]["text"]
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", text)
    assert "\\[docs\\](https://evil.example)" in text


@pytest.mark.parametrize("asked", [["--format", "sarif"], ["--format=sarif"]])
def test_an_undecided_run_still_prints_a_sarif_log_that_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], asked: list[str]
) -> None:
    """Exit 2 printed nothing with --format sarif: a code-scanning upload of the step's
    output then read an empty file. The log has no result, and its invocation did not
    succeed, with the error as its notification (as --format json adds `error`)."""
    monkeypatch.delenv("TAGGUARD_FORMAT", raising=False)
    code = main(["push", IMMUTABLE, "--rules-file", "/nonexistent.json", *OFFLINE[2:], *asked])
    out, err = capsys.readouterr()
    assert code == 2
    log = json.loads(out)
    assert schema_errors(log) == []
    (run,) = log["runs"]
    assert run["results"] == []
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"] == "/nonexistent.json: no such file"
    assert err == "tagguard: error: /nonexistent.json: no such file\n"


def test_explain_and_lint_print_no_sarif_log_when_refusing_sarif(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """They print text or json: the error line says so, and no SARIF log contradicts it."""
    code = main(["lint", "--rules-file", "/nonexistent.json", "--format", "sarif"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == "tagguard: error: --format sarif: lint prints text or json\n"
    code = main(["explain", IMMUTABLE, *OFFLINE, "--format", "sarif"])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == "tagguard: error: --format sarif: explain prints text or json\n"


def test_a_block_of_tagguard_failing_closed_says_so_beside_harbors_refusals() -> None:
    # The `blocked` rule told code scanning "the tag is immutable" for a block that only
    # says Harbor may refuse (an image the run pushed unread): its result now carries
    # in_doubt, and the rule's text covers both.
    made = Report()
    made.record(decision(Verdict.BLOCK, IMMUTABLE, "rule 1 makes the tag immutable"))
    doubt = "what the delete meets cannot be known"
    made.record(
        decision(
            Verdict.BLOCK,
            "harbor.example.com/platform/api:v9",
            doubt,
            operation=Operation.DELETE_ARTIFACT,
            notes=(Note("in-doubt", doubt),),
        )
    )
    log = sarif.sarif(made)
    assert schema_errors(log) == []
    results = log["runs"][0]["results"]
    assert [r["properties"]["in_doubt"] for r in results] == [False, True]
    [rule] = [r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "blocked"]
    assert "in_doubt" in rule["fullDescription"]["text"]
