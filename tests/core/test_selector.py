"""Harbor's doublestar selector against the vectors from its selector_test.go."""

from __future__ import annotations

from typing import Any

import pytest

from tagguard.core import glob
from tagguard.core.selector import Candidate, SelectorError, check_selector, select
from tests.conftest import load_vectors

SELECTOR_VECTORS = load_vectors("selectors.jsonl")


def candidates(vector: dict[str, Any]) -> dict[str, Candidate]:
    return {
        key: Candidate(repository=c["repository"], tags=tuple(c["tags"]), namespace=c["namespace"])
        for key, c in vector["candidates"].items()
    }


@pytest.mark.parametrize("vector", SELECTOR_VECTORS, ids=[v["source"] for v in SELECTOR_VECTORS])
def test_selector_vector(vector: dict[str, Any]) -> None:
    by_key = candidates(vector)
    ordered = tuple(by_key[k] for k in sorted(by_key))
    chosen = select(
        "doublestar",
        vector["decoration"],
        vector["pattern"],
        ordered,
        untagged=vector["untagged"],
        glob_version=glob.NEWEST,
    )
    selected = "".join(k for k in sorted(by_key) if by_key[k] in chosen)
    assert selected == vector["selected"]


@pytest.mark.parametrize(
    ("kind", "decoration", "message"),
    [
        ("", "matches", "empty selector kind or decoration"),
        ("doublestar", "", "empty selector kind or decoration"),
        ("label", "withLabels", "selector label is not registered"),
        (
            "doublestar",
            "withLabels",
            "decoration withLabels of selector doublestar is not supported",
        ),
    ],
)
def test_the_index_refuses_what_harbor_refuses(kind: str, decoration: str, message: str) -> None:
    with pytest.raises(SelectorError, match=message):
        check_selector(kind, decoration)


def test_namespace_decorations_never_select_an_empty_namespace() -> None:
    only = (Candidate(repository="app", tags=("v1",)),)
    for decoration in ("nsMatches", "nsExcludes"):
        assert (
            select("doublestar", decoration, "**", only, untagged=True, glob_version=glob.NEWEST)
            == ()
        )
