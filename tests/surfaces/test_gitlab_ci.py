"""The GitLab CI include and component: valid for GitLab, and run with gitlab-ci-local in
fresh pipelines that install tagguard the way the files do (from tagguard's own git
repository, served here over loopback HTTP), with the user's own top-level variables."""

from __future__ import annotations

import base64
import http.server
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tagguard import __version__
from tests.conftest import output_json
from tests.e2e.conftest import Harbor
from tests.harbor_server.images import make_image
from tests.harbor_server.users import ADMIN
from tests.reporters.conftest import npm_tool
from tests.surfaces.conftest import readme_example, repository_root

ROOT = repository_root()
INCLUDE = ROOT / "gitlab-ci-template.yml"
COMPONENT = ROOT / "templates" / "tagguard.yml"
REPORTS = ("tagguard-junit.xml", "gl-code-quality-report.json", "tagguard.env")
# A Harbor robot account's name, as Harbor makes them: `robot$` + project + `+` + name.
ROBOT = ("robot$platform+release", "robot-release-secret")


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
    head, _, body = COMPONENT.read_text().partition("\n---\n")
    return head, body


def component_inputs() -> dict[str, dict[str, Any]]:
    inputs: dict[str, dict[str, Any]] = yaml.safe_load(component_documents()[0])["spec"]["inputs"]
    return inputs


def include_variables() -> dict[str, str]:
    variables: dict[str, str] = yaml.safe_load(INCLUDE.read_text())["variables"]
    return variables


def test_the_include_is_valid_gitlab_ci() -> None:
    check_gitlab_schema(INCLUDE)


def test_the_component_with_its_inputs_filled_in_is_valid(tmp_path: Path) -> None:
    head, body = component_documents()
    inputs = component_inputs()
    filled = re.sub(
        r"\$\[\[\s*inputs\.([a-z-]+)\s*\]\]",
        lambda m: str(inputs[m.group(1)].get("default", "")),
        body,
    )
    (tmp_path / "head.yml").write_text(head + "\n")
    (tmp_path / "job.yml").write_text(filled)
    check_gitlab_schema(tmp_path / "head.yml", tmp_path / "job.yml")


def test_every_component_input_is_described() -> None:
    undescribed = [name for name, spec in component_inputs().items() if not spec.get("description")]
    assert undescribed == []


def test_the_component_runs_the_same_job_as_the_include() -> None:
    include = yaml.safe_load(INCLUDE.read_text())[".tagguard"]
    component = yaml.safe_load(component_documents()[1])["$[[ inputs.job-name ]]"]
    assert component["script"] == include["script"]
    assert component["artifacts"] == include["artifacts"]
    assert component["allow_failure"] == include["allow_failure"]
    # The component sets, from its inputs, the variables the include defaults at the top
    # level; the image is its `image:` input, and TAGGUARD_DISABLED stays the user's.
    assert set(component["variables"]) == set(include_variables()) - {
        "TAGGUARD_IMAGE",
        "TAGGUARD_DISABLED",
    }


def test_defaults_are_top_level_so_the_users_variables_win() -> None:
    """GitLab gives a job's own `variables:` precedence over every top-level one, the
    user's included: a default set on the job would silently override the user's."""
    include = yaml.safe_load(INCLUDE.read_text())
    assert "variables" not in include[".tagguard"]
    assert {"TAGGUARD_INSTALL", "TAGGUARD_MODE", "TAGGUARD_DISABLED"} <= set(include["variables"])
    component = yaml.safe_load(component_documents()[1])["$[[ inputs.job-name ]]"]
    assert "TAGGUARD_DISABLED" not in component["variables"]


def test_the_default_install_is_this_release_from_its_own_repository() -> None:
    variables = include_variables()
    assert variables["TAGGUARD_INSTALL"] == "source"
    assert variables["TAGGUARD_REF"] == f"v{__version__}"
    assert variables["TAGGUARD_PACKAGE"] == f"tagguard=={__version__}"
    inputs = component_inputs()
    assert inputs["install"]["default"] == "source"
    assert set(inputs["install"]["options"]) == {"source", "package", "image"}
    # The git ref the component installs from: the tag a release makes (v-prefixed).
    assert str(inputs["version"]["default"]) == f"v{__version__}"
    assert inputs["package"]["default"] == f"tagguard=={__version__}"


