"""Code Quality fingerprints and paths, as GitLab compares and links them."""

from __future__ import annotations

import jsonschema

from tagguard.core.decide import Verdict
from tagguard.core.report import Notice, Report
from tagguard.reporters import codequality
from tagguard.reporters.context import Undecided
from tests.reporters.conftest import decision
from tests.reporters.test_gitlab import CODE_QUALITY


def test_two_findings_for_one_reference_on_two_lines_differ() -> None:
    report = Report()
    for line in (4, 9):
        report.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "immutable", origin=("r.yml", line)))
    report.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "immutable"))  # on the command line
    report.warn(Notice("replication-race", "two sources write h.io/p/app:v1"))
    report.warn(Notice("replication-race", "two sources write h.io/p/app:v1"))
    found = codequality.issues(report)
    jsonschema.validate(found, CODE_QUALITY)
    prints = [issue["fingerprint"] for issue in found]
    assert len(prints) == 3 + len(report.warnings)
    assert len(set(prints)) == len(prints)
    assert [issue["fingerprint"] for issue in codequality.issues(report)] == prints  # stable


def test_paths_are_relative_to_the_project() -> None:
    report = Report()
    report.record(
        decision(Verdict.BLOCK, "h.io/p/app:v1", "immutable", origin=("/builds/g/app/ci/r.yml", 3))
    )
    report.warn(Notice("broken-rule", "rule 2 is broken"))
    env = {"CI_PROJECT_DIR": "/builds/g/app", "CI_CONFIG_PATH": ".gitlab-ci.yml"}
    found = codequality.issues(report, env)
    assert [i["location"] for i in found] == [
        {"path": "ci/r.yml", "lines": {"begin": 3}},
        {"path": ".gitlab-ci.yml", "lines": {"begin": 1}},
    ]


def test_an_undecided_run_is_one_blocker_issue_on_the_job_file() -> None:
    # Not an empty array: GitLab's merge request widget would show the target branch's
    # issues as resolved by a run that checked nothing. One issue, in GitLab's format.
    env = {"CI_PROJECT_DIR": "/builds/g/app", "CI_CONFIG_PATH": ".gitlab-ci.yml"}
    undecided = Undecided("push", "remote", "Harbor h.io: connection refused")
    found = codequality.undecided_issues(undecided, env)
    jsonschema.validate(found, CODE_QUALITY)
    (issue,) = found
    assert issue["severity"] == "blocker"
    assert issue["check_name"] == "tagguard-undecided"
    assert "Harbor h.io: connection refused" in issue["description"]
    assert issue["location"] == {"path": ".gitlab-ci.yml", "lines": {"begin": 1}}
    # The same failure is the same finding from pipeline to pipeline; another is another.
    assert codequality.undecided_issues(undecided, env) == found
    other = Undecided("push", "auth", "Harbor h.io refused the credentials")
    assert codequality.undecided_issues(other, env)[0]["fingerprint"] != issue["fingerprint"]
