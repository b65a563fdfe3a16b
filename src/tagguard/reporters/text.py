"""Plain text: one line per reference, then warnings and a summary. Colour only when asked
(the CLI asks on a terminal, unless NO_COLOR is set)."""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import TYPE_CHECKING

from tagguard.core.decide import Decision, Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable
from tagguard.reporters.files import emit, write_pieces, write_text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context, Undecided

_COLORS = MappingProxyType({Verdict.BLOCK: "31", Verdict.SKIP: "33", Verdict.ALLOW: "32"})
_WIDTH = max(len(v.value) for v in Verdict)


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def line(decision: Decision, color: bool = False) -> str:
    label = paint(decision.decision.value.ljust(_WIDTH), _COLORS[decision.decision], color)
    where = f"{printable(decision.origin[0])}:{decision.origin[1]}: " if decision.origin else ""
    return f"{where}{label}  {printable(decision.reference)}  {printable(decision.reason)}"


def lines(report: Report, color: bool = False) -> Iterator[str]:
    """The report line by line, each ending in a newline: written as they are made."""
    for decision in report.decisions:
        yield line(decision, color) + "\n"
    for notice in report.warnings:
        yield f"{paint('warning', '35', color)}: {printable(notice.message)}\n"
    yield summary_line(report)


def summary_line(report: Report) -> str:
    """The counts: impact's (which decides no write) are of the tags it read."""
    if report.impact is not None:
        counts = report.impact
        return (
            f"tagguard impact: {counts.tags} tag(s) read, {counts.immutable} would become "
            f"immutable, {counts.mutable} would become mutable\n"
        )
    summary = report.summary
    return (
        f"tagguard: {summary['block']} blocked, {summary['skip']} skipped, "
        f"{summary['allow']} allowed\n"
    )


def text(report: Report, color: bool = False) -> str:
    return "".join(lines(report, color))


def render(report: Report, context: Context) -> None:
    emit(context.stream, lines(report, context.color))


def write(report: Report, path: str, context: Context) -> None:
    write_pieces(path, lines(report), context.redactor)


def undecided_text(undecided: Undecided) -> str:
    """The run's one error line, as standard error has it: no verdict, and no summary line
    (whose counts of 0 would read as "nothing blocked")."""
    return f"tagguard: error: {undecided.message}\n"


def write_undecided(undecided: Undecided, path: str, context: Context) -> None:
    write_text(path, undecided_text(undecided), context.redactor)
