"""The fault matrix: every way an answer can go wrong, at every point tagguard reads from:
the Harbor under check (rules, artifact state, systeminfo) and a retag source in another
registry (its manifest HEAD and its token service). Each cell must end in the decision a
healthy server gives (after a bounded retry) or in exit 2 with one line naming the host;
never a traceback, never a verdict the fault made up, never longer than the deadline."""

from __future__ import annotations

import base64
import contextlib
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import Harbor, Run
from tests.harbor_server.harbor import (
    Fault,
    Handler,
    HarborState,
    hang,
    huge,
    raw,
    redirect,
    reset,
    running_harbor,
    status,
    to_https,
    truncated,
)
from tests.harbor_server.images import Image, Pusher, make_image
from tests.harbor_server.registry import Registry, free_port

TIMEOUT, DEADLINE = "0.5", "3"


@dataclass(frozen=True)
class Point:
    """Where tagguard reads: the request a fault replaces, and a check that needs it."""

    name: str
    path: str  # regex over the request path
    tags: tuple[str, ...]  # pushed with another digest: v1 exists (block), v2 does not (allow)
    repo_pattern: str = "**"
    method: str | None = "GET"
    in_source: bool = False  # the fault is in the retag source's registry, not in Harbor


POINTS = [
    Point("rules", r"/immutabletagrules", ("v1",)),
    Point("artifact", r"/artifacts/v1\?", ("v1",)),
    Point("artifact-list", r"/repositories/app/artifacts\?", ("v1", "v2")),
    # '{app,tools/x}' means different things under Harbor's two globs: the version is needed.
    Point("systeminfo", r"/systeminfo", ("v1",), repo_pattern="{app,tools/x}"),
    # The source's manifest: HEAD, and the GET that stands in when HEAD names no digest.
    Point("registry-HEAD", r"^/v2/src/a/manifests/1$", (), method=None, in_source=True),
    Point("token", r"^/service/token", (), in_source=True),
]


@dataclass(frozen=True)
class Kind:
    name: str
    action: Callable[[str], Callable[[Handler], None]]  # given the faulted server's host:port
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
    # A 404 that is not Harbor's "artifact/repository ... not found" must not read as absent.
    Kind("404", lambda h: status(404), outcome="undecided"),
    Kind(
        "404-project-gone",
        lambda h: raw(
            b'{"errors": [{"code": "NOT_FOUND", "message": "project proj not found"}]}',
            "application/json",
            404,
        ),
        outcome="undecided",
    ),
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
        lambda h: redirect(f"http://127.0.0.2:{h.rsplit(':', 1)[1]}/api/v2.0/systeminfo"),
        outcome="undecided",
    ),
    Kind("tls-failure", lambda h: to_https, outcome="undecided"),
]


@dataclass
class Source:
    """A second Harbor holding the retag source, private, read with a docker config."""

    host: str
    state: HarborState
    image: Image


