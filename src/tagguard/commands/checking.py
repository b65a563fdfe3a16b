"""What a checking command does once it has read its arguments: parse its references, then
run its check and print the report. Shared by tagguard.commands.checks, plans and tools, and
declaring no command itself: `tagguard plan` runs without declaring push's, and `tagguard
push` without plan's (the group loads one command's module per run, see tagguard.commands).
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from tagguard import app, output
from tagguard.commands import context
from tagguard.core.reference import Reference, parse_reference
from tagguard.errors import TagguardError
from tagguard.options import Options


def finish(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    check: app.Check,
    *,
    hosts: Sequence[str] = (),
) -> int:
    """`app.checked`'s report, printed in the chosen format before the sources are let go;
    the exit code. When the check cannot decide, every --report file says so (see
    `output.write_error_reports`) before the error goes on to its exit 2."""
    redactor = context.redactor()
    try:
        with app.checked(options, targets, others, check, redactor=redactor, hosts=hosts) as report:
            return output.emit(
                report,
                output_format=options.output_format,
                color=options.color,
                quiet=options.quiet,
                reports=options.reports,
                redactor=redactor,
            )
    except TagguardError as error:
        # The reports were checked before anything was read, so none is an input file.
        command = click.get_current_context().command.name or ""
        output.write_error_reports(options.reports, command, error, redactor)
        raise


def parse_references(
    texts: Sequence[str], *, harbor: bool = True, default_tag: str | None = "latest"
) -> list[Reference]:
    return [parse_reference(text, harbor=harbor, default_tag=default_tag) for text in texts]