def test_warn_mode_is_an_allowed_failure_and_enforce_is_not() -> None:
    include = yaml.safe_load(INCLUDE.read_text())[".tagguard"]
    codes = include["allow_failure"]["exit_codes"]
    assert 1 not in codes  # tagguard's "blocked" in enforce mode must fail the job
    assert 2 not in codes  # nor may "could not decide", in either mode
    assert all(f"exit {code}" in "\n".join(include["script"]) for code in codes)


def test_the_readmes_gitlab_section_names_every_variable_of_the_include() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n### GitLab CI\n", 1)[1].split("\n### ", 1)[0]
    unnamed = [name for name in include_variables() if f"`{name}" not in section]
    assert unnamed == []
    words = " ".join(section.split())
    assert "split on blanks with no shell quoting" in words  # TAGGUARD_ARGS, unlike `args`


def test_the_dollar_in_robot_names_is_documented() -> None:
    for path in (INCLUDE, COMPONENT):
        text = path.read_text()
        assert "robot$$project+ci" in text or "`$$`" in text, path
        assert "expand: false" in text, path


# --- gitlab-ci-local ----------------------------------------------------------------------


@dataclass
class GitServer:
    """tagguard's repository served read-only over loopback HTTP (git's dumb protocol, as
    a plain web server serves a bare repository), recording each request's headers."""

    url: str
    authorizations: list[str] = field(default_factory=list)


def bare_repository(path: Path, tag: str) -> None:
    """A bare clone of this checkout's HEAD, tagged as a release would be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for command in (
        ["git", "clone", "--quiet", "--bare", "--no-local", str(ROOT), str(path)],
        ["git", "-C", str(path), "tag", tag, "HEAD"],
        ["git", "-C", str(path), "update-server-info"],
    ):
        subprocess.run(command, check=True, capture_output=True, timeout=120)


@pytest.fixture
def git_server(tmp_path: Path) -> Iterator[GitServer]:
    root = tmp_path / "git-server"
    root.mkdir()
    seen: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.path = self.path.split("?", 1)[0]  # no smart protocol: the dumb one
            super().do_GET()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield GitServer(f"http://127.0.0.1:{server.server_port}", seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def gitlab_ci_local(
    project: Path, job: str, variables: dict[str, str], *, path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs `job` with the shell executor; `path`, a folder put first on the job's PATH (its
    programs stand in for what the job's image holds)."""
    command = [
        str(npm_tool(".bin/gitlab-ci-local")),
        "--force-shell-executor",
        "--home",
        str(project / ".home"),
    ]
    for key, value in variables.items():
        command += ["--variable", f"{key}={value}"]
    return subprocess.run(
        [*command, job],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={
            **base_env(path),
            "GCL_IGNORE_PREDEFINED_VARS": "CI_SERVER_URL,CI_JOB_TOKEN",
        },
    )


def base_env(path: Path | None = None) -> dict[str, str]:
    # No prompt for credentials from git, ever: a wrong URL fails instead of waiting.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    if path is not None:
        env["PATH"] = f"{path}{os.pathsep}{env['PATH']}"
    return env


def program(folder: Path, name: str, body: str) -> Path:
    """An executable shell script `folder/name`."""
    folder.mkdir(parents=True, exist_ok=True)
    made = folder / name
    made.write_text(f"#!/bin/sh\n{body}\n")
    made.chmod(0o755)
    return made


def image_with_tagguard(folder: Path) -> Path:
    """What TAGGUARD_INSTALL image expects of the job's image, fast: a `tagguard` on PATH,
    this checkout's, run by the tests' Python."""
    src = shlex.quote(str(ROOT / "src"))
    python = shlex.quote(sys.executable)
    program(folder, "tagguard", f'PYTHONPATH={src} exec {python} -m tagguard "$@"')
    return folder


