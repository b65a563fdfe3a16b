"""tagguard.reporters.versioning: the version every JSON document starts with."""

from __future__ import annotations

from typing import Any

from tagguard.reporters.versioning import SCHEMA_VERSION, versioned


def test_the_version_comes_first_and_the_data_follows_in_order() -> None:
    document = versioned({"b": 1, "a": [2]})
    assert list(document.items()) == [("schema_version", SCHEMA_VERSION), ("b", 1), ("a", [2])]


def test_the_data_given_is_not_changed() -> None:
    data: dict[str, Any] = {"findings": []}
    versioned(data)
    assert data == {"findings": []}
