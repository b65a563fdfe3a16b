"""Running the CLI: a command line in, an exit code out (tagguard.cli calls `run_cli` past
its --version fast path).

Exit codes: 0 nothing blocked, 1 something blocked (or, for lint, an error-level finding),
2 the guard could not decide (bad input, unreadable state): it fails closed. A user error is
one line on stderr; a traceback appears only with --debug. Each run has its own redactor
(tagguard.core.sanitize.Redactor), handed to the commands as click's context object: its
error line is redacted with the secrets the run met, and with no other run's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tagguard.commands import cli, default_maps_for
from tagguard.config import load_config
from tagguard.core.sanitize import Redactor, printable
from tagguard.errors import TagguardError
from tagguard.reporters import COMMAND_FORMATS

UNDECIDED = 2


def run_cli(args: list[str], debug: bool) -> int:
    """Runs the command line `args`; every outcome is an exit code (a traceback only with
    `debug`)."""
    # The run's secrets, hidden in all it prints (its error line included), and in no
    # other run's output: one per run, handed to the commands as click's context object.
    redact = (redactor := Redactor()).redact
    try:
        result = cli.main(args=args, prog_name="tagguard", standalone_mode=False, obj=redactor)
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.exceptions.NoArgsIsHelpError as error:
        # `tagguard` alone: the help as click lays it out (its message *is* the help, which
        # one line would squash), on stderr with exit 2 like any other missing command.
        error.show()
        return UNDECIDED
    except click.ClickException as error:
        # One line, like every other error (click's own is usage, a hint, a blank, then it).
        click.echo(f"tagguard: error: {_one_line(error)}", err=True)
        _json_error(args, "usage", _one_line(error))
        return UNDECIDED
    except click.Abort:
        click.echo("tagguard: aborted", err=True)
        _json_error(args, "aborted", "aborted")
        return UNDECIDED
    except TagguardError as error:
        click.echo(f"tagguard: error: {printable(redact(error.message))}", err=True)
        from tagguard.reporters.json import error_code  # a reporter, on an error only

        _json_error(args, error_code(error), printable(redact(error.message)))
        return error.exit_code
    except Exception as error:
        # A bug is still "could not decide", with --debug too: exit 2, never the uncaught
        # exception's 1, which a pipeline reads as "blocked".
        if debug:
            _print_traceback(error, redact)
        ask = (
            "please report it"
            if debug
            else "run with --debug for a traceback, and please report it"
        )
        message = internal_error(error, redact, ask)
        click.echo(f"tagguard: internal error: {message}", err=True)
        _json_error(args, "internal", message)
        return UNDECIDED
    return result if isinstance(result, int) else 0


def internal_error(error: Exception, redact: Callable[[str], str], ask: str) -> str:
    """A bug's one line, redacted and printable: its type, its message, and `ask` (what
    the reader may do). Every entry point prints it and exits 2, never the uncaught
    exception's 1, which a pipeline reads as "blocked"."""
    detail = printable(redact(" ".join(str(error).split()))) or type(error).__name__
    return f"{type(error).__name__}: {detail} ({ask})"


def _print_traceback(error: Exception, redact: Callable[[str], str]) -> None:
    """--debug: `error`'s traceback on stderr, redacted and made printable line by line like
    any other output (its messages may quote a registry, and a registry a secret)."""
    import traceback  # an internal error's path only: every run would pay for it at the top

    for line in redact("".join(traceback.format_exception(error))).splitlines():
        click.echo(printable(line), err=True)


def _json_error(args: list[str], code: str, message: str) -> None:
    """With --format json, an exit 2 still prints the command's one JSON object, emptied,
    with `error` added (tagguard.reporters.json.error_document); with --format sarif, a
    SARIF log whose run says it did not succeed, and why (a code-scanning upload of the
    step's output then reads a failed run, not an empty file)."""
    asked = _json_command(args)
    if asked is None:
        return
    command, reference, output_format = asked
    if output_format not in COMMAND_FORMATS.get(command, ()):
        return  # explain and lint print text or json: the error line says so
    if output_format == "sarif":
        from tagguard.reporters.sarif import error_log  # a reporter, on an error only

        sys.stdout.write(error_log(message))
        return
    from tagguard.reporters.json import error_document  # a reporter, on an error only

    sys.stdout.write(error_document(command, code, message, reference))


