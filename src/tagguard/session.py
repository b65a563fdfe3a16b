"""A run's session: what the checks of `tagguard.check` decide with.

A session reads rules and state only through `tagguard.answers.Answers` (which asks the
run's `Sources`, files offline or Harbor live, each question once, however many operations
share it: a release plan's fifty operations included), evaluates Harbor's rules, reconciles
that with Harbor's own flag, and lets `core.decide` give the verdicts. All checks of one
run share it. It does not ask ahead: `tagguard.check` does, once per run, before this
module is imported.

The session runs one operation at a time; what runs several, or reads more than the
operations' own tags, builds on it: a release plan (`tagguard.release_plan`), a replication
policy and the replication events of a run (`tagguard.replicate`), a rules change
(`tagguard.impact`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

from tagguard.answers import Answers
from tagguard.core.decide import (
    Decision,
    Operation,
    TagFacts,
    Verdict,
    decide_write,
    digest_advice,
    in_doubt,
)
from tagguard.core.harbor_version import deletes_accessories_as_roots
from tagguard.core.immutability import Immutability, propose, reconcile
from tagguard.core.operations import Simulation, key, unread_signing
from tagguard.core.record import field, record, replace
from tagguard.core.reference import Reference
from tagguard.core.report import Report
from tagguard.core.rules import Evaluation, RuleSet
from tagguard.core.selector import may_select_signature_tag
from tagguard.core.state import (
    ArtifactInfo,
    ProjectInfo,
    ProjectRules,
    Sources,
    cosign_tag,
    one_signature,
    questions,
)
from tagguard.core.world import Digest, Node, RepoKey, Unknown, World, short
from tagguard.errors import InputError, StateError

if TYPE_CHECKING:
    # Only a run that replicates reads a policy (`tagguard.replicate` imports the module):
    # a push, delete or retag is checked without loading replication's rules.
    from tagguard.core.replication import Policy

# A write's image and the manifests its index brings along (`Simulation.write`'s `node`
# and `children`), where tagguard has read them.
Carried: TypeAlias = tuple[Node | None, tuple[Node, ...]]
_NOTHING: Carried = (None, ())


@record(frozen=False)
class Session:
    """One run: what the sources said (`answers`, so each question is asked once), and the
    world as the run's operations leave it (each operation sees what the earlier ones did)."""

    sources: Sources
    forced_glob: str | None = None  # --harbor-version; None: what each Harbor reports
    report: Report = field(default_factory=Report)
    _rule_sets: dict[tuple[str, str], RuleSet] = field(default_factory=dict)
    _locks: dict[tuple[str, str, str], Immutability] = field(default_factory=dict)
    answers: Answers = field(init=False)
    world: World = field(init=False)
    sim: Simulation = field(init=False)

    def __post_init__(self) -> None:
        self.answers = Answers(self.sources, self.report, self.forced_glob)
        self.world = World(self.answers)
        self.sim = Simulation(
            self.world,
            self.lock,
            may_lock=self.may_lock,
            ask=self._ask,
            accessories_as_roots=self._accessories_as_roots,
        )

    def _accessories_as_roots(self, ref: Reference) -> bool:
        """Whether `ref`'s Harbor deletes every accessory as a root (before v2.11.0)."""
        return deletes_accessories_as_roots(self.answers.harbor_version(ref.registry))

    def _ask(self, refs: Sequence[Reference]) -> None:
        """Tags an operation is about to read, asked of the sources together."""
        if refs:
            self.sources.prefetch(*questions(refs))

    def source_digest(self, ref: Reference) -> Digest:
        """The digest a source reference (any registry) names now; it must exist."""
        reference = ref.digest or ref.tag
        assert reference is not None
        digest: Digest | None
        if self.sources.guards(ref.registry) and _in_harbor(ref):
            digest = self.world.resolve(key(ref), reference)
        else:
            digest = self.answers.digest(ref.registry, ref.repository, reference)
        if digest is None:
            raise StateError(
                f"source {ref.original!r} does not exist, so there is no image to write"
            )
        return digest

    def evaluate(self, ref: Reference, tag: str) -> Evaluation | None:
        return self._evaluate(ref, tag, self.answers.rules(ref))

    def _evaluate(self, ref: Reference, tag: str, found: ProjectRules) -> Evaluation | None:
        """`evaluate`, with the rules of `ref`'s project as `answers.rules` gave them."""
        if found.rules is None:
            return None
        project = (ref.registry, ref.project)
        rules = self._rule_sets.get(project)
        if rules is None:  # evaluated once per repository for the whole run, not per tag
            rules = self._rule_sets[project] = RuleSet(found.rules)
        if self.answers.known_glob(ref.registry) is None:
            # Most rules mean the same under both globs Harbor has linked: then which one this
            # Harbor links does not matter, and asking it would cost a request. Only rules
            # whose patterns may differ are evaluated twice (`evaluate_either`).
            either = rules.evaluate_either(ref.repository, tag)
            if either is not None:
                return either
        return rules.evaluate(ref.repository, tag, self.answers.glob_for(ref.registry))

    def lock(self, ref: Reference, tag: str) -> Immutability:
        """Whether `tag` of `ref`'s repository is immutable: the rules, read as Harbor reads
        them, and Harbor's own flag for a tag it holds. A tag's immutability depends on its
        name only, so it is worked out once per run."""
        cached = (ref.registry, ref.repository, tag)
        known = self._locks.get(cached)
        if known is not None:  # every operation asks, most about a tag asked before
            return known
        info = self.world.stored_flag(key(ref), tag)
        flag = info.immutable if info is not None else None
        found = self.answers.rules(ref)
        evaluation = self._evaluate(ref, tag, found)
        if self.sources.proposed_rules and evaluation is not None:
            known = self._locks[cached] = propose(evaluation, flag)
        else:
            known = self._locks[cached] = reconcile(evaluation, flag, found.unavailable_reason)
        return known

    def may_lock(self, ref: Reference, *, signatures: bool = False) -> bool:
        """Whether any tag of `ref`'s project may be immutable (with `signatures`: any cosign
        signature tag): unless its rules are read and none is enabled (Harbor's matcher
        skips a disabled rule), a tag may be; a signature's only where an enabled rule's tag
        selector may select one (`v*` cannot: `may_select_signature_tag`)."""
        found = self.answers.rules(ref)
        if found.rules is None:
            return True
        enabled = [rule for rule in found.rules if not rule.disabled]
        if not signatures:
            return bool(enabled)
        return any(
            (selector := rule.tag_selector) is None
            or may_select_signature_tag(selector.kind, selector.decoration, selector.pattern)
            for rule in enabled
        )

    def tag_facts(self, ref: Reference, tag: str) -> TagFacts:
        return self.sim.facts(ref, tag)

    def record(self, decisions: Iterable[Decision]) -> list[Decision]:
        """`decisions`, listed, once the simulation's notices are in the report."""
        listed = list(decisions)
        for notice in self.sim.notices:
            self.report.warn(notice)
        self.sim.notices.clear()
        return listed

    # -- the operations, each returning its decisions ---------------------------------------

    def push(
        self,
        targets: Sequence[Reference],
        digest: str | None,
        source: Reference | None = None,
        *,
        unknown: str = "",
    ) -> list[Decision]:
        """Pushing one image (`digest`, or the one `source` names) to every target. Without
        either, the image's digest is unknown: `unknown` says where it was pushed from."""
        new: Digest | None = self.source_digest(source) if source is not None else digest
        # One image: the targets a digest does not name share one unknown digest, made
        # when the first of them comes (most pushes name theirs: then none is).
        nameless: Unknown | None = None
        carried = self.carried(source, new, targets) if source is not None else _NOTHING
        self._ask_landing(carried, source, targets)
        decisions = []
        for target in targets:
            written = _new_digest(target, new)
            if not written:
                if nameless is None:
                    nameless = Unknown(
                        unknown or f"the image pushed to {', '.join(t.original for t in targets)}"
                    )
                written = nameless
            node, children = _brought(carried if written == new else _NOTHING, source, target)
            decisions.append(
                self.sim.write(
                    Operation.PUSH, target, written, source, node=node, children=children
                )
            )
        return self.record(decisions)

    def retag(
        self,
        source: Reference,
        targets: Sequence[Reference],
        operation: Operation = Operation.RETAG,
    ) -> list[Decision]:
        """Writing every target tag from the digest `source` points at (a retag, or an
        explicit replication step such as `crane copy` or `skopeo copy`)."""
        for target in targets:
            if target.tag is None:
                raise InputError(f"target {target.original!r} needs a tag, not only a digest")
        new = self.source_digest(source)
        carried = self.carried(source, new, targets)
        self._ask_landing(carried, source, targets)
        decisions = []
        for target in targets:
            node, children = _brought(carried, source, target)
            decisions.append(
                self.sim.write(operation, target, new, source, node=node, children=children)
            )
        return self.record(decisions)

    def sign(
        self,
        targets: Sequence[Reference],
        digest: str | None = None,
        *,
        where: str = "",
        recursive: bool = False,
    ) -> list[Decision]:
        """Pushing a cosign signature of each target's image by tag: the manifest PUT of tag
        `sha256-<hex>.sig`, which Harbor checks like any other push. Without `digest` the
        signature's is unknown, and another signing's (a plan step elsewhere: `where`) is
        another unknown: cosign adds each signature to the `.sig` manifest, a new digest.
        `recursive`: `cosign sign --recursive`, which also signs every image an index
        references (`_cosign_order`), one push each, each seeing the earlier ones."""
        if recursive and digest is not None:
            raise InputError(one_signature())
        decisions = []
        for target in targets:
            subject = self.source_digest(target)
            if isinstance(subject, Unknown) or not subject.startswith("sha256:"):
                raise StateError(
                    f"{target.original}: the image's digest is {subject}, so its cosign "
                    "signature tag (sha256-<hex>.sig) cannot be named"
                )
            signed, unknown = (
                self._cosign_order(key(target), subject) if recursive else ([subject], [])
            )
            pushes = [target.with_tag(_signature_tag(d)) for d in signed]
            self._ask(pushes)  # every signature tag of the image, asked together
            labels = [
                _signature_label(target, subject, signed, i, where) for i in range(len(signed))
            ]
            if unknown and self.may_lock(target, signatures=True):
                decisions.extend(self._doubted_signing(target, pushes, labels, unknown[0]))
                continue
            for push, label in zip(pushes, labels, strict=True):
                new: Digest = digest or Unknown(label)
                decision = self.sim.write(Operation.SIGN, push, new, target)
                decisions.append(_without_digest_advice(decision) if recursive else decision)
        return self.record(decisions)

    def _cosign_order(self, repo: RepoKey, digest: str) -> tuple[list[str], list[str]]:
        """The digests `cosign sign --recursive` signs from `digest`, in its order, and those
        of them whose children cannot be known (an image the run pushed unread). cosign walks
        the index with mutate.Map (pkg/oci/mutate/map.go): the index first, then each
        manifest it lists in turn, a nested index with its own before the next; an image
        listed twice is signed twice. The children are read a level at a time, each level's
        together (a live source: concurrently), before the walk."""
        level, seen = [digest], {digest}
        while level:
            nodes = [self.structure(repo, d) for d in level]
            level = [c for n in nodes if n is not None for c in n.children if c not in seen]
            seen.update(level)
            if level:
                self.sources.prefetch([], {repo: set(level)})
        order: list[str] = []
        unknown: list[str] = []
        pending = [digest]
        while pending:
            current = pending.pop()
            order.append(current)
            node = self.structure(repo, current)
            if node is None:
                unknown.append(current)
            else:
                pending.extend(reversed(node.children))
        return order, unknown

    def _doubted_signing(
        self, target: Reference, pushes: Sequence[Reference], labels: Sequence[str], unread: str
    ) -> list[Decision]:
        """A recursive signing whose images are not all known: each push blocked as a doubt
        (a refusal Harbor is sure to give stays one), and nothing written."""
        doubt = unread_signing(unread)
        decisions = []
        for push, label in zip(pushes, labels, strict=True):
            assert push.tag is not None
            facts = self.sim.facts(push, push.tag)
            decision = decide_write(Operation.SIGN, push, facts, Unknown(label), source=target)
            if decision.decision is not Verdict.BLOCK:
                decision = replace(decision, decision=Verdict.BLOCK, reason=doubt)
                decision = in_doubt(decision, _SIGNED_UNREAD)
            decisions.append(decision)
        return decisions

    def copy(self, source: Reference, destination: Reference) -> list[Decision]:
        """Harbor's copy (`POST .../artifacts?from=`), whole: see `Simulation.copy`."""
        if destination.tag is not None or destination.digest is not None:
            raise InputError(
                f"copy destination {destination.original!r} is a repository: give no tag or digest"
            )
        reference = source.digest or source.tag
        stored = self.answers.artifact((source.registry, source.repository), reference or "")
        if stored is not None:  # the destination tags it will write, asked together
            self.sources.prefetch(*questions(destination.with_tag(i.name) for i in stored.tags))
        return self.record(self.sim.copy(source, destination))

    def delete(self, targets: Sequence[Reference], *, artifact: bool) -> list[Decision]:
        """Deleting tags, or (artifact=True, or a reference by digest) whole artifacts."""
        decisions = []
        for target in targets:
            if artifact or target.tag is None:
                decisions.append(self.sim.delete_artifact(target))
            else:
                decisions.append(self.sim.delete_tag(target))
        return self.record(decisions)

    def structure(self, repo: RepoKey, digest: Digest) -> Node | None:
        """What a copied manifest references, where tagguard has read it: the copy's index
        references the same children. Accessories are not part of the manifest: each is
        written (and linked) on its own. None for an image pushed in the run, whose manifest
        tagguard has not read: written elsewhere it is just as unread there, not a leaf."""
        if not isinstance(digest, str) or self.world.unread(repo, digest):
            return None
        node = self.world.node(repo, digest)
        return Node(node.digest, node.children) if node is not None else None

    def carried(
        self, source: Reference, new: Digest | None, targets: Sequence[Reference]
    ) -> Carried:
        """What writing the image `source` names into another repository brings along, where
        tagguard can read it: the image, and every manifest its index references,
        recursively and deepest first (a registry takes an index only once they are there:
        crane and skopeo push them by digest first). Nothing for a source outside a guarded
        Harbor, or when every target is in the source's repository."""
        readable = self.sources.guards(source.registry) and _in_harbor(source)
        if not readable or new is None or all(key(source) == key(t) for t in targets):
            return _NOTHING
        node = self.structure(key(source), new)
        if node is None:
            return _NOTHING
        found: dict[Digest, Node] = {}
        self._gather(key(source), node, found)
        return node, tuple(found.values())

    def _ask_landing(
        self, carried: Carried, source: Reference | None, targets: Sequence[Reference]
    ) -> None:
        """What the world reads where a carried image lands, asked together: whether each
        target repository holds each manifest already, and the cosign signature it may keep
        for it (`World._with_kept`)."""
        if carried[0] is None and not carried[1]:
            return  # nothing carried (a push of a digest, mostly): nothing lands anywhere
        wanted: dict[RepoKey, set[str]] = {}
        for target in targets:
            names = landing(_brought(carried, source, target))
            if names:
                wanted.setdefault(key(target), set()).update(names)
        if wanted:
            self.sources.prefetch([], wanted)

    def _gather(self, repo: RepoKey, node: Node, found: dict[Digest, Node]) -> None:
        # Each level's children asked together (a live source: concurrently), not one
        # request after another as the walk below reads them.
        wanted = {c for c in node.children if c not in found}
        if wanted:
            self.sources.prefetch([], {repo: wanted})
        for child in node.children:
            if child in found:
                continue
            inner = self.structure(repo, child) or Node(child)
            self._gather(repo, inner, found)
            found[child] = inner


