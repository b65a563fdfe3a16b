"""The docker plugin, found and run by the real docker CLI, against a stand-in engine that
pushes for real to the test Harbor.

Every plugin run goes through a counting wrapper in the plugin folder: it records each
invocation (docker's metadata questions aside) and refuses to start more than a handful,
so a plugin that re-enters itself fails the test instead of filling the machine; each test
says how many runs it expects.
"""

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

from tests.e2e.conftest import Harbor
from tests.harbor_server.images import make_image
from tests.harbor_server.users import ADMIN
from tests.surfaces.conftest import readme_example
from tests.surfaces.docker_engine import Engine, running_engine

H = "harbor.example.com"
API = f"{H}/platform/api"
RUNAWAY = 8  # plugin starts the wrapper allows in one test before it refuses


@dataclass
class Docker:
    env: dict[str, str]
    engine: Engine
    config: Path
    socket: Path
    runs_file: Path

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker", *args],
            env={**self.env, **(env or {})},
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

    def plugin_runs(self) -> list[str]:
        """Each start of the plugin, its arguments joined by spaces."""
        if not self.runs_file.exists():
            return []
        return self.runs_file.read_text().splitlines()


def counting_plugin(folder: Path, runs_file: Path) -> None:
    """`docker-tagguard` in `folder`: records each run, then runs the real plugin, or refuses
    once RUNAWAY runs are recorded."""
    real = Path(sys.executable).parent / "docker-tagguard"
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "docker-tagguard"
    runs = shlex.quote(str(runs_file))
    wrapper.write_text(
        "#!/bin/sh\n"
        'if [ "$1" != docker-cli-plugin-metadata ]; then\n'
        f'  echo "$*" >> {runs}\n'
        f'  if [ "$(wc -l < {runs})" -gt {RUNAWAY} ]; then echo "runaway plugin" >&2; exit 99; fi\n'
        "fi\n"
        f'exec {shlex.quote(str(real))} "$@"\n'
    )
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)


def docker_config(folder: Path, runs_file: Path, *, auth: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    auths = {H: {"auth": base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()}}
    (folder / "config.json").write_text(json.dumps({"auths": auths if auth else {}}))
    counting_plugin(folder / "cli-plugins", runs_file)
    return folder


@pytest.fixture
def docker(harbor: Harbor, tmp_path: Path) -> Iterator[Docker]:
    if shutil.which("docker") is None:
        raise AssertionError(
            "the docker CLI is not installed (apt-get install docker.io, or docker-ce-cli)"
        )
    runs_file = tmp_path / "plugin-runs"
    config = docker_config(tmp_path / "docker-config", runs_file)
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
        if "PYTHONPATH" in os.environ:
            # The plugin docker starts imports the tagguard under test, as the tests do (a
            # worktree run with another checkout's venv names its own src/ this way).
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        yield Docker(env, engine, config, socket, runs_file)


def buildx_recorder(docker: Docker, record: Path) -> None:
    """A stand-in `docker-buildx` plugin that records what it is asked to run."""
    fake = docker.config / "cli-plugins" / "docker-buildx"
    fake.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = docker-cli-plugin-metadata ]; then echo \'{"SchemaVersion":"0.1.0","Vendor":"test","Version":"0","ShortDescription":"recorder"}\'; exit 0; fi\n'
        f'echo "$@" >> {shlex.quote(str(record))}\n'
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)


def immutable_release(docker: Docker, harbor: Harbor) -> None:
    """`1.*` tags are immutable; 1.3.0 exists in Harbor; docker holds images for 1.3.0 (another
    image than Harbor's), 1.4.0 and latest, none of them pushed yet."""
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    for tag in ("1.3.0", "1.4.0", "latest"):
        docker.engine.add(f"{API}:{tag}", make_image())


# -- installing, and the README ----------------------------------------------------------------