def make_project(tmp_path: Path, pipeline: dict[str, Any]) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline, sort_keys=False))
    (project / "templates").mkdir()
    (project / "gitlab-ci-template.yml").write_text(INCLUDE.read_text())
    (project / "templates" / "tagguard.yml").write_text(COMPONENT.read_text())
    for command in (
        ["git", "init", "-q"],
        ["git", "add", "."],
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "ci"],
    ):
        subprocess.run(command, cwd=project, check=True, capture_output=True)
    return project


def readme_pipeline() -> dict[str, Any]:
    pipeline: dict[str, Any] = yaml.safe_load(readme_example("gitlab-ci"))
    pipeline["include"] = [{"local": "gitlab-ci-template.yml"}]
    return pipeline


def outcome(log: str, job: str) -> str:
    """The job's state as gitlab-ci-local prints it: PASS, WARN <code> (failed, allowed to),
    or FAIL <code>. Its own exit status cannot say: it counts any job with an
    `allow_failure:` mapping as allowed to fail, whatever `exit_codes` holds
    (gitlab-ci-local 4.65 src/executor.js, `!j.allowFailure`), where GitLab fails it."""
    found = re.findall(
        rf"^{re.escape(job)}\s+finished in [^\n]*?(?:(WARN|FAIL) (\d+))?\s*$", log, re.M
    )
    assert found, log
    state, code = found[-1]
    return f"{state} {code}" if state else "PASS"


def artifacts(project: Path, job: str) -> Path:
    return project / ".gitlab-ci-local" / "artifacts" / job


def test_a_fresh_pipeline_installs_tagguard_from_its_repository(
    harbor: Harbor, git_server: GitServer, tmp_path: Path
) -> None:
    """The README's pipeline as a user writes it: the include's defaults (install from
    source at TAGGUARD_REF) with the user's top-level variables, a robot's `$` as `$$`."""
    bare_repository(tmp_path / "git-server" / "tagguard.git", f"v{__version__}")
    harbor.state.add_project("platform")
    harbor.state.add_user(
        *ROBOT,
        permissions={
            "platform:artifact:read",
            "platform:repository:pull",
            "platform:immutable-tag:list",
        },
    )
    harbor.rule("platform", tag="1.*")
    built = harbor.push("platform/api:1.4.0")
    pipeline = readme_pipeline()
    pipeline["variables"] = {
        # Where tagguard's repository is (here: the loopback server); the ref stays the
        # include's default, this release's tag.
        "TAGGUARD_SOURCE": f"{git_server.url}/tagguard.git",
        "TAGGUARD_HARBOR_URL": f"harbor.example.com={harbor.url}",
        "TAGGUARD_USERNAME": ROBOT[0].replace("$", "$$"),
        "TAGGUARD_PASSWORD": ROBOT[1],
        # A top-level value the include also defaults: the user's must win.
        "TAGGUARD_ARGS": "--timeout 5",
        "IMAGE_DIGEST": built.digest,
        "CI_COMMIT_TAG": "1.4.0",
    }
    project = make_project(tmp_path, pipeline)
    run = gitlab_ci_local(project, "check-release-tags", {})
    log = run.stdout + run.stderr
    assert outcome(log, "check-release-tags") == "PASS", log
    assert "skip   harbor.example.com/platform/api:1.4.0" in log
    assert "allow  harbor.example.com/platform/api:latest" in log
    assert git_server.authorizations, "tagguard was not fetched from its repository"
    assert not any(git_server.authorizations)  # no job token in this pipeline, no header
    job = artifacts(project, "check-release-tags")
    for name in REPORTS:
        assert (job / name).is_file(), name
    dotenv = job / ".gitlab-ci-reports" / "dotenv" / "tagguard.env"
    assert dotenv.read_text() == "TAGGUARD_BLOCKED=0\nTAGGUARD_SKIPPED=1\nTAGGUARD_ALLOWED=1\n"
    # The robot's name reached Harbor with its `$` (as `robot+release` Harbor would have
    # refused it, and tagguard would have exited 2), and its secret was never printed.
    assert ROBOT[1] not in log


