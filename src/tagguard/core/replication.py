"""Harbor replication policies: which artifacts and tags a policy moves, and where.

A push-based policy (no source registry: the source is the Harbor that holds the policy)
selects repositories by its `name` filter (doublestar on the full `project/repo` name),
tags by its `tag` filter (`matches` or `excludes`), and writes each selected tag into the
destination Harbor under a name mapped by `dest_namespace` and
`dest_namespace_replace_count`:

* no namespace: the name is unchanged;
* count -1 (the default, "legacy"): `namespace/<last segment>`;
* count N >= 0: the first N segments are replaced (`a/b/c`, ns `n`: 0 -> `n/a/b/c`,
  1 -> `n/b/c`, 2 -> `n/c`); fewer segments than that is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tagguard.core.glob import harbor_match
from tagguard.errors import InputError, RemoteError


@dataclass(frozen=True)
class Filter:
    type: str
    value: str
    decoration: str = "matches"


@dataclass(frozen=True)
class Policy:
    id: int
    name: str
    source_registry_url: str | None  # None: push-based, the source is this Harbor
    destination_url: str
    destination_insecure: bool
    dest_namespace: str
    replace_count: int
    override: bool
    enabled: bool
    filters: tuple[Filter, ...]

    @property
    def destination_host(self) -> str:
        return urlsplit(self.destination_url).netloc.lower()

    def _filters(self, kind: str) -> tuple[Filter, ...]:
        return tuple(f for f in self.filters if f.type == kind)

    def unsupported_filters(self) -> tuple[Filter, ...]:
        return tuple(f for f in self.filters if f.type not in ("name", "tag", "resource"))

    def selects_repository(self, name: str, glob_version: str) -> bool:
        """`name` is the full `project/repo`."""
        return all(_selects(f, name, glob_version) for f in self._filters("name"))

    def selects_tag(self, tag: str, glob_version: str) -> bool:
        return all(_selects(f, tag, glob_version) for f in self._filters("tag"))

    def destination_name(self, name: str) -> str:
        """Where `project/repo` lands in the destination Harbor."""
        namespace = self.dest_namespace.strip("/")
        if not namespace:
            return name
        segments = name.split("/")
        if self.replace_count < 0:
            return f"{namespace}/{segments[-1]}"
        if self.replace_count >= len(segments):
            raise InputError(
                f"replication policy {self.id}: dest_namespace_replace_count {self.replace_count} "
                f"leaves nothing of repository {name!r} ({len(segments)} segments)"
            )
        return "/".join([namespace, *segments[self.replace_count :]])


def _selects(flt: Filter, value: str, glob_version: str) -> bool:
    matched = harbor_match(flt.value, value, glob_version)
    return not matched if flt.decoration == "excludes" else matched


def parse_policy(data: Any, where: str) -> Policy:
    if not isinstance(data, Mapping):
        raise RemoteError(f"{where}: not a replication policy object")
    try:
        destination = data.get("dest_registry") or {}
        source = data.get("src_registry") or {}
        filters = tuple(
            Filter(
                str(f.get("type", "")),
                _value(f.get("value")),
                str(f.get("decoration") or "matches"),
            )
            for f in data.get("filters") or []
            if isinstance(f, Mapping)
        )
        count = data.get("dest_namespace_replace_count")
        return Policy(
            id=int(data.get("id", 0)),
            name=str(data.get("name", "")),
            source_registry_url=(
                str(source.get("url")) if isinstance(source, Mapping) and source.get("id") else None
            ),
            destination_url=str(destination.get("url", "")).rstrip("/")
            if isinstance(destination, Mapping)
            else "",
            destination_insecure=bool(destination.get("insecure", False))
            if isinstance(destination, Mapping)
            else False,
            dest_namespace=str(data.get("dest_namespace") or ""),
            replace_count=-1 if count is None else int(count),
            override=bool(data.get("override", False)),
            enabled=bool(data.get("enabled", True)),
            filters=filters,
        )
    except (TypeError, ValueError) as error:
        raise RemoteError(f"{where}: malformed replication policy ({error})") from None


def _value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    raise TypeError(f"filter value {value!r} is not a string")
