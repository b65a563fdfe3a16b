"""tagguard.docker_cli against a stand-in docker program: what it is started with (the
plugin's docker, its global flags, the marker), and how docker's answers about local images
are read. The answers are in the shapes docker prints for the `--format` templates the
module gives (`{{.Id}} {{json .RepoDigests}}`; `{{.Repository}}:{{.Tag}}`, where an untagged
image's tag is `<none>`). (tests/surfaces/test_docker_plugin.py runs a real docker.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tagguard.docker_cli import DOCKER, MARKER, Docker, docker_command
from tagguard.errors import StateError

ID = "sha256:" + "1" * 64
DIGEST = "sha256:" + "2" * 64

# Records its arguments and the marker, then prints `answer` and leaves with `code`.
FAKE = """\
import json, os, sys
from pathlib import Path
here = Path(__file__).parent
(here / "called.json").write_text(json.dumps([sys.argv[1:], os.environ.get({marker!r})]))
sys.stdout.write((here / "answer").read_text())
sys.stderr.write((here / "complaint").read_text())
sys.exit(int((here / "code").read_text()))
"""


def fake_docker(folder: Path, answer: str = "", code: int = 0, complaint: str = "") -> str:
    """A docker that answers `answer` on stdout, `complaint` on stderr, and exits `code`."""
    program = folder / "docker"
    program.write_text(f"#!{sys.executable}\n" + FAKE.format(marker=MARKER))
    program.chmod(0o755)
    (folder / "answer").write_text(answer)
    (folder / "complaint").write_text(complaint)
    (folder / "code").write_text(str(code))
    return str(program)


def called(folder: Path) -> tuple[list[str], str | None]:
    argv, marker = json.loads((folder / "called.json").read_text())
    return argv, marker


def test_docker_runs_with_the_plugins_global_flags_and_the_marker(tmp_path: Path) -> None:
    docker = Docker(fake_docker(tmp_path, code=3), ("--context", "ci"))
    assert docker.run(["push", "h.io/p/app:v1"]) == 3  # docker's own exit status
    assert called(tmp_path) == (["--context", "ci", "push", "h.io/p/app:v1"], "1")


def test_a_local_image_is_its_id_and_repo_digests(tmp_path: Path) -> None:
    answer = f'{ID} ["h.io/p/app@{DIGEST}","other.io/x@{DIGEST}"]\n'
    docker = Docker(fake_docker(tmp_path, answer), ())
    assert docker.local_image("h.io/p/app:v1") == (
        ID,
        [f"h.io/p/app@{DIGEST}", f"other.io/x@{DIGEST}"],
    )
    argv, _ = called(tmp_path)
    assert argv[-2:] == ["--", "h.io/p/app:v1"]  # an image named like a flag stays an image


def test_an_image_never_pushed_has_no_repo_digest(tmp_path: Path) -> None:
    # docker prints `[]` for an image built here and never pushed; a nil list would print
    # `null`, as Go's JSON writes one.
    for printed in ("[]", "null"):
        docker = Docker(fake_docker(tmp_path, f"{ID} {printed}\n"), ())
        assert docker.local_image("app:dev") == (ID, [])


def test_an_image_docker_does_not_have_is_none(tmp_path: Path) -> None:
    docker = Docker(fake_docker(tmp_path, code=1, complaint="Error: No such image: app:v9"), ())
    assert docker.local_image("app:v9") is None


def test_the_local_tags_of_a_repository_leave_untagged_images_out(tmp_path: Path) -> None:
    # An untagged image is listed with the tag <none>: there is no tag to push. Each tag is
    # pushed once, in docker's order.
    answer = "h.io/p/app:v1\nh.io/p/app:<none>\nh.io/p/app:v2\nh.io/p/app:v1\n\n"
    docker = Docker(fake_docker(tmp_path, answer), ())
    assert docker.local_tags("h.io/p/app") == ["h.io/p/app:v1", "h.io/p/app:v2"]


def test_a_failed_listing_is_a_state_error_naming_docker_s_complaint(tmp_path: Path) -> None:
    complaint = "Cannot connect to the Docker daemon\nIs the docker daemon running?\n"
    docker = Docker(fake_docker(tmp_path, code=1, complaint=complaint), ())
    with pytest.raises(StateError, match="daemon Is the docker daemon running"):
        docker.local_tags("h.io/p/app")
    silent = Docker(fake_docker(tmp_path, code=125), ())
    with pytest.raises(StateError, match="exit status 125"):
        silent.local_tags("h.io/p/app")


def test_the_docker_is_the_one_that_ran_the_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    # docker tells a plugin its own path in DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND.
    monkeypatch.setenv("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND", "/opt/docker/bin/docker")
    assert docker_command() == "/opt/docker/bin/docker"
    monkeypatch.delenv("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND")
    assert docker_command() == DOCKER
