from __future__ import annotations

import pytest

from tagguard.errors import InputError
from tagguard.shell.urls import harbor_urls


def test_defaults_and_plain_http() -> None:
    assert harbor_urls([], ["a.io", "b.io"], plain_http=False) == {
        "a.io": "https://a.io",
        "b.io": "https://b.io",
    }
    assert harbor_urls([], ["a.io"], plain_http=True) == {"a.io": "http://a.io"}


def test_one_url_for_one_registry_and_host_mappings() -> None:
    assert harbor_urls(["http://127.0.0.1:8080/"], ["h.io"], plain_http=False) == {
        "h.io": "http://127.0.0.1:8080"
    }
    assert harbor_urls(
        ["h.io=https://x:1", "g.io=http://y"], ["h.io", "g.io"], plain_http=False
    ) == {"h.io": "https://x:1", "g.io": "http://y"}


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["ftp://x"], "is not an http:// or https:// URL"),
        (["https://u:p@x"], "not in the URL"),
        (["https://x/api"], "without a path"),
        (["https://x", "https://y"], "give one URL for all registries"),
    ],
)
def test_bad_urls(entries: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        harbor_urls(entries, ["h.io"], plain_http=False)


def test_one_url_cannot_serve_two_registries() -> None:
    with pytest.raises(InputError, match="would serve 2 registries"):
        harbor_urls(["https://x"], ["a.io", "b.io"], plain_http=False)
