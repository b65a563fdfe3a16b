"""JUnit XML, as GitLab reads it (`artifacts: reports: junit`): one test case per decision,
each named apart from the others; a block is a failure, a skip is skipped. A run that could
not decide is one test case in error."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context, Undecided


def junit(report: Report) -> str:
    counts = report.summary
    suites = ET.Element(
        "testsuites",
        name="tagguard",
        tests=str(len(report.decisions)),
        failures=str(counts["block"]),
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name="tagguard",
        tests=str(len(report.decisions)),
        failures=str(counts["block"]),
        errors="0",
        skipped=str(counts["skip"]),
    )
    seen: Counter[tuple[str, str]] = Counter()
    for decision in report.decisions:
        classname = f"tagguard.{decision.operation.value}"
        name = printable(decision.reference)
        seen[classname, name] += 1
        case = ET.SubElement(
            suite, "testcase", classname=classname, name=_unique(name, seen[classname, name])
        )
        if decision.origin:
            case.set("file", printable(decision.origin[0]))  # a file name may hold anything
            case.set("line", str(decision.origin[1]))
        if decision.decision is Verdict.BLOCK:
            failure = ET.SubElement(
                case, "failure", type="blocked", message=printable(decision.reason)
            )
            failure.text = printable(decision.reason)
        elif decision.decision is Verdict.SKIP:
            ET.SubElement(case, "skipped", message=printable(decision.reason))
        else:
            out = ET.SubElement(case, "system-out")
            out.text = printable(decision.reason)
    if report.warnings:
        err = ET.SubElement(suite, "system-err")
        err.text = "\n".join(printable(n.message) for n in report.warnings)
    return _document(suites)


def undecided_junit(undecided: Undecided) -> str:
    """One test case, the check itself, with an `<error>` carrying the message: GitLab's
    parser reads a case holding `<error>` as status "error" (`<failure>` is "failed", which
    here means a block) and fails the report, as GitHub's JUnit viewers do; an empty suite
    would show as a run with nothing wrong. The case's classname and name do not change
    from run to run, so GitLab follows it from pipeline to pipeline."""
    counts = {"tests": "1", "failures": "0", "errors": "1"}
    suites = ET.Element("testsuites", counts, name="tagguard")
    suite = ET.SubElement(suites, "testsuite", counts, name="tagguard", skipped="0")
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"tagguard.{undecided.command}",
        name="tagguard could not decide",
    )
    error = ET.SubElement(case, "error", type=undecided.code, message=undecided.message)
    error.text = undecided.message
    return _document(suites)


def _document(suites: ET.Element) -> str:
    ET.indent(suites)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
    )


def _unique(name: str, occurrence: int) -> str:
    """The case's name, with ` #N` on the Nth time one operation writes one reference (a
    plan may): GitLab keys a case by suite, classname and name, and keeps one case per key
    and status, so a repeat would hide a failure. The first keeps the plain name, the one
    GitLab follows from pipeline to pipeline; a reference holds no blank, so no
    reference's own name ends so."""
    return name if occurrence == 1 else f"{name} #{occurrence}"


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, junit(report), context.redactor)


def write_undecided(undecided: Undecided, path: str, context: Context) -> None:
    write_text(path, undecided_junit(undecided), context.redactor)
