"""tagguard.git_hook in process: reading git's pre-push input, what is reported for each
pushed or inferred tag, and where install-git-hook puts itself beside other hooks."""

from __future__ import annotations

import io
import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tagguard import git_hook, git_hook_install
from tagguard.commands.plans import plan_usage
from tagguard.errors import InputError, StateError
from tagguard.git_hook import (
    CLI_ADVICE,
    ZERO_SHA,
    Outcome,
    PushedRef,
    check_push,
    hook_reason,
    parse_refs,
    plan_checker,
    pushed_tags,
    run_pre_commit,
    tags_on,
)
from tagguard.git_hook_install import (
    KEPT,
    LEGACY,
    PRE_COMMIT_HASHES,
    split_plan,
    uninstall_hook,
)
from tagguard.git_hook_install import install_hook as install_with
from tests.conftest import EXAMPLES


def install_hook(cwd: Path, plan: str, options: Sequence[str], python: str) -> str:
    """install-git-hook as the CLI runs it: `tagguard plan`'s own reading of the options."""
    return install_with(cwd, plan, options, python, plan_usage)


A, B = "a" * 40, "b" * 40
PLAN = "operations:\n  - push: harbor.example.com/platform/api:${GIT_TAG}\n"
OFFLINE = (
    "--rules-file",
    str(EXAMPLES / "rules.json"),
    "--state-file",
    str(EXAMPLES / "state.json"),
)


# ----------------------------------------------------------------------------- git's input


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


# ----------------------------------------------------------------------------- checking


def outcome(tag: str, verdict: str, code: int | None = None, **extra: Any) -> Outcome:
    decision = {
        "decision": verdict,
        "reference": f"harbor.example.com/p/app:{tag}",
        "reason": f"reason for {tag}",
        "source": {"file": ".tagguard.yml", "line": 2},
        **extra,
    }
    return Outcome(tag, code if code is not None else int(verdict == "block"), (decision,))


def fake(verdicts: dict[str, str]) -> tuple[git_hook.Checker, list[str]]:
    asked: list[str] = []

    def check(tag: str) -> Outcome:
        asked.append(tag)
        if verdicts[tag] == "error":
            return Outcome(tag, 2)
        return outcome(tag, verdicts[tag])

    return check, asked


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
        "tagguard: push stopped: 1 reference blocked (git tags v1, v2)",
    ]


def test_a_tag_that_cannot_be_checked_stops_the_push_undecided() -> None:
    check, _ = fake({"v1": "error"})
    out = io.StringIO()
    assert check_push([tag_ref("v1")], check, out) == 2
    assert out.getvalue() == "tagguard: push stopped: git tag v1 could not be checked (see above)\n"


def test_the_plan_checker_gives_the_plans_verdicts_and_hook_advice(tmp_path: Path) -> None:
    (tmp_path / "plan.yml").write_text(PLAN)
    check = plan_checker("plan.yml", OFFLINE, str(tmp_path))
    blocked, allowed = check("v1.4.0"), check("v1.5.0")
    assert (blocked.code, allowed.code) == (1, 0)
    assert [d["reference"] for d in blocked.blocked] == ["harbor.example.com/platform/api:v1.4.0"]
    assert allowed.decisions[0]["decision"] == "allow"
    assert "GIT_TAG" not in os.environ
    # The rewrite depends on decide.py's wording: this fails if that changes.
    reason = str(blocked.blocked[0]["reason"])
    assert CLI_ADVICE in reason
    assert "--digest" not in hook_reason(reason)
    assert "digest:, oci-layout: or metadata-file:" in hook_reason(reason)


def test_decision_lines_cannot_carry_control_characters() -> None:
    evil = outcome("v1", "block", reason="a\x1b[2Jb\nallow  forged")
    line = git_hook.decision_line("v1", evil.decisions[0])
    assert "\x1b" not in line
    assert "\n" not in line


