"""The click commands. Each only fills an Options object, builds what it needs (imported
when it runs, so one command never pays for another's modules) and returns an exit code.

Where rules and state come from: with both --rules-file and --state-file, the files and no
network at all; otherwise the live Harbor of each reference's registry (either file may
still stand in for its half).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

import click

from tagguard import __version__

if TYPE_CHECKING:
    from tagguard.core.reference import Reference
    from tagguard.core.report import Report
    from tagguard.core.state import Sources
    from tagguard.shell.http import Http

FORMATS = ("text", "json", "github", "gitlab", "sarif")  # tagguard.reporters.FORMATS
REPORT_FILES = ("text", "json", "sarif", "junit", "codequality", "dotenv", "markdown")
ON_ERROR = ("fail", "warn")


@dataclass(frozen=True)
class Options:
    rules_file: str | None
    state_file: str | None
    harbor_version: str | None
    output_format: str | None
    color: bool
    reports: tuple[str, ...] = ()
    harbor_urls: tuple[str, ...] = ()
    username: str | None = None
    password_stdin: bool = False
    ca_file: str | None = None
    insecure: bool = False
    plain_http: bool = False
    timeout: float = 10.0
    deadline: float = 60.0
    on_error: str = "fail"
    concurrency: int = 8
    replication_policies: str = "off"
    quiet: bool = False  # text output: blocked references only
    verbose: bool = False  # each setting and each request on standard error
    credentials: tuple[str, ...] = ()  # HOST=ENVVAR, ENVVAR holding user:password

    @property
    def offline(self) -> bool:
        return self.rules_file is not None and self.state_file is not None


class Output(NamedTuple):
    """How a command prints: colour, --quiet, --verbose (flag anywhere, else env/file)."""

    color: bool
    quiet: bool
    verbose: bool


def _output(ctx: click.Context, given: dict[str, Any]) -> Output:
    """Takes the output options out of `given`. They are accepted before the command and
    after it; the command line wins wherever it is, then the environment and the file."""
    from tagguard.config import use_color
    from tagguard.errors import InputError

    found = {name: _outer(ctx, name, given.pop(name)) for name in ("color", "quiet", "verbose")}
    given.pop("debug", None)  # tagguard.cli reads it from the argument list
    if found["quiet"] and found["verbose"]:
        raise InputError("--quiet and --verbose contradict each other: give one of them")
    color = use_color(found["color"], os.environ, sys.stdout)
    return Output(color, bool(found["quiet"]), bool(found["verbose"]))


def _outer(ctx: click.Context, name: str, value: Any) -> Any:
    from click.core import ParameterSource

    parent = ctx.parent
    if (
        ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE
        and parent is not None
        and parent.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ):
        return parent.params[name]
    return value


def _given_as(ctx: click.Context, name: str, flag: str, value: Any) -> str:
    """How the user gave an option, for a message: the flag, the variable or the file."""
    from click.core import ParameterSource

    source = ctx.get_parameter_source(name)
    if source is ParameterSource.ENVIRONMENT:
        option = next(p for p in ctx.command.params if p.name == name)
        return f"{option.envvar}={value}"
    if source is ParameterSource.DEFAULT_MAP:
        return f"{_config(ctx).path}: {flag.lstrip('-')} = {value}"
    return f"{flag} {value}"


def _check_format(ctx: click.Context, command: str, output_format: str | None) -> None:
    from tagguard.errors import InputError
    from tagguard.reporters import COMMAND_FORMATS

    allowed = COMMAND_FORMATS[command]
    if output_format is not None and output_format not in allowed:
        given = _given_as(ctx, "output_format", "--format", output_format)
        raise InputError(f"{given}: {command} prints {' or '.join(allowed)}")


def _config(ctx: click.Context) -> Any:
    from tagguard.config import ConfigFile

    return ctx.find_root().meta.get("tagguard.config") or ConfigFile()


def _options(**given: Any) -> Options:
    """The command's Options, every input checked before anything is read or asked."""
    ctx = click.get_current_context()
    command = ctx.info_name or ""
    output = _output(ctx, given)
    _check_format(ctx, command, given.get("output_format"))
    if "reports" in given:
        _report_files(given["reports"])
    if given.get("credentials"):
        from tagguard.config import per_host_credentials

        per_host_credentials(given["credentials"], os.environ)
    options = Options(color=output.color, quiet=output.quiet, verbose=output.verbose, **given)
    if output.verbose:
        _show_settings(ctx)
    return options


def _show_settings(ctx: click.Context) -> None:
    from tagguard.config import print_settings, settings

    config = _config(ctx)
    print_settings(settings(ctx, config), config, sys.stderr, "tagguard: ")


