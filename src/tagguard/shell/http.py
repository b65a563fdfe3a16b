"""The one place tagguard makes HTTP requests.

requests has no session-wide timeout and follows redirects with credentials attached, so
every request goes through `Http.request`, which:

* gives each request a connect and read timeout, never more than what remains of the
  run's overall deadline;
* retries idempotent reads a bounded number of times, with exponential backoff, on
  connection failures and on 429/502/503/504 (honouring Retry-After, within the deadline);
* follows redirects itself, dropping credentials whenever the host changes;
* reads at most `max_bytes` of a body, so a hostile server cannot exhaust memory;
* shares one pooled session (connections are reused across requests and threads).

Each request goes straight to the session's adapter (`HTTPAdapter.send`), not through
`Session.request`, which on every call merges the cookie jar, looks in ~/.netrc for the
host, runs the hooks and reads the proxy and CA variables of the environment. tagguard
wants none of that per request: its credentials are its own (a ~/.netrc entry would follow
any host it talks to), it keeps no cookies (each request carries its own credentials), and
the environment is read once per origin, by requests itself (`Http._environment`). The
proxies, CA bundle and TLS handling are requests' own. It took a live plan of 200 pushes
from 192.1 to 187.3 ms of CPU (`python bench/startup_trees.py e5ddae1 6394bae --live`).
"""

from __future__ import annotations

import contextlib
import email.utils
import functools
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from requests.exceptions import InvalidURL
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers, select_proxy
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from tagguard import __version__
from tagguard.core.record import field, record
from tagguard.core.sanitize import Redactor, shortened
from tagguard.errors import InputError, RemoteError

if TYPE_CHECKING:
    from requests.adapters import _HostParams, _PoolKwargs
    from requests.sessions import _Settings
    from urllib3.util.ssltransport import SSLTransport

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# The longest a watchdog waits: a thread cannot wait much past threading.TIMEOUT_MAX (about
# 292 years) and raises in its own thread if asked to. A deadline longer than this (31 years)
# ends no run, so the watchdog then waits this long instead.
_LONGEST_WATCH = 1e9
MAX_REDIRECTS = 5
USER_AGENT = f"tagguard/{__version__}"


@record
class TransportOptions:
    timeout: float = 10.0  # seconds, per request (connect and read each)
    deadline: float = 60.0  # seconds, for the whole run
    retries: int = 3  # extra attempts after the first
    backoff: float = 0.25  # first pause; doubles per attempt
    max_retry_after: float = 30.0  # longest Retry-After honoured
    verify: bool | str = True  # False (--insecure) or a CA bundle path (--ca-file)
    max_bytes: int = 32 * 1024 * 1024
    pool_size: int = 8


