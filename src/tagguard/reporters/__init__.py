"""Output formats.

Two registries: `FORMATS` are what --format prints on standard output (`render(report,
context)`), `FILES` what --report NAME=PATH writes (`write(report, path, context)`). Modules
are imported only when chosen, so start-up pays for the formats in use and no others.

With no --format, a GitHub Actions job (`GITHUB_ACTIONS=true`) gets `github` and a GitLab CI
job (`GITLAB_CI=true`) gets `gitlab`; anything else gets `text`. `COMMAND_FORMATS` and
`COMMAND_FILES` say which of them each command renders (explain and lint: text and json).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from tagguard.core.report import Report
from tagguard.reporters.context import Context, FileFormat, Format, Reporter

__all__ = (
    "COMMAND_FILES",
    "COMMAND_FORMATS",
    "FILES",
    "FORMATS",
    "Context",
    "FileFormat",
    "Format",
    "Reporter",
    "default_format",
    "render",
    "write",
)


# Each reporter module is the Protocol's implementation (mypy checks the module against it),
# imported only when its format is chosen.


def _text() -> Reporter:
    from tagguard.reporters import text

    return text


def _json() -> Reporter:
    from tagguard.reporters import json

    return json


def _github() -> Format:
    from tagguard.reporters import github

    return github


def _gitlab() -> Format:
    from tagguard.reporters import gitlab

    return gitlab


def _sarif() -> Reporter:
    from tagguard.reporters import sarif

    return sarif


def _junit() -> FileFormat:
    from tagguard.reporters import junit

    return junit


def _codequality() -> FileFormat:
    from tagguard.reporters import codequality

    return codequality


def _dotenv() -> FileFormat:
    from tagguard.reporters import dotenv

    return dotenv


def _markdown() -> FileFormat:
    from tagguard.reporters import markdown

    return markdown


FORMATS: Mapping[str, Callable[[], Format]] = MappingProxyType(
    {
        "text": _text,
        "json": _json,
        "github": _github,
        "gitlab": _gitlab,
        "sarif": _sarif,
    }
)
FILES: Mapping[str, Callable[[], FileFormat]] = MappingProxyType(
    {
        "text": _text,
        "json": _json,
        "sarif": _sarif,
        "junit": _junit,
        "codequality": _codequality,
        "dotenv": _dotenv,
        "markdown": _markdown,
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
    FILES[name]().write(report, path, context)