_files = [
    click.option(
        "--rules-file",
        type=click.Path(dir_okay=False),
        envvar="TAGGUARD_RULES_FILE",
        show_envvar=True,
        help="Harbor's rules JSON: one project's array (for every project), or {project: array}. Replaces the live rules.",
    ),
    click.option(
        "--state-file",
        type=click.Path(dir_okay=False),
        envvar="TAGGUARD_STATE_FILE",
        show_envvar=True,
        help='Current tags: {"registry/project/repo": {"tag": "sha256:..."}}. Replaces the live state.',
    ),
    click.option(
        "--harbor-version",
        metavar="VERSION",
        envvar="TAGGUARD_HARBOR_VERSION",
        show_envvar=True,
        help="Harbor version whose glob to use, e.g. 2.10.1 (default: what Harbor reports; offline: newest).",
    ),
]
_format = [
    click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default=None,
        envvar="TAGGUARD_FORMAT",
        show_envvar=True,
        help="Output format (default: github in GitHub Actions, gitlab in GitLab CI, else text; explain and lint: text or json).",
    ),
]
_reports = [
    click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="NAME=PATH",
        envvar="TAGGUARD_REPORT",
        show_envvar=True,
        help=f"Also write a report to PATH; NAME is one of {', '.join(REPORT_FILES)}.",
    ),
]
_live = [
    click.option(
        "--harbor-url",
        "harbor_urls",
        multiple=True,
        metavar="[HOST=]URL",
        envvar="TAGGUARD_HARBOR_URL",
        show_envvar=True,
        help="Harbor's URL (default https://HOST of each reference); HOST=URL for one registry.",
    ),
    click.option(
        "--username",
        "-u",
        help="User or robot account (robot$project+name); the password comes from standard input. [env: TAGGUARD_USERNAME with TAGGUARD_PASSWORD]",
    ),
    click.option("--password-stdin", is_flag=True, help="Read the password from standard input."),
    click.option(
        "--credentials",
        "credentials",
        multiple=True,
        metavar="HOST=ENVVAR",
        envvar="TAGGUARD_CREDENTIALS",
        show_envvar=True,
        help="Credentials for registry HOST (any registry read, a replication's destination too): the variable ENVVAR holds user:password.",
    ),
    click.option(
        "--ca-file",
        type=click.Path(dir_okay=False, exists=True),
        envvar="TAGGUARD_CA_FILE",
        show_envvar=True,
        help="PEM bundle of CAs to verify TLS with (Harbor's and other registries').",
    ),
    click.option(
        "--insecure",
        is_flag=True,
        envvar="TAGGUARD_INSECURE",
        show_envvar=True,
        help="Do not verify TLS certificates.",
    ),
    click.option(
        "--plain-http",
        is_flag=True,
        envvar="TAGGUARD_PLAIN_HTTP",
        show_envvar=True,
        help="Use http:// where no URL is given.",
    ),
    click.option(
        "--timeout",
        envvar="TAGGUARD_TIMEOUT",
        show_envvar=True,
        type=click.FloatRange(min=0.1),
        default=10.0,
        show_default=True,
        help="Seconds each request may take to connect and to answer.",
    ),
    click.option(
        "--deadline",
        envvar="TAGGUARD_DEADLINE",
        show_envvar=True,
        type=click.FloatRange(min=0.1),
        default=60.0,
        show_default=True,
        help="Seconds the whole check may take.",
    ),
    click.option(
        "--concurrency",
        envvar="TAGGUARD_CONCURRENCY",
        show_envvar=True,
        type=click.IntRange(min=1, max=64),
        default=8,
        show_default=True,
        help="Requests in flight at once, to each Harbor.",
    ),
]
_policy = [
    click.option(
        "--on-error",
        envvar="TAGGUARD_ON_ERROR",
        show_envvar=True,
        type=click.Choice(ON_ERROR),
        default="fail",
        show_default=True,
        help="When the registry cannot be read: fail (exit 2) or warn (exit 0).",
    ),
    click.option(
        "--replication-policies",
        type=click.Choice(("auto", "off")),
        default="off",
        show_default=True,
        envvar="TAGGUARD_REPLICATION_POLICIES",
        show_envvar=True,
        help="auto: also warn where an event-based replication policy replays a write or delete onto a destination tag that refuses it (needs a system admin to read the policies).",
    ),
]


def _apply(options: list[Any]) -> Callable[[Any], Any]:
    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


# Accepted before the command and after it (`tagguard --verbose push ...`, `push ... -v`).
_outputs = [
    click.option(
        "--color",
        type=click.Choice(("auto", "always", "never")),
        default="auto",
        show_default=True,
        envvar="TAGGUARD_COLOR",
        show_envvar=True,
        help="auto: on a terminal, unless NO_COLOR is set non-empty (no-color.org); FORCE_COLOR set non-empty forces it (force-color.org).",
    ),
    click.option(
        "--quiet",
        "-q",
        is_flag=True,
        envvar="TAGGUARD_QUIET",
        show_envvar=True,
        help="Print only what blocks (and errors); machine formats and report files stay whole.",
    ),
    click.option(
        "--verbose",
        "-v",
        is_flag=True,
        envvar="TAGGUARD_VERBOSE",
        show_envvar=True,
        help="Also print each setting with where it came from, and each request (redacted) with its time, on standard error.",
    ),
    click.option(
        "--debug",
        is_flag=True,
        # TAGGUARD_DEBUG (any non-empty value) is read by tagguard.cli before click runs,
        # so that an error while the command line is read still shows its traceback.
        help="Show tracebacks for unexpected errors. [env var: TAGGUARD_DEBUG, any non-empty value]",
    ),
]
output_options = _apply(_outputs)
common_options = _apply(_files + _format + _reports + _live + _policy + _outputs)
# explain prints one explanation: no report files, and nothing to warn past.
explain_options = _apply(_files + _format + _live + _outputs)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(
    __version__, "--version", "-V", prog_name="tagguard", message="%(prog)s %(version)s"
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, exists=True),
    envvar="TAGGUARD_CONFIG",
    show_envvar=True,
    help="Settings file (default: tagguard.toml here or above, within the git repository).",
)
@output_options
@click.pass_context
def cli(ctx: click.Context, /, config_file: str | None, **_: Any) -> None:
    """Predict what Harbor's tag immutability will refuse, before a pipeline tries.

    Exit status: 0 nothing blocked, 1 something blocked, 2 tagguard could not decide.
    Every option also comes from TAGGUARD_<OPTION> or tagguard.toml (see `tagguard config`).
    """
    from tagguard.config import default_maps, load_config

    config = load_config(config_file, Path.cwd())
    ctx.meta["tagguard.config"] = config
    # The commands' options read the file through click's default map: a flag wins, then
    # the environment (envvar=), then the file, then the default.
    if config.path is not None:
        ctx.default_map = default_maps(config, cli.commands)


