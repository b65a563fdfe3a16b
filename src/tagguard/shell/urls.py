"""Which URL reaches the Harbor behind each registry host (--harbor-url), and the registry
hosts given on their own (--source).

`--harbor-url` (and `TAGGUARD_HARBOR_URL`) takes `URL` or `HOST=URL`, repeated or as one
list separated by commas or white space: a Harbor root URL has no path, so neither can be
part of one, and CI variables are usually written as `a=https://x,b=https://y`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from tagguard.errors import InputError

_SEPARATORS = re.compile(r"[,\s]+")


def split_entries(entries: Sequence[str]) -> list[str]:
    """Every `[HOST=]URL` in the given values, each of which may be a list."""
    return [part for entry in entries for part in _SEPARATORS.split(entry) if part]


def _host_of(entry: str) -> str | None:
    """HOST of a `HOST=URL` entry; None for a plain URL (whose query may hold '=')."""
    host, sep, _ = entry.partition("=")
    return host.strip().lower() if sep and "://" not in host else None


def explicit_urls(entries: Sequence[str]) -> dict[str, str]:
    """The `HOST=URL` entries, as HOST -> URL (each URL checked)."""
    found: dict[str, str] = {}
    for entry in split_entries(entries):
        host = _host_of(entry)
        if host is not None:
            found[host] = _clean(entry.partition("=")[2].strip(), f"--harbor-url {entry}")
    return found


def shared_urls(entries: Sequence[str]) -> list[str]:
    """The plain `URL` entries (meant for every registry not named by a `HOST=URL`)."""
    return [e for e in split_entries(entries) if _host_of(e) is None]


def _clean(url: str, where: str) -> str:
    if "://" not in url:
        # urlsplit would read `host:8443` as scheme `host`: say what is missing instead.
        raise InputError(
            f"{where}: {url!r} has no scheme; a Harbor URL starts with https:// "
            f"(or http:// for plain HTTP), e.g. https://{url}, or write HOST=URL for one registry"
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"{where}: {url!r} is not an http:// or https:// URL")
    if parts.username or parts.password:
        raise InputError(f"{where}: put credentials in --username/--password-stdin, not in the URL")
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise InputError(f"{where}: {url!r} must be Harbor's root URL, without a path")
    return f"{parts.scheme}://{parts.netloc}"


def harbor_urls(
    entries: Sequence[str], hosts: Sequence[str], *, plain_http: bool
) -> dict[str, str]:
    """Maps every registry host to its Harbor URL.

    `URL` applies to every host (it must then be one); `HOST=URL` to that host; others get
    `https://HOST` (`http://` with --plain-http).
    """
    scheme = "http" if plain_http else "https"
    urls = {host: f"{scheme}://{host}" for host in hosts}
    explicit = explicit_urls(entries)
    urls.update(explicit)
    shared: str | None = None
    for entry in shared_urls(entries):
        where = f"--harbor-url {entry}"
        if shared is not None:
            raise InputError(f"{where}: give one URL for all registries, or HOST=URL for each")
        shared = _clean(entry.strip(), where)
    if shared is not None:
        rest = [h for h in hosts if h not in explicit]
        if len(rest) > 1:
            raise InputError(
                f"--harbor-url {shared} would serve {len(rest)} registries ({', '.join(rest)}); "
                "write HOST=URL for each"
            )
        for host in rest:
            urls[host] = shared
    return urls


def registry_host(text: str, where: str) -> str:
    """A registry host as references write it (`host[:port]`), lower-cased.

    A URL is refused with the host it names: the scheme is chosen by --plain-http, and
    another URL for the same host by --harbor-url HOST=URL."""
    text = text.strip()
    if "://" in text:
        parts = urlsplit(text)
        host = parts.netloc.rpartition("@")[2] or "HOST"
        plain = " with --plain-http" if parts.scheme == "http" else ""
        raise InputError(
            f"{where} {text}: give the registry host, not a URL: {where} {host}{plain} "
            f"(or --harbor-url {host}={text.rstrip('/')} for a Harbor at another address)"
        )
    if not text or "/" in text or any(ch.isspace() for ch in text):
        raise InputError(
            f"{where} {text!r}: give the registry host as references name it, "
            "e.g. harbor.example.com or harbor.example.com:8443"
        )
    return text.lower()
