"""Where rules and tag state come from, as the checks see it.

The checks ask two questions: a project's rules, and the artifact a tag (or digest) points
at, with every tag it carries. A source answers them from files (offline) or from a live
Harbor, which also says whether it holds each tag immutable. A source that cannot answer
raises StateError (or a RemoteError): tagguard then cannot decide and fails closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tagguard.core.rules import Rule
from tagguard.errors import StateError

if TYPE_CHECKING:
    from tagguard.core.reference import Reference


@dataclass(frozen=True)
class TagInfo:
    name: str
    # Harbor's own `immutable` flag for the tag; None when the source does not know it.
    immutable: bool | None = None


@dataclass(frozen=True)
class ArtifactInfo:
    digest: str
    tags: tuple[TagInfo, ...] = ()

    def tag(self, name: str) -> TagInfo | None:
        return next((t for t in self.tags if t.name == name), None)


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class StateTable:
    """Tags of each repository, keyed `registry/project/repository`."""

    repositories: Mapping[str, Mapping[str, str]]
    origin: str = "state"

    def tags_of(self, key: str) -> Mapping[str, str]:
        if key not in self.repositories:
            raise StateError(
                f"{self.origin} does not list repository {key!r}, so its tags are unknown; "
                f'add "{key}": {{}} if it has none'
            )
        return self.repositories[key]


def artifact_from_tags(tags: Mapping[str, str], reference: str) -> ArtifactInfo | None:
    """The artifact a tag or digest names, from a tag -> digest table (flags unknown)."""
    digest = reference if ":" in reference else tags.get(reference)
    if digest is None:
        return None
    carried = tuple(TagInfo(name) for name, d in sorted(tags.items()) if d == digest)
    return ArtifactInfo(digest, carried)


@dataclass(frozen=True)
class OfflineSources:
    """Answers from a rules file and a state file; never touches the network."""

    rules_table: RulesTable
    state_table: StateTable
    live: bool = False

    def rules(self, registry: str, project: str) -> ProjectRules:
        return ProjectRules(self.rules_table.for_project(project))

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        tags = self.state_table.tags_of(f"{registry}/{repository}")
        return artifact_from_tags(tags, reference)

    def digest(self, registry: str, repository: str, reference: str) -> str | None:
        found = self.artifact(registry, repository, reference)
        return found.digest if found is not None else None

    def harbor_version(self, registry: str) -> str | None:
        return None


def questions(
    refs: Iterable[Reference],
) -> tuple[set[tuple[str, str]], dict[tuple[str, str], set[str]]]:
    """What checking `refs` will ask a Harbor: the (registry, project) whose rules it needs,
    and per (registry, repository) the tags whose state it needs (a digest reference names
    its artifact already). References outside any Harbor project are left out."""
    projects: set[tuple[str, str]] = set()
    tags: dict[tuple[str, str], set[str]] = {}
    for ref in refs:
        if "/" not in ref.repository or ref.registry == "docker.io":
            continue  # not a Harbor repository (a retag source elsewhere)
        projects.add((ref.registry, ref.project))
        if ref.tag is not None and ref.digest is None:
            tags.setdefault((ref.registry, ref.repository), set()).add(ref.tag)
    return projects, tags
