"""The docker plugin, found and run by the real docker CLI, against a stand-in engine that
pushes for real to the test Harbor."""

from __future__ import annotations

import base64
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import ADMIN, Harbor
from tests.harbor_server.images import make_image
from tests.surfaces.conftest import readme_example
from tests.surfaces.docker_engine import Engine, running_engine

H = "harbor.example.com"


@dataclass
class Docker:
    env: dict[str, str]
    engine: Engine
    config: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def shell(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-eo", "pipefail", "-c", script],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def pushes(self) -> list[str]:
        return [
            path
            for method, path in self.engine.calls
            if method == "POST" and path.endswith("/push")
        ]


@pytest.fixture
def docker(harbor: Harbor, tmp_path: Path) -> Iterator[Docker]:
    if shutil.which("docker") is None:
        raise AssertionError(
            "the docker CLI is not installed (apt-get install docker.io, or docker-ce-cli)"
        )
    config = tmp_path / "docker-config"
    config.mkdir()
    auth = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {H: {"auth": auth}}}))
    harbor.state.add_project("platform")
    socket = tmp_path / "docker.sock"
    with running_engine(socket, {H: harbor.url}) as engine:
        env = {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(tmp_path),
            "DOCKER_HOST": f"unix://{socket}",
            "DOCKER_CONFIG": str(config),
            "TAGGUARD_HARBOR_URL": f"{H}={harbor.url}",
        }
        yield Docker(env, engine, config)


def test_the_docker_cli_finds_the_plugin(docker: Docker) -> None:
    installed = docker.shell("tagguard install-docker-plugin")
    assert installed.returncode == 0, installed.stderr
    assert (docker.config / "cli-plugins" / "docker-tagguard").exists()
    listed = docker.run("--help")
    assert "tagguard*" in listed.stdout or "tagguard" in listed.stdout
    assert "Check Harbor tag immutability" in listed.stdout


def test_the_readme_commands_push_allowed_and_leave_out_skipped(
    docker: Docker, harbor: Harbor
) -> None:
    harbor.rule("platform", tag="1.*")
    image = make_image()
    harbor.push("platform/api:1.4.0", image)
    docker.engine.add(
        f"{H}/platform/api:1.4.0", image, pushed=True
    )  # a re-run: docker knows its digest
    docker.engine.add(f"{H}/platform/api:latest", image, pushed=True)
    done = docker.shell(readme_example("docker"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tagguard: skip " in done.stderr
    assert docker.pushes() == [f"/images/{H}/platform/api/push"]  # only latest was pushed
    assert harbor.pusher.head_digest("platform/api", "latest") == image.digest


def test_a_blocked_push_runs_nothing(docker: Docker, harbor: Harbor) -> None:
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    docker.engine.add(f"{H}/platform/api:1.3.0", make_image(), pushed=True)
    docker.engine.add(f"{H}/platform/api:next", make_image())
    docker.shell("tagguard install-docker-plugin")
    done = docker.run("tagguard", "push", f"{H}/platform/api:next", f"{H}/platform/api:1.3.0")
    assert done.returncode == 1
    assert "tagguard: block  harbor.example.com/platform/api:1.3.0" in done.stderr
    assert docker.pushes() == []


def test_dockers_own_failure_code_comes_back(docker: Docker, harbor: Harbor) -> None:
    docker.shell("tagguard install-docker-plugin")
    done = docker.run("tagguard", "push", f"{H}/platform/api:nothing-local")
    assert done.returncode == 1
    assert "does not exist locally" in done.stderr


def test_tag_checks_the_target_with_the_sources_digest(docker: Docker, harbor: Harbor) -> None:
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    docker.engine.add(f"{H}/platform/api:build", make_image(), pushed=True)
    docker.shell("tagguard install-docker-plugin")
    blocked = docker.run("tagguard", "tag", f"{H}/platform/api:build", f"{H}/platform/api:1.3.0")
    assert blocked.returncode == 1
    assert f"{H}/platform/api:1.3.0" not in docker.engine.images
    allowed = docker.run("tagguard", "tag", f"{H}/platform/api:build", f"{H}/platform/api:1.4.0")
    assert allowed.returncode == 0, allowed.stderr
    assert f"{H}/platform/api:1.4.0" in docker.engine.images


def test_buildx_push_and_imagetools_are_checked_before_they_run(
    docker: Docker, harbor: Harbor, tmp_path: Path
) -> None:
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    record = tmp_path / "buildx-args"
    fake = docker.config / "cli-plugins" / "docker-buildx"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = docker-cli-plugin-metadata ]; then echo \'{"SchemaVersion":"0.1.0","Vendor":"test","Version":"0","ShortDescription":"recorder"}\'; exit 0; fi\n'
        f'echo "$@" >> {shlex.quote(str(record))}\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    docker.shell("tagguard install-docker-plugin")
    blocked = docker.run(
        "tagguard", "buildx", "build", "--push", "-t", f"{H}/platform/api:1.3.0", "."
    )
    assert blocked.returncode == 1
    assert not record.exists()
    allowed = docker.run(
        "tagguard", "buildx", "build", "--push", f"--tag={H}/platform/api:1.4.0", "."
    )
    assert allowed.returncode == 0, allowed.stderr
    created = docker.run(
        "tagguard",
        "buildx",
        "imagetools",
        "create",
        "-t",
        f"{H}/platform/api:1.3.0",
        f"{H}/platform/api@sha256:{'a' * 64}",
    )
    assert created.returncode == 1
    assert record.read_text().splitlines() == [
        f"buildx build --push --tag={H}/platform/api:1.4.0 ."
    ]


def test_other_commands_pass_through(docker: Docker) -> None:
    docker.shell("tagguard install-docker-plugin")
    done = docker.run("tagguard", "version", "--format", "{{.Server.Version}}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stand-in"
