"""action.yml, validated against SchemaStore's schema and run the way the runner runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN, Harbor
from tests.harbor_server.images import make_image
from tests.surfaces.action_runner import base_env, load_yaml, run_action
from tests.surfaces.conftest import readme_example, repository_root


def test_action_yml_is_valid_for_github() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-actions",
            str(repository_root() / "action.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def readme_step_inputs() -> dict[str, str]:
    workflow = load_yaml(readme_example("github-workflow"))
    (guard,) = [s for s in workflow["jobs"]["release"]["steps"] if s.get("id") == "guard"]
    assert guard["uses"].startswith("tagguard/tagguard@")
    return {k: str(v) for k, v in guard["with"].items()}


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One RUNNER_TEMP for the module: the action's venv is built once, as on one runner.
    return tmp_path_factory.mktemp("runner-temp")


def test_the_readme_workflow_blocks_skips_and_allows(
    harbor: Harbor, runner_temp: Path, tmp_path: Path
) -> None:
    harbor.state.add_project("platform")
    harbor.rule("platform", tag="v*")
    built = harbor.push("platform/api:1.4.0")  # a re-run: this image is already there
    harbor.push("platform/api:v1")  # an immutable tag on another image
    inputs = readme_step_inputs()
    secrets = {
        "${{ secrets.HARBOR_USERNAME }}": ADMIN[0],
        "${{ secrets.HARBOR_PASSWORD }}": ADMIN[1],
        "${{ steps.build.outputs.digest }}": built.digest,
    }
    given = {name: secrets.get(value, value) for name, value in inputs.items()}
    given["harbor-url"] = f"harbor.example.com={harbor.url}"
    env = base_env()
    # What docker/metadata-action exports for the next steps:
    env["DOCKER_METADATA_OUTPUT_TAGS"] = (
        "harbor.example.com/platform/api:1.4.0\nharbor.example.com/platform/api:1.4\nharbor.example.com/platform/api:v1\n"
    )
    result = run_action(repository_root(), given, tmp_path, env, runner_temp)
    assert result.status == 1, result.log
    log = result.log
    assert "::error title=tagguard%3A push blocked::harbor.example.com/platform/api:v1:" in log
    assert "Harbor12345" not in log  # the password is never printed, not even to be masked
    assert "| ⛔ block | harbor.example.com/platform/api:v1 |" in result.summary
    outputs = result.steps["tagguard"]
    assert (outputs["blocked"], outputs["skipped"], outputs["allowed"]) == ("1", "1", "1")
    assert outputs["push-refs"] == "harbor.example.com/platform/api:1.4"
    assert Path(outputs["report"]).is_file()


def test_warn_mode_reports_and_goes_on(harbor: Harbor, runner_temp: Path, tmp_path: Path) -> None:
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    given = {
        "refs": harbor.ref("proj/app:v1"),
        "digest": make_image().digest,
        "mode": "warn",
        "args": "--plain-http",
        "username": ADMIN[0],
        "password": ADMIN[1],
    }
    result = run_action(repository_root(), given, tmp_path, base_env(), runner_temp)
    assert result.status == 0, result.log
    assert result.outputs["blocked"] == "1"
    assert "mode is warn, so the workflow goes on" in result.log


def test_inputs_never_run_as_code(harbor: Harbor, runner_temp: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    given = {
        "refs": f"$(touch {marker}) `touch {marker}`",
        "args": "--plain-http",
        "username": ADMIN[0],
        "password": ADMIN[1],
    }
    result = run_action(repository_root(), given, tmp_path, base_env(), runner_temp)
    assert result.status == 2
    assert not marker.exists()


def test_no_references_is_an_error_annotation(runner_temp: Path, tmp_path: Path) -> None:
    result = run_action(repository_root(), {}, tmp_path, base_env(), runner_temp)
    assert result.status == 2
    assert "::error title=tagguard::no references to check" in result.log