@record
class Answer:
    """A response read in full (within max_bytes): what the clients need of it."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@record(frozen=False)
class Http:
    options: TransportOptions = field(default_factory=TransportOptions)
    clock: Callable[[], float] = time.monotonic  # the deadline and request times
    sleep: Callable[[float], None] = time.sleep
    # Calendar time, only to read a Retry-After given as an HTTP date: the deadline runs on
    # `clock`, which a step of the system clock cannot move.
    wall_clock: Callable[[], float] = time.time
    # Told of every attempt once it ends (--verbose): method, URL, status (None when no
    # answer came), seconds taken. It sees no header, so no credential.
    observe: Callable[[str, str, int | None, float], None] | None = None
    # The run's: a proxy's credentials (HTTPS_PROXY=http://user:pw@proxy) are registered as
    # requests reads them, before anything goes through that proxy (`_environment`).
    redactor: Redactor | None = None
    session: requests.Session = field(init=False)
    started: float = field(init=False)
    _settings: dict[str, _Settings] = field(default_factory=dict, init=False)
    requests_made: int = field(default=0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _sockets: _Sockets = field(init=False)
    _watchdog: threading.Timer | None = field(default=None, init=False)
    _session_headers: dict[str, str | bytes] = field(init=False)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        # The session's headers as a plain dict, merged under each request's own: what
        # `{**self.session.headers, ...}` gives (same names, values and order), without a
        # case-insensitive lookup per name per request. Nothing changes them after this.
        self._session_headers = dict(self.session.headers)
        self._sockets = _Sockets()
        adapter = _WatchedAdapter(
            self._sockets, pool_connections=4, pool_maxsize=self.options.pool_size, max_retries=0
        )
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        if isinstance(self.options.verify, str):
            _check_ca_file(self.options.verify)
        elif self.options.verify is False:
            # --insecure was asked for: urllib3's warning on every request adds nothing.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self.started = self.clock()

    def close(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.session.close()

    def _watch(self) -> None:
        """Starts, with the first request, the one timer that ends every connection still
        open when the deadline passes. A read timeout bounds a single socket read only: a
        server that sends a byte each second (in its headers or its body) would otherwise
        hold a request, and the run, for as long as it likes."""
        with self._lock:
            if self._watchdog is not None:
                return
            wait = min(max(0.0, self.remaining()), _LONGEST_WATCH)
            self._watchdog = threading.Timer(wait, self._sockets.end_all)
            self._watchdog.daemon = True
        self._watchdog.start()

    def remaining(self) -> float:
        return self.options.deadline - (self.clock() - self.started)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        auth_header: str | None = None,
        what: str = "",
    ) -> Answer:
        """One logical request: retried, redirected, bounded. `what` names it in errors.

        `auth_header` is sent only to the host of `url`, never to a redirect's other host.
        """
        host = _origin(url)
        attempt = 0
        while True:
            try:
                answer = self._follow(
                    method, url, dict(headers or {}), auth_header, host=host, what=what
                )
            except RemoteError as error:
                if not error.retryable or attempt >= self.options.retries:
                    raise
                self._pause(attempt, None, error.message.removeprefix(f"{what}: "), what)
                attempt += 1
                continue
            if answer.status in RETRY_STATUSES and attempt < self.options.retries:
                said = f"{_origin(answer.url)} answered {answer.status}"
                self._pause(attempt, answer.header("retry-after"), said, what)
                attempt += 1
                continue
            return answer

    def _pause(self, attempt: int, retry_after: str | None, last: str, what: str) -> None:
        """Waits before attempt `attempt + 2`; `last` says how the latest one failed."""
        delay = self.options.backoff * (2**attempt)
        asked = _retry_after_seconds(retry_after, self.wall_clock())
        if asked is not None and asked > self.options.max_retry_after:
            raise RemoteError(
                f"{what}: the server asks to retry after {asked:g} s, longer than tagguard "
                f"waits ({self.options.max_retry_after:g} s)"
            )
        if asked is not None:
            delay = max(delay, asked)
        if delay >= self.remaining():
            tries = attempt + 1
            raise RemoteError(
                f"{what}: gave up after {tries} attempt{'s' if tries > 1 else ''}: {last}; "
                f"another would pass the {self.options.deadline:g} s deadline (--deadline)"
            )
        self.sleep(delay)

    def _follow(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        auth_header: str | None,
        *,
        host: str,
        what: str,
    ) -> Answer:
        for _ in range(MAX_REDIRECTS + 1):
            sent = dict(headers)
            if auth_header is not None and _origin(url) == host:
                sent["Authorization"] = auth_header
            answer = self._once(method, url, sent, what)
            if answer.status not in (301, 302, 303, 307, 308):
                return answer
            location = answer.header("location")
            if not location:
                return answer
            try:
                url = urljoin(url, location)
            except ValueError:  # an open `[`: no URL at all
                raise RemoteError(
                    f"{what}: {_origin(url)} redirects to a Location that is not a URL"
                ) from None
            if method == "POST" and answer.status in (301, 302, 303):
                method = "GET"
        raise RemoteError(f"{what}: more than {MAX_REDIRECTS} redirects")

    def _once(self, method: str, url: str, headers: dict[str, str], what: str) -> Answer:
        remaining = self.remaining()
        if remaining <= 0:
            raise RemoteError(
                f"{what}: the {self.options.deadline:g} s deadline passed (--deadline)"
            )
        timeout = min(self.options.timeout, remaining)
        with self._lock:
            self.requests_made += 1
        self._watch()
        started = self.clock()
        status: int | None = None
        try:
            answer = self._attempt(method, url, headers, what, timeout)
            # A socket the watchdog shut down mid-answer reads as the answer's end: what
            # came may even look whole (headers that stop early), and is not the server's.
            self._check_cut_off(url, what)
            status = answer.status
            return answer
        except RemoteError:
            self._check_cut_off(url, what)
            raise
        finally:
            if self.observe is not None:
                self.observe(method, url, status, self.clock() - started)

    def _check_cut_off(self, url: str, what: str) -> None:
        if self._sockets.ended:  # the watchdog ended the connection: say why
            raise RemoteError(
                f"{what}: the {self.options.deadline:g} s deadline passed (--deadline) "
                f"while {_origin(url)} was still answering"
            )

    def _attempt(
        self, method: str, url: str, headers: dict[str, str], what: str, timeout: float
    ) -> Answer:
        settings = self._environment(url)
        # requests gives back the `verify` it was handed unless the environment names a CA
        # bundle; None only in its types.
        verify = self.options.verify if settings["verify"] is None else settings["verify"]
        try:
            prepared = _prepared(method, url, {**self._session_headers, **headers})
            response = self.session.get_adapter(url).send(
                prepared,
                stream=True,
                timeout=(timeout, timeout),
                verify=verify,
                cert=settings["cert"],
                # A copy: the read is shared by every worker, and nothing requests does
                # with it may reach the next request.
                proxies=dict(settings["proxies"]),
            )
        except requests.exceptions.SSLError as error:
            cause = _cause(error)
            raise RemoteError(
                f"{what}: TLS failed for {_origin(url)}: {cause}{_tls_hint(cause)}"
            ) from None
        except requests.exceptions.ConnectTimeout:
            raise RemoteError(
                f"{what}: connecting to {_origin(url)} timed out after {_seconds(timeout)} s",
                retryable=True,
            ) from None
        except requests.exceptions.ReadTimeout:
            raise RemoteError(
                f"{what}: {_origin(url)} sent no answer within {_seconds(timeout)} s",
                retryable=True,
            ) from None
        except requests.exceptions.ConnectionError as error:
            raise RemoteError(
                f"{what}: cannot connect to {_origin(url)}: {_cause(error)}", retryable=True
            ) from None
        except requests.exceptions.InvalidHeader:
            # Its message quotes the value, maybe a credential, with CR and LF escaped (so
            # not as the redactor knows it).
            raise RemoteError(
                f"{what}: request to {_origin(url)} not sent: a header value holds characters "
                "no header may carry"
            ) from None
        except requests.exceptions.RequestException as error:
            raise RemoteError(
                f"{what}: request to {_origin(url)} failed: {_cause(error)}"
            ) from None
        except UnicodeEncodeError:
            # A proxy's credentials beyond Latin-1 (requests encodes them so): the codec's
            # message names the character and its position in the password.
            raise RemoteError(
                f"{what}: request to {_origin(url)} not sent: the credentials of its proxy "
                "(HTTP_PROXY, HTTPS_PROXY) hold characters beyond Latin-1, which requests "
                "cannot send; percent-encode only Latin-1 text in a proxy URL"
            ) from None
        except (ValueError, OSError) as error:
            # What requests leaves unwrapped: urllib3's LocationParseError (a host label of
            # over 63 characters), a bare OSError for a REQUESTS_CA_BUNDLE naming no file.
            raise RemoteError(
                f"{what}: request to {_origin(url)} failed: {shortened(' '.join(str(error).split()), 300)}"
            ) from None
        try:
            body = self._read(response, method, what, url)
        finally:
            response.close()
        # Each name as lower() made it when requests stored the header: what
        # `{k.lower(): v for k, v in response.headers.items()}` gives, without a lookup per name.
        return Answer(response.status_code, dict(response.headers.lower_items()), body, url)

    def _environment(self, url: str) -> _Settings:
        """What requests reads from the environment for `url` (HTTP(S)_PROXY against
        NO_PROXY, REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE when verifying), asked of requests
        itself, once per origin: the environment does not change during a run. Two workers
        asking first at once both read it, and get the same."""
        origin = _origin(url)
        found = self._settings.get(origin)
        if found is None:
            found = self.session.merge_environment_settings(
                url, {}, True, self.options.verify, None
            )
            if self.redactor is not None:
                for proxy in found["proxies"].values():
                    hide_proxy_credentials(proxy, self.redactor)
            self._settings[origin] = found
        return found

    def _read(self, response: requests.Response, method: str, what: str, url: str) -> bytes:
        limit = self.options.max_bytes
        # A HEAD answer's Content-Length is the size of what a GET would send, not a body.
        declared = None if method == "HEAD" else response.headers.get("Content-Length")
        if declared and is_count(declared) and int(declared) > limit:
            raise RemoteError(
                f"{what}: {_origin(url)} answered with {int(declared)} bytes, over the {limit}-byte limit"
            )
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > limit:
                    raise RemoteError(
                        f"{what}: {_origin(url)} answered with more than {limit} bytes"
                    )
                chunks.append(chunk)
        except requests.exceptions.RequestException as error:
            raise RemoteError(
                f"{what}: the answer from {_origin(url)} broke off: {_cause(error)}", retryable=True
            ) from None
        return b"".join(chunks)


class _Sockets:
    """The sockets one Http opened, held weakly (a closed connection's socket just goes),
    so that the deadline's watchdog can shut down the ones still open."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self.ended = False

    def add(self, sock: socket.socket | SSLTransport) -> None:
        # TLS inside a proxy's TLS (an HTTPS proxy to an HTTPS Harbor) is an SSLTransport,
        # which cannot be shut down: the socket under it can, and ends both.
        while not isinstance(sock, socket.socket):
            sock = sock.socket
        with self._lock:
            if not self.ended:
                self._open.add(sock)
                return
        with contextlib.suppress(OSError):  # opened as the deadline passed
            sock.shutdown(socket.SHUT_RDWR)

    def end_all(self) -> None:
        """Shuts every open socket down: a read blocked on one returns at once, in any thread."""
        with self._lock:
            self.ended = True
            found = list(self._open)
        for sock in found:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


def _watched_pools(sockets: _Sockets) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose connections are watched by `sockets` from the moment their
    socket exists. Made per Http: the classes carry the run's own `sockets`.

    Setting a connection up takes reads the per-read timeout does not bound as a whole: a
    proxy's answer to CONNECT (read a line at a time) and, through an HTTPS proxy, the TLS
    inside it; a server or proxy sending a byte at a time would hold the run past its
    deadline. While `connect()` runs, `sockets` holds a duplicate of the new socket: the
    TLS wrap detaches the socket urllib3 made (its object then ends nothing), but a
    shutdown acts on the connection, not the descriptor, so shutting the duplicate down ends
    a read blocked on any layer above it. Once connected, the duplicate is closed (kept, it
    would keep the connection open after urllib3 closes it) and the socket urllib3 holds is
    watched instead (through a proxy too: the socket is the one to the proxy)."""

    class Connection(HTTPConnection):
        _setting_up: socket.socket | None = None

        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            self._setting_up = sock.dup()
            sockets.add(self._setting_up)
            return sock

        def connect(self) -> None:
            try:
                super().connect()
            finally:
                if self._setting_up is not None:
                    self._setting_up.close()
                    self._setting_up = None
            sockets.add(self.sock)

    class TlsConnection(Connection, HTTPSConnection):
        pass

    class Pool(HTTPConnectionPool):
        ConnectionCls = Connection

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = TlsConnection

    return {"http": Pool, "https": TlsPool}


def _prepared(
    method: str, url: str, headers: Mapping[str, str | bytes]
) -> requests.PreparedRequest:
    """What `PreparedRequest().prepare(method=method, url=url, headers=headers)` makes,
    without the steps that, for a request with no body, cookies, auth or hooks given,
    change nothing (requests 2.34, models.py):

    * `prepare_cookies(None)` builds an empty cookie jar and asks it for a Cookie header,
      which an empty jar never gives (tagguard keeps no cookies);
    * `prepare_body(None, None, None)` leaves the body None and only runs
      `prepare_content_length(None)`: Content-Length 0 for a method other than GET and HEAD
      that has none (called here as it is there);
    * `prepare_auth(None, url)` takes credentials from the URL's user part, which needs an
      `@` in the prepared URL (`get_auth_from_url` finds no user part without one, and then
      changes nothing): run as requests runs it whenever there is one;
    * `prepare_hooks(None)` registers nothing.

    Method, URL (IDNA, requoting, the errors it raises) and headers (their validation) are
    prepared by requests' own steps, in its order."""
    prepared = requests.PreparedRequest()
    prepared.prepare_method(method)
    prepared.prepare_url(url, None)
    prepared.prepare_headers(headers)
    prepared.prepare_content_length(None)
    if "@" in (prepared.url or ""):  # always a str once prepare_url ran
        prepared.prepare_auth(None, url)
    return prepared


def _authority(url: str) -> str | None:
    """The scheme and authority of a URL requests prepared (`scheme://user@host:port`), all
    that `urlparse` reads its scheme, host and port from: what precedes the path, which such
    a URL always has. None for anything else."""
    start = url.find("://")
    end = url.find("/", start + 3) if start >= 0 else -1
    return url[:end] if end >= 0 else None


class _WatchedAdapter(HTTPAdapter):
    """requests' adapter, its direct and proxied connections made by `_watched_pools`.

    What requests works out per request from the URL's origin alone (the proxy to take, the
    pool key's attributes) is worked out once per origin, and no cookie is read from an
    answer (see each method)."""

    def __init__(self, sockets: _Sockets, **kwargs: Any) -> None:
        self._pools = _watched_pools(sockets)
        self._pool_keys: dict[
            tuple[str, bool | str, str | tuple[str, str] | None], tuple[_HostParams, _PoolKwargs]
        ] = {}
        self._proxies: dict[tuple[str, tuple[tuple[str, str], ...]], str | None] = {}
        super().__init__(**kwargs)

    def _proxy(self, url: str, proxies: Mapping[str, str] | None) -> str | None:
        """`select_proxy(url, proxies)`, kept per scheme and authority of the prepared URL
        and `proxies`: requests picks the proxy by the URL's scheme and host alone."""
        authority = _authority(url)
        if authority is None:
            return select_proxy(url, proxies)
        key = (authority, tuple(proxies.items()) if proxies else ())
        try:
            return self._proxies[key]
        except KeyError:
            found = self._proxies[key] = select_proxy(url, proxies)
            return found

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: tuple[str, str] | str | None = None,
    ) -> HTTPConnectionPool:
        """requests' own: through a proxy as is; without one, what it does then (the pool
        for the pool key's attributes, a ValueError of theirs an InvalidURL), without asking
        `select_proxy` again per request."""
        if self._proxy(request.url or "", proxies):
            return super().get_connection_with_tls_context(request, verify, proxies, cert)  # type: ignore[return-value]
        try:
            host_params, pool_kwargs = self.build_connection_pool_key_attributes(
                request,
                verify,  # type: ignore[arg-type]
                cert,
            )
        except ValueError as e:
            raise InvalidURL(e, request=request) from e
        pool: HTTPConnectionPool = self.poolmanager.connection_from_host(
            **host_params, pool_kwargs=pool_kwargs
        )
        return pool

    def request_url(
        self, request: requests.PreparedRequest, proxies: Mapping[str, str] | None
    ) -> str:
        """requests' own: without a proxy, the prepared URL's path and query."""
        if self._proxy(request.url or "", proxies):
            return super().request_url(request, proxies)
        return request.path_url

    def build_connection_pool_key_attributes(
        self,
        request: requests.PreparedRequest,
        verify: bool | str,
        cert: str | tuple[str, str] | None = None,
    ) -> tuple[_HostParams, _PoolKwargs]:
        """requests' own answer, kept per scheme and authority of the prepared URL, `verify`
        and `cert`: it is made of the URL's scheme, host and port (all in the part before the
        path, which a prepared URL always has), `verify` and `cert`, and of whether `verify`
        (a CA bundle path) is a directory, read once like the environment that names it.
        urllib3 only reads the two dicts (`connection_from_host` copies what it keeps)."""
        authority = _authority(request.url or "")
        if authority is None:
            return super().build_connection_pool_key_attributes(request, verify, cert)
        key = (authority, verify, cert)
        found = self._pool_keys.get(key)
        if found is None:
            found = super().build_connection_pool_key_attributes(request, verify, cert)
            self._pool_keys[key] = found
        return found

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        """`HTTPAdapter.build_response` without `extract_cookies_to_jar`, which parses the
        answer's Set-Cookie headers into `response.cookies`: only requests' Session reads
        that jar (to send the cookies back), and tagguard neither uses a Session to send nor
        keeps cookies (`test_no_netrc_entry_and_no_cookie_goes_with_a_request`). The rest is
        requests' own, line for line."""
        response = requests.Response()
        response.status_code = getattr(resp, "status", None)  # type: ignore[assignment]
        response.headers = CaseInsensitiveDict(getattr(resp, "headers", {}))
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = response.raw.reason
        # requests decodes a URL given as bytes; prepare_url has made it a str.
        response.url = req.url  # type: ignore[assignment]
        response.request = req
        response.connection = self
        return response

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> urllib3.PoolManager:
        manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **kwargs)
        if isinstance(manager, urllib3.ProxyManager):  # not a SOCKS proxy's own classes
            manager.pool_classes_by_scheme = self._pools
        return manager


