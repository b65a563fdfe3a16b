"""Where rules and tag state come from, as the checks see it.

The checks ask two questions: a project's rules, and the artifact a tag (or digest) points
at, with every tag it carries. A source answers them from files (offline) or from a live
Harbor, which also says whether it holds each tag immutable. A source that cannot answer
raises StateError (or a RemoteError): tagguard then cannot decide and fails closed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from tagguard.core.record import field, record, replace
from tagguard.errors import StateError

if TYPE_CHECKING:
    from tagguard.core.reference import Reference
    from tagguard.core.rules import Rule


@record
class TagInfo:
    name: str
    # Harbor's own `immutable` flag for the tag; None when the source does not know it.
    immutable: bool | None = None
    # When the tag was last pushed (Harbor's `push_time`); None when the source does not
    # say. Harbor lists an artifact's tags newest first, and a copy's push event names only
    # the first (see `World.event_tags`).
    push_time: datetime | None = field(default=None, compare=False)


# Harbor's accessory type of a cosign signature pushed by tag (`sha256-<hex>.sig`).
COSIGN = "signature.cosign"
# Harbor's cosign middleware (src/server/middleware/cosign/cosign.go, `cosignRe`) links a
# manifest PUT by tag `sha256-<hex>.sig` to the subject `sha256:<hex>`. Its `.` before `sig`
# is an unescaped regexp dot, so any one character stands there: `sha256-<hex>_sig` links too.
_COSIGN_TAG = re.compile(r"sha256-([a-f0-9]{64}).sig")


def cosign_subject(tag: str) -> str | None:
    """The digest whose cosign signature a tag of this name is, as Harbor links it."""
    found = _COSIGN_TAG.fullmatch(tag)
    return f"sha256:{found.group(1)}" if found else None


def cosign_tag(digest: str) -> str | None:
    """The tag cosign pushes `digest`'s signature under (None: a digest no such tag names)."""
    tag = f"sha256-{digest.removeprefix('sha256:')}.sig"
    return tag if cosign_subject(tag) == digest else None


def one_signature(digest: str = "--digest", recursive: str = "--recursive") -> str:
    """Why a signature's digest and a recursive signing do not go together, in the words
    of where they were given (the command line's options, a plan step's fields): the
    digest names one signature, and `cosign sign --recursive` pushes one per image."""
    return (
        f"{digest} names one signature, and cosign sign --recursive pushes a signature per "
        f"image: leave out {digest} with {recursive}"
    )


@record
class Accessory:
    """An artifact attached to another (its subject): a signature, an SBOM, an attestation.
    Harbor keeps it in the subject's repository and deletes and copies it with the subject."""

    digest: str
    kind: str  # Harbor's accessory type, e.g. "signature.cosign"


# Up to this many tags an artifact's tags are scanned; beyond, indexed once.
_SCANNED = 8


@record
class ArtifactInfo:
    digest: str
    tags: tuple[TagInfo, ...] = ()
    # An image index's children, by digest (Harbor's `references`).
    children: tuple[str, ...] = ()
    # The accessories linked to this artifact (Harbor's `accessories`, with_accessory=true).
    accessories: tuple[Accessory, ...] = ()
    # The names of the labels on the artifact (Harbor's `labels`, with_label=true).
    labels: tuple[str, ...] = ()
    # Whether `tags` are in the order Harbor's tag manager lists them (push time, then id,
    # both descending: the first is the one a copy's push event names), as an artifact
    # answer gives them. Its push times alone cannot say: they are to the millisecond, the
    # order is over microseconds (see `World.event_tags`).
    tags_in_harbor_order: bool = field(default=False, compare=False)

    def tag(self, name: str) -> TagInfo | None:
        if len(self.tags) <= _SCANNED:
            return next((t for t in self.tags if t.name == name), None)
        return self._tag_index.get(name)

    @functools.cached_property
    def _tag_index(self) -> dict[str, TagInfo]:
        """The tags by name, built on first use: an artifact of a big repository can carry
        thousands of tags, and each reference to one of them asks for its flag."""
        index: dict[str, TagInfo] = {}
        for info in self.tags:
            index.setdefault(info.name, info)  # the first of a repeated name, as a scan finds
        return index


