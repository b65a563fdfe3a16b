"""A dotenv file (`artifacts: reports: dotenv`): the counts, for later jobs' rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagguard.core.report import Report
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context


def dotenv(report: Report) -> str:
    counts = report.summary
    return (
        f"TAGGUARD_BLOCKED={counts['block']}\n"
        f"TAGGUARD_SKIPPED={counts['skip']}\n"
        f"TAGGUARD_ALLOWED={counts['allow']}\n"
    )


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, dotenv(report), context.redactor)
