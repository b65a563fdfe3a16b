"""Harbor's operations as transitions of the world, each as Harbor's controller runs it.

Every operation reads the world, gives its verdicts (`core.decide`), and - when Harbor
would accept it - changes the world, so the next operation sees what this one did. Harbor
runs a copy and a delete of an artifact as one database transaction: one refused tag and
nothing of it happens. Each manifest PUT (a push, a retag, one replicated tag) stands alone.

Read from goharbor/harbor: `src/controller/artifact/controller.go` (`deleteDeeply`,
`copyDeeply`, `Ensure`), `src/controller/tag/controller.go` (`Ensure`, `Delete`),
`src/server/middleware/immutable/pushmf.go`, `src/server/middleware/cosign/cosign.go`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tagguard.core.decide import (
    Carried,
    Decision,
    Event,
    Note,
    Operation,
    TagFacts,
    Verdict,
    decide_copy_tag,
    decide_delete_artifact,
    decide_delete_tag,
    decide_replication,
    decide_replication_held,
    decide_write,
    in_doubt,
    is_in_doubt,
)
from tagguard.core.immutability import Immutability
from tagguard.core.record import field, record, replace
from tagguard.core.reference import Reference
from tagguard.core.report import Notice
from tagguard.core.state import COSIGN
from tagguard.core.world import Change, Digest, Node, RepoKey, Unknown, World, short
from tagguard.errors import InputError, StateError

# Whether a tag of a repository is immutable, as the run's rules (and Harbor's flag) say.
Lock = Callable[[Reference, str], Immutability]
# Whether any tag of a repository may be immutable (False only when its project's rules are
# read and none is enabled): a tag tagguard cannot name is then no doubt.
MayLock = Callable[[Reference], bool]


def _may_lock(_target: Reference) -> bool:
    return True


# Tells the sources the tags an operation is about to read (a live Harbor asks them together).
Ask = Callable[[Sequence[Reference]], None]


def _ask_nothing(refs: Sequence[Reference]) -> None:
    return None


# Whether the Harbor of a reference deletes every hard accessory of an artifact as a root
# (`HarborVersion.deletes_accessories_as_roots`: before v2.11.0). Asked only when a delete
# meets an accessory that an index references, the one case where it matters.
AccessoryRoots = Callable[[Reference], bool]


def _as_the_newest(_target: Reference) -> bool:
    return False


class _DeleteRefused(Exception):
    """deleteDeeply failing the whole delete on its way (its transaction rolls back):
    `why` says how, after "deleting <the artifact>"."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class _UnsavedAccessory(Exception):
    """copyDeeply's foreign-key failure: copying the accessory `accessory`, an index, meets
    its child `child` not yet in the destination (see `Simulation._copy_deeply`)."""

    def __init__(self, accessory: str, child: str) -> None:
        super().__init__(accessory)
        self.accessory = accessory
        self.child = child


def key(ref: Reference) -> RepoKey:
    return (ref.registry, ref.repository)


def accessory_name(kind: str, digest: Digest) -> str:
    what = "cosign signature" if kind == COSIGN else f"{kind} accessory"
    if isinstance(digest, Unknown):  # its unknown-digest note says which
        return f"its {what} (whose digest is unknown)"
    return f"its {what} {short(digest)}"