_reference_lists = [
    click.option(
        "--refs-from-env",
        "refs_env",
        metavar="NAME",
        envvar="TAGGUARD_REFS_FROM_ENV",
        show_envvar=True,
        help="Also check the references in environment variable NAME (newline-separated, as docker/metadata-action exports DOCKER_METADATA_OUTPUT_TAGS).",
    ),
    click.option(
        "--refs-file",
        type=click.Path(dir_okay=False),
        envvar="TAGGUARD_REFS_FILE",
        show_envvar=True,
        help="Also check the references listed in FILE, one per line.",
    ),
]


@cli.command()
@click.argument("references", nargs=-1)
@click.option(
    "--digest",
    metavar="sha256:...",
    envvar="TAGGUARD_DIGEST",
    show_envvar=True,
    help="Digest of the image being pushed; lets identical re-runs be skipped.",
)
@click.option(
    "--oci-layout",
    metavar="DIR[:REF]",
    envvar="TAGGUARD_OCI_LAYOUT",
    show_envvar=True,
    help="Take the digest from an OCI image layout's index.json (REF: its ref.name annotation).",
)
@click.option(
    "--metadata-file",
    type=click.Path(dir_okay=False),
    envvar="TAGGUARD_METADATA_FILE",
    show_envvar=True,
    help="Take the digest from `docker buildx build --metadata-file` output.",
)
@click.option(
    "--from",
    "from_ref",
    metavar="REF",
    envvar="TAGGUARD_FROM",
    show_envvar=True,
    help="Take the digest of REF, in any registry (the image being promoted).",
)
@_apply(_reference_lists)
@common_options
def push(
    references: tuple[str, ...],
    digest: str | None,
    oci_layout: str | None,
    metadata_file: str | None,
    from_ref: str | None,
    refs_env: str | None,
    refs_file: str | None,
    **given: Any,
) -> int:
    """Check pushing one image to each REFERENCE (host/project/repo:tag)."""
    options = _options(**given)
    new = _push_digest(digest, oci_layout, metadata_file, from_ref)
    (source,) = _parse_references([from_ref], harbor=False) if from_ref else (None,)
    targets = _parse_references(_all_references(references, refs_env, refs_file))

    def check(sources: Sources, globs: str | None) -> Report:
        from tagguard.check import check_push  # once the network is busy (see _run_check)

        return check_push(sources, globs, targets, new, source=source)

    return _run_check(options, targets, [source] if source else [], check, ask_ahead=True)


@cli.command()
@click.argument("source")
@click.argument("destination")
@common_options
def copy(source: str, destination: str, **given: Any) -> int:
    """Check Harbor's copy of SOURCE into the repository DESTINATION (every tag it carries).

    This is Harbor's copy API (the UI's "copy"/retag): one immutable tag in DESTINATION on
    another digest fails the whole copy.
    """
    from tagguard.check import check_copy
    from tagguard.core.reference import parse_reference

    options = _options(**given)
    (parsed_source,) = _parse_references((source,))
    target = parse_reference(destination, default_tag=None)
    return _run_check(
        options,
        [target, parsed_source],
        [],
        lambda sources, globs: check_copy(sources, globs, parsed_source, target),
    )


