"""The GitLab CI include and component: valid for GitLab, and run with gitlab-ci-local."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.e2e.conftest import ADMIN, Harbor
from tests.harbor_server.images import make_image
from tests.reporters.conftest import npm_tool
from tests.surfaces.conftest import readme_example, repository_root

ROOT = repository_root()


def check_gitlab_schema(*paths: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.gitlab-ci",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def component_documents() -> tuple[str, str]:
    head, _, body = (ROOT / "templates" / "tagguard.yml").read_text().partition("\n---\n")
    return head, body


def test_the_include_is_valid_gitlab_ci() -> None:
    check_gitlab_schema(ROOT / "gitlab-ci-template.yml")


def test_the_component_with_its_inputs_filled_in_is_valid(tmp_path: Path) -> None:
    head, body = component_documents()
    inputs = yaml.safe_load(head)["spec"]["inputs"]
    filled = re.sub(
        r"\$\[\[\s*inputs\.([a-z-]+)\s*\]\]",
        lambda m: str(inputs[m.group(1)].get("default", "")),
        body,
    )
    (tmp_path / "head.yml").write_text(head + "\n")
    (tmp_path / "job.yml").write_text(filled)
    check_gitlab_schema(tmp_path / "head.yml", tmp_path / "job.yml")


def test_the_component_runs_the_same_job_as_the_include() -> None:
    include = yaml.safe_load((ROOT / "gitlab-ci-template.yml").read_text())[".tagguard"]
    component = yaml.safe_load(component_documents()[1])["$[[ inputs.job-name ]]"]
    assert component["script"] == include["script"]
    assert component["artifacts"] == include["artifacts"]
    assert set(component["variables"]) == set(include["variables"])


def gitlab_ci_local(
    project: Path, job: str, variables: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    command = [
        str(npm_tool(".bin/gitlab-ci-local")),
        "--force-shell-executor",
        "--home",
        str(project / ".home"),
    ]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    return subprocess.run(
        [*command, job], cwd=project, capture_output=True, text=True, timeout=600, check=False
    )


def project_from_readme(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    pipeline = yaml.safe_load(readme_example("gitlab-ci"))
    pipeline["include"] = [{"local": "gitlab-ci-template.yml"}]
    (project / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline))
    (project / "gitlab-ci-template.yml").write_text((ROOT / "gitlab-ci-template.yml").read_text())
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "."],
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "ci"],
    ):
        subprocess.run(command, cwd=project, check=True, capture_output=True)
    return project


def test_the_readme_pipeline_runs_under_gitlab_ci_local(harbor: Harbor, tmp_path: Path) -> None:
    harbor.state.add_project("platform")
    harbor.rule("platform", tag="1.*")
    built = harbor.push("platform/api:1.4.0")
    harbor.push("platform/api:1.3.0")
    project = project_from_readme(tmp_path)
    variables = {
        "TAGGUARD_PACKAGE": str(ROOT),
        "TAGGUARD_HARBOR_URL": f"harbor.example.com={harbor.url}",
        "TAGGUARD_USERNAME": ADMIN[0],
        "TAGGUARD_PASSWORD": ADMIN[1],
        "IMAGE_DIGEST": built.digest,
    }
    rerun = gitlab_ci_local(project, "check-release-tags", {**variables, "CI_COMMIT_TAG": "1.4.0"})
    log = rerun.stdout + rerun.stderr
    assert rerun.returncode == 0, log
    assert "skip   harbor.example.com/platform/api:1.4.0" in log
    assert "allow  harbor.example.com/platform/api:latest" in log
    artifacts = project / ".gitlab-ci-local" / "artifacts" / "check-release-tags"
    dotenv = artifacts / ".gitlab-ci-reports" / "dotenv" / "tagguard.env"
    assert dotenv.read_text() == "TAGGUARD_BLOCKED=0\nTAGGUARD_SKIPPED=1\nTAGGUARD_ALLOWED=1\n"

    moved = gitlab_ci_local(project, "check-release-tags", {**variables, "CI_COMMIT_TAG": "1.3.0"})
    log = moved.stdout + moved.stderr
    assert moved.returncode != 0, log
    assert "block  harbor.example.com/platform/api:1.3.0" in log
    # gitlab-ci-local keeps `paths` and dotenv artifacts; the shell executor leaves the
    # JUnit and Code Quality reports where the job wrote them, for GitLab to pick up.
    report = json.loads((project / "gl-code-quality-report.json").read_text())
    assert report[0]["severity"] == "blocker"
    assert "<failure" in (project / "tagguard-junit.xml").read_text()
    assert ADMIN[1] not in (artifacts / "tagguard-report.json").read_text()
    assert ADMIN[1] not in log

    off = gitlab_ci_local(
        project,
        "check-release-tags",
        {**variables, "CI_COMMIT_TAG": "1.3.0", "TAGGUARD_DISABLED": "true"},
    )
    assert off.returncode == 0
    assert "TAGGUARD_DISABLED is true" in off.stdout + off.stderr


def test_warn_mode_lets_the_pipeline_go_on(harbor: Harbor, tmp_path: Path) -> None:
    harbor.state.add_project("platform")
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    project = project_from_readme(tmp_path)
    run = gitlab_ci_local(
        project,
        "check-release-tags",
        {
            "TAGGUARD_PACKAGE": str(ROOT),
            "TAGGUARD_HARBOR_URL": f"harbor.example.com={harbor.url}",
            "TAGGUARD_USERNAME": ADMIN[0],
            "TAGGUARD_PASSWORD": ADMIN[1],
            "TAGGUARD_MODE": "warn",
            "IMAGE_DIGEST": make_image().digest,
            "CI_COMMIT_TAG": "1.3.0",
        },
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "TAGGUARD_MODE is warn, so the pipeline goes on" in log