# ----------------------------------------------------------------------------- pre-commit's hook


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / ".tagguard.yml").write_text(PLAN)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "one")
    monkeypatch.chdir(tmp_path)
    return tmp_path


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


# ----------------------------------------------------------------------------- installing


PRE_COMMIT_SCRIPT = f"#!/usr/bin/env bash\n# ID: {PRE_COMMIT_HASHES[0]}\nexit 0\n"
FOREIGN = "#!/bin/sh\necho foreign\n"


def write_hook(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)


def hooks(repo: Path) -> dict[str, str]:
    """Each pre-push* hook by name: 'tagguard', 'pre-commit', or its text."""
    found = {}
    for path in sorted((repo / ".git" / "hooks").glob("pre-push*")):
        if path.name == "pre-push.sample":
            continue
        text = path.read_text()
        found[path.name] = (
            "tagguard"
            if git_hook_install.MARKER in text
            else "pre-commit"
            if "ID: " in text
            else text
        )
    return found


def install(repo: Path, *options: str) -> str:
    return install_hook(repo, ".tagguard.yml", options, "/venv/bin/python")


def test_install_alone_takes_pre_push_and_stores_plan_and_options(repo: Path) -> None:
    said = install(repo, *OFFLINE)
    assert hooks(repo) == {"pre-push": "tagguard"}
    assert said == f"tagguard: installed {repo / '.git' / 'hooks' / 'pre-push'}"
    config = git_hook_install.read_config(repo / ".git")
    assert config == git_hook_install.HookConfig(".tagguard.yml", OFFLINE, ".")
    assert "TAGGUARD_PYTHON=/venv/bin/python\n" in (repo / ".git/hooks/pre-push").read_text()


def test_install_keeps_a_foreign_hook_under_its_own_name_never_legacy(repo: Path) -> None:
    write_hook(repo / ".git/hooks/pre-push", FOREIGN)
    said = install(repo)
    assert hooks(repo) == {"pre-push": "tagguard", KEPT: FOREIGN}
    assert "kept as pre-push.tagguard-kept" in said


def test_install_beside_pre_commit_is_its_legacy_hook(repo: Path) -> None:
    write_hook(repo / ".git/hooks/pre-push", PRE_COMMIT_SCRIPT)
    said = install(repo)
    assert hooks(repo) == {"pre-push": "pre-commit", LEGACY: "tagguard"}
    assert "pre-commit's pre-push hook runs it first" in said


def test_install_beside_pre_commit_in_migration_mode_keeps_its_legacy_hook(repo: Path) -> None:
    write_hook(repo / ".git/hooks/pre-push", PRE_COMMIT_SCRIPT)
    write_hook(repo / ".git/hooks" / LEGACY, FOREIGN)
    install(repo)
    assert hooks(repo) == {"pre-push": "pre-commit", LEGACY: "tagguard", KEPT: FOREIGN}
    uninstall_hook(repo)
    assert hooks(repo) == {"pre-push": "pre-commit", LEGACY: FOREIGN}


def test_installing_again_updates_in_place_and_keeps_nothing_of_itself(repo: Path) -> None:
    write_hook(repo / ".git/hooks/pre-push", FOREIGN)
    install(repo)
    install(repo, "--harbor-version", "2.10.1")
    assert hooks(repo) == {"pre-push": "tagguard", KEPT: FOREIGN}
    assert git_hook_install.read_config(repo / ".git").options == ("--harbor-version", "2.10.1")


def test_uninstall_restores_the_kept_hook_wherever_tagguard_is_now(repo: Path) -> None:
    write_hook(repo / ".git/hooks/pre-push", FOREIGN)
    install(repo)
    # pre-commit install moves a hook it does not know to pre-push.legacy
    os.replace(repo / ".git/hooks/pre-push", repo / ".git/hooks" / LEGACY)
    write_hook(repo / ".git/hooks/pre-push", PRE_COMMIT_SCRIPT)
    uninstall_hook(repo)
    assert hooks(repo) == {"pre-push": "pre-commit", LEGACY: FOREIGN}
    assert not (repo / ".git" / git_hook_install.CONFIG).exists()


