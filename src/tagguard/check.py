"""The checks behind each command: references in, a Report out.

They read rules and state only through a `Sources` object (files offline, Harbor live),
evaluate Harbor's rules, reconcile that with Harbor's own flag, and let `core.decide` give
the verdicts. All checks of one run share a `Session`, so each project's rules, each
Harbor's version and each artifact are asked for once, however many operations share them
(a release plan's fifty operations included).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from tagguard.core import glob
from tagguard.core.decide import (
    Decision,
    Operation,
    TagFacts,
    Verdict,
    decide_delete_artifact,
    decide_delete_tag,
    decide_replication,
    decide_write,
)
from tagguard.core.harbor_version import glob_version_for
from tagguard.core.immutability import reconcile
from tagguard.core.plan import Plan, PlanOperation
from tagguard.core.reference import Reference, parse_reference
from tagguard.core.replication import Policy
from tagguard.core.report import Notice, Report
from tagguard.core.rules import Evaluation, evaluate
from tagguard.core.state import ArtifactInfo, ProjectRules, Sources, TagInfo, questions
from tagguard.errors import InputError, StateError


@dataclass
class Session:
    """One run: the sources, and everything they said, so each question is asked once."""

    sources: Sources
    forced_glob: str | None = None  # --harbor-version; None: what each Harbor reports
    report: Report = field(default_factory=Report)
    _rules: dict[tuple[str, str], ProjectRules] = field(default_factory=dict)
    _artifacts: dict[tuple[str, str, str], ArtifactInfo | None] = field(default_factory=dict)
    _digests: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    _globs: dict[str, str] = field(default_factory=dict)
    # A plan's operations run in order: with `simulate`, each allowed write or delete is
    # remembered, so later operations see the tags earlier ones create, move or remove.
    simulate: bool = False
    # (registry, repository) -> tag -> the digest written there (None: deleted). Kept by
    # repository: an artifact is rebuilt from its own repository's writes only, which keeps
    # a long plan linear.
    _written: dict[tuple[str, str], dict[str, str | None]] = field(default_factory=dict)

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

    def artifact(self, ref: Reference, reference: str) -> ArtifactInfo | None:
        found = self._stored_artifact(ref, reference)
        if (ref.registry, ref.repository) not in self._written:
            return found
        return self._simulated_artifact(ref, reference, found)

    def _stored_artifact(self, ref: Reference, reference: str) -> ArtifactInfo | None:
        key = (ref.registry, ref.repository, reference)
        if key not in self._artifacts:
            self._artifacts[key] = self.sources.artifact(*key)
        return self._artifacts[key]

    def _simulated_artifact(
        self, ref: Reference, reference: str, stored: ArtifactInfo | None
    ) -> ArtifactInfo | None:
        """The artifact as the plan's earlier operations will have left it: tags they wrote
        join it, tags they moved away or deleted leave it."""
        written_here = self._written[(ref.registry, ref.repository)]
        if ":" in reference:
            digest: str | None = reference
        elif reference in written_here:
            digest = written_here[reference]
        else:
            digest = stored.digest if stored is not None else None
        if digest is None:
            return None
        base = stored if stored is not None and stored.digest == digest else None
        if base is None:
            base = self._stored_artifact(ref, digest)
        tags = {t.name: t for t in (base.tags if base is not None else ())}
        for tag, written in written_here.items():
            if written == digest:
                tags.setdefault(tag, TagInfo(tag))
            else:
                tags.pop(tag, None)
        if base is None and not tags:
            return None
        return ArtifactInfo(digest, tuple(sorted(tags.values(), key=lambda t: t.name)))

    def source_digest(self, ref: Reference) -> str:
        """The digest a source reference (any registry) points at; it must exist."""
        if ref.digest is not None:
            return ref.digest
        assert ref.tag is not None
        key = (ref.registry, ref.repository, ref.tag)
        written = self._written.get((ref.registry, ref.repository), {}).get(ref.tag)
        if written is not None:
            return written
        if key not in self._digests:
            self._digests[key] = self.sources.digest(*key)
        digest = self._digests[key]
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
        if self.forced_glob is None and ref.registry not in self._globs:
            # Most rules mean the same under both globs Harbor has linked: then which one this
            # Harbor links does not matter, and asking it would cost a request.
            newest = evaluate(found.rules, ref.repository, tag, glob.V1_3_4)
            if newest == evaluate(found.rules, ref.repository, tag, glob.V1_1_1):
                return newest
        return evaluate(found.rules, ref.repository, tag, self.glob_for(ref.registry))

    def prefetch(self, refs: Iterable[Reference]) -> None:
        """Tells a source that can plan (a live Harbor) every rules and tag question ahead,
        so it asks the fewest requests, concurrently."""
        plan = getattr(self.sources, "prefetch", None)
        if plan is not None:
            plan(*questions(refs))

    def facts(self, ref: Reference, tag: str, artifact: ArtifactInfo | None) -> TagFacts:
        """Where `tag` points (given the artifact it names, if any) and whether it is locked."""
        info = artifact.tag(tag) if artifact is not None else None
        current = artifact.digest if info is not None and artifact is not None else None
        flag = info.immutable if info is not None else None
        found = self.rules(ref)
        lock = reconcile(self.evaluate(ref, tag), flag, found.unavailable_reason)
        return TagFacts(tag, current, lock)

    def tag_facts(self, ref: Reference, tag: str) -> TagFacts:
        return self.facts(ref, tag, self.artifact(ref, tag))

    def remember(self, decision: Decision) -> None:
        """In a plan, what an allowed operation will have changed for the ones after it."""
        if not self.simulate or decision.decision is not Verdict.ALLOW or decision.tag is None:
            return
        if decision.operation is Operation.DELETE:
            digest = None
        elif decision.operation is not Operation.DELETE_ARTIFACT and decision.new_digest:
            digest = decision.new_digest
        else:
            return
        self._written.setdefault((decision.registry, decision.repository), {})[decision.tag] = (
            digest
        )

    # -- the operations, each returning its decisions ---------------------------------------

    def push(
        self, targets: Sequence[Reference], digest: str | None, source: Reference | None = None
    ) -> list[Decision]:
        """Pushing one image (`digest`, or the one `source` names; None if unknown)."""
        if source is not None:
            digest = self.source_digest(source)
        return [
            self._write(Operation.PUSH, target, _new_digest(target, digest), source)
            for target in targets
        ]

    def retag(
        self,
        source: Reference,
        targets: Sequence[Reference],
        operation: Operation = Operation.RETAG,
    ) -> list[Decision]:
        """Writing every target tag from the digest `source` points at (a retag, or an
        explicit replication step such as `crane copy` or `skopeo copy`)."""
        new = self.source_digest(source)
        for target in targets:
            if target.tag is None:
                raise InputError(f"target {target.original!r} needs a tag, not only a digest")
        return [self._write(operation, target, new, source) for target in targets]

    def copy(self, source: Reference, destination: Reference) -> list[Decision]:
        """Harbor's copy (`POST .../artifacts?from=`): every tag of the source artifact goes
        into the destination repository; one immutable tag there fails the whole copy."""
        if destination.tag is not None or destination.digest is not None:
            raise InputError(
                f"copy destination {destination.original!r} is a repository: give no tag or digest"
            )
        name = source.digest or source.tag
        assert name is not None
        artifact = self.artifact(source, name)
        if artifact is None:
            raise StateError(f"copy source {source.original!r} does not exist")
        self.prefetch([destination.with_tag(info.name) for info in artifact.tags])
        decisions: list[Decision] = []
        if not artifact.tags:
            decisions.append(
                decide_write(Operation.COPY, destination, None, artifact.digest, source=source)
            )
        for info in artifact.tags:
            target = destination.with_tag(info.name)
            facts = self.tag_facts(target, info.name)
            decisions.append(
                decide_write(Operation.COPY, target, facts, artifact.digest, source=source)
            )
        blocked = [d.tag for d in decisions if d.decision is Verdict.BLOCK]
        if blocked and len(decisions) > len(blocked):
            self.report.warn(
                Notice(
                    "copy-fails-whole",
                    f"copying {source.original} to {destination.original} fails as a whole: tag "
                    f"{blocked[0]} is immutable there, so none of the {len(decisions)} tags is copied",
                    destination.registry,
                    destination.project,
                )
            )
        return decisions

    def delete(self, targets: Sequence[Reference], *, artifact: bool) -> list[Decision]:
        """Deleting tags, or (artifact=True, or a reference by digest) whole artifacts."""
        decisions = []
        for target in targets:
            if artifact or target.tag is None:
                decisions.append(self._delete_artifact(target))
            else:
                assert target.tag is not None
                decisions.append(decide_delete_tag(target, self.tag_facts(target, target.tag)))
        return decisions

    def replicate_policy(self, registry: str, policy_id: int) -> list[Decision]:
        """What a push-based replication policy of the Harbor at `registry` will do, tag by
        tag, in the destination Harbor it names."""
        sources = self.sources
        if not isinstance(sources, ReplicationSources):
            raise InputError("replication policies are read from a live Harbor, not from files")
        policy = sources.policy(registry, policy_id)
        if policy.source_registry_url is not None:
            raise InputError(
                f"replication policy {policy_id} pulls from {policy.source_registry_url}; tagguard "
                "checks push-based policies (run it against the source Harbor's policy)"
            )
        if not policy.destination_url:
            raise InputError(f"replication policy {policy_id} names no destination registry")
        destination = policy.destination_host
        sources.add_harbor(destination, policy.destination_url)
        self._warn_policy(policy, registry)
        source_glob = self.glob_for(registry)
        decisions = []
        for name in sources.repositories(registry):
            if not policy.selects_repository(name, source_glob):
                continue
            target_name = policy.destination_name(name)
            for found in sources.artifacts(registry, name):
                for info in found.tags:
                    if policy.selects_tag(info.name, source_glob):
                        origin = parse_reference(f"{registry}/{name}:{info.name}")
                        target = parse_reference(f"{destination}/{target_name}:{info.name}")
                        decisions.append(self._replicate_tag(policy, origin, target, found.digest))
        return decisions

    # -- helpers ----------------------------------------------------------------------------

    def _write(
        self, operation: Operation, target: Reference, new: str | None, source: Reference | None
    ) -> Decision:
        if target.tag is None:
            return decide_write(operation, target, None, new, source=source)
        facts = self.tag_facts(target, target.tag)
        return decide_write(operation, target, facts, new, source=source)

    def _delete_artifact(self, target: Reference) -> Decision:
        reference = target.digest or target.tag
        assert reference is not None
        found = self.artifact(target, reference)
        named = target.digest is not None and target.tag is not None
        if found is not None and named and found.tag(target.tag or "") is None:
            raise InputError(
                f"reference {target.original!r}: tag {target.tag} is not on artifact {target.digest}"
            )
        if found is None:
            return decide_delete_artifact(target, None, [])
        # Only tags can lock an artifact: one no tag points at is deletable whatever it is.
        tags = [self.facts(target, info.name, found) for info in found.tags]
        return decide_delete_artifact(target, found.digest, tags)

    def _replicate_tag(
        self, policy: Policy, origin: Reference, target: Reference, digest: str
    ) -> Decision:
        assert target.tag is not None
        facts = self.tag_facts(target, target.tag)
        decision = replace(
            decide_replication(target, facts, digest, override=policy.override),
            from_reference=origin.original,
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

    def _warn_policy(self, policy: Policy, registry: str) -> None:
        if not policy.enabled:
            self.report.warn(
                Notice(
                    "policy-disabled",
                    f"replication policy {policy.id} is disabled: it runs only when started by hand",
                    registry,
                )
            )
        for flt in policy.unsupported_filters():
            self.report.warn(
                Notice(
                    "filter-not-evaluated",
                    f"replication policy {policy.id}: the {flt.type!r} filter is not evaluated, so "
                    "tagguard checks every artifact the other filters select (more, not fewer)",
                    registry,
                )
            )


@runtime_checkable
class ReplicationSources(Sources, Protocol):
    """What a policy check needs beyond the usual questions: the source Harbor's policy and
    listings, and a way to reach the destination Harbor the policy names."""

    def policy(self, registry: str, policy_id: int) -> Policy: ...

    def repositories(self, registry: str) -> list[str]: ...

    def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]: ...

    def add_harbor(self, host: str, url: str) -> None: ...


def _new_digest(target: Reference, digest: str | None) -> str | None:
    if digest is not None and target.digest is not None and digest != target.digest:
        raise InputError(
            f"reference {target.original!r} names digest {target.digest} but --digest "
            f"gives {digest}; give one of them"
        )
    return digest or target.digest


# -- one command, one check: a session and its report ---------------------------------------


def check_push(
    sources: Sources,
    glob_version: str | None,
    targets: Sequence[Reference],
    digest: str | None,
    *,
    source: Reference | None = None,
) -> Report:
    session = Session(sources, glob_version)
    session.prefetch([*targets, *([source] if source else [])])
    session.report.extend(session.push(targets, digest, source))
    return session.report


def check_retag(
    sources: Sources,
    glob_version: str | None,
    source: Reference,
    targets: Sequence[Reference],
    *,
    operation: Operation = Operation.RETAG,
) -> Report:
    session = Session(sources, glob_version)
    session.prefetch([*targets, source])
    session.report.extend(session.retag(source, targets, operation))
    return session.report


def check_copy(
    sources: Sources, glob_version: str | None, source: Reference, destination: Reference
) -> Report:
    session = Session(sources, glob_version)
    session.prefetch([source])
    session.report.extend(session.copy(source, destination))
    return session.report


def check_delete(
    sources: Sources, glob_version: str | None, targets: Sequence[Reference], *, artifact: bool
) -> Report:
    session = Session(sources, glob_version)
    session.prefetch(targets)
    session.report.extend(session.delete(targets, artifact=artifact))
    return session.report


def check_replication(
    sources: Sources, glob_version: str | None, registry: str, policy_id: int
) -> Report:
    session = Session(sources, glob_version)
    session.report.extend(session.replicate_policy(registry, policy_id))
    return session.report


def check_plan(
    sources: Sources, glob_version: str | None, plan: Plan, default_source: str | None = None
) -> Report:
    """Every operation of a release plan in one session (each question asked once), in order:
    a later operation sees what earlier allowed ones write or delete. Each decision carries
    the file and line its operation was declared on."""
    session = Session(sources, glob_version, simulate=True)
    session.prefetch(
        ref
        for operation in plan.operations
        for ref in (*operation.targets, *filter(None, (operation.source, operation.destination)))
    )
    for operation in plan.operations:
        origin = (plan.file, operation.line)
        for decision in _plan_operation(session, operation, default_source):
            session.remember(decision)
            session.report.record(replace(decision, origin=origin))
    return session.report


def _plan_operation(
    session: Session, operation: PlanOperation, default_source: str | None
) -> list[Decision]:
    if operation.kind == "push":
        digest = operation.digest_source[1] if operation.digest_source else None
        return session.push(operation.targets, digest, operation.source)
    if operation.kind == "delete":
        return session.delete(operation.targets, artifact=operation.artifact)
    if operation.kind == "copy":
        assert operation.source is not None
        assert operation.destination is not None
        return session.copy(operation.source, operation.destination)
    if operation.kind == "replicate" and operation.policy is not None:
        host = operation.policy_source or default_source
        if host is None:
            raise InputError(
                f"line {operation.line}: replicate needs the Harbor holding policy {operation.policy} (source: HOST)"
            )
        return session.replicate_policy(host, operation.policy)
    assert operation.source is not None
    kind = Operation.REPLICATE if operation.kind == "replicate" else Operation.RETAG
    return session.retag(operation.source, operation.targets, kind)


@dataclass(frozen=True)
class Explained:
    evaluation: Evaluation | None  # None when the rules cannot be read
    facts: TagFacts | None  # None when the state was not asked for
    unavailable_reason: str
    glob_version: str


def explain(
    sources: Sources, glob_version: str | None, target: Reference, *, with_state: bool = True
) -> Explained:
    """Harbor's evaluation of the target's tag, rule by rule, and what Harbor reports."""
    if target.tag is None:
        raise InputError(f"{target.original!r} names no tag; explain needs one, e.g. :1.0")
    session = Session(sources, glob_version)
    facts = session.tag_facts(target, target.tag) if with_state else None
    rules = session.rules(target)
    return Explained(
        session.evaluate(target, target.tag),
        facts,
        rules.unavailable_reason,
        session.glob_for(target.registry),
    )
