"""A Markdown table of the verdicts: GitHub's step summary, or a file for any review tool."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import TYPE_CHECKING

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import markdown_literal, printable
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context, Undecided

_MARK = MappingProxyType(
    {Verdict.BLOCK: "⛔ block", Verdict.SKIP: "⏭️ skip", Verdict.ALLOW: "✅ allow"}
)


# GFM's extended autolinks need no brackets: a scheme's `://` or `www.` starts one.
_AUTOLINK = re.compile(r"(?<=[a-z0-9])://|(?<![a-z0-9])www\.", re.IGNORECASE)


# What would start a block inside a list item: a list marker, a setext underline, an
# ordered list's number (outer spaces are dropped: four of them would start a code block).
_BLOCK_START = re.compile(r"^([-+=])|^(\d{1,9})([.)])")


def _cell(text: str) -> str:
    """Outside text as literal Markdown on one line: a table cell or a list item that shows
    the text as it is, and can hold no link, image, HTML, table break or block."""
    # Escaped as the redactor knows it (tagguard.core.sanitize.escaped_forms).
    safe = markdown_literal(printable(text).strip(" "))
    safe = _BLOCK_START.sub(lambda found: f"{found[2] or ''}\\{found[1] or found[3]}", safe)
    return _AUTOLINK.sub(lambda found: found.group().replace(":", "\\:").replace(".", "\\."), safe)


def _counts(report: Report) -> str:
    """The text summary's counts: impact's are of the tags it read, since it decides no
    write and its verdict counts would say "0 blocked" whatever the proposal changes."""
    if report.impact is not None:
        counts = report.impact
        return (
            f"**{counts.tags} tag(s) read**, {counts.immutable} would become immutable, "
            f"{counts.mutable} would become mutable"
        )
    summary = report.summary
    return f"**{summary['block']} blocked**, {summary['skip']} skipped, {summary['allow']} allowed"


def markdown(report: Report) -> str:
    lines = ["### tagguard", "", _counts(report), ""]
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
    write_text(path, markdown(report), context.redactor)


def undecided_markdown(undecided: Undecided) -> str:
    """The heading, then that the run could not decide and why (the error line's message):
    no table and no counts, whose zeros would read as "nothing blocked"."""
    lines = [
        "### tagguard",
        "",
        f"**could not decide** (tagguard {_cell(undecided.command)} exited 2): no verdicts",
        "",
        f"- {_cell(undecided.message)}",
    ]
    return "\n".join(lines) + "\n"


def write_undecided(undecided: Undecided, path: str, context: Context) -> None:
    write_text(path, undecided_markdown(undecided), context.redactor)