@record(frozen=False)
class Simulation:
    world: World
    lock: Lock
    notices: list[Notice] = field(default_factory=list)
    may_lock: MayLock = _may_lock
    ask: Ask = _ask_nothing
    accessories_as_roots: AccessoryRoots = _as_the_newest

    def facts(self, ref: Reference, tag: str) -> TagFacts:
        return TagFacts(tag, self.world.digest_of(key(ref), tag), self.lock(ref, tag))

    # -- single manifest PUTs --------------------------------------------------------------

    def write(
        self,
        operation: Operation,
        target: Reference,
        new: Digest,
        source: Reference | None,
        *,
        node: Node | None = None,
        children: Sequence[Node] = (),
    ) -> Decision:
        """One manifest PUT of `new` under `target`'s tag (or by digest: no tag, no check).
        `source` is the image it comes from, the verdict's `from_reference` (None: a push
        that names none); no default, so every caller says which. `node` is the artifact's
        structure where it is known (a copy of one tagguard has read), so what its index
        references is known at the target too. `children` are the manifests that index
        references (deepest first): a registry accepts an index only once each of them is
        in the repository (pushed by digest first, as crane and skopeo do), so the PUT
        leaves them there, untagged, referenced by the index."""
        # The children land first, as a registry takes the index only once they are there.
        written = (*children, node) if node is not None else children
        # (Most writes carry nothing: a push of a digest, a retag within its repository.)
        known = [Change(key(target), node=n, put=True) for n in written] if written else []
        if target.tag is None:
            decision = decide_write(operation, target, None, new, source=source)
            pushed = Change(key(target), node=Node(new), unread=True)
            return self._commit_one(decision, [*known, pushed])
        decision = decide_write(
            operation, target, self.facts(target, target.tag), new, source=source
        )
        known.append(Change(key(target), tag=target.tag, digest=new))
        return self._commit_one(decision, known)

    def replicate_digest(
        self,
        target: Reference,
        new: str,
        *,
        origin: Reference,
        node: Node | None = None,
        children: Sequence[Node] = (),
    ) -> Decision:
        """One reference a replication copies by digest (no tag): transfer.go `copyArtifact`
        HEADs the digest in the destination and skips it when it is there; otherwise it PUTs
        it (what its index references first), which Harbor never checks (`write`)."""
        assert target.tag is None
        if self.world.node(key(target), new) is not None:
            return decide_replication_held(target, new, source=origin)
        return self.write(Operation.REPLICATE, target, new, origin, node=node, children=children)

    def replicate_tag(
        self,
        target: Reference,
        new: Digest,
        *,
        override: bool,
        origin: Reference,
        owner: str,
        node: Node | None = None,
        children: Sequence[Node] = (),
    ) -> Decision:
        """One tag a replication pushes into a destination Harbor (`node`: the replicated
        artifact's structure, read at the source; `children`: what its index references,
        deepest first). transfer.go `copyArtifact` PUTs each child by digest, then the
        artifact, through the destination's registry API (the Harbor adapter's
        PushManifest), so its subject middleware links them as a retag's (`write`)."""
        assert target.tag is not None
        decision = decide_replication(
            target, self.facts(target, target.tag), new, override=override
        )
        decision = replace(decision, from_reference=origin.original)
        if owner:
            decision = _with_note(decision, Note("accessory", f"the tag of {owner}"))
        if decision.decision is Verdict.SKIP and decision.current_digest != new:
            return decision  # Harbor leaves the destination as it is
        if decision.decision is Verdict.BLOCK:
            # copyContent PUTs what the index references, by digest (never refused), before
            # the PUT of the index by its tag: refused, or maybe refused, they stay there.
            if children:
                self.world.apply([Change(key(target), node=n, put=True) for n in children])
            return decision
        written = (*children, node) if node is not None else children
        known = [Change(key(target), node=n, put=True) for n in written]
        if node is None and isinstance(new, str):
            # Its manifest unread here (a replayed event's image, gone from the source by
            # the end of the run): PUT all the same, and linked.
            known.append(Change(key(target), node=Node(new), unread=True, put=True))
        return self._commit([decision], [*known, Change(key(target), tag=target.tag, digest=new)])[
            0
        ]

    def delete_tag(self, target: Reference) -> Decision:
        assert target.tag is not None
        facts = self.facts(target, target.tag)
        if target.digest not in (None, facts.current) and isinstance(facts.current, str):
            # DeleteTag (src/server/v2.0/handler/artifact.go) looks for the tag among the
            # tags of the artifact the reference names: elsewhere it answers 404, and
            # deletes nothing. (A tag an earlier step wrote with an unknown digest may be
            # on it: that one is judged, and blocked if immutable.)
            raise _not_on(target)
        decision = decide_delete_tag(target, facts)
        if facts.current is not None:
            decision = self._unlabelled(decision, key(target), (facts.current,))
        return self._commit_one(decision, [Change(key(target), tag=target.tag, digest=None)])

    def _unlabelled(self, decision: Decision, repo: RepoKey, digests: Sequence[Digest]) -> Decision:
        """`decision` naming which of the artifacts its delete events are about have lost
        the labels the sources report for them (`World.dropped`)."""
        gone = tuple(d for d in digests if self.world.dropped(repo, d))
        return replace(decision, unlabelled=gone) if gone else decision

    # -- whole artifacts -------------------------------------------------------------------

    def delete_artifact(self, target: Reference) -> Decision:
        """`deleteDeeply`: the artifact with its accessories and its untagged children, in one
        transaction."""
        repo = key(target)
        reference = target.digest or target.tag
        assert reference is not None
        digest = self.world.resolve(repo, reference)
        named = target.digest is not None and target.tag is not None
        if digest is not None and named and target.tag not in self.world.tags_on(repo, digest):
            raise _not_on(target)
        if digest is None:
            return decide_delete_artifact(target, None, [], doubt=self._absent_doubt(target))
        parents = self.world.parents(repo, digest)
        if parents:
            return decide_delete_artifact(target, digest, [], referenced_by=parents[0])
        walk = _Deleting()
        try:
            self._walk_delete(target, digest, None, "", walk)
        except _DeleteRefused as refused:
            # The transaction rolls back: the tags met before the refusal decide first.
            return decide_delete_artifact(target, digest, walk.carried, refused_whole=refused.why)
        decision = decide_delete_artifact(
            target, digest, walk.carried, doubt=self._delete_doubt(target, digest)
        )
        decision = replace(decision, deleted_accessories=tuple(walk.roots))
        decision = self._unlabelled(decision, repo, (*(d for d, _ in walk.roots), digest))
        return self._commit([decision], [Change(repo, drop=d) for d in walk.drops])[0]

    def _walk_delete(
        self, target: Reference, digest: Digest, parent: Digest | None, owner: str, walk: _Deleting
    ) -> None:
        """Gathers what deleting `digest` meets (`walk`): the tags checked, the artifacts
        dropped, and the accessories deleted as roots, each of which fires its own delete
        event, in the order deleteDeeply fires them."""
        repo = key(target)
        node = self.world.node(repo, digest)
        if node is None or digest in walk.drops:
            return
        # deleteDeeply deletes each reference row just before it visits that child
        # (`DeleteReference`), so an index this walk has been through references it no more.
        parents = [p for p in self.world.parents(repo, digest) if (p, digest) not in walk.cut]
        if owner and parents and self.accessories_as_roots(target):
            raise _DeleteRefused(
                f"deletes {owner}, a child of index {short(parents[0])}: this Harbor (before "
                "v2.11.0) deletes every accessory as an artifact of its own, and refuses to "
                "delete one another artifact references"
            )
        # An accessory no index references is deleted "as a root", its tags included.
        is_root = parent is None or (bool(owner) and not parents)
        # In the order Harbor deletes them: its 412 names the first immutable one.
        tags = self.world.tags_in_harbor_order(repo, digest)
        if not is_root and (tags or parents):
            return  # tagged, or referenced by another index: Harbor keeps it
        for accessory in node.accessories:
            name = accessory_name(accessory.kind, accessory.digest)
            self._walk_delete(target, accessory.digest, digest, name, walk)
        for child in node.children:
            walk.cut.add((digest, child))
            self._walk_delete(target, child, digest, "", walk)
        if is_root:
            walk.carried.extend(Carried(self.facts(target.with_tag(t), t), owner) for t in tags)
        if is_root and owner:
            walk.roots.append((digest, tags))
        if parent is not None and not owner:
            self._check_accessory_child(target, digest)
        walk.drops.append(digest)

    def _check_accessory_child(self, target: Reference, child: Digest) -> None:
        """Before v2.11.0 deleteDeeply visits an index's child with isAccessory false, so a
        child that is an accessory (a signature the referrers tag schema's index lists)
        keeps its artifact_accessory row, and deleting the child then violates that row's
        foreign key: the whole delete fails (goharbor/harbor#20092). From v2.11.0 the row
        is deleted first. The version is asked only for such a child."""
        subject = self.world.subject_of(key(target), child) if isinstance(child, str) else None
        if subject is not None and self.accessories_as_roots(target):
            raise _DeleteRefused(
                f"deletes its child {short(child)}, an accessory of {short(subject)}: this "
                "Harbor (before v2.11.0) deletes such a child without its accessory record, "
                'which still names it, so it refuses the whole delete ("referenced by other '
                'resources")'
            )

    def _absent_doubt(self, target: Reference) -> str:
        """A digest the world does not hold may still be there: the image an earlier step
        pushed without a digest, or a child of an index pushed earlier in the run."""
        if target.digest is None:
            return ""
        pushed = self.world.opaque(key(target))
        unknown = [d for d in pushed if isinstance(d, Unknown)]
        if unknown:
            return (
                f"an earlier step pushed {unknown[0]}: if that is {short(target.digest)}, the "
                "delete meets its tags; give that push its digest"
            )
        if pushed:
            return (
                f"{_unread_push(pushed[0])}: {short(target.digest)} may be a child of it; "
                f"{_READ_IT}"
            )
        return ""

    def _delete_doubt(self, target: Reference, digest: Digest) -> str:
        """What a delete cannot know: the tags of an artifact whose digest is unknown."""
        if isinstance(digest, Unknown):
            return (
                f"the artifact has {digest}: tags it may also carry, and whether one is "
                "immutable, cannot be known; give that push its digest"
            )
        opaque = self.world.opaque(key(target))
        if digest in opaque and self.may_lock(target):
            # deleteDeeply takes the untagged children of an index along, each with its
            # accessories deleted through the tag check: what this one references is unknown.
            return (
                f"{_unread_push(digest)}: if it is an index, deleting it deletes its untagged "
                f"children with their accessories, whose tags cannot be known; {_READ_IT}"
            )
        pushed = [d for d in opaque if d != digest and isinstance(d, str)]
        if pushed:
            # An index written in the run may reference this artifact (an index made of
            # existing per-platform images); Harbor then refuses to delete it.
            return (
                f"{_unread_push(pushed[0])}: if it is an index that references "
                f"{short(digest)}, Harbor refuses this delete; {_READ_IT}"
            )
        for other in self.world.unknown_artifacts(key(target)):
            for tag in self.world.tags_on(key(target), other):
                if self.lock(target, tag).immutable is not False:
                    return (
                        f"an earlier step wrote tag {tag} with {other}: if that is "
                        f"{short(digest)}, this delete meets {tag}, which is immutable; give "
                        "that push its digest"
                    )
        return ""

    def copy(self, source: Reference, destination: Reference) -> list[Decision]:
        """`copyDeeply`: every child of an index not yet in the destination with its own tags,
        then every accessory with its tags, then the artifact with all of its, in one
        transaction. The source is read from the same Harbor."""
        check_copy_within_one_harbor(source, destination)
        reference = source.digest or source.tag
        assert reference is not None
        digest = self.world.resolve(key(source), reference)
        if digest is None:
            raise StateError(f"copy source {source.original!r} does not exist")
        if isinstance(digest, Unknown):
            # Which tags it carries, and whether the destination holds it, cannot be known.
            unknown = self._copy_refused(source, destination, digest, _unknown_source(digest))
            return [in_doubt(d, "which tags the copy's source carries") for d in unknown]
        subject = self.world.subject_of(key(source), digest)
        if subject is not None:
            # CopyArtifact (src/server/v2.0/handler/artifact.go) refuses an accessory as its
            # source (DENIED for a hard accessory, which every kind Harbor ships is) before
            # anything is copied: it travels only with its subject.
            reason = _accessory_source(digest, subject)
            return self._copy_refused(source, destination, digest, reason)
        if self.world.unlisted(key(source), digest):
            # The same refusal for an accessory whose subject is absent: CopyArtifact finds
            # its accessory row by the artifact's own id, whatever the subject.
            reason = _orphan_source(digest, tagged=bool(self.world.tags_on(key(source), digest)))
            return self._copy_refused(source, destination, digest, reason)
        doubt = self._children_doubt(source, destination, digest)
        decisions: list[Decision] = []
        changes: list[Change] = []
        events: list[Event] = []
        try:
            self._copy_deeply(
                source, destination, digest, True, False, "", _Copied(decisions, changes, events)
            )
        except _UnsavedAccessory as failed:
            reason = _unsaved_accessory(failed, destination)
            return self._copy_refused(source, destination, digest, reason)
        if not any(d.tag is not None for d in decisions):
            decisions.insert(
                0, decide_write(Operation.COPY, destination, None, digest, source=source)
            )
        blocked = [d for d in decisions if d.decision is Verdict.BLOCK]
        if doubt and not blocked:
            decisions = [
                in_doubt(replace(d, decision=Verdict.BLOCK, reason=doubt), _CHILDREN_DOUBT)
                for d in decisions
            ]
        elif blocked and len(decisions) > len(blocked):
            decisions = self._fails_whole(source, destination, decisions, blocked)
        elif not blocked:
            # Harbor publishes a transaction's events once it commits (a refused copy: none).
            decisions[0] = replace(decisions[0], copy_events=tuple(events))
        return self._commit(decisions, changes)

    def _fails_whole(
        self,
        source: Reference,
        destination: Reference,
        decisions: list[Decision],
        blocked: list[Decision],
    ) -> list[Decision]:
        """A copy refused whole for one of its tags (`blocked`): each tag Harbor would take
        on its own is still not written - its reason says so, rather than "the copy creates
        it", and so does a note a parser can read (its verdict stays what Harbor's check of
        that tag alone says). Where every block is tagguard failing closed (`in_doubt`),
        Harbor may take the copy: the reasons say it fails only if Harbor refuses, no note."""
        certain = [d for d in blocked if not is_in_doubt(d)]
        tag = (certain or blocked)[0].tag
        unwritten: tuple[Note, ...] = ()
        if certain:
            whole = f"fails as a whole: tag {tag} is immutable there, so none"
            refused = f"Harbor refuses the whole copy for tag {tag}"
            but, unwritten = (
                f"; but {refused}, so it is not written",
                (Note("not-written", f"{refused}: this tag is not written"),),
            )
        else:
            whole = f"fails as a whole if Harbor refuses tag {tag}, in doubt there: then none"
            but = f"; but if Harbor refuses tag {tag} (in doubt), it refuses the whole copy"
        self.notices.append(
            Notice(
                "copy-fails-whole",
                f"copying {source.original} to {destination.original} {whole} of the "
                f"{len(decisions)} tags is copied",
                destination.registry,
                destination.project,
            )
        )
        return [
            d
            if d.decision is Verdict.BLOCK
            else replace(d, reason=d.reason + but, notes=(*d.notes, *unwritten))
            for d in decisions
        ]

    def _children_doubt(self, source: Reference, destination: Reference, digest: str) -> str:
        """An artifact pushed in the run whose manifest tagguard has not read may be an
        index: copyDeeply then copies each of its children not yet in the destination with
        the child's own tags. Harbor's abstractIndexMetadata takes an index only over
        children in its own repository, so the copy can be refused through a child only by a
        tag some artifact of the source repository carries (an accessory's included) that
        the destination holds on another artifact, immutable."""
        src, dst = key(source), key(destination)
        # `unread` classifies this push alone: the run's other pushes there are not asked.
        if not self.world.unread(src, digest) or self.world.node(dst, digest) is not None:
            return ""  # its structure is known, or it is there already (no child is copied)
        held = [n.digest for n in self.world.held(src) if n.digest != digest]
        tagged = [(d, t) for d in held for t in self.world.tags_on(src, d)]
        self.ask([destination.with_tag(t) for _, t in tagged])
        for other, tag in tagged:
            there = self.world.digest_of(dst, tag)
            if there is None or there == other or self.world.node(dst, other) is not None:
                continue  # a new tag, or an artifact copyDeeply skips: nothing is moved
            if self.lock(destination.with_tag(tag), tag).immutable is not False:
                return (
                    f"{_unread_push(digest)}: if it is an index that references "
                    f"{short(other)}, the copy carries tag {tag}, which is immutable in "
                    f"{destination.repository} on {short(there)}, and Harbor refuses it "
                    f"whole; what it references cannot be known; {_READ_IT}"
                )
        return ""

    def _copy_deeply(
        self,
        source: Reference,
        destination: Reference,
        digest: str,
        is_root: bool,
        is_accessory: bool,
        owner: str,
        copied: _Copied,
    ) -> None:
        src, dst = key(source), key(destination)
        node = self.world.node(src, digest)
        if node is None:
            return
        present = self._landed(dst, digest, copied)
        if present and not is_root:
            return  # a child or accessory the destination holds already
        if not present:
            for child in node.children:
                if is_accessory and not self._landed(dst, child, copied):
                    # copyDeeply appends the accessory to the one list it passes down the
                    # walk before copying it, its artifact id still 0; the child's Ensure
                    # records every entry of that list as its accessory, and the database
                    # refuses a row for artifact 0.
                    raise _UnsavedAccessory(owner, child)
                name = f"child {short(child)} of the index"
                self._copy_deeply(source, destination, child, False, False, name, copied)
            # An accessory is read without its own accessories (copyDeeply's option for
            # isAcc); an accessory that has some is first copied as a root of its own.
            for accessory in () if is_accessory else node.accessories:
                name = accessory_name(accessory.kind, accessory.digest)
                if isinstance(accessory.digest, Unknown):
                    self._carry_unknown(source, destination, accessory.digest, name, copied)
                    continue
                inner = self.world.node(src, accessory.digest)
                if inner is not None and inner.accessories:
                    self._copy_deeply(
                        source, destination, accessory.digest, True, False, name, copied
                    )
                self._copy_deeply(source, destination, accessory.digest, False, True, name, copied)
            # An image the run pushed unread is as unread where it is copied: copyDeeply
            # brings the children its manifest names, which tagguard does not know.
            unread = self.world.unread(src, digest)
            copied.changes.append(Change(dst, node=node, unread=unread))
        self._copy_tags(source, destination, digest, owner, copied)

    def _landed(self, dst: RepoKey, digest: Digest, copied: _Copied) -> bool:
        """Whether the destination holds `digest`, or this copy has brought it already."""
        return self.world.node(dst, digest) is not None or any(
            c.node is not None and c.node.digest == digest for c in copied.changes
        )

    def _copy_tags(
        self, source: Reference, destination: Reference, digest: Digest, owner: str, copied: _Copied
    ) -> None:
        """The artifact controller's `Ensure` of one copied artifact: each of its tags, then
        the one push event it fires, naming the tag the source lists first (`option.Tags[0]`)."""
        src, dst = key(source), key(destination)
        for tag in self.world.tags_on(src, digest):
            target = destination.with_tag(tag)
            decision = decide_copy_tag(target, self.facts(target, tag), digest, source=source)
            if owner:
                decision = _with_note(decision, Note("carried", f"the tag of {owner}"))
            copied.decisions.append(decision)
            copied.changes.append(Change(dst, tag=tag, digest=digest, copied=True))
        copied.events.append((digest, self.world.event_tags(src, digest)))

    def _carry_unknown(
        self,
        source: Reference,
        destination: Reference,
        digest: Unknown,
        name: str,
        copied: _Copied,
    ) -> None:
        """An accessory an earlier step pushed without its digest (a cosign signature): the
        copy carries it and its tags all the same, and whether the destination holds it
        already cannot be known, so an immutable tag of its there refuses the copy (and its
        event is replayed, as if it were not there). It has no children, and none of its own
        accessories is known."""
        self._copy_tags(source, destination, digest, name, copied)

    def _copy_refused(
        self, source: Reference, destination: Reference, digest: Digest, reason: str
    ) -> list[Decision]:
        """A copy refused whole for `reason`: one block per tag the source carries (the
        destination repository itself when it carries none), nothing changed."""
        decisions = []
        for tag in self.world.tags_on(key(source), digest) or (None,):
            target = destination.with_tag(tag) if tag is not None else destination
            decision = decide_write(Operation.COPY, target, None, digest, source=source)
            decisions.append(replace(decision, decision=Verdict.BLOCK, reason=reason))
        return self._commit(decisions, [])

    # -- plumbing --------------------------------------------------------------------------

    def _commit(self, decisions: list[Decision], changes: Sequence[Change]) -> list[Decision]:
        """Harbor accepts the operation only if it refuses none of its tags."""
        if all(d.decision is not Verdict.BLOCK for d in decisions):
            self.world.apply(changes)
        return decisions

    def _commit_one(self, decision: Decision, changes: Sequence[Change]) -> Decision:
        """`_commit` of an operation of one tag (most are)."""
        if decision.decision is not Verdict.BLOCK:
            self.world.apply(changes)
        return decision


