"""The click CLI: the `tagguard` group and its commands, declared here and in the modules
beside this one. A command only reads its arguments, fills one checked Options value
(tagguard.options, through tagguard.commands.context) and hands it on: tagguard.app builds
and runs the check, tagguard.output prints it.

    flags     the options the commands share
    context   click's context -> Options
    checking  what a checking command ends with: its references parsed, its check run
    checks    push, copy, retag, delete, sign, impact
    plans     plan, replicate
    tools     explain, lint, config, completion, install-docker-plugin, install-git-hook

The group loads a command's module when the command is asked for (click's lazy subcommands,
`LazyGroup`): a run declares its own command and its options, not all fourteen commands'
(docs/performance.md, "Start-up choices"). What needs every command (the group's help,
`tagguard config`, an option given to the wrong command, a tagguard.toml key no loaded
command has) loads them all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

import click

from tagguard import __version__
from tagguard.commands.flags import FORMATS, REPORT_FILES, env_option, output_options
from tagguard.config import ConfigFile, default_maps, load_config, resolved
from tagguard.core.record import fields
from tagguard.errors import InputError
from tagguard.options import Options, make_options

__all__ = (
    "COMMANDS",
    "FORMATS",
    "REPORT_FILES",
    "LazyGroup",
    "cli",
    "command_named",
    "configured_options",
    "default_maps_for",
    "every_command",
)

# Each command: its module beside this one and its name there, in the order the group
# declared them when it loaded them all (tagguard.config checks a file in this order).
COMMANDS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "push": ("checks", "push"),
        "copy": ("checks", "copy"),
        "replicate": ("plans", "replicate"),
        "retag": ("checks", "retag"),
        "delete": ("checks", "delete"),
        "sign": ("checks", "sign"),
        "impact": ("checks", "impact"),
        "plan": ("plans", "plan"),
        "explain": ("tools", "explain"),
        "lint": ("tools", "lint"),
        "install-docker-plugin": ("tools", "install_docker_plugin"),
        "install-git-hook": ("tools", "install_git_hook"),
        "config": ("tools", "config_command"),
        "completion": ("tools", "completion"),
    }
)


def command_named(name: str) -> click.Command:
    """The command `name` (one of COMMANDS), its module loaded and its options declared."""
    module, attribute = COMMANDS[name]
    found = getattr(_module(module), attribute)
    assert isinstance(found, click.Command)
    return found


def every_command() -> dict[str, click.Command]:
    """Every command by name, in COMMANDS' order: each module loaded."""
    return {name: command_named(name) for name in COMMANDS}


def _module(name: str) -> ModuleType:
    # Imports written out, not importlib with a name from the table: tests/test_architecture.py
    # then sees which modules the group loads.
    if name == "checks":
        from tagguard.commands import checks

        return checks
    if name == "plans":
        from tagguard.commands import plans

        return plans
    from tagguard.commands import tools

    return tools


class LazyGroup(click.Group):
    """The `tagguard` group: a command's module is loaded when click asks for the command.
    A run invokes one command; declaring all fourteen cost it the other modules, ~2 ms
    in-process (about 1 ms of an offline push, 2.4 ms of a lint, end to end: measured in
    docs/performance.md, "Start-up choices")."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)  # as click's group lists its commands: help, completion

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return command_named(cmd_name) if cmd_name in COMMANDS else None

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            # click (8.4 and later) suggests a close name from the group's `commands`, which
            # a lazy group leaves empty: the suggestion comes from the names here instead.
            no_such = getattr(click.exceptions, "NoSuchCommand", None)
            if no_such is None or not isinstance(error, no_such):
                raise
            raise no_such(
                error.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None


def default_maps_for(config: ConfigFile, name: str | None) -> dict[str, dict[str, Any]]:
    """`tagguard.config.default_maps` of the file, as checked against every command, for a
    run of command `name` (None: any), loading only what the answer needs when it can.

    A file is checked against `name` and the commands it has a table for. Whatever that
    accepts, every command accepts alike: a top-level key `name` has is converted the same
    way by each command that has it (tests/commands/test_group.py checks it), and each table is
    checked by its own command. Anything that refuses (a key of another command's, a typo,
    a table of no command) is checked again against every command, whose answer (the error,
    or the maps) is the one given."""
    needed = {name, *config.tables} if name is not None else set()
    if needed and needed <= COMMANDS.keys():
        try:
            return default_maps(config, {n: command_named(n) for n in COMMANDS if n in needed})
        except InputError:
            pass
    return default_maps(config, every_command())


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(
    __version__, "--version", "-V", prog_name="tagguard", message="%(prog)s %(version)s"
)
@env_option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Settings file (default: tagguard.toml here or above, within the git repository).",
)
@output_options
@click.pass_context
def cli(ctx: click.Context, /, config_file: str | None, **_: Any) -> None:
    """Predict what Harbor's tag immutability will refuse, before a pipeline tries.

    Exit status: 0 nothing blocked, 1 something blocked, 2 tagguard could not decide.
    Every option also comes from TAGGUARD_<OPTION> or tagguard.toml (see `tagguard config`).
    """
    config = load_config(config_file, Path.cwd())
    ctx.meta["tagguard.config"] = config
    # The commands' options read the file through click's default map: a flag wins, then
    # the environment (envvar=), then the file, then the default.
    if config.path is not None:
        ctx.default_map = default_maps_for(config, ctx.invoked_subcommand)


def configured_options(
    command: str = "push", cwd: Path | None = None, *, left_out: tuple[str, ...] = ()
) -> Options:
    """`command`'s Options from the environment (TAGGUARD_<OPTION>), tagguard.toml (found from
    `cwd`, or TAGGUARD_CONFIG) and the defaults, with no command line: for callers that have
    none of their own, such as the docker plugin. The options named in `left_out` (those
    the caller does not use, such as its output) keep their defaults, unchecked."""
    config = load_config(os.environ.get("TAGGUARD_CONFIG"), cwd or Path.cwd())
    maps = default_maps_for(config, command) if config.path is not None else {}
    params = resolved(command_named(command), command, maps.get(command)).params
    names = {each.name for each in fields(Options)} | {"color", "quiet", "verbose"}
    chosen = {k: v for k, v in params.items() if k in names and k not in left_out}
    return make_options(command, chosen, env=os.environ, stream=sys.stderr)
