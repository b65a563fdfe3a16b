"""tagguard.docker_plugin in process, with a docker that records what it is asked: docker
runs only when nothing is blocked, a push skips what the registry holds already, and the
plugin never runs itself again. (tests/surfaces/test_docker_plugin.py runs the program;
tests/test_docker_cli.py the docker it starts.)"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence

import pytest

from tagguard import docker_cli, docker_plugin
from tagguard.core.record import field, record
from tagguard.core.sanitize import Redactor
from tagguard.docker_args import parse
from tests.conftest import API, API_DIGEST, EXAMPLES, OTHER


@record
class FakeDocker(docker_cli.Docker):
    """Runs nothing: records each command; every image is unknown locally."""

    ran: list[list[str]] = field(default_factory=list)

    def run(self, args: Sequence[str]) -> int:
        self.ran.append(list(args))
        return 0

    def read(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(list(args), 1, "", "no such image")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAGGUARD_RULES_FILE", str(EXAMPLES / "rules.json"))
    monkeypatch.setenv("TAGGUARD_STATE_FILE", str(EXAMPLES / "state.json"))
    monkeypatch.delenv(docker_cli.MARKER, raising=False)


def _run(*args: str) -> tuple[int, FakeDocker]:
    docker = FakeDocker("docker", ())
    return docker_plugin.run(parse(["tagguard", *args]), docker, Redactor()), docker


@pytest.mark.usefixtures("offline")
def test_a_blocked_push_runs_no_docker(capsys: pytest.CaptureFixture[str]) -> None:
    code, docker = _run("push", "--tagguard-digest", OTHER, f"{API}:v1.4.0")
    assert code == 1
    assert docker.ran == []
    assert capsys.readouterr().err.startswith(f"tagguard: block  {API}:v1.4.0")


@pytest.mark.usefixtures("offline")
def test_an_allowed_push_runs_docker_push_once_per_tag() -> None:
    code, docker = _run("push", "--tagguard-digest", OTHER, f"{API}:v9.9.9", f"{API}:v9.9.9")
    assert code == 0
    assert docker.ran == [["push", f"{API}:v9.9.9"]]


@pytest.mark.usefixtures("offline")
def test_a_push_of_what_the_registry_holds_is_skipped() -> None:
    code, docker = _run("push", "--tagguard-digest", API_DIGEST, f"{API}:v1.4.0")
    assert code == 0
    assert docker.ran == []


@pytest.mark.usefixtures("offline")
def test_a_tag_onto_an_immutable_tag_is_blocked() -> None:
    code, docker = _run("tag", "--tagguard-digest", OTHER, "local:1", f"{API}:v1.4.0")
    assert code == 1
    assert docker.ran == []


@pytest.mark.usefixtures("offline")
def test_a_manifest_list_pushed_onto_an_immutable_tag_is_blocked() -> None:
    # `docker manifest push` writes the list to its tag (docker/cli manifest/push.go).
    code, docker = _run("manifest", "push", "--purge", f"{API}:v1.4.0")
    assert (code, docker.ran) == (1, [])
    code, docker = _run("manifest", "push", "--purge", f"{API}:v9.9.9")
    assert (code, docker.ran) == (0, [["manifest", "push", "--purge", f"{API}:v9.9.9"]])


@pytest.mark.usefixtures("offline")
@pytest.mark.parametrize(
    "command",
    [
        ["push", f"{API}:v1.4.0"],
        ["tag", "local:1", f"{API}:v1.4.0"],
        ["buildx", "imagetools", "create", "-t", f"{API}:v1.4.0", "local:1"],
    ],
    ids=lambda v: " ".join(v[:3]),
)
def test_the_digest_advice_names_the_plugins_option(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, docker = _run(*command)
    assert (code, docker.ran) == (1, [])
    err = capsys.readouterr().err
    assert err.rstrip("\n").endswith(
        "so give the digest (--tagguard-digest) to let identical re-runs be skipped"
    ), err
    assert "(--digest)" not in err
    # and the option named is the one to give: the same push with it is skipped
    assert _run("push", "--tagguard-digest", API_DIGEST, f"{API}:v1.4.0")[0] == 0


def test_the_metadata_is_answered_even_inside_docker(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(docker_cli.MARKER, "1")
    assert docker_plugin.main(["docker-cli-plugin-metadata"]) == 0
    assert json.loads(capsys.readouterr().out) == dict(docker_plugin.METADATA)


def test_the_plugin_does_not_run_itself_again(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(docker_cli.MARKER, "1")
    assert docker_plugin.main(["tagguard", "push", f"{API}:v1"]) == 2
    assert "stops here rather than loop" in capsys.readouterr().err


def test_completion_offers_the_commands_that_begin_with_the_word() -> None:
    assert docker_plugin.complete(["pu"]) == "push\n:4\n"
    assert docker_plugin.complete([]) == "".join(f"{c}\n" for c in docker_plugin.COMMANDS) + ":4\n"
    assert docker_plugin.complete(["push", "x"]) == ":4\n"


def test_an_input_error_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(docker_cli.MARKER, raising=False)
    assert docker_plugin.main(["tagguard", "push", "--tagguard-digest", "sha256:x", "a/b:1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tagguard: error: ")
    assert err.count("\n") == 1


def test_a_bug_is_one_redacted_line_and_exit_2_not_docker_s_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An exception tagguard does not expect escaped as a Python traceback and exit 1,
    which a pipeline reads as "blocked"; the CLI already made it one line and exit 2."""
    monkeypatch.delenv(docker_cli.MARKER, raising=False)

    def explode(invocation: object, docker: object, redactor: Redactor) -> int:
        redactor.keep("hunter2SECRETpw")
        raise RuntimeError("the registry said hunter2SECRETpw")

    monkeypatch.setattr(docker_plugin, "run", explode)
    assert docker_plugin.main(["tagguard", "push", f"{API}:v1"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "tagguard: internal error: RuntimeError: the registry said *** (please report it)\n"
    )


def test_the_help_starts_every_description_in_one_column() -> None:
    """`docker tagguard --help` lines up each command and option with its description, as
    docker's own help does; a description that starts elsewhere (the digest option's, once,
    two columns left: the source aligned the f-string's placeholder, not what it becomes)
    reads as a typo."""
    column = docker_plugin.HELP.index("each image") - docker_plugin.HELP.index("  push [")
    indented = [line for line in docker_plugin.HELP.splitlines() if line.startswith("  ")]
    assert len(indented) > 8
    for line in indented:
        assert line[column - 1] == " ", line
        assert line[column] != " ", line
