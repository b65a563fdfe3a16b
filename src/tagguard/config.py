"""Where each option's value comes from: the command line, else `TAGGUARD_<OPTION>`, else
`tagguard.toml`, else the default (the order ruff, pip and most CLIs use).

The file is `tagguard.toml`, found in the working directory or the nearest folder above it,
up to the top of the git repository it is in (`--config FILE` or `TAGGUARD_CONFIG` name one
instead). A dedicated file rather than a `[tool.tagguard]` table in `pyproject.toml`: the
projects tagguard guards build container images, most of them in no Python at all.

    # tagguard.toml: keys are the long option names, for every command that has the option
    harbor-url = ["harbor.example.com=https://harbor.internal:8443"]
    timeout = 5
    credentials = ["replica.example.com=REPLICA_AUTH"]

    [lint]                     # a table per command, for that command only
    format = "json"

click does the precedence itself (command line, then `envvar=`, then the context's
`default_map`, then the default) and tells where each value came from; this module builds
that default map from the file, refusing what the file cannot hold, and resolves the options
of a caller with no command line. Showing each value with its source is `tagguard.settings`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from types import MappingProxyType
from typing import Any

import click
import click.core
from click.core import ParameterSource

from tagguard.core.record import field, record
from tagguard.errors import InputError

CONFIG_FILE = "tagguard.toml"
_UNSET = getattr(click.core, "UNSET", object())  # click >= 8.3 marks a missing value so
COLOR_CHOICES = ("auto", "always", "never")

# Variables the GitHub Action, the GitLab template and the GitLab component set for their own
# use; no option reads them, so setting one for tagguard's shell steps cannot change the
# meaning of another. (TAGGUARD_HARBOR_URL, TAGGUARD_USERNAME and TAGGUARD_PASSWORD are set by
# them too, with the same meaning as for the CLI.)
RESERVED: Mapping[str, str] = MappingProxyType(
    {
        "TAGGUARD_ARGS": "GitLab: more options for the job's tagguard command",
        "TAGGUARD_DIGEST": "GitLab: passed by the job as push's --digest",
        "TAGGUARD_DISABLED": "GitLab: true skips the job",
        "TAGGUARD_IMAGE": "GitLab: the job's image",
        "TAGGUARD_INSTALL": "GitLab: source, package or image",
        "TAGGUARD_MODE": "GitLab: enforce or warn",
        "TAGGUARD_PACKAGE": "GitLab: the pip requirement installed",
        "TAGGUARD_PLAN": "GitLab: the release plan the job checks",
        "TAGGUARD_PYTHON": "Action and git hook: the Python that runs tagguard",
        "TAGGUARD_REF": "GitLab: the git ref of tagguard installed from source",
        "TAGGUARD_REFS": "GitLab: the references the job checks",
        "TAGGUARD_SOURCE": "GitLab: the git URL tagguard is installed from",
        "TAGGUARD_IN_DOCKER_PLUGIN": "the docker plugin's marker against running itself",
        "TAGGUARD_BLOCKED": "the dotenv report's count (an output, not an input)",
        "TAGGUARD_SKIPPED": "the dotenv report's count (an output, not an input)",
        "TAGGUARD_ALLOWED": "the dotenv report's count (an output, not an input)",
        "TAGGUARD_ERROR": "the dotenv report's error code on exit 2 (an output, not an input)",
        "TAGGUARD_ERROR_MESSAGE": "the dotenv report's error on exit 2 (an output, not an input)",
    }
)

# Options a file must not set, and what to do instead.
REFUSED_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "password": "a password does not belong in a file: use --credentials HOST=ENVVAR, "
        "TAGGUARD_PASSWORD or docker login",
        "password-stdin": "it reads standard input: give it on the command line",
        "username": "use --credentials HOST=ENVVAR, TAGGUARD_USERNAME/TAGGUARD_PASSWORD or docker login",
        "debug": "set it for one run: --debug or TAGGUARD_DEBUG",
        "config": "a file cannot name another: use --config or TAGGUARD_CONFIG",
        # A one-off action, not a setting: from a file it turned every install into a removal.
        "uninstall": "it is an action, not a setting: give --uninstall on the command line",
    }
)


@record
class ConfigFile:
    """The settings file in force: top-level keys, and one table per command."""

    path: Path | None = None
    shared: Mapping[str, Any] = field(default_factory=dict)
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def find_config(start: Path) -> Path | None:
    """`tagguard.toml` in `start` or the nearest folder above it, not above the top of the
    git repository `start` is in (a file outside the checkout is someone else's)."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        if (folder / ".git").exists():
            return None
    return None


MAX_CONFIG_BYTES = 1024 * 1024


def load_config(explicit: str | None, cwd: Path) -> ConfigFile:
    """The file named (--config, TAGGUARD_CONFIG), else the one found from `cwd`, parsed."""
    path = Path(explicit) if explicit else find_config(cwd)
    if path is None:
        return ConfigFile()
    import tomllib  # only when there is a file to read

    # The file reader of the input files (a limit on what is read, not only on what stat()
    # says), loaded only when there is a settings file.
    from tagguard.shell.reading import read_bytes

    raw = read_bytes(str(path), MAX_CONFIG_BYTES)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except RecursionError:  # tomllib recurses once per level of nested arrays and tables
        raise InputError(f"{path}: not valid TOML (nested too deeply)") from None
    except ValueError as error:
        # TOMLDecodeError and UnicodeDecodeError are ValueErrors; so is int()'s refusal of
        # a number past Python's 4300-digit limit, which tomllib lets through.
        raise InputError(f"{path}: not valid TOML ({error})") from None
    shared = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    return ConfigFile(path, shared, tables)


def option_key(param: click.Parameter) -> str:
    """An option's name in the file: its long flag without dashes (`--harbor-url` -> harbor-url)."""
    longest = max(param.opts, key=len)
    return longest.lstrip("-")


def options_of(command: click.Command) -> dict[str, click.Option]:
    return {
        option_key(p): p
        for p in command.params
        if isinstance(p, click.Option) and not p.hidden and p.name != "help"
    }


def default_maps(
    config: ConfigFile, commands: Mapping[str, click.Command]
) -> dict[str, dict[str, Any]]:
    """click's default map for each command, from the file: a top-level key applies to every
    command that has the option, a command's table to that command (and wins). Every key is
    checked against the options and converted once, so a typo or a wrong type is one line
    naming the file and the key, before any command runs."""
    path = config.path
    every = {key for command in commands.values() for key in options_of(command)}
    for name in config.tables:
        if name not in commands:
            raise InputError(
                f"{path}: [{name}] is not a tagguard command (tables are per command: "
                f"{', '.join(sorted(commands))})"
            )
    for key in config.shared:
        _check_key(path, key, every, "")
    maps: dict[str, dict[str, Any]] = {}
    for name, command in commands.items():
        options = options_of(command)
        table = config.tables.get(name, {})
        for key in table:
            _check_key(path, key, set(options), f"[{name}] ")
        values: dict[str, Any] = {}
        for key, value in [*config.shared.items(), *table.items()]:
            if key in options:
                option = options[key]
                assert option.name is not None
                values[option.name] = _converted(path, key, option, value)
        if values:
            maps[name] = values
    return maps


def _check_key(path: Path | None, key: str, known: set[str], where: str) -> None:
    if key in REFUSED_KEYS:
        raise InputError(f"{path}: {where}{key}: {REFUSED_KEYS[key]}")
    if key not in known:
        raise InputError(
            f"{path}: {where}{key} is not an option here (keys are long option names "
            f"without dashes: {', '.join(sorted(known - REFUSED_KEYS.keys()))})"
        )


def _number_in_name_only(kind: click.ParamType[Any], value: Any) -> bool:
    """A TOML true/false for a number, or a fraction for a whole number."""
    if isinstance(value, bool):
        return isinstance(kind, (click.types.IntParamType, click.types.FloatParamType))
    return isinstance(value, float) and isinstance(kind, click.types.IntParamType)


def _converted(path: Path | None, key: str, option: click.Option, value: Any) -> Any:
    """The value as click will take it from the default map, checked now."""
    if option.multiple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(f"{path}: {key}: give a list of strings")
        value = tuple(value)
    elif option.is_flag and not isinstance(value, bool):
        raise InputError(f"{path}: {key}: give true or false")
    elif isinstance(value, (list, dict)):
        raise InputError(f"{path}: {key}: give one value, not a list")
    elif isinstance(value, (date, time)):
        # TOML's dates and times (datetime is a date): click would cast them with float() or
        # int() (a TypeError) or str() (a string no option means).
        raise InputError(f"{path}: {key} = {value.isoformat()}: give a string or a number")
    elif _number_in_name_only(option.type, value):
        # click casts with int() and float(): 1.5 would be 1, true 1, without a word.
        wanted = "number, not true or false" if isinstance(value, bool) else "whole number"
        raise InputError(f"{path}: {key} = {value!r}: give a {wanted}")
    try:
        option.type_cast_value(click.Context(click.Command(key)), value)
    except click.BadParameter as error:
        raise InputError(f"{path}: {key} = {value!r}: {error.message}") from None
    return value


def resolved(
    command: click.Command, name: str, default_map: Mapping[str, Any] | None
) -> click.Context:
    """`command`'s context with every option from the environment, the file or its default,
    and nothing from a command line (what `tagguard config` shows, and what a caller with no
    command line of its own, such as the docker plugin, runs with)."""
    ctx = click.Context(command, info_name=name, default_map=dict(default_map or {}))
    for option in options_of(command).values():
        assert option.name is not None
        value, source = option.consume_value(ctx, {})
        try:
            processed = option.process_value(ctx, value)
            # click's own parse turns its "no value" marker into None at the end; so do we.
            ctx.params[option.name] = None if processed is _UNSET else processed
        except click.BadParameter as error:
            where = option.envvar if source is ParameterSource.ENVIRONMENT else option_key(option)
            raise InputError(f"{where}: {error.message}") from None
        ctx.set_parameter_source(option.name, source)
    return ctx


# What click reads as false for a flag's variable (its BoolParamType), and the empty value.
_OFF = frozenset(("", "0", "false", "f", "no", "n", "off"))


def debug_from_environment(env: Mapping[str, str]) -> bool:
    """TAGGUARD_DEBUG, read before click runs: on unless unset or one of the words click
    takes as false for every other flag's variable (TAGGUARD_DEBUG=0 is off)."""
    return env.get("TAGGUARD_DEBUG", "").strip().lower() not in _OFF
