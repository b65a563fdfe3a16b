"""The options of one run, as one frozen value that holds only checked input.

The CLI (tagguard.commands) and the callers without a command line (the docker plugin,
through `commands.configured_options`) hand the values they resolved to `make_options`, which
checks every flag once, before anything is read or asked, and turns the ones with syntax
(`--harbor-url [HOST=]URL`, `--report NAME=PATH`, `--credentials HOST=ENVVAR`,
`--harbor-version`) into typed values. Nothing after it checks a flag again.

No click here: how a value was given (a flag, a variable, tagguard.toml) is told by the
caller's `given_as`, for messages only.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

from tagguard.core.record import field, record
from tagguard.errors import InputError
from tagguard.output import check_reports_read_nothing, report_files, use_color
from tagguard.reporters import COMMAND_FORMATS
from tagguard.shell.urls import HarborUrls, parse_harbor_urls

if TYPE_CHECKING:
    from tagguard.shell.credentials import Credential

# (option name, flag, value) -> how the user gave it: `--format sarif`, `TAGGUARD_FORMAT=sarif`.
GivenAs = Callable[[str, str, str], str]


def as_flag(name: str, flag: str, value: str) -> str:
    """How a value was given when the caller cannot tell: as the flag."""
    return f"{flag} {value}"


@record
class Options:
    """Everything a check command runs with, checked (see `make_options`)."""

    rules_file: str | None = None
    state_file: str | None = None
    harbor_version: str | None = None
    # --harbor-version's glob for every Harbor; None lets each Harbor's reported version decide.
    forced_glob: str | None = None
    output_format: str | None = None
    color: bool = False
    reports: Mapping[str, str] = field(default_factory=dict)  # report name -> path
    harbor_urls: HarborUrls = field(default_factory=HarborUrls)
    username: str | None = None
    password_stdin: bool = False  # with username: the password is on standard input
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
    credentials: Mapping[str, Credential] = field(default_factory=dict)  # --credentials, per host

    @property
    def offline(self) -> bool:
        return self.rules_file is not None and self.state_file is not None


class Output(NamedTuple):
    """How a command prints: colour, --quiet, --verbose."""

    color: bool
    quiet: bool
    verbose: bool


def make_output(
    color: str | None, quiet: bool, verbose: bool, env: Mapping[str, str], stream: TextIO
) -> Output:
    if quiet and verbose:
        raise InputError("--quiet and --verbose contradict each other: give one of them")
    return Output(use_color(color or "auto", env, stream), bool(quiet), bool(verbose))


def check_format(command: str, output_format: str | None, given_as: GivenAs = as_flag) -> None:
    if output_format is None:
        return
    allowed = COMMAND_FORMATS[command]
    if output_format not in allowed:
        given = given_as("output_format", "--format", output_format)
        raise InputError(f"{given}: {command} prints {' or '.join(allowed)}")


def check_login(username: str | None, password_stdin: bool) -> None:
    """--username and --password-stdin come together (the password is never a flag)."""
    if username is not None and not password_stdin:
        raise InputError(
            "--username needs --password-stdin (the password is read from standard input)"
        )
    if password_stdin and username is None:
        raise InputError("--password-stdin needs --username")


# The options naming a file the run reads: no --report may write one of them.
_INPUT_FILES = ("rules_file", "state_file", "ca_file")  # the commands check their own (a plan)


def make_options(
    command: str,
    values: Mapping[str, Any],
    *,
    env: Mapping[str, str] = os.environ,
    stream: TextIO | None = None,
    given_as: GivenAs = as_flag,
) -> Options:
    """`command`'s Options from the values the caller resolved (click's parameter names),
    every one checked: the first fault is an InputError, raised before any I/O."""
    given = dict(values)
    given.pop("debug", None)  # tagguard.cli reads it from the argument list
    output = make_output(
        given.pop("color", None),
        given.pop("quiet", False),
        given.pop("verbose", False),
        env,
        sys.stdout if stream is None else stream,
    )
    output_format = given.pop("output_format", None)
    check_format(command, output_format, given_as)
    check_file_names({f"--{name.replace('_', '-')}": given.get(name) for name in _INPUT_FILES})
    for name in ("timeout", "deadline"):
        if name in given:
            check_seconds(f"--{name}", given[name])
    reports = report_files(given.pop("reports", ()))
    check_reports_read_nothing(
        reports, {f"--{name.replace('_', '-')}": given.get(name) for name in _INPUT_FILES}
    )
    credentials = _per_host(given.pop("credentials", ()), env)
    username, password_stdin = given.pop("username", None), given.pop("password_stdin", False)
    check_login(username, bool(password_stdin))
    # An empty value (an unset CI variable) is not given: each Harbor is asked its version.
    harbor_version = given.pop("harbor_version", None) or None
    forced = _glob_for(harbor_version) if harbor_version else None
    return Options(
        harbor_version=harbor_version,
        forced_glob=forced,
        output_format=output_format,
        color=output.color,
        quiet=output.quiet,
        verbose=output.verbose,
        reports=reports,
        harbor_urls=parse_harbor_urls(given.pop("harbor_urls", ())),
        username=username,
        password_stdin=bool(password_stdin),
        credentials=credentials,
        **given,
    )


def check_file_names(files: Mapping[str, str | None]) -> None:
    """A file option given as an empty name (`--rules-file "$RULES"` with RULES unset) is
    refused: taken as not given, the run would read the live Harbor instead, silently."""
    for flag, name in files.items():
        if name is not None and not name.strip():
            raise InputError(
                f"{flag}: an empty file name {name!r}; is the variable meant to hold it unset?"
            )


def check_seconds(flag: str, seconds: float) -> None:
    """click's FloatRange takes inf (no limit at all) and nan (which every comparison with
    a clock calls false): neither bounds a request."""
    if not math.isfinite(seconds):
        raise InputError(f"{flag}: {seconds} is not a number of seconds")


def _per_host(entries: tuple[str, ...], env: Mapping[str, str]) -> dict[str, Credential]:
    if not entries:
        return {}
    # Only when given: the credentials module (subprocess, for docker's helpers) is the live
    # shell's, and an offline check does without it.
    from tagguard.shell.credentials import per_host_credentials

    return per_host_credentials(entries, env)


def _glob_for(harbor_version: str) -> str:
    """--harbor-version's glob release. Its modules load with the option only: a live run
    without it reaches its first request before the rule matcher is imported."""
    from tagguard.core.harbor_version import glob_version_for

    return glob_version_for(harbor_version)
