"""The JSON Schemas shipped for state and rules files agree with tagguard's loaders.

A schema lets an editor or pre-commit (`check-jsonschema`) flag a mistake before tagguard
runs. Each must accept every file its loader accepts, and refuse every file the loader
refuses, except for the checks no JSON Schema can express, which each schema's
description lists and the property tests below exclude one by one:

- state files: a digest listed twice in one repository, a tag on two artifacts, a
  reference or accessory that is not another artifact of the same repository, an
  accessory listed twice on one artifact, artifacts referencing each other in a cycle
  (cosign signature tags included), two keys differing only in the host's case, and a key
  repeated in one JSON object (the parsed data the schema sees has only one);
- rules files: one field given by two keys that differ only in case (Go's decoder fills one
  field from both, and tagguard refuses the rule); and an integer outside Go's int64, which
  Harbor's decoder refuses. The schema
  cannot bound it without refusing an integral float such as `1e20`, which tagguard reads
  (`core/rules.py`, `_integer`), so it leaves integers unbounded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tagguard.core.state import cosign_subject
from tagguard.errors import FileError
from tagguard.shell.files import load_rules_file, load_state_file
from tests.builders import huge_rule_set, rule_json
from tests.conftest import EXAMPLES, load_vectors
from tests.shell.test_files import GOOD_STATES
from tests.strategies import json_values

INT64 = range(-(2**63), 2**63)


def schema(name: str) -> dict[str, Any]:
    text = resources.files("tagguard").joinpath(f"schemas/{name}.schema.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


STATE = jsonschema.Draft7Validator(schema("state"))
RULES = jsonschema.Draft7Validator(schema("rules"))


def test_schemas_are_valid_draft_7_and_shipped_beside_the_plan_schema() -> None:
    shipped = resources.files("tagguard").joinpath("schemas")
    names = {entry.name for entry in shipped.iterdir()}
    assert {"plan.schema.json", "state.schema.json", "rules.schema.json"} <= names
    for name in ("state", "rules"):
        jsonschema.Draft7Validator.check_schema(schema(name))


# ----------------------------------------------------------- (a) every file we ship or write


def example_files(kind: str) -> list[Path]:
    found = sorted(EXAMPLES.glob(f"{kind}*.json"))
    assert found, f"no examples/{kind}*.json"
    return found


def rules_fixtures() -> list[object]:
    """The rule sets tests write: Harbor's own test vectors, the builders' rules, and the
    files the CLI and pre-commit tests write."""
    vectors = [vector["rules"] for vector in load_vectors("rules.jsonl")]
    built = [
        [rule_json(1), rule_json(2, "team/**", "v*", tag_decoration="excludes", disabled=True)],
        [rule_json(1, "**", "x", tag_kind="label", tag_decoration="withLabels")],
        huge_rule_set(20, 2, 2, "sha256:" + "1" * 64)[0],
        {"platform": []},
        {"\x1b[2Jevil": []},
    ]
    return [*vectors, *built]


def state_fixtures() -> list[object]:
    return [*GOOD_STATES, huge_rule_set(3, 3, 4, "sha256:" + "1" * 64)[1]]


@pytest.mark.parametrize("path", example_files("state"), ids=lambda p: p.name)
def test_state_examples_validate(path: Path) -> None:
    STATE.validate(json.loads(path.read_text()))
    load_state_file(str(path))


@pytest.mark.parametrize("path", example_files("rules"), ids=lambda p: p.name)
def test_rules_examples_validate(path: Path) -> None:
    RULES.validate(json.loads(path.read_text()))
    load_rules_file(str(path))


def test_fixture_files_validate(tmp_path: Path) -> None:
    rules, states = rules_fixtures(), state_fixtures()
    assert len(rules) > 40  # the vectors were found, not silently skipped
    for data in rules:
        RULES.validate(data)
        load_rules_file(write(tmp_path, data))
    for data in states:
        STATE.validate(data)
        load_state_file(write(tmp_path, data))


def is_json(data: object) -> bool:
    """Whether `data` is a JSON document (json_values also makes infinities, which are not)."""
    try:
        json.dumps(data, allow_nan=False)
    except ValueError:
        return False
    return True


def write(tmp_path: Path, data: object) -> str:
    path = tmp_path / "file.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


# ----------------------------------------------------------------- (c) as pre-commit runs it


def test_check_jsonschema_accepts_the_examples_and_names_a_mistake(tmp_path: Path) -> None:
    program = str(Path(sys.executable).parent / "check-jsonschema")
    schemas = resources.files("tagguard").joinpath("schemas")
    runs = [
        (schemas.joinpath("state.schema.json"), example_files("state")),
        (schemas.joinpath("rules.schema.json"), example_files("rules")),
    ]
    for schema_file, files in runs:
        done = subprocess.run(
            [program, "--schemafile", str(schema_file), *map(str, files)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert "ok -- validation done" in done.stdout
    # The same run on a broken state file fails and points at the JSON path.
    example = json.loads((EXAMPLES / "state-artifacts.json").read_text())
    first = next(iter(example))
    example[first]["artifacts"][0]["tag"] = example[first]["artifacts"][0].pop("tags")
    broken = write(tmp_path, example)
    done = subprocess.run(
        [program, "--schemafile", str(runs[0][0]), broken],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert f"$['{first}'].artifacts[0]" in done.stdout
    assert "'tag' was unexpected" in done.stdout


# ------------------------------------------------------------ (b) schema and loader agree


def accepted(loader: Any, path: str) -> bool:
    try:
        loader(path)
    except FileError:
        return False
    return True


def digest(ch: str) -> str:
    return "sha256:" + ch * 64


DIGESTS = [*(digest(ch) for ch in "abcd"), "sha384:" + "e" * 96, "sha512:" + "f" * 128]
SIG_TAGS = ["sha256-" + d.removeprefix("sha256:") + ".sig" for d in DIGESTS[:2]]
# Each near miss is refused by one rule: the loader's or the schema's pattern must see it.
BAD_DIGESTS: list[object] = [
    "sha256:abc", "sha256:" + "A" * 64, DIGESTS[0] + "\n", "sha512:" + "a" * 64,
    "sha384:" + "a" * 64, "md5:" + "a" * 32, "", 5, None, [DIGESTS[0]],
]  # fmt: skip
TAGS = ["1.0", "latest", "artifacts", "_x", "a" * 128, *SIG_TAGS]
BAD_TAGS = [".x", "-x", "a b", "", "a" * 129, "é", "x\n", "x:y"]
KEYS = [
    "h.io/p/app", "H.IO/p/app", "localhost/p/a", "h.io:5000/p/team/app", "[::1]:443/p/a",
    "h.io:00080/p/a", "Harbor/p/a", "h.io/p/a__b", "h.io/p/a---b",
    "h.io/" + "a" * 253 + "/b", "h-1.example/p1.x/a.b_c",
]  # fmt: skip
BAD_KEYS = [
    "p/app", "h.io/app", "h.io/p/app:1", f"h.io/p/app@{DIGESTS[0]}", "h.io/P/app",
    "h.io/p//app", "h.io/p/app/", "h.io:0/p/a", "h.io:65536/p/a", "h.io:/p/a", "[::1/p/a",
    "[::1]x/p/a", "[fe80::1%eth0]/p/a", "[::ffff:10.0.0.1]/p/a", "[::1]:65536/p/a", "[::1]:0/p/a", "h.io/p/app\n", "harbor/p/a", "h.io/p_/a", "h.io/p__q/a", "h.io/p/a..b",
    "-h.io/p/a", "h..io/p/a", "h.io/" + "a" * 254 + "/b", " h.io/p/a", "h.io/p/a b", "",
]  # fmt: skip

LABELS = ["prod", "x y", "é"]
BAD_LABELS: list[object] = ["", 0, None]
KINDS = ["signature.cosign", "subject.accessory", "x"]
BAD_KINDS: list[object] = ["", 3, None]


def mostly(good: list[Any], bad: list[Any]) -> st.SearchStrategy[Any]:
    """Mostly good values, so that whole files are often valid, and now and then a bad one."""
    return st.sampled_from(good * 4 + bad)


digests = mostly(DIGESTS, BAD_DIGESTS)
tags = mostly(TAGS, BAD_TAGS)
# Small strings over the characters that matter to a repository key, for the cases the
# lists above miss.
key_text = st.text(alphabet="ahH.:/_-[]%0159 @", max_size=14).map(lambda t: "h.io" + t)
keys = mostly(KEYS, BAD_KEYS) | key_text
labels = mostly(LABELS, BAD_LABELS)
kinds = mostly(KINDS, BAD_KINDS)


def mostly_lists(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A list of `inner` (repeats possible), or now and then something that is no list."""
    return st.lists(inner, max_size=3) | st.sampled_from(["x", None, {}])