@record(frozen=False)
class _Deleting:
    """What a delete gathers on its walk, before it commits or is refused whole."""

    carried: list[Carried] = field(default_factory=list)  # the tags checked
    drops: list[Digest] = field(default_factory=list)  # the artifacts deleted
    roots: list[Event] = field(default_factory=list)  # the accessories deleted as roots
    # The (index, child) reference rows deleted so far.
    cut: set[tuple[Digest, str]] = field(default_factory=set)


@record(frozen=False)
class _Copied:
    """What a copy gathers, artifact by artifact, before it commits or is refused whole."""

    decisions: list[Decision]
    changes: list[Change]
    events: list[Event]


def _not_on(target: Reference) -> InputError:
    """A reference names a tag and an artifact (by digest) that does not carry it."""
    return InputError(
        f"reference {target.original!r}: tag {target.tag} is not on artifact {target.digest}"
    )


def _with_note(decision: Decision, note: Note) -> Decision:
    return replace(decision, notes=(*decision.notes, note))


def check_copy_within_one_harbor(source: Reference, destination: Reference) -> None:
    """Harbor's copy API reads its source from the Harbor it copies into: another registry
    is an input error, said before anything is read (the source's state included)."""
    if source.registry != destination.registry:
        raise InputError(
            f"copy from {source.registry} to {destination.registry}: Harbor's copy reads "
            "the source from the same Harbor; use replicate --from/--to for another registry"
        )


