"""`tagguard install-git-hook`: tagguard's own pre-push hook, through real `git push`es to a
bare remote, alone and with pre-commit's hook installed before and after it (the real
pre-commit from this venv), and uninstalled in either order.

git gives a pre-push hook every ref it pushes on standard input; the hook checks each pushed
tag with the plan (`${GIT_TAG}` = the tag) and stops the push when Harbor would refuse one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Harbor
from tests.harbor_server.users import ADMIN
from tests.surfaces.git_push import (
    IMMUTABLE,
    OFFLINE,
    RELEASE,
    ROWS,
    Pushed,
    Service,
    Session,
    clean_environment,
    make_service,
    shared_session,
)

SETUPS = ("alone", "pre-commit before", "pre-commit after")
FOREIGN = """#!/bin/sh
# someone's own pre-push hook: says it ran, with its arguments and input
{ echo "args: $*"; cat; } > "$(git rev-parse --git-dir)/foreign-ran"
echo "foreign hook ran"
"""


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    return shared_session(tmp_path_factory.getbasetemp())


def new_service(session: Session, tmp_path: Path) -> Service:
    return make_service(
        tmp_path, clean_environment(tmp_path, session.pre_commit_home), session.hooks
    )


def installed(service: Service, setup: str) -> Service:
    if setup == "pre-commit before":
        service.pre_commit("install", "--hook-type", "pre-push")
    service.install_git_hook(".tagguard.yml", *OFFLINE)
    if setup == "pre-commit after":
        service.pre_commit("install", "--hook-type", "pre-push")
    return service


def blocked_line(tag: str) -> str:
    return f"git tag {tag}: .tagguard.yml:2: block  harbor.example.com/platform/api:{tag}  "


def assert_blocked(pushed: Pushed, service: Service, before: str) -> None:
    assert pushed.code == 1, pushed.log
    lines = pushed.lines(blocked_line(IMMUTABLE))
    assert len(lines) == 1, pushed.log
    # Advice a hook's user can follow: the plan names the digest, not a flag.
    assert "--digest" not in lines[0]
    assert "name its digest in the plan (digest:, oci-layout: or metadata-file:)" in lines[0]
    assert pushed.lines("tagguard: push stopped: 1 reference blocked (git tag v1.4.0)")
    assert f"refs/tags/{IMMUTABLE}" not in service.remote_refs()
    assert service.remote_head() == before  # git pushes nothing of a refused push


@pytest.mark.parametrize("setup", SETUPS)
@pytest.mark.parametrize("row", list(ROWS))
def test_the_issue_table(session: Session, tmp_path: Path, setup: str, row: str) -> None:
    service = installed(new_service(session, tmp_path), setup)
    before = service.remote_head()
    pushed = ROWS[row](service)
    if row in (
        "new commit and immutable tag together",
        "immutable tag alone",
        "--follow-tags, annotated immutable tag",
    ):
        assert_blocked(pushed, service, before)
    elif row == "new release tag alone":
        assert pushed.code == 0, pushed.log
        assert pushed.lines(
            f"git tag {RELEASE}: .tagguard.yml:2: allow  harbor.example.com/platform/api:{RELEASE}"
        ), pushed.log
        assert f"refs/tags/{RELEASE}" in service.remote_refs()
    else:  # a branch (with or without a local tag on it), a tag deletion: nothing to check
        assert pushed.code == 0, pushed.log
        assert pushed.lines("tagguard: no git tag is pushed: nothing to check"), pushed.log
        assert f"refs/tags/{IMMUTABLE}" not in service.remote_refs()
    if setup != "alone" and row not in (
        "immutable tag alone",
        "new release tag alone",
        "tag deletion",
    ):
        # pre-commit ran its hooks too; its tagguard hook leaves the tags to this one.
        assert "tagguard: tagguard's own git hook (install-git-hook) checks this push's tags" in (
            pushed.log
        )


def test_the_hook_reads_a_live_harbor(harbor: Harbor, session: Session, tmp_path: Path) -> None:
    harbor.state.add_project("platform")
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    service = new_service(session, tmp_path)
    service.env.update(TAGGUARD_USERNAME=ADMIN[0], TAGGUARD_PASSWORD=ADMIN[1])
    service.install_git_hook("--harbor-url", f"harbor.example.com={harbor.url}")
    service.tag("1.3.0")
    blocked = service.push("origin", "1.3.0")
    assert blocked.code == 1, blocked.log
    assert blocked.lines(blocked_line("1.3.0")), blocked.log
    service.tag("1.4.0")
    allowed = service.push("origin", "1.4.0")
    assert allowed.code == 0, allowed.log
    assert allowed.lines(
        "git tag 1.4.0: .tagguard.yml:2: allow  harbor.example.com/platform/api:1.4.0"
    )


def foreign_hook(service: Service) -> str:
    hook = service.hook()
    hook.write_text(FOREIGN)
    hook.chmod(0o755)
    return FOREIGN


def assert_foreign_ran_with_gits_input(service: Service, tag: str) -> None:
    ran = (service.path / ".git" / "foreign-ran").read_text()
    assert ran.startswith(f"args: origin {service.remote}\n"), ran
    assert f"refs/tags/{tag} " in ran


@pytest.mark.parametrize("setup", SETUPS)
def test_a_foreign_hook_is_kept_run_after_and_restored(
    session: Session, tmp_path: Path, setup: str
) -> None:
    service = new_service(session, tmp_path)
    original = foreign_hook(service)
    installed(service, setup)
    hooks = {p.name for p in service.hook().parent.iterdir()}
    assert "pre-push.tagguard-kept" in hooks
    if setup == "alone":
        assert "pre-push.legacy" not in hooks  # pre-commit's script would run it as itself
    service.tag(RELEASE)
    pushed = service.push("origin", RELEASE)
    assert pushed.code == 0, pushed.log
    assert "foreign hook ran" in pushed.log
    assert_foreign_ran_with_gits_input(service, RELEASE)
    service.tag(IMMUTABLE)
    blocked = service.push("origin", IMMUTABLE)
    assert blocked.code == 1, blocked.log
    assert_foreign_ran_with_gits_input(service, IMMUTABLE)
    # Uninstalled, tagguard then pre-commit: the foreign hook is back where it was.
    service.install_git_hook("--uninstall")
    if setup != "alone":
        service.pre_commit("uninstall", "--hook-type", "pre-push")
    assert service.hook().read_text() == original
    assert not service.hook("pre-push.tagguard-kept").exists()
    assert not service.hook("pre-push.legacy").exists()


@pytest.mark.parametrize("setup", ["pre-commit before", "pre-commit after"])
@pytest.mark.parametrize("first", ["tagguard", "pre-commit"])
def test_uninstall_in_either_order(
    session: Session, tmp_path: Path, setup: str, first: str
) -> None:
    service = new_service(session, tmp_path)
    original = foreign_hook(service)
    installed(service, setup)

    def uninstall(who: str) -> None:
        if who == "tagguard":
            service.install_git_hook("--uninstall")
        else:
            service.pre_commit("uninstall", "--hook-type", "pre-push")

    uninstall(first)
    # Half-way, whatever remains still works: the immutable tag is blocked only by tagguard.
    service.tag(IMMUTABLE)
    halfway = service.push("origin", IMMUTABLE)
    assert halfway.code == (1 if first == "pre-commit" else 0), halfway.log
    assert "foreign hook ran" in halfway.log
    uninstall("pre-commit" if first == "tagguard" else "tagguard")
    assert service.hook().read_text() == original
    assert sorted(p.name for p in service.hook().parent.iterdir() if "pre-push" in p.name) == [
        "pre-push",
        "pre-push.sample",
    ]


def test_alone_without_a_hook_before_uninstall_leaves_none(
    session: Session, tmp_path: Path
) -> None:
    service = new_service(session, tmp_path)
    service.install_git_hook(*OFFLINE)
    assert service.hook().exists()
    assert (service.path / ".git" / "tagguard-hook.json").exists()
    service.install_git_hook("--uninstall")
    assert not service.hook().exists()
    assert not (service.path / ".git" / "tagguard-hook.json").exists()
    service.tag(IMMUTABLE)
    assert service.push("origin", IMMUTABLE).code == 0  # no hook any more


def test_install_refuses_what_cannot_work_in_a_hook(session: Session, tmp_path: Path) -> None:
    service = new_service(session, tmp_path)
    stdin = service.tagguard("install-git-hook", "--username", "u", "--password-stdin")
    assert stdin.returncode == 2
    assert stdin.stderr.startswith("tagguard: error: install-git-hook: --username cannot work")
    missing = service.tagguard("install-git-hook", "release.yml")
    assert missing.returncode == 2
    assert "no plan at release.yml" in missing.stderr
    typo = service.tagguard("install-git-hook", "--rules-fil", "rules.json")
    assert typo.returncode == 2
    assert "--rules-fil" in typo.stderr
    assert not service.hook().exists()


def test_a_tag_deletion_passes_in_a_sha256_repository(session: Session, tmp_path: Path) -> None:
    # In a SHA-256 repository git writes a deletion's local id as 64 zeros, not 40.
    env = clean_environment(tmp_path, session.pre_commit_home)
    service = make_service(tmp_path, env, session.hooks, object_format="sha256")
    service.install_git_hook(".tagguard.yml", *OFFLINE)
    service.tag(IMMUTABLE)
    there = service.push("--no-verify", "origin", IMMUTABLE)
    assert there.code == 0, there.log
    deleted = service.push("origin", "--delete", IMMUTABLE)
    assert deleted.code == 0, deleted.log
    assert deleted.lines("tagguard: no git tag is pushed: nothing to check"), deleted.log
    assert f"refs/tags/{IMMUTABLE}" not in service.remote_refs()
