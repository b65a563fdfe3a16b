"""tagguard.reporters.junit: one test case per decision, as GitLab's test report reads it."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from tagguard.core.decide import Verdict
from tagguard.core.report import Notice, Report
from tagguard.reporters import junit as junit_reporter
from tagguard.reporters.context import Undecided
from tagguard.reporters.junit import junit
from tests.reporters.conftest import decision


def _suite(report: Report) -> ET.Element:
    suite = ET.fromstring(junit(report)).find("testsuite")
    assert suite is not None
    return suite


def test_each_verdict_is_a_kind_of_test_case(report: Report) -> None:
    root = ET.fromstring(junit(report))
    assert (root.get("tests"), root.get("failures")) == ("4", "1")
    cases = _suite(report).findall("testcase")
    assert [case.get("classname") for case in cases] == [
        "tagguard.push",
        "tagguard.push",
        "tagguard.push",
        "tagguard.delete",
    ]
    blocked, skipped, allowed, _ = cases
    failure = blocked.find("failure")
    assert failure is not None
    assert (failure.get("type"), failure.text) == ("blocked", "tag v1 is immutable (rule 3)")
    assert [child.tag for child in skipped] == ["skipped"]
    assert [child.tag for child in allowed] == ["system-out"]
    assert allowed.findtext("system-out") == "new tag"


def test_a_case_names_its_file_only_when_it_has_one(report: Report) -> None:
    blocked, skipped, *_ = _suite(report).findall("testcase")
    assert (blocked.get("file"), blocked.get("line")) == ("release.yml", "4")
    assert "file" not in skipped.attrib
    assert "line" not in skipped.attrib


def test_warnings_go_to_the_suite_s_error_output(report: Report) -> None:
    assert _suite(report).findtext("system-err") == "project p: rule 2 is broken"
    assert _suite(Report()).find("system-err") is None


def test_an_empty_report_is_an_empty_suite() -> None:
    suite = _suite(Report())
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("0", "0", "0")
    assert suite.findall("testcase") == []


def test_outside_text_is_escaped_for_xml_and_made_printable() -> None:
    made = Report()
    reason = 'tag "<v1>" & \x1b[31mred\x1b[0m'
    made.record(decision(Verdict.BLOCK, "h.io/p/a<b>:v1", reason))
    made.warn(Notice("broken-rule", "rule\nbreaks & lines", "h.io", "p", 1))
    text = junit(made)
    assert "\x1b" not in text
    assert "<v1>" not in text
    suite = _suite(made)
    case = suite.find("testcase")
    assert case is not None
    assert case.get("name") == "h.io/p/a<b>:v1"  # the parser undoes the XML escaping
    assert case.findtext("failure") == 'tag "<v1>" & \\x1b[31mred\\x1b[0m'
    assert suite.findtext("system-err") == "rule\\nbreaks & lines"


def test_a_plan_file_name_of_any_characters_is_well_formed_xml() -> None:
    """A file name may hold control characters (and, read from the file system, lone
    surrogates) that XML 1.0 cannot carry even escaped: the report did not parse."""
    made = Report()
    name = "ctl\x01\u2028\udcff.yml"
    made.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "why", origin=(name, 4)))
    (case,) = _suite(made).findall("testcase")
    assert case.get("file") == "ctl\\x01\\u2028\\udcff.yml"
    assert case.get("line") == "4"


def test_a_reference_written_twice_is_two_test_cases_gitlab_keeps_apart() -> None:
    # GitLab keys a test case by suite, classname and name (Gitlab::Ci::Reports::TestCase,
    # SHA256 of "suite_classname_name") and keeps one case per key and status: a plan that
    # pushes one immutable tag twice would show one failure where there are two. Only the
    # repeat is renamed, so a name GitLab tracks from pipeline to pipeline stays as it was.
    made = Report()
    for line in (4, 9):
        made.record(
            decision(Verdict.BLOCK, "h.io/p/a:v1", f"refused at {line}", origin=("r.yml", line))
        )
    made.record(decision(Verdict.BLOCK, "h.io/p/a:v2", "refused"))
    cases = _suite(made).findall("testcase")
    keys = [(case.get("classname"), case.get("name")) for case in cases]
    assert len(set(keys)) == 3
    assert keys[0] == ("tagguard.push", "h.io/p/a:v1")
    assert keys[2] == ("tagguard.push", "h.io/p/a:v2")
    assert [c.findtext("failure") for c in cases[:2]] == ["refused at 4", "refused at 9"]


def _gitlab_status(case: ET.Element) -> str:
    """The status GitLab's JUnit parser (lib/gitlab/ci/parsers/test/junit.rb) gives a case:
    from the first of `failure`, `error`, `skipped` it holds; any other case succeeded."""
    for child, status in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        if case.find(child) is not None:
            return status
    return "success"


def test_an_undecided_run_is_one_test_case_in_error() -> None:
    # Read as GitLab and GitHub's JUnit viewers read it: a case in error fails the report;
    # an empty suite, or cases that pass, would show a run with nothing wrong.
    message = 'Harbor h.io: connection refused <"&">'
    root = ET.fromstring(junit_reporter.undecided_junit(Undecided("push", "remote", message)))
    assert (root.get("tests"), root.get("errors"), root.get("failures")) == ("1", "1", "0")
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors"), suite.get("skipped")) == ("1", "1", "0")
    (case,) = suite.findall("testcase")
    assert _gitlab_status(case) == "error"
    assert case.get("classname") == "tagguard.push"
    error = case.find("error")
    assert error is not None
    assert (error.get("type"), error.get("message"), error.text) == ("remote", message, message)


def test_an_undecided_run_s_case_keeps_its_name_from_run_to_run() -> None:
    # GitLab follows a case from pipeline to pipeline by suite, classname and name.
    def key(message: str) -> tuple[str | None, str | None]:
        root = ET.fromstring(junit_reporter.undecided_junit(Undecided("plan", "state", message)))
        case = root.find("testsuite/testcase")
        assert case is not None
        return case.get("classname"), case.get("name")

    assert key("repository a is missing") == key("repository b is missing")
