"""A Markdown table of the verdicts: GitHub's step summary, or a file for any review tool."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import printable
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters import Context

_MARK = {Verdict.BLOCK: "⛔ block", Verdict.SKIP: "⏭️ skip", Verdict.ALLOW: "✅ allow"}


def _cell(text: str) -> str:
    # A table cell is one line, and '|' would end it; backticks and angle brackets stay literal.
    safe = printable(text).replace("\\", "\\\\").replace("|", "\\|")
    return safe.replace("<", "&lt;").replace(">", "&gt;").replace("`", "\\`")


def markdown(report: Report) -> str:
    summary = report.summary
    lines = [
        "### tagguard",
        "",
        f"**{summary['block']} blocked**, {summary['skip']} skipped, {summary['allow']} allowed",
        "",
    ]
    if report.decisions:
        lines += ["| verdict | reference | why |", "|---|---|---|"]
        for d in report.decisions:
            where = f" ({_cell(d.origin[0])}:{d.origin[1]})" if d.origin else ""
            lines.append(
                f"| {_MARK[d.decision]} | {_cell(d.reference)}{where} | {_cell(d.reason)} |"
            )
    if report.warnings:
        lines += ["", "**Warnings**", ""]
        lines += [f"- {_cell(n.message)}" for n in report.warnings]
    return "\n".join(lines) + "\n"


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, markdown(report))