accessories = st.fixed_dictionaries(
    {}, optional={"digest": digests, "type": kinds, "size": st.just(1)}
) | st.sampled_from([None, DIGESTS[0]])
artifact_entries: st.SearchStrategy[Any] = st.fixed_dictionaries(
    {},
    optional={
        "digest": digests,
        "tags": mostly_lists(tags),
        "references": mostly_lists(digests),
        "accessories": mostly_lists(accessories),
        "labels": mostly_lists(labels),
        "tag": st.just(["1"]),
    },
) | st.sampled_from(["x", None, []])
artifact_form = st.fixed_dictionaries(
    {"artifacts": st.lists(artifact_entries, max_size=4)},
    optional={"1.0": st.just(DIGESTS[0])},
)
flat_form = st.dictionaries(tags, digests, max_size=4)
repositories = artifact_form | flat_form | json_values(text=6, size=2, leaves=4)
state_files = st.dictionaries(keys, repositories, max_size=2) | json_values(text=6, size=2)


def both(good: list[Any], bad: list[Any]) -> list[tuple[bool, Any]]:
    return [(True, value) for value in good] + [(False, value) for value in bad]


def atom_cases() -> list[tuple[object, bool]]:
    """Every listed key, tag, digest, label and accessory type, alone in a file otherwise
    valid, with whether it is valid: each near miss is checked, not left to chance."""
    repo, d = "h.io/p/a", DIGESTS[0]

    def whole(**fields: object) -> dict[str, object]:
        return {repo: {"artifacts": [{"digest": d, **fields}, {"digest": DIGESTS[1]}]}}

    cases: list[tuple[object, bool]] = []
    cases += [({key: {}}, good) for good, key in both(KEYS, BAD_KEYS)]
    for good, tag in both(TAGS, BAD_TAGS):
        cases += [({repo: {tag: d}}, good), (whole(tags=[tag]), good)]
    for good, value in both(DIGESTS, BAD_DIGESTS):
        cases += [({repo: {"1": value}}, good), ({repo: {"artifacts": [{"digest": value}]}}, good)]
    # A reference must also be another artifact listed (a check beyond the schema).
    cases += [(whole(references=[value]), False) for value in BAD_DIGESTS]
    cases.append((whole(references=[DIGESTS[1]]), True))
    cases += [(whole(labels=[label]), good) for good, label in both(LABELS, BAD_LABELS)]
    for good, kind in both(KINDS, BAD_KINDS):
        cases.append((whole(accessories=[{"digest": DIGESTS[1], "type": kind}]), good))
    # Repeats within one list, and fields no artifact or accessory takes.
    cases += [
        (whole(tags=["1", "1"]), False),
        (whole(labels=["x", "x"]), False),
        (whole(references=[DIGESTS[1], DIGESTS[1]]), False),
        (whole(tag=["1"]), False),
        (whole(accessories=[{"digest": DIGESTS[1], "type": "x", "size": 1}]), False),
        (whole(accessories=[{"digest": DIGESTS[1]}]), False),
    ]
    for field in ("tags", "references", "labels", "accessories"):
        cases.append((whole(**{field: None}), False))
    # A tag with its push time (Harbor's tags[].push_time): a date-time with a time zone.
    # (A calendar mistake such as month 13 passes the schema's pattern; the loader refuses it.)
    for good, when in both(PUSH_TIMES, BAD_PUSH_TIMES):
        cases.append((whole(tags=[{"name": "1", "push_time": when}]), good))
    cases += [
        (whole(tags=[{"name": "1"}, "2"]), True),
        (whole(tags=[{"name": "-x"}]), False),
        (whole(tags=[{"push_time": PUSH_TIMES[0]}]), False),
        (whole(tags=[{"name": "1", "id": 1}]), False),
    ]
    return cases


