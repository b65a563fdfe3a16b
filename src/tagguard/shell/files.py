"""Reading the offline inputs: rules files and state files.

Every failure is a FileError whose one line names the file and what is wrong with it,
at the JSON path where it is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tagguard.core.reference import parse_reference, validate_digest, validate_tag
from tagguard.core.state import (
    COSIGN,
    Accessory,
    ArtifactInfo,
    RepositoryState,
    RulesTable,
    StateTable,
    TagInfo,
    link_cosign,
)
from tagguard.errors import FileError, TagguardError
from tagguard.shell.reading import read_text

if TYPE_CHECKING:
    from tagguard.core.rules import Rule


def load_json(
    path: str, *, unique_keys: bool = False, expected: str = "this file must be JSON"
) -> Any:
    """Parses a JSON file, turning every failure into one line that names the file.

    With `unique_keys` a key repeated in one object is refused: JSON parsers keep only the
    last, so the first (a repository's tags, say) would vanish without a word. `expected`
    says what the file must be, for a file that is YAML ("a rules file is JSON")."""
    text = read_text(path)
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_object if unique_keys else None,
        )
    except json.JSONDecodeError as error:
        if _looks_like_yaml(text):
            # JSON's "Expecting value: line 1 column 1" says nothing about the real fault.
            raise FileError(
                f"{path}: looks like YAML, but {expected}; convert it, e.g. with yq -o=json"
            ) from None
        # json's "Invalid control character at" is meant to be followed by the position,
        # which this line gives first.
        reason = error.msg.removesuffix(" at")
        raise FileError(
            f"{path}: not valid JSON: line {error.lineno} column {error.colno}: {reason}"
        ) from None
    except _RepeatedKeyError as error:
        raise FileError(
            f"{path}: key {error.key!r} appears twice in one object; only one can count"
        ) from None
    except (ValueError, RecursionError) as error:
        raise FileError(f"{path}: not valid JSON: {error}") from None
    if re.search(_SURROGATE_ESCAPE, text):
        _refuse_lone_surrogates(data, path)
    return data


# The first line of a YAML document that JSON cannot start with: `---`, a list item
# (`- id: 1`), a `key: value` or a `# comment`. This module's patterns are compiled when
# first used (the re module keeps them): a live run, which reads no file, never does.
_YAML_START = r"---(\s|$)|- |-$|#|[\w\"'.-][^:{}\[\]]*:(\s|$)"


def _looks_like_yaml(text: str) -> bool:
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return bool(re.match(_YAML_START, first))


# JSON's \uD800-\uDFFF escapes. A pair of them is one character; one alone decodes to a
# lone surrogate, which is no Unicode character: no report, log or file can be written with
# it (UTF-8 cannot encode it), so it is refused where it comes in.
_SURROGATE_ESCAPE = r"\\u[dD][89a-fA-F]"


def _refuse_lone_surrogates(data: Any, path: str) -> None:
    pending: list[tuple[str, Any]] = [("", data)]  # iterative: the depth is the file's
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            _check_unicode(value, where or "the top level", path)
        elif isinstance(value, list):
            pending.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
        elif isinstance(value, Mapping):
            for key, item in value.items():
                _check_unicode(key, f"a key of {where or 'the top-level object'}", path)
                pending.append((f"{where}[{json.dumps(key)}]", item))


def _check_unicode(text: str, where: str, path: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(text[error.start])
        raise FileError(
            f"{path}: \\u{code:04x} in {where} is half of a surrogate pair, not a character; "
            "the file must hold valid Unicode"
        ) from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


class _RepeatedKeyError(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _RepeatedKeyError(key)
        out[key] = value
    return out


def load_rules_file(path: str) -> RulesTable:
    """A rules file: Harbor's JSON array of one project's rules (used for every project),
    or an object mapping project name to such an array."""
    data = load_json(path, expected="a rules file is JSON, as Harbor's API returns the rules")
    _refuse_state_as_rules(data, path)
    from tagguard.core.rules import parse_rules  # a rules file's only: see tagguard.check

    try:
        if isinstance(data, list):
            return RulesTable(shared=parse_rules(data, path, note_ignored=True), origin=path)
        if isinstance(data, Mapping):
            by_project: dict[str, tuple[Rule, ...]] = {}
            for project, rules in data.items():
                by_project[project] = parse_rules(
                    rules, f"{path}: project {project!r}", note_ignored=True
                )
            return RulesTable(by_project=by_project, origin=path)
    except FileError:
        raise
    except TagguardError as error:
        raise FileError(error.message) from None
    raise FileError(
        f"{path}: expected Harbor's JSON array of rules, or an object mapping project "
        "names to such arrays"
    )


def _refuse_state_as_rules(data: object, path: str) -> None:
    """A state file given as the rules: its keys name repositories (`host/project/repo`),
    which a project name never does, and map to objects, not to arrays of rules."""
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        if "/" in key and isinstance(value, Mapping):
            raise FileError(
                f"{path}: this is a state file, not a rules file: {key!r} is a repository with "
                "its tags; give this file as --state-file, and Harbor's rules as --rules-file"
            )


# Fields every rule Harbor returns has; a state file's objects have none of them.
_RULE_FIELDS = frozenset({"tag_selectors", "scope_selectors", "action", "template"})


def _refuse_rules_as_state(data: object, path: str) -> None:
    """Rules given as the state: an array of rules, or projects mapped to such arrays."""
    if isinstance(data, list):
        arrays = [data]
    elif isinstance(data, Mapping) and data and all(isinstance(v, list) for v in data.values()):
        arrays = list(data.values())
    else:
        return
    items = [item for array in arrays for item in array]
    if items and all(isinstance(item, Mapping) and _RULE_FIELDS & set(item) for item in items):
        raise FileError(
            f"{path}: this is a rules file (Harbor's immutability rules), not a state file; "
            "give it as --rules-file, and the tags as --state-file"
        )


# ----------------------------------------------------------------------------- state files
#
# A state file maps each repository, `registry/project/repository`, to its contents in
# one of two forms (the same file may use both, one per repository):
#
#   flat:      {"1.0": "sha256:...", "latest": "sha256:..."}        tag -> digest
#   artifacts: {"artifacts": [{"digest": "sha256:...", "tags": ["1.0"],
#                              "references": ["sha256:..."],
#                              "accessories": [{"digest": "sha256:...", "type": "..."}],
#                              "labels": ["prod"]}, ...]}
#
# The artifact form's field names are those of Harbor's artifact JSON (`references` are
# an index's children), written as plain strings where Harbor has objects; a tag may also
# be Harbor's object in part, `{"name": "1.0", "push_time": "2024-03-05T10:11:12Z"}`
# (which tag a copy's push event names rests on when each was pushed). A repository
# is in the artifact form exactly when its object has the key "artifacts" holding a JSON
# array: a flat form maps every tag to a string, so a tag literally named "artifacts"
# stays unambiguous. `tagguard/schemas/state.schema.json` describes both forms; the checks
# that need the whole repository at once (below `_check_links`) are beyond a schema.

ARTIFACTS = "artifacts"
_ARTIFACT_FIELDS = ("accessories", "digest", "labels", "references", "tags")
_ACCESSORY_FIELDS = ("digest", "type")
_TAG_FIELDS = ("name", "push_time")
# RFC 3339's date-time, time zone required (the schema's pattern for push_time, the same).
_DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def load_state_file(path: str) -> StateTable:
    """A state file: each repository's tags (`{"tag": "sha256:...", ...}`) or whole
    artifacts (`{"artifacts": [...]}`), keyed `registry/project/repository`."""
    data = load_json(path, unique_keys=True, expected="a state file is JSON")
    _refuse_rules_as_state(data, path)
    if not isinstance(data, Mapping):
        raise FileError(
            f'{path}: expected an object such as {{"harbor.example.com/proj/app": '
            '{"1.0": "sha256:..."}}'
        )
    repositories: dict[str, RepositoryState] = {}
    written_as: dict[str, str] = {}
    for key, value in data.items():
        repository = _repository_key(key, path)
        if repository in written_as:
            # Host names are case-insensitive: two spellings would silently merge into one.
            raise FileError(
                f"{path}: {key!r} names the same repository as {written_as[repository]!r}"
            )
        written_as[repository] = key
        repositories[repository] = _repository(value, f"{path}: {key!r}")
    return StateTable(repositories, origin=path)


def _repository_key(key: str, path: str) -> str:
    try:
        ref = parse_reference(key, default_tag=None)
    except TagguardError as error:
        raise FileError(f"{path}: key {error.message}") from None
    if ref.tag is not None or ref.digest is not None:
        raise FileError(
            f"{path}: {key!r}: a key names a repository (registry/project/repository), "
            "without tag or digest"
        )
    return ref.repository_key


def _repository(value: object, where: str) -> RepositoryState:
    if not isinstance(value, Mapping):
        raise FileError(
            f'{where}: expected an object mapping tags to digests, or {{"artifacts": [...]}}'
        )
    try:
        if isinstance(value.get(ARTIFACTS), list):
            state = RepositoryState(link_cosign(_artifacts(value, where)))
            names = {a.digest: f"artifacts[{i}]" for i, a in enumerate(state.artifacts)}
        else:
            state = RepositoryState.from_tags(_tags(value, where))
            names = {a.digest: _tag_names(a) for a in state.artifacts}
    except FileError:
        raise
    except TagguardError as error:
        raise FileError(error.message) from None
    _refuse_cycles(state.artifacts, names, where)
    return state


def _tags(tags: Mapping[str, object], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag, digest in tags.items():
        validate_tag(tag, where)
        if not isinstance(digest, str):
            hint = ' (the artifact form\'s "artifacts" is an array)' if tag == ARTIFACTS else ""
            raise FileError(f"{where}: tag {tag!r} must map to a digest string{hint}")
        out[tag] = validate_digest(digest, f"{where}: tag {tag!r}")
    return out


def _artifacts(value: Mapping[str, object], where: str) -> tuple[ArtifactInfo, ...]:
    extra = sorted(set(value) - {ARTIFACTS})
    if extra:
        raise FileError(
            f'{where}: a repository written as {{"artifacts": [...]}} takes nothing else, '
            f"found {extra[0]!r}"
        )
    items = value[ARTIFACTS]
    assert isinstance(items, list)
    listed = tuple(_artifact(item, f"{where}: artifacts[{i}]") for i, item in enumerate(items))
    _check_links(listed, where)
    return listed


def _artifact(item: object, at: str) -> ArtifactInfo:
    if not isinstance(item, Mapping):
        raise FileError(f'{at}: expected an artifact object such as {{"digest": "sha256:..."}}')
    unknown = sorted(set(item) - set(_ARTIFACT_FIELDS))
    if unknown:
        # Strict, because a misspelt "tags" would silently leave an artifact untagged.
        raise FileError(
            f"{at}: an artifact does not take {unknown[0]!r} "
            f"(it takes {', '.join(_ARTIFACT_FIELDS)})"
        )
    if "digest" not in item:
        raise FileError(f'{at}: an artifact needs "digest"')
    return ArtifactInfo(
        digest=_digest(item["digest"], f"{at}.digest"),
        tags=_artifact_tags(item, at),
        children=tuple(_digest(d, here) for here, d in _array(item, "references", at)),
        accessories=tuple(_accessory(a, here) for here, a in _array(item, "accessories", at)),
        labels=tuple(_label(name, here) for here, name in _array(item, "labels", at)),
    )


def _array(item: Mapping[str, object], name: str, at: str) -> list[tuple[str, object]]:
    """The field `name` of an artifact: an array, each entry with its JSON path. A string
    listed twice is a mistake (accessories, objects, are compared by digest later)."""
    value = item.get(name, [])
    if not isinstance(value, list):
        raise FileError(f"{at}.{name}: expected an array")
    seen: set[str] = set()
    for position, entry in enumerate(value):
        if isinstance(entry, str):
            if entry in seen:
                raise FileError(f"{at}.{name}[{position}]: {entry!r} is listed twice")
            seen.add(entry)
    return [(f"{at}.{name}[{i}]", entry) for i, entry in enumerate(value)]


def _artifact_tags(item: Mapping[str, object], at: str) -> tuple[TagInfo, ...]:
    """An artifact's tags: each a name, or `{"name": ..., "push_time": ...}` (Harbor's
    tags[].name and tags[].push_time). A name listed twice, in either form, is a mistake."""
    tags: list[TagInfo] = []
    seen: set[str] = set()
    for here, entry in _array(item, "tags", at):
        tag = _tag(entry, here)
        if tag.name in seen:
            raise FileError(f"{here}: {tag.name!r} is listed twice")
        seen.add(tag.name)
        tags.append(tag)
    return tuple(tags)


def _tag(entry: object, at: str) -> TagInfo:
    if not isinstance(entry, Mapping):
        return TagInfo(validate_tag(_string(entry, at), at))
    unknown = sorted(set(entry) - set(_TAG_FIELDS))
    if unknown:
        raise FileError(
            f"{at}: a tag does not take {unknown[0]!r} (it takes {', '.join(_TAG_FIELDS)})"
        )
    if "name" not in entry:
        raise FileError(f'{at}: a tag needs "name"')
    name = validate_tag(_string(entry["name"], f"{at}.name"), f"{at}.name")
    if "push_time" not in entry:
        return TagInfo(name)
    return TagInfo(name, push_time=_push_time(entry["push_time"], f"{at}.push_time"))


def _push_time(value: object, at: str) -> datetime:
    """An RFC 3339 date-time with its time zone, as Harbor writes push_time: a time without
    one would be compared with Harbor's UTC times by guess."""
    found = None
    if isinstance(value, str) and _DATE_TIME.fullmatch(value):
        try:
            found = datetime.fromisoformat(value)
        except ValueError:
            found = None  # a day or hour out of range
    if found is None:
        raise FileError(f"{at}: expected a date-time such as 2024-03-05T10:11:12.345Z")
    return found


