"""The settings in force, shown: each option of a command with its value and where the value
came from (the command line, its `TAGGUARD_<OPTION>` variable, `tagguard.toml` or the default),
as `tagguard config` and `--verbose` print them.

Where the values come from is `tagguard.config`'s; this module only tells it, and hides what
must not be printed: a password, the credentials in a URL, the run's secrets.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any, TextIO

import click
from click.core import ParameterSource

from tagguard.config import CONFIG_FILE, ConfigFile, debug_from_environment, options_of
from tagguard.core.record import record
from tagguard.core.sanitize import Redactor, printable, without_credentials, without_userinfo


@record
class Setting:
    """One effective option: its file key, its value as shown, and where it came from."""

    key: str
    value: str
    source: str
    variable: str = ""  # the environment variable that sets it


def settings(ctx: click.Context, config: ConfigFile) -> list[Setting]:
    """Each option of the command `ctx` runs, with its value and its source."""
    found: list[Setting] = []
    for key, option in sorted(options_of(ctx.command).items()):
        assert option.name is not None
        source = ctx.get_parameter_source(option.name)
        value = ctx.params.get(option.name)
        parent = ctx.parent  # an output option given before the command
        if (
            source is not ParameterSource.COMMANDLINE
            and parent is not None
            and parent.get_parameter_source(option.name) is ParameterSource.COMMANDLINE
        ):
            source, value = ParameterSource.COMMANDLINE, parent.params[option.name]
        found.append(
            Setting(
                key,
                shown(key, value),
                _source_name(source, option, config),
                str(option.envvar or _READ_OUTSIDE_CLICK.get(key, "")),
            )
        )
    # A variable read outside click (TAGGUARD_USERNAME, TAGGUARD_DEBUG) is where a
    # default-valued option's value comes from when it is set: one row for it, not two. Only
    # a command that reads credentials shows them (lint, install-docker-plugin do not).
    keys = {s.key for s in found}
    variables = [v for v in _credential_variables() if _GOES_WITH.get(v.key, v.key) in keys]
    replaced = {v.key for v in variables}
    found = [s for s in found if not (s.key in replaced and s.source == "default")]
    return sorted([*found, *variables], key=lambda s: s.key)


def _source_name(source: ParameterSource | None, option: click.Option, config: ConfigFile) -> str:
    if source is ParameterSource.COMMANDLINE:
        return "command line"
    if source is ParameterSource.ENVIRONMENT:
        return str(option.envvar)
    if source is ParameterSource.DEFAULT_MAP:
        return str(config.path)
    return "default"


# The options whose variable tagguard reads itself, not click (so click's option has none):
# the column names it all the same, set or not, for a reader looking for the variable.
_READ_OUTSIDE_CLICK = MappingProxyType({"username": "TAGGUARD_USERNAME", "debug": "TAGGUARD_DEBUG"})
# A row with no option of its own, and the option whose commands show it.
_GOES_WITH = MappingProxyType({"password": "username"})


def _credential_variables() -> Iterator[Setting]:
    """The explicit credential's variables (read by tagguard.shell.credentials, not click)
    and TAGGUARD_DEBUG (read by tagguard.cli). The password has no option, so its row is
    here, set or not; it is shown where the username is (_GOES_WITH)."""
    if debug_from_environment(os.environ):
        yield Setting("debug", "True", "TAGGUARD_DEBUG", "TAGGUARD_DEBUG")
    user, password = os.environ.get("TAGGUARD_USERNAME"), os.environ.get("TAGGUARD_PASSWORD")
    if user:
        yield Setting("username", shown("username", user), "TAGGUARD_USERNAME", "TAGGUARD_USERNAME")
    hidden = "<hidden>" if password is not None else "-"
    where = "TAGGUARD_PASSWORD" if password is not None else "default"
    yield Setting("password", hidden, where, "TAGGUARD_PASSWORD")


# The settings that hold URLs: a user part before the scheme, or one with no scheme, is
# hidden there too (elsewhere `name@example.com` is a user name, shown).
_URL_KEYS = frozenset(("harbor-url", "source"))


def shown(key: str, value: Any, redactor: Redactor | None = None) -> str:
    """A value as printed: no password or URL credentials, the run's secrets hidden (the
    settings are shown before any is known; a request's URL, later, with them)."""
    if value is None:
        return "-"
    if isinstance(value, tuple):
        return " ".join(shown(key, v, redactor) for v in value) or "-"
    # https://user:password@host: keep the host (and a URL's user part however written)
    text = without_credentials(str(value)) if key in _URL_KEYS else without_userinfo(str(value))
    return printable(redactor.redact(text) if redactor is not None else text)


def print_settings(found: list[Setting], config: ConfigFile, stream: TextIO, prefix: str) -> None:
    where = str(config.path) if config.path else f"none ({CONFIG_FILE} not found)"
    stream.write(f"{prefix}config file: {where}\n")
    keys = max((len(s.key) for s in found), default=0)
    names = max((len(s.variable) for s in found), default=0)
    for setting in found:
        stream.write(
            f"{prefix}{setting.key:<{keys}}  {setting.variable or '-':<{names}}  "
            f"{setting.value}  ({setting.source})\n"
        )