@cli.command()
@click.option(
    "--policy",
    "policy_id",
    type=int,
    metavar="ID",
    envvar="TAGGUARD_POLICY",
    show_envvar=True,
    help="A replication policy of the Harbor given by --source (or --harbor-url).",
)
@click.option(
    "--source",
    "source_host",
    metavar="HOST",
    envvar="TAGGUARD_POLICY_SOURCE",  # TAGGUARD_SOURCE is the GitLab template's (a git URL)
    show_envvar=True,
    help="The registry host of the Harbor holding the policy.",
)
@click.option(
    "--from",
    "from_ref",
    metavar="REF",
    envvar="TAGGUARD_FROM",
    show_envvar=True,
    help="An explicit pair: the image (any registry) ...",
)
@click.option(
    "--to",
    "to_refs",
    metavar="REF",
    multiple=True,
    envvar="TAGGUARD_TO",
    show_envvar=True,
    help="... copied to this Harbor tag (crane copy, skopeo copy).",
)
@common_options
def replicate(
    policy_id: int | None,
    source_host: str | None,
    from_ref: str | None,
    to_refs: tuple[str, ...],
    **given: Any,
) -> int:
    """Check a replication: a Harbor policy's every destination tag, or explicit --from/--to pairs.

    With --policy: same digest -> skip; another digest and the policy does not override ->
    skip with a warning (Harbor leaves the old image there without a word); another digest,
    override, immutable -> block (the replication task fails).
    """
    from tagguard.check import check_replication, check_retag
    from tagguard.core.decide import Operation
    from tagguard.errors import InputError

    options = _options(**given)
    if (policy_id is None) == (from_ref is None):
        raise InputError("replicate needs either --policy ID or --from REF with --to REF")
    if from_ref is not None:
        if not to_refs:
            raise InputError("replicate --from needs at least one --to REF")
        (source,) = _parse_references((from_ref,), harbor=False)
        targets = _parse_references(to_refs)
        return _run_check(
            options,
            targets,
            [source],
            lambda sources, globs: check_retag(
                sources, globs, source, targets, operation=Operation.REPLICATE
            ),
        )
    assert policy_id is not None
    host = _policy_host(source_host, options)
    return _run_check(
        options,
        [],
        [],
        lambda sources, globs: check_replication(sources, globs, host, policy_id),
        hosts=[host],
    )


@cli.command()
@click.argument("source")
@click.argument("targets", nargs=-1, required=True)
@common_options
def retag(source: str, targets: tuple[str, ...], **given: Any) -> int:
    """Check writing each TARGET tag from the image SOURCE points at (SOURCE may be in any registry)."""
    from tagguard.check import check_retag

    options = _options(**given)
    (parsed_source,) = _parse_references((source,), harbor=False)
    parsed = _parse_references(targets)
    return _run_check(
        options,
        parsed,
        [parsed_source],
        lambda sources, globs: check_retag(sources, globs, parsed_source, parsed),
    )


@cli.command()
@click.argument("references", nargs=-1, required=True)
@click.option(
    "--artifact",
    is_flag=True,
    envvar="TAGGUARD_ARTIFACT",
    show_envvar=True,
    help="Delete the whole artifact (every tag on it), not only the tag.",
)
@common_options
def delete(references: tuple[str, ...], artifact: bool, **given: Any) -> int:
    """Check deleting each tag (or, with --artifact or @digest, each artifact)."""
    from tagguard.check import check_delete

    options = _options(**given)
    targets = _parse_references(references)
    return _run_check(
        options,
        targets,
        [],
        lambda sources, globs: check_delete(sources, globs, targets, artifact=artifact),
    )


@cli.command()
@click.argument("references", nargs=-1, required=True)
@click.option(
    "--digest",
    metavar="D",
    envvar="TAGGUARD_SIGNATURE_DIGEST",  # not TAGGUARD_DIGEST: another digest than push's
    show_envvar=True,
    help="The signature manifest's digest, when known: re-pushing the identical signature is then a skip.",
)
@common_options
def sign(references: tuple[str, ...], digest: str | None, **given: Any) -> int:
    """Check signing each image with cosign by tag: the push of tag sha256-<hex>.sig.

    Harbor checks that push like any other: a rule that makes sha256-*.sig tags immutable
    (a catch-all ** does) refuses signing an image again.
    """
    from tagguard.check import check_sign
    from tagguard.core.reference import validate_digest

    options = _options(**given)
    if digest is not None:
        validate_digest(digest, "--digest")
    targets = _parse_references(references)
    return _run_check(
        options, targets, [], lambda sources, globs: check_sign(sources, globs, targets, digest)
    )


@cli.command()
@click.argument("repositories", nargs=-1, required=True)
@common_options
def impact(repositories: tuple[str, ...], **given: Any) -> int:
    """List the existing tags of each REPOSITORY whose immutability --rules-file would change.

    Harbor's own flag for each tag (from the rules in force) is set against the proposed
    rules; each difference, either way, is a rules-change warning. Exit 0.
    """
    from tagguard.check import check_impact

    options = _options(**given)
    parsed = _parse_references(repositories, default_tag=None)
    return _run_check(
        options,
        [],
        [],
        lambda sources, globs: check_impact(sources, globs, parsed),
        hosts=sorted({r.registry for r in parsed}),
    )


@cli.command()
@click.argument("plan_file", metavar="FILE")
@click.option(
    "--source",
    "source_host",
    metavar="HOST",
    envvar="TAGGUARD_POLICY_SOURCE",  # TAGGUARD_SOURCE is the GitLab template's (a git URL)
    show_envvar=True,
    help="The Harbor holding replication policies that name no `source:`.",
)
@common_options
def plan(plan_file: str, source_host: str | None, **given: Any) -> int:
    """Check every operation of a release plan (YAML) before any of them runs.

    Each verdict names the file and line its operation was declared on; `${VAR}` comes
    from the environment. See the README for the format, and the JSON Schema shipped as
    tagguard/schemas/plan.schema.json.
    """
    from tagguard.shell.plan_file import load_plan, plan_environment, resolve_digest_files
    from tagguard.shell.urls import registry_host

    options = _options(**given)
    loaded = resolve_digest_files(load_plan(plan_file, plan_environment(os.environ)))
    targets = loaded.harbor_references()
    others = loaded.source_references()
    hosts = [registry_host(source_host, "--source")] if source_host else []
    hosts.extend(loaded.policy_hosts())
    default = hosts[0] if source_host else None

    def check(sources: Sources, globs: str | None) -> Report:
        from tagguard.check import check_plan  # once the network is busy (see _run_check)

        return check_plan(sources, globs, loaded, default)

    return _run_check(options, targets, others, check, hosts=hosts, ask_ahead=True)


