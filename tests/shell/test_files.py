"""Rules and state files: every way they can be wrong is one line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

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
    ],
)
def test_bad_rules_files(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(FileError) as caught:
        load_rules_file(path)
    assert caught.value.message.startswith(path)
    assert message in caught.value.message


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