def test_the_component_installs_from_its_own_project_and_warns(
    harbor: Harbor, git_server: GitServer, tmp_path: Path
) -> None:
    """The component, included with inputs, installs from its own project on "this GitLab"
    (CI_SERVER_URL, the loopback server) at `version`, with the job token; in warn mode a
    block is GitLab's allowed failure (gitlab-ci-local's WARN), not a green job."""
    bare_repository(tmp_path / "git-server" / "tools" / "tagguard.git", f"v{__version__}")
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    pipeline = {
        "include": [
            {
                "local": "templates/tagguard.yml",
                "inputs": {
                    "project": "tools/tagguard",
                    "refs": harbor.ref("proj/app:v1"),
                    "digest": make_image().digest,
                    "mode": "warn",
                    "args": "--plain-http --timeout 5",
                },
            }
        ],
        "variables": {
            "TAGGUARD_USERNAME": {"value": ADMIN[0], "expand": False},
            "TAGGUARD_PASSWORD": ADMIN[1],
        },
    }
    project = make_project(tmp_path, pipeline)
    run = gitlab_ci_local(
        project,
        "tagguard",
        {"CI_SERVER_URL": git_server.url, "CI_JOB_TOKEN": "job-token-123"},
    )
    log = run.stdout + run.stderr
    assert outcome(log, "tagguard") == "WARN 3", log
    assert f"block  {harbor.ref('proj/app:v1')}" in log
    assert "TAGGUARD_MODE is warn: exit code 3, allowed to fail" in log
    token = base64.b64encode(b"gitlab-ci-token:job-token-123").decode()
    assert f"Basic {token}" in git_server.authorizations
    for name in REPORTS:
        assert (artifacts(project, "tagguard") / name).is_file(), name


def test_a_robot_name_left_to_expand_loses_its_project(tmp_path: Path) -> None:
    """What the template documents, checked with the client: GitLab (and gitlab-ci-local)
    expand `$platform` in a variable's value, `$$` and `expand: false` keep it."""
    pipeline = {
        "variables": {
            "PLAIN": "robot$platform+release",
            "DOUBLED": "robot$$platform+release",
            "RAW": {"value": "robot$platform+release", "expand": False},
        },
        "show": {"script": ['echo "PLAIN=$PLAIN DOUBLED=$DOUBLED RAW=$RAW"']},
    }
    project = make_project(tmp_path, pipeline)
    run = gitlab_ci_local(project, "show", {})
    assert (
        "PLAIN=robot+release DOUBLED=robot$platform+release RAW=robot$platform+release"
        in run.stdout
    ), run.stdout + run.stderr


def test_the_readme_pipeline_runs_under_gitlab_ci_local(harbor: Harbor, tmp_path: Path) -> None:
    harbor.state.add_project("platform")
    harbor.rule("platform", tag="1.*")
    built = harbor.push("platform/api:1.4.0")
    harbor.push("platform/api:1.3.0")
    project = make_project(tmp_path, readme_pipeline())
    variables = {
        "TAGGUARD_INSTALL": "package",
        "TAGGUARD_PACKAGE": str(ROOT),
        "TAGGUARD_HARBOR_URL": f"harbor.example.com={harbor.url}",
        "TAGGUARD_USERNAME": ADMIN[0],
        "TAGGUARD_PASSWORD": ADMIN[1],
        "IMAGE_DIGEST": built.digest,
    }
    moved = gitlab_ci_local(project, "check-release-tags", {**variables, "CI_COMMIT_TAG": "1.3.0"})
    log = moved.stdout + moved.stderr
    assert outcome(log, "check-release-tags") == "FAIL 1", log  # enforce: not allowed
    assert "block  harbor.example.com/platform/api:1.3.0" in log
    job = artifacts(project, "check-release-tags")
    report = json.loads((job / "gl-code-quality-report.json").read_text())
    assert report[0]["severity"] == "blocker"
    assert "<failure" in (job / "tagguard-junit.xml").read_text()
    written = (job / "tagguard-report.json").read_text()
    assert ADMIN[1] not in written
    assert output_json(written)["summary"]["block"] >= 1  # the published contract
    assert ADMIN[1] not in log

    off = gitlab_ci_local(
        project,
        "check-release-tags",
        {**variables, "CI_COMMIT_TAG": "1.3.0", "TAGGUARD_DISABLED": "true"},
    )
    assert outcome(off.stdout, "check-release-tags") == "PASS"
    assert "TAGGUARD_DISABLED is true" in off.stdout + off.stderr


