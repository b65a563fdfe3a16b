"""Which URL reaches the Harbor behind each registry host (--harbor-url), and the registry
hosts given on their own (--source).

`--harbor-url` (and `TAGGUARD_HARBOR_URL`) takes `URL` or `HOST=URL`, repeated or as one
list separated by commas or white space: a Harbor root URL has no path, so neither can be
part of one, and CI variables are usually written as `a=https://x,b=https://y`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from tagguard.core.record import field, record
from tagguard.core.sanitize import without_credentials
from tagguard.errors import InputError

_SEPARATORS = re.compile(r"[,\s]+")


def split_entries(entries: Sequence[str]) -> list[str]:
    """Every `[HOST=]URL` in the given values, each of which may be a list."""
    return [part for entry in entries for part in _SEPARATORS.split(entry) if part]


def _host_of(entry: str) -> str | None:
    """HOST of a `HOST=URL` entry, as a reference names that registry (`index.docker.io`
    is `docker.io`, tagguard.core.reference); None for a plain URL (whose query may hold '=')."""
    host, sep, _ = entry.partition("=")
    if not sep or "://" in host:
        return None
    named = host.strip()
    # As splitDockerDomain compares it: case-sensitively (`INDEX.DOCKER.IO` is a host).
    return "docker.io" if named == "index.docker.io" else named.lower()


@record
class HarborUrls:
    """`--harbor-url`, read once: the URL of each registry named by `HOST=URL`, and the one
    plain `URL` meant for every other registry (None if none was given). Every URL in it
    is a checked Harbor root URL (`scheme://host[:port]`)."""

    explicit: Mapping[str, str] = field(default_factory=dict)
    shared: str | None = None

    def for_hosts(self, hosts: Sequence[str], *, plain_http: bool) -> dict[str, str]:
        """Maps every registry host to its Harbor URL: `HOST=URL` for that host, the plain
        `URL` for the others (it must then serve one), else `https://HOST` (`http://` with
        --plain-http)."""
        scheme = "http" if plain_http else "https"
        urls = {host: f"{scheme}://{host}" for host in hosts}
        urls.update(self.explicit)
        if self.shared is not None:
            rest = [h for h in hosts if h not in self.explicit]
            if len(rest) > 1:
                raise InputError(
                    f"--harbor-url {self.shared} would serve {len(rest)} registries "
                    f"({', '.join(rest)}); write HOST=URL for each"
                )
            urls.update(dict.fromkeys(rest, self.shared))
        return urls

    def for_found(self, host: str, url: str) -> str:
        """The URL of a Harbor met along the way (a replication's destination, whose URL a
        policy gives): `--harbor-url HOST=URL` wins, else the URL found, checked."""
        return self.explicit.get(host) or _clean(url.strip(), f"--harbor-url {host}=")


def parse_harbor_urls(entries: Sequence[str]) -> HarborUrls:
    """`--harbor-url` entries (each maybe a list), every URL checked."""
    for given in entries:
        # Before the value is split into entries: a comma or blank in a password would
        # split it, and leave a piece with no `@` to show whole in a message.
        named, sep, url = given.partition("=") if _host_of(given) is not None else ("", "", given)
        shown = f"{named}{sep}{without_credentials(url)}"
        if shown != given:
            raise InputError(
                f"--harbor-url {shown.strip()}: put credentials in --username/--password-stdin, "
                "not in the URL"
            )
    parts = split_entries(entries)
    explicit: dict[str, str] = {}
    for entry in parts:
        host = _host_of(entry)
        if host == "":
            raise InputError(
                f"--harbor-url {without_credentials(entry.strip())}: write HOST=URL with the registry host "
                "before '=', or the URL alone for every registry"
            )
        if host is not None:
            named, _, url = entry.partition("=")
            explicit[host] = _clean(url.strip(), f"--harbor-url {named}=")
    shared: str | None = None
    for entry in (e for e in parts if _host_of(e) is None):
        if shared is not None:
            raise InputError(
                f"--harbor-url {without_credentials(entry)}: give one URL for all registries, or HOST=URL for each"
            )
        shared = _clean(entry.strip(), "--harbor-url ")
    return HarborUrls(explicit, shared)


def _clean(url: str, option: str) -> str:
    """`url` checked as a Harbor root URL; `option` names it in a message, before the URL
    (`--harbor-url HOST=`), which is shown without its credentials."""
    shown = without_credentials(url)
    where = f"{option}{shown}"
    if shown != url:  # a user part, even one urlsplit misreads (a password holding `/`)
        raise InputError(f"{where}: put credentials in --username/--password-stdin, not in the URL")
    if "://" not in url:
        # urlsplit would read `host:8443` as scheme `host`: say what is missing instead.
        raise InputError(
            f"{where}: {url!r} has no scheme; a Harbor URL starts with https:// "
            f"(or http:// for plain HTTP), e.g. https://{url}, or write HOST=URL for one registry"
        )
    try:
        parts = urlsplit(url)
    except ValueError as error:  # "Invalid IPv6 URL": a `[` left open
        raise InputError(f"{where}: {url!r} is not a URL ({error})") from None
    if parts.scheme not in ("http", "https"):
        raise InputError(f"{where}: {url!r} is not an http:// or https:// URL")
    if not parts.hostname:
        raise InputError(
            f"{where}: {url!r} names no host, e.g. {parts.scheme}://harbor.example.com"
        )
    _check_labels(parts.hostname, where)
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise InputError(f"{where}: {url!r} must be Harbor's root URL, without a path")
    try:
        parts.port  # noqa: B018 - urlsplit reads the port only when asked, and may refuse it
    except ValueError:
        raise InputError(
            f"{where}: {url!r} has a port that is not a number from 0 to 65535"
        ) from None
    return f"{parts.scheme}://{parts.netloc}"


def _check_labels(host: str, where: str) -> None:
    """A DNS label holds at most 63 characters (RFC 1035): urllib3 refuses a longer one only
    at the first request, with an error of its own."""
    for label in host.split("."):
        if len(label) > 63:
            raise InputError(
                f"{where}: the host's label {label!r} is longer than the 63 characters "
                "a DNS name allows"
            )


# Docker keeps its Docker Hub login under this key, and asks credential helpers for it by it
# (docker/cli `registry.IndexServer`); references name Docker Hub `docker.io`.
DOCKER_HUB_SERVER = "https://index.docker.io/v1/"
_DOCKER_HUB_HOSTS = frozenset({"index.docker.io", "registry-1.docker.io", "docker.io"})


def normalise_host(key: str) -> str:
    """`https://harbor.io/v2/` -> `harbor.io`; docker config keys come in many forms, and
    Docker Hub's (`https://index.docker.io/v1/`) is `docker.io`, as references name it."""
    key = key.strip()
    if "://" in key:
        # What follows the scheme, up to a path, as docker's ConvertToHostname takes it:
        # urlsplit refuses an open `[`, and anything may be written in a config's key.
        key = key.partition("://")[2]
    host = key.split("/", 1)[0].lower()
    return "docker.io" if host in _DOCKER_HUB_HOSTS else host


def registry_host(text: str, where: str) -> str:
    """A registry host as references write it (`host[:port]`), lower-cased.

    A URL is refused with the host it names: the scheme is chosen by --plain-http, and
    another URL for the same host by --harbor-url HOST=URL."""
    text = text.strip()
    if "://" in text:
        # The URL's credentials are neither shown (the message goes to a CI log) nor
        # suggested (--harbor-url refuses them), even written before the scheme.
        bare = without_credentials(text, hidden="")
        scheme, _, rest = bare.partition("://")
        host = rest.split("/", 1)[0] or "HOST"  # urlsplit refuses an open `[`
        plain = " with --plain-http" if scheme.lower() == "http" else ""
        raise InputError(
            f"{where} {without_credentials(text)}: give the registry host, not a URL: "
            f"{where} {host}{plain} "
            f"(or --harbor-url {host}={bare.rstrip('/')} for a Harbor at another address)"
        )
    if not text or "/" in text or any(ch.isspace() for ch in text):
        raise InputError(
            f"{where} {text!r}: give the registry host as references name it, "
            "e.g. harbor.example.com or harbor.example.com:8443"
        )
    return text.lower()
