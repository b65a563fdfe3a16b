"""The HTTP layer's error paths, with `responses` standing in for servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from tagguard import __version__
from tagguard.errors import RemoteError
from tagguard.shell.http import Http, TransportOptions, _retry_after_seconds

URL = "https://harbor.test/api/v2.0/systeminfo"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def http(**options: object) -> tuple[Http, FakeTime]:
    fake = FakeTime()
    return Http(TransportOptions(**options), clock=fake.clock, sleep=fake.sleep), fake  # type: ignore[arg-type]


@responses.activate
def test_retries_503_then_succeeds_with_backoff() -> None:
    responses.get(URL, status=503)
    responses.get(URL, status=502)
    responses.get(URL, json={"ok": True})
    client, fake = http()
    answer = client.request("GET", URL, what="x")
    assert answer.status == 200
    assert fake.slept == [0.25, 0.5]
    assert client.requests_made == 3


@responses.activate
def test_honours_retry_after_within_the_deadline() -> None:
    responses.get(URL, status=429, headers={"Retry-After": "3"})
    responses.get(URL, json={})
    client, fake = http()
    assert client.request("GET", URL, what="x").status == 200
    assert fake.slept == [3.0]


@responses.activate
def test_gives_up_when_retry_after_is_too_long_or_passes_the_deadline() -> None:
    responses.get(URL, status=503, headers={"Retry-After": "120"})
    client, fake = http(deadline=60.0)
    with pytest.raises(RemoteError, match="asks to retry after 120 s, longer than tagguard waits"):
        client.request("GET", URL, what="reading x")
    responses.get(URL, status=503, headers={"Retry-After": "20"})
    client, fake = http(deadline=10.0)
    with pytest.raises(
        RemoteError,
        match=r"gave up after 1 attempt: https://harbor\.test:443 answered 503; another would pass the 10 s deadline",
    ):
        client.request("GET", URL, what="reading x")
    assert fake.slept == []


@responses.activate
def test_bounded_retries_return_the_last_answer() -> None:
    for _ in range(4):
        responses.get(URL, status=503)
    client, fake = http(retries=3)
    assert client.request("GET", URL, what="x").status == 503
    assert len(fake.slept) == 3
    assert client.requests_made == 4


@responses.activate
def test_connection_errors_are_retried_then_named() -> None:
    for _ in range(4):
        responses.get(URL, body=requests.ConnectionError("Connection refused"))
    client, _ = http()
    with pytest.raises(
        RemoteError,
        match=r"reading x: cannot connect to https://harbor.test:443: connection refused",
    ):
        client.request("GET", URL, what="reading x")
    assert client.requests_made == 4


@responses.activate
def test_tls_failures_are_not_retried() -> None:
    responses.get(URL, body=requests.exceptions.SSLError("certificate verify failed"))
    client, _ = http()
    with pytest.raises(
        RemoteError, match=r"TLS failed for https://harbor\.test:443: certificate verify failed"
    ):
        client.request("GET", URL, what="x")
    assert client.requests_made == 1


@responses.activate
def test_redirects_keep_credentials_on_the_same_host_only() -> None:
    responses.get(URL, status=302, headers={"Location": "/api/v2.0/elsewhere"})
    responses.get(
        "https://harbor.test/api/v2.0/elsewhere",
        status=302,
        headers={"Location": "https://evil.test/steal"},
    )
    responses.get("https://evil.test/steal", json={})
    client, _ = http()
    client.request("GET", URL, auth_header="Basic c2VjcmV0", what="x")
    sent = [
        (call.request.url, call.request.headers.get("Authorization")) for call in responses.calls
    ]
    assert sent == [
        (URL, "Basic c2VjcmV0"),
        ("https://harbor.test/api/v2.0/elsewhere", "Basic c2VjcmV0"),
        ("https://evil.test/steal", None),
    ]


@responses.activate
def test_too_many_redirects() -> None:
    responses.get(URL, status=302, headers={"Location": URL})
    client, _ = http()
    with pytest.raises(RemoteError, match="more than 5 redirects"):
        client.request("GET", URL, what="x")


@responses.activate
def test_answers_over_the_size_limit_are_refused() -> None:
    responses.get(URL, body=b"x" * 2048)
    client, _ = http(max_bytes=1024)
    with pytest.raises(RemoteError, match=r"(over the 1024-byte limit|more than 1024 bytes)"):
        client.request("GET", URL, what="x")


def test_the_deadline_bounds_every_request() -> None:
    client, fake = http(deadline=5.0)
    fake.now = 6.0
    with pytest.raises(RemoteError, match="the 5 s deadline passed"):
        client.request("GET", URL, what="x")


@responses.activate
def test_a_retry_after_date_is_read_against_the_injected_wall_clock() -> None:
    """The pause a date asks for is measured from `wall_clock`, not the machine's own time
    (in 2015 that date was long past: the pause would be the 0.25 s backoff)."""
    responses.get(URL, status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    responses.get(URL, json={})
    fake = FakeTime()
    client = Http(
        TransportOptions(),
        clock=fake.clock,
        sleep=fake.sleep,
        wall_clock=lambda: 1445412475.0,  # 5 s before the date
    )
    assert client.request("GET", URL, what="x").status == 200
    assert fake.slept == [5.0]


def test_retry_after_as_an_http_date() -> None:
    assert _retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470.0) == 10.0
    assert _retry_after_seconds("soon", 0) is None
    assert _retry_after_seconds(None, 0) is None


@responses.activate
def test_giving_up_says_how_many_attempts_and_the_last_failure() -> None:
    # Before: "gave up after cannot connect to ...", the count and the grammar lost.
    for _ in range(3):
        responses.get(URL, body=requests.ConnectionError("Connection refused"))
    client, fake = http(deadline=1.0, backoff=0.4)
    with pytest.raises(RemoteError) as raised:
        client.request("GET", URL, what="reading x")
    message = raised.value.message
    assert message.startswith("reading x: gave up after 2 attempts: ")
    assert "cannot connect to https://harbor.test:443: connection refused" in message
    assert message.endswith("would pass the 1 s deadline (--deadline)")
    assert fake.slept == [0.4]


def test_tls_to_a_plain_http_server_points_at_plain_http() -> None:
    # A real plain-HTTP server on loopback, asked over https: OpenSSL reads its HTTP answer
    # as a TLS record ("wrong version number"), which says nothing about the fix.
    class Plain(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        client = Http(TransportOptions(retries=0, timeout=5.0))
        with pytest.raises(RemoteError) as raised:
            client.request("GET", f"https://127.0.0.1:{port}/api/v2.0/systeminfo", what="x")
        client.close()
    finally:
        server.shutdown()
        server.server_close()
    message = raised.value.message
    assert message.startswith(f"x: TLS failed for https://127.0.0.1:{port}: ")
    assert "plain HTTP, not TLS" in message
    assert "--plain-http" in message


class _Recorder(BaseHTTPRequestHandler):
    """Answers 200 with the request line it got: as a proxy it sees absolute URLs
    (`GET http://host/path`), as the origin server only the path."""

    def do_GET(self) -> None:
        body = f"{self.server.name} {self.path}".encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def _serving(name: str) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.name = name  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_proxy_environment_applies_per_origin_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests takes HTTP_PROXY and NO_PROXY from the environment; tagguard reads them once
    # per origin instead of per request, and must still send each origin the same way.
    with _serving("proxy") as proxy, _serving("origin") as origin:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy}")
        monkeypatch.setenv("NO_PROXY", "localhost")
        monkeypatch.delenv("http_proxy", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        reads = []
        real = requests.Session.merge_environment_settings

        def counted(self: requests.Session, url: str, *rest: object) -> object:
            reads.append(url)
            return real(self, url, *rest)  # type: ignore[arg-type]

        monkeypatch.setattr(requests.Session, "merge_environment_settings", counted)
        client = Http(TransportOptions(retries=0, timeout=5.0))
        try:
            seen = [
                client.request("GET", url, what="x").body.decode()
                for url in [
                    "http://harbor.invalid/api/v2.0/a",
                    f"http://localhost:{origin}/api/v2.0/b",  # NO_PROXY: straight there
                    "http://harbor.invalid/api/v2.0/c",
                    f"http://localhost:{origin}/api/v2.0/d",
                ]
            ]
        finally:
            client.close()
    assert seen == [
        "proxy http://harbor.invalid/api/v2.0/a",
        "origin /api/v2.0/b",
        "proxy http://harbor.invalid/api/v2.0/c",
        "origin /api/v2.0/d",
    ]
    assert reads == ["http://harbor.invalid/api/v2.0/a", f"http://localhost:{origin}/api/v2.0/b"]


class _Echo(BaseHTTPRequestHandler):
    """Sets a cookie, and answers with the credential headers it was sent."""

    def do_GET(self) -> None:
        seen = {name: self.headers.get(name) for name in ("Authorization", "Cookie", "User-Agent")}
        body = repr(seen).encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "sid=from-the-server; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_no_netrc_entry_and_no_cookie_goes_with_a_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # requests' Session.request adds ~/.netrc credentials for the host and sends back the
    # cookies it was given; tagguard sends only the headers it was asked to send.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    client = Http(TransportOptions(retries=0, timeout=5.0))
    try:
        url = f"http://127.0.0.1:{port}/api/v2.0/systeminfo"
        first = client.request("GET", url, what="x").body.decode()
        second = client.request("GET", url, auth_header="Basic given", what="x").body.decode()
        # requests itself would have sent both: the check that this test can fail.
        plain = requests.Session()
        plain.get(url, timeout=5)
        told = plain.get(url, timeout=5).text
        plain.close()
    finally:
        client.close()
        server.shutdown()
        server.server_close()
    agent = f"tagguard/{__version__}"
    assert first == repr({"Authorization": None, "Cookie": None, "User-Agent": agent})
    assert second == repr({"Authorization": "Basic given", "Cookie": None, "User-Agent": agent})
    assert "Basic " in told
    assert "sid=from-the-server" in told


@pytest.mark.parametrize(
    ("verify", "bundle", "expected"),
    [
        (True, "/etc/ssl/from-the-environment.pem", "/etc/ssl/from-the-environment.pem"),
        (True, None, True),
        (False, "/etc/ssl/from-the-environment.pem", False),  # --insecure: no bundle at all
    ],
)
def test_the_ca_bundle_of_the_environment_is_what_requests_would_take(
    monkeypatch: pytest.MonkeyPatch, verify: bool, bundle: str | None, expected: object
) -> None:
    # REQUESTS_CA_BUNDLE is requests' to read (README: TLS is verified against it when set);
    # tagguard hands the adapter what requests' own reading of the environment gives.
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    if bundle is None:
        monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    else:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundle)
    handed: list[object] = []
    original = requests.adapters.HTTPAdapter.send

    def recording(
        self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        handed.append(kwargs["verify"])
        return original(self, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", recording)
    with _serving("origin") as port:
        client = Http(TransportOptions(retries=0, timeout=5.0, verify=verify))
        try:
            client.request("GET", f"http://127.0.0.1:{port}/a", what="x")
            client.request("GET", f"http://127.0.0.1:{port}/b", what="x")
        finally:
            client.close()
    assert handed == [expected, expected]


class _Dripping(BaseHTTPRequestHandler):
    """A server that never finishes its answer but never falls silent for a whole read
    timeout either: a byte at a time, in the status line's headers, a declared body or an
    endless chunked body. Every socket read succeeds, so only the run's deadline can end it."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        stop: threading.Event = self.server.stop  # type: ignore[attr-defined]
        how = self.path.strip("/")
        try:
            if how == "headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            elif how == "chunked":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            else:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            while not stop.wait(0.1):
                self.wfile.write(b"1\r\n \r\n" if how == "chunked" else b"a")
                self.wfile.flush()
        except OSError:
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("how", ["headers", "body", "chunked"])
def test_a_server_dripping_its_answer_cannot_outlast_the_deadline(how: str) -> None:
    # A read timeout bounds one socket read; a byte every 0.1 s resets it each time, and a
    # 32 MB body at that pace takes a month. The deadline must end the request anyway.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Dripping)
    server.stop = threading.Event()  # type: ignore[attr-defined]
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = Http(TransportOptions(retries=0, timeout=1.0, deadline=1.5))
    started = time.monotonic()
    try:
        with pytest.raises(RemoteError) as raised:
            client.request("GET", f"http://127.0.0.1:{server.server_address[1]}/{how}", what="x")
    finally:
        took = time.monotonic() - started
        client.close()
        server.stop.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()
    assert took < 1.5 + 1.0 + 0.5, took  # the deadline, at most one read timeout late
    assert raised.value.message.startswith("x: ")
    assert "1.5 s deadline" in raised.value.message