def _json_command(args: list[str]) -> tuple[str, str | None, str] | None:
    """(command, its REFERENCE argument if read, the format) when the command line asks for
    --format json or sarif.

    The command line is read again the way click read it, but leniently (no callbacks, no
    errors: it may be the very line click just refused), so `--format=json`, an option's
    environment variable, tagguard.toml and a default all count as they did for the run."""
    try:
        group = cli.make_context("tagguard", list(args), resilient_parsing=True)
        for position, name in enumerate(args):
            command = cli.get_command(group, name)
            if command is not None:
                rest = args[position + 1 :]
                defaults = _config_defaults(group, name).get(name)
                with command.make_context(
                    name, rest, resilient_parsing=True, default_map=defaults
                ) as context:
                    params = context.params
                break
        else:
            return None
    except Exception:  # whatever the line holds, the error already told stays the answer
        return None
    output_format = params.get("output_format")
    if output_format not in ("json", "sarif"):
        return None
    reference = params.get("reference")
    return name, reference if isinstance(reference, str) else None, output_format


def _config_defaults(group: click.Context, name: str) -> dict[str, Any]:
    """The commands' defaults from tagguard.toml, as the group's callback sets them for a
    run of `name` (none when the file is the error)."""
    try:
        config = load_config(group.params.get("config_file"), Path.cwd())
        return default_maps_for(config, name) if config.path is not None else {}
    except Exception:
        return {}


def _one_line(error: click.ClickException) -> str:
    """A click error's message, with where to read more for a usage error."""
    context = getattr(error, "ctx", None)  # only usage errors carry one
    if isinstance(error, click.NoSuchOption) and context is not None:
        message = _no_such_option(error, context)
    else:
        message = " ".join(error.format_message().split()).rstrip(".")
    if context is not None:
        message += f" (see '{context.command_path} --help')"
    return printable(message)


def _no_such_option(error: click.NoSuchOption, context: click.Context) -> str:
    """click's suggestion is any option difflib finds 60 % alike, dashes included, so
    `--quiet` gets `--digest`. Here a suggestion must be alike without the dashes, or
    begin the same; and an option of tagguard itself or of another command is named
    where it belongs."""
    name = error.option_name
    message = f"No such option '{name}'"
    close = [p for p in error.possibilities or () if _alike(name, p)]
    if close:  # difflib's best first
        return f"{message}. Did you mean '{close[0]}'?"
    root = context.find_root()
    own = [param for param in root.command.params if name in _names(param)]
    if context is not root and own:
        flag = getattr(own[0], "is_flag", False)
        written = name if flag else f"{name} {own[0].make_metavar(root)}"
        return (
            f"{message} after the command: it is an option of tagguard itself, written "
            f"before the command ({root.command_path} {written} {context.info_name} ...)"
        )
    owners = [
        command_name
        for command_name, command in _commands(root)
        if command is not context.command and name in _option_names(command)
    ]
    if owners:
        listed = " and ".join([", ".join(owners[:-1]), owners[-1]] if owners[1:] else owners)
        return f"{message} for '{context.command_path}': it is an option of {root.command_path} {listed}"
    return message


def _commands(root: click.Context) -> list[tuple[str, click.Command]]:
    """The group's commands by name, as it lists them: each command's module loaded (the
    group loads one per run otherwise), which only a usage error's message pays for."""
    group = root.command
    if not isinstance(group, click.Group):
        return []
    found = [(name, group.get_command(root, name)) for name in group.list_commands(root)]
    return [(name, command) for name, command in found if command is not None]


def _alike(given: str, option: str) -> bool:
    import difflib  # a usage error's path only: every run would pay for it at the top

    given, option = given.lstrip("-"), option.lstrip("-")
    prefix = len(given) >= 3 and (option.startswith(given) or given.startswith(option))
    return prefix or difflib.SequenceMatcher(None, given, option).ratio() >= 0.7


def _names(param: click.Parameter) -> set[str]:
    return {*param.opts, *param.secondary_opts}


def _option_names(command: click.Command) -> set[str]:
    return {name for param in command.params for name in _names(param)}
