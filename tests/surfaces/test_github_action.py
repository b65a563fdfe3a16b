"""action.yml, validated against SchemaStore's schema and run the way the runner runs it:
under bash 5 (ubuntu-latest), under bash 3.2 (macos-latest's /bin/bash), and with a Windows
venv layout (windows-latest, path logic only: see test_windows_venv_paths)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import shared_dir
from tests.e2e.conftest import Harbor
from tests.harbor_server.images import make_image
from tests.harbor_server.users import ADMIN
from tests.surfaces.action_runner import base_env, load_yaml, run_action
from tests.surfaces.conftest import readme_example, repository_root

SCRIPT = repository_root() / "ci" / "github-action.sh"

# The commands actions/runner registers (src/Runner.Worker/ActionCommandManager.cs and the
# command extensions it loads); a line naming any other is plain text to it.
REGISTERED = {
    "add-mask",
    "add-matcher",
    "add-path",
    "debug",
    "echo",
    "endgroup",
    "error",
    "group",
    "notice",
    "remove-matcher",
    "save-state",
    "set-env",
    "set-output",
    "stop-commands",
    "warning",
}


def _parse(line: str, registered: set[str]) -> tuple[str, str, str] | None:
    """(command, properties, data) as the runner reads a line: ActionCommand.TryParseV2
    (`::name props::data`, after leading blanks), else ActionCommand.TryParse (`##[name
    props]data` anywhere in the line) -- actions/runner src/Runner.Common/ActionCommand.cs."""
    text = line.lstrip()
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0:
            name, _, properties = text[2:end].partition(" ")
            if name in registered:
                return name, properties, text[end + 2 :]
    start = line.find("##[")
    if start >= 0:
        close = line.find("]", start)
        if close >= 0:
            name, _, properties = line[start + 3 : close].partition(" ")
            if name in registered:
                return name, properties, line[close + 1 :]
    return None


def runner_commands(log: str) -> list[tuple[str, str, str]]:
    """The commands the runner acts on in a log, stop-commands honoured as
    ActionCommandManager.TryProcessCommand does (only the resume token counts meanwhile)."""
    registered = set(REGISTERED)
    token: str | None = None
    done = []
    for line in log.splitlines():
        found = _parse(line, registered)
        if found is None:
            continue
        name, _, data = found
        if token is not None:
            if name.lower() == token.lower():
                registered.discard(token)
                token = None
            continue
        if name == "stop-commands":
            token = data
            registered.add(token)
            continue
        done.append(found)
    return done


def check_schema(path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-actions",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_yml_is_valid_for_github() -> None:
    check_schema(repository_root() / "action.yml")


def readme_step_inputs() -> dict[str, str]:
    workflow = load_yaml(readme_example("github-workflow"))
    (guard,) = [s for s in workflow["jobs"]["release"]["steps"] if s.get("id") == "guard"]
    assert guard["uses"].startswith("tagguard/tagguard@")
    return {k: str(v) for k, v in guard["with"].items()}


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One RUNNER_TEMP for the module: the action's venv is built once, as on one runner.
    return tmp_path_factory.mktemp("runner-temp")


def bash_3_2_env(tmp_path: Path) -> dict[str, str]:
    """A macOS runner's shell: a `bash` link to bash 3.2 first on PATH, so `shell: bash`
    and the script's `#!/usr/bin/env bash` both get it (shared/tools/README.md)."""
    bash = shared_dir() / "tools" / "bash-3.2"
    if not bash.is_file():
        raise FileNotFoundError(f"{bash} is missing: the macOS-runner tests need bash 3.2")
    links = tmp_path / "bash-3.2-bin"
    links.mkdir()
    (links / "bash").symlink_to(bash)
    env = base_env()
    env["PATH"] = f"{links}{os.pathsep}{env['PATH']}"
    version = subprocess.run(
        ["bash", "-c", "echo $BASH_VERSION"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.startswith("3.2"), version.stdout
    return env


SHELLS = ["bash-5", "bash-3.2"]


def shell_env(shell: str, tmp_path: Path) -> dict[str, str]:
    return bash_3_2_env(tmp_path) if shell == "bash-3.2" else base_env()


@pytest.mark.parametrize("shell", SHELLS)
def test_the_readme_workflow_blocks_skips_and_allows(
    harbor: Harbor, runner_temp: Path, tmp_path: Path, shell: str
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
    env = shell_env(shell, tmp_path)
    # What docker/metadata-action exports for the next steps:
    env["DOCKER_METADATA_OUTPUT_TAGS"] = (
        "harbor.example.com/platform/api:1.4.0\nharbor.example.com/platform/api:1.4\nharbor.example.com/platform/api:v1\n"
    )
    result = run_action(repository_root(), given, tmp_path, env, runner_temp)
    assert result.status == 1, result.log
    log = result.log
    assert "unbound variable" not in log
    assert "::error title=tagguard%3A push blocked::harbor.example.com/platform/api:v1:" in log
    assert "Harbor12345" not in log  # the password is never printed, not even to be masked
    assert "| ⛔ block | harbor.example.com/platform/api:v1 |" in result.summary
    outputs = result.steps["tagguard"]
    assert (outputs["blocked"], outputs["skipped"], outputs["allowed"]) == ("1", "1", "1")
    assert outputs["push-refs"] == "harbor.example.com/platform/api:1.4"
    assert outputs["exit-code"] == "1"
    assert Path(outputs["report"]).is_file()


@pytest.mark.parametrize("shell", SHELLS)
def test_warn_mode_annotates_blocks_as_warnings(
    harbor: Harbor, runner_temp: Path, tmp_path: Path, shell: str
) -> None:
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
    result = run_action(repository_root(), given, tmp_path, shell_env(shell, tmp_path), runner_temp)
    assert result.status == 0, result.log
    assert result.outputs["blocked"] == "1"
    assert "mode is warn, so the workflow goes on" in result.log
    commands = runner_commands(result.log)
    blocked = [c for c in commands if c[1] == "title=tagguard%3A push blocked"]
    assert [name for name, _, _ in blocked] == ["warning"], commands
    assert not [c for c in commands if c[0] == "error"], commands


def test_args_are_split_as_a_shell_splits_them(
    harbor: Harbor, runner_temp: Path, tmp_path: Path
) -> None:
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    text_report = tmp_path / "my reports" / "tagguard report.txt"
    text_report.parent.mkdir()
    given = {
        "refs": harbor.ref("proj/app:v2"),
        "digest": make_image().digest,
        "args": f"--plain-http --report 'text={text_report}'",
        "username": ADMIN[0],
        "password": ADMIN[1],
    }
    result = run_action(repository_root(), given, tmp_path, base_env(), runner_temp)
    assert result.status == 0, result.log
    assert f"allow  {harbor.ref('proj/app:v2')}" in text_report.read_text()


def test_unbalanced_quotes_in_args_are_an_error(runner_temp: Path, tmp_path: Path) -> None:
    given = {"refs": "harbor.example.com/proj/app:v1", "args": "--report 'text=x"}
    result = run_action(repository_root(), given, tmp_path, base_env(), runner_temp)
    assert result.status == 2, result.log
    assert "::error title=tagguard::args: No closing quotation" in result.log
    assert result.steps["tagguard"]["exit-code"] == "2"


def test_each_use_in_a_job_keeps_its_own_report(
    harbor: Harbor, runner_temp: Path, tmp_path: Path
) -> None:
    harbor.state.add_project("platform")
    common = {"args": "--plain-http", "username": ADMIN[0], "password": ADMIN[1]}
    digest = make_image().digest
    first = run_action(
        repository_root(),
        {**common, "refs": harbor.ref("platform/api:1.0"), "digest": digest},
        tmp_path,
        base_env(),
        runner_temp,
        use="api",
    )
    second = run_action(
        repository_root(),
        {**common, "refs": harbor.ref("platform/web:1.0"), "digest": digest},
        tmp_path,
        base_env(),
        runner_temp,
        use="web",
    )
    assert (first.status, second.status) == (0, 0), first.log + second.log
    reports = [Path(run.outputs["report"]) for run in (first, second)]
    assert reports[0] != reports[1]
    assert "platform/api:1.0" in reports[0].read_text()
    assert "platform/web:1.0" in reports[1].read_text()
    assert reports[0].parent.name.startswith("tagguard-api.")


def test_an_undecided_check_is_annotated_summarised_and_output(
    runner_temp: Path, tmp_path: Path
) -> None:
    given = {"refs": "harbor.example.com/platform/API:1.0", "digest": make_image().digest}
    result = run_action(repository_root(), given, tmp_path, base_env(), runner_temp)
    assert result.status == 2, result.log
    errors = [c for c in runner_commands(result.log) if c[0] == "error"]
    assert errors == [
        (
            "error",
            "title=tagguard",
            "reference 'harbor.example.com/platform/API:1.0': repository path segment 'API' must be lower-case",
        )
    ]
    assert "### tagguard could not decide" in result.summary
    assert "platform/API:1.0" in result.summary
    outputs = result.steps["tagguard"]
    assert outputs["exit-code"] == "2"
    assert "must be lower-case" in outputs["error"]


@pytest.mark.parametrize("mode", ["enforce", "warn"])
def test_an_unreachable_harbor_fails_the_step_in_either_mode(
    runner_temp: Path, tmp_path: Path, refused_url: str, mode: str
) -> None:
    """Fail closed: warn mode turns blocks into warnings, never "could not decide" into a
    pass (README, action.yml's `mode`)."""
    given = {
        "refs": "harbor.example.com/proj/app:v1",
        "digest": make_image().digest,
        "harbor-url": refused_url,
        "mode": mode,
    }
    result = run_action(repository_root(), given, tmp_path, base_env(), runner_temp)
    assert result.status == 2, result.log
    outputs = result.steps["tagguard"]
    assert outputs["exit-code"] == "2"
    assert "connection refused" in outputs["error"]
    assert "blocked" not in outputs  # no count that a later step could read as "none"
    errors = [c for c in runner_commands(result.log) if c[0] == "error"]
    assert len(errors) == 1, result.log
    assert errors[0][1] == "title=tagguard"
    assert "connection refused" in errors[0][2]
    assert not [c for c in runner_commands(result.log) if c[0] == "warning"], result.log
    assert "### tagguard could not decide" in result.summary


def test_inputs_never_run_as_code(harbor: Harbor, runner_temp: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    given = {
        "refs": f"$(touch {marker}) `touch {marker}`",
        "args": f"--plain-http $(touch {marker}) `touch {marker}` ${{HOME}}",
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
    assert "no references to check" in result.summary


@pytest.mark.parametrize("shell", SHELLS)
def test_install_and_no_args_under_each_shell(tmp_path: Path, shell: str) -> None:
    """A fresh runner (its own RUNNER_TEMP, so the venv is built under this shell too).
    macOS runners' bash 3.2 called an empty array unbound under `set -u`."""
    runner_temp = tmp_path / "temp"
    runner_temp.mkdir()
    given = {"refs": "harbor.example.com/platform/API:1.0"}
    result = run_action(repository_root(), given, tmp_path, shell_env(shell, tmp_path), runner_temp)
    assert "unbound variable" not in result.log
    assert "reusing" not in result.log
    assert (runner_temp / "tagguard-venv" / "bin" / "tagguard").is_file()
    assert result.status == 2, result.log
    assert "must be lower-case" in result.steps["tagguard"]["error"]


# The layout of a venv on Windows, and what can be checked of it here.
#
# On windows-latest, `shell: bash` is Git for Windows' bash, and `python -m venv` puts the
# interpreter and console scripts in `Scripts\` as `.exe` files. What runs here is the
# script's own logic with a fake interpreter and a fake tagguard in that layout: which
# programs it calls, with which arguments, and where it writes. What cannot run here: the
# real Windows Python and its venv, Git Bash's handling of `D:\a\_temp`-style paths in
# RUNNER_TEMP and GITHUB_ACTION_PATH (it accepts them; they pass through unchanged to the
# Windows programs), and CRLF from a Windows Python (the script reads Python's output only as
# NUL-separated bytes, written in binary).


def fake_program(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/usr/bin/env bash\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def windows_python(tmp_path: Path, calls: Path) -> Path:
    """A stand-in for setup-python's python.exe: `-m venv DIR` makes DIR/Scripts/python.exe
    (which logs its arguments and runs the real Python for `-c`) and DIR/Scripts/tagguard.exe
    (which logs its arguments, prints one block annotation and writes its JSON report, as a
    verdict comes with one)."""
    venv_python = f"""
printf 'python.exe %s\\n' "$*" >> {calls}
if [ "$1" = -c ]; then exec {sys.executable} "$@"; fi
"""
    tagguard = f"""
printf 'tagguard.exe' >> {calls}
for word in "$@"; do
  printf ' [%s]' "$word" >> {calls}
  case "$word" in json=*) echo '{{}}' > "${{word#json=}}" ;; esac
done
printf '\\n' >> {calls}
echo '::error title=tagguard%3A push blocked::harbor.example.com/proj/app:v1: immutable'
echo 'blocked=1' >> "$GITHUB_OUTPUT"
exit 1
"""
    body = f"""
printf 'setup-python %s\\n' "$*" >> {calls}
if [ "$1 $2" = "-m venv" ]; then
  for venv in "$@"; do :; done  # the last argument
  mkdir -p "$venv/Scripts"
  cat > "$venv/Scripts/python.exe" <<'EOF'
#!/usr/bin/env bash{venv_python}
EOF
  cat > "$venv/Scripts/tagguard.exe" <<'EOF'
#!/usr/bin/env bash{tagguard}
EOF
  chmod +x "$venv/Scripts/python.exe" "$venv/Scripts/tagguard.exe"
fi
"""
    return fake_program(tmp_path / "hostedtoolcache" / "python.exe", body)


def test_windows_venv_paths(tmp_path: Path) -> None:
    runner_temp = tmp_path / "temp"
    runner_temp.mkdir()
    calls = tmp_path / "calls.log"
    python = windows_python(tmp_path, calls)
    given = {"refs": "harbor.example.com/proj/app:v1", "mode": "warn", "args": "--timeout 5"}
    result = run_action(
        repository_root(),
        given,
        tmp_path,
        base_env(),
        runner_temp,
        runner_os="Windows",
        python=str(python),
    )
    assert result.status == 0, result.log
    venv = runner_temp / "tagguard-venv"
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("setup-python -c ")  # its version, asked first
    assert lines[1] == f"setup-python -m venv --clear {venv}"
    assert lines[2] == (
        f"python.exe -m pip install --quiet --disable-pip-version-check {repository_root()}"
    )
    (call,) = [line for line in lines if line.startswith("tagguard.exe")]
    assert call.startswith("tagguard.exe [push] [--refs-file] [")
    assert call.endswith("] [--timeout] [5]")
    assert "[--on-error]" not in call  # warn mode softens blocks, never "could not decide"
    assert not (venv / "bin").exists()
    commands = runner_commands(result.log)
    assert [c[0] for c in commands] == ["warning", "warning"], commands


def test_hostile_stderr_cannot_forge_or_stop_commands(tmp_path: Path) -> None:
    """Whatever tagguard's stderr holds, the runner acts only on the script's own commands
    (here a fake tagguard in a Linux venv layout prints `##[` and `::` commands on stderr)."""
    runner_temp = tmp_path / "temp"
    venv_bin = runner_temp / "tagguard-venv" / "bin"
    fake_program(venv_bin / "python", f'exec {sys.executable} "$@"')
    fake_program(
        venv_bin / "tagguard",
        """
echo 'a rule {v1,##[stop-commands]zz}' >&2
echo '::error::forged' >&2
echo 'tagguard: error: bad rule ##[error]forged %0A::warning::x' >&2
exit 2
""",
    )
    env = {
        **base_env(),
        "RUNNER_TEMP": str(runner_temp),
        "INPUT_REFS": "harbor.example.com/proj/app:v1",
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), "check"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    commands = runner_commands(done.stdout + done.stderr)
    assert commands == [
        ("error", "title=tagguard", "bad rule ##[error]forged %250A::warning::x"),
    ], done.stdout + done.stderr
    summary = (tmp_path / "summary").read_text()
    assert "\\#\\#\\[error\\]forged" in summary


@pytest.mark.parametrize("mode", ["enforce", "warn"])
def test_a_tagguard_that_cannot_start_is_undecided_not_blocked(
    runner_temp: Path, tmp_path: Path, mode: str
) -> None:
    """Python ends a program that fails before tagguard's own handling (here an import,
    through a PYTHONPATH an earlier step of the job left, as a setup of another Python can)
    with exit 1 and a traceback: no verdict, no report. Read as "blocked", warn mode let the
    workflow go on having checked nothing; either mode must fail closed, as undecided."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "click.py").write_text('raise ImportError("click of another Python")\n')
    env = {**base_env(), "PYTHONPATH": str(shadow)}
    given = {"refs": "harbor.example.com/proj/app:v1", "mode": mode}
    result = run_action(repository_root(), given, tmp_path, env, runner_temp)
    assert "ImportError: click of another Python" in result.log  # the failure, as meant
    assert result.status == 2, result.log
    outputs = result.steps["tagguard"]
    assert outputs["exit-code"] == "2"
    assert "blocked" not in outputs
    assert "blocked references found" not in result.log
    errors = [c for c in runner_commands(result.log) if c[0] == "error"]
    assert len(errors) == 1, result.log
    assert "exit code 1" in errors[0][2]
    assert "### tagguard could not decide" in result.summary


def test_a_plan_whose_name_starts_with_a_dash_is_a_file(runner_temp: Path, tmp_path: Path) -> None:
    """The plan input is a path, never an option: `-release.yml` was read as `-r` (and a
    name such as `--help` printed the help, with exit 0)."""
    examples = repository_root() / "examples"
    (tmp_path / "-release.yml").write_text((examples / "release-plan.yml").read_text())
    given = {
        "plan": "-release.yml",
        "args": f"--rules-file '{examples / 'rules.json'}' --state-file '{examples / 'state.json'}'",
    }
    env = {**base_env(), "VERSION": "1.5.0"}
    result = run_action(repository_root(), given, tmp_path, env, runner_temp)
    assert "No such option" not in result.log
    assert result.status == 1, result.log  # the example plan moves immutable tags
    blocks = [c for c in runner_commands(result.log) if c[0] == "error"]
    assert blocks, result.log
    assert all("file=-release.yml" in properties for _, properties, _ in blocks), blocks


def older_python() -> str:
    """A Python older than 3.11 on this machine (pyenv's, or one on PATH), for
    `python-version: "3.10"`; the test is skipped where there is none."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = sorted(pyenv.glob("3.1[0]*/bin/python3")) + sorted(pyenv.glob("3.[89]*/bin/python3"))
    for name in ("python3.10", "python3.9"):
        on_path = shutil.which(name)
        if on_path and "shims" not in on_path:
            found.append(Path(on_path))
    if not found:
        pytest.skip("no Python older than 3.11 here")
    return str(found[0])


def test_a_python_older_than_3_11_is_refused_clearly(tmp_path: Path) -> None:
    """`python-version: "3.10"` built a venv, then pip's own error line ended the step with
    exit 2: no annotation, no summary, nothing naming the version tagguard needs."""
    runner_temp = tmp_path / "temp"
    runner_temp.mkdir()
    given = {"refs": "harbor.example.com/proj/app:v1", "python-version": "3.10"}
    result = run_action(
        repository_root(), given, tmp_path, base_env(), runner_temp, python=older_python()
    )
    assert result.status == 2, result.log
    errors = [c for c in runner_commands(result.log) if c[0] == "error"]
    assert len(errors) == 1, result.log
    assert "needs Python 3.11 or later" in errors[0][2]
    assert "3.10" in errors[0][2] or "3.9" in errors[0][2]
    assert "### tagguard could not decide" in result.summary
    assert result.steps["install"]["exit-code"] == "2"
    assert not (runner_temp / "tagguard-venv").exists()  # refused before any install
