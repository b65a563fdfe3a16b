"""The click CLI: the `tagguard` group and its commands, declared here and in the modules
beside this one. A command only reads its arguments, fills one checked Options value
(tagguard.options, through tagguard.commands.context) and hands it on: tagguard.app builds
and runs the check, tagguard.output prints it.

    flags    the options the commands share
    context  click's context -> Options
    checks   push, copy, retag, delete, sign, impact
    plans    plan, replicate
    tools    explain, lint, config, completion, install-docker-plugin, install-git-hook
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from tagguard import __version__
from tagguard.commands import checks, plans, tools
from tagguard.commands.flags import FORMATS, REPORT_FILES, env_option, output_options
from tagguard.config import default_maps, load_config, resolved
from tagguard.core.record import fields
from tagguard.options import Options, make_options

__all__ = ("FORMATS", "REPORT_FILES", "cli", "configured_options")


@click.group(
    commands=[
        checks.push,
        checks.copy,
        plans.replicate,
        checks.retag,
        checks.delete,
        checks.sign,
        checks.impact,
        plans.plan,
        tools.explain,
        tools.lint,
        tools.install_docker_plugin,
        tools.install_git_hook,
        tools.config_command,
        tools.completion,
    ],
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
        ctx.default_map = default_maps(config, cli.commands)


def configured_options(
    command: str = "push", cwd: Path | None = None, *, left_out: tuple[str, ...] = ()
) -> Options:
    """`command`'s Options from the environment (TAGGUARD_<OPTION>), tagguard.toml (found from
    `cwd`, or TAGGUARD_CONFIG) and the defaults, with no command line: for callers that have
    none of their own, such as the docker plugin. The options named in `left_out` (those
    the caller does not use, such as its output) keep their defaults, unchecked."""
    config = load_config(os.environ.get("TAGGUARD_CONFIG"), cwd or Path.cwd())
    maps = default_maps(config, cli.commands) if config.path is not None else {}
    params = resolved(cli.commands[command], command, maps.get(command)).params
    names = {each.name for each in fields(Options)} | {"color", "quiet", "verbose"}
    chosen = {k: v for k, v in params.items() if k in names and k not in left_out}
    return make_options(command, chosen, env=os.environ, stream=sys.stderr)