@responses.activate
def test_a_redirect_to_no_url_at_all_is_an_answer_error() -> None:
    # An open `[` in Location made urlsplit raise ValueError: an internal error, exit 2
    # with no word of which server sent it.
    responses.get(URL, status=302, headers={"Location": "http://[::1"})
    client, _ = http(retries=0)
    with pytest.raises(RemoteError, match=r"^x: "):
        client.request("GET", URL, auth_header="Basic c2VjcmV0", what="x")
    assert len(responses.calls) == 1


def test_a_host_no_dns_name_can_be_is_an_error_naming_it() -> None:
    # A reference's host may have a 64-character label (docker's grammar allows it); urllib3
    # refuses it when connecting, with a LocationParseError requests does not wrap.
    client = Http(TransportOptions(retries=0, timeout=1.0))
    try:
        with pytest.raises(RemoteError, match=r"^x: request to https://a{64}\.io:443 failed"):
            client.request("GET", f"https://{'a' * 64}.io/v2/", what="x")
    finally:
        client.close()


def test_a_ca_bundle_variable_naming_no_file_is_an_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests raises a bare OSError for it at the first request: an internal error.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    client = Http(TransportOptions(retries=0, timeout=1.0))
    try:
        with pytest.raises(RemoteError, match=r"^x: .*/nonexistent/ca\.pem"):
            client.request("GET", "https://127.0.0.1:9/v2/", what="x")
    finally:
        client.close()


