"""Rules and state files: every way they can be wrong is one line naming the file."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tagguard.core.state import COSIGN, Accessory, ArtifactInfo, StateTable
from tagguard.errors import FileError, TagguardError
from tagguard.shell.files import load_rules_file, load_state_file
from tests.conftest import EXAMPLES
from tests.strategies import json_values

DIGEST = "sha256:" + "c" * 64


def write(tmp_path: Path, content: str | bytes, name: str = "f.json") -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def test_examples_load() -> None:
    rules = load_rules_file(str(EXAMPLES / "rules.json"))
    assert rules.by_project is not None
    assert set(rules.by_project) == {"platform", "legacy"}
    state = load_state_file(str(EXAMPLES / "state.json"))
    assert "harbor.example.com/platform/api" in state.repositories


def test_array_rules_apply_to_every_project(tmp_path: Path) -> None:
    table = load_rules_file(write(tmp_path, "[]"))
    assert table.for_project("anything") == ()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "not valid JSON: line 1 column 1"),
        ("[", "not valid JSON"),
        ("[NaN]", "NaN is not a JSON value"),
        (b"\xff\xfe", "is not UTF-8 text"),
        ('"x"', "expected Harbor's JSON array of rules"),
        ('{"p": {}}', "project 'p': expected a JSON array of rules, found an object"),
        ('[{"id": "x"}]', "rule #1: id must be an integer"),
        ("[" * 100000 + "]" * 100000, "not valid JSON"),
        # json's message ends "...character at" for its position, given before it here.
        ('[{"action": "a\x01"}]', "line 1 column 15: Invalid control character$"),
    ],
)
def test_bad_rules_files(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(FileError) as caught:
        load_rules_file(path)
    assert caught.value.message.startswith(path)
    assert re.search(
        re.escape(message.removesuffix("$")) + ("$" if message.endswith("$") else ""),
        caught.value.message,
    )


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="no such file"):
        load_rules_file(str(tmp_path / "nope.json"))
    with pytest.raises(FileError, match="is a directory"):
        load_state_file(str(tmp_path))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object such as"),
        ({"proj/app": {}}, "names no registry host"),
        ({"h.io/p/app:1": {}}, "without tag or digest"),
        ({"h.io/p/app": []}, "expected an object mapping tags to digests"),
        ({"h.io/p/app": {"1.0": 5}}, "must map to a digest string"),
        ({"h.io/p/app": {"1.0": "sha256:abc"}}, "has 64 hex digits"),
        ({"h.io/p/app": {"bad tag": DIGEST}}, "contains ' '"),
    ],
)
def test_bad_state_files(tmp_path: Path, data: object, message: str) -> None:
    path = write(tmp_path, json.dumps(data))
    with pytest.raises(FileError, match=message.replace("(", r"\(")) as caught:
        load_state_file(path)
    assert path in caught.value.message


def test_state_keys_are_normalised(tmp_path: Path) -> None:
    table = load_state_file(write(tmp_path, json.dumps({"H.IO/p/app": {"1": DIGEST}})))
    assert table.repository("h.io/p/app").tags() == {"1": DIGEST}


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=json_values(text=8))
def test_any_json_loads_or_raises_a_one_line_file_error(tmp_path: Path, data: object) -> None:
    path = write(tmp_path, json.dumps(data))
    for loader in (load_rules_file, load_state_file):
        try:
            loader(path)
            failure: TagguardError | None = None
        except TagguardError as error:
            failure = error
        if failure is not None:
            assert isinstance(failure, FileError)
            assert "\n" not in failure.message
            assert path in failure.message


# ------------------------------------------------------------------ state files: artifacts

A, B, C = ("sha256:" + ch * 64 for ch in "abc")


def signature_tag(digest: str) -> str:
    """The tag cosign pushes a signature of `digest` under."""
    return "sha256-" + digest.removeprefix("sha256:") + ".sig"


def load(tmp_path: Path, data: object) -> StateTable:
    return load_state_file(write(tmp_path, json.dumps(data)))


def test_artifact_example_holds_whole_artifacts() -> None:
    path = EXAMPLES / "state-artifacts.json"
    written = json.loads(path.read_text())
    table = load_state_file(str(path))
    assert set(table.repositories) == set(written)
    for key, value in written.items():
        state = table.repository(key)
        assert [a.digest for a in state.artifacts] == [a["digest"] for a in value["artifacts"]]
        for entry, artifact in zip(value["artifacts"], state.artifacts, strict=True):
            assert [t.name for t in artifact.tags] == entry.get("tags", [])
            assert list(artifact.children) == entry.get("references", [])
            assert list(artifact.labels) == entry.get("labels", [])
            explicit = [Accessory(a["digest"], a["type"]) for a in entry.get("accessories", [])]
            # Listed accessories first, then each artifact tagged as its cosign signature.
            signed_by = [
                Accessory(other["digest"], COSIGN)
                for other in value["artifacts"]
                if signature_tag(entry["digest"]) in other.get("tags", [])
            ]
            assert list(artifact.accessories) == explicit + signed_by
    # The example holds what it promises: an index with a tagged child, a cosign signature.
    assert any(a.children and any(state_has_tag(table, a, c) for c in a.children)
               for s in table.repositories.values() for a in s.artifacts)  # fmt: skip
    assert any(acc.kind == COSIGN for s in table.repositories.values()
               for a in s.artifacts for acc in a.accessories)  # fmt: skip


def state_has_tag(table: StateTable, parent: ArtifactInfo, child: str) -> bool:
    holder = next(s for s in table.repositories.values() if parent in s.artifacts)
    found = holder.find(child)
    return found is not None and bool(found.tags)


def test_both_forms_in_one_file_and_a_tag_named_artifacts(tmp_path: Path) -> None:
    table = load(
        tmp_path,
        {
            "h.io/p/flat": {"artifacts": A, "1.0": B},
            "h.io/p/whole": {"artifacts": [{"digest": A, "tags": ["artifacts"]}]},
            "h.io/p/empty": {"artifacts": []},
        },
    )
    assert table.repository("h.io/p/flat").tags() == {"artifacts": A, "1.0": B}
    assert table.repository("h.io/p/whole").tags() == {"artifacts": A}
    assert table.repository("h.io/p/empty").artifacts == ()


def test_cosign_tags_link_in_both_forms(tmp_path: Path) -> None:
    sig = signature_tag(A)
    flat = load(tmp_path, {"h.io/p/a": {"1": A, sig: B}}).repository("h.io/p/a")
    whole = load(
        tmp_path,
        {"h.io/p/a": {"artifacts": [
            {"digest": A, "tags": ["1"], "accessories": [{"digest": C, "type": "subject.accessory"}]},
            {"digest": B, "tags": [sig]},
            {"digest": C},
        ]}},
    ).repository("h.io/p/a")  # fmt: skip
    flat_a, whole_a = flat.find("1"), whole.find("1")
    assert flat_a is not None
    assert whole_a is not None
    assert flat_a.accessories == (Accessory(B, COSIGN),)
    assert whole_a.accessories == (Accessory(C, "subject.accessory"), Accessory(B, COSIGN))
    # A signature tag whose subject is not in the repository links nothing.
    alone = load(tmp_path, {"h.io/p/a": {signature_tag(C): B}}).repository("h.io/p/a")
    assert all(a.accessories == () for a in alone.artifacts)


def artifacts(*items: object) -> dict[str, object]:
    return {"h.io/p/app": {"artifacts": list(items)}}


BAD_ARTIFACT_STATES = [
    (artifacts({"digest": A, "tag": ["1"]}), "artifacts[0]: an artifact does not take 'tag'"),
    (artifacts({"tags": ["1"]}), 'artifacts[0]: an artifact needs "digest"'),
    (artifacts("x"), "artifacts[0]: expected an artifact object"),
    (artifacts({"digest": "sha256:ab"}), "artifacts[0].digest: a sha256 digest has 64"),
    (artifacts({"digest": A, "tags": "1"}), "artifacts[0].tags: expected an array"),
    (artifacts({"digest": A, "tags": [1]}), "artifacts[0].tags[0]: expected a string"),
    (artifacts({"digest": A, "tags": ["1", "-x"]}), "artifacts[0].tags[1]: tag '-x' must start"),
    (artifacts({"digest": A, "tags": ["1", "1"]}), "artifacts[0].tags[1]: '1' is listed twice"),
    (artifacts({"digest": A, "tags": ["1", {"name": "1"}]}), "artifacts[0].tags[1]: '1' is listed twice"),
    (artifacts({"digest": A, "tags": [{"push_time": "2024-01-01T00:00:00Z"}]}), 'artifacts[0].tags[0]: a tag needs "name"'),
    (artifacts({"digest": A, "tags": [{"name": "1", "id": 3}]}), "artifacts[0].tags[0]: a tag does not take 'id'"),
    (artifacts({"digest": A, "tags": [{"name": "-x"}]}), "artifacts[0].tags[0].name: tag '-x' must start"),
    (artifacts({"digest": A, "tags": [{"name": "1", "push_time": "2024-01-01"}]}), "artifacts[0].tags[0].push_time: expected a date-time"),
    (artifacts({"digest": A, "tags": [{"name": "1", "push_time": "2024-01-01T00:00:00"}]}), "artifacts[0].tags[0].push_time: expected a date-time"),
    (artifacts({"digest": A, "tags": [{"name": "1", "push_time": "2024-13-01T00:00:00Z"}]}), "artifacts[0].tags[0].push_time: expected a date-time"),
    (artifacts({"digest": A, "tags": [{"name": "1", "push_time": None}]}), "artifacts[0].tags[0].push_time: expected a date-time"),
    (artifacts({"digest": A, "labels": [""]}), "artifacts[0].labels[0]: a label name is not empty"),
    (artifacts({"digest": A, "references": [A]}), "artifacts[0].references[0]: " + A + " is the artifact itself"),
    (artifacts({"digest": A}, {"digest": A}), "artifacts[1].digest: " + A + " is already artifacts[0]"),
    (
        artifacts({"digest": A, "tags": ["x"]}, {"digest": B, "tags": ["y", "x"]}),
        "artifacts[1].tags[1]: tag 'x' is already on artifacts[0]",
    ),
    (
        artifacts({"digest": A, "references": [B]}),
        "artifacts[0].references[0]: " + B + " is not an artifact of this repository",
    ),
    (
        artifacts({"digest": A, "accessories": [{"digest": C, "type": COSIGN}]}, {"digest": B}),
        "artifacts[0].accessories[0]: " + C + " is not an artifact of this repository",
    ),
    (
        artifacts({"digest": A, "accessories": [{"digest": B, "type": "x"}, {"digest": B, "type": "y"}]}, {"digest": B}),
        "artifacts[0].accessories[1]: " + B + " is listed twice",
    ),
    (artifacts({"digest": A, "accessories": [{"digest": B}]}), 'accessories[0]: an accessory needs "type"'),
    (artifacts({"digest": A, "accessories": [{"digest": B, "type": ""}]}), "accessories[0].type: an accessory type"),
    (artifacts({"digest": A, "accessories": [{"digest": B, "type": "t", "size": 1}]}), "accessories[0]: an accessory does not take 'size'"),
    (
        artifacts({"digest": A, "references": [B]}, {"digest": B, "accessories": [{"digest": A, "type": "t"}]}),
        "artifacts reference each other in a cycle: artifacts[0] -> artifacts[1] -> artifacts[0]",
    ),
    (
        # The cycle runs through a cosign tag: B signs A, and B (an index) lists A.
        artifacts({"digest": A}, {"digest": B, "tags": [signature_tag(A)], "references": [A]}),
        "in a cycle: artifacts[0] -> artifacts[1] -> artifacts[0]",
    ),
    ({"h.io/p/app": {signature_tag(A): B, "1": A, signature_tag(B): A}}, "in a cycle"),
    ({"h.io/p/app": {"artifacts": [], "1": A}}, 'takes nothing else, found \'1\''),
    ({"h.io/p/app": {"artifacts": {}}}, "tag 'artifacts' must map to a digest string (the artifact form"),
    ({"h.io/p/app": "x"}, 'or {"artifacts": [...]}'),
    ({"H.IO/p/app": {}, "h.io/p/app": {}}, "'h.io/p/app' names the same repository as 'H.IO/p/app'"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD_ARTIFACT_STATES)
def test_bad_artifact_states_name_file_repository_and_path(
    tmp_path: Path, data: dict[str, object], message: str
) -> None:
    path = write(tmp_path, json.dumps(data))
    with pytest.raises(FileError) as caught:
        load_state_file(path)
    text = caught.value.message
    assert text.startswith(f"{path}: {next(iter(data))!r}") or text.startswith(f"{path}: 'h.io")
    assert message in text
    assert "\n" not in text


def test_a_key_repeated_in_a_state_file_is_refused(tmp_path: Path) -> None:
    # Python keeps the last of two equal keys: the first repository's tags would vanish.
    path = write(tmp_path, f'{{"h.io/p/a": {{"1": "{A}"}}, "h.io/p/a": {{}}}}')
    with pytest.raises(FileError, match=r"key 'h\.io/p/a' appears twice in one object"):
        load_state_file(path)
    inner = write(tmp_path, f'{{"h.io/p/a": {{"1": "{A}", "1": "{B}"}}}}', "inner.json")
    with pytest.raises(FileError, match="key '1' appears twice"):
        load_state_file(inner)


def test_a_long_chain_of_references_is_not_a_recursion(tmp_path: Path) -> None:
    # The cycle check walks iteratively: a hostile chain cannot exhaust the stack.
    digests = [f"sha256:{i:064x}" for i in range(5000)]
    chain = [
        {"digest": d, "references": [digests[i + 1]] if i + 1 < len(digests) else []}
        for i, d in enumerate(digests)
    ]
    state = load(tmp_path, {"h.io/p/a": {"artifacts": chain}}).repository("h.io/p/a")
    assert len(state.artifacts) == 5000
    chain[-1]["references"] = [digests[0]]
    with pytest.raises(FileError, match="in a cycle"):
        load(tmp_path, {"h.io/p/a": {"artifacts": chain}})


# State files the schema tests also validate: every form the loader accepts.
GOOD_STATES: list[object] = [
    {},
    {"h.io/p/app": {}},
    {"H.IO:5000/p/team/app": {"1.0": A, "latest": A, signature_tag(A): B}},
    {"[::1]:443/p/a": {"artifacts": A}, "localhost/p/a": {"artifacts": []}},
    artifacts(
        {"digest": A, "tags": ["1", "latest"], "references": [B], "labels": ["prod", "x y"]},
        {"digest": B, "tags": ["1-amd64"], "accessories": [{"digest": C, "type": COSIGN}]},
        {"digest": C, "tags": [signature_tag(B)]},
    ),
]


@pytest.mark.parametrize("data", GOOD_STATES)
def test_good_states_load(tmp_path: Path, data: object) -> None:
    table = load(tmp_path, data)
    assert isinstance(data, dict)
    assert len(table.repositories) == len(data)


# ------------------------------------------------------------------ the wrong file given

RULES_ARRAY = json.loads((EXAMPLES / "rules.json").read_text())["platform"]


@pytest.mark.parametrize("state", ["state.json", "state-artifacts.json"])
def test_a_state_file_given_as_rules_is_named_as_one(state: str) -> None:
    # Before: "project 'harbor.example.com/platform/api': expected a JSON array of rules".
    with pytest.raises(FileError) as caught:
        load_rules_file(str(EXAMPLES / state))
    assert "this is a state file, not a rules file" in caught.value.message
    assert "--state-file" in caught.value.message


@pytest.mark.parametrize(
    "rules", [RULES_ARRAY, {"platform": RULES_ARRAY}, {"a": RULES_ARRAY[:1], "b": []}]
)
def test_a_rules_file_given_as_state_is_named_as_one(tmp_path: Path, rules: object) -> None:
    # Before: "key reference 'platform' names no registry host, so docker would use Docker
    # Hub", a lecture about references for a file that holds none.
    with pytest.raises(FileError) as caught:
        load_state_file(write(tmp_path, json.dumps(rules)))
    assert "this is a rules file" in caught.value.message
    assert "--rules-file" in caught.value.message
    assert "Docker Hub" not in caught.value.message


def test_the_examples_are_told_apart_from_each_other() -> None:
    load_rules_file(str(EXAMPLES / "rules.json"))
    load_state_file(str(EXAMPLES / "state.json"))
    with pytest.raises(FileError, match="this is a rules file"):
        load_state_file(str(EXAMPLES / "rules.json"))


@pytest.mark.parametrize(
    "content",
    [
        "- id: 1\n  action: immutable\n",
        "---\nplatform:\n  - id: 1\n",
        "# rules\nplatform: []\n",
        "platform:\n- id: 1\n",
    ],
)
def test_a_yaml_file_is_named_as_yaml(tmp_path: Path, content: str) -> None:
    # Before: "not valid JSON: line 1 column 1: Expecting value".
    path = write(tmp_path, content, "rules.yaml")
    with pytest.raises(FileError) as caught:
        load_rules_file(path)
    assert caught.value.message == (
        f"{path}: looks like YAML, but a rules file is JSON, as Harbor's API returns the "
        "rules; convert it, e.g. with yq -o=json"
    )
    with pytest.raises(FileError, match="looks like YAML, but a state file is JSON"):
        load_state_file(path)


@pytest.mark.parametrize("content", ["[", '{"a": 1,}', "NaN", "x"])
def test_broken_json_is_not_called_yaml(tmp_path: Path, content: str) -> None:
    with pytest.raises(FileError) as caught:
        load_rules_file(write(tmp_path, content))
    assert "not valid JSON" in caught.value.message
    assert "YAML" not in caught.value.message


def test_a_tag_may_carry_its_push_time(tmp_path: Path) -> None:
    # Harbor's tags[].push_time: which tag a copy's push event names (the newest pushed,
    # tag model GetDefaultSorts). A tag given by name alone has an unknown push time.
    data = artifacts(
        {
            "digest": A,
            "tags": [{"name": "v1", "push_time": "2024-03-05T10:11:12.345Z"}, {"name": "v2"}, "v3"],
        }
    )
    table = load_state_file(write(tmp_path, json.dumps(data)))
    found = table.repository("h.io/p/app").find(A)
    assert found is not None
    assert [(t.name, t.push_time) for t in found.tags] == [
        ("v1", datetime(2024, 3, 5, 10, 11, 12, 345000, tzinfo=UTC)),
        ("v2", None),
        ("v3", None),
    ]