def _string(value: object, at: str) -> str:
    if not isinstance(value, str):
        raise FileError(f"{at}: expected a string")
    return value


def _digest(value: object, at: str) -> str:
    return validate_digest(_string(value, at), at)


def _label(value: object, at: str) -> str:
    name = _string(value, at)
    if not name:
        raise FileError(f"{at}: a label name is not empty")
    return name


def _accessory(value: object, at: str) -> Accessory:
    if not isinstance(value, Mapping):
        raise FileError(
            f'{at}: expected an accessory such as {{"digest": "sha256:...", "type": "{COSIGN}"}}'
        )
    unknown = sorted(set(value) - set(_ACCESSORY_FIELDS))
    if unknown:
        raise FileError(f"{at}: an accessory does not take {unknown[0]!r} (it takes digest, type)")
    for name in _ACCESSORY_FIELDS:
        if name not in value:
            raise FileError(f'{at}: an accessory needs "{name}"')
    kind = _string(value["type"], f"{at}.type")
    if not kind:
        raise FileError(f"{at}.type: an accessory type (Harbor's, e.g. {COSIGN}) is not empty")
    return Accessory(_digest(value["digest"], f"{at}.digest"), kind)


def _check_links(listed: tuple[ArtifactInfo, ...], where: str) -> None:
    """What a schema cannot say: digests and tags unique across the repository, and every
    reference and accessory an artifact of the same repository (Harbor keeps an index's
    children and an artifact's accessories in the artifact's own repository)."""
    position: dict[str, int] = {}
    for i, artifact in enumerate(listed):
        if artifact.digest in position:
            raise FileError(
                f"{where}: artifacts[{i}].digest: {artifact.digest} is already "
                f"artifacts[{position[artifact.digest]}]"
            )
        position[artifact.digest] = i
    tagged: dict[str, int] = {}
    for i, artifact in enumerate(listed):
        for j, info in enumerate(artifact.tags):
            if info.name in tagged:
                raise FileError(
                    f"{where}: artifacts[{i}].tags[{j}]: tag {info.name!r} is already on "
                    f"artifacts[{tagged[info.name]}]; a tag names one artifact"
                )
            tagged[info.name] = i
    for i, artifact in enumerate(listed):
        links = [("references", j, d) for j, d in enumerate(artifact.children)]
        links += [("accessories", j, a.digest) for j, a in enumerate(artifact.accessories)]
        seen: set[str] = set()
        for field_name, j, digest in links:
            at = f"{where}: artifacts[{i}].{field_name}[{j}]"
            if field_name == "accessories" and digest in seen:
                raise FileError(f"{at}: {digest} is listed twice")
            seen.add(digest)
            if digest == artifact.digest:
                raise FileError(f"{at}: {digest} is the artifact itself")
            if digest not in position:
                raise FileError(
                    f'{at}: {digest} is not an artifact of this repository; list it in "artifacts"'
                )