def test_a_header_value_requests_refuses_is_not_quoted_back() -> None:
    # requests' InvalidHeader message quotes the value: an Authorization header's secret.
    client, _ = http(retries=0)
    with pytest.raises(RemoteError) as raised:
        client.request("GET", URL, auth_header="Bearer s3cret\r\nX: 1", what="x")
    assert raised.value.message.startswith("x: ")
    assert "s3cret" not in raised.value.message


def test_a_deadline_far_beyond_any_run_still_lets_requests_through_quietly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # --deadline 1e10 (FloatRange takes it: "no deadline, really") worked before the
    # watchdog came. A timer that far out is more than a thread can wait for: it must not
    # die with a traceback on stderr, and the request must still be answered.
    failed: list[BaseException | None] = []
    died = threading.Event()

    def hook(args: threading.ExceptHookArgs) -> None:
        failed.append(args.exc_value)
        died.set()

    monkeypatch.setattr(threading, "excepthook", hook)
    client = Http(TransportOptions(retries=0, timeout=1.0, deadline=1e10))
    try:
        with pytest.raises(RemoteError, match=r"^x: cannot connect"):
            client.request("GET", "http://127.0.0.1:9/v2/", what="x")
        died.wait(0.5)
    finally:
        client.close()
    assert failed == []


