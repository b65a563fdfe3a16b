"""The options the commands share, declared once: which flags, their variables and help.

A list per concept (the files that replace the live Harbor, the output format, report
files, the live connection, what to do when undecided, how to print), and the decorators
that put them on a command. Values are checked later, all at once (tagguard.options).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from tagguard.config import CONFIG_FILE

# What click's decorators decorate: a command's function (or the command).
F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("text", "json", "github", "gitlab", "sarif")  # tagguard.reporters.FORMATS
REPORT_FILES = ("text", "json", "sarif", "junit", "codequality", "dotenv", "markdown")
ON_ERROR = ("fail", "warn")


def env_option(
    flag: str, *names: str, variable: str | None = None, **attrs: Any
) -> Callable[[F], F]:
    """click's option `flag`, also read from an environment variable, shown in --help:
    TAGGUARD_ and the flag's name (--rules-file: TAGGUARD_RULES_FILE) unless `variable`
    names another (where two commands' flags share a name but not a meaning)."""
    derived = "TAGGUARD_" + flag.removeprefix("--").replace("-", "_").upper()
    return click.option(
        flag, *names, cls=EnvOption, envvar=variable or derived, show_envvar=True, **attrs
    )


class EnvOption(click.Option):
    """An option also read from a variable. click's errors name the variable whenever
    --help shows it, even for a value given on the command line; these name where the bad
    value came from: the variable, tagguard.toml, or (nothing added) the command line."""

    def get_error_hint(self, ctx: click.Context | None) -> str:
        hint = click.Parameter.get_error_hint(self, ctx)
        source = ctx.get_parameter_source(self.name) if ctx is not None and self.name else None
        if source is ParameterSource.ENVIRONMENT:
            return f"{hint} (from {self.envvar})"
        if source is ParameterSource.DEFAULT_MAP:
            assert ctx is not None  # a source was found in it
            given = ctx.find_root().params.get("config_file")  # --config FILE, else found
            return f"{hint} (from {given or CONFIG_FILE})"
        return hint


class _Seconds(click.FloatRange):
    # What a mistake is called in click's error ("'abc' is not a valid number of
    # seconds"), where FloatRange's own name is "float range".
    name = "number of seconds"


class _Count(click.IntRange):
    name = "whole number"  # not IntRange's "integer range"


def _seconds(flag: str, default: float, help: str) -> Callable[[F], F]:
    return env_option(
        flag,
        type=_Seconds(min=0.1),
        metavar="SECONDS",
        default=default,
        show_default=True,
        help=help,
    )


def from_reference(help: str) -> Callable[[F], F]:
    """--from REF: an image in any registry (push's digest, replicate's source)."""
    return env_option("--from", "from_ref", metavar="REF", help=help)


def policy_source(help: str) -> Callable[[F], F]:
    """--source HOST: the Harbor holding replication policies."""
    # Not TAGGUARD_SOURCE: that is the GitLab template's (a git URL).
    return env_option(
        "--source", "source_host", metavar="HOST", variable="TAGGUARD_POLICY_SOURCE", help=help
    )


_rules_file = env_option(
    "--rules-file",
    type=click.Path(dir_okay=False),
    help="Harbor's rules JSON: one project's array (for every project), or {project: array}. Replaces the live rules.",
)
_state_file = env_option(
    "--state-file",
    type=click.Path(dir_okay=False),
    help='Current tags: {"registry/project/repo": {"tag": "sha256:..."}}. Replaces the live state.',
)
_harbor_version = env_option(
    "--harbor-version",
    metavar="VERSION",
    help="Harbor version to model (its glob, its artifact deletes), e.g. 2.10.1 (default: what Harbor reports; offline: newest).",
)
_files = (_rules_file, _state_file, _harbor_version)
_format = (
    env_option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format (default: github in GitHub Actions, gitlab in GitLab CI, else text).",
    ),
)
# explain and lint print text or json: their help shows those two. The choice is still the
# whole list, so another format (from TAGGUARD_FORMAT, say) gets check_format's one line,
# which says what the command prints, rather than click's list.
_text_format = (
    env_option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        metavar="[text|json]",
        default=None,
        help="Output format: text (default) or json.",
    ),
)
_reports = (
    env_option(
        "--report",
        "reports",
        multiple=True,
        metavar="NAME=PATH",
        help=f"Also write a report to PATH; NAME is one of {', '.join(REPORT_FILES)}.",
    ),
)
_live = (
    env_option(
        "--harbor-url",
        "harbor_urls",
        multiple=True,
        metavar="[HOST=]URL",
        help="Harbor's URL (default https://HOST of each reference); HOST=URL for one registry.",
    ),
    click.option(
        "--username",
        "-u",
        help="User or robot account (robot$project+name); the password comes from standard input. [env: TAGGUARD_USERNAME with TAGGUARD_PASSWORD]",
    ),
    click.option("--password-stdin", is_flag=True, help="Read the password from standard input."),
    env_option(
        "--credentials",
        "credentials",
        multiple=True,
        metavar="HOST=ENVVAR",
        help="Credentials for registry HOST (any registry read, a replication's destination too): the variable ENVVAR holds user:password.",
    ),
    env_option(
        "--ca-file",
        type=click.Path(dir_okay=False, exists=True),
        help="PEM bundle of CAs to verify TLS with (Harbor's and other registries').",
    ),
    env_option(
        "--insecure",
        is_flag=True,
        help="Do not verify TLS certificates.",
    ),
    env_option(
        "--plain-http",
        is_flag=True,
        help="Use http:// where no URL is given.",
    ),
    _seconds("--timeout", 10.0, "Seconds each request may take to connect and to answer."),
    _seconds("--deadline", 60.0, "Seconds the whole check may take."),
    env_option(
        "--concurrency",
        type=_Count(min=1, max=64),
        metavar="N",
        default=8,
        show_default=True,
        help="Requests in flight at once, to each Harbor.",
    ),
)
_policy = (
    env_option(
        "--on-error",
        type=click.Choice(ON_ERROR),
        default="fail",
        show_default=True,
        help="When the current state cannot be known (a registry unreadable, a repository missing from a state file): fail (exit 2) or warn (exit 0). Bad input fails either way.",
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
)


def apply(options: Sequence[Any]) -> Callable[[Any], Any]:
    def decorate(function: Any) -> Any:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


# Accepted before the command and after it (`tagguard --verbose push ...`, `push ... -v`).
_outputs = (
    click.option(
        "--color",
        type=click.Choice(("auto", "always", "never")),
        default="auto",
        show_default=True,
        envvar="TAGGUARD_COLOR",
        show_envvar=True,
        help="auto: on a terminal, unless NO_COLOR is set non-empty (no-color.org); FORCE_COLOR set non-empty forces it (force-color.org).",
    ),
    env_option(
        "--quiet",
        "-q",
        is_flag=True,
        help="Print only what blocks (and errors); machine formats and report files stay whole.",
    ),
    env_option(
        "--verbose",
        "-v",
        is_flag=True,
        help="Also print each setting with where it came from, and each request (redacted) with its time, on standard error.",
    ),
    click.option(
        "--debug",
        is_flag=True,
        # TAGGUARD_DEBUG is read by tagguard.cli before click runs,
        # so that an error while the command line is read still shows its traceback.
        help="Show tracebacks for unexpected errors. [env var: TAGGUARD_DEBUG: on unless empty, 0, false, no or off]",
    ),
)
output_options = apply(_outputs)
common_options = apply(_files + _format + _reports + _live + _policy + _outputs)
# impact sets a proposed rules file against the flags a live Harbor reports: no state file.
impact_options = apply(
    (_rules_file, _harbor_version, *_format, *_reports, *_live, *_policy, *_outputs)
)
# explain prints one explanation: no report files, and nothing to warn past.
explain_options = apply(_files + _text_format + _live + _outputs)

_reference_lists = (
    env_option(
        "--refs-from-env",
        "refs_env",
        metavar="NAME",
        help="Also check the references in environment variable NAME (newline-separated, as docker/metadata-action exports DOCKER_METADATA_OUTPUT_TAGS).",
    ),
    env_option(
        "--refs-file",
        type=click.Path(dir_okay=False),
        help="Also check the references listed in FILE, one per line.",
    ),
)
reference_lists = apply(_reference_lists)
# lint's only: text or json.
format_options = apply(_text_format)
