"""Where a finding is, for the reports that code review tools place on a file: SARIF (GitHub
code scanning) and Code Quality (GitLab merge requests).

Both want a path relative to the repository's root; an absolute path, or one outside the
checkout, is not a file of the repository. A plan's operation is at its line of the plan
file. Everything else (a `push`, `retag` or `delete` given on the command line, a warning)
happened in the CI job, so it is placed on line 1 of the job's definition: the workflow file
GitHub names in GITHUB_WORKFLOW_REF, the CI file GitLab names in CI_CONFIG_PATH, else
`.tagguard.yml` (the release plan the README suggests). A plan outside the repository is
placed there too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

DEFAULT_FILE = ".tagguard.yml"


class Location(NamedTuple):
    path: str  # repository-relative, with forward slashes
    line: int


def repository_root(env: Mapping[str, str]) -> Path:
    """The checkout: GitHub's workspace, GitLab's project directory, else the working one."""
    given = env.get("GITHUB_WORKSPACE") or env.get("CI_PROJECT_DIR")
    return Path(given) if given else Path.cwd()


def job_file(env: Mapping[str, str]) -> str:
    """The file that defines the CI job, relative to the repository."""
    # GITHUB_WORKFLOW_REF: owner/repo/.github/workflows/release.yml@refs/heads/main
    workflow_ref = env.get("GITHUB_WORKFLOW_REF", "")
    workflow = workflow_ref.rpartition("@")[0].split("/", 2)[2:]
    if workflow and workflow[0]:
        return workflow[0]
    config = env.get("CI_CONFIG_PATH", "")
    if config and "@" not in config and "://" not in config:  # not another project's file
        return config.lstrip("/")
    return DEFAULT_FILE


def relative(path: str, root: Path) -> str | None:
    """`path` (as given: relative to the working directory) relative to `root`, with symbolic
    links resolved (code scanning cannot show a file through a link), or None outside it."""
    try:
        resolved = Path(path).resolve()
        inside = resolved.relative_to(root.resolve())
    except (OSError, ValueError, RuntimeError):
        return None
    text = inside.as_posix()
    return None if text in ("", ".") else text


def locate(origin: tuple[str, int] | None, env: Mapping[str, str]) -> Location:
    """The repository file and line of a finding (see the module's docstring)."""
    if origin is not None:
        inside = relative(origin[0], repository_root(env))
        if inside is not None:
            return Location(inside, max(origin[1], 1))
    return Location(job_file(env), 1)


def uri(path: str) -> str:
    """A relative URI reference for a repository path: every byte outside RFC 3986's
    unreserved characters and `/` percent-encoded (a file name's own bytes, even undecodable
    ones, as os.fsencode gives them)."""
    try:
        raw = os.fsencode(path)
    except UnicodeEncodeError:  # a lone surrogate: no file can have that name
        raw = path.encode("utf-8", "backslashreplace")
    return quote(raw, safe="/")
