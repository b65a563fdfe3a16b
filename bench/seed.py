"""The data bench/run measures on: repositories written straight into the test Harbor's
database, real manifests in the registry for the references the plan names, and a test
server made fast enough for 20,000-artifact repositories.

Only the artifacts a reference names are pushed to the registry (skopeo reads those); the
others exist in the server's database alone, as rows of the artifact list, which is all
tagguard reads of them. Seeding 20,000 artifacts then takes seconds instead of minutes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from tests.builders import PATHOLOGICAL_PATTERNS, rule_json
from tests.harbor_server.harbor import Handler, HarborState, Key
from tests.harbor_server.images import OCI_MANIFEST, make_image, sha256

USER = ("admin", "bench-password")


@dataclass
class Entry:
    tag: str
    digest: str
    body: bytes  # the manifest, pushed to the registry only when a reference names it


@dataclass
class Layout:
    """repository -> its tags in push (id) order; the rules per project."""

    repositories: dict[str, list[Entry]] = field(default_factory=dict)
    rules: dict[str, int] = field(default_factory=dict)
    blobs: dict[str, tuple[bytes, ...]] = field(default_factory=dict)


class BenchState(HarborState):
    """The test Harbor with its per-artifact scans indexed once the data is frozen: its
    artifact list scans every tag and artifact for each row (quadratic), which a
    20,000-artifact repository cannot afford. The answers are the same; `freeze` must be
    called again after any change."""

    _by_digest: dict[Key, dict[str, list[str]]] | None = None
    _children: dict[Key, dict[str, list[str]]] | None = None
    _accessories: dict[Key, set[str]] | None = None

    def freeze(self) -> None:
        self._by_digest, self._children, self._accessories = {}, {}, {}
        for key, tags in self.tags.items():
            index = self._by_digest.setdefault(key, {})
            for tag, digest in tags.items():
                index.setdefault(digest, []).append(tag)
            for names in index.values():
                names.sort()
        for key, nodes in self.nodes.items():
            parents = self._children.setdefault(key, {})
            for digest, node in nodes.items():
                for child in node.children:
                    parents.setdefault(child.digest, []).append(digest)
        for key, links in self.links.items():
            self._accessories[key] = {link.digest for link in links}

    def tags_of(self, key: Key, digest: str) -> list[str]:
        if self._by_digest is None:
            return super().tags_of(key, digest)
        return list(self._by_digest.get(key, {}).get(digest, ()))

    def parents_of(self, key: Key, digest: str) -> list[str]:
        if self._children is None:
            return super().parents_of(key, digest)
        return list(self._children.get(key, {}).get(digest, ()))

    def is_accessory(self, key: Key, digest: str) -> bool:
        if self._accessories is None:
            return super().is_accessory(key, digest)
        return digest in self._accessories.get(key, set())


@contextlib.contextmanager
def memoised_rows() -> Iterator[None]:
    """Memoises the server's JSON of each artifact row while the data is frozen: its list
    answer builds every row of the repository for each page asked, so 200 pages of a
    20,000-artifact repository would cost 4 million rows (and minutes) to build."""
    original: Callable[..., dict[str, Any]] = Handler._artifact_json
    memo: dict[tuple[Any, ...], dict[str, Any]] = {}

    def rows(
        handler: Handler,
        project: Any,
        repository: str,
        digest: str,
        with_status: bool,
    ) -> dict[str, Any]:
        flags = tuple(handler.query.get(k) for k in ("with_tag", "with_label", "with_accessory"))
        key = (project.name, repository, digest, with_status, flags)
        if key not in memo:
            memo[key] = original(handler, project, repository, digest, with_status)
        return memo[key]

    setattr(Handler, "_artifact_json", rows)  # noqa: B010 (a method replaced, for mypy)
    try:
        yield
    finally:
        setattr(Handler, "_artifact_json", original)  # noqa: B010


def seed(
    state: HarborState,
    repos: int,
    artifacts_per_repo: int,
    projects: int,
    rules_per_project: int = 1,
) -> Layout:
    """`repos` repositories over `projects` projects, each with `artifacts_per_repo` artifacts
    of two tags (v1.0.N, immutable, and build-N, mutable), written into the database.
    Each project's last rule makes v* immutable; the rules before it (when asked for more
    than one) are tests/builders.py's pathological patterns, which never match here."""
    state.add_user(*USER, admin=True)
    layout = Layout()
    names = [f"team{p}" for p in range(projects)]
    for name in names:
        state.add_project(name)
        for i in range(1, rules_per_project):
            rule = rule_json(0, PATHOLOGICAL_PATTERNS[i % 5], PATHOLOGICAL_PATTERNS[(i + 2) % 5])
            rule.pop("id")
            state.add_rule(name, rule)
        last = rule_json(0, "**", "v*")
        last.pop("id")
        state.add_rule(name, last)
        layout.rules[name] = rules_per_project
    for r in range(repos):
        project = names[r % projects]
        repository = f"{project}/service-{r:02d}"
        base = make_image(f"base-{r}")
        layout.blobs[repository] = base.blobs
        manifest = json.loads(base.manifest)
        entries: list[Entry] = []
        key = (project, repository.split("/", 1)[1])
        artifacts = state.artifacts.setdefault(key, {})
        tags = state.tags.setdefault(key, {})
        for i in range(artifacts_per_repo):
            manifest["annotations"] = {"bench.index": str(i)}
            body = json.dumps(manifest, separators=(",", ":")).encode()
            digest = sha256(body)
            artifacts[digest] = OCI_MANIFEST
            state.node(key, digest)  # ids in push order: the list's sort=id order
            for tag in (f"v1.0.{i}", f"build-{i}"):
                tags[tag] = digest
                entries.append(Entry(tag, digest, body))
        layout.repositories[repository] = entries
    return layout