@cli.command()
@click.argument("reference")
@explain_options
def explain(reference: str, **given: Any) -> int:
    """Show which rule makes REFERENCE's tag immutable, and why, rule by rule."""
    from tagguard.check import explain as explain_check
    from tagguard.reporters import explain as explain_output

    options = _options(**given)
    (target,) = _parse_references((reference,))
    # Offline, the state file is optional: explain is about the rules.
    with_state = not (options.rules_file is not None and options.state_file is None)
    if not with_state:
        options = replace(options, state_file=None)
    built = _sources(options, [target], [], need_state=with_state)
    sources = built.sources
    try:
        globs = _forced_glob(options)
        explained = explain_check(sources, globs, target, with_state=with_state)
    finally:
        _release(built)
    from tagguard.core.sanitize import redact

    printed = io.StringIO()
    if options.output_format == "json":
        explain_output.render_json(explained, target.original, printed)
    else:
        explain_output.render_text(explained, target.original, printed, options.color)
    text = printed.getvalue()
    if options.quiet and options.output_format != "json":  # the reference and the verdict
        text = "".join(
            line for n, line in enumerate(text.splitlines(True)) if n == 0 or "  => " in line
        )
    sys.stdout.write(redact(text))
    return 0


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@click.option(
    "--rules-file",
    type=click.Path(dir_okay=False),
    envvar="TAGGUARD_RULES_FILE",
    show_envvar=True,
    help="Harbor's rules JSON to lint (FILES may name more).",
)
@click.option(
    "--project",
    envvar="TAGGUARD_PROJECT",
    show_envvar=True,
    help="The project the rules belong to (a single array), or the one project to lint in a {project: array} file.",
)
@click.option(
    "--harbor-version",
    metavar="VERSION",
    envvar="TAGGUARD_HARBOR_VERSION",
    show_envvar=True,
    help="Harbor version whose glob semantics to use (default: newest).",
)
@_apply(_format)
@output_options
def lint(
    files: tuple[str, ...],
    rules_file: str | None,
    project: str | None,
    harbor_version: str | None,
    output_format: str | None,
    **given: Any,
) -> int:
    """Report what Harbor will silently do differently from what each rule means.

    FILES (and --rules-file) are Harbor rules JSON. Exit status 1 when a finding is an error
    (an enabled rule that fails open), else 0.
    """
    from tagguard.core.harbor_version import glob_version_for
    from tagguard.core.lint import Finding, Level, has_errors, lint_rules
    from tagguard.errors import InputError
    from tagguard.reporters import lint as lint_output
    from tagguard.shell.files import load_rules_file

    ctx = click.get_current_context()
    output = _output(ctx, given)
    _check_format(ctx, "lint", output_format)
    if output.verbose:
        _show_settings(ctx)
    paths = [*files, *([rules_file] if rules_file else [])]
    if not paths:
        raise InputError("lint needs a rules file: tagguard lint FILE... (or --rules-file FILE)")
    version = glob_version_for(harbor_version)
    found: list[tuple[str, Finding]] = []
    for path in paths:
        table = load_rules_file(path)
        if table.shared is not None:
            found.extend((path, f) for f in lint_rules(table.shared, version, project))
            continue
        assert table.by_project is not None
        chosen = table.by_project
        if project is not None:  # a {project: array} file: lint that project only
            if project not in chosen:
                names = ", ".join(sorted(chosen)) or "none"
                raise InputError(
                    f"--project {project}: {path} has no rules for it (its projects: {names})"
                )
            chosen = {project: chosen[project]}
        for name, rules in chosen.items():
            found.extend((path, f) for f in lint_rules(rules, version, name))
    failed = has_errors([f for _, f in found])
    if output_format == "json":
        lint_output.render_json(found, sys.stdout, output.color)
    elif output.quiet:  # error-level findings only, no summary
        printed = io.StringIO()
        errors = [(path, f) for path, f in found if f.level is Level.ERROR]
        lint_output.render_text(errors, printed, output.color)
        sys.stdout.write("".join(printed.getvalue().splitlines(True)[:-1]))
    else:
        lint_output.render_text(found, sys.stdout, output.color)
    return 1 if failed else 0


@cli.command("install-docker-plugin")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    envvar="TAGGUARD_PLUGIN_DIR",
    show_envvar=True,
    help="Plugin folder (default: $DOCKER_CONFIG/cli-plugins, else ~/.docker/cli-plugins).",
)
@output_options
def install_docker_plugin(directory: str | None, **given: Any) -> int:
    """Make `docker tagguard push/tag/buildx ...` check every tag before docker writes it."""
    from tagguard.docker_plugin import install

    output = _output(click.get_current_context(), given)
    path = install(directory)
    if not output.quiet:
        click.echo(f"installed {path}: try `docker tagguard push IMAGE:TAG`")
    return 0


