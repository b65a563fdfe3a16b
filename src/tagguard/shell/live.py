"""Sources that read a live Harbor (rules, tags, version) and any registry (retag sources).

Rules and state may also come from files while the rest is live: a rules file then stands in
for the project's rules (to try a rule before adding it), a state file for the tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tagguard.core.replication import Policy, parse_policy
from tagguard.core.state import (
    ArtifactInfo,
    ProjectRules,
    RulesTable,
    StateTable,
    artifact_from_tags,
)
from tagguard.errors import InputError
from tagguard.shell.harbor import HarborClient
from tagguard.shell.registry import RegistryClient


@dataclass
class LiveSources:
    harbors: dict[str, HarborClient]  # registry host -> its Harbor API
    registry: RegistryClient
    rules_table: RulesTable | None = None
    state_table: StateTable | None = None
    live: bool = True
    # Makes a client for a Harbor found along the way (a replication's destination).
    connect: Callable[[str, str], HarborClient] | None = None
    _versions: dict[str, str | None] = field(default_factory=dict)

    def add_harbor(self, host: str, url: str) -> None:
        """Reaches `host` at `url` unless --harbor-url already said where it is."""
        if host not in self.harbors:
            if self.connect is None:
                raise InputError(f"{host} is not a Harbor tagguard may connect to")
            self.harbors[host] = self.connect(host, url)

    # -- a replication's source ------------------------------------------------------------

    def policy(self, registry: str, policy_id: int) -> Policy:
        client = self.harbor(registry)
        return parse_policy(
            client.policy(policy_id), f"replication policy {policy_id} from {client.host}"
        )

    def repositories(self, registry: str) -> list[str]:
        return self.harbor(registry).repositories()

    def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]:
        project, _, rest = repository.partition("/")
        return self.harbor(registry).artifacts(project, rest)

    def harbor(self, registry: str) -> HarborClient:
        client = self.harbors.get(registry)
        if client is None:
            raise InputError(f"{registry} is not a Harbor tagguard was pointed at (--harbor-url)")
        return client

    def harbor_version(self, registry: str) -> str | None:
        if registry not in self._versions:
            self._versions[registry] = self.harbor(registry).version()
        return self._versions[registry]

    def rules(self, registry: str, project: str) -> ProjectRules:
        if self.rules_table is not None:
            return ProjectRules(self.rules_table.for_project(project))
        return self.harbor(registry).rules(project)

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        if self.state_table is not None:
            return artifact_from_tags(
                self.state_table.tags_of(f"{registry}/{repository}"), reference
            )
        project, _, rest = repository.partition("/")
        return self.harbor(registry).artifact(project, rest, reference)

    def digest(self, registry: str, repository: str, reference: str) -> str | None:
        if registry in self.harbors or self.state_table is not None:
            found = self.artifact(registry, repository, reference)
            return found.digest if found is not None else None
        return self.registry.digest(registry, repository, reference)
