"""tagguard.git_hook: reading git's pre-push input, checking every pushed tag, running the
hook it kept, and the entry point's one-line errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tagguard import git_hook
from tagguard.errors import InputError, StateError
from tagguard.git_hook import PushedRef, check_push, parse_refs, pushed_tags
from tagguard.git_hook_install import KEPT, HookConfig
from tests.git_hooks import OFFLINE, A, B, fake, git, make_repo, write_hook

# git's null object id with SHA-1: a ref the remote does not have, or a deletion's local id.
ZERO_SHA = "0" * 40


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_repo(tmp_path)


def test_parse_refs_reads_each_line_and_skips_blank_ones() -> None:
    text = f"refs/heads/main {A} refs/heads/main {B}\n\nHEAD {A} refs/tags/v1 {ZERO_SHA}\n"
    assert parse_refs(text) == [
        PushedRef("refs/heads/main", A, "refs/heads/main", B),
        PushedRef("HEAD", A, "refs/tags/v1", ZERO_SHA),
    ]


def test_parse_refs_refuses_a_short_line() -> None:
    with pytest.raises(InputError, match="pre-push input line 1: expected 4 fields"):
        parse_refs(f"refs/heads/main {A} refs/heads/main\n")


def test_pushed_tags_are_remote_tag_refs_not_branches_nor_deletions() -> None:
    refs = [
        PushedRef("refs/heads/main", A, "refs/heads/main", B),
        PushedRef("refs/tags/v1", A, "refs/tags/v1", ZERO_SHA),
        PushedRef("(delete)", ZERO_SHA, "refs/tags/old", B),
        PushedRef("HEAD", B, "refs/tags/v2", ZERO_SHA),  # `git push origin HEAD:refs/tags/v2`
        PushedRef("refs/tags/v1", A, "refs/tags/v1", ZERO_SHA),
    ]
    assert pushed_tags(refs) == ["v1", "v2"]


def tag_ref(tag: str) -> PushedRef:
    return PushedRef(f"refs/tags/{tag}", A, f"refs/tags/{tag}", ZERO_SHA)


def test_a_push_without_tags_checks_nothing() -> None:
    check, asked = fake({})
    out = io.StringIO()
    refs = [PushedRef("refs/heads/main", A, "refs/heads/main", B)]
    assert check_push(refs, check, out) == 0
    assert asked == []
    assert out.getvalue() == "tagguard: no git tag is pushed: nothing to check\n"


def test_every_pushed_tag_is_checked_and_a_block_stops_the_push() -> None:
    check, asked = fake({"v1": "allow", "v2": "block"})
    out = io.StringIO()
    assert check_push([tag_ref("v1"), tag_ref("v2")], check, out) == 1
    assert asked == ["v1", "v2"]
    assert out.getvalue().splitlines() == [
        "git tag v1: .tagguard.yml:2: allow  harbor.example.com/p/app:v1  reason for v1",
        "git tag v2: .tagguard.yml:2: block  harbor.example.com/p/app:v2  reason for v2",
        # The tag to fix, not every tag pushed (v1 was allowed).
        "tagguard: push stopped: 1 reference blocked (git tag v2)",
    ]


def test_a_tag_that_cannot_be_checked_stops_the_push_undecided() -> None:
    check, _ = fake({"v1": "error"})
    out = io.StringIO()
    assert check_push([tag_ref("v1")], check, out) == 2
    assert out.getvalue() == "tagguard: push stopped: git tag v1 could not be checked (see above)\n"


def test_run_pre_push_runs_the_kept_hook_with_gits_args_and_input(repo: Path) -> None:
    hooks_dir = repo / ".git" / "hooks"
    write_hook(hooks_dir / KEPT, '#!/bin/sh\n{ echo "$*"; cat; } > kept-saw\nexit 3\n')
    stdin = f"refs/heads/main {A} refs/heads/main {B}\n".encode()
    config = HookConfig(".tagguard.yml", OFFLINE)
    out = io.StringIO()
    code = git_hook.run_pre_push(hooks_dir, ["origin", "url"], stdin, config, out)
    assert code == 3  # nothing for tagguard to check; the kept hook's failure stands
    assert (
        repo / "kept-saw"
    ).read_text() == f"origin url\nrefs/heads/main {A} refs/heads/main {B}\n"


def test_run_pre_push_without_the_plan_fails_closed_for_a_tag(repo: Path) -> None:
    config = HookConfig("gone.yml", ())
    stdin = f"refs/tags/v1 {A} refs/tags/v1 {ZERO_SHA}\n".encode()
    with pytest.raises(StateError, match=r"gone\.yml: the plan install-git-hook stored is gone"):
        git_hook.run_pre_push(
            repo / ".git" / "hooks", ["origin", "url"], stdin, config, io.StringIO()
        )


def test_main_turns_an_error_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert git_hook.main(["nonsense"]) == 2
    assert capsys.readouterr().err == "tagguard: error: tagguard.git_hook: unknown use 'nonsense'\n"


def test_a_bug_in_the_hook_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An exception the hook does not expect was a traceback and exit 1: "blocked"."""

    def explode(*args: object, **kwargs: object) -> int:
        # The remote URL git hands the hook may carry a token: never printed.
        raise KeyError("boom at https://x-access-token:ghs_SECRET@github.com/o/r")

    monkeypatch.setattr(git_hook, "split_plan", explode)
    monkeypatch.chdir(tmp_path)
    assert git_hook.main(["pre-commit"]) == 2
    assert capsys.readouterr().err == (
        "tagguard: internal error: KeyError: 'boom at https://<hidden>@github.com/o/r' "
        "(please report it)\n"
    )


def test_an_unknown_use_does_not_print_the_remote_urls_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # git hands a pre-push hook the remote's URL, which may carry a token; the arguments of
    # a call in another shape (run by hand, an older hook script) were printed whole.
    url = "https://ci:glpat-s3cretToken@gitlab.example.com/o/r.git"
    assert git_hook.main(["pre-push", "origin", url]) == 2
    err = capsys.readouterr().err
    assert "unknown use" in err
    assert "gitlab.example.com" in err
    assert "s3cretToken" not in err


def _pre_push_input(tmp_path: Path, object_format: str, *push: str) -> str:
    """What real git writes to a pre-push hook in a repository of `object_format`."""
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", f"--object-format={object_format}", str(remote))
    git(tmp_path, "init", "-q", "-b", "main", f"--object-format={object_format}", str(work))
    git(work, "commit", "-q", "--allow-empty", "-m", "one")
    git(work, "tag", "v1")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "main", "v1")
    # git runs a hook at the top of the work tree
    write_hook(work / ".git" / "hooks" / "pre-push", "#!/bin/sh\ncat > seen\n")
    git(work, "push", "-q", *push)
    return (work / "seen").read_text()


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
@pytest.mark.parametrize(
    "push", [("origin", "--delete", "v1"), ("origin", ":refs/tags/v1")], ids=" ".join
)
def test_a_tag_deletion_is_no_pushed_tag_whatever_the_hash(
    tmp_path: Path, object_format: str, push: tuple[str, ...]
) -> None:
    # git writes a deletion's local object name as the null id of the repository's hash:
    # 40 zeros with SHA-1, 64 with SHA-256 (git's transport.c, run_pre_push_hook).
    seen = _pre_push_input(tmp_path, object_format, *push)
    refs = parse_refs(seen)
    assert [(r.local_ref, r.remote_ref) for r in refs] == [("(delete)", "refs/tags/v1")]
    assert refs[0].deletes
    assert pushed_tags(refs) == []
