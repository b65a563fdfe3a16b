"""Harbor's state as artifacts: what each repository holds, as a run of operations leaves it.

Harbor acts on artifacts, not on single tags (SEMANTICS.md section 5): an image index has
children, an image has accessories (a cosign signature is the artifact tagged
`sha256-<hex>.sig`), and a tag names one artifact. The world is what the sources said
(read lazily through a `Reader`, so a live Harbor is asked only what an operation needs)
with every accepted operation's changes laid over it. Nothing here does I/O.

A digest nobody told tagguard (an image pushed without `--digest`) is a value of its own,
`Unknown`, not a missing one: the tag it was pushed to exists, and what depends on which
artifact that is cannot be decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeAlias

from tagguard.core.record import field, record
from tagguard.core.state import COSIGN, ArtifactInfo, TagInfo, cosign_subject, cosign_tag

RepoKey: TypeAlias = tuple[str, str]  # (registry, project/repository)
# The place in Harbor's order of a tag nothing says anything about (`World._harbor_rank`).
_UNRANKED = (1, float("inf"))


@record
class Unknown:
    """The digest of an image tagguard was not told, named by where it came from."""

    origin: str

    def __str__(self) -> str:
        return f"the unknown digest of {self.origin}"


Digest: TypeAlias = "str | Unknown"


@record
class Attached:
    """An accessory as the world keeps it: its digest may be unknown (a signature pushed
    without one)."""

    digest: Digest
    kind: str


@record
class Node:
    """An artifact's structure; its tags are kept apart, since tags move between artifacts."""

    digest: Digest
    children: tuple[str, ...] = ()
    accessories: tuple[Attached, ...] = ()


class Reader(Protocol):
    def artifact(self, repo: RepoKey, reference: str) -> ArtifactInfo | None:
        """What the sources say a tag or digest names (None: absent)."""
        ...

    def parents(self, repo: RepoKey, digest: str) -> tuple[str, ...]:
        """The artifacts of the repository whose index references `digest`."""
        ...

    def subjects(self, repo: RepoKey, digest: str) -> tuple[str, ...]:
        """The artifacts of the repository that list `digest` among their accessories."""
        ...

    def listing(self, repo: RepoKey) -> Sequence[ArtifactInfo]:
        """Every artifact the repository holds, as stored: Harbor's list, and the
        accessories and untagged index children it leaves out (a live source reads them)."""
        ...


def short(digest: Digest | None) -> str:
    if digest is None:
        return "no artifact"
    if isinstance(digest, Unknown):
        return str(digest)
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}:{hex_part[:12]}"


@record(frozen=False)
class _Layer:
    """One repository's changes over what the sources said."""

    tags: dict[str, Digest | None] = field(default_factory=dict)  # None: deleted
    # digest -> tags this layer put on it (an index of `tags`, so lookups stay linear)
    tagged: dict[Digest, set[str]] = field(default_factory=dict)
    nodes: dict[Digest, Node | None] = field(default_factory=dict)  # None: deleted
    # child digest -> parents this layer added (a copied index) or removed
    parents: dict[str, set[Digest]] = field(default_factory=dict)
    # Artifacts this run pushed whose structure (children) tagguard does not know: those
    # pushed again after a delete, and those the sources never had (found among `pushed`,
    # the digests not yet classified, only when a delete asks).
    opaque: set[Digest] = field(default_factory=set)
    pushed: set[Digest] = field(default_factory=set)
    copied: set[Digest] = field(default_factory=set)  # added whole, children known
    # subject digest -> signatures pushed before their subject: Harbor's cosign middleware
    # keeps the accessory row by the subject's digest, so it joins the subject when it comes.
    waiting: dict[str, set[Digest]] = field(default_factory=dict)
    # tag -> the operation (World.apply's count) that last set it: which of an artifact's
    # tags the run pushed most recently.
    stamps: dict[str, int] = field(default_factory=dict)
    # Artifacts the run deleted: Harbor dropped their labels with them, and one pushed
    # again is a new row without any.
    dropped: set[Digest] = field(default_factory=set)
    # Tags the run's copies wrote last (`Change.copied`): a `sha256-<hex>.sig` among them
    # names no accessory.
    copied_tags: set[str] = field(default_factory=set)