@pytest.fixture
def source(registry: Registry, harbor: Harbor, tmp_path: Path) -> Iterator[Source]:
    state = HarborState()
    state.add_user("admin", "pw", admin=True)
    state.add_user("reader", "reader-pw")
    state.add_project("src", members={"reader": "guest"})
    with running_harbor(registry.url, state) as (url, started):
        image = make_image()
        assert Pusher(url, ("admin", "pw")).push("src/a", "1", image).status_code == 201
        host = url.split("://", 1)[1]
        docker = tmp_path / "docker"
        docker.mkdir(exist_ok=True)
        auth = base64.b64encode(b"reader:reader-pw").decode()
        (docker / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
        harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
        yield Source(host, started, image)


LIMITS = ("--timeout", TIMEOUT, "--deadline", DEADLINE)


def _check(harbor: Harbor, point: Point, digest: str, source: Source | None) -> Run:
    if source is not None:
        targets = [harbor.ref(f"proj/app:{tag}") for tag in ("v1", "v2", "v3")]
        retag = ("retag", f"{source.host}/src/a:1", *targets)
        return harbor.tagguard(*retag, "--format", "json", *LIMITS)
    refs = [harbor.ref(f"proj/app:{tag}") for tag in point.tags]
    return harbor.tagguard("push", *refs, "--digest", digest, "--format", "json", *LIMITS)


def _setup(harbor: Harbor, point: Point, source: Source | None) -> tuple[str, list[str]]:
    """Pushes what the check meets; returns the pushed digest and the healthy verdicts."""
    harbor.rule("proj", repo=point.repo_pattern, tag="v*")
    if source is None:
        harbor.push("proj/app:v1")
        return make_image().digest, ["block", "allow"][: len(point.tags)]
    # v1 already holds the source (skip), v2 holds another image (block), v3 is free:
    # a digest the fault made up would turn the skip into a block.
    harbor.push("proj/app:v1", source.image)
    harbor.push("proj/app:v2")
    return source.image.digest, ["skip", "block", "allow"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
@pytest.mark.parametrize("point", POINTS, ids=lambda p: p.name)
def test_fault(harbor: Harbor, point: Point, kind: Kind, request: pytest.FixtureRequest) -> None:
    source: Source | None = request.getfixturevalue("source") if point.in_source else None
    digest, expected = _setup(harbor, point, source)
    healthy = _check(harbor, point, digest, source)
    assert (healthy.code, healthy.verdicts()) == (1, expected), healthy.err

    faulted = source.state if source else harbor.state
    faulted_host = source.host if source else harbor.host
    faulted.log.clear()
    # A source's token is cached for the run only: each run asks for it again.
    faulted.faults.append(
        Fault(point.path, kind.action(faulted_host), method=point.method, times=kind.times)
    )
    started = time.monotonic()
    run = _check(harbor, point, digest, source)
    elapsed = time.monotonic() - started

    assert any(re.search(point.path, path) for _, path in faulted.log)  # the fault was hit
    assert elapsed < float(DEADLINE) + 2
    assert "Traceback" not in run.err
    if run.code == 2:
        assert kind.outcome != "decision", run.err
        assert run.undecided()["code"] in ("remote", "auth", "state"), run.err
        assert run.err.count("\n") == 1, run.err
        assert run.err.startswith("tagguard: error: ")
        assert faulted_host in run.err or "127.0.0.2" in run.err, run.err
        assert run.err.count(": gave up after") <= 1
        # What was being read is said once, at the start.
        what = run.err.removeprefix("tagguard: error: ").split(":", 1)[0]
        assert run.err.count(what) == 1, run.err
    else:
        assert kind.outcome != "undecided", run.out
        assert (run.code, run.verdicts()) == (1, expected), run.err


@pytest.fixture(scope="module")
def dead_hosts() -> Iterator[dict[str, str]]:
    """A port nothing listens on, and a listener that never completes a connection."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    # With its backlog full, the kernel stops completing handshakes to the listener.
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(listener.getsockname())
        fillers.append(filler)
    try:
        yield {
            "refused": f"127.0.0.1:{free_port()}",
            "silent": f"127.0.0.1:{listener.getsockname()[1]}",
        }
    finally:
        for sock in (*fillers, listener):
            sock.close()


def _unreachable(harbor: Harbor, source: Source, where: str, dead: str) -> Run:
    limits = ("--format", "json", *LIMITS)
    if where == "harbor":
        return harbor.tagguard(
            "push", f"{dead}/proj/app:v1", "--digest", source.image.digest, *limits
        )
    if where == "token-realm":
        # The source's registry sends tagguard to a token service that cannot be reached.
        realm = f'Bearer realm="http://{dead}/service/token",service="harbor-registry"'
        challenge = status(401, {"WWW-Authenticate": realm})
        source.state.faults.append(Fault(r"^/v2/src/a/manifests/", challenge, method="HEAD"))
        return harbor.tagguard(
            "retag", f"{source.host}/src/a:1", harbor.ref("proj/app:v9"), *limits
        )
    return harbor.tagguard("retag", f"{dead}/src/a:1", harbor.ref("proj/app:v9"), *limits)


@pytest.mark.parametrize("where", ["harbor", "registry-HEAD", "token-realm"])
@pytest.mark.parametrize("how", ["refused", "silent"])
def test_a_refused_connection_and_a_silent_listener(
    harbor: Harbor, source: Source, dead_hosts: dict[str, str], where: str, how: str
) -> None:
    """Connection refused and a connect that never completes, before any answer: at Harbor,
    at a retag source's registry and at the token service that registry names."""
    dead = dead_hosts[how]
    started = time.monotonic()
    run = _unreachable(harbor, source, where, dead)
    assert time.monotonic() - started < float(DEADLINE) + 2
    assert run.undecided()["code"] == "remote", run.err
    assert run.err.count("\n") == 1, run.err
    assert dead in run.err
    assert ("getting a token from" in run.err) == (where == "token-realm"), run.err
    assert "Traceback" not in run.err


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


@pytest.mark.parametrize("how", ["tls-handshake", "proxy-connect", "https-proxy-connect"])
def test_a_connection_set_up_a_byte_at_a_time_ends_at_the_deadline(
    how: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A Harbor dribbling its TLS handshake, or an HTTP(S) proxy its answer to CONNECT, a
    byte each 0.2 s: every read comes within --timeout, so only --deadline can end the run,
    and it must, on time, with exit 2 and the deadline named."""
    from tagguard.cli import main
    from tests.dribbling import CONNECT_ANSWER, SERVER_HELLO, dribbling
    from tests.harbor_server.harbor import self_signed_certificate

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("TAGGUARD_USERNAME", "ci-bot")
    monkeypatch.setenv("TAGGUARD_PASSWORD", "ci-password")
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    tls = self_signed_certificate(tmp_path) if how == "https-proxy-connect" else None
    answer = SERVER_HELLO if how == "tls-handshake" else CONNECT_ANSWER
    with dribbling(answer, tls=tls) as port:
        host = f"127.0.0.1:{port}" if how == "tls-handshake" else "harbor.invalid"
        if how != "tls-handshake":
            scheme = "https" if how == "https-proxy-connect" else "http"
            monkeypatch.setenv("HTTPS_PROXY", f"{scheme}://127.0.0.1:{port}")
        started = time.monotonic()
        code = main(
            ["push", f"{host}/proj/app:v1", "--digest", make_image().digest,
             "--timeout", "5", "--deadline", "1", "--insecure"]
        )  # fmt: skip
        took = time.monotonic() - started
    out, err = capsys.readouterr()
    assert took < 2.0, (took, err)
    assert (code, out) == (2, ""), err
    assert err.startswith("tagguard: error: "), err
    assert err.count("\n") == 1, err
    assert "the 1 s deadline passed (--deadline)" in err, err
