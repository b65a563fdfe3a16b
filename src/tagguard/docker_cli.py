"""The docker CLI as the docker plugin runs it: the program that ran the plugin, with the same
global flags, for the command the plugin lets through and for what it asks docker about the
local images (`docker image inspect`, `docker image ls`).

Every docker started here carries `MARKER` in its environment: docker can route a command
back to a plugin (a `builder` alias, a plugin's help), and a plugin that finds the marker set
at start-up stops rather than run itself again (`tagguard.docker_plugin.main`).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Sequence

from tagguard.core.record import record
from tagguard.errors import StateError

DOCKER = "docker"
# Set in every docker this module starts; found at start-up, it means docker has run the
# plugin from inside itself, and the plugin stops there.
MARKER = "TAGGUARD_IN_DOCKER_PLUGIN"


@record
class Docker:
    """The docker CLI as the plugin runs it: the program that ran the plugin, with the same
    global flags (host, context, config, TLS), and the marker."""

    program: str
    docker_globals: tuple[str, ...]

    def _env(self) -> dict[str, str]:
        return {**os.environ, MARKER: "1"}

    def run(self, args: Sequence[str]) -> int:
        argv = [self.program, *self.docker_globals, *args]
        return subprocess.run(argv, env=self._env(), check=False).returncode

    def read(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        argv = [self.program, *self.docker_globals, *args]
        return subprocess.run(argv, env=self._env(), capture_output=True, text=True, check=False)

    def local_image(self, image: str) -> tuple[str, list[str]] | None:
        """The local image's id and RepoDigests; None if docker has no such image."""
        done = self.read(
            ["image", "inspect", "--format", "{{.Id}} {{json .RepoDigests}}", "--", image]
        )
        if done.returncode != 0:
            return None
        image_id, _, listed = done.stdout.strip().partition(" ")
        try:
            digests = json.loads(listed or "[]") or []
        except ValueError:
            digests = []
        return image_id, [str(d) for d in digests]

    def local_tags(self, repository: str) -> list[str]:
        """Every local `REPOSITORY:TAG` of the repository, as `docker push --all-tags` pushes."""
        done = self.read(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--", repository])
        if done.returncode != 0:
            detail = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
            raise StateError(f"docker image ls {repository}: {detail}")
        lines = (line.strip() for line in done.stdout.splitlines())
        return list(dict.fromkeys(line for line in lines if line and not line.endswith(":<none>")))


def docker_command() -> str:
    """The docker that ran the plugin (docker names itself to its plugins), else `docker`."""
    return os.environ.get("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND") or DOCKER