def link_cosign(artifacts: Iterable[ArtifactInfo]) -> tuple[ArtifactInfo, ...]:
    """One repository's artifacts with each `sha256-<hex>.sig` tag's artifact linked as a
    cosign signature of the artifact `sha256:<hex>` when that is in the repository, as
    Harbor's cosign middleware links a signature pushed by tag."""
    listed = tuple(artifacts)
    present = {a.digest for a in listed}
    signatures: dict[str, list[Accessory]] = {}
    for artifact in listed:
        for info in artifact.tags:
            subject = cosign_subject(info.name)
            if subject is not None and subject in present and subject != artifact.digest:
                signatures.setdefault(subject, []).append(Accessory(artifact.digest, COSIGN))
    if not signatures:
        return listed
    linked = []
    for artifact in listed:
        extra = [s for s in signatures.get(artifact.digest, ()) if s not in artifact.accessories]
        linked.append(
            replace(artifact, accessories=(*artifact.accessories, *dict.fromkeys(extra)))
            if extra
            else artifact
        )
    return tuple(linked)


@record
class RepositoryState:
    """Everything in one repository: its artifacts, whole, indexed once by tag and digest."""

    artifacts: tuple[ArtifactInfo, ...] = ()
    _by_tag: dict[str, ArtifactInfo] = field(init=False, repr=False, compare=False)
    _by_digest: dict[str, ArtifactInfo] = field(init=False, repr=False, compare=False)
    _parents: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)
    _subjects: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Both forms of a state file follow Harbor's cosign convention.
        object.__setattr__(self, "artifacts", link_cosign(self.artifacts))
        by_digest = {a.digest: a for a in self.artifacts}
        by_tag = {info.name: a for a in self.artifacts for info in a.tags}
        parents: dict[str, list[str]] = {}
        for artifact in self.artifacts:
            for child in artifact.children:
                parents.setdefault(child, []).append(artifact.digest)
        object.__setattr__(self, "_by_tag", by_tag)
        object.__setattr__(self, "_by_digest", by_digest)
        object.__setattr__(self, "_parents", {c: tuple(p) for c, p in parents.items()})
        subjects: dict[str, list[str]] = {}
        for artifact in self.artifacts:
            for accessory in artifact.accessories:
                subjects.setdefault(accessory.digest, []).append(artifact.digest)
        object.__setattr__(self, "_subjects", {a: tuple(s) for a, s in subjects.items()})

    def parents(self, digest: str) -> tuple[str, ...]:
        """The artifacts whose index references `digest`."""
        return self._parents.get(digest, ())

    def subjects(self, digest: str) -> tuple[str, ...]:
        """The artifacts that list `digest` among their accessories."""
        return self._subjects.get(digest, ())

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> RepositoryState:
        """The flat form `{tag: digest}`: artifacts known only by their tags (no index
        children); cosign signature tags are linked to their subjects."""
        grouped: dict[str, list[TagInfo]] = {}
        for name, digest in sorted(tags.items()):
            grouped.setdefault(digest, []).append(TagInfo(name))
        return cls(tuple(ArtifactInfo(d, tuple(t)) for d, t in grouped.items()))

    def find(self, reference: str) -> ArtifactInfo | None:
        """The artifact a tag or digest names, None if the repository has no such one."""
        if ":" in reference:
            return self._by_digest.get(reference)
        return self._by_tag.get(reference)

    def tags(self) -> dict[str, str]:
        """tag -> digest."""
        return {info.name: a.digest for a in self.artifacts for info in a.tags}


@record
class ProjectInfo:
    """What a replication needs of a destination project (the caller names the project)."""

    # Harbor's `registry_id` names the upstream registry of a proxy-cache project; an
    # ordinary project has none (0). Harbor's own test is `Project.IsProxy`:
    # `RegistryID > 0` (src/pkg/project/models/project.go).
    proxy_cache: bool


@record
class ProjectRules:
    """A project's rules, or why they could not be read (`rules` is then None)."""

    rules: tuple[Rule, ...] | None
    unavailable_reason: str = ""