def hide_proxy_credentials(proxy: str, redactor: Redactor) -> None:
    """Registers with `redactor` the password of a proxy URL's user part, in every form it
    may come back in: as written (percent-encoded), decoded, and the base64 of `user:pw`
    that requests sends in Proxy-Authorization. A proxy, or a server it passes that header
    on to, that echoes it in an error message would otherwise get it into a CI log: the
    docker config and TAGGUARD_PASSWORD are not the only secrets in a job's environment."""
    import base64
    from urllib.parse import unquote

    if "://" not in proxy:  # requests reads `user:pw@proxy:3128` as http://
        proxy = f"http://{proxy}"
    try:
        parts = urlsplit(proxy)
        written_user, written = parts.username, parts.password
    except ValueError:  # no URL: requests refuses it before sending anything
        return
    if written_user is None or not written:
        return
    user, password = unquote(written_user), unquote(written)
    for form in (written, password, f"{written_user}:{written}"):
        redactor.keep(form)
    for encoding in ("latin-1", "utf-8"):  # requests' Basic header, and what else a proxy reads
        with contextlib.suppress(UnicodeEncodeError):
            redactor.keep(base64.b64encode(f"{user}:{password}".encode(encoding)).decode())


def is_count(text: str) -> bool:
    """ASCII digits only: a header is decoded as latin-1, and str.isdigit() also takes '²',
    which int() refuses."""
    return text.isascii() and text.isdigit()