def landing(carried: Carried) -> set[str]:
    """What the world reads where `carried` lands: whether the repository holds each of its
    manifests already, and the cosign signature it may keep for each (`World._with_kept`)."""
    node, children = carried
    written = (*children, node) if node is not None else children
    digests = [n.digest for n in written if isinstance(n.digest, str)]
    return {name for d in digests for name in (d, cosign_tag(d)) if name is not None}


def _brought(carried: Carried, source: Reference | None, target: Reference) -> Carried:
    """What a write into `target` brings along: nothing within the source's own
    repository, where the write names the same artifact."""
    if source is None or key(source) == key(target):
        return _NOTHING
    return carried


def _signature_tag(digest: str) -> str:
    """The tag cosign pushes a signature of `digest` under (`ociremote.SignatureTag`)."""
    return digest.replace(":", "-", 1) + ".sig"


def _signature_label(
    target: Reference, subject: str, signed: Sequence[str], at: int, where: str
) -> str:
    """What names the `at`th signature pushed while its digest is unknown: each its own (an
    unknown digest is its label; cosign adds each signature to the `.sig` manifest, so an
    image signed twice gets two digests), an image an index references by its digest."""
    digest = signed[at]
    image = target.original if digest == subject else f"{short(digest)} of {target.original}"
    again = signed[:at].count(digest)
    return (
        f"the signature of {image}"
        + (f" signed at {where}" if where else "")
        + (f" (signing {again + 1})" if again else "")
    )


