from __future__ import annotations

import pytest

from tagguard.errors import InputError
from tagguard.shell.urls import HarborUrls, normalise_host, parse_harbor_urls, registry_host


def harbor_urls(entries: list[str], hosts: list[str], *, plain_http: bool) -> dict[str, str]:
    """--harbor-url as read once, then asked for `hosts`."""
    return parse_harbor_urls(entries).for_hosts(hosts, plain_http=plain_http)


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


def test_a_host_mapping_names_the_registry_as_references_name_it() -> None:
    # A reference to index.docker.io/p/app names registry docker.io (normalize.go's
    # splitDockerDomain, followed by tagguard's Harbor references too): the mapping written
    # for the host as the reference spells it must reach it, not leave it at https://docker.io.
    found = harbor_urls(["index.docker.io=http://127.0.0.1:9"], ["docker.io"], plain_http=False)
    assert found["docker.io"] == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (["ftp://x"], "is not an http:// or https:// URL"),
        (["https://u:p@x"], "not in the URL"),
        (["https://x/api"], "without a path"),
        (["https://x", "https://y"], "give one URL for all registries"),
        # Before: the entry was kept for host "" and never used, without a word.
        (["=http://x"], r"^--harbor-url =http://x: write HOST=URL with the registry host"),
        ([" =https://u:p@x"], r"^--harbor-url =https://<hidden>@x: put credentials"),
        # Before: "'http://' is not an http:// or https:// URL".
        (["h.io=http://"], r"^--harbor-url h.io=http://: 'http://' names no host"),
        # Before: an internal error (ValueError: Port could not be cast to integer value).
        (["https://h.io:abc"], r"^--harbor-url https://h.io:abc: .* has a port that is not a"),
        (["h.io=https://h.io:99999"], r"has a port that is not a number from 0 to 65535"),
        # Credentials written before the scheme were shown whole.
        (["user:pw@https://h.io"], r"^--harbor-url <hidden>@https://h\.io: put credentials"),
        # A comma or blank in the password split the value into entries, and the first,
        # `https://admin:s3cr`, had no `@` to hide.
        (["https://admin:s3cr,et@h.io"], r"^--harbor-url https://<hidden>@h\.io: put credent"),
        (["h.io=https://admin:s3 cr@h.io"], r"^--harbor-url h\.io=https://<hidden>@h\.io: put"),
        # Before: an internal error (ValueError: Invalid IPv6 URL).
        (["http://[::1"], r"^--harbor-url http://\[::1: 'http://\[::1' is not a URL"),
        # Before: an internal error from urllib3 at the first request (LocationParseError).
        ([f"https://{'a' * 64}.io"], r"'a{64}' is longer than the 63 characters"),
    ],
)
def test_bad_urls(entries: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message):
        harbor_urls(entries, ["h.io"], plain_http=False)


@pytest.mark.parametrize(
    ("entries", "shown"),
    [
        (["h.io=https://ci:hunter2pw@x"], "--harbor-url h.io=https://<hidden>@x: "),
        (["https://ci:hunter2pw@x:8443"], "--harbor-url https://<hidden>@x:8443: "),
        (["h.io=ci:hunter2pw@x"], "--harbor-url h.io=<hidden>@x: "),  # no scheme
        (["https://ci:hunter2/pw@x"], "--harbor-url https://<hidden>@x: "),  # `/` unencoded
        (["https://ci:hunter2p@w@x"], "--harbor-url https://<hidden>@x: "),  # `@` unencoded
        # A list is refused whole, before it is split (a password may hold a separator).
        (
            ["h.io=http://x,g.io=https://ci:hunter2pw@y"],
            "--harbor-url h.io=http://x,g.io=https://<hidden>@y: ",
        ),
    ],
)
def test_a_url_with_credentials_is_refused_without_showing_them(
    entries: list[str], shown: str
) -> None:
    with pytest.raises(InputError) as raised:
        parse_harbor_urls(entries)
    assert raised.value.message == (
        f"{shown}put credentials in --username/--password-stdin, not in the URL"
    )


def test_a_second_shared_url_is_named_without_its_credentials() -> None:
    with pytest.raises(InputError) as raised:
        parse_harbor_urls(["https://x", "https://ci:hunter2pw@y"])
    # Its credentials are refused first, before the list is read entry by entry.
    assert raised.value.message.startswith("--harbor-url https://<hidden>@y: put credentials")


def test_a_harbor_met_along_the_way_is_named_without_its_credentials() -> None:
    with pytest.raises(InputError) as raised:
        HarborUrls().for_found("e.io", "https://ci:hunter2pw@e.io")
    assert raised.value.message.startswith("--harbor-url e.io=https://<hidden>@e.io: put")


