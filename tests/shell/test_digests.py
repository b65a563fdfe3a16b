"""Where a push's digest comes from besides --digest: an OCI image layout's index.json, a
buildx metadata file, and reference lists as docker/metadata-action writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tagguard.errors import FileError
from tagguard.shell.digests import (
    REF_NAME,
    digest_from_metadata_file,
    digest_from_oci_layout,
    references_from_file,
    references_from_text,
)

APP = "sha256:" + "a" * 64
WEB = "sha256:" + "b" * 64


def manifest(digest: object, name: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"mediaType": "application/vnd.oci.image.index.v1+json"}
    if digest is not None:
        entry["digest"] = digest
    if name is not None:
        entry["annotations"] = {REF_NAME: name}
    return entry


def layout(directory: Path, *manifests: object) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "index.json").write_text(json.dumps({"manifests": list(manifests)}))
    return directory


def test_the_only_manifest_of_a_layout_needs_no_name(tmp_path: Path) -> None:
    out = layout(tmp_path / "oci", manifest(APP))
    assert digest_from_oci_layout(str(out)) == APP


def test_a_named_manifest_is_picked_by_its_ref_name(tmp_path: Path) -> None:
    out = layout(tmp_path / "oci", manifest(APP, "app"), manifest(WEB, "web"))
    assert digest_from_oci_layout(f"{out}:web") == WEB
    assert digest_from_oci_layout(f"{out}:app") == APP


def test_a_directory_whose_name_holds_a_colon_is_the_layout_itself(tmp_path: Path) -> None:
    out = layout(tmp_path / "build:oci", manifest(APP, "app"))
    assert digest_from_oci_layout(str(out)) == APP
    assert digest_from_oci_layout(f"{out}:app") == APP


@pytest.mark.parametrize(
    ("manifests", "ref", "message"),
    [
        ((), None, "holds no manifests"),
        ((manifest(APP, "app"), manifest(WEB, "web")), None, "holds 2 manifests; name one as"),
        (
            (manifest(APP, "app"), manifest(WEB, "web")),
            "db",
            r"no manifest is named 'db' \(names: app, web\)",
        ),
        ((manifest(APP),), "app", r"no manifest is named 'app' \(names: none\)"),
        ((manifest(APP, "app"), manifest(WEB, "app")), "app", "2 manifests are named 'app'"),
        ((manifest(None),), None, "manifest digest is missing"),
        ((manifest("sha256:beef"),), None, "manifest digest: a sha256 digest has 64 hex digits"),
    ],
)
def test_a_layout_that_names_no_single_digest_is_a_file_error(
    tmp_path: Path, manifests: tuple[object, ...], ref: str | None, message: str
) -> None:
    out = layout(tmp_path / "oci", *manifests)
    with pytest.raises(FileError, match=message) as raised:
        digest_from_oci_layout(f"{out}:{ref}" if ref else str(out))
    assert "\n" not in raised.value.message


def test_a_layout_that_is_no_directory_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="is not a directory"):
        digest_from_oci_layout(str(tmp_path / "missing"))
    (tmp_path / "index.json").write_text("{}")
    with pytest.raises(FileError, match="is not a directory"):
        digest_from_oci_layout(str(tmp_path / "index.json"))


def test_the_metadata_file_gives_the_image_digest(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps({"containerimage.digest": APP, "image.name": "h.io/p/app:v1"}))
    assert digest_from_metadata_file(str(path)) == APP


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"image.name": "h.io/p/app"}, "has no containerimage.digest"),
        ([APP], "has no containerimage.digest"),
        ({"containerimage.digest": 7}, "containerimage.digest is missing"),
        ({"containerimage.digest": "md5:00"}, "is not a digest"),
    ],
)
def test_a_metadata_file_without_a_digest_is_a_file_error(
    tmp_path: Path, data: object, message: str
) -> None:
    path = tmp_path / "meta.json"
    path.write_text(json.dumps(data))
    with pytest.raises(FileError, match=message):
        digest_from_metadata_file(str(path))


def test_references_are_split_on_lines_and_commas_without_comments() -> None:
    text = "h.io/p/app:v1,h.io/p/app:latest\n\n  # a comment\n h.io/p/app:sha-1 \n"
    assert references_from_text(text, "refs") == [
        "h.io/p/app:v1",
        "h.io/p/app:latest",
        "h.io/p/app:sha-1",
    ]


@pytest.mark.parametrize("text", ["", "\n , \n", "# only a comment\n"])
def test_a_reference_list_with_none_is_a_file_error(text: str) -> None:
    with pytest.raises(FileError, match=r"^refs\.txt: holds no references$"):
        references_from_text(text, "refs.txt")


def test_references_are_read_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "tags.txt"
    path.write_text("h.io/p/app:v1\nh.io/p/app:v2\n")
    assert references_from_file(str(path)) == ["h.io/p/app:v1", "h.io/p/app:v2"]
    (tmp_path / "empty").write_text("")
    with pytest.raises(FileError, match="holds no references"):
        references_from_file(str(tmp_path / "empty"))


@pytest.mark.parametrize("spec", ["", " ", ":app"])
def test_an_empty_layout_directory_is_not_the_working_directory(spec: str) -> None:
    # Path("") / "index.json" is the working directory's index.json: `--oci-layout "$OUT"`
    # with OUT unset took whatever layout the job happened to run in.
    with pytest.raises(FileError, match="an empty directory name"):
        digest_from_oci_layout(spec)
