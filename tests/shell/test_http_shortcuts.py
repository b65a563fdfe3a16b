"""The steps `shell.http` takes through requests on its own give what requests' own steps
give: a request prepared, the connection pool and the URL it goes out on, the response built.
Each case compares the two on the installed requests, so a new requests that changes one of
them fails here rather than changing what tagguard sends."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter

from tagguard.shell.http import _prepared, _Sockets, _WatchedAdapter

BASE = {"User-Agent": "tagguard/test", "Accept-Encoding": "gzip, deflate", "Accept": "*/*"}


def _outcome(make: Any) -> tuple[object, ...]:
    try:
        prepared = make()
    except Exception as error:  # the same refusal, word for word
        return (type(error), str(error))
    return (
        prepared.method,
        prepared.url,
        list(prepared.headers.items()),
        prepared.body,
        prepared._body_position,
    )


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "PUT", "DELETE", "patch"])
@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("https://harbor.test/api/v2.0/projects?page=1&page_size=100", {}),
        ("https://harbor.test", {}),  # no path: "/"
        ("  https://Harbor.Test:8443/a b/%7e?q=a b#frag", {}),  # requoted, stripped
        ("http://bücher.example/v2/", {}),  # IDNA
        ("https://us%40er:p%20w@harbor.test/v2/", {"Authorization": "Basic given"}),  # URL auth
        ("https://user@harbor.test/v2/", {}),  # a user part without a password
        ("https://harbor.test/v2/@digest", {"Authorization": "Basic given"}),  # @ in the path
        ("https://harbor.test/v2/", {"Cookie": "given=1", "Content-Length": "7"}),
        ("https://harbor.test/v2/", {"X-Bad": "a\r\nb"}),  # InvalidHeader
        ("https://harbor.test/v2/", {"X-Bad": 3}),  # not a str
        ("harbor.test/v2/", {}),  # MissingSchema
        ("https://*.harbor.test/v2/", {}),  # InvalidURL
        ("https://[::1/v2/", {}),  # InvalidURL
        ("mailto:someone@harbor.test", {}),  # not HTTP: kept as is
    ],
)
def test_a_request_is_prepared_as_requests_prepares_it(
    method: str, url: str, headers: dict[str, Any]
) -> None:
    merged = {**BASE, **headers}

    def theirs() -> requests.PreparedRequest:
        prepared = requests.PreparedRequest()
        prepared.prepare(method=method, url=url, headers=merged)
        return prepared

    assert _outcome(lambda: _prepared(method, url, merged)) == _outcome(theirs)


@pytest.fixture
def adapter() -> Any:
    made = _WatchedAdapter(_Sockets(), pool_connections=4, pool_maxsize=8, max_retries=0)
    yield made
    made.close()


URLS = [
    "https://harbor.test/api/v2.0/projects?page=2",
    "https://harbor.test/api/v2.0/projects?page=3",
    "http://harbor.test:8080/v2/",
    "http://harbor.test/v2/",
    "HTTPS://User:pw@Harbor.test:443/v2/x?y=1",
]
PROXIES: list[dict[str, str]] = [
    {},
    {"http": "http://proxy.test:3128"},
    {"https": "proxy.test:3128", "http": "socks5://proxy.test:1080"},
    {"all://harbor.test": "http://user:pw@proxy.test:3128"},
]


def test_a_request_goes_to_the_pool_and_url_requests_picks(
    adapter: _WatchedAdapter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One adapter for every case, each case twice: what it keeps for one case must not
    # answer another.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "certs").mkdir()
    (tmp_path / "ca.pem").write_text("")
    for _ in range(2):
        for url in URLS:
            prepared = _prepared("GET", url, BASE)
            for proxies in PROXIES:
                for verify in (True, False, "ca.pem", "certs"):
                    case = (url, proxies, verify)
                    assert adapter.build_connection_pool_key_attributes(
                        prepared, verify, None
                    ) == HTTPAdapter.build_connection_pool_key_attributes(
                        adapter, prepared, verify, None
                    ), case
                    ours = _pool_or_refusal(
                        adapter.get_connection_with_tls_context, prepared, verify, proxies
                    )
                    theirs = _pool_or_refusal(
                        HTTPAdapter.get_connection_with_tls_context.__get__(adapter),
                        prepared,
                        verify,
                        proxies,
                    )
                    assert ours is theirs or ours == theirs, case
                    assert adapter.request_url(prepared, proxies) == HTTPAdapter.request_url(
                        adapter, prepared, proxies
                    ), case


def _pool_or_refusal(get: Any, *args: object) -> object:
    try:
        return get(*args)
    except requests.exceptions.InvalidSchema as error:  # no SOCKS support installed
        return str(error)


def test_a_url_with_no_host_is_refused_as_requests_refuses_it(adapter: _WatchedAdapter) -> None:
    prepared = _prepared("GET", "https://harbor.test/v2/", BASE)
    prepared.url = "https://:99999/v2/"  # past prepare_url: only the adapter reads it
    outcomes = []
    for get in (
        adapter.get_connection_with_tls_context,
        HTTPAdapter.get_connection_with_tls_context.__get__(adapter),
    ):
        with pytest.raises(requests.exceptions.InvalidURL) as raised:
            get(prepared, True, {})
        outcomes.append(str(raised.value))
    assert outcomes[0] == outcomes[1]


def test_a_response_is_built_as_requests_builds_it_but_for_cookies(
    adapter: _WatchedAdapter,
) -> None:
    prepared = _prepared("GET", "https://harbor.test/v2/", BASE)
    headers = {
        "Content-Type": "application/json",
        "Set-Cookie": "sid=1; Path=/",
        "X-Total-Count": "3",
    }

    def raw() -> urllib3.HTTPResponse:
        return urllib3.HTTPResponse(
            body=io.BytesIO(b"{}"),
            headers=headers,
            status=201,
            reason="Created",
            preload_content=False,
        )

    ours = adapter.build_response(prepared, raw())
    theirs = HTTPAdapter.build_response(adapter, prepared, raw())
    for name in ("status_code", "encoding", "reason", "url", "request", "connection"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert list(ours.headers.items()) == list(theirs.headers.items())
    assert ours.raw.headers == theirs.raw.headers
    assert ours.content == theirs.content
    assert list(ours.cookies) == []