@cli.command(
    "install-git-hook",
    context_settings={"ignore_unknown_options": True},
    options_metavar="[--uninstall]",
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED, metavar="[PLAN] [OPTIONS]...")
@click.option(
    "--uninstall", is_flag=True, help="Remove the hook and restore the pre-push hook it kept."
)
def install_git_hook(arguments: tuple[str, ...], uninstall: bool) -> int:
    """Check every git tag a push carries with PLAN (default .tagguard.yml) before git pushes it.

    OPTIONS are `tagguard plan`'s (--harbor-url, --rules-file, ...), stored with the plan.
    Works beside pre-commit, which cannot see a tag pushed on its own.
    """
    from tagguard.git_hook import install_command

    return install_command(arguments, uninstall=uninstall)


@cli.command("config")
@click.argument("command_name", metavar="[COMMAND]", required=False)
def config_command(command_name: str | None) -> int:
    """Show each option's value and where it came from (environment, tagguard.toml, default).

    With COMMAND, that command's options (its own [COMMAND] table included); without, every
    option of every command. Passwords are never shown.
    """
    from tagguard.config import (
        ConfigFile,
        Setting,
        default_maps,
        print_settings,
        resolved,
        settings,
    )
    from tagguard.errors import InputError

    ctx = click.get_current_context()
    config = _config(ctx)
    commands = {n: c for n, c in cli.commands.items() if n not in _NOT_CONFIGURED}
    if command_name is not None and command_name not in commands:
        raise InputError(
            f"config {command_name}: not a command with options (one of {', '.join(sorted(commands))})"
        )
    # Without COMMAND the per-command tables stay out: they answer for one command each.
    shared = ConfigFile(config.path, config.shared, {}) if command_name is None else config
    maps = default_maps(shared, commands) if config.path is not None else {}
    rows: dict[tuple[str, str], Setting] = {}  # sign's --digest is not push's
    for name in [command_name] if command_name else sorted(commands):
        command = commands[name]
        for setting in settings(resolved(command, name, maps.get(name)), shared):
            rows.setdefault((setting.key, setting.variable), setting)
    print_settings(list(rows.values()), config, sys.stdout, "")
    return 0


_NOT_CONFIGURED = ("config", "completion", "install-git-hook")


@cli.command("completion")
@click.argument("shell", type=click.Choice(("bash", "zsh", "fish")))
def completion(shell: str) -> int:
    """Print the shell completion script for SHELL.

    bash: `eval "$(tagguard completion bash)"` in ~/.bashrc; zsh: the same with zsh in
    ~/.zshrc; fish: `tagguard completion fish > ~/.config/fish/completions/tagguard.fish`.
    The script calls tagguard back with _TAGGUARD_COMPLETE set (click's shell completion).
    """
    from click.shell_completion import get_completion_class

    found = get_completion_class(shell)
    assert found is not None  # the choice is click's own list
    click.echo(found(cli, {}, "tagguard", "_TAGGUARD_COMPLETE").source())
    return 0


# ----------------------------------------------------------------------------- helpers


def _push_digest(
    digest: str | None, oci_layout: str | None, metadata_file: str | None, from_ref: str | None
) -> str | None:
    """The new image's digest from whichever single source was given (--from: later)."""
    from tagguard.core.reference import validate_digest
    from tagguard.errors import InputError
    from tagguard.shell.digests import digest_from_metadata_file, digest_from_oci_layout

    given = [
        name
        for name, value in (
            ("--digest", digest),
            ("--oci-layout", oci_layout),
            ("--metadata-file", metadata_file),
            ("--from", from_ref),
        )
        if value
    ]
    if len(given) > 1:
        raise InputError(f"give the new digest one way, not with {' and '.join(given)}")
    if digest is not None:
        return validate_digest(digest, "--digest")
    if oci_layout is not None:
        return digest_from_oci_layout(oci_layout)
    if metadata_file is not None:
        return digest_from_metadata_file(metadata_file)
    return None


def _all_references(
    arguments: Sequence[str], refs_env: str | None, refs_file: str | None
) -> list[str]:
    from tagguard.errors import InputError
    from tagguard.shell.digests import references_from_file, references_from_text

    found = list(arguments)
    if refs_env is not None:
        value = os.environ.get(refs_env)
        if value is None:
            raise InputError(f"--refs-from-env {refs_env}: the variable is not set")
        found.extend(references_from_text(value, f"${refs_env}"))
    if refs_file is not None:
        found.extend(references_from_file(refs_file))
    if not found:
        raise InputError(
            "no references to check: give them as arguments, --refs-from-env or --refs-file"
        )
    return list(dict.fromkeys(found))


def _policy_host(source_host: str | None, options: Options) -> str:
    from tagguard.errors import InputError
    from tagguard.shell.credentials import normalise_host
    from tagguard.shell.urls import registry_host, shared_urls

    if source_host:
        return registry_host(source_host, "--source")
    plain = shared_urls(options.harbor_urls)
    if len(plain) == 1:
        return normalise_host(plain[0])
    raise InputError(
        "replicate --policy needs the Harbor holding the policy: --source HOST (or one --harbor-url URL)"
    )