# A copy's doubt about an image the run pushes unread (`_children_doubt`).
_CHILDREN_DOUBT = "what the copied image references (the run pushes it, its manifest unread)"


def _unread_push(digest: Digest) -> str:
    """How a doubt about an image pushed in the run, its manifest unread, begins."""
    return f"an earlier step pushes {short(digest)}, which neither Harbor nor the state holds yet"


# How a doubt about an image pushed in the run ends. A push by digest inside the plan is
# no help: tagguard does not read the manifest it writes, so it must be there before. In
# CI the push is often a step of the same job: checking the later step after it has run
# (a second tagguard call) is the way that fits a pipeline.
_READ_IT = (
    "push it by digest first, before this check (or list it in the state file), or check "
    "this step on its own once the push has run, so what it references is known"
)


def unread_signing(digest: Digest) -> str:
    """Why `cosign sign --recursive` of an image pushed in the run, its manifest unread,
    cannot be decided: the images it signs with it are what that manifest references."""
    return (
        f"{_unread_push(digest)}: if it is an index, cosign sign --recursive also pushes "
        f"the signature tag of each image it references, which cannot be known; {_READ_IT}"
    )


def _unknown_source(digest: Unknown) -> str:
    return (
        f"the copy's source has {digest}: which tags it carries, and whether the "
        "destination holds it already, cannot be known; give that push its digest"
    )