def _without_digest_advice(decision: Decision) -> Decision:
    """A recursive signing's decision without the advice to give the signature's digest,
    which --recursive does not take (one digest per signature), as the docker plugin puts
    its own advice in place of `digest_advice()`."""
    if digest_advice() not in decision.reason:
        return decision
    # "...makes it immutable; without the new signature's digest a re-push ... cannot be
    # told from a move, <advice>": which of the two it is does not matter here, since
    # Harbor refuses a push onto an existing immutable tag even of the same digest.
    known = decision.reason.partition("; without the new")[0]
    return replace(decision, reason=f"{known}{_NO_DIGEST_ADVICE}")


# In place of the digest advice for a recursive signing: each push writes the `.sig`
# manifest again (with a signature added, a new digest), and Harbor refuses any push onto
# the existing immutable tag.
_NO_DIGEST_ADVICE = ": cosign's push writes that signature tag again, and Harbor refuses it"
# A recursive signing's doubt (`Session._doubted_signing`).
_SIGNED_UNREAD = "which images the signing signs (the run pushes one, its manifest unread)"


def _in_harbor(ref: Reference) -> bool:
    """Whether a reference can name a Harbor repository (`project/repo`, not Docker Hub)."""
    return "/" in ref.repository and ref.registry != "docker.io"


@runtime_checkable
class ReplicationSources(Sources, Protocol):
    """What a policy check needs beyond the usual questions: the source Harbor's policy and
    listings, and a way to reach the destination Harbor the policy names."""

    def policy(self, registry: str, policy_id: int) -> Policy: ...

    def repositories(self, registry: str) -> list[str]: ...

    def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]: ...

    def artifact_lists(
        self, registry: str, repositories: Sequence[str]
    ) -> dict[str, list[ArtifactInfo]]:
        """`artifacts` of each repository, asked together."""
        ...

    def add_harbor(self, host: str, url: str) -> None: ...

    def project(self, registry: str, name: str) -> ProjectInfo | None: ...

    def policies(self, registry: str) -> list[Policy] | None: ...


def _new_digest(target: Reference, digest: Digest | None) -> Digest | None:
    if digest is not None and target.digest is not None and digest != target.digest:
        raise InputError(
            # The digest may come from --digest, --oci-layout, --metadata-file, --from or a
            # plan's `digest:`: the message names none of them.
            f"reference {target.original!r} names digest {target.digest}, but the image's "
            f"digest given is {digest}; give one of them"
        )
    return digest or target.digest