PUSH_TIMES = ["2024-03-05T10:11:12.345Z", "2024-03-05T10:11:12Z", "2024-03-05T10:11:12+05:30"]
BAD_PUSH_TIMES = [
    "2024-03-05",
    "2024-03-05T10:11:12",
    "2024-03-05 10:11:12Z",
    "2024-03-05T10:11:12Z\n",
    None,
    1709633472,
]


@pytest.mark.parametrize(("data", "good"), atom_cases())
def test_each_listed_value_agrees(tmp_path: Path, data: object, good: bool) -> None:
    assert STATE.is_valid(data) == good
    assert accepted(load_state_file, write(tmp_path, data)) == good


def repository_key(key: str) -> str:
    host, _, path = key.partition("/")
    return f"{host.lower()}/{path}"


def state_cross_reference_error(data: dict[str, Any]) -> bool:
    """Whether a file the schema accepts breaks a rule the schema cannot express."""
    if len({repository_key(key) for key in data}) < len(data):
        return True
    return any(_repository_cross_error(value) for value in data.values())


def _repository_cross_error(value: dict[str, Any]) -> bool:
    if isinstance(value.get("artifacts"), list):
        listed = value["artifacts"]
    else:  # the flat form: one artifact per digest, carrying its tags
        by_digest: dict[str, list[str]] = {}
        for tag, target in value.items():
            by_digest.setdefault(target, []).append(tag)
        listed = [{"digest": d, "tags": t} for d, t in by_digest.items()]
    present = [entry["digest"] for entry in listed]
    # A tag repeated within one artifact is the schema's (uniqueItems); across two, not.
    all_tags = [tag for entry in listed for tag in set(entry.get("tags", []))]
    if len(set(present)) < len(present) or len(set(all_tags)) < len(all_tags):
        return True
    edges: dict[str, list[str]] = {d: [] for d in present}
    for entry in listed:
        accessory_digests = [a["digest"] for a in entry.get("accessories", [])]
        if len(set(accessory_digests)) < len(accessory_digests):
            return True
        linked = [*entry.get("references", []), *accessory_digests]
        if any(d == entry["digest"] or d not in edges for d in linked):
            return True
        edges[entry["digest"]] += linked
        for tag in entry.get("tags", []):
            subject = cosign_subject(tag)
            if subject in edges and subject != entry["digest"]:
                edges[subject].append(entry["digest"])  # the cosign signature, by tag
    return _has_cycle(edges)


