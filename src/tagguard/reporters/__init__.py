"""Output formats.

Two registries: `FORMATS` are what --format prints on standard output (`render(report,
context)`), `FILES` what --report NAME=PATH writes (`write(report, path, context)`). Modules
are imported only when chosen, so start-up pays for the formats in use and no others.

With no --format, a GitHub Actions job (`GITHUB_ACTIONS=true`) gets `github` and a GitLab CI
job (`GITLAB_CI=true`) gets `gitlab`; anything else gets `text`. `COMMAND_FORMATS` and
`COMMAND_FILES` say which of them each command renders (explain and lint: text and json).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from tagguard.core.report import Report

FORMATS = {
    "text": "tagguard.reporters.text",
    "json": "tagguard.reporters.json",
    "github": "tagguard.reporters.github",
    "gitlab": "tagguard.reporters.gitlab",
    "sarif": "tagguard.reporters.sarif",
}
FILES = {
    "text": "tagguard.reporters.text",
    "json": "tagguard.reporters.json",
    "sarif": "tagguard.reporters.sarif",
    "junit": "tagguard.reporters.junit",
    "codequality": "tagguard.reporters.codequality",
    "dotenv": "tagguard.reporters.dotenv",
    "markdown": "tagguard.reporters.markdown",
}

# What each command renders: its --format choices and its --report names. A command accepts
# only these (anything else is refused with one line), so no option is taken and ignored.
_CHECKS = ("push", "retag", "copy", "replicate", "delete", "sign", "plan", "impact")
COMMAND_FORMATS: Mapping[str, tuple[str, ...]] = {
    **{name: tuple(FORMATS) for name in _CHECKS},
    "explain": ("text", "json"),
    "lint": ("text", "json"),
}
COMMAND_FILES: Mapping[str, tuple[str, ...]] = {
    **{name: tuple(FILES) for name in _CHECKS},
    "explain": (),
    "lint": (),
}


@dataclass(frozen=True)
class Context:
    """What a reporter may know besides the report: where to print, the CI environment
    (for files such as $GITHUB_OUTPUT), and the reports written to files. Secrets are not
    among them: a reporter cannot print what it is never given, and all output is redacted
    (tagguard.core.sanitize) on its way out."""

    stream: TextIO
    color: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)  # report name -> path written


def default_format(env: Mapping[str, str], command: str | None = None) -> str:
    """The CI's own format where `command` renders it, else text."""
    found = "text"
    if env.get("GITHUB_ACTIONS") == "true":
        found = "github"
    elif env.get("GITLAB_CI") == "true":
        found = "gitlab"
    return found if command is None or found in COMMAND_FORMATS[command] else "text"


def _module(registry: Mapping[str, str], name: str) -> Any:
    return importlib.import_module(registry[name])


def render(name: str, report: Report, context: Context) -> None:
    _module(FORMATS, name).render(report, context)


def write(name: str, report: Report, path: str, context: Context) -> None:
    _module(FILES, name).write(report, path, context)