def test_a_top_level_variable_of_the_user_wins(tmp_path: Path) -> None:
    """The user's top-level `TAGGUARD_DISABLED` turns the README's job off: a job-level
    default in the include would win over it and run the check."""
    pipeline = readme_pipeline()
    pipeline["variables"] = {"TAGGUARD_DISABLED": "true", "CI_COMMIT_TAG": "1.4.0"}
    project = make_project(tmp_path, pipeline)
    run = gitlab_ci_local(project, "check-release-tags", {})
    log = run.stdout + run.stderr
    assert outcome(log, "check-release-tags") == "PASS", log
    assert "tagguard: skipped, TAGGUARD_DISABLED is true" in log


def check_job(**variables: str) -> dict[str, Any]:
    """A pipeline of one job, `check`, extending the include's `.tagguard` to check one
    reference, with `variables` besides."""
    return {
        "include": [{"local": "gitlab-ci-template.yml"}],
        "check": {
            "extends": ".tagguard",
            "variables": {"TAGGUARD_REFS": "harbor.example.com/proj/app:v1", **variables},
        },
    }


@pytest.mark.parametrize("mode", ["enforce", "warn"])
def test_an_unreachable_harbor_fails_the_job_in_either_mode(
    tmp_path: Path, refused_url: str, mode: str
) -> None:
    """Fail closed: warn mode makes a block an allowed failure (exit 3), never "could not
    decide" (exit 2) a pass, nor a dotenv that tells later jobs nothing is blocked."""
    pipeline = check_job(
        TAGGUARD_DIGEST=make_image().digest,
        TAGGUARD_HARBOR_URL=refused_url,
        TAGGUARD_MODE=mode,
        TAGGUARD_INSTALL="image",
    )
    project = make_project(tmp_path, pipeline)
    run = gitlab_ci_local(project, "check", {}, path=image_with_tagguard(tmp_path / "bin"))
    log = run.stdout + run.stderr
    assert outcome(log, "check") == "FAIL 2", log
    assert "connection refused" in log
    assert "TAGGUARD_BLOCKED=0" not in log
    dotenv = artifacts(project, "check") / ".gitlab-ci-reports" / "dotenv" / "tagguard.env"
    # Written on exit 2 too (a reused path keeps no earlier verdict): no count, the error.
    variables = dict(line.split("=", 1) for line in dotenv.read_text().splitlines())
    assert variables["TAGGUARD_BLOCKED"] == ""
    assert variables["TAGGUARD_ERROR"] == "remote"
    assert "connection refused" in variables["TAGGUARD_ERROR_MESSAGE"]


# A `python3` for the job whose venv module is missing (Debian's python3 without
# python3-venv), and one whose venv's pip fails (no index, a wrong requirement).
NO_VENV = """echo "The virtual environment was not created successfully because ensurepip is not available." >&2
exit 1"""
PIP_FAILS = """if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/bin/sh\\necho "ERROR: No matching distribution found" >&2\\nexit 1\\n' > "$3/bin/python"
  chmod +x "$3/bin/python"
  exit 0
fi
exit 1"""
VENV_FAILED = (
    "tagguard: python3 -m venv failed; use an image with Python 3.11+ and its venv module, "
    "or TAGGUARD_INSTALL image"
)
PIP_FAILED = (
    "tagguard: pip could not install tagguard (TAGGUARD_INSTALL package; pip's messages are above)"
)