def _has_cycle(edges: dict[str, list[str]]) -> bool:
    def reaches(start: str, node: str, seen: set[str]) -> bool:
        for step in edges[node]:
            if step == start or (step not in seen and reaches(start, step, seen | {step})):
                return True
        return False

    return any(reaches(node, node, {node}) for node in edges)


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=state_files)
def test_state_schema_accepts_exactly_what_the_loader_accepts(tmp_path: Path, data: Any) -> None:
    assume(is_json(data))
    valid = STATE.is_valid(data)
    loads = accepted(load_state_file, write(tmp_path, data))
    if valid and state_cross_reference_error(data):
        assert not loads, "the loader accepted a file that breaks a cross-reference rule"
    else:
        assert loads == valid, list(STATE.iter_errors(data))[:1]


def test_the_state_generator_reaches_both_answers_and_every_form() -> None:
    # The agreement test proves little if the generator never makes a valid artifact form.
    # Valid files are rare draws (about 1 in 80 for the flat form): a random seed missed one
    # now and then, so this asks of one fixed sequence of draws, the same on every run.
    seen: set[tuple[bool, str]] = set()

    @settings(max_examples=400, database=None, derandomize=True)
    @given(data=state_files)
    def collect(data: Any) -> None:
        if isinstance(data, dict) and data:
            value = next(iter(data.values()))
            form = "artifacts" if isinstance(value, dict) and "artifacts" in value else "flat"
            seen.add((STATE.is_valid(data), form))

    collect()
    assert {(True, "artifacts"), (True, "flat"), (False, "artifacts"), (False, "flat")} <= seen


