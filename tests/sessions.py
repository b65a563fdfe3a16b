"""Sessions over sources held in memory, for the tests of the check layer: `tagguard.session`,
the `tagguard.answers` it reads through, and what builds on it (`release_plan`, `replicate`,
`impact`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from tagguard.core import glob
from tagguard.core.reference import Reference, parse_reference
from tagguard.core.replication import Policy, parse_policy
from tagguard.core.rules import parse_rules
from tagguard.core.state import (
    ArtifactInfo,
    OfflineSources,
    ProjectInfo,
    ProjectRules,
    RepositoryState,
    RulesTable,
    StateTable,
)
from tagguard.session import Session
from tests.builders import policy_json, rule_json

A, B, C = (f"sha256:{c * 64}" for c in "abc")
# Every project, in every Harbor: tags starting with v are immutable.
RULES = parse_rules([rule_json(1, tag="v*")], "rules")
DESTINATION = "dr.example.com"  # the Harbor policy_json replicates to


class Offline(OfflineSources):
    """Offline sources that record what is asked ahead."""

    asked: list[dict[tuple[str, str], set[str]]]

    def __init__(self, state: Mapping[str, RepositoryState]) -> None:
        super().__init__(RulesTable(shared=RULES), StateTable(state))
        object.__setattr__(self, "asked", [])

    def prefetch(
        self, projects: Iterable[tuple[str, str]], tags: Mapping[tuple[str, str], set[str]]
    ) -> None:
        self.asked.append(dict(tags))


class Harbor(Offline):
    """Sources as a live Harbor (and the destination its policies name) answers them: the
    replication policies, repository and artifact listings, projects. `proxies` are the
    destination's proxy-cache projects; a project no repository of the state is in does
    not exist. Counts the project questions."""

    policies_by_id: dict[int, Policy]
    proxies: frozenset[str]
    proposed: bool
    project_questions: list[tuple[str, str]]
    reached: list[tuple[str, str]]

    def __init__(
        self,
        state: Mapping[str, RepositoryState],
        policies: Sequence[Policy] = (),
        *,
        proxies: Iterable[str] = (),
        proposed: bool = False,
    ) -> None:
        super().__init__(state)
        object.__setattr__(self, "live", True)
        object.__setattr__(self, "policies_by_id", {p.id: p for p in policies})
        object.__setattr__(self, "proxies", frozenset(proxies))
        object.__setattr__(self, "proposed", proposed)
        object.__setattr__(self, "project_questions", [])
        object.__setattr__(self, "reached", [])

    @property
    def proposed_rules(self) -> bool:
        return self.proposed

    def policy(self, registry: str, policy_id: int) -> Policy:
        return self.policies_by_id[policy_id]

    def policies(self, registry: str) -> list[Policy] | None:
        return list(self.policies_by_id.values())

    def repositories(self, registry: str) -> list[str]:
        prefix = f"{registry}/"
        return [
            k.removeprefix(prefix) for k in self.state_table.repositories if k.startswith(prefix)
        ]

    def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]:
        """Harbor's artifact list: no accessory, no untagged child of an index (the
        `notacc` and `both` filters of src/pkg/artifact/dao)."""
        state = self.state_table.repository(f"{registry}/{repository}")
        return [
            a
            for a in state.artifacts
            if not state.subjects(a.digest) and (a.tags or not state.parents(a.digest))
        ]

    def artifact_lists(
        self, registry: str, repositories: Sequence[str]
    ) -> dict[str, list[ArtifactInfo]]:
        return {r: self.artifacts(registry, r) for r in repositories}

    def add_harbor(self, host: str, url: str) -> None:
        self.reached.append((host, url))

    def project(self, registry: str, name: str) -> ProjectInfo | None:
        self.project_questions.append((registry, name))
        prefix = f"{registry}/{name}/"
        if not any(k.startswith(prefix) for k in self.state_table.repositories):
            return None
        return ProjectInfo(proxy_cache=name in self.proxies)


class Counting(Harbor):
    """A live Harbor that counts the rules, artifact, parents and version questions, and
    answers `version` when asked its own."""

    calls: list[tuple[str, str]]
    version: str | None

    def __init__(self, state: dict[str, RepositoryState], version: str | None = None) -> None:
        super().__init__(state)
        object.__setattr__(self, "calls", [])
        object.__setattr__(self, "version", version)

    def rules(self, registry: str, project: str) -> ProjectRules:
        self.calls.append(("rules", project))
        return super().rules(registry, project)

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        self.calls.append(("artifact", reference))
        return super().artifact(registry, repository, reference)

    def parents(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        self.calls.append(("parents", digest))
        return super().parents(registry, repository, digest)

    def harbor_version(self, registry: str) -> str | None:
        self.calls.append(("version", registry))
        return self.version


def policy(**changes: object) -> Policy:
    """policy_json's push-based policy (id 4, to dr.example.com, override on), changed."""
    return parse_policy(policy_json(**changes), "test policy")


def ref(text: str, default_tag: str | None = "latest") -> Reference:
    return parse_reference(text, harbor=True, default_tag=default_tag)


def session(state: Mapping[str, RepositoryState] | None = None) -> Session:
    """A session over offline sources: by default h.io/p/app holds v1 (A) and dev (B), and
    h.io/q/app is empty."""
    if state is None:
        state = {
            "h.io/p/app": RepositoryState.from_tags({"v1": A, "dev": B}),
            "h.io/q/app": RepositoryState(),
        }
    return Session(Offline(state), glob.NEWEST)
