"""`python -m tests.harbor_server`: the test Harbor by hand, as CONTRIBUTING tells a
contributor to start it, driven as they would: read what it prints, run the tagguard
command it suggests, stop it with Ctrl-C (SIGINT) or a kill (SIGTERM)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tagguard.cli import main

ROOT = Path(__file__).resolve().parents[2]
OTHER = "sha256:" + "f" * 64


def children(pid: int) -> set[int]:
    """The processes `pid` started, from each of its threads' /proc entry. The server
    answers each request on a thread of its own, and one that ends between the listing and
    the read is gone (FileNotFoundError, seen in CI): it started no process that counts."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_it_serves_what_it_prints_and_stops_with_its_registry(
    stop: signal.Signals, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.harbor_server", "--rule", "proj:v*", "--push", "proj/app:v1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        lines = []
        for line in server.stdout:
            lines.append(line)
            if line.startswith("Ctrl-C"):
                break
        printed = "".join(lines)
        [command] = re.findall(r"^  tagguard (push .*)$", printed, re.M)
        [(user, password)] = re.findall(r"TAGGUARD_USERNAME=(\S+) TAGGUARD_PASSWORD=(\S+)", printed)
        monkeypatch.setenv("TAGGUARD_USERNAME", user)
        monkeypatch.setenv("TAGGUARD_PASSWORD", password)
        monkeypatch.setenv("DOCKER_CONFIG", os.devnull)
        # The suggested command re-pushes the pushed image: skip; another image: block.
        assert main(command.split()) == 0
        assert capsys.readouterr().out.startswith("skip")
        moved = re.sub(r"sha256:[0-9a-f]{64}", OTHER, command)
        assert main(moved.split()) == 1
        assert capsys.readouterr().out.startswith("block")
        registry = children(server.pid)
        assert registry  # the registry it started
        url = re.search(r"test Harbor at (\S+)", printed)
        assert url is not None
        server.send_signal(stop)
        assert server.wait(timeout=30) == 0
        assert all(not Path(f"/proc/{pid}").exists() for pid in registry)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url.group(1)}/api/v2.0/systeminfo", timeout=5)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def _sigint_ignored() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_stops_it_even_started_with_sigint_ignored() -> None:
    # Started from a script's background (`cmd &` without job control), a process inherits
    # SIGINT ignored, and Python then leaves it so: the server printed "Ctrl-C stops it"
    # and ignored Ctrl-C (seen in a CI run launched that way).
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.harbor_server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        # What the shell does to a background job; run in the child before Python starts.
        preexec_fn=_sigint_ignored,  # noqa: PLW1509
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if line.startswith("Ctrl-C"):
                break
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def test_it_starts_without_pytest() -> None:
    # CONTRIBUTING runs it from .venv, which `make demo` fills with tagguard alone: an import
    # of pytest (through the e2e fixtures) was a traceback before the usage line.
    hide_pytest = (
        "import runpy, sys; sys.modules['pytest'] = None; sys.argv[1:] = ['--help'];"
        " runpy.run_module('tests.harbor_server', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide_pytest], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m tests.harbor_server")
