"""Plain text: one line per reference, then warnings and a summary. Colour only when asked
(the CLI asks on a terminal, unless NO_COLOR is set)."""

from __future__ import annotations

from typing import TextIO

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable

_COLORS = {Verdict.BLOCK: "31", Verdict.SKIP: "33", Verdict.ALLOW: "32"}
_WIDTH = max(len(v.value) for v in Verdict)


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render(report: Report, stream: TextIO, color: bool = False) -> None:
    for decision in report.decisions:
        label = paint(decision.decision.value.ljust(_WIDTH), _COLORS[decision.decision], color)
        where = f"{printable(decision.origin[0])}:{decision.origin[1]}: " if decision.origin else ""
        stream.write(
            f"{where}{label}  {printable(decision.reference)}  {printable(decision.reason)}\n"
        )
    for notice in report.warnings:
        stream.write(f"{paint('warning', '35', color)}: {printable(notice.message)}\n")
    summary = report.summary
    stream.write(
        f"tagguard: {summary['block']} blocked, {summary['skip']} skipped, "
        f"{summary['allow']} allowed\n"
    )