integers = (
    st.integers(-(2**64), 2**64)
    | st.sampled_from([0, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1])
    | st.sampled_from([1.0, 1.5, 1e20, -0.0])
)
strings_or_not: st.SearchStrategy[Any] = (
    st.text(max_size=4) | st.none() | st.integers(0, 1) | st.booleans() | st.just([])
)
selector: st.SearchStrategy[Any] = st.fixed_dictionaries(
    {},
    optional={
        "kind": strings_or_not,
        "decoration": strings_or_not,
        "pattern": strings_or_not,
        "extras": strings_or_not,
        "other": json_values(size=2, leaves=3),
    },
) | st.sampled_from([None, "x", 1, []])
selectors: st.SearchStrategy[Any] = st.lists(selector, max_size=2) | st.sampled_from(
    [None, "x", {}]
)
rule: st.SearchStrategy[Any] = st.fixed_dictionaries(
    {},
    optional={
        "id": integers | strings_or_not,
        "priority": integers | strings_or_not,
        "disabled": st.booleans() | strings_or_not,
        "action": strings_or_not,
        "template": strings_or_not,
        "params": json_values(size=2, leaves=3),
        "scope_selectors": st.dictionaries(st.sampled_from(["repository", "x"]), selectors)
        | st.sampled_from([None, [], "x"]),
        "tag_selectors": selectors,
        "creation_time": st.just("2024-01-01T00:00:00Z"),
    },
) | st.sampled_from([None, "x", 1, []])
rule_lists = st.lists(rule, max_size=3)
rules_files: st.SearchStrategy[Any] = (
    rule_lists
    | st.dictionaries(
        st.text(max_size=5), rule_lists | st.sampled_from([None, {}, "x"]), max_size=3
    )
    | json_values(text=6, size=2)
)


def rules_out_of_int64(data: Any) -> bool:
    """Whether a file the schema accepts holds an integer id or priority beyond int64."""
    lists = data.values() if isinstance(data, dict) else [data]
    return any(
        isinstance(value, int) and not isinstance(value, bool) and value not in INT64
        for rules in lists
        for entry in rules
        for value in (entry.get("id"), entry.get("priority"))
    )


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rules_files)
def test_rules_schema_accepts_exactly_what_the_loader_accepts(tmp_path: Path, data: Any) -> None:
    assume(is_json(data))
    valid = RULES.is_valid(data)
    loads = accepted(load_rules_file, write(tmp_path, data))
    if valid and rules_out_of_int64(data):
        assert not loads, "the loader accepted an integer Harbor cannot hold"
    else:
        assert loads == valid, list(RULES.iter_errors(data))[:1]


