"""Which URL reaches the Harbor behind each registry host (--harbor-url)."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from tagguard.errors import InputError


def _clean(url: str, where: str) -> str:
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
    shared: str | None = None
    for entry in entries:
        where = f"--harbor-url {entry}"
        host, sep, url = entry.partition("=")
        if sep and "://" not in host:
            urls[host.strip().lower()] = _clean(url.strip(), where)
        else:
            if shared is not None:
                raise InputError(f"{where}: give one URL for all registries, or HOST=URL for each")
            shared = _clean(entry.strip(), where)
    if shared is not None:
        explicit = {
            e.partition("=")[0].strip().lower() for e in entries if "=" in e.partition("://")[0]
        }
        rest = [h for h in hosts if h not in explicit]
        if len(rest) > 1:
            raise InputError(
                f"--harbor-url {shared} would serve {len(rest)} registries ({', '.join(rest)}); "
                "write HOST=URL for each"
            )
        for host in rest:
            urls[host] = shared
    return urls
