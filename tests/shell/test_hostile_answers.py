"""Whatever Harbor answers and whatever a docker config holds, tagguard either understands it
or raises its own error, in one line naming the source: never another exception."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core.rules import parse_rules
from tagguard.errors import TagguardError
from tagguard.shell.credentials import CredentialStore, load_docker_config
from tagguard.shell.harbor import _artifact_fields

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)
SELECTOR = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["doublestar", "regex", ""]) | JSON,
        "decoration": st.sampled_from(["matches", "excludes", "repoMatches", "repoExcludes"])
        | JSON,
        "pattern": st.text(max_size=12) | JSON,
    },
)
RULE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | JSON,
        "disabled": st.booleans() | JSON,
        "priority": st.integers() | JSON,
        "action": st.just("immutable") | JSON,
        "scope_selectors": st.fixed_dictionaries(
            {}, optional={"repository": st.lists(SELECTOR) | JSON}
        )
        | JSON,
        "tag_selectors": st.lists(SELECTOR, max_size=3) | JSON,
    },
)
TAG = st.fixed_dictionaries(
    {}, optional={"name": st.text(max_size=10) | JSON, "immutable": st.booleans() | JSON}
)
ARTIFACT = st.fixed_dictionaries(
    {},
    optional={
        "digest": st.sampled_from(["sha256:" + "a" * 64, "sha256:x", ""]) | JSON,
        "tags": st.lists(TAG, max_size=3) | st.none() | JSON,
    },
)


def _one_line(error: TagguardError, source: str) -> None:
    assert "\n" not in error.message
    assert source in error.message


@settings(max_examples=300, deadline=None)
@given(st.lists(RULE, max_size=4) | JSON)
def test_any_rules_answer(data: Any) -> None:
    try:
        rules = parse_rules(data, "rules of project p from h.io")
    except TagguardError as error:
        _one_line(error, "rules of project p from h.io")
    else:
        assert isinstance(rules, tuple)


@settings(max_examples=300, deadline=None)
@given(ARTIFACT | JSON)
def test_any_artifact_answer(data: Any) -> None:
    try:
        digest, tags = _artifact_fields(data, "reading p/app:v1", "h.io")
    except TagguardError as error:
        _one_line(error, "p/app:v1")
    else:
        assert digest.startswith("sha256:")
        assert all(isinstance(t.name, str) for t in tags)


AUTH_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "auth": st.text(max_size=30)
        | st.binary(max_size=20).map(lambda b: __import__("base64").b64encode(b).decode())
        | JSON,
        "username": st.text(max_size=10) | JSON,
        "password": st.text(max_size=10) | JSON,
        "identitytoken": st.text(max_size=10) | JSON,
    },
)
CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "auths": st.dictionaries(
            st.sampled_from(["h.io", "https://h.io", "h.io/v1/", "other"]),
            AUTH_ENTRY | JSON,
            max_size=3,
        )
        | JSON
    },
)


def _no_helpers(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError("no credential helper may run for these configs")


@settings(max_examples=300, deadline=None)
@given(CONFIG)
def test_any_docker_config_entry(config: dict[str, Any]) -> None:
    store = CredentialStore(
        docker_config=config, docker_config_path="/c/config.json", run=_no_helpers
    )
    try:
        found = store.for_host("h.io")
    except TagguardError as error:
        _one_line(error, "/c/config.json")
    else:
        assert found is None or isinstance(found.username, str)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60) | JSON.map(json.dumps))
def test_any_docker_config_file(tmp_path_factory: Any, text: str) -> None:
    directory: Path = tmp_path_factory.mktemp("docker")
    (directory / "config.json").write_text(text)
    try:
        data, path = load_docker_config({"DOCKER_CONFIG": str(directory)}, Path("/nonexistent"))
    except TagguardError as error:
        _one_line(error, str(directory / "config.json"))
    else:
        assert isinstance(data, dict)
        assert path.endswith("config.json")
