"""The click commands. Each only fills an Options object, builds what it needs (imported
when it runs, so one command never pays for another's modules) and returns an exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

from tagguard import __version__

if TYPE_CHECKING:
    from tagguard.core.reference import Reference
    from tagguard.core.report import Report
    from tagguard.core.state import OfflineSources

FORMATS = ("text", "json")


@dataclass(frozen=True)
class Options:
    rules_file: str | None
    state_file: str | None
    harbor_version: str | None
    output_format: str
    color: bool

    @property
    def glob_version(self) -> str:
        from tagguard.core.harbor_version import glob_version_for

        return glob_version_for(self.harbor_version)


def _use_color(stream: Any) -> bool:
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _options(
    rules_file: str | None, state_file: str | None, harbor_version: str | None, output_format: str
) -> Options:
    return Options(rules_file, state_file, harbor_version, output_format, _use_color(sys.stdout))


_common = [
    click.option(
        "--rules-file",
        type=click.Path(dir_okay=False),
        help="Harbor's rules JSON: one project's array (for every project), or {project: array}.",
    ),
    click.option(
        "--state-file",
        type=click.Path(dir_okay=False),
        help='Current tags: {"registry/project/repo": {"tag": "sha256:..."}}.',
    ),
    click.option(
        "--harbor-version",
        metavar="VERSION",
        help="Harbor version whose glob semantics to use, e.g. 2.10.1 (default: newest).",
    ),
    click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="text",
        show_default=True,
        help="Output format.",
    ),
]


def common_options(function: Any) -> Any:
    for option in reversed(_common):
        function = option(function)
    return function


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(
    __version__, "--version", "-V", prog_name="tagguard", message="%(prog)s %(version)s"
)
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
def cli(debug: bool) -> None:
    """Predict what Harbor's tag immutability will refuse, before a pipeline tries.

    Exit status: 0 nothing blocked, 1 something blocked, 2 tagguard could not decide.
    """


@cli.command()
@click.argument("references", nargs=-1, required=True)
@click.option(
    "--digest",
    metavar="sha256:...",
    help="Digest of the image being pushed; lets identical re-runs be skipped.",
)
@common_options
def push(references: tuple[str, ...], digest: str | None, **common: Any) -> int:
    """Check pushing one image to each REFERENCE (host/project/repo:tag)."""
    from tagguard.check import check_push
    from tagguard.core.reference import validate_digest

    options = _options(**common)
    if digest is not None:
        validate_digest(digest, "--digest")
    targets = _parse_references(references)
    report = check_push(_offline_sources(options, "push"), options.glob_version, targets, digest)
    return _emit(report, options)


@cli.command()
@click.argument("source")
@click.argument("targets", nargs=-1, required=True)
@common_options
def retag(source: str, targets: tuple[str, ...], **common: Any) -> int:
    """Check writing each TARGET tag from the image SOURCE points at."""
    from tagguard.check import check_retag

    options = _options(**common)
    (parsed_source,) = _parse_references((source,))
    parsed_targets = _parse_references(targets)
    report = check_retag(
        _offline_sources(options, "retag"), options.glob_version, parsed_source, parsed_targets
    )
    return _emit(report, options)


@cli.command()
@click.argument("references", nargs=-1, required=True)
@click.option(
    "--artifact",
    is_flag=True,
    help="Delete the whole artifact (every tag on it), not only the tag.",
)
@common_options
def delete(references: tuple[str, ...], artifact: bool, **common: Any) -> int:
    """Check deleting each tag (or, with --artifact or @digest, each artifact)."""
    from tagguard.check import check_delete

    options = _options(**common)
    targets = _parse_references(references)
    report = check_delete(
        _offline_sources(options, "delete"), options.glob_version, targets, artifact=artifact
    )
    return _emit(report, options)


@cli.command()
@click.argument("reference")
@common_options
def explain(reference: str, **common: Any) -> int:
    """Show which rule makes REFERENCE's tag immutable, and why, rule by rule."""
    from tagguard.check import explain as explain_check
    from tagguard.core.state import OfflineSources, StateTable
    from tagguard.reporters import explain as explain_output
    from tagguard.shell.files import load_rules_file, load_state_file

    options = _options(**common)
    (target,) = _parse_references((reference,))
    _require(options.rules_file, "--rules-file", "explain")
    assert options.rules_file is not None
    known = options.state_file is not None
    state_table = load_state_file(options.state_file) if options.state_file else StateTable({})
    sources = OfflineSources(load_rules_file(options.rules_file), state_table)
    evaluation = explain_check(sources, options.glob_version, target)
    current = None
    if known:
        current = sources.tags(target.registry, target.repository).get(evaluation.tag)
    explanation = explain_output.Explanation(
        evaluation, target.original, options.glob_version, current, known
    )
    if options.output_format == "json":
        explain_output.render_json(explanation, sys.stdout)
    else:
        explain_output.render_text(explanation, sys.stdout, options.color)
    return 0


@cli.command()
@click.option(
    "--rules-file",
    required=True,
    type=click.Path(dir_okay=False),
    help="Harbor's rules JSON to lint.",
)
@click.option("--project", help="Project the rules belong to, when the file is a single array.")
@click.option(
    "--harbor-version",
    metavar="VERSION",
    help="Harbor version whose glob semantics to use (default: newest).",
)
@click.option(
    "--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True
)
def lint(
    rules_file: str, project: str | None, harbor_version: str | None, output_format: str
) -> int:
    """Report what Harbor will silently do differently from what each rule means.

    Exit status 1 when a finding is an error (a rule that fails open), else 0.
    """
    from tagguard.core.lint import has_errors, lint_rules
    from tagguard.reporters import lint as lint_output
    from tagguard.shell.files import load_rules_file

    options = _options(rules_file, None, harbor_version, output_format)
    table = load_rules_file(rules_file)
    findings = []
    if table.shared is not None:
        findings = lint_rules(table.shared, options.glob_version, project)
    else:
        assert table.by_project is not None
        for name, rules in table.by_project.items():
            findings.extend(lint_rules(rules, options.glob_version, name))
    render = lint_output.render_json if output_format == "json" else lint_output.render_text
    render(findings, rules_file, sys.stdout, options.color)
    return 1 if has_errors(findings) else 0


# ----------------------------------------------------------------------------- helpers


def _parse_references(texts: Sequence[str]) -> list[Reference]:
    from tagguard.core.reference import parse_reference

    return [parse_reference(text) for text in texts]


def _require(value: str | None, flag: str, command: str) -> None:
    from tagguard.errors import InputError

    if value is None:
        raise InputError(
            f"{command} needs {flag}: this version of tagguard reads rules and tags from "
            "files (--rules-file, --state-file), not from a live Harbor"
        )


def _offline_sources(options: Options, command: str) -> OfflineSources:
    from tagguard.core.state import OfflineSources
    from tagguard.shell.files import load_rules_file, load_state_file

    _require(options.rules_file, "--rules-file", command)
    _require(options.state_file, "--state-file", command)
    assert options.rules_file is not None
    assert options.state_file is not None
    return OfflineSources(load_rules_file(options.rules_file), load_state_file(options.state_file))


def _emit(report: Report, options: Options) -> int:
    from tagguard.reporters import renderer

    renderer(options.output_format)(report, sys.stdout, options.color)
    return report.exit_code