def _tag_names(artifact: ArtifactInfo) -> str:
    return "the artifact tagged " + ", ".join(repr(t.name) for t in artifact.tags)


def _refuse_cycles(
    artifacts: tuple[ArtifactInfo, ...], names: Mapping[str, str], where: str
) -> None:
    """An artifact that references itself through children or accessories (also through a
    cosign tag linked by name) is impossible in a content-addressed registry, and would
    make every walk over the artifact (delete, copy) endless."""
    edges = {a.digest: [*a.children, *(acc.digest for acc in a.accessories)] for a in artifacts}
    done: set[str] = set()
    for start in edges:
        path = _cycle_from(start, edges, done)
        if path is not None:
            loop = " -> ".join(names.get(d, d) for d in path)
            raise FileError(f"{where}: artifacts reference each other in a cycle: {loop}")


def _cycle_from(start: str, edges: Mapping[str, list[str]], done: set[str]) -> list[str] | None:
    """A cycle reachable from `start`, as the digests along it. Iterative, so a long chain
    in a hostile file cannot exhaust the stack; `done` holds artifacts already cleared."""
    if start in done:
        return None
    trail = [start]
    on_trail = {start}
    pending = [iter(edges[start])]
    while pending:
        step = next(pending[-1], None)
        if step is None:
            pending.pop()
            finished = trail.pop()
            on_trail.discard(finished)
            done.add(finished)
        elif step in on_trail:
            return [*trail[trail.index(step) :], step]
        elif step not in done and step in edges:
            trail.append(step)
            on_trail.add(step)
            pending.append(iter(edges[step]))
    return None
