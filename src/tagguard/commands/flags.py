"""The options the commands share, declared once: which flags, their variables and help.

A list per concept (the files that replace the live Harbor, the output format, report
files, the live connection, what to do when undecided, how to print), and the decorators
that put them on a command. Values are checked later, all at once (tagguard.options).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import click

FORMATS = ("text", "json", "github", "gitlab", "sarif")  # tagguard.reporters.FORMATS
REPORT_FILES = ("text", "json", "sarif", "junit", "codequality", "dotenv", "markdown")
ON_ERROR = ("fail", "warn")


_files = (
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
)
_format = (
    click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default=None,
        envvar="TAGGUARD_FORMAT",
        show_envvar=True,
        help="Output format (default: github in GitHub Actions, gitlab in GitLab CI, else text; explain and lint: text or json).",
    ),
)
_reports = (
    click.option(
        "--report",
        "reports",
        multiple=True,
        metavar="NAME=PATH",
        envvar="TAGGUARD_REPORT",
        show_envvar=True,
        help=f"Also write a report to PATH; NAME is one of {', '.join(REPORT_FILES)}.",
    ),
)
_live = (
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
)
_policy = (
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
)
output_options = apply(_outputs)
common_options = apply(_files + _format + _reports + _live + _policy + _outputs)
# explain prints one explanation: no report files, and nothing to warn past.
explain_options = apply(_files + _format + _live + _outputs)

_reference_lists = (
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
)
reference_lists = apply(_reference_lists)
format_options = apply(_format)
