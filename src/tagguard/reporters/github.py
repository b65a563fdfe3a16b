"""GitHub Actions: annotations in the log, a summary table, and step outputs.

* Each block is an `::error` annotation (pointing at the plan file and line where the
  operation came from), each warning a `::warning`. GitHub shows at most 10 error
  annotations per step, so the first 10 are emitted and one `::notice` says how many more.
  Messages escape `%`, CR and LF; properties also escape `:` and `,`, as the runner expects.
* Everything else printed (the text report, which holds text from the registry) sits between
  `::stop-commands::TOKEN` and `::TOKEN::`, so nothing in it can be read as a command.
* No secret is printed, not even in `::add-mask::` (which would put it in any copy of the
  output that is not a runner's log): secrets are redacted before anything is written.
* `$GITHUB_STEP_SUMMARY` gets the Markdown table; `$GITHUB_OUTPUT` gets `blocked`,
  `skipped`, `allowed`, `push-refs` (a newline list of the references to push: allowed
  writes) and `report` (the path of the JSON report, when one was written).
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from tagguard.core.decide import Operation, Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import escape_data, escape_property, printable
from tagguard.reporters.files import append_text
from tagguard.reporters.markdown import markdown
from tagguard.reporters.text import text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context

MAX_ERRORS = 10
WRITES = (Operation.PUSH, Operation.RETAG, Operation.COPY, Operation.REPLICATE)


def command(name: str, message: str, **properties: str | int | None) -> str:
    given = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None
    )
    return f"::{name}{' ' + given if given else ''}::{escape_data(message)}"


def annotation_lines(report: Report) -> list[str]:
    lines = []
    blocks = [d for d in report.decisions if d.decision is Verdict.BLOCK]
    for decision in blocks[:MAX_ERRORS]:
        file, line = decision.origin or (None, None)
        lines.append(
            command(
                "error",
                f"{printable(decision.reference)}: {printable(decision.reason)}",
                file=file,
                line=line,
                title=f"tagguard: {decision.operation.value} blocked",
            )
        )
    if len(blocks) > MAX_ERRORS:
        lines.append(
            command(
                "notice",
                f"{len(blocks) - MAX_ERRORS} more blocked reference(s) are not annotated "
                "(GitHub shows 10 errors per step); see the step summary",
                title="tagguard",
            )
        )
    lines.extend(
        command("warning", printable(n.message), title=f"tagguard: {n.code}")
        for n in report.warnings
    )
    return lines


def render(report: Report, context: Context) -> None:
    out = context.stream
    token = secrets.token_hex(16)
    out.write(f"::stop-commands::{token}\n")
    out.write(text(report))
    out.write(f"::{token}::\n")
    for annotation in annotation_lines(report):
        out.write(annotation + "\n")
    publish(report, context)


def push_refs(report: Report) -> list[str]:
    return [
        d.reference
        for d in report.decisions
        if d.decision is Verdict.ALLOW and d.operation in WRITES
    ]


def publish(report: Report, context: Context) -> None:
    """The step summary and outputs, into the files the runner names (when it names them)."""
    summary_path = context.env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        append_text(summary_path, markdown(report), context.redactor)
    output_path = context.env.get("GITHUB_OUTPUT")
    if output_path:
        counts = report.summary
        delimiter = f"tagguard_{secrets.token_hex(8)}"
        lines = [
            f"blocked={counts['block']}",
            f"skipped={counts['skip']}",
            f"allowed={counts['allow']}",
            f"push-refs<<{delimiter}",
            *push_refs(report),
            delimiter,
            f"report={context.files.get('json', '')}",
        ]
        append_text(output_path, "\n".join(lines) + "\n", context.redactor)