def _parse_references(
    texts: Sequence[str], *, harbor: bool = True, default_tag: str | None = "latest"
) -> list[Reference]:
    from tagguard.core.reference import parse_reference

    return [parse_reference(text, harbor=harbor, default_tag=default_tag) for text in texts]


def _run_check(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    check: Callable[[Sources, str | None], Report],
    *,
    hosts: Sequence[str] = (),
    ask_ahead: bool = False,
) -> int:
    """`run_check`, rendered in the chosen format; the exit code."""
    report = run_check(options, targets, others, check, hosts=hosts, ask_ahead=ask_ahead)
    return _emit(report, options)


def run_check(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    check: Callable[[Sources, str | None], Report],
    *,
    hosts: Sequence[str] = (),
    ask_ahead: bool = False,
) -> Report:
    """Builds the sources, runs the check and returns its report, not yet rendered (the
    docker plugin prints its own lines); --on-error warn turns an unreadable registry into
    a warning (exit 0).

    With `ask_ahead` (the check will read the rules and state of exactly `targets` and
    `others`), a live Harbor is asked before the check's modules are even imported, so that
    start-up overlaps the network."""
    from tagguard.core.report import Notice, Report
    from tagguard.errors import RemoteError, StateError

    built = _sources(options, targets, others, hosts=hosts)
    sources = built.sources
    try:
        if ask_ahead:
            from tagguard.core.state import questions

            sources.prefetch(*questions([*targets, *others]))
        report = check(sources, _forced_glob(options))
        if options.replication_policies == "auto":
            from tagguard.check import event_replication

            event_replication(sources, _forced_glob(options), report)
        # Answers asked for ahead and never read still had to arrive: fail closed.
        sources.settle()
    except (RemoteError, StateError) as error:
        if options.on_error != "warn":
            raise
        report = Report()
        report.warn(
            Notice(
                "undecided",
                f"tagguard could not decide, and --on-error warn lets the step go on: {error.message}",
            )
        )
    finally:
        _release(built)
    return report


class Built(NamedTuple):
    """Where rules and state come from, and the HTTP session to close."""

    sources: Sources
    http: Http | None


def _release(built: Built) -> None:
    """Stops what a live source still has in flight (after a failure), then the session."""
    built.sources.close()
    if built.http is not None:
        built.http.close()


def _forced_glob(options: Options) -> str | None:
    """--harbor-version for every Harbor; None lets each Harbor's reported version decide."""
    from tagguard.core.harbor_version import glob_version_for

    return glob_version_for(options.harbor_version) if options.harbor_version else None


def _sources(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    *,
    need_state: bool = True,
    hosts: Sequence[str] = (),
) -> Built:
    from tagguard.core.state import OfflineSources, StateTable
    from tagguard.errors import InputError
    from tagguard.shell.files import load_rules_file, load_state_file

    if options.username is not None and not options.password_stdin:
        raise InputError(
            "--username needs --password-stdin (the password is read from standard input)"
        )
    if options.password_stdin and options.username is None:
        raise InputError("--password-stdin needs --username")
    rules_table = load_rules_file(options.rules_file) if options.rules_file else None
    state_table = load_state_file(options.state_file) if options.state_file else None
    if rules_table is not None and (state_table is not None or not need_state):
        return Built(OfflineSources(rules_table, state_table or StateTable({})), None)
    return _live_sources(options, targets, others, rules_table, state_table, hosts)


def _live_sources(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    rules_table: Any,
    state_table: Any,
    extra_hosts: Sequence[str] = (),
) -> Built:
    from tagguard.core.sanitize import keep_secret
    from tagguard.shell.credentials import build_store, environment
    from tagguard.shell.harbor import HarborClient
    from tagguard.shell.http import Http, TransportOptions
    from tagguard.shell.live import LiveSources
    from tagguard.shell.registry import RegistryClient
    from tagguard.shell.urls import explicit_urls, harbor_urls

    hosts = sorted({t.registry for t in targets} | set(extra_hosts))
    urls = harbor_urls(options.harbor_urls, hosts, plain_http=options.plain_http)
    password = _read_password(options)
    from tagguard.config import per_host_credentials, with_per_host

    per_host = per_host_credentials(options.credentials, os.environ)
    store = build_store(
        username=options.username,
        password=password,
        env=environment(),
        home=Path.home(),
        hosts=hosts,
    )
    store = with_per_host(store, per_host)
    verify: bool | str = options.ca_file if options.ca_file else not options.insecure
    transport = TransportOptions(
        timeout=options.timeout,
        deadline=options.deadline,
        verify=verify,
        pool_size=options.concurrency,
    )
    http = Http(transport, observe=_request_log() if options.verbose else None)
    harbors = {host: HarborClient(http, urls[host], store.for_host(host)) for host in hosts}
    plain = frozenset(r.registry for r in others) if options.plain_http else frozenset()
    registry = RegistryClient(http, store, plain_http_hosts=plain, base_urls=dict(urls))
    explicit = explicit_urls(options.harbor_urls)

    def connect(host: str, url: str) -> HarborClient:
        # A Harbor met along the way (a replication's destination): --harbor-url HOST=URL
        # wins over the URL the policy gives; credentials come from the docker config.
        return HarborClient(
            http,
            harbor_urls([f"{host}={explicit.get(host, url)}"], [host], plain_http=False)[host],
            store.for_host(host),
        )

    # Never printed, even if a registry echoes them (the credentials built from them are
    # registered too; these are registered even when no credential was made of them).
    keep_secret(password)
    keep_secret(os.environ.get("TAGGUARD_PASSWORD"))
    sources = LiveSources(
        harbors,
        registry,
        rules_table,
        state_table,
        connect=connect,
        concurrency=options.concurrency,
    )
    return Built(sources, http)


