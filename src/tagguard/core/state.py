"""Where rules and tag state come from, as the checks see it.

The checks ask two questions, per Harbor and project or repository; a source answers
them from files (offline) or from a live Harbor. A source that cannot answer raises
StateError: tagguard then cannot decide and fails closed (exit 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from tagguard.core.rules import Rule
from tagguard.errors import StateError


class Sources(Protocol):
    def rules(self, registry: str, project: str) -> tuple[Rule, ...]:
        """The project's immutability rules, all of them."""
        ...

    def tags(self, registry: str, repository: str) -> Mapping[str, str]:
        """Every tag of `project/repo` that the check needs, mapped to its digest; a tag
        missing from the answer does not exist."""
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


@dataclass(frozen=True)
class OfflineSources:
    """Answers from a rules file and a state file; never touches the network."""

    rules_table: RulesTable
    state_table: StateTable

    def rules(self, registry: str, project: str) -> tuple[Rule, ...]:
        return self.rules_table.for_project(project)

    def tags(self, registry: str, repository: str) -> Mapping[str, str]:
        return self.state_table.tags_of(f"{registry}/{repository}")
