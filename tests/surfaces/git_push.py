"""Real `git push`es to a local bare remote, through the hooks people install: pre-commit's
(`pre-commit install --hook-type pre-push`, from this venv) and tagguard's own
(`tagguard install-git-hook`). Shared by test_pre_commit.py and test_git_hook.py.

pre-commit installs a hook repository at a git revision, so the tests give it a snapshot of
this working tree (what `pip install .` needs and the hook manifest) committed in a scratch
repository; its environment is built once per session, in a shared PRE_COMMIT_HOME.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT
from tests.surfaces.conftest import readme_example

IDENTITY = ("-c", "user.email=t@t", "-c", "user.name=t")
OFFLINE = ("--rules-file", "rules.json", "--state-file", "state.json")
# examples/rules.json makes v* tags of platform/api immutable; examples/state.json has
# v1.4.0 there already, and no v1.5.0.
IMMUTABLE, RELEASE = "v1.4.0", "v1.5.0"
SNAPSHOT = ("pyproject.toml", "README.md", "LICENSE", "src", ".pre-commit-hooks.yaml")


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        ["git", *IDENTITY, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, (args, done.stdout + done.stderr)
    return done.stdout


def hooks_repository(where: Path) -> tuple[Path, str]:
    """This working tree's package and hook manifest, committed: (path, revision)."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z", "--", *SNAPSHOT],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    where.mkdir(parents=True)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # listed but deleted in the working tree: left out
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, where / name)
    git(where, "init", "-q")
    git(where, "add", "-A")
    git(where, "commit", "-qm", "snapshot of the working tree")
    return where, git(where, "rev-parse", "HEAD").strip()


def clean_environment(tmp: Path, pre_commit_home: Path) -> dict[str, str]:
    """The environment of a developer's shell: nothing of tagguard's, pytest's or git's own."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TAGGUARD_", "GIT_", "PRE_COMMIT", "PYTEST_"))
    }
    env.update(
        HOME=str(tmp / "home"),
        DOCKER_CONFIG=str(tmp / "docker"),
        PRE_COMMIT_HOME=str(pre_commit_home),
        GIT_CONFIG_NOSYSTEM="1",
    )
    (tmp / "home").mkdir(exist_ok=True)
    return env


@dataclass
class Pushed:
    code: int
    log: str

    def lines(self, start: str) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith(start)]


@dataclass
class Service:
    """A developer's clone of a service with a release plan, and its bare remote."""

    path: Path
    remote: Path
    env: dict[str, str]

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.path,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def commit(self, message: str = "change") -> str:
        git(self.path, "commit", "-q", "--allow-empty", "-m", message, env=self.env)
        return git(self.path, "rev-parse", "HEAD", env=self.env).strip()

    def tag(self, name: str, *, annotated: bool = False) -> None:
        extra = ["-a", "-m", f"release {name}"] if annotated else []
        git(self.path, "tag", *extra, name, env=self.env)

    def push(self, *args: str) -> Pushed:
        done = self.run("git", "push", *args)
        return Pushed(done.returncode, done.stdout + done.stderr)

    def remote_refs(self) -> set[str]:
        return set(git(self.remote, "for-each-ref", "--format=%(refname)").split())

    def remote_head(self) -> str:
        return git(self.remote, "rev-parse", "refs/heads/main").strip()

    def pre_commit(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.run(sys.executable, "-m", "pre_commit", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    def tagguard(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "-m", "tagguard", *args)

    def install_git_hook(self, *args: str) -> str:
        done = self.tagguard("install-git-hook", *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def hook(self, name: str = "pre-push") -> Path:
        return self.path / ".git" / "hooks" / name


def make_service(
    tmp: Path,
    env: dict[str, str],
    hooks: tuple[Path, str],
    hook_args: tuple[str, ...] = OFFLINE,
    object_format: str = "sha1",
) -> Service:
    """The README's plan (`push: harbor.example.com/platform/api:${GIT_TAG}`), the example
    rules and state beside it, a pre-commit config naming the tagguard hook, and a first
    commit the remote already has; both repositories use `object_format` (git's hash)."""
    remote = tmp / "remote.git"
    hashed = f"--object-format={object_format}"
    git(tmp, "init", "-q", "--bare", hashed, str(remote), env=env)
    path = tmp / "service"
    git(tmp, "init", "-q", "-b", "main", hashed, str(path), env=env)
    (path / ".tagguard.yml").write_text(readme_example("pre-commit-plan"))
    shutil.copy(EXAMPLES / "rules.json", path / "rules.json")
    shutil.copy(EXAMPLES / "state.json", path / "state.json")
    args = ", ".join([".tagguard.yml", *hook_args])
    (path / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks[0]}\n    rev: {hooks[1]}\n    hooks:\n"
        f"      - id: tagguard\n        args: [{args}]\n"
    )
    git(path, "add", ".", env=env)
    git(path, "commit", "-qm", "service", env=env)
    git(path, "remote", "add", "origin", str(remote), env=env)
    git(path, "push", "-q", "origin", "main", env=env)
    return Service(path, remote, env)


# The pushes of the table; each returns what `git push` did.
def branch_nothing_to_check(s: Service) -> Pushed:
    s.commit()
    return s.push("origin", "main")


def commit_and_immutable_tag(s: Service) -> Pushed:
    s.commit()
    s.tag(IMMUTABLE)
    return s.push("origin", "main", IMMUTABLE)


def immutable_tag_alone(s: Service) -> Pushed:
    s.tag(IMMUTABLE)
    return s.push("origin", IMMUTABLE)


def release_tag_alone(s: Service) -> Pushed:
    s.tag(RELEASE)
    return s.push("origin", RELEASE)


def follow_tags_annotated(s: Service) -> Pushed:
    s.commit()
    s.tag(IMMUTABLE, annotated=True)
    return s.push("--follow-tags", "origin", "main")


def branch_with_local_tag(s: Service) -> Pushed:
    s.commit()
    s.tag(IMMUTABLE)  # lightweight, and not named: git pushes only the branch
    return s.push("origin", "main")


def tag_deletion(s: Service) -> Pushed:
    s.tag(IMMUTABLE)
    done = s.push("--no-verify", "origin", IMMUTABLE)  # there before any hook
    assert done.code == 0, done.log
    return s.push("origin", "--delete", IMMUTABLE)


ROWS: dict[str, Callable[[Service], Pushed]] = {
    "branch, nothing to check": branch_nothing_to_check,
    "new commit and immutable tag together": commit_and_immutable_tag,
    "immutable tag alone": immutable_tag_alone,
    "new release tag alone": release_tag_alone,
    "--follow-tags, annotated immutable tag": follow_tags_annotated,
    "branch with an unpushed lightweight tag on it": branch_with_local_tag,
    "tag deletion": tag_deletion,
}


@dataclass(frozen=True)
class Session:
    """What every test's service shares: the hook repository and pre-commit's cache."""

    hooks: tuple[Path, str]
    pre_commit_home: Path


def shared_session(base: Path) -> Session:
    """One snapshot and one pre-commit environment for the whole pytest session (both test
    modules call this with pytest's base temporary folder)."""
    where = base / "tagguard-hooks"
    home = base / "pre-commit-home"
    if where.is_dir():
        return Session((where, git(where, "rev-parse", "HEAD").strip()), home)
    return Session(hooks_repository(where), home)
