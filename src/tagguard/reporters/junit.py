"""JUnit XML, as GitLab reads it (`artifacts: reports: junit`): one test case per decision,
each named apart from the others; a block is a failure, a skip is skipped."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context


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
