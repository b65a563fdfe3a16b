"""tagguard.git_hook_pre_commit: what pre-commit's hook checks with what pre-commit tells it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tagguard.git_hook_pre_commit import run_pre_commit, tags_on
from tests.git_hooks import fake, git, make_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_repo(tmp_path)


def commit(repo: Path) -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", "more")
    return git(repo, "rev-parse", "HEAD")


def test_tags_on_finds_lightweight_and_annotated_tags(repo: Path) -> None:
    first = git(repo, "rev-parse", "HEAD")
    second = commit(repo)
    git(repo, "tag", "light", first)
    git(repo, "tag", "-a", "-m", "x", "annotated", second)
    git(repo, "tag", "elsewhere", first)
    assert tags_on({second}) == ["annotated"]
    assert sorted(tags_on({first})) == ["elsewhere", "light"]
    assert tags_on(set()) == []


def pre_commit_env(from_ref: str, to_ref: str, remote_branch: str) -> dict[str, str]:
    return {
        "PRE_COMMIT_FROM_REF": from_ref,
        "PRE_COMMIT_TO_REF": to_ref,
        "PRE_COMMIT_LOCAL_BRANCH": remote_branch,
        "PRE_COMMIT_REMOTE_BRANCH": remote_branch,
        "PRE_COMMIT_REMOTE_NAME": "origin",
    }


def test_pre_commit_without_a_plan_is_a_hint(repo: Path) -> None:
    check, asked = fake({})
    out = io.StringIO()
    assert run_pre_commit("missing.yml", {}, check, out, git_hook=False) == 0
    assert out.getvalue().startswith("tagguard: no missing.yml here, so nothing to check")
    assert out.getvalue().count("\n") == 1
    assert asked == []


def test_pre_commit_branch_push_without_tags_passes_at_once(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    head = commit(repo)
    check, asked = fake({})
    out = io.StringIO()
    env = pre_commit_env(base, head, "refs/heads/main")
    assert run_pre_commit(".tagguard.yml", env, check, out, git_hook=False) == 0
    assert asked == []
    assert out.getvalue() == (
        "tagguard: pushing refs/heads/main: no git tag on the new commits, nothing to check\n"
    )


def test_pre_commit_tags_in_the_range_are_warnings_never_blocks(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "old")  # on the commit the remote has: not in the range
    head = commit(repo)
    git(repo, "tag", "v2")
    check, asked = fake({"v2": "block"})
    out = io.StringIO()
    env = pre_commit_env(base, head, "refs/heads/main")
    assert run_pre_commit(".tagguard.yml", env, check, out, git_hook=False) == 0
    assert asked == ["v2"]
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "warning: if pushed, git tag v2: .tagguard.yml:2: block  harbor.example.com/p/app:v2  "
        "reason for v2"
    )
    assert "not a block" in lines[1]
    assert "tagguard install-git-hook" in lines[1]


def test_pre_commit_first_push_of_a_history_infers_from_the_remotes_branches(repo: Path) -> None:
    git(repo, "tag", "v1")
    check, asked = fake({"v1": "allow"})
    env = {"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main", "PRE_COMMIT_REMOTE_NAME": "origin"}
    assert run_pre_commit(".tagguard.yml", env, check, io.StringIO(), git_hook=False) == 0
    assert asked == ["v1"]


def test_pre_commit_a_tag_it_names_is_certain_and_may_block(repo: Path) -> None:
    base = git(repo, "rev-parse", "HEAD")
    head = commit(repo)
    git(repo, "tag", "v3")
    check, asked = fake({"v3": "block"})
    out = io.StringIO()
    env = pre_commit_env(base, head, "refs/tags/v3")
    assert run_pre_commit(".tagguard.yml", env, check, out, git_hook=False) == 1
    assert asked == ["v3"]  # once: not again as an inferred tag
    assert "tagguard: push stopped: 1 reference blocked (git tag v3)" in out.getvalue()


def test_pre_commit_leaves_the_tags_to_tagguards_git_hook(repo: Path) -> None:
    check, asked = fake({})
    out = io.StringIO()
    env = {"PRE_COMMIT_REMOTE_BRANCH": "refs/tags/v3"}
    assert run_pre_commit(".tagguard.yml", env, check, out, git_hook=True) == 0
    assert asked == []
    assert "install-git-hook" in out.getvalue()


def test_pre_commit_summary_names_only_the_tags_it_warns_of(repo: Path) -> None:
    # Two tags on the pushed commits, one Harbor would refuse: "1 warning for git tags v1, v2"
    # read as if both were doubtful, where v2 passed with an allow line of its own.
    base = git(repo, "rev-parse", "HEAD")
    head = commit(repo)
    git(repo, "tag", "v1")
    git(repo, "tag", "v2")
    check, asked = fake({"v1": "block", "v2": "allow"})
    out = io.StringIO()
    env = pre_commit_env(base, head, "refs/heads/main")
    assert run_pre_commit(".tagguard.yml", env, check, out, git_hook=False) == 0
    assert sorted(asked) == ["v1", "v2"]
    summary = out.getvalue().splitlines()[-1]
    assert summary.startswith("tagguard: 1 warning for git tag v1 on the pushed commits, ")
