"""The fault matrix: every way an answer can go wrong, at every point tagguard reads from a
live Harbor. Each cell must end in the decision a healthy Harbor gives (after a bounded
retry) or in exit 2 with one line naming the host; never a traceback, never a verdict the
fault made up, never longer than the deadline."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.e2e.conftest import Harbor, Run
from tests.harbor_server.harbor import (
    Fault,
    Handler,
    hang,
    huge,
    raw,
    redirect,
    reset,
    status,
    truncated,
)
from tests.harbor_server.images import make_image
from tests.harbor_server.registry import free_port

TIMEOUT, DEADLINE = "0.5", "3"


@dataclass(frozen=True)
class Point:
    """Where tagguard reads: the request a fault replaces, and a check that needs it."""

    name: str
    path: str  # regex over the request path
    tags: tuple[str, ...]  # pushed with another digest: v1 exists (block), v2 does not (allow)
    repo_pattern: str = "**"


POINTS = [
    Point("rules", r"/immutabletagrules", ("v1",)),
    Point("artifact", r"/artifacts/v1\?", ("v1",)),
    Point("artifact-list", r"/repositories/app/artifacts\?", ("v1", "v2")),
    # '{app,tools/x}' means different things under Harbor's two globs: the version is needed.
    Point("systeminfo", r"/systeminfo", ("v1",), repo_pattern="{app,tools/x}"),
]


@dataclass(frozen=True)
class Kind:
    name: str
    action: Callable[[Harbor], Callable[[Handler], None]]
    times: int | None = None  # None: every time
    outcome: str = "either"  # "decision", "undecided" (exit 2) or "either"


KINDS = [
    Kind("500", lambda h: status(500), outcome="undecided"),
    Kind("502-then-answer", lambda h: status(502), times=1, outcome="decision"),
    Kind("503-twice-then-answer", lambda h: status(503), times=2, outcome="decision"),
    Kind(
        "429-retry-after", lambda h: status(429, {"Retry-After": "1"}), times=1, outcome="decision"
    ),
    Kind("401", lambda h: status(401), outcome="undecided"),
    Kind("403", lambda h: status(403)),  # rules: Harbor's own flag decides (developers)
    Kind("truncated-json", lambda h: truncated, outcome="undecided"),
    Kind(
        "html-200",
        lambda h: raw(b"<html><body>Sign in</body></html>", "text/html"),
        outcome="undecided",
    ),
    Kind("json-as-text", lambda h: raw(b'{"unexpected": true}', "text/plain"), outcome="undecided"),
    Kind("read-timeout", lambda h: hang, outcome="undecided"),
    Kind("connection-reset", lambda h: reset, outcome="undecided"),
    Kind("100-MB-answer", lambda h: huge(100 * 1024 * 1024), outcome="undecided"),
    Kind(
        "redirect-to-another-host",
        lambda h: redirect(f"http://127.0.0.2:{h.host.rsplit(':', 1)[1]}/api/v2.0/systeminfo"),
        outcome="undecided",
    ),
]


def _check(harbor: Harbor, point: Point, digest: str) -> Run:
    refs = [harbor.ref(f"proj/app:{tag}") for tag in point.tags]
    return harbor.tagguard(
        "push", *refs, "--digest", digest, "--format", "json",
        "--timeout", TIMEOUT, "--deadline", DEADLINE,
    )  # fmt: skip


def _setup(harbor: Harbor, point: Point) -> str:
    harbor.rule("proj", repo=point.repo_pattern, tag="v*")
    harbor.push("proj/app:v1")
    return make_image().digest


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize("point", POINTS, ids=lambda p: p.name)
def test_fault(harbor: Harbor, point: Point, kind: Kind) -> None:
    digest = _setup(harbor, point)
    healthy = _check(harbor, point, digest)
    expected = ["block", "allow"][: len(point.tags)]
    assert (healthy.code, healthy.verdicts()) == (1, expected), healthy.err

    harbor.state.log.clear()
    harbor.state.faults.append(
        Fault(point.path, kind.action(harbor), method="GET", times=kind.times)
    )
    started = time.monotonic()
    run = _check(harbor, point, digest)
    elapsed = time.monotonic() - started

    assert any(re.search(point.path, path) for _, path in harbor.state.log)  # the fault was hit
    assert elapsed < float(DEADLINE) + 2
    assert "Traceback" not in run.err
    if run.code == 2:
        assert kind.outcome != "decision", run.err
        assert run.out == ""
        assert run.err.count("\n") == 1, run.err
        assert run.err.startswith("tagguard: error: ")
        assert harbor.host in run.err or "127.0.0.2" in run.err, run.err
        assert run.err.count(": gave up after") <= 1
        # What was being read is said once, at the start.
        what = run.err.removeprefix("tagguard: error: ").split(":", 1)[0]
        assert run.err.count(what) == 1, run.err
    else:
        assert kind.outcome != "undecided", run.out
        assert (run.code, run.verdicts()) == (1, expected), run.err


def test_a_refused_connection_and_a_silent_listener(capsys: pytest.CaptureFixture[str]) -> None:
    """Connection refused and a connect that never completes: both before any answer."""
    import socket

    from tagguard.cli import main

    refused = f"127.0.0.1:{free_port()}"
    # A listener whose backlog is full: the kernel stops completing handshakes.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        fillers.append(filler)
    silent = f"127.0.0.1:{listener.getsockname()[1]}"
    try:
        for host in (refused, silent):
            started = time.monotonic()
            code = main(["push", f"{host}/proj/app:v1", "--digest", make_image().digest,
                         "--plain-http", "--timeout", TIMEOUT, "--deadline", DEADLINE])  # fmt: skip
            err = capsys.readouterr().err
            assert code == 2
            assert time.monotonic() - started < float(DEADLINE) + 2
            assert err.count("\n") == 1
            assert host in err
    finally:
        for sock in (*fillers, listener):
            sock.close()


def test_a_project_harbor_does_not_have(harbor: Harbor) -> None:
    run = harbor.tagguard(
        "push", harbor.ref("nosuch/app:v1"), "--digest", make_image().digest,
        "--timeout", TIMEOUT, "--deadline", DEADLINE,
    )  # fmt: skip
    assert run.code == 2
    assert run.out == ""
    assert run.err.count("\n") == 1, run.err
    assert "nosuch" in run.err
    assert harbor.host in run.err
