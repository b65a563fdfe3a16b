"""GitLab CI: the text report in the job log, nothing else.

The three reports GitLab reads (JUnit, Code Quality, dotenv) are written only where
`--report NAME=PATH` names them; the template and the component pass all three. A format
alone never writes files into the project: `gitlab` is the default in GitLab CI, and a
plain `tagguard push ...` in a job must not leave files behind."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagguard.core.report import Report
from tagguard.reporters.text import text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context


def render(report: Report, context: Context) -> None:
    context.stream.write(text(report))
