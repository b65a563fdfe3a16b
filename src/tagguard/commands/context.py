"""What the commands read from click's context: the values given, how each was given, the
settings file in force; and from them the command's one Options value (tagguard.options)."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from click.core import ParameterSource

from tagguard.config import ConfigFile
from tagguard.core.sanitize import Redactor
from tagguard.options import Options, Output, check_format, make_options, make_output
from tagguard.settings import print_settings, settings

_OUTPUTS = ("color", "quiet", "verbose")


def options(**given: Any) -> Options:
    """The running command's Options, every input checked before anything is read or asked."""
    ctx = click.get_current_context()
    for name in _OUTPUTS:
        given[name] = _outer(ctx, name, given[name])
    found = make_options(
        ctx.info_name or "",
        given,
        env=os.environ,
        stream=sys.stdout,
        given_as=lambda name, flag, value: given_as(ctx, name, flag, value),
    )
    if found.verbose:
        show_settings(ctx)
    return found


def output(given: dict[str, Any], output_format: str | None = None) -> Output:
    """The output options of a command that has no Options (lint, install-docker-plugin),
    checked like `options` checks them; with `output_format`, that too."""
    ctx = click.get_current_context()
    color, quiet, verbose = (_outer(ctx, name, given.pop(name)) for name in _OUTPUTS)
    found = make_output(color, quiet, verbose, os.environ, sys.stdout)
    given.pop("debug", None)  # tagguard.cli reads it from the argument list
    check_format(ctx.info_name or "", output_format, lambda n, f, v: given_as(ctx, n, f, v))
    if found.verbose:
        show_settings(ctx)
    return found


def _outer(ctx: click.Context, name: str, value: Any) -> Any:
    """The output options are accepted before the command and after it; the command line
    wins wherever it is, then the environment and the file."""
    parent = ctx.parent
    if (
        ctx.get_parameter_source(name) is not ParameterSource.COMMANDLINE
        and parent is not None
        and parent.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ):
        return parent.params[name]
    return value


def given_as(ctx: click.Context, name: str, flag: str, value: Any) -> str:
    """How the user gave an option, for a message: the flag, the variable or the file."""
    source = ctx.get_parameter_source(name)
    if source is ParameterSource.ENVIRONMENT:
        option = next(p for p in ctx.command.params if p.name == name)
        return f"{option.envvar}={value}"
    if source is ParameterSource.DEFAULT_MAP:
        return f"{config(ctx).path}: {flag.lstrip('-')} = {value}"
    return f"{flag} {value}"


def given_by(ctx: click.Context, name: str, flag: str) -> str:
    """Where the user set an option, without its value (a flag's value says nothing): the
    flag, the variable or the file, so a message never names a flag nobody typed."""
    source = ctx.get_parameter_source(name)
    if source is ParameterSource.ENVIRONMENT:
        option = next(p for p in ctx.command.params if p.name == name)
        return str(option.envvar)
    if source is ParameterSource.DEFAULT_MAP:
        return f"{flag.lstrip('-')} in {config(ctx).path}"
    return flag


def config(ctx: click.Context) -> ConfigFile:
    found = ctx.find_root().meta.get("tagguard.config")
    return found if isinstance(found, ConfigFile) else ConfigFile()


def show_settings(ctx: click.Context) -> None:
    found = config(ctx)
    print_settings(settings(ctx, found), found, sys.stderr, "tagguard: ")


def redactor() -> Redactor:
    """The run's redactor: tagguard.cli makes one per run and hands it to click as the
    context's object (a caller that did not gets one for this command alone)."""
    return click.get_current_context().find_root().ensure_object(Redactor)
