"""The tests' tagguard runs never reach a credential helper of the machine: on a desktop
with docker-credential-pass (or -desktop, -secretservice) installed, a run with an empty
docker config would otherwise ask the real keychain, as docker does (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, without_credential_helpers
from tests.e2e.conftest import Harbor
from tests.harbor_server.images import make_image

# A test that runs tagguard with no credentials and an empty docker config: the platform's
# store is what tagguard (as docker) would ask.
ANONYMOUS_RUN = (
    "tests/e2e/test_live_harbor.py"
    "::test_anonymous_access_to_a_public_project_lets_harbors_flag_decide"
)


def machine_helpers(folder: Path, log: Path) -> Path:
    """A folder as a desktop's /usr/bin might hold it: `pass`, so docker's default store is
    pass, and docker-credential-pass, which notes every question and holds nothing."""
    folder.mkdir()
    (folder / "pass").write_text("#!/bin/sh\nexit 0\n")
    (folder / "docker-credential-pass").write_text(
        f'#!/bin/sh\nread server\necho "$1 $server" >> "{log}"\n'
        'echo "credentials not found in native keychain"\nexit 1\n'
    )
    for program in folder.iterdir():
        program.chmod(0o755)
    return folder


def anonymous_push(harbor: Harbor) -> None:
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    run = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--digest", make_image().digest, credentials=None
    )
    assert run.code == 2, run.err  # the test Harbor refuses an anonymous rules listing


def test_a_helper_on_path_is_asked_by_a_run_with_an_empty_docker_config(
    harbor: Harbor, tmp_path: Path
) -> None:
    """What the other tests guard against happens: the machine's helper is asked."""
    log = tmp_path / "asked.log"
    outer = machine_helpers(tmp_path / "usr-bin", log)
    harbor.monkeypatch.setenv("PATH", f"{outer}{os.pathsep}{os.environ['PATH']}")
    anonymous_push(harbor)
    assert log.read_text() == f"get {harbor.host}\n"


def test_the_path_tests_run_with_hides_the_machines_helpers(harbor: Harbor, tmp_path: Path) -> None:
    log = tmp_path / "asked.log"
    outer = machine_helpers(tmp_path / "usr-bin", log)
    (outer / "git-like-tool").write_text("#!/bin/sh\necho kept\n")
    (outer / "git-like-tool").chmod(0o755)
    path = without_credential_helpers(
        f"{outer}{os.pathsep}{os.environ['PATH']}", tmp_path / "mirrors"
    )
    harbor.monkeypatch.setenv("PATH", path)
    anonymous_push(harbor)
    assert not log.exists()
    # The folder's other programs are still found.
    found = subprocess.run(["git-like-tool"], capture_output=True, text=True, check=True)
    assert found.stdout == "kept\n"


def test_the_suite_runs_tagguard_without_the_machines_helpers(tmp_path: Path) -> None:
    """A test of the suite, run as the suite runs it, with the helper on the PATH it is
    started with: tests/conftest.py takes it away before tagguard runs."""
    log = tmp_path / "asked.log"
    outer = machine_helpers(tmp_path / "usr-bin", log)
    env = {**os.environ, "PATH": f"{outer}{os.pathsep}{os.environ['PATH']}"}
    env.pop("DOCKER_CONFIG")  # as a developer's shell has it: ~/.docker
    env["HOME"] = str(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", ANONYMOUS_RUN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert "1 passed" in done.stdout
    assert not log.exists(), log.read_text()