@dataclass
class Reference:
    repository: str
    tag: str
    digest: str  # what the plan pushes
    existing: Entry | None  # the artifact the tag is on now, None for a new tag


def choose(layout: Layout, refs: int) -> list[Reference]:
    """`refs` pushes spread over the repositories, and within each evenly over its list (so
    over all its pages): a third re-push what is there, a third move the tag to another
    image, a third are new tags. v-tags are immutable: their moves are refused."""
    other = make_image("another-build").digest
    share, extra = divmod(refs, len(layout.repositories))
    chosen: list[Reference] = []
    for index, (repository, entries) in enumerate(layout.repositories.items()):
        count = share + (1 if index < extra else 0)
        for k in range(count):
            entry = entries[((k * len(entries)) // count + k) % len(entries)]
            if k % 3 == 0:
                chosen.append(Reference(repository, entry.tag, entry.digest, entry))
            elif k % 3 == 1:
                chosen.append(Reference(repository, entry.tag, other, entry))
            else:
                chosen.append(Reference(repository, f"new-{k}", entry.digest, None))
    return chosen


def push_named(backend: str, layout: Layout, chosen: list[Reference]) -> None:
    """The registry gets the blobs of each repository and the manifest of each artifact a
    reference names (skopeo inspects those)."""
    session = requests.Session()
    pushed: set[tuple[str, str]] = set()
    for repository in {c.repository for c in chosen}:
        for blob in layout.blobs[repository]:
            start = session.post(f"{backend}/v2/{repository}/blobs/uploads/", timeout=30)
            location = start.headers["Location"]
            location = location if location.startswith("http") else backend + location
            joiner = "&" if "?" in location else "?"
            session.put(
                f"{location}{joiner}digest={sha256(blob)}", data=blob, timeout=30
            ).raise_for_status()
    for reference in chosen:
        entry = reference.existing
        if entry is None or (reference.repository, entry.digest) in pushed:
            continue
        answer = session.put(
            f"{backend}/v2/{reference.repository}/manifests/{entry.digest}",
            data=entry.body,
            headers={"Content-Type": OCI_MANIFEST},
            timeout=30,
        )
        answer.raise_for_status()
        pushed.add((reference.repository, entry.digest))


def write_plan(path: Path, host: str, chosen: list[Reference]) -> None:
    lines = ["operations:"]
    for c in chosen:
        lines += [f"  - push: {host}/{c.repository}:{c.tag}", f"    digest: {c.digest}"]
    path.write_text("\n".join(lines) + "\n")
