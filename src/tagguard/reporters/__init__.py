"""Output formats.

Two registries: `FORMATS` are what --format prints on standard output (`render(report,
context)`), `FILES` what --report NAME=PATH writes (`write(report, path, context)`). Modules
are imported only when chosen, so start-up pays for the formats in use and no others.

With no --format, a GitHub Actions job (`GITHUB_ACTIONS=true`) gets `github` and a GitLab CI
job (`GITLAB_CI=true`) gets `gitlab`; anything else gets `text`. `COMMAND_FORMATS` and
`COMMAND_FILES` say which of them each command renders (explain and lint: text and json).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from importlib import import_module
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from tagguard.errors import FileError
from tagguard.reporters.context import Context, FileFormat, Format, Reporter, Undecided

__all__ = (
    "COMMAND_FILES",
    "COMMAND_FORMATS",
    "FILES",
    "FORMATS",
    "Context",
    "FileFormat",
    "Format",
    "Reporter",
    "Undecided",
    "default_format",
    "render",
    "write",
    "write_undecided",
)


if TYPE_CHECKING:
    from tagguard.core.report import Report

    # Each reporter module implements its protocol: mypy checks each here, against the
    # registries below that name it.
    from tagguard.reporters import (
        codequality,
        dotenv,
        github,
        gitlab,
        json,
        junit,
        markdown,
        sarif,
        text,
    )

    _BOTH: tuple[Reporter, ...] = (text, json, sarif)
    _PRINTED: tuple[Format, ...] = (github, gitlab)
    _WRITTEN: tuple[FileFormat, ...] = (junit, codequality, dotenv, markdown)


def _format(name: str) -> Format:
    """The reporter module `name`, imported when its format is first chosen."""
    return cast("Format", import_module(f"{__name__}.{name}"))


def _file_format(name: str) -> FileFormat:
    """The reporter module `name`, imported when its report file is first asked for."""
    return cast("FileFormat", import_module(f"{__name__}.{name}"))


FORMATS: Mapping[str, Callable[[], Format]] = MappingProxyType(
    {name: partial(_format, name) for name in ("text", "json", "github", "gitlab", "sarif")}
)
FILES: Mapping[str, Callable[[], FileFormat]] = MappingProxyType(
    {
        name: partial(_file_format, name)
        for name in ("text", "json", "sarif", "junit", "codequality", "dotenv", "markdown")
    }
)

# What each command renders: its --format choices and its --report names. A command accepts
# only these (anything else is refused with one line), so no option is taken and ignored.
_CHECKS = ("push", "retag", "copy", "replicate", "delete", "sign", "plan", "impact")
COMMAND_FORMATS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        **{name: tuple(FORMATS) for name in _CHECKS},
        "explain": ("text", "json"),
        "lint": ("text", "json"),
    }
)
COMMAND_FILES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        **{name: tuple(FILES) for name in _CHECKS},
        "explain": (),
        "lint": (),
    }
)


def default_format(env: Mapping[str, str], command: str | None = None) -> str:
    """The CI's own format where `command` renders it, else text."""
    found = "text"
    if env.get("GITHUB_ACTIONS") == "true":
        found = "github"
    elif env.get("GITLAB_CI") == "true":
        found = "gitlab"
    return found if command is None or found in COMMAND_FORMATS[command] else "text"


def render(name: str, report: Report, context: Context) -> None:
    FORMATS[name]().render(report, context)


def write(name: str, report: Report, path: str, context: Context) -> None:
    with _named(name, path):
        FILES[name]().write(report, path, context)


def write_undecided(name: str, undecided: Undecided, path: str, context: Context) -> None:
    with _named(name, path):
        FILES[name]().write_undecided(undecided, path, context)


@contextmanager
def _named(name: str, path: str) -> Iterator[None]:
    """A report that fails when written (a device that is full, a folder that takes no new
    file) says which `--report NAME=PATH` it is, as the check before the run does."""
    try:
        yield
    except FileError as failed:
        raise FileError(f"--report {name}={path}: {failed.message}") from None