def _unsaved_accessory(failed: _UnsavedAccessory, destination: Reference) -> str:
    """Why Harbor fails a copy that brings an index accessory's child (`_copy_deeply`)."""
    return (
        f"the copy brings {failed.accessory.removeprefix('its ')}, an index whose child "
        f"{short(failed.child)} {destination.repository} does not hold: Harbor's copyDeeply "
        "records that child with the accessory before the accessory is saved (artifact id "
        "0), the database refuses that artifact_accessory row (a foreign key, answered 412) "
        "and the whole copy rolls back; copy the child into it first"
    )


def _accessory_source(digest: str, subject: Digest) -> str:
    return (
        f"artifact {short(digest)} is an accessory of {short(subject)}: Harbor refuses to "
        "copy an accessory on its own (it is copied with its subject); copy the subject"
    )


def _orphan_source(digest: str, *, tagged: bool) -> str:
    """A copy source Harbor's list leaves out that no artifact of its repository names."""
    what = (
        "an accessory whose subject the repository does not hold (a manifest pushed with an "
        "OCI subject before its subject)"
    )
    if not tagged:
        # Untagged, it could also be the child of an index that is such an accessory.
        what += ", or a child of an index that is one"
    return (
        f"artifact {short(digest)} is in no list of its repository and no artifact there "
        f"references it or lists it as an accessory: it is {what}; Harbor refuses to copy an "
        "accessory on its own; copy its subject once it is there"
    )
