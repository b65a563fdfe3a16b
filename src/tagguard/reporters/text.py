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


# Each verdict's label, padded to the widest.
_LABELS = MappingProxyType({v: v.value.ljust(_WIDTH) for v in Verdict})


def line(decision: Decision, color: bool = False) -> str:
    return _line(decision, color, {})


def _line(decision: Decision, color: bool, files: dict[str, str]) -> str:
    """`line`, with the printable form of each plan file kept in `files`: a plan's every
    decision names the same one."""
    label = _LABELS[decision.decision]
    if color:
        label = paint(label, _COLORS[decision.decision], color)
    origin = decision.origin
    where = ""
    if origin:
        file = files.get(origin[0])
        if file is None:
            file = files[origin[0]] = printable(origin[0])
        where = f"{file}:{origin[1]}: "
    return f"{where}{label}  {printable(decision.reference)}  {printable(decision.reason)}"


def lines(report: Report, color: bool = False) -> Iterator[str]:
    """The report line by line, each ending in a newline: written as they are made."""
    files: dict[str, str] = {}
    for decision in report.decisions:
        yield _line(decision, color, files) + "\n"
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