def _request_log() -> Callable[[str, str, int | None, float], None]:
    """--verbose: one line per request attempt on standard error, as it ends."""
    import threading

    from tagguard.config import shown

    lock = threading.Lock()

    def log(method: str, url: str, status: int | None, seconds: float) -> None:
        answer = str(status) if status is not None else "no answer"
        with lock:  # worker threads log too: one whole line each
            sys.stderr.write(
                f"tagguard: {method} {shown('url', url)} -> {answer} ({seconds * 1000:.0f} ms)\n"
            )

    return log


def _read_password(options: Options) -> str | None:
    from tagguard.errors import InputError

    if not options.password_stdin:
        if options.username is not None:
            raise InputError(
                "--username needs --password-stdin (the password is read from standard input)"
            )
        return None
    if options.username is None:
        raise InputError("--password-stdin needs --username")
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError("--password-stdin: standard input held no password")
    return password


def _emit(report: Report, options: Options) -> int:
    """Writes the --report files, then prints the chosen format (which may name them)."""
    from tagguard import reporters
    from tagguard.core.sanitize import redact
    from tagguard.reporters.files import redacted

    env = dict(os.environ)
    files = _report_files(options.reports)
    chosen = options.output_format or reporters.default_format(env)
    # text and json are printed as they are made, redacted piece by piece (a report of 50k
    # references is never held whole); the others print once all of their work is done.
    buffered = None if chosen in ("text", "json") else io.StringIO()
    printed = buffered if buffered is not None else redacted(sys.stdout)
    context = reporters.Context(printed, options.color, env, files=files)
    for name, path in files.items():
        reporters.write(name, report, path, context)  # redacted in reporters.files
    if options.quiet and chosen in ("text", "gitlab"):
        _print_blocks(report, printed, options.color)
    else:
        reporters.render(chosen, report, context)
    if buffered is not None:
        sys.stdout.write(redact(buffered.getvalue()))
    return report.exit_code


def _print_blocks(report: Report, stream: TextIO, color: bool) -> None:
    """--quiet: the blocked references' lines, nothing else (errors still go to stderr)."""
    from tagguard.core.decide import Verdict
    from tagguard.reporters.text import line

    stream.write(
        "".join(f"{line(d, color)}\n" for d in report.decisions if d.decision is Verdict.BLOCK)
    )


def _report_files(entries: Sequence[str]) -> dict[str, str]:
    """--report NAME=PATH, checked before anything is read: the name, no name twice, and a
    path whose folder exists (or can be made) and which is not itself a folder."""
    from tagguard import reporters
    from tagguard.errors import InputError

    files: dict[str, str] = {}
    for entry in entries:
        name, sep, path = entry.partition("=")
        if not sep or not path or name not in reporters.FILES:
            raise InputError(
                f"--report {entry}: write NAME=PATH, NAME one of {', '.join(reporters.FILES)}"
            )
        if name in files:
            raise InputError(f"--report {name} is given twice ({files[name]} and {path})")
        _check_report_path(entry, Path(path))
        files[name] = path
    return files


def _check_report_path(entry: str, path: Path) -> None:
    from tagguard.errors import InputError

    if path.is_dir():
        raise InputError(f"--report {entry}: {path} is a folder; name a file")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the writer makes the missing folders below this one
    if not folder.is_dir():
        raise InputError(f"--report {entry}: {folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise InputError(f"--report {entry}: {folder} is not writable")


def configured_options(command: str = "push", cwd: Path | None = None) -> Options:
    """`command`'s Options from the environment (TAGGUARD_<OPTION>), tagguard.toml (found from
    `cwd`, or TAGGUARD_CONFIG) and the defaults, with no command line: for callers that have
    none of their own, such as the docker plugin."""
    from tagguard.config import default_maps, load_config, resolved, use_color

    config = load_config(os.environ.get("TAGGUARD_CONFIG"), cwd or Path.cwd())
    maps = default_maps(config, cli.commands) if config.path is not None else {}
    params = dict(resolved(cli.commands[command], command, maps.get(command)).params)
    fields = set(Options.__dataclass_fields__)
    chosen = {k: v for k, v in params.items() if k in fields and k not in ("color", "quiet")}
    chosen = {k: v for k, v in chosen.items() if k != "verbose"}
    return Options(
        color=use_color(params.get("color") or "auto", os.environ, sys.stderr),
        quiet=bool(params.get("quiet")),
        verbose=bool(params.get("verbose")),
        **chosen,
    )