def test_the_docker_cli_finds_the_plugin(docker: Docker) -> None:
    installed = docker.shell("tagguard install-docker-plugin")
    assert installed.returncode == 0, installed.stderr
    assert (docker.config / "cli-plugins" / "docker-tagguard").is_symlink()
    listed = docker.run("--help")
    assert "tagguard" in listed.stdout
    assert "Check Harbor tag immutability" in listed.stdout


def test_the_readme_commands_push_allowed_and_leave_out_skipped(
    docker: Docker, harbor: Harbor
) -> None:
    harbor.rule("platform", tag="1.*")
    image = make_image()
    harbor.push("platform/api:1.4.0", image)
    docker.engine.add(f"{API}:1.4.0", image, pushed=True)  # a re-run: docker knows its digest
    docker.engine.add(f"{API}:latest", image, pushed=True)
    done = docker.shell(readme_example("docker"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "tagguard: skip " in done.stderr
    assert docker.pushes() == [f"/images/{API}/push"]  # only latest was pushed
    assert harbor.pusher.head_digest("platform/api", "latest") == image.digest


# -- every global flag, with the plugin started once -------------------------------------------


def _context(docker: Docker) -> None:
    made = docker.run("context", "create", "stand-in", "--docker", f"host=unix://{docker.socket}")
    assert made.returncode == 0, made.stderr


@pytest.mark.parametrize(
    ("flags", "setup"),
    [
        (["-H", "unix://{socket}"], None),
        (["--host=unix://{socket}"], None),
        (["--context", "stand-in"], _context),
        (["-c", "stand-in"], _context),
        (["-D", "-H", "unix://{socket}"], None),
        (["-l", "debug", "--host", "unix://{socket}"], None),
        (["--log-level=warn", "-Dc", "stand-in"], _context),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_global_flags_reach_every_docker_command_the_plugin_runs(
    docker: Docker, harbor: Harbor, flags: list[str], setup: object
) -> None:
    """DOCKER_HOST names a dead socket: the push reaches the engine only through the global
    flag the plugin hands on."""
    if callable(setup):
        setup(docker)
    immutable_release(docker, harbor)
    dead = {"DOCKER_HOST": f"unix://{docker.socket.parent / 'dead.sock'}"}
    given = [f.format(socket=docker.socket) for f in flags]
    blocked = docker.run(*given, "tagguard", "push", f"{API}:1.3.0", env=dead)
    assert blocked.returncode == 1, blocked.stderr
    assert f"tagguard: block  {API}:1.3.0" in blocked.stderr
    allowed = docker.run(*given, "tagguard", "push", f"{API}:1.4.0", env=dead)
    assert allowed.returncode == 0, allowed.stderr
    assert docker.pushes() == [f"/images/{API}/push"]
    assert harbor.pusher.head_digest("platform/api", "1.4.0") is not None
    assert len(docker.plugin_runs()) == 2  # once per command: it never ran itself


@pytest.mark.parametrize(
    ("flags", "docker_says"),
    [
        (["--tls"], "ca.pem"),
        (["--tlsverify", "--tlscacert", "{tmp}/nowhere-ca.pem"], "nowhere-ca.pem"),
        (["--tls", "--tlscacert={tmp}/nowhere-ca.pem"], "nowhere-ca.pem"),
    ],
    ids=" ".join,
)
def test_tls_flags_are_handed_to_docker(
    docker: Docker, harbor: Harbor, tmp_path: Path, flags: list[str], docker_says: str
) -> None:
    """docker refuses TLS to a unix socket without its CA file: that refusal, after the check,
    shows the flags reached the docker the plugin ran."""
    docker.engine.add(f"{API}:1.4.0", make_image())
    given = [f.format(tmp=tmp_path) for f in flags]
    done = docker.run(*given, "tagguard", "push", f"{API}:1.4.0")
    assert f"tagguard: allow  {API}:1.4.0" in done.stderr
    assert done.returncode != 0
    assert docker_says in done.stderr
    assert docker.pushes() == []
    assert len(docker.plugin_runs()) == 1


def test_the_config_flag_gives_docker_and_tagguard_their_credentials(
    docker: Docker, harbor: Harbor, tmp_path: Path
) -> None:
    """DOCKER_CONFIG holds no credentials; --config DIR does: docker pushes with them and
    tagguard reads Harbor's rules with them (anonymous, the rules cannot be read)."""
    immutable_release(docker, harbor)
    bare = docker_config(tmp_path / "bare", docker.runs_file, auth=False)
    other = docker_config(tmp_path / "other", docker.runs_file)
    env = {"DOCKER_CONFIG": str(bare)}
    blocked = docker.run("--config", str(other), "tagguard", "push", f"{API}:1.3.0", env=env)
    assert blocked.returncode == 1, blocked.stderr
    assert "rule details are not shown" not in blocked.stderr
    allowed = docker.run(f"--config={other}", "tagguard", "push", f"{API}:1.4.0", env=env)
    assert allowed.returncode == 0, allowed.stderr
    assert harbor.pusher.head_digest("platform/api", "1.4.0") is not None
    assert len(docker.plugin_runs()) == 2


# -- help, and never itself again ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["help", "tagguard"],
        ["-H", "unix:///nowhere.sock", "help", "tagguard"],
        ["--help", "tagguard"],
        ["tagguard", "--help"],
        ["-D", "tagguard", "-h"],
        ["--context", "default", "tagguard"],
    ],
    ids=" ".join,
)
def test_help_is_the_plugins_own_and_runs_nothing(docker: Docker, args: list[str]) -> None:
    done = docker.run(*args)
    assert done.returncode == 0, done.stderr
    assert "docker [OPTIONS] tagguard COMMAND" in done.stdout
    assert "--tagguard-digest" in done.stdout
    assert docker.engine.calls == []
    assert len(docker.plugin_runs()) == 1


def test_a_command_docker_routes_back_to_the_plugin_stops_at_once(
    docker: Docker, harbor: Harbor
) -> None:
    """docker's `builder` alias may name any plugin (cmd/docker/aliases.go): then the plugin's
    own `docker build` comes back to it. The second run finds the marker and stops."""
    config = json.loads((docker.config / "config.json").read_text())
    (docker.config / "config.json").write_text(
        json.dumps({**config, "aliases": {"builder": "tagguard"}})
    )
    done = docker.run("tagguard", "build", "--push", "-t", f"{API}:1.4.0", ".")
    assert done.returncode != 0
    assert "TAGGUARD_IN_DOCKER_PLUGIN" in done.stderr
    assert "runaway" not in done.stderr
    runs = docker.plugin_runs()
    assert len(runs) == 2, runs
    assert runs[1] == f"tagguard build --push -t {API}:1.4.0 ."


def test_the_marker_in_the_environment_runs_nothing(docker: Docker) -> None:
    done = docker.run("tagguard", "version", env={"TAGGUARD_IN_DOCKER_PLUGIN": "1"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("tagguard: error:")
    assert docker.engine.calls == []
    assert len(docker.plugin_runs()) == 1


# -- each command form ----------------------------------------------------------------------


@pytest.mark.parametrize("verb", [["push"], ["image", "push"]], ids=" ".join)
def test_a_blocked_push_runs_nothing(docker: Docker, harbor: Harbor, verb: list[str]) -> None:
    immutable_release(docker, harbor)
    done = docker.run("tagguard", *verb, f"{API}:latest", f"{API}:1.3.0")
    assert done.returncode == 1
    assert f"tagguard: allow  {API}:latest" in done.stderr
    assert f"tagguard: block  {API}:1.3.0" in done.stderr
    assert docker.pushes() == []
    allowed = docker.run("tagguard", *verb, f"{API}:1.4.0")
    assert allowed.returncode == 0, allowed.stderr
    assert docker.pushes() == [f"/images/{API}/push"]
    assert len(docker.plugin_runs()) == 2


def test_push_all_tags_checks_every_local_tag(docker: Docker, harbor: Harbor) -> None:
    immutable_release(docker, harbor)
    blocked = docker.run("tagguard", "push", "--all-tags", API)
    assert blocked.returncode == 1, blocked.stderr
    for tag, verdict in (("1.3.0", "block"), ("1.4.0", "allow"), ("latest", "allow")):
        assert f"tagguard: {verdict:<5}  {API}:{tag}" in blocked.stderr
    assert docker.pushes() == []
    del docker.engine.images[f"{API}:1.3.0"]
    allowed = docker.run("tagguard", "push", "-qa", API)
    assert allowed.returncode == 0, allowed.stderr
    pushed = [(p, q.get("tag")) for p, q in docker.engine.queries if p.endswith("/push")]
    assert sorted(pushed) == [(f"/images/{API}/push", "1.4.0"), (f"/images/{API}/push", "latest")]
    assert sorted(allowed.stdout.split()) == [f"{API}:1.4.0", f"{API}:latest"]  # -q kept
    assert len(docker.plugin_runs()) == 2


def test_an_options_value_stays_with_it(docker: Docker, harbor: Harbor) -> None:
    docker.engine.add(f"{API}:1.4.0", make_image())
    done = docker.run(
        "tagguard", "push", "--platform", "linux/amd64", "--disable-content-trust", f"{API}:1.4.0"
    )
    assert done.returncode == 0, done.stderr
    (query,) = [q for p, q in docker.engine.queries if p.endswith("/push")]
    assert json.loads(query["platform"])["architecture"] == "amd64"
    assert query["tag"] == "1.4.0"


def test_the_digest_option_lets_an_identical_push_be_skipped(
    docker: Docker, harbor: Harbor
) -> None:
    harbor.rule("platform", tag="1.*")
    image = harbor.push("platform/api:1.3.0")
    docker.engine.add(f"{API}:1.3.0", image)  # docker has not pushed it: no RepoDigest
    unknown = docker.run("tagguard", "push", f"{API}:1.3.0")
    assert unknown.returncode == 1
    given = docker.run("tagguard", "push", "--tagguard-digest", image.digest, f"{API}:1.3.0")
    assert given.returncode == 0, given.stderr
    assert f"tagguard: skip   {API}:1.3.0" in given.stderr
    assert docker.pushes() == []


@pytest.mark.parametrize(
    "command",
    [
        ["push", f"{API}:1.3.0"],
        ["tag", f"{API}:build", f"{API}:1.3.0"],
        ["buildx", "imagetools", "create", "-t", f"{API}:1.3.0", f"{API}:build"],
    ],
    ids=lambda v: " ".join(v[:3]),
)
def test_the_advice_for_an_unknown_digest_names_the_plugins_option(
    docker: Docker, harbor: Harbor, tmp_path: Path, command: list[str]
) -> None:
    """The plugin takes --tagguard-digest and refuses --digest, so its advice names that."""
    harbor.rule("platform", tag="1.*")
    image = harbor.push("platform/api:1.3.0")
    for tag in ("1.3.0", "build"):  # docker has not pushed them: no RepoDigest
        docker.engine.add(f"{API}:{tag}", image)
    buildx_recorder(docker, tmp_path / "buildx-args")
    done = docker.run("tagguard", *command)
    assert done.returncode == 1, done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("tagguard: block")]
    assert line.endswith(
        "so give the digest (--tagguard-digest) to let identical re-runs be skipped"
    ), line
    assert "(--digest)" not in done.stderr
    refused = docker.run("tagguard", "push", "--digest", image.digest, f"{API}:1.3.0")
    assert refused.returncode == 2  # the flag the CLI's advice names is not the plugin's
    assert "--digest" in refused.stderr


def test_dockers_own_failure_code_comes_back(docker: Docker, harbor: Harbor) -> None:
    done = docker.run("tagguard", "push", f"{API}:nothing-local")
    assert done.returncode == 1
    assert "does not exist locally" in done.stderr


@pytest.mark.parametrize("verb", [["tag"], ["image", "tag"]], ids=" ".join)
def test_tag_checks_the_target_with_the_sources_digest(
    docker: Docker, harbor: Harbor, verb: list[str]
) -> None:
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    docker.engine.add(f"{API}:build", make_image(), pushed=True)
    blocked = docker.run("tagguard", *verb, f"{API}:build", f"{API}:1.3.0")
    assert blocked.returncode == 1
    assert f"{API}:1.3.0" not in docker.engine.images
    allowed = docker.run("tagguard", *verb, f"{API}:build", f"{API}:1.4.0")
    assert allowed.returncode == 0, allowed.stderr
    assert f"{API}:1.4.0" in docker.engine.images


@pytest.mark.parametrize(
    ("blocked", "allowed"),
    [
        (
            ["build", "--push", "-t", f"{API}:1.3.0", "."],
            ["build", "--push", "--tag", f"{API}:1.4.0", "."],
        ),
        (
            ["buildx", "build", "--push", "-t", f"{API}:1.3.0", "."],
            ["buildx", "build", "--push", f"--tag={API}:1.4.0", "-f", "Dockerfile", "."],
        ),
        (
            ["buildx", "build", "-o", "type=image,push=true", "-t", f"{API}:1.3.0", "."],
            ["buildx", "build", "--output", f"type=registry,name={API}:1.4.0", "."],
        ),
        (  # BuildKit reads an empty push= as true
            ["buildx", "build", "-o", f"type=image,name={API}:1.3.0,push=", "."],
            ["buildx", "build", "-o", f"type=image,name={API}:1.4.0,push=", "."],
        ),
        (
            ["buildx", "imagetools", "create", "-t", f"{API}:1.3.0", f"{API}@sha256:{'a' * 64}"],
            ["buildx", "imagetools", "create", "-t", f"{API}:1.4.0", f"{API}@sha256:{'a' * 64}"],
        ),
    ],
    ids=lambda v: " ".join(v[:3]),
)
def test_builds_and_imagetools_are_checked_before_they_run(
    docker: Docker, harbor: Harbor, tmp_path: Path, blocked: list[str], allowed: list[str]
) -> None:
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    record = tmp_path / "buildx-args"
    buildx_recorder(docker, record)
    refused = docker.run("-D", "tagguard", *blocked)
    assert refused.returncode == 1, refused.stderr
    assert f"tagguard: block  {API}:1.3.0" in refused.stderr
    assert not record.exists()
    done = docker.run("-D", "tagguard", *allowed)
    assert done.returncode == 0, done.stderr
    ran = ["buildx", *allowed] if allowed[0] == "build" else allowed  # docker build -> buildx
    assert record.read_text().splitlines() == [" ".join(["-D", *ran])]
    assert len(docker.plugin_runs()) == 2


def test_a_manifest_push_is_checked_and_dockers_own_answer_comes_back(
    docker: Docker, harbor: Harbor
) -> None:
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    refused = docker.run("tagguard", "manifest", "push", "--purge", f"{API}:1.3.0")
    assert refused.returncode == 1, refused.stderr
    assert f"tagguard: block  {API}:1.3.0" in refused.stderr
    # Allowed, the real docker runs it: it has no such list stored, says so and fails.
    done = docker.run("tagguard", "manifest", "push", "--purge", f"{API}:1.4.0")
    assert f"tagguard: allow  {API}:1.4.0" in done.stderr
    assert done.returncode == 1, done.stderr
    assert "No such manifest" in done.stderr or "not found" in done.stderr, done.stderr
    assert len(docker.plugin_runs()) == 2


def test_a_plugin_push_is_checked_and_then_reaches_the_engine(
    docker: Docker, harbor: Harbor
) -> None:
    # docker plugin push PUTs the plugin's manifest under its tag: onto an existing immutable
    # tag Harbor refuses it whatever the digest, so it is blocked before docker runs.
    harbor.rule("platform", tag="1.*")
    harbor.push("platform/api:1.3.0")
    refused = docker.run("tagguard", "plugin", "push", f"{API}:1.3.0")
    assert refused.returncode == 1, refused.stderr
    assert f"tagguard: block  {API}:1.3.0" in refused.stderr
    assert not [path for method, path in docker.engine.calls if "/plugins/" in path]
    # Allowed, the real docker sends it to the engine (which has no such plugin).
    done = docker.run("tagguard", "plugin", "push", "--disable-content-trust", f"{API}:1.4.0")
    assert f"tagguard: allow  {API}:1.4.0" in done.stderr
    pushed = [path for method, path in docker.engine.calls if method == "POST"]
    assert [p for p in pushed if p.startswith("/plugins/") and p.endswith("/push")], pushed
    assert len(docker.plugin_runs()) == 2


def test_a_bake_that_builds_is_refused_before_buildx_runs(docker: Docker, tmp_path: Path) -> None:
    record = tmp_path / "buildx-args"
    buildx_recorder(docker, record)
    refused = docker.run("tagguard", "buildx", "bake", "--set", "*.output=type=registry")
    assert refused.returncode == 2, refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr
    assert "bake file" in refused.stderr
    assert not record.exists()
    printed = docker.run("tagguard", "buildx", "bake", "--print")
    assert printed.returncode == 0, printed.stderr
    assert record.read_text().splitlines() == ["buildx bake --print"]


@pytest.mark.parametrize(
    "args",
    [
        ["compose", "-f", "compose.yaml", "push"],
        ["compose", "build", "--push"],
        ["trust", "sign", f"{API}:1.4.0"],
    ],
    ids=" ".join,
)
def test_a_command_whose_pushes_tagguard_cannot_know_is_refused(
    docker: Docker, args: list[str]
) -> None:
    # docker hands the plugin its whole command line; one line and exit 2, nothing run.
    refused = docker.run("tagguard", *args)
    assert refused.returncode == 2, refused.stderr
    assert len(refused.stderr.splitlines()) == 1, refused.stderr
    assert refused.stderr.startswith(f"tagguard: error: docker tagguard {args[0]}")
    assert len(docker.plugin_runs()) == 1


def test_other_commands_pass_through(docker: Docker) -> None:
    done = docker.run("tagguard", "version", "--format", "{{.Server.Version}}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stand-in"
    assert len(docker.plugin_runs()) == 1


def test_harbors_text_cannot_forge_a_line(docker: Docker, harbor: Harbor) -> None:
    """A rule's pattern is free text from Harbor; a malformed one is quoted in the verdict and
    in a warning. With ESC and a newline in it, each still prints as one line, escaped, and
    cannot clear the screen or forge a `tagguard: allow` line."""
    hostile = "[\x1b[2J\ntagguard: allow  forged"
    harbor.rule("platform", tag=hostile)
    harbor.push("platform/api:1.3.0")
    docker.engine.add(f"{API}:1.3.0", make_image())
    done = docker.run("tagguard", "push", f"{API}:1.3.0")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr
    printed = done.stderr.splitlines()
    ours = [line for line in printed if line.startswith("tagguard:")]
    assert len(ours) == 2, printed
    assert ours[0].startswith(f"tagguard: allow  {API}:1.3.0  ")
    assert ours[1].startswith("tagguard: warning: project platform: rule 1 is broken")
    assert all("\\x1b[2J\\ntagguard: allow  forged" in line for line in ours)
    assert not any(line.startswith("tagguard: allow  forged") for line in printed)


def test_the_plugin_reads_its_options_as_the_cli_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tagguard.toml and every TAGGUARD_<OPTION> variable, not a hand-picked few.
    from tagguard import docker_plugin

    config = tmp_path / "tagguard.toml"
    config.write_text('timeout = 3\nharbor-url = ["h.io=http://127.0.0.1:9"]\n')
    monkeypatch.setenv("TAGGUARD_CONFIG", str(config))
    monkeypatch.setenv("TAGGUARD_DEADLINE", "7")
    options = docker_plugin._options()
    assert (options.timeout, options.deadline) == (3.0, 7.0)
    assert dict(options.harbor_urls.explicit) == {"h.io": "http://127.0.0.1:9"}
    assert options.output_format is None
