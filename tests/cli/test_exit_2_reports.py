"""Exit 2's report files as a pipeline meets them: the installed program run in a
subprocess, offline on the example files, its --report paths hostile or its error text so.
Each test failed before its fix (see its comment)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import OFFLINE

NEW = "sha256:" + "b" * 64
PUSH = ("push", "harbor.example.com/platform/api:v1.4.1", "--digest", NEW)
# What a previous run that allowed everything left at each path.
STALE = "TAGGUARD_BLOCKED=0\nTAGGUARD_SKIPPED=0\nTAGGUARD_ALLOWED=1\n"


def tagguard(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed program (cli.run), with no setting of the machine's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAGGUARD_", "CI", "GIT"))}
    env["DOCKER_CONFIG"] = str(cwd / "docker")
    return subprocess.run(
        [sys.executable, "-c", "from tagguard.cli import run; run()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one `tagguard: error:` line of a run that could not decide, never an internal
    error."""
    assert done.returncode == 2, (done.stdout, done.stderr)
    (line,) = done.stderr.splitlines()
    assert line.startswith("tagguard: error: "), line
    assert "internal error" not in line
    return line.removeprefix("tagguard: error: ")


def dotenv_values(text: str) -> dict[str, str]:
    """As GitLab reads the file (see tests/reporters/test_dotenv.py)."""
    return {
        name: value.strip()
        for name, _, value in (line.partition("=") for line in text.splitlines())
    }


def test_a_dotenv_error_message_holds_no_dollar_for_a_later_job_to_expand(tmp_path: Path) -> None:
    # GitLab's dotenv variables are not raw: a later job expanded `$CI_JOB_TOKEN` in the
    # message (here from a state file's repository name) to the token itself.
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"harbor.example.com/platform/$CI_JOB_TOKEN${HOME}$$": {}}))
    done = tagguard(
        tmp_path, *PUSH, "--rules-file", OFFLINE[1], "--state-file", str(state),
        "--report", "dotenv=tagguard.env",
    )  # fmt: skip
    message = error_line(done)
    assert "$CI_JOB_TOKEN" in message
    value = dotenv_values((tmp_path / "tagguard.env").read_text())["TAGGUARD_ERROR_MESSAGE"]
    assert "$" not in value
    assert unquote(value) == message


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
def test_a_report_that_cannot_be_written_leaves_no_other_report_stale(tmp_path: Path) -> None:
    # /dev/full passes the check before the run (a device is written through) and fails
    # when written. The reports after it kept the last run's counts beside the exit 2.
    for name in ("r.env", "r.md"):
        (tmp_path / name).write_text(STALE)
    done = tagguard(
        tmp_path, *PUSH, *OFFLINE,
        "--report", "junit=r.xml", "--report", "json=/dev/full",
        "--report", "dotenv=r.env", "--report", "markdown=r.md",
    )  # fmt: skip
    message = error_line(done)
    assert message == "--report json=/dev/full: cannot write the report (No space left on device)"
    assert done.stdout == ""  # as the README says: no verdict beside an exit 2
    found = dotenv_values((tmp_path / "r.env").read_text())
    assert (found["TAGGUARD_BLOCKED"], found["TAGGUARD_ERROR"]) == ("", "file")
    assert unquote(found["TAGGUARD_ERROR_MESSAGE"]) == message
    assert "could not decide" in (tmp_path / "r.md").read_text()
    assert "<error " in (tmp_path / "r.xml").read_text()


@pytest.mark.parametrize("how", ["a link to itself", "a NUL from tagguard.toml"])
def test_a_report_path_no_file_can_have_is_one_line_before_the_run(
    tmp_path: Path, how: str
) -> None:
    # Both passed the check of --report paths and failed when written, after the check:
    # "internal error: RuntimeError: Symlink loop" or "ValueError: embedded null byte".
    if how == "a link to itself":
        (tmp_path / "r.json").symlink_to(tmp_path / "r.json")
        given = ["--report", "dotenv=r.env", "--report", "json=r.json"]
    else:  # a command line holds no NUL; the settings file's strings may
        (tmp_path / "tagguard.toml").write_text('report = ["dotenv=r.env", "json=r\\u0000.json"]')
        given = []
    (tmp_path / "r.env").write_text(STALE)
    message = error_line(tagguard(tmp_path, *PUSH, *OFFLINE, *given))
    assert message.startswith("--report json=r"), message
    assert (tmp_path / "r.env").read_text() == STALE  # refused before the check: none written


# Every report kind, written through /dev/full (a device passes the check before the run and
# fails when written). The error named the path alone, not the `--report KIND=PATH` entry
# the other report errors name, so a run with several reports did not say which one failed.
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize(
    "kind", ["text", "json", "sarif", "junit", "codequality", "dotenv", "markdown"]
)
def test_a_report_that_fails_when_written_names_its_report_entry(tmp_path: Path, kind: str) -> None:
    done = tagguard(tmp_path, *PUSH, *OFFLINE, "--report", f"{kind}=/dev/full")
    assert error_line(done) == (
        f"--report {kind}=/dev/full: cannot write the report (No space left on device)"
    )


def test_a_report_path_under_proc_names_its_report_entry(tmp_path: Path) -> None:
    # The user's case: /proc takes no new file. Whether the check before the run refuses it
    # (its folder not writable) or the write does (as root), the line names the entry.
    done = tagguard(tmp_path, *PUSH, *OFFLINE, "--report", "json=/proc/x.json")
    assert error_line(done).startswith("--report json=/proc/x.json: ")
