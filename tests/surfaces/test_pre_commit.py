"""The pre-commit hooks, run by the real pre-commit the way users run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import EXAMPLES
from tests.e2e.conftest import ADMIN, Harbor
from tests.surfaces.conftest import readme_example, repository_root


def git(path: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=path,
        check=True,
        capture_output=True,
    )


def user_repository(tmp_path: Path) -> Path:
    repo = tmp_path / "service"
    repo.mkdir()
    (repo / ".tagguard.yml").write_text(readme_example("pre-commit-plan"))
    (repo / "harbor").mkdir()
    (repo / "harbor" / "immutable-rules.json").write_text((EXAMPLES / "rules.json").read_text())
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "service")
    return repo


def pushing_tag(tag: str) -> list[str]:
    """What pre-commit's pre-push hook passes on for `git push origin <tag>`."""
    return [
        "--hook-stage",
        "pre-push",
        "--all-files",
        "--remote-name",
        "origin",
        "--remote-url",
        "https://git.example.com/service.git",
        "--local-branch",
        f"refs/tags/{tag}",
        "--remote-branch",
        f"refs/tags/{tag}",
    ]


def try_repo(
    repo: Path, hook: str, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(repository_root()),
            hook,
            "--verbose",
            *args,
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


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


def test_pushing_a_git_tag_whose_image_tag_is_immutable(harbor: Harbor, tmp_path: Path) -> None:
    harbor.state.add_project("platform")
    harbor.rule("platform", tag="1.*")
    existing = harbor.push("platform/api:1.3.0")
    repo = user_repository(tmp_path)
    env = {
        **os.environ,
        "TAGGUARD_HARBOR_URL": f"harbor.example.com={harbor.url}",
        "TAGGUARD_USERNAME": ADMIN[0],
        "TAGGUARD_PASSWORD": ADMIN[1],
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "DOCKER_CONFIG": str(tmp_path / "docker"),
    }
    env.pop("PYTEST_CURRENT_TEST", None)
    taken = try_repo(repo, "tagguard", *pushing_tag("1.3.0"), env=env)
    log = taken.stdout + taken.stderr
    assert taken.returncode == 1, log
    assert "block  harbor.example.com/platform/api:1.3.0" in log
    assert "Failed" in log
    fresh = try_repo(repo, "tagguard", *pushing_tag("1.4.0"), env=env)
    log = fresh.stdout + fresh.stderr
    assert fresh.returncode == 0, log
    assert "allow  harbor.example.com/platform/api:1.4.0" in log
    # A plan that names the image's digest: re-pushing the tag of an image already there.
    (repo / ".tagguard.yml").write_text(
        readme_example("pre-commit-plan") + "    digest: ${IMAGE_DIGEST}\n"
    )
    git(repo, "commit", "-qam", "name the digest")
    again = try_repo(
        repo, "tagguard", *pushing_tag("1.3.0"), env={**env, "IMAGE_DIGEST": existing.digest}
    )
    log = again.stdout + again.stderr
    assert again.returncode == 0, log
    assert "skip   harbor.example.com/platform/api:1.3.0" in log


def test_lint_hook_lints_rules_files_in_the_repository(tmp_path: Path) -> None:
    repo = user_repository(tmp_path)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    done = try_repo(repo, "tagguard-lint", "--all-files", env=env)
    log = done.stdout + done.stderr
    assert done.returncode == 1, log  # examples/rules.json has a rule that fails open
    assert "harbor/immutable-rules.json: project legacy: error: rule 7" in log
    (repo / "harbor" / "immutable-rules.json").write_text(json.dumps({"platform": []}))
    git(repo, "commit", "-qam", "fix rules")
    clean = try_repo(repo, "tagguard-lint", "--all-files", env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
