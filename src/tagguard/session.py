"""A run's session: what the checks of `tagguard.check` decide with.

A session reads rules and state only through a `Sources` object (files offline, Harbor
live), evaluates Harbor's rules, reconciles that with Harbor's own flag, and lets
`core.decide` give the verdicts. All checks of one run share it, so each project's rules,
each Harbor's version and each artifact are asked for once, however many operations share
them (a release plan's fifty operations included). It does not ask ahead: `tagguard.check`
does, once per run, before this module is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from tagguard.core import glob
from tagguard.core.decide import Decision, Operation, TagFacts, Verdict
from tagguard.core.harbor_version import glob_version_for
from tagguard.core.immutability import Immutability, propose, reconcile
from tagguard.core.operations import Simulation, key
from tagguard.core.plan import (
    Copy,
    Delete,
    DigestFile,
    Plan,
    PlanOperation,
    Push,
    Replicate,
    ReplicatePolicy,
    Retag,
    Sign,
)
from tagguard.core.reference import Reference, parse_reference
from tagguard.core.replication import Policy, Write
from tagguard.core.report import Notice, Report
from tagguard.core.rules import Evaluation, RuleSet
from tagguard.core.state import (
    Accessory,
    ArtifactInfo,
    ProjectInfo,
    ProjectRules,
    Sources,
    TagInfo,
    questions,
)
from tagguard.core.world import Digest, Node, RepoKey, Unknown, World
from tagguard.errors import InputError, StateError


@dataclass
class Session:
    """One run: the sources, everything they said (so each question is asked once), and the
    world as the run's operations leave it (each operation sees what the earlier ones did)."""

    sources: Sources
    forced_glob: str | None = None  # --harbor-version; None: what each Harbor reports
    report: Report = field(default_factory=Report)
    _rules: dict[tuple[str, str], ProjectRules] = field(default_factory=dict)
    _rule_sets: dict[tuple[str, str], RuleSet] = field(default_factory=dict)
    _artifacts: dict[tuple[str, str, str], ArtifactInfo | None] = field(default_factory=dict)
    _parents: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)
    _digests: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    _globs: dict[str, str] = field(default_factory=dict)
    _locks: dict[tuple[str, str, str], Immutability] = field(default_factory=dict)
    # A replication's destination projects: whether it writes there; those it creates.
    _projects: dict[tuple[str, str], bool] = field(default_factory=dict)
    _missing: set[tuple[str, str]] = field(default_factory=set)
    world: World = field(init=False)
    sim: Simulation = field(init=False)

    def __post_init__(self) -> None:
        self.world = World(_Reads(self))
        self.sim = Simulation(self.world, self.lock)

    def rules(self, ref: Reference) -> ProjectRules:
        key = (ref.registry, ref.project)
        if key not in self._rules:
            found = self.sources.rules(*key)
            self._rules[key] = found
            if found.rules is None:
                self.report.warn(
                    Notice(
                        "rules-unavailable",
                        f"project {ref.project}: {found.unavailable_reason}; verdicts rest on "
                        "Harbor's own immutable flag, and rule details are not shown",
                        ref.registry,
                        ref.project,
                    )
                )
        return self._rules[key]

    def stored_artifact(
        self, registry: str, repository: str, reference: str
    ) -> ArtifactInfo | None:
        key = (registry, repository, reference)
        if (registry, repository.split("/", 1)[0]) in self._missing:
            return None  # a project a replication creates holds nothing yet
        if key not in self._artifacts:
            found = self.sources.artifact(*key)
            self._artifacts[key] = found
            if found is not None:
                self.remember(registry, repository, [found])
        return self._artifacts[key]

    def remember(self, registry: str, repository: str, listed: Iterable[ArtifactInfo]) -> None:
        """Artifacts read whole (one answer, or a list): each answers for its digest and for
        each of its tags, so none is asked for again."""
        for found in listed:
            for name in (found.digest, *(t.name for t in found.tags)):
                self._artifacts.setdefault((registry, repository, name), found)

    def stored_parents(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        key = (registry, repository, digest)
        if (registry, repository.split("/", 1)[0]) in self._missing:
            return ()
        if key not in self._parents:
            self._parents[key] = self.sources.parents(*key)
        return self._parents[key]

    def source_digest(self, ref: Reference) -> Digest:
        """The digest a source reference (any registry) names now; it must exist."""
        reference = ref.digest or ref.tag
        assert reference is not None
        digest: Digest | None
        if self.sources.guards(ref.registry) and _in_harbor(ref):
            digest = self.world.resolve(key(ref), reference)
        else:
            cached = (ref.registry, ref.repository, reference)
            if cached not in self._digests:
                self._digests[cached] = self.sources.digest(*cached)
            digest = self._digests[cached]
        if digest is None:
            raise StateError(
                f"source {ref.original!r} does not exist, so there is no image to write"
            )
        return digest

    def glob_for(self, registry: str) -> str:
        """The doublestar release the Harbor at `registry` links (asked once)."""
        if self.forced_glob is not None:
            return self.forced_glob
        if registry not in self._globs:
            reported = self.sources.harbor_version(registry)
            if reported is None and self.sources.live:
                self.report.warn(
                    Notice(
                        "version-unknown",
                        f"{registry} did not report its Harbor version (anonymous access hides "
                        "it); tagguard assumes the newest glob: give --harbor-version to be sure",
                        registry,
                    )
                )
            self._globs[registry] = glob_version_for(reported) if reported else glob.NEWEST
        return self._globs[registry]

    def evaluate(self, ref: Reference, tag: str) -> Evaluation | None:
        found = self.rules(ref)
        if found.rules is None:
            return None
        rules = self._rule_sets.get((ref.registry, ref.project))
        if rules is None:  # evaluated once per repository for the whole run, not per tag
            rules = self._rule_sets[(ref.registry, ref.project)] = RuleSet(found.rules)
        if self.forced_glob is None and ref.registry not in self._globs:
            # Most rules mean the same under both globs Harbor has linked: then which one this
            # Harbor links does not matter, and asking it would cost a request. Only rules
            # whose patterns may differ are evaluated twice (`evaluate_either`).
            either = rules.evaluate_either(ref.repository, tag)
            if either is not None:
                return either
        return rules.evaluate(ref.repository, tag, self.glob_for(ref.registry))

    def lock(self, ref: Reference, tag: str) -> Immutability:
        """Whether `tag` of `ref`'s repository is immutable: the rules, read as Harbor reads
        them, and Harbor's own flag for a tag it holds. A tag's immutability depends on its
        name only, so it is worked out once per run."""
        cached = (ref.registry, ref.repository, tag)
        if cached not in self._locks:
            info = self.world.stored_flag(key(ref), tag)
            flag = info.immutable if info is not None else None
            found = self.rules(ref)
            evaluation = self.evaluate(ref, tag)
            if self.sources.proposed_rules and evaluation is not None:
                self._locks[cached] = propose(evaluation, flag)
            else:
                self._locks[cached] = reconcile(evaluation, flag, found.unavailable_reason)
        return self._locks[cached]

    def tag_facts(self, ref: Reference, tag: str) -> TagFacts:
        return self.sim.facts(ref, tag)

    def _record(self, decisions: Iterable[Decision]) -> list[Decision]:
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
        # One image: the targets a digest does not name share one unknown digest.
        nameless = Unknown(
            unknown or f"the image pushed to {', '.join(t.original for t in targets)}"
        )
        decisions = []
        for target in targets:
            written = _new_digest(target, new) or nameless
            decisions.append(self.sim.write(Operation.PUSH, target, written, source))
        return self._record(decisions)

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
        readable = self.sources.guards(source.registry) and _in_harbor(source)
        return self._record(
            self.sim.write(
                operation,
                target,
                new,
                source,
                # Within one repository the retag names the same artifact: nothing to carry.
                node=self._structure(key(source), new)
                if readable and key(source) != key(target)
                else None,
            )
            for target in targets
        )

    def sign(self, targets: Sequence[Reference], digest: str | None = None) -> list[Decision]:
        """Pushing a cosign signature of each target's image by tag: the manifest PUT of tag
        `sha256-<hex>.sig`, which Harbor checks like any other push."""
        decisions = []
        for target in targets:
            subject = self.source_digest(target)
            if isinstance(subject, Unknown) or not subject.startswith("sha256:"):
                raise StateError(
                    f"{target.original}: the image's digest is {subject}, so its cosign "
                    "signature tag (sha256-<hex>.sig) cannot be named"
                )
            signature = target.with_tag(f"sha256-{subject.removeprefix('sha256:')}.sig")
            new: Digest = digest or Unknown(f"the signature of {target.original}")
            decisions.append(self.sim.write(Operation.SIGN, signature, new, target))
        return self._record(decisions)

    def copy(self, source: Reference, destination: Reference) -> list[Decision]:
        """Harbor's copy (`POST .../artifacts?from=`), whole: see `Simulation.copy`."""
        if destination.tag is not None or destination.digest is not None:
            raise InputError(
                f"copy destination {destination.original!r} is a repository: give no tag or digest"
            )
        reference = source.digest or source.tag
        stored = self.stored_artifact(source.registry, source.repository, reference or "")
        if stored is not None:  # the destination tags it will write, asked together
            self.sources.prefetch(*questions(destination.with_tag(i.name) for i in stored.tags))
        return self._record(self.sim.copy(source, destination))

    def delete(self, targets: Sequence[Reference], *, artifact: bool) -> list[Decision]:
        """Deleting tags, or (artifact=True, or a reference by digest) whole artifacts."""
        decisions = []
        for target in targets:
            if artifact or target.tag is None:
                decisions.append(self.sim.delete_artifact(target))
            else:
                decisions.append(self.sim.delete_tag(target))
        return self._record(decisions)

    def replicate_policy(self, registry: str, policy_id: int) -> list[Decision]:
        """What a push-based replication policy of the Harbor at `registry` will do in the
        destination Harbor it names: artifact by artifact, each with its accessories and
        their own tags, each write seeing what the earlier ones (and the run's earlier
        operations) left. Selection and order are Harbor's (`core.replication`)."""
        sources = self.sources
        if not isinstance(sources, ReplicationSources):
            raise InputError("replication policies are read from a live Harbor, not from files")
        policy = sources.policy(registry, policy_id)
        if policy.source_registry_url is not None:
            raise InputError(
                f"replication policy {policy_id} pulls from {policy.source_registry_url}; tagguard "
                "checks push-based policies (run it against the source Harbor's policy)"
            )
        problem = policy.refusal() or policy.unsupported_destination()
        if problem is not None:
            raise StateError(problem)
        destination = policy.destination_host
        sources.add_harbor(destination, policy.destination_url)
        source_glob = self.glob_for(registry)
        stored_names = sources.repositories(registry)
        names = dict.fromkeys([*stored_names, *self.world.written_repositories(registry)])
        listed = set(stored_names)
        decisions: list[Decision] = []
        writers: dict[str, set[str]] = {}  # destination reference -> source repositories
        for name in names:
            if not policy.selects_repository(name, source_glob):
                continue
            repo = (registry, name)
            stored = sources.artifacts(registry, name) if name in listed else []
            self.remember(registry, name, stored)
            nodes = self.world.artifacts(repo, stored)
            # Harbor's artifact list leaves accessories out (they travel with their subject)
            # and untagged children of an index (`both` and `notacc`, pkg/artifact/dao).
            accessories = {a.digest for node in nodes for a in node.accessories}
            in_list = {info.digest for info in stored}
            current = [
                self._current_artifact(repo, node.digest)
                for node in nodes
                if isinstance(node.digest, str)
                and node.digest not in accessories
                and (node.digest in in_list or self.world.tags_on(repo, node.digest))
            ]
            for artifact in policy.select(name, current, source_glob):
                related = self._related(repo, artifact)
                for write in policy.writes(name, artifact, related, source_glob):
                    decision = self._replicate_write(policy, registry, name, destination, write)
                    if decision is not None:
                        decisions.append(decision)
                        writers.setdefault(decision.reference, set()).add(name)
        self._warn_races(policy, writers)
        return self._record(decisions)

    def _warn_races(self, policy: Policy, writers: dict[str, set[str]]) -> None:
        """Harbor runs a policy's tasks concurrently, newest repository first: when two
        source repositories write one destination tag, which one lands first (and which is
        refused or kept) is a race; tagguard's verdicts assume one order."""
        for reference, names in writers.items():
            if len(names) > 1:
                self.report.warn(
                    Notice(
                        "replication-race",
                        f"replication policy {policy.id}: {', '.join(sorted(names))} all write "
                        f"{reference}; Harbor runs them concurrently, so which one lands (and "
                        "which is refused or kept) is not fixed",
                        reference=reference,
                    )
                )

    def replay(self, policy: Policy, decision: Decision) -> None:
        """What an event-based `policy` does on the destination after `decision` runs."""
        deleting = decision.operation in (Operation.DELETE, Operation.DELETE_ARTIFACT)
        if deleting and not policy.replicates_deletion:
            return
        assert decision.tag is not None
        digest: Digest = (decision.current_digest if deleting else decision.new_digest) or Unknown(
            f"the image written to {decision.reference}"
        )
        pushed = ArtifactInfo(digest if isinstance(digest, str) else "", (TagInfo(decision.tag),))
        glob_version = self.glob_for(decision.registry)
        destination = policy.destination_host
        for write in policy.event_writes(decision.repository, pushed, glob_version):
            project = write.repository.split("/", 1)[0]
            if write.tag is None or not self._destination_project(policy, destination, project):
                continue
            target = parse_reference(f"{destination}/{write.repository}:{write.tag}")
            origin = parse_reference(decision.reference, default_tag=None)
            if deleting:
                replayed = (
                    self.sim.delete_tag(target)
                    if decision.operation is Operation.DELETE
                    else self.sim.delete_artifact(target)
                )
            else:
                replayed = self.sim.replicate_tag(
                    target, digest, override=policy.override, origin=origin, owner=""
                )
            if replayed.decision is Verdict.BLOCK:
                self.report.warn(
                    Notice(
                        "replication-refused",
                        f"replication policy {policy.id} ({policy.name}) replays "
                        f"{decision.operation.value} of {decision.reference} onto "
                        f"{target.original} at once, and Harbor there refuses it: "
                        f"{replayed.reason}",
                        target.registry,
                        target.project,
                        replayed.rule_id,
                        target.original,
                    )
                )

    def _replicate_write(
        self, policy: Policy, registry: str, name: str, destination: str, write: Write
    ) -> Decision | None:
        project = write.repository.split("/", 1)[0]
        if not self._destination_project(policy, destination, project):
            return None
        at = f":{write.tag}" if write.tag is not None else f"@{write.digest}"
        origin = parse_reference(f"{registry}/{name}{at}")
        target = parse_reference(f"{destination}/{write.repository}{at}")
        owner = "an accessory" if write.accessory else ""
        node = self._structure((registry, name), write.digest)
        if write.tag is None:
            return self.sim.write(Operation.REPLICATE, target, write.digest, origin, node=node)
        return self._replicate_tag(policy, origin, target, write.digest, owner, node)

    def _structure(self, repo: RepoKey, digest: Digest) -> Node | None:
        """What a copied manifest references, where tagguard has read it: the copy's index
        references the same children. Accessories are not part of the manifest: each is
        written (and linked) on its own."""
        node = self.world.node(repo, digest) if isinstance(digest, str) else None
        return Node(node.digest, node.children) if node is not None else None

    def _destination_project(self, policy: Policy, destination: str, project: str) -> bool:
        """Whether the replication writes into `project` of the destination: Harbor creates
        one that does not exist (with no rules), and skips a proxy-cache project
        (`PrepareForPush`, src/pkg/reg/adapter/harbor/base/adapter.go)."""
        cached = (destination, project)
        if cached not in self._projects:
            sources = self.sources
            assert isinstance(sources, ReplicationSources)
            found = sources.project(destination, project)
            self._projects[cached] = found is None or not found.proxy_cache
            if found is None:
                self._rules[cached] = ProjectRules(())
                self._missing.add(cached)
                self.report.warn(
                    Notice(
                        "project-created",
                        f"replication policy {policy.id}: project {project} does not exist in "
                        f"{destination}; Harbor creates it, with no immutability rules",
                        destination,
                        project,
                    )
                )
            elif found.proxy_cache:
                self.report.warn(
                    Notice(
                        "proxy-cache-skipped",
                        f"replication policy {policy.id}: project {project} of {destination} is "
                        "a proxy cache, so Harbor skips every artifact replicated into it",
                        destination,
                        project,
                    )
                )
        return self._projects[cached]

    def _current_artifact(self, repo: RepoKey, digest: str) -> ArtifactInfo:
        """An artifact as the run has left it: its tags now, its structure, its labels."""
        node = self.world.node(repo, digest)
        stored = self.world.stored(repo, digest)
        return ArtifactInfo(
            digest,
            tuple(TagInfo(t) for t in self.world.tags_on(repo, digest)),
            node.children if node is not None else (),
            tuple(
                Accessory(a.digest, a.kind)
                for a in (node.accessories if node is not None else ())
                if isinstance(a.digest, str) and self.world.node(repo, a.digest) is not None
            ),
            stored.labels if stored is not None else (),
        )

    def _related(self, repo: RepoKey, artifact: ArtifactInfo) -> dict[str, ArtifactInfo]:
        """Every accessory (recursively) and index child of `artifact`, read whole: one
        request each, the cost the replication's accessories add."""
        related: dict[str, ArtifactInfo] = {}
        waiting = [*(a.digest for a in artifact.accessories), *artifact.children]
        while waiting:
            digest = waiting.pop()
            if digest in related:
                continue
            found = self._current_artifact(repo, digest)
            related[digest] = found
            waiting.extend(a.digest for a in found.accessories)
        return related

    def _replicate_tag(
        self,
        policy: Policy,
        origin: Reference,
        target: Reference,
        digest: str,
        owner: str = "",
        node: Node | None = None,
    ) -> Decision:
        decision = self.sim.replicate_tag(
            target, digest, override=policy.override, origin=origin, owner=owner, node=node
        )
        if decision.decision is Verdict.SKIP and decision.current_digest != digest:
            self.report.warn(
                Notice(
                    "replication-stale",
                    f"policy {policy.id} ({policy.name}): {target.original} keeps its old image "
                    f"({decision.current_digest}); set override to replace it",
                    target.registry,
                    target.project,
                )
            )
        return decision

    # -- whole runs: a plan, a rules change, the replication events of a report -------------

    def plan(self, plan: Plan, default_source: str | None) -> None:
        """Every operation of a release plan, in order: a later operation sees what earlier
        allowed ones write or delete. Each decision carries the file and line its operation
        was declared on."""
        for operation in plan.operations:
            origin = (plan.file, operation.line)
            for decision in self._plan_operation(operation, default_source, plan.file):
                self.report.record(replace(decision, origin=origin))

    def _plan_operation(
        self, operation: PlanOperation, default_source: str | None, file: str
    ) -> list[Decision]:
        match operation:
            case Push():
                return self._plan_push(operation, file)
            case Delete():
                return self.delete(operation.targets, artifact=operation.artifact)
            case Sign():
                return self.sign(operation.targets, operation.digest)
            case Copy():
                return self.copy(operation.source, operation.destination)
            case ReplicatePolicy():
                host = operation.source_host or default_source
                if host is None:
                    raise InputError(
                        f"line {operation.line}: replicate needs the Harbor holding policy {operation.policy} (source: HOST)"
                    )
                return self.replicate_policy(host, operation.policy)
            case Replicate():
                return self.retag(operation.source, operation.targets, Operation.REPLICATE)
            case Retag():
                return self.retag(operation.source, operation.targets, Operation.RETAG)

    def _plan_push(self, push: Push, file: str) -> list[Decision]:
        image = push.image
        if isinstance(image, DigestFile):  # the shell reads these first (`resolve_digest_files`)
            raise InputError(
                f"{file}:{push.line}: the digest in {image.kind} {image.path} was not read"
            )
        if isinstance(image, Reference):
            return self.push(push.targets, None, image)
        return self.push(push.targets, image, unknown=f"the image pushed at {file}:{push.line}")

    def impact(self, repositories: Sequence[Reference]) -> None:
        """Every existing tag of each repository whose immutability the proposed rules (a
        rules file) would change, both ways, against Harbor's own flag: one `rules-change`
        warning each."""
        sources = self.sources
        if not (sources.proposed_rules and isinstance(sources, ReplicationSources)):
            raise InputError(
                "impact compares a rules file with the flags a live Harbor reports: give "
                "--rules-file, and no --state-file"
            )
        for repository in repositories:
            if repository.tag is not None or repository.digest is not None:
                raise InputError(
                    f"impact takes repositories, without a tag: {repository.original!r}"
                )
            listed = sources.artifacts(repository.registry, repository.repository)
            self.remember(repository.registry, repository.repository, listed)
            readings = [*listed]
            for artifact in listed:  # the list leaves accessories out: a .sig tag is on one
                for accessory in artifact.accessories:
                    found = self.stored_artifact(
                        repository.registry, repository.repository, accessory.digest
                    )
                    readings.extend([found] if found is not None else [])
            for artifact in readings:
                for info in artifact.tags:
                    self._impact_of(repository, info)

    def _impact_of(self, repository: Reference, info: TagInfo) -> None:
        lock = self.lock(repository.with_tag(info.name), info.name)
        if info.immutable is not None and info.immutable != lock.immutable:
            tagged = repository.with_tag(info.name).original
            self.report.warn(
                Notice(
                    "rules-change",
                    f"{tagged}: {lock.change}",
                    repository.registry,
                    repository.project,
                    lock.rule_id,
                    tagged,
                )
            )

    def replicate_events(self, report: Report) -> None:
        """Warns, in `report`, where an event-based replication policy will replay a write
        or delete of it onto a destination tag that refuses it (see
        `tagguard.check.event_replication`)."""
        sources = self.sources
        if not isinstance(sources, ReplicationSources):
            return
        acted = [
            d
            for d in report.decisions
            if d.decision is Verdict.ALLOW and d.tag is not None and d.operation in _EVENTS
        ]
        for registry in sorted({d.registry for d in acted}):
            for policy in sources.policies(registry) or ():
                if policy.refusal() or policy.unsupported_destination() or not policy.event_based:
                    continue
                if policy.source_registry_url is not None:
                    continue
                sources.add_harbor(policy.destination_host, policy.destination_url)
                for decision in (d for d in acted if d.registry == registry):
                    self.replay(policy, decision)
        for notice in self.report.warnings:
            if notice.code == "replication-refused":
                report.warn(notice)


# Writes and deletes that fire Harbor's replication events (push artifact, create tag,
# delete tag, delete artifact).
_EVENTS = frozenset(
    {
        Operation.PUSH,
        Operation.RETAG,
        Operation.COPY,
        Operation.SIGN,
        Operation.DELETE,
        Operation.DELETE_ARTIFACT,
    }
)


@dataclass(frozen=True)
class _Reads:
    """The world's view of the sources: a session's cached reads."""

    session: Session

    def artifact(self, repo: RepoKey, reference: str) -> ArtifactInfo | None:
        return self.session.stored_artifact(repo[0], repo[1], reference)

    def parents(self, repo: RepoKey, digest: str) -> tuple[str, ...]:
        return self.session.stored_parents(repo[0], repo[1], digest)


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

    def add_harbor(self, host: str, url: str) -> None: ...

    def project(self, registry: str, name: str) -> ProjectInfo | None: ...

    def policies(self, registry: str) -> list[Policy] | None: ...


def _new_digest(target: Reference, digest: Digest | None) -> Digest | None:
    if digest is not None and target.digest is not None and digest != target.digest:
        raise InputError(
            f"reference {target.original!r} names digest {target.digest} but --digest "
            f"gives {digest}; give one of them"
        )
    return digest or target.digest