INTEGERS = [0, 1, -1, 2**63 - 1, -(2**63), None, 1.0, 1e20]
STRINGS = ["", "immutable", "**", None]
NOT_STRINGS: list[object] = [1, True, [], {}]
RULE_FIELDS: dict[str, tuple[list[Any], list[Any]]] = {
    "id": (INTEGERS, ["1", True, 1.5, [], {}]),
    "priority": (INTEGERS, ["0", False, 0.5]),
    "disabled": ([True, False, None], [0, "false", []]),
    "action": (STRINGS, NOT_STRINGS),
    "template": (STRINGS, NOT_STRINGS),
    "params": ([{}, {"x": {}}, None, "anything", [1]], []),
    "scope_selectors": (
        [{}, None, {"repository": []}, {"repository": None}, {"x": [{}], "repository": [{}]}],
        [[], "x", {"repository": "x"}, {"repository": [None]}, {"x": [1]}, {"x": {}}],
    ),
    "tag_selectors": ([[], None, [{}], [{"other": 1}]], [{}, "x", [None], [1], [[]]]),
}


def rules_atom_cases() -> list[tuple[object, bool]]:
    """Each value of each rule and selector field in a file otherwise valid."""
    cases: list[tuple[object, bool]] = []
    for name, (good, bad) in RULE_FIELDS.items():
        cases += [([{**rule_json(1), name: value}], ok) for ok, value in both(good, bad)]
    for name in ("kind", "decoration", "pattern", "extras"):
        for ok, value in both(STRINGS, NOT_STRINGS):
            cases.append(([rule_json(1, tag_selectors=[{name: value}])], ok))
            repository = {"repository": [{name: value}]}
            cases.append(({"p": [rule_json(1, scope_selectors=repository)]}, ok))
    # Keys are matched to fields without regard to case, as Go's encoding/json matches
    # them (a long s and the Kelvin sign fold to 's' and 'k'): each such key is the field.
    variants = {"ID": "id", "Id": "id", "PRIORITY": "priority", "Disabled": "disabled"}
    for key, name in variants.items():
        good, bad = RULE_FIELDS[name]
        cases += [([{key: value}], ok) for ok, value in both(good, bad)]
    for key in ("Tag_Selectors", "TAG_SELECTORS", "tag_\u017felectors"):
        cases += [([{"id": 1, key: value}], ok) for ok, value in both([[{}], None], ["x", [1]])]
    for key in ("Pattern", "\u212aind", "EXTRAS"):
        cases += [
            ([rule_json(1, tag_selectors=[{key: value}])], ok)
            for ok, value in both(STRINGS, NOT_STRINGS)
        ]
    good_files: list[object] = [[], {}, {"p": []}, {"": [{}]}]
    bad_files: list[object] = ["x", 1, None, {"p": None}, {"p": {}}, [None], [1], [[]]]
    return cases + [(data, ok) for ok, data in both(good_files, bad_files)]


@pytest.mark.parametrize(("data", "good"), rules_atom_cases())
def test_each_rule_field_value_agrees(tmp_path: Path, data: object, good: bool) -> None:
    assert RULES.is_valid(data) == good
    assert accepted(load_rules_file, write(tmp_path, data)) == good


def test_check_jsonschema_refuses_a_key_without_a_path_at_once(tmp_path: Path) -> None:
    # check-jsonschema matches patterns with a backtracking ECMAScript engine (regress). A
    # host label written `[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?` can split a run of
    # letters in exponentially many ways there, so a key that is a long host without a path
    # took hours to refuse; each label is now matched one way only.
    program = str(Path(sys.executable).parent / "check-jsonschema")
    schema_file = resources.files("tagguard").joinpath("schemas/state.schema.json")
    key = ".".join(["a" * 40] * 3)
    done = subprocess.run(
        [program, "--schemafile", str(schema_file), write(tmp_path, {key: {}})],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert not STATE.is_valid({key: {}})
    assert not accepted(load_state_file, write(tmp_path, {key: {}}))
