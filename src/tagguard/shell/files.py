"""Reading the offline inputs: rules files and state files.

Every failure is a FileError whose one line names the file and what is wrong with it,
at the JSON path where it is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tagguard.core.reference import parse_reference, validate_digest, validate_tag
from tagguard.core.rules import Rule, parse_rules
from tagguard.core.sanitize import printable
from tagguard.core.state import RepositoryState, RulesTable, StateTable
from tagguard.errors import FileError, TagguardError

MAX_FILE_BYTES = 64 * 1024 * 1024


def read_text(path: str, limit: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 text file, whole; every failure is one line that names the file."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > limit:
            raise FileError(f"{path}: {size} bytes is larger than the {limit}-byte limit")
        raw = file.read_bytes()
    except FileError:
        raise
    except IsADirectoryError:
        raise FileError(f"{path}: is a directory, not a file") from None
    except FileNotFoundError:
        raise FileError(f"{path}: no such file") from None
    except OSError as error:
        raise FileError(f"{path}: cannot be read ({error.strerror or error})") from None
    except ValueError:  # a name from a file (a plan's metadata-file) can hold a NUL byte
        raise FileError(f"{printable(path)}: not a file name (it holds a NUL byte)") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileError(f"{path}: is not UTF-8 text (byte {error.start})") from None


def load_json(path: str) -> Any:
    """Parses a JSON file, turning every failure into one line that names the file."""
    text = read_text(path)
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise FileError(
            f"{path}: not valid JSON: line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise FileError(f"{path}: not valid JSON: {error}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def load_rules_file(path: str) -> RulesTable:
    """A rules file: Harbor's JSON array of one project's rules (used for every project),
    or an object mapping project name to such an array."""
    data = load_json(path)
    try:
        if isinstance(data, list):
            return RulesTable(shared=parse_rules(data, path), origin=path)
        if isinstance(data, Mapping):
            by_project: dict[str, tuple[Rule, ...]] = {}
            for project, rules in data.items():
                by_project[project] = parse_rules(rules, f"{path}: project {project!r}")
            return RulesTable(by_project=by_project, origin=path)
    except FileError:
        raise
    except TagguardError as error:
        raise FileError(error.message) from None
    raise FileError(
        f"{path}: expected Harbor's JSON array of rules, or an object mapping project "
        "names to such arrays"
    )


def load_state_file(path: str) -> StateTable:
    """A state file: {"registry/project/repository": {"tag": "sha256:...", ...}, ...}."""
    data = load_json(path)
    if not isinstance(data, Mapping):
        raise FileError(
            f'{path}: expected an object such as {{"harbor.example.com/proj/app": '
            '{"1.0": "sha256:..."}}'
        )
    repositories: dict[str, RepositoryState] = {}
    for key, tags in data.items():
        where = f"{path}: {key!r}"
        try:
            ref = parse_reference(key, default_tag=None)
        except TagguardError as error:
            raise FileError(f"{path}: key {error.message}") from None
        if ref.tag is not None or ref.digest is not None:
            raise FileError(
                f"{where}: a key names a repository (registry/project/repository), "
                "without tag or digest"
            )
        if not isinstance(tags, Mapping):
            raise FileError(f"{where}: expected an object mapping tags to digests")
        repositories[ref.repository_key] = RepositoryState.from_tags(_tags(tags, where))
    return StateTable(repositories, origin=path)


def _tags(tags: Mapping[str, object], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag, digest in tags.items():
        try:
            validate_tag(tag, where)
            if not isinstance(digest, str):
                raise FileError(f"{where}: tag {tag!r} must map to a digest string")
            out[tag] = validate_digest(digest, f"{where}: tag {tag!r}")
        except FileError:
            raise
        except TagguardError as error:
            raise FileError(error.message) from None
    return out
