"""Replication, checked through a run's session: what a push-based policy will write into
its destination Harbor (`tagguard replicate`, a plan's `replicate` step), and what
event-based policies replay of a run's own writes and deletes.

Which artifacts a policy selects, and in what order, is Harbor's (`core.replication`); each
write goes through the session's simulation, so it sees what the run's earlier operations
and the policy's earlier writes left.
"""

from __future__ import annotations

from tagguard.core.decide import Decision, Event, Operation, Verdict
from tagguard.core.record import field, record
from tagguard.core.reference import Reference, parse_reference
from tagguard.core.replication import FilterPatternError, Policy, Write
from tagguard.core.report import Notice, Report
from tagguard.core.state import Accessory, ArtifactInfo, ProjectInfo, TagInfo, cosign_tag
from tagguard.core.world import Digest, RepoKey, Unknown, short
from tagguard.errors import InputError, StateError
from tagguard.session import Carried, ReplicationSources, Session, landing


@record(frozen=False)
class Replication:
    """The replications of one session. It remembers, for the session's whole run, each
    destination project: whether a replication writes there (a proxy cache it does not)."""

    session: Session
    _projects: dict[tuple[str, str], bool] = field(default_factory=dict)
    # Destination projects as Harbor answered (None: it has no such project), each asked once.
    _found: dict[tuple[str, str], ProjectInfo | None] = field(default_factory=dict)

    def policy(self, registry: str, policy_id: int) -> list[Decision]:
        """What a push-based replication policy of the Harbor at `registry` will do in the
        destination Harbor it names: artifact by artifact, each with its accessories and
        their own tags, each write seeing what the earlier ones (and the run's earlier
        operations) left. Selection and order are Harbor's (`core.replication`)."""
        sources = self.session.sources
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
        source_glob = self.session.answers.glob_for(registry)
        stored_names = sources.repositories(registry)
        names = dict.fromkeys([*stored_names, *self.session.world.written_repositories(registry)])
        chosen = [name for name in names if policy.selects_repository(name, source_glob)]
        listed = set(stored_names)
        selected = self._writes(policy, registry, chosen, [n for n in chosen if n in listed])
        self._ask_destination(registry, destination, selected)
        decisions: list[Decision] = []
        writers: dict[str, set[str]] = {}  # destination reference -> source repositories
        for name, write in selected:
            decision = self._write(policy, registry, name, destination, write)
            if decision is not None:
                decisions.append(decision)
                writers.setdefault(decision.reference, set()).add(name)
        self._warn_races(policy, writers)
        return self.session.record(decisions)

    def _writes(
        self, policy: Policy, registry: str, chosen: list[str], listed: list[str]
    ) -> list[tuple[str, Write]]:
        """What the policy writes of the `chosen` source repositories (`listed`: those Harbor
        lists), each with its repository, in Harbor's order. Read from the source alone, so
        all of them are known before the first is decided (the destination is another
        Harbor: writing there changes no source listing), and read together: the lists of
        every repository at once, then each level of the selected artifacts' accessories
        and children."""
        sources = self.session.sources
        assert isinstance(sources, ReplicationSources)
        glob = self.session.answers.glob_for(registry)
        stored = sources.artifact_lists(registry, listed)
        # What each listed artifact references or carries: `_listed` asks whether each is
        # still there, one after another.
        reached = {
            (registry, name): {
                d for a in artifacts for d in (*a.children, *(x.digest for x in a.accessories))
            }
            for name, artifacts in stored.items()
        }
        wanted = {repo: digests for repo, digests in reached.items() if digests}
        if wanted:
            sources.prefetch([], wanted)
        selected = {
            name: policy.select(name, self._listed((registry, name), stored.get(name, [])), glob)
            for name in chosen
        }
        related = self._related(registry, selected)
        return [
            (name, write)
            for name, artifacts in selected.items()
            for artifact in artifacts
            for write in policy.writes(name, artifact, related[name, artifact.digest], glob)
        ]

    def _ask_destination(
        self, registry: str, destination: str, selected: list[tuple[str, Write]]
    ) -> None:
        """Every question the writes will ask the destination Harbor, asked together (a live
        source: concurrently), rather than one request after another as they are decided:
        the rules of each project they write into, each destination tag, and for each
        manifest a write PUTs (its index's children first) whether the destination holds
        it and the signature it may keep for it (`World._with_kept`). A project that does
        not exist (Harbor creates it, with no rules) or is a proxy cache (skipped) holds
        nothing to ask."""
        sources = self.session.sources
        assert isinstance(sources, ReplicationSources)
        projects: set[tuple[str, str]] = set()
        wanted: dict[RepoKey, set[str]] = {}
        for name, write in selected:
            project = write.repository.split("/", 1)[0]
            found = self._project(destination, project)
            if found is None or found.proxy_cache:
                continue
            projects.add((destination, project))
            origin, target = _ends(registry, name, destination, write)
            names = wanted.setdefault((destination, write.repository), set())
            names.update(n for n in (write.tag, write.digest, cosign_tag(write.digest)) if n)
            names.update(landing(self.session.carried(origin, write.digest, [target])))
        if wanted:
            sources.prefetch(sorted(projects), wanted)

    def _listed(self, repo: RepoKey, stored: list[ArtifactInfo]) -> list[ArtifactInfo]:
        """The artifacts Harbor's list of `repo` shows once the run's operations are done,
        as they are then. The list leaves accessories out (they travel with their subject)
        and untagged children of an index (`both` and `notacc`, pkg/artifact/dao)."""
        world = self.session.world
        self.session.answers.remember(repo, stored)
        nodes = world.artifacts(repo, stored)
        accessories = {a.digest for node in nodes for a in node.accessories}
        in_list = {info.digest for info in stored}
        return [
            self._current_artifact(repo, node.digest)
            for node in nodes
            if isinstance(node.digest, str)
            and node.digest not in accessories
            and (node.digest in in_list or world.tags_on(repo, node.digest))
        ]

    def _warn_races(self, policy: Policy, writers: dict[str, set[str]]) -> None:
        """Harbor runs a policy's tasks concurrently, newest repository first: when two
        source repositories write one destination tag, which one lands first (and which is
        refused or kept) is a race; tagguard's verdicts assume one order."""
        for reference, names in writers.items():
            if len(names) > 1:
                self.session.report.warn(
                    Notice(
                        "replication-race",
                        f"replication policy {policy.id}: {', '.join(sorted(names))} all write "
                        f"{reference}; Harbor runs them concurrently, so which one lands (and "
                        "which is refused or kept) is not fixed",
                        reference=reference,
                    )
                )

    def _handle(
        self, policies: list[Policy], decision: Decision, digest: Digest, tags: tuple[str, ...]
    ) -> None:
        """One event Harbor fires for `decision` (event/handler.go `Handle`): the listening
        policies whose filters select it each start an execution. A malformed pattern in any
        of them fails the handler, which then starts none."""
        deleting = decision.operation in (Operation.DELETE, Operation.DELETE_ARTIFACT)
        event = ArtifactInfo(
            digest if isinstance(digest, str) else "",
            tuple(TagInfo(t) for t in tags),
            labels=self._event_labels(decision, digest) if deleting else (),
        )
        glob_version = self.session.answers.glob_for(decision.registry)
        try:
            related = [
                p
                for p in policies
                if p.selects_event(decision.repository, event, glob_version, deleted=deleting)
            ]
        except FilterPatternError as error:
            self._failed(
                f"{error.detail}: Harbor's replication event handler fails on the event of "
                f"{_replayed(decision, digest)} and starts no policy for it, so none replays it"
            )
            return
        for policy in related:
            if policy.unsupported_destination() is None:
                self._replay_event(policy, decision, digest, event)

    def _failed(self, message: str) -> None:
        self.session.report.warn(Notice("replication-failed", message))

    def _replay_event(
        self,
        policy: Policy,
        decision: Decision,
        digest: Digest,
        event: ArtifactInfo,
    ) -> None:
        """One event's execution, its policy's filters having selected it (`_handle`): its
        tags in turn (by digest if none); a delete stops at the first refusal (transfer.go
        `delete` returns the error). A destination name Harbor cannot make fails the
        execution (flow/stage.go `replaceNamespace`)."""
        deleting = decision.operation in (Operation.DELETE, Operation.DELETE_ARTIFACT)
        try:
            writes = policy.writes_of_event(decision.repository, event)
        except InputError as error:
            self._failed(f"{error.message}, started by the event of {_replayed(decision, digest)}")
            return
        destination = policy.destination_host
        for write in writes:
            project = write.repository.split("/", 1)[0]
            if write.tag is None and not deleting:
                continue  # a push by digest: Harbor never checks it
            if deleting and not self._destination_exists(destination, project):
                continue
            if not deleting and not self._destination_project(policy, destination, project):
                continue
            at = f":{write.tag}" if write.tag is not None else f"@{write.digest}"
            target = parse_reference(f"{destination}/{write.repository}{at}")
            origin = parse_reference(decision.reference, default_tag=None)
            if deleting:
                replayed = (
                    self.session.sim.delete_tag(target)
                    if decision.operation is Operation.DELETE
                    else self.session.sim.delete_artifact(target)
                )
            else:
                # The execution copies the image as a policy run does, children first.
                node, children = self.session.carried(origin, digest, [target])
                replayed = self.session.sim.replicate_tag(
                    target,
                    digest,
                    override=policy.override,
                    origin=origin,
                    owner="",
                    node=node,
                    children=children,
                )
            if replayed.decision is Verdict.BLOCK:
                self.session.report.warn(
                    Notice(
                        "replication-refused",
                        f"replication policy {policy.id} ({policy.name}) replays "
                        f"{_replayed(decision, digest)} onto {target.original} at "
                        f"once, and Harbor there refuses it: {replayed.reason}",
                        target.registry,
                        target.project,
                        replayed.rule_id,
                        target.original,
                    )
                )
                if deleting:
                    return  # transfer.go `delete` stops at the first destination error

    def _event_labels(self, decision: Decision, digest: Digest) -> tuple[str, ...]:
        """The labels a delete event carries: the deleted artifact's at the time of the
        delete (deleteDeeply's DeleteArtifactEventMetadata, the DeleteTag handler's
        DeleteTagEventMetadata, v2.15.2), which a policy's label filters select on: those
        the sources report, none once the run has deleted it before (`unlabelled`). A push
        event carries none (`Ensure`)."""
        if not isinstance(digest, str) or digest in decision.unlabelled:
            return ()
        stored = self.session.world.stored((decision.registry, decision.repository), digest)
        return stored.labels if stored is not None else ()

    def _write(
        self, policy: Policy, registry: str, name: str, destination: str, write: Write
    ) -> Decision | None:
        project = write.repository.split("/", 1)[0]
        if not self._destination_project(policy, destination, project):
            return None
        origin, target = _ends(registry, name, destination, write)
        owner = "an accessory" if write.accessory else ""
        # What the artifact's index references is PUT into the destination ahead of it.
        carried = self.session.carried(origin, write.digest, [target])
        if write.tag is None:
            node, children = carried
            return self.session.sim.replicate_digest(
                target, write.digest, origin=origin, node=node, children=children
            )
        return self._tag(policy, origin, target, write.digest, owner, carried)

    def _destination_exists(self, destination: str, project: str) -> bool:
        """Whether a replayed delete reaches `project`: the deletion flow never prepares the
        destination (flow/deletion.go `Run` calls no `prepareForPush`), so a missing project
        is not created and holds nothing to delete, and a proxy cache is deleted from too."""
        if (destination, project) in self._projects:  # a write's: it exists, or was created
            return True
        return self._project(destination, project) is not None

    def _project(self, destination: str, project: str) -> ProjectInfo | None:
        """The destination's project as Harbor answers it (None: no such project)."""
        cached = (destination, project)
        if cached not in self._found:
            sources = self.session.sources
            assert isinstance(sources, ReplicationSources)
            self._found[cached] = sources.project(destination, project)
        return self._found[cached]

    def _destination_project(self, policy: Policy, destination: str, project: str) -> bool:
        """Whether the replication writes into `project` of the destination: Harbor creates
        one that does not exist (with no rules), and skips a proxy-cache project
        (`PrepareForPush`, src/pkg/reg/adapter/harbor/base/adapter.go)."""
        cached = (destination, project)
        if cached not in self._projects:
            found = self._project(destination, project)
            self._projects[cached] = found is None or not found.proxy_cache
            if found is None:
                self.session.answers.create_project(destination, project)
                self.session.report.warn(
                    Notice(
                        "project-created",
                        f"replication policy {policy.id}: project {project} does not exist in "
                        f"{destination}; Harbor creates it, with no immutability rules",
                        destination,
                        project,
                    )
                )
            elif found.proxy_cache:
                self.session.report.warn(
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
        world = self.session.world
        node = world.node(repo, digest)
        return ArtifactInfo(
            digest,
            tuple(TagInfo(t) for t in world.tags_on(repo, digest)),
            node.children if node is not None else (),
            tuple(
                Accessory(a.digest, a.kind)
                for a in (node.accessories if node is not None else ())
                if isinstance(a.digest, str) and world.node(repo, a.digest) is not None
            ),
            world.labels(repo, digest),
        )

    def _related(
        self, registry: str, selected: dict[str, list[ArtifactInfo]]
    ) -> dict[tuple[str, str], dict[str, ArtifactInfo]]:
        """Every accessory (recursively) and index child of each selected artifact, by its
        repository and digest, read whole: one request each, the cost the replication's
        accessories add, each level of all of them asked together."""
        related: dict[tuple[str, str], dict[str, ArtifactInfo]] = {}
        level: list[tuple[tuple[str, str], str]] = []  # (the artifact's key, a digest to read)
        for name, artifacts in selected.items():
            for artifact in artifacts:
                owner = (name, artifact.digest)
                related[owner] = {}
                level += [(owner, a.digest) for a in artifact.accessories]
                level += [(owner, child) for child in artifact.children]
        while level:
            wanted: dict[RepoKey, set[str]] = {}
            for (name, _), digest in level:
                wanted.setdefault((registry, name), set()).add(digest)
            self.session.sources.prefetch([], wanted)
            deeper: list[tuple[tuple[str, str], str]] = []
            for owner, digest in level:
                if digest in related[owner]:
                    continue
                found = self._current_artifact((registry, owner[0]), digest)
                related[owner][digest] = found
                deeper += [(owner, a.digest) for a in found.accessories]
            level = deeper
        return related

    def _tag(
        self,
        policy: Policy,
        origin: Reference,
        target: Reference,
        digest: str,
        owner: str,
        carried: Carried,
    ) -> Decision:
        node, children = carried
        decision = self.session.sim.replicate_tag(
            target,
            digest,
            override=policy.override,
            origin=origin,
            owner=owner,
            node=node,
            children=children,
        )
        if decision.decision is Verdict.SKIP and decision.current_digest != digest:
            self.session.report.warn(
                Notice(
                    "replication-stale",
                    f"policy {policy.id} ({policy.name}): {target.original} keeps its old image "
                    f"({decision.current_digest}); set override to replace it",
                    target.registry,
                    target.project,
                )
            )
        return decision

    def events(self, report: Report) -> None:
        """Warns, in `report`, where an event-based replication policy will replay a write
        or delete of it onto a destination tag that refuses it (see
        `tagguard.check.event_replication`)."""
        sources = self.session.sources
        if not isinstance(sources, ReplicationSources):
            return
        acted = [d for d in report.decisions if _fires(d)]
        for registry in sorted({d.registry for d in acted}):
            # Every listening policy is filtered (a malformed one fails the handler), even
            # one whose destination tagguard cannot predict; only Harbors are replayed onto.
            listening = [p for p in sources.policies(registry) or () if p.listens]
            for policy in listening:
                if policy.unsupported_destination() is None:
                    sources.add_harbor(policy.destination_host, policy.destination_url)
            for decision in (d for d in acted if d.registry == registry):
                for digest, tags in _events(decision):
                    self._handle(listening, decision, digest, tags)
        for notice in self.session.report.warnings:
            if notice.code in ("replication-refused", "replication-failed"):
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


def _fires(decision: Decision) -> bool:
    """Whether Harbor fires replication events for `decision`. A copy's events are the
    copy's, carried by its first decision whatever that one tag's verdict (a root already
    in the destination still fires its event: copyDeeply's `goto ensureArt`)."""
    if decision.operation is Operation.COPY:
        return bool(decision.copy_events)
    return (
        decision.decision is Verdict.ALLOW
        and decision.operation in _EVENTS
        and (decision.tag is not None or decision.operation is Operation.DELETE_ARTIFACT)
    )


def _events(decision: Decision) -> list[Event]:
    """The events Harbor fires for `decision`, each as (digest, tags). An artifact's delete
    fires one per accessory deleteDeeply deletes as a root, with that accessory's own tags,
    then the artifact's own with all its tags (controller.go `deleteDeeply`, v2.15.2). A
    copy fires one per artifact it ensures, naming one tag (`Ensure`, `option.Tags[0]`);
    where which one is unknown, each that may be it is replayed, so no refusal is missed.
    Any other operation, one event about its one tag."""
    if decision.operation is Operation.COPY:
        return list(decision.copy_events)
    if decision.operation is Operation.DELETE_ARTIFACT:
        digest: Digest = decision.current_digest or Unknown(f"the artifact {decision.reference}")
        return [*decision.deleted_accessories, (digest, decision.deleted_tags)]
    assert decision.tag is not None
    deleting = decision.operation is Operation.DELETE
    found = decision.current_digest if deleting else decision.new_digest
    return [(found or Unknown(f"the image written to {decision.reference}"), (decision.tag,))]


def _ends(registry: str, name: str, destination: str, write: Write) -> tuple[Reference, Reference]:
    """Where a policy's write reads from (`registry`'s repository `name`) and what it writes
    in the destination Harbor: by its tag, or by its digest."""
    at = f":{write.tag}" if write.tag is not None else f"@{write.digest}"
    return (
        parse_reference(f"{registry}/{name}{at}"),
        parse_reference(f"{destination}/{write.repository}{at}"),
    )


def _replayed(decision: Decision, digest: Digest) -> str:
    """What a refusal says was replayed. A copy's events are the copy's, one per artifact
    (its first decision names one tag, maybe not the event's)."""
    if decision.operation is Operation.COPY:
        return (
            f"the push event of {short(digest)} that copying {decision.from_reference} into "
            f"{decision.registry}/{decision.repository} fires"
        )
    return f"{decision.operation.value} of {decision.reference}{_accessory_event(decision, digest)}"


def _accessory_event(decision: Decision, digest: Digest) -> str:
    """How a refusal names the event of an accessory deleted with the artifact."""
    if any(digest == d for d, _ in decision.deleted_accessories):
        return f" (its accessory {short(digest)}, deleted with it, fires its own event)"
    return ""