class Sources(Protocol):
    @property
    def live(self) -> bool:
        """Whether answers come from a live Harbor (which should report its version)."""
        ...

    def rules(self, registry: str, project: str) -> ProjectRules:
        """All of the project's immutability rules (or why they are unreadable)."""
        ...

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        """The artifact `reference` (a tag or a digest) names in a Harbor `project/repo`, with
        all its tags; None when no such tag or digest exists."""
        ...

    def digest(self, registry: str, repository: str, reference: str) -> str | None:
        """The digest a tag names in any registry (a retag's source); None if absent."""
        ...

    def harbor_version(self, registry: str) -> str | None:
        """The Harbor version the registry reports, None if it does not (or offline)."""
        ...

    @property
    def proposed_rules(self) -> bool:
        """Whether the rules are a proposal (a rules file) checked against Harbor's live
        state, whose `immutable` flags then come from other rules: the ones in force."""
        ...

    def guards(self, registry: str) -> bool:
        """Whether `registry` is a Harbor whose rules and artifacts this source reads."""
        ...

    def parents(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        """The artifacts of `project/repo` whose index references `digest`."""
        ...

    def subjects(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        """The artifacts of `project/repo` that list `digest` among their accessories."""
        ...

    def listing(self, registry: str, repository: str) -> Sequence[ArtifactInfo]:
        """Every artifact `project/repo` holds: Harbor's list and what it leaves out
        (accessories, untagged index children), read by digest; a state file's, all of it."""
        ...

    def prefetch(
        self, projects: Iterable[tuple[str, str]], tags: Mapping[tuple[str, str], set[str]]
    ) -> None:
        """Every rules and tag question a check will ask, told ahead (a live source asks
        them concurrently; files need no such plan). A name with `:` among the tags is a
        digest, asked on its own (an untagged child is in no list)."""
        ...

    def settle(self) -> None:
        """Waits for every answer asked for ahead, read or not; a failed one raises (fail
        closed), then lets go of what the source holds, as `close` does."""
        ...

    def close(self) -> None:
        """Drops what is still in flight (after a failure) and lets go of what the source
        holds; safe to call more than once, and after `settle`."""
        ...


@record
class RulesTable:
    """Rules for every project (`shared`), or per project name (`by_project`)."""

    shared: tuple[Rule, ...] | None = None
    by_project: Mapping[str, tuple[Rule, ...]] | None = None
    origin: str = "rules"

    def for_project(self, project: str) -> tuple[Rule, ...]:
        if self.shared is not None:
            return self.shared
        assert self.by_project is not None
        if project not in self.by_project:
            raise StateError(
                f"{self.origin} has no rules for project {project!r}; "
                f'add "{project}": [] if the project has none'
            )
        return self.by_project[project]


@record
class StateTable:
    """Each repository's artifacts, keyed `registry/project/repository`."""

    repositories: Mapping[str, RepositoryState]
    origin: str = "state"

    def repository(self, key: str) -> RepositoryState:
        if key not in self.repositories:
            raise StateError(
                f"{self.origin} does not list repository {key!r}, so its tags are unknown; "
                f'add "{key}": {{}} if it has none'
            )
        return self.repositories[key]

    def artifact(self, key: str, reference: str) -> ArtifactInfo | None:
        return self.repository(key).find(reference)


@record
class OfflineSources:
    """Answers from a rules file and a state file; never touches the network."""

    rules_table: RulesTable
    state_table: StateTable
    live: bool = False
    # --harbor-version: offline, no Harbor reports one.
    version: str | None = None

    def rules(self, registry: str, project: str) -> ProjectRules:
        return ProjectRules(self.rules_table.for_project(project))

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        return self.state_table.artifact(f"{registry}/{repository}", reference)

    def digest(self, registry: str, repository: str, reference: str) -> str | None:
        found = self.artifact(registry, repository, reference)
        return found.digest if found is not None else None

    def harbor_version(self, registry: str) -> str | None:
        return self.version

    @property
    def proposed_rules(self) -> bool:
        return False  # offline, there is no Harbor flag to set the rules against

    def guards(self, registry: str) -> bool:
        return True

    def parents(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        return self.state_table.repository(f"{registry}/{repository}").parents(digest)

    def subjects(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        return self.state_table.repository(f"{registry}/{repository}").subjects(digest)

    def listing(self, registry: str, repository: str) -> Sequence[ArtifactInfo]:
        return self.state_table.repository(f"{registry}/{repository}").artifacts

    def prefetch(
        self, projects: Iterable[tuple[str, str]], tags: Mapping[tuple[str, str], set[str]]
    ) -> None:
        return None  # files answer at once: nothing to ask ahead

    def settle(self) -> None:
        return None  # nothing was asked ahead

    def close(self) -> None:
        return None  # holds nothing open


def questions(
    refs: Iterable[Reference],
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], set[str]]]:
    """What checking `refs` will ask a Harbor: the (registry, project) whose rules it needs,
    and per (registry, repository) the tags whose state it needs (a digest reference names
    its artifact already). References outside any Harbor project are left out. Both are in
    the order of `refs`, each question where it is first needed: a live source asks them in
    that order, so that the check's first decisions wait for the first answers."""
    projects: dict[tuple[str, str], None] = {}
    tags: dict[tuple[str, str], set[str]] = {}
    for ref in refs:
        if "/" not in ref.repository or ref.registry == "docker.io":
            continue  # not a Harbor repository (a retag source elsewhere)
        projects[(ref.registry, ref.project)] = None
        if ref.tag is not None and ref.digest is None:
            tags.setdefault((ref.registry, ref.repository), set()).add(ref.tag)
    return list(projects), tags