def test_one_url_cannot_serve_two_registries() -> None:
    with pytest.raises(InputError, match="would serve 2 registries"):
        harbor_urls(["https://x"], ["a.io", "b.io"], plain_http=False)


@pytest.mark.parametrize("entry", ["127.0.0.1:8080", "harbor.example.com", "h.io=h.io:8443"])
def test_a_url_without_a_scheme_is_told_to_add_one(entry: str) -> None:
    # Before: "'h.io:8443' is not an http:// or https:// URL" (urlsplit reads `h.io` as the
    # scheme), which hides that only the scheme is missing.
    url = entry.partition("=")[2] or entry
    with pytest.raises(InputError) as raised:
        harbor_urls([entry], ["h.io"], plain_http=False)
    assert "has no scheme" in raised.value.message
    assert f"https://{url}" in raised.value.message


@pytest.mark.parametrize(
    "value",
    [
        "a.io=http://127.0.0.1:1,b.io=https://b.example.com",
        "a.io=http://127.0.0.1:1, b.io=https://b.example.com",
        "a.io=http://127.0.0.1:1 b.io=https://b.example.com",
    ],
)
def test_a_list_in_one_value_maps_each_host(value: str) -> None:
    # TAGGUARD_HARBOR_URL as CI variables are written: comma- or space-separated.
    assert harbor_urls([value], ["a.io", "b.io", "c.io"], plain_http=False) == {
        "a.io": "http://127.0.0.1:1",
        "b.io": "https://b.example.com",
        "c.io": "https://c.io",
    }
    parsed = parse_harbor_urls([value])
    assert parsed.explicit == {"a.io": "http://127.0.0.1:1", "b.io": "https://b.example.com"}
    assert parsed.shared is None


def test_a_list_may_hold_one_shared_url_beside_host_mappings() -> None:
    assert harbor_urls(["http://x:1,b.io=http://y"], ["a.io", "b.io"], plain_http=False) == {
        "a.io": "http://x:1",
        "b.io": "http://y",
    }
    assert parse_harbor_urls(["http://x:1,b.io=http://y"]).shared == "http://x:1"


def test_bad_entries_are_refused_when_read_whatever_the_hosts() -> None:
    # Read once, before any host is known: a bad URL is refused even if no host needs it.
    with pytest.raises(InputError, match="without a path"):
        parse_harbor_urls(["a.io=https://a.io", "b.io=https://x/api"])


def test_a_harbor_met_along_the_way_takes_the_given_url_unless_one_is_named() -> None:
    urls = HarborUrls({"d.io": "http://127.0.0.1:5"})
    assert urls.for_found("d.io", "https://d.io") == "http://127.0.0.1:5"
    assert urls.for_found("e.io", "https://e.io/") == "https://e.io"
    with pytest.raises(InputError, match="without a path"):
        urls.for_found("e.io", "https://e.io/api")


def test_a_registry_host_is_lower_cased() -> None:
    assert registry_host("Harbor.Example.com:8443", "--source") == "harbor.example.com:8443"


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("http://h.io:8080", "--source h.io:8080 with --plain-http"),
        ("https://h.io/", "--source h.io (or --harbor-url h.io=https://h.io "),
    ],
)
def test_a_url_given_for_a_host_is_refused_with_the_host(text: str, fix: str) -> None:
    # Before: `--source http://h.io` became the host "http://h.io", and Harbor was looked
    # for at https://http:443.
    with pytest.raises(InputError) as raised:
        registry_host(text, "--source")
    assert "not a URL" in raised.value.message
    assert fix in raised.value.message


@pytest.mark.parametrize("text", ["", "h.io/p", "h io"])
def test_a_host_that_is_no_host_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="give the registry host"):
        registry_host(text, "--source")


def test_a_url_given_for_a_host_is_refused_without_its_credentials() -> None:
    with pytest.raises(InputError) as raised:
        registry_host("https://ci:hunter2pw@h.io/", "--source")
    assert "hunter2pw" not in raised.value.message
    assert raised.value.message.startswith("--source https://<hidden>@h.io/: ")
    assert "(or --harbor-url h.io=https://h.io for a Harbor" in raised.value.message


def test_a_docker_config_key_that_is_no_url_names_no_host() -> None:
    # A key `https://[x` in a docker config: urlsplit's ValueError was an internal error.
    assert normalise_host("https://[x/v1/") == "[x"  # what docker would take as its host


def test_a_registry_host_given_as_no_url_is_refused_as_a_url() -> None:
    with pytest.raises(InputError, match=r"^--source https://<hidden>@\[x: give the registry host"):
        registry_host("https://u:pw@[x", "--source")