@pytest.mark.parametrize(
    ("python3", "says"),
    [
        (NO_VENV, VENV_FAILED),
        (PIP_FAILS, PIP_FAILED),
    ],
    ids=["venv", "pip"],
)
@pytest.mark.parametrize("mode", ["enforce", "warn"])
def test_a_failed_install_is_undecided_not_blocked(
    tmp_path: Path, python3: str, says: str, mode: str
) -> None:
    """Under the job shell's `set -e` a failed command ends the job with its own code: a
    failed venv was exit 1, tagguard's "blocked". Any failed install is exit 2, with one line."""
    pipeline = check_job(TAGGUARD_MODE=mode, TAGGUARD_INSTALL="package")
    project = make_project(tmp_path, pipeline)
    folder = tmp_path / "bin"
    program(folder, "python3", python3)
    run = gitlab_ci_local(project, "check", {}, path=folder)
    log = run.stdout + run.stderr
    assert outcome(log, "check") == "FAIL 2", log
    printed = [line for line in log.splitlines() if line.startswith("check > ")]
    assert [line for line in printed if "tagguard:" in line] == [f"check > {says}"], log


@pytest.mark.parametrize("mode", ["enforce", "warn"])
def test_a_tagguard_that_cannot_start_is_undecided_not_blocked(tmp_path: Path, mode: str) -> None:
    """Python ends a program that fails before tagguard's own handling (an import, through
    a PYTHONPATH the image or an earlier script line set) with exit 1: no verdict, no report.
    Read as "blocked", warn mode made it an allowed failure (exit 3) having checked nothing."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "click.py").write_text('raise ImportError("click of another Python")\n')
    folder = tmp_path / "bin"
    src = shlex.quote(f"{shadow}{os.pathsep}{ROOT / 'src'}")
    program(
        folder, "tagguard", f'PYTHONPATH={src} exec {shlex.quote(sys.executable)} -m tagguard "$@"'
    )
    pipeline = check_job(TAGGUARD_MODE=mode, TAGGUARD_INSTALL="image")
    project = make_project(tmp_path, pipeline)
    run = gitlab_ci_local(project, "check", {}, path=folder)
    log = run.stdout + run.stderr
    assert "ImportError: click of another Python" in log  # the failure, as meant
    assert outcome(log, "check") == "FAIL 2", log
    assert "blocked references found" not in log
    assert "tagguard: exit code 1 without a verdict (no tagguard-report.json): undecided" in log


def test_a_plan_whose_name_starts_with_a_dash_is_a_file(tmp_path: Path) -> None:
    """TAGGUARD_PLAN is a path, never an option: `-release.yml` was read as `-r` (and a
    name such as `--help` printed the help, with exit 0)."""
    examples = ROOT / "examples"
    pipeline = {
        "include": [{"local": "gitlab-ci-template.yml"}],
        "check": {
            "extends": ".tagguard",
            "variables": {
                "TAGGUARD_PLAN": "-release.yml",
                "TAGGUARD_INSTALL": "image",
                "TAGGUARD_ARGS": f"--rules-file {examples / 'rules.json'} "
                f"--state-file {examples / 'state.json'}",
                "VERSION": "1.5.0",
            },
        },
    }
    project = make_project(tmp_path, pipeline)
    (project / "-release.yml").write_text((examples / "release-plan.yml").read_text())
    run = gitlab_ci_local(project, "check", {}, path=image_with_tagguard(tmp_path / "bin"))
    log = run.stdout + run.stderr
    assert "No such option" not in log
    assert outcome(log, "check") == "FAIL 1", log  # the example plan moves immutable tags
    report = output_json((artifacts(project, "check") / "tagguard-report.json").read_text())
    assert {d["source"]["file"] for d in report["decisions"]} == {"-release.yml"}