@record
class Change:
    """One step of an operation, applied only when the whole operation is accepted."""

    repo: RepoKey
    tag: str | None = None  # set or delete this tag ...
    digest: Digest | None = None  # ... to this digest (None: delete)
    node: Node | None = None  # add this artifact
    # ... whose manifest tagguard has not read (a push by digest): what it references,
    # and so what a later delete meets, is not known
    unread: bool = False
    # ... by a manifest PUT through Harbor's registry (a retag's, a replication's), not by
    # its copy API: the subject middleware links to it the accessories kept for its digest
    put: bool = False
    drop: Digest | None = None  # delete this artifact
    # The tag is written by Harbor's copy API (copyDeeply's Ensure), which no registry
    # middleware sees: unlike a manifest PUT's, a `sha256-<hex>.sig` tag it writes makes no
    # cosign accessory row (an accessory copied as one is linked through its subject's node).
    copied: bool = False


class World:
    def __init__(self, reader: Reader) -> None:
        self._reader = reader
        self._layers: dict[RepoKey, _Layer] = {}
        # tags_on's answers, until a change moves a tag onto or off that artifact: an
        # artifact of a big repository can carry thousands of tags.
        self._tags_on: dict[tuple[RepoKey, Digest], tuple[str, ...]] = {}
        self._applied = 0  # operations applied so far: each tag set is stamped with it

    # -- reading ---------------------------------------------------------------------------

    def stored(self, repo: RepoKey, reference: str) -> ArtifactInfo | None:
        """What the sources said, before any operation of this run."""
        return self._reader.artifact(repo, reference)

    def digest_of(self, repo: RepoKey, tag: str) -> Digest | None:
        """The artifact the tag names now (None: no such tag)."""
        layer = self._layers.get(repo)
        if layer is not None and tag in layer.tags:
            return layer.tags[tag]
        found = self._reader.artifact(repo, tag)
        if found is None or not self._exists_stored(repo, found.digest):
            return None
        return found.digest

    def node(self, repo: RepoKey, digest: Digest) -> Node | None:
        layer = self._layers.get(repo)
        if layer is not None and digest in layer.nodes:
            return layer.nodes[digest]
        found = None if isinstance(digest, Unknown) else self._reader.artifact(repo, digest)
        if found is None:
            # A tag pushed in this run names an artifact the sources never saw. It stays
            # when that tag moves on: tag.Controller `Ensure` only points the tag elsewhere,
            # and nothing but a delete (`_drop_node`) removes the artifact it leaves untagged.
            if layer is not None and digest in layer.tagged:
                return self._with_waiting(layer, Node(digest))
            return None
        node = Node(
            found.digest,
            found.children,
            tuple(Attached(a.digest, a.kind) for a in found.accessories),
        )
        return self._with_waiting(layer, node)

    @staticmethod
    def _with_waiting(layer: _Layer | None, node: Node) -> Node:
        if layer is None or not isinstance(node.digest, str):
            return node
        known = {a.digest for a in node.accessories}
        extra = [Attached(d, COSIGN) for d in layer.waiting.get(node.digest, ()) if d not in known]
        if not extra:
            return node
        return Node(node.digest, node.children, (*node.accessories, *sorted(extra, key=str)))

    def resolve(self, repo: RepoKey, reference: str) -> Digest | None:
        """A tag or digest reference, as the artifact it names now."""
        if ":" in reference:
            return reference if self.node(repo, reference) is not None else None
        return self.digest_of(repo, reference)

    def tags_on(self, repo: RepoKey, digest: Digest) -> tuple[str, ...]:
        """Every tag that names `digest` now, sorted."""
        cached = (repo, digest)
        found = self._tags_on.get(cached)
        if found is None:
            found = self._tags_on[cached] = self._collect_tags(repo, digest)
        return found

    def _collect_tags(self, repo: RepoKey, digest: Digest) -> tuple[str, ...]:
        names: set[str] = set()
        layer = self._layers.get(repo)
        if isinstance(digest, str):
            stored = self._reader.artifact(repo, digest)
            if stored is not None:
                names.update(
                    t.name for t in stored.tags if layer is None or t.name not in layer.tags
                )
        if layer is not None:
            names.update(layer.tagged.get(digest, ()))
        return tuple(sorted(names))

    def tags_in_harbor_order(self, repo: RepoKey, digest: Digest) -> tuple[str, ...]:
        """Every tag that names `digest` now, in the order Harbor lists them (`_harbor_rank`),
        names breaking the ties tagguard cannot. deleteDeeply deletes the root's tags in this
        order, so its 412 names the first immutable one, and its delete event lists them so
        (src/controller/artifact/controller.go, v2.15.2)."""
        rank = self._harbor_rank(repo, digest)
        return tuple(sorted(self.tags_on(repo, digest), key=rank))  # stable: by name in a tie

    def event_tags(self, repo: RepoKey, digest: Digest) -> tuple[str, ...]:
        """The tag Harbor lists first for `digest` now - the most recently pushed, the one
        tag a copy's push event names - or, where that cannot be known, every tag that may
        be it: those tied for first (several set by one operation, a copy; equal push
        times, Harbor's being to the millisecond where its ORDER BY is over microseconds,
        then ids) and those whose time is unknown."""
        tags = self.tags_on(repo, digest)
        rank = self._harbor_rank(repo, digest)
        first = min(map(rank, tags), default=_UNRANKED)
        # A tag of unknown time may be newer than any reported, never than one the run set.
        maybe = (first, _UNRANKED) if first[0] == _UNRANKED[0] else (first,)
        return tuple(t for t in tags if rank(t) in maybe)

    def _harbor_rank(self, repo: RepoKey, digest: Digest) -> Callable[[str], tuple[int, float]]:
        """How early Harbor lists a tag of `digest` (tag model `GetDefaultSorts`: PushTime,
        then ID, both descending), as far as it is known: the tags the run set first, the
        most recently set first (pushed after everything the sources reported); then those
        the sources reported, in Harbor's own order where the source kept it (an artifact
        answer), else the latest `push_time` first; `_UNRANKED` where nothing says."""
        layer = self._layers.get(repo)
        stamps = layer.stamps if layer is not None else {}
        stored = self._reader.artifact(repo, digest) if isinstance(digest, str) else None
        listed = stored.tags if stored is not None else ()
        if stored is not None and stored.tags_in_harbor_order:
            places = {t.name: float(i) for i, t in enumerate(listed)}
        else:
            places = {t.name: -t.push_time.timestamp() for t in listed if t.push_time is not None}

        def rank(tag: str) -> tuple[int, float]:
            if tag in stamps:
                return (0, -stamps[tag])
            return (1, places[tag]) if tag in places else _UNRANKED

        return rank

    def labels(self, repo: RepoKey, digest: Digest) -> tuple[str, ...]:
        """The labels `digest` carries now: those the sources reported, until the run deletes
        the artifact (deleteDeeply's `labelMgr.RemoveAllFrom`, src/controller/artifact/
        controller.go); pushed or copied again, it is a new artifact with none."""
        if not isinstance(digest, str) or self.dropped(repo, digest):
            return ()
        stored = self._reader.artifact(repo, digest)
        return stored.labels if stored is not None else ()

    def dropped(self, repo: RepoKey, digest: Digest) -> bool:
        """Whether the run has deleted `digest` (whatever it did with it since)."""
        layer = self._layers.get(repo)
        return layer is not None and digest in layer.dropped

    def stored_flag(self, repo: RepoKey, tag: str) -> TagInfo | None:
        """Harbor's own report of a tag that existed before the run (its `immutable` flag
        is computed from the tag's name and the rules, so it holds wherever the tag moves)."""
        found = self._reader.artifact(repo, tag)
        return found.tag(tag) if found is not None else None

    def parents(self, repo: RepoKey, digest: Digest) -> tuple[Digest, ...]:
        """The artifacts whose index references `digest`."""
        found: set[Digest] = set()
        if isinstance(digest, str):
            found.update(
                p for p in self._reader.parents(repo, digest) if self.node(repo, p) is not None
            )
        layer = self._layers.get(repo)
        if layer is not None and isinstance(digest, str):
            for parent in layer.parents.get(digest, ()):
                node = self.node(repo, parent)
                if node is not None and digest in node.children:
                    found.add(parent)
        return tuple(sorted(found, key=str))

    def subject_of(self, repo: RepoKey, digest: str) -> Digest | None:
        """The artifact whose accessory `digest` is, None if it is no accessory.

        A manifest PUT by tag `sha256-<hex>.sig` is recorded as a cosign accessory of
        `sha256:<hex>` whether or not that artifact exists (src/server/middleware/cosign/
        cosign.go keys the record by the subject's digest), unlike the same tag written by
        Harbor's copy API (`Change.copied`); any other accessory is known
        from the artifact listing it, as stored or as the run has linked it."""
        layer = self._layers.get(repo)
        for tag in self.tags_on(repo, digest):
            subject = cosign_subject(tag)
            copied = layer is not None and tag in layer.copied_tags
            if subject is not None and subject != digest and not copied:
                return subject
        linked = [d for d, node in layer.nodes.items() if node] if layer is not None else []
        for candidate in (*linked, *self._reader.subjects(repo, digest)):
            node = self.node(repo, candidate)
            if node is not None and any(a.digest == digest for a in node.accessories):
                return candidate
        return None

    def unlisted(self, repo: RepoKey, digest: str) -> bool:
        """Whether an artifact the sources hold is outside everything their listing of the
        repository reaches. Harbor lists every artifact that is tagged or referenced by no
        index, accessories left out (src/pkg/artifact/dao/dao.go, `both` and `notacc`), and
        a listed artifact reaches its children and accessories: what none reaches is an
        accessory whose subject the repository does not hold - a manifest pushed with an
        OCI `subject` before its subject, which src/server/middleware/subject/subject.go
        records as an accessory all the same (subject_artifact_id 0) - or, untagged, a
        child of an index that is one. A state file lists every artifact: none is."""
        if self._reader.artifact(repo, digest) is None:
            return False
        # The sources' listing is what the list reaches (read already, to find a subject);
        # the run's own pushes are left aside, each unread, so nothing more is asked.
        return all(info.digest != digest for info in self._reader.listing(repo))

    def opaque(self, repo: RepoKey) -> tuple[Digest, ...]:
        """Artifacts this run pushed whose children tagguard does not know (an image index
        pushed by tag names its children only in its manifest)."""
        layer = self._layers.get(repo)
        if layer is None:
            return ()
        # Each pushed digest is classified once (a read of what the sources hold), so a
        # plan's many deletes do not ask again about every earlier push.
        for digest in tuple(layer.pushed):
            self._classify(repo, layer, digest)
        return tuple(sorted((d for d in layer.opaque if self.node(repo, d)), key=str))

    def unread(self, repo: RepoKey, digest: Digest) -> bool:
        """Whether `digest` is one of `opaque`'s, classifying that push alone: a copy of it
        elsewhere asks about one image, not about every other the run pushed there."""
        layer = self._layers.get(repo)
        if layer is None:
            return False
        if digest in layer.pushed:
            self._classify(repo, layer, digest)
        return digest in layer.opaque and self.node(repo, digest) is not None

    def _classify(self, repo: RepoKey, layer: _Layer, digest: Digest) -> None:
        layer.pushed.discard(digest)
        if digest in layer.copied:
            return
        if isinstance(digest, Unknown) or self._reader.artifact(repo, digest) is None:
            layer.opaque.add(digest)

    def unknown_artifacts(self, repo: RepoKey) -> tuple[Unknown, ...]:
        """Artifacts this run created whose digest is unknown and that still carry tags."""
        layer = self._layers.get(repo)
        if layer is None:
            return ()
        return tuple(d for d, names in layer.tagged.items() if isinstance(d, Unknown) and names)

    def written_repositories(self, registry: str) -> tuple[str, ...]:
        """Repositories of `registry` this run wrote to."""
        return tuple(sorted(r for (g, r) in self._layers if g == registry))

    def artifacts(self, repo: RepoKey, stored: Iterable[ArtifactInfo]) -> list[Node]:
        """The repository's artifacts now, from a listing of what it held before."""
        seen: dict[Digest, Node] = {}
        for info in stored:
            node = self.node(repo, info.digest)
            if node is not None:
                seen[info.digest] = node
        layer = self._layers.get(repo)
        if layer is not None:
            for digest, names in layer.tagged.items():
                found = self.node(repo, digest)
                if names and found is not None:
                    seen.setdefault(digest, found)
            for digest, node in layer.nodes.items():
                if node is not None:
                    seen[digest] = node
                else:
                    seen.pop(digest, None)
        return list(seen.values())

    def held(self, repo: RepoKey) -> list[Node]:
        """Every artifact the repository holds now: its list, and what the list leaves out
        (accessories, untagged index children), reached from the artifacts naming them."""
        found: dict[Digest, Node] = {}
        pending = self.artifacts(repo, self._reader.listing(repo))
        while pending:
            node = pending.pop()
            if node.digest in found:
                continue
            found[node.digest] = node
            for named in (*node.children, *(a.digest for a in node.accessories)):
                inner = None if named in found else self.node(repo, named)
                if inner is not None:
                    pending.append(inner)
        return list(found.values())

    # -- writing ---------------------------------------------------------------------------

    def apply(self, changes: Iterable[Change]) -> None:
        """Applies one accepted operation's changes, in order."""
        self._applied += 1
        for change in changes:
            # Not `setdefault(repo, _Layer())`: that builds a layer (a dozen empty
            # collections) for every change, and keeps one per repository.
            layer = self._layers.get(change.repo)
            if layer is None:
                layer = self._layers[change.repo] = _Layer()
            if change.node is not None:
                self._add_node(
                    change.repo, layer, change.node, unread=change.unread, put=change.put
                )
            if change.drop is not None:
                self._drop_node(change.repo, layer, change.drop)
            if change.tag is not None:
                self._set_tag(change.repo, layer, change.tag, change.digest, change.copied)

    def _set_tag(
        self, repo: RepoKey, layer: _Layer, tag: str, digest: Digest | None, copied: bool = False
    ) -> None:
        old = self.digest_of(repo, tag)
        if old is not None:
            layer.tagged.get(old, set()).discard(tag)
            self._tags_on.pop((repo, old), None)
        layer.tags[tag] = digest
        if copied:
            layer.copied_tags.add(tag)
        else:
            layer.copied_tags.discard(tag)
        if digest is None:
            return
        layer.stamps[tag] = self._applied
        if digest in layer.nodes and layer.nodes[digest] is None:
            # Deleted earlier in the run and pushed again: a new artifact, without the
            # accessories it had, referencing what its manifest does (not known here).
            layer.nodes[digest] = self._with_waiting(layer, Node(digest))
            layer.opaque.add(digest)
        else:
            layer.pushed.add(digest)
        layer.tagged.setdefault(digest, set()).add(tag)
        self._tags_on.pop((repo, digest), None)
        subject = cosign_subject(tag)
        if subject is not None and subject != digest and not copied:
            self._link_signature(repo, layer, subject, digest)

    def _link_signature(self, repo: RepoKey, layer: _Layer, subject: str, digest: Digest) -> None:
        """Harbor's cosign middleware links a `sha256-<hex>.sig` push to its subject."""
        node = self.node(repo, subject)
        if node is None:
            layer.waiting.setdefault(subject, set()).add(digest)
            return
        if any(a.digest == digest for a in node.accessories):
            return
        layer.nodes[subject] = Node(
            node.digest, node.children, (*node.accessories, Attached(digest, COSIGN))
        )

    def _add_node(
        self, repo: RepoKey, layer: _Layer, node: Node, *, unread: bool, put: bool
    ) -> None:
        if self.node(repo, node.digest) is not None:
            return
        if put:
            node = self._with_kept(repo, layer, node)
        if unread:
            # A manifest PUT by digest: like one by tag (`_set_tag`), an artifact deleted
            # earlier in the run comes back without what it had, and one the sources never
            # held is classified when a delete asks; Harbor's subject middleware links the
            # signatures that waited for it.
            deleted = node.digest in layer.nodes
            layer.nodes[node.digest] = self._with_waiting(layer, node)
            (layer.opaque if deleted else layer.pushed).add(node.digest)
            return
        layer.nodes[node.digest] = node
        layer.copied.add(node.digest)
        for child in node.children:
            layer.parents.setdefault(child, set()).add(node.digest)

    def _with_kept(self, repo: RepoKey, layer: _Layer, node: Node) -> Node:
        """`node` as a manifest PUT leaves it: Harbor's subject middleware (src/server/
        middleware/subject/subject.go) links the accessories the repository recorded for its
        digest while it was absent, the signatures an earlier step pushed (`waiting`) and a
        stored one, found by its `sha256-<hex>.sig` tag (the cosign middleware records the
        row whether or not the subject is there)."""
        node = self._with_waiting(layer, node)
        tag = cosign_tag(node.digest) if isinstance(node.digest, str) else None
        kept = self._reader.artifact(repo, tag) if tag is not None else None
        if kept is None or kept.digest == node.digest or not self._exists_stored(repo, kept.digest):
            return node
        if any(a.digest == kept.digest for a in node.accessories):
            return node
        return Node(node.digest, node.children, (*node.accessories, Attached(kept.digest, COSIGN)))

    def _drop_node(self, repo: RepoKey, layer: _Layer, digest: Digest) -> None:
        for tag in self.tags_on(repo, digest):
            self._set_tag(repo, layer, tag, None)
        layer.nodes[digest] = None
        layer.tagged.pop(digest, None)
        layer.dropped.add(digest)

    def _exists_stored(self, repo: RepoKey, digest: str) -> bool:
        layer = self._layers.get(repo)
        return layer is None or layer.nodes.get(digest, True) is not None
