"""tagguard.git_hook_install: where install-git-hook puts itself beside other hooks, what it
stores, what it refuses, and how it leaves."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from tagguard import git_hook_install
from tagguard.commands.plans import plan_usage
from tagguard.errors import InputError
from tagguard.git_hook_install import (
    KEPT,
    LEGACY,
    PRE_COMMIT_HASHES,
    split_plan,
    uninstall_hook,
)
from tagguard.git_hook_install import install_hook as install_with
from tests.git_hooks import OFFLINE, PLAN, git, make_repo, write_hook

PRE_COMMIT_SCRIPT = f"#!/usr/bin/env bash\n# ID: {PRE_COMMIT_HASHES[0]}\nexit 0\n"
FOREIGN = "#!/bin/sh\necho foreign\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_repo(tmp_path)


def install_hook(cwd: Path, plan: str, options: Sequence[str], python: str) -> str:
    """install-git-hook as the CLI runs it: `tagguard plan`'s own reading of the options."""
    return install_with(cwd, plan, options, python, plan_usage)


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


def test_install_refuses_a_rules_or_state_file_that_is_not_there(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook reads them on every push: installing with a misspelt path made every push
    stop (exit 2) until someone read the hook's message. A value from the environment is
    the push's to find, so only the options given here are checked."""
    with pytest.raises(InputError, match=r"^install-git-hook: --state-file nothere\.json: no "):
        install(repo, "--state-file", "nothere.json")
    with pytest.raises(InputError, match=r"--rules-file gone\.json: no such file here"):
        install(repo, "--rules-file=gone.json")
    assert hooks(repo) == {}  # nothing installed
    monkeypatch.setenv("TAGGUARD_STATE_FILE", "made-in-ci.json")
    assert install(repo).startswith("tagguard: installed ")