def test_the_watchdog_ends_a_tls_in_tls_connection_too() -> None:
    # Through an HTTPS proxy to an HTTPS Harbor, urllib3's connection holds an SSLTransport
    # (TLS inside the proxy's TLS), which has no shutdown(): the watchdog died on it with an
    # AttributeError in its thread and the dripping server kept the run. It must shut the
    # socket underneath.
    from urllib3.util.ssltransport import SSLTransport

    from tagguard.shell.http import _Sockets

    ours, theirs = socket.socketpair()
    wrapped = SSLTransport.__new__(SSLTransport)  # as connected: its socket is the outer one
    wrapped.socket = ours
    sockets = _Sockets()
    try:
        sockets.add(wrapped)
        sockets.end_all()
        theirs.settimeout(1.0)
        assert theirs.recv(1) == b""  # our side is shut: the peer reads the end at once
    finally:
        ours.close()
        theirs.close()


@pytest.mark.parametrize(
    "how", ["tls-handshake", "proxy-connect", "proxy-tls-handshake", "proxy-tls-connect"]
)
def test_a_connection_that_is_never_set_up_cannot_outlast_the_deadline(
    how: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The watchdog knew a socket only once connected: a proxy dribbling its answer to
    # CONNECT a byte each 0.2 s held the request for as long as it liked, since every read
    # came within the timeout. (A TLS handshake is bounded as a whole by the socket's
    # timeout in CPython's ssl module, itself within the deadline: it is checked too.)
    from tests.dribbling import CONNECT_ANSWER, SERVER_HELLO, dribbling
    from tests.harbor_server.harbor import self_signed_certificate

    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    tls = self_signed_certificate(tmp_path) if how == "proxy-tls-connect" else None
    answer = CONNECT_ANSWER if how.endswith("connect") else SERVER_HELLO
    with dribbling(answer, tls=tls) as port:
        url = URL
        if how == "tls-handshake":
            url = f"https://127.0.0.1:{port}/api/v2.0/systeminfo"
        else:
            scheme = "http" if how == "proxy-connect" else "https"
            monkeypatch.setenv("HTTPS_PROXY", f"{scheme}://127.0.0.1:{port}")
        # --insecure: the proxy's certificate is its own (a handshake that ends is what
        # lets the CONNECT answer be dribbled); verification is not what is tested here.
        client = Http(TransportOptions(retries=0, timeout=1.0, deadline=1.0, verify=False))
        started = time.monotonic()
        try:
            with pytest.raises(RemoteError) as raised:
                client.request("GET", url, what="x")
        finally:
            took = time.monotonic() - started
            client.close()
    assert took < 1.0 + 1.0, took  # the deadline, and no whole read timeout more
    assert raised.value.message.startswith("x: the 1 s deadline passed (--deadline)")


def test_a_proxy_password_requests_cannot_encode_is_not_quoted_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # requests encodes a proxy's user and password as Latin-1; the codec's message named
    # the character it could not encode and its position in the password.
    for name in ("http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://px:Prx\u20acKq7@127.0.0.1:9")
    client = Http(TransportOptions(retries=0, timeout=5.0))
    try:
        with pytest.raises(RemoteError) as raised:
            client.request("GET", "http://harbor.invalid/api/v2.0/systeminfo", what="x")
    finally:
        client.close()
    message = raised.value.message
    assert "beyond Latin-1" in message
    assert "\\u20ac" not in message
    assert "\u20ac" not in message
    assert "position" not in message