def _check_ca_file(path: str) -> None:
    """A CA bundle that cannot be loaded is bad input, said up front, not a TLS failure of
    whichever request happens to come first."""
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError, ValueError) as error:
        raise InputError(
            f"--ca-file {path}: not a PEM certificate bundle ({_cause(error)})"
        ) from None


# OpenSSL's words when the server's first bytes are no TLS record: typically an HTTP
# answer to the TLS hello, i.e. a server that speaks plain HTTP on that port.
_NOT_TLS = ("wrong version number", "record layer failure", "packet length too long")


def _tls_hint(cause: str) -> str:
    if any(words in cause for words in _NOT_TLS):
        return (
            "; the server answers in plain HTTP, not TLS: if it is meant to, use --plain-http "
            "or an http:// --harbor-url"
        )
    return ""


def _seconds(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


@functools.lru_cache(maxsize=1024)
def _origin(url: str) -> str:
    """scheme://host:port of `url`; a URL that is none (a redirect's Location) as itself,
    shortened: it matches no host, so no credentials go to it. Kept per URL: a request asks
    it of the same URL three times (its host, the redirect check, its environment), and the
    answer depends on the URL alone."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # an open `[`, a port that is no number
        return "an address that is not a URL"
    return f"{parts.scheme}://{parts.hostname}:{port}"


def _cause(error: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, in one short line."""
    text = str(error)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "Temporary failure in name resolution",
        "certificate verify failed",
        "Connection reset by peer",
        "No route to host",
        "timed out",
        "Remote end closed connection",
        "IncompleteRead",
        "wrong version number",
    ):
        if marker in text:
            return marker.lower() if marker[0].isupper() and marker != "IncompleteRead" else marker
    inner: Any = error
    while getattr(inner, "__context__", None) is not None:
        inner = inner.__context__
    # What the server sent may be in it (a status line): cut at a blank, as any secret in it
    # is hidden only whole.
    return shortened(" ".join(str(inner).split()), 200) or type(error).__name__


def _retry_after_seconds(value: str | None, now: float) -> float | None:
    """Retry-After as seconds: either a number or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if is_count(value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)
