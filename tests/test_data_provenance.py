"""The repository's copy of Harbor's test vectors and API definition is the project's shared
one, byte for byte, wherever shared/ can be found; a plain clone uses the copy alone."""

from __future__ import annotations

import pytest

from tests.conftest import HARBOR_DATA, shared_dir

FILES = (
    "vectors/patterns.jsonl",
    "vectors/selectors.jsonl",
    "vectors/rules.jsonl",
    "swagger.yaml",
)


def test_every_file_the_tests_need_is_in_the_repository() -> None:
    for name in FILES:
        assert (HARBOR_DATA / name).stat().st_size > 0, name
    assert (HARBOR_DATA / "PROVENANCE.md").is_file()


@pytest.mark.parametrize("name", FILES)
def test_the_copy_is_the_shared_file(name: str) -> None:
    shared = shared_dir() / "harbor" / name
    if not shared.is_file():
        pytest.skip(f"no shared/ to check against ({shared}): the repository's copy is used")
    assert (HARBOR_DATA / name).read_bytes() == shared.read_bytes(), (
        f"tests/data/harbor/{name} differs from {shared}: copy the new one and say so in "
        "tests/data/harbor/PROVENANCE.md"
    )
