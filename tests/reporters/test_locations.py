"""tagguard.reporters.locations: where SARIF and Code Quality place a finding in the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagguard.reporters.locations import (
    DEFAULT_FILE,
    Location,
    job_file,
    locate,
    relative,
    repository_root,
    uri,
)


def test_the_checkout_is_the_ci_workspace_else_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert repository_root({"GITHUB_WORKSPACE": "/gh", "CI_PROJECT_DIR": "/gl"}) == Path("/gh")
    assert repository_root({"CI_PROJECT_DIR": "/gl"}) == Path("/gl")
    assert repository_root({"GITHUB_WORKSPACE": ""}) == tmp_path


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"GITHUB_WORKFLOW_REF": "o/r/.github/workflows/release.yml@refs/heads/main"},
            ".github/workflows/release.yml",
        ),
        # GitHub's own file wins over GitLab's, which is there only in a GitLab job.
        ({"GITHUB_WORKFLOW_REF": "o/r/w.yml@refs/tags/v1", "CI_CONFIG_PATH": "x.yml"}, "w.yml"),
        ({"GITHUB_WORKFLOW_REF": "malformed"}, DEFAULT_FILE),
        ({"CI_CONFIG_PATH": "/ci/release.gitlab-ci.yml"}, "ci/release.gitlab-ci.yml"),
        # Another project's file, or one on the web, is no file of this repository.
        ({"CI_CONFIG_PATH": "ci.yml@group/other"}, DEFAULT_FILE),
        ({"CI_CONFIG_PATH": "https://example.com/ci.yml"}, DEFAULT_FILE),
        ({}, DEFAULT_FILE),
    ],
)
def test_the_job_file(env: dict[str, str], expected: str) -> None:
    assert job_file(env) == expected


def test_a_path_relative_to_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "release.yml").write_text("")
    monkeypatch.chdir(tmp_path / "plans")
    assert relative("release.yml", tmp_path) == "plans/release.yml"
    assert relative(str(tmp_path / "plans" / "release.yml"), tmp_path) == "plans/release.yml"
    assert relative("../../elsewhere.yml", tmp_path) is None  # outside the checkout
    assert relative(".", tmp_path / "plans") is None  # the root itself is no file


def test_a_link_is_resolved_to_the_file_it_names(tmp_path: Path) -> None:
    (tmp_path / "real.yml").write_text("")
    (tmp_path / "link.yml").symlink_to(tmp_path / "real.yml")
    assert relative(str(tmp_path / "link.yml"), tmp_path) == "real.yml"


def test_a_finding_is_located_at_its_origin_inside_the_checkout(tmp_path: Path) -> None:
    env = {"GITHUB_WORKSPACE": str(tmp_path), "CI_CONFIG_PATH": "ci.yml"}
    plan = str(tmp_path / "release.yml")
    assert locate((plan, 7), env) == Location("release.yml", 7)
    assert locate((plan, 0), env) == Location("release.yml", 1)  # lines start at 1
    assert locate(("/elsewhere/release.yml", 7), env) == Location("ci.yml", 1)
    assert locate(None, env) == Location("ci.yml", 1)  # a command line's check: the job


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("release.yml", "release.yml"),
        ("deploy plans/release#1.yml", "deploy%20plans/release%231.yml"),
        ("a/ü.yml", "a/%C3%BC.yml"),
        ("a/\udcff.yml", "a/%FF.yml"),  # a byte that is not UTF-8, as os.fsdecode gave it
        ("?x=1&y", "%3Fx%3D1%26y"),
        ("a/\ud800", "a/%5Cud800"),  # a lone surrogate no file name has: spelled out
    ],
)
def test_a_uri_encodes_every_byte_but_the_unreserved_ones(path: str, expected: str) -> None:
    assert uri(path) == expected
