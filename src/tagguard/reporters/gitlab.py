"""GitLab CI: the text report in the job log, and the three reports GitLab reads, written
to their default paths unless --report names others: JUnit (`tagguard-junit.xml`), Code
Quality (`gl-code-quality-report.json`) and dotenv (`tagguard.env`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagguard.core.report import Report
from tagguard.reporters import codequality, dotenv, junit
from tagguard.reporters.text import text

if TYPE_CHECKING:
    from tagguard.reporters import Context

DEFAULT_FILES = {
    "junit": "tagguard-junit.xml",
    "codequality": "gl-code-quality-report.json",
    "dotenv": "tagguard.env",
}


def render(report: Report, context: Context) -> None:
    context.stream.write(text(report))
    writers = {"junit": junit.write, "codequality": codequality.write, "dotenv": dotenv.write}
    for name, default in DEFAULT_FILES.items():
        if name not in context.files:  # --report NAME=PATH already wrote it elsewhere
            writers[name](report, default, context)