def test_uninstall_without_a_hook_says_so(repo: Path) -> None:
    assert uninstall_hook(repo) == "tagguard: no tagguard hook is installed here"


def test_install_refuses_a_stale_kept_hook(repo: Path) -> None:
    write_hook(repo / ".git/hooks/pre-push", FOREIGN)
    write_hook(repo / ".git/hooks" / KEPT, FOREIGN)
    with pytest.raises(InputError, match=r"pre-push\.tagguard-kept exists already"):
        install(repo)
    assert hooks(repo) == {"pre-push": FOREIGN, KEPT: FOREIGN}


def test_install_refuses_core_hooks_path(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", "shared-hooks")
    with pytest.raises(InputError, match=r"core\.hooksPath is set"):
        install(repo)


def test_install_outside_a_repository_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not in a git work tree"):
        install_hook(tmp_path, ".tagguard.yml", (), "python")


@pytest.mark.parametrize("option", ["--password-stdin", "-u", "--username=x", "--format"])
def test_install_refuses_options_that_cannot_work_in_a_hook(repo: Path, option: str) -> None:
    with pytest.raises(InputError, match="cannot work in a git hook"):
        install(repo, option)


def test_install_from_a_subfolder_runs_the_plan_from_there(repo: Path) -> None:
    sub = repo / "deploy"
    sub.mkdir()
    (sub / "release.yml").write_text(PLAN)
    install_hook(sub, "release.yml", (), "python")
    assert git_hook_install.read_config(repo / ".git").directory == "deploy"


def test_split_plan() -> None:
    assert split_plan(["p.yml", "--plain-http"]) == ("p.yml", ("--plain-http",))
    assert split_plan(["--plain-http"]) == (".tagguard.yml", ("--plain-http",))
    assert split_plan([]) == (".tagguard.yml", ())


def test_the_hook_script_is_valid_sh_and_quotes_the_python_path() -> None:
    script = git_hook_install.hook_script("/opt/my venv/bin/python")
    assert "TAGGUARD_PYTHON='/opt/my venv/bin/python'" in script
    done = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


# ----------------------------------------------------------------------------- the installed hook


def test_run_pre_push_runs_the_kept_hook_with_gits_args_and_input(repo: Path) -> None:
    hooks_dir = repo / ".git" / "hooks"
    write_hook(hooks_dir / KEPT, '#!/bin/sh\n{ echo "$*"; cat; } > kept-saw\nexit 3\n')
    stdin = f"refs/heads/main {A} refs/heads/main {B}\n".encode()
    config = git_hook_install.HookConfig(".tagguard.yml", OFFLINE)
    out = io.StringIO()
    code = git_hook.run_pre_push(hooks_dir, ["origin", "url"], stdin, config, out)
    assert code == 3  # nothing for tagguard to check; the kept hook's failure stands
    assert (
        repo / "kept-saw"
    ).read_text() == f"origin url\nrefs/heads/main {A} refs/heads/main {B}\n"


def test_run_pre_push_without_the_plan_fails_closed_for_a_tag(repo: Path) -> None:
    config = git_hook_install.HookConfig("gone.yml", ())
    stdin = f"refs/tags/v1 {A} refs/tags/v1 {ZERO_SHA}\n".encode()
    with pytest.raises(StateError, match=r"gone\.yml: the plan install-git-hook stored is gone"):
        git_hook.run_pre_push(
            repo / ".git" / "hooks", ["origin", "url"], stdin, config, io.StringIO()
        )


def test_main_turns_an_error_into_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert git_hook.main(["nonsense"]) == 2
    assert capsys.readouterr().err == "tagguard: error: tagguard.git_hook: unknown use 'nonsense'\n"
