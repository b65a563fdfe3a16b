"""The pre-commit hooks, installed and run by the real pre-commit the way users run them:
`pre-commit install --hook-type pre-push`, then real `git push`es to a bare remote.

What pre-commit hands a pre-push hook (pre_commit/commands/hook_impl.py, `_pre_push_ns`):
only the first pushed ref that brings new commits, as PRE_COMMIT_FROM_REF..._TO_REF and
PRE_COMMIT_REMOTE_BRANCH; nothing at all (no hook runs) when no ref brings new commits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.e2e.conftest import Harbor
from tests.harbor_server.users import ADMIN
from tests.surfaces.conftest import readme_example, repository_root
from tests.surfaces.git_push import (
    IMMUTABLE,
    RELEASE,
    ROWS,
    Service,
    Session,
    clean_environment,
    git,
    make_service,
    shared_session,
)

HOOK_LINE = "tagguard (Harbor tag immutability)"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return shared_session(tmp_path_factory.getbasetemp())


@pytest.fixture
def service(session: Session, tmp_path: Path) -> Service:
    env = clean_environment(tmp_path, session.pre_commit_home)
    made = make_service(tmp_path, env, session.hooks)
    made.pre_commit("install", "--hook-type", "pre-push")
    return made


def test_the_readme_config_names_the_hooks_we_ship() -> None:
    config = yaml.safe_load(readme_example("pre-commit"))
    hooks = {
        h["id"] for h in yaml.safe_load((repository_root() / ".pre-commit-hooks.yaml").read_text())
    }
    assert {h["id"] for h in config["repos"][0]["hooks"]} == hooks == {"tagguard", "tagguard-lint"}


def test_hook_definitions_are_valid() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "validate-manifest",
            str(repository_root() / ".pre-commit-hooks.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_manifest_says_what_pre_commit_cannot_show() -> None:
    text = (repository_root() / ".pre-commit-hooks.yaml").read_text()
    assert "_pre_push_ns" in text
    assert "runs no hook at all" in text
    assert "tagguard install-git-hook" in text


# --------------------------------------------------------------------- the table, pre-commit only


def tagguard_lines(log: str) -> list[str]:
    """What the tagguard hook printed (pre-commit shows it: the hook is verbose)."""
    return [
        line
        for line in log.splitlines()
        if line.startswith(("tagguard: ", "warning: ", "git tag "))
    ]


def test_branch_with_nothing_to_check_passes_with_one_line(service: Service) -> None:
    pushed = ROWS["branch, nothing to check"](service)
    assert pushed.code == 0, pushed.log
    assert HOOK_LINE in pushed.log
    assert "Passed" in pushed.log
    assert tagguard_lines(pushed.log) == [
        "tagguard: pushing refs/heads/main: no git tag on the new commits, nothing to check"
    ]


@pytest.mark.parametrize(
    "row", ["new commit and immutable tag together", "--follow-tags, annotated immutable tag"]
)
def test_a_tag_pushed_with_new_commits_is_a_warning_naming_it(service: Service, row: str) -> None:
    # pre-commit describes the branch (git lists refs/heads before refs/tags) and not the
    # tag, so the hook can only infer the tag from the pushed commits: a warning, no block.
    pushed = ROWS[row](service)
    assert pushed.code == 0, pushed.log
    warning = [line for line in tagguard_lines(pushed.log) if line.startswith("warning: ")]
    assert len(warning) == 1, pushed.log
    assert warning[0].startswith(
        f"warning: if pushed, git tag {IMMUTABLE}: .tagguard.yml:2: block  "
        f"harbor.example.com/platform/api:{IMMUTABLE}  "
    )
    assert "--digest" not in pushed.log
    assert "name its digest in the plan (digest:, oci-layout: or metadata-file:)" in warning[0]
    summary = tagguard_lines(pushed.log)[-1]
    assert "not a block" in summary
    assert "tagguard install-git-hook" in summary
    assert f"refs/tags/{IMMUTABLE}" in service.remote_refs()  # pre-commit let it through


@pytest.mark.parametrize("row", ["immutable tag alone", "new release tag alone", "tag deletion"])
def test_pre_commit_runs_no_hook_for_a_push_without_new_commits(service: Service, row: str) -> None:
    # pre-commit's own behaviour (`_pre_push_ns` returns None): documented in the manifest
    # and the README, and the reason for install-git-hook.
    pushed = ROWS[row](service)
    assert pushed.code == 0, pushed.log
    assert HOOK_LINE not in pushed.log
    assert tagguard_lines(pushed.log) == []


def test_a_branch_with_an_unpushed_local_tag_passes(service: Service) -> None:
    pushed = ROWS["branch with an unpushed lightweight tag on it"](service)
    assert pushed.code == 0, pushed.log
    assert "Passed" in pushed.log
    assert "Failed" not in pushed.log
    assert any(
        line.startswith(f"warning: if pushed, git tag {IMMUTABLE}:")
        for line in tagguard_lines(pushed.log)
    )
    assert f"refs/tags/{IMMUTABLE}" not in service.remote_refs()


def test_no_plan_is_a_one_line_hint_not_a_failure(service: Service) -> None:
    (service.path / ".tagguard.yml").unlink()
    git(service.path, "commit", "-qam", "no plan", env=service.env)
    pushed = ROWS["new commit and immutable tag together"](service)
    assert pushed.code == 0, pushed.log
    lines = tagguard_lines(pushed.log)
    assert len(lines) == 1, pushed.log
    assert lines[0].startswith("tagguard: no .tagguard.yml here"), pushed.log


def test_a_tag_pre_commit_names_is_checked_against_live_harbor_and_blocks(
    session: Session, harbor: Harbor, tmp_path: Path
) -> None:
    # `git push origin TAG` where the tag brings new commits: pre-commit names the tag
    # (PRE_COMMIT_REMOTE_BRANCH=refs/tags/TAG), so the hook knows it is pushed and may block.
    harbor.state.add_project("platform")
    harbor.rule("platform", tag="1.*")
    existing = harbor.push("platform/api:1.3.0")
    env = clean_environment(tmp_path, session.pre_commit_home)
    env.update(
        TAGGUARD_HARBOR_URL=f"harbor.example.com={harbor.url}",
        TAGGUARD_USERNAME=ADMIN[0],
        TAGGUARD_PASSWORD=ADMIN[1],
    )
    service = make_service(tmp_path, env, session.hooks, hook_args=())
    service.pre_commit("install", "--hook-type", "pre-push")
    service.commit()
    service.tag("1.3.0")
    blocked = service.push("origin", "1.3.0")
    assert blocked.code == 1, blocked.log
    assert "Failed" in blocked.log
    assert any(
        line.startswith(
            "git tag 1.3.0: .tagguard.yml:2: block  harbor.example.com/platform/api:1.3.0"
        )
        for line in tagguard_lines(blocked.log)
    ), blocked.log
    assert "refs/tags/1.3.0" not in service.remote_refs()
    # A plan that names the image's digest: re-pushing the tag of an image already there.
    plan = readme_example("pre-commit-plan") + "    digest: ${IMAGE_DIGEST}\n"
    (service.path / ".tagguard.yml").write_text(plan)
    service.env["IMAGE_DIGEST"] = existing.digest
    git(service.path, "commit", "-qam", "name the digest", env=service.env)
    # The tag is still on its unpushed commit, so pre-commit names it again; the hook reads
    # the plan of the working tree.
    skipped = service.push("origin", "1.3.0")
    assert skipped.code == 0, skipped.log
    assert any(
        "skip   harbor.example.com/platform/api:1.3.0" in line
        for line in tagguard_lines(skipped.log)
    ), skipped.log


def test_the_hook_defers_to_tagguards_own_git_hook(service: Service) -> None:
    service.install_git_hook(
        ".tagguard.yml", "--rules-file", "rules.json", "--state-file", "state.json"
    )
    pushed = ROWS["branch with an unpushed lightweight tag on it"](service)
    assert pushed.code == 0, pushed.log
    assert "tagguard: tagguard's own git hook (install-git-hook) checks this push's tags" in (
        pushed.log
    )
    assert not any(line.startswith("warning: ") for line in tagguard_lines(pushed.log))


def test_lint_hook_lints_rules_files_in_the_repository(session: Session, service: Service) -> None:
    rules = service.path / "harbor" / "immutable-rules.json"
    rules.parent.mkdir()
    rules.write_text((service.path / "rules.json").read_text())
    repo, rev = session.hooks
    (service.path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n      - id: tagguard-lint\n"
    )
    service.run("git", "add", ".")
    done = service.run(sys.executable, "-m", "pre_commit", "run", "tagguard-lint", "--all-files")
    log = done.stdout + done.stderr
    assert done.returncode == 1, log  # examples/rules.json has a rule that fails open
    assert "harbor/immutable-rules.json: project legacy: error: rule 7" in log
    rules.write_text(json.dumps({"platform": []}))
    service.run("git", "add", ".")
    clean = service.run(sys.executable, "-m", "pre_commit", "run", "tagguard-lint", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_release_tag_check_is_reachable_by_name(service: Service) -> None:
    # GIT_TAG given by hand names a tag for the hook (`GIT_TAG=v1.5.0 pre-commit run ...`).
    service.env["GIT_TAG"] = RELEASE
    done = service.run(
        sys.executable, "-m", "pre_commit", "run", "tagguard", "--hook-stage", "pre-push"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        f"git tag {RELEASE}: .tagguard.yml:2: allow  harbor.example.com/platform/api:{RELEASE}"
        in (done.stdout)
    )
