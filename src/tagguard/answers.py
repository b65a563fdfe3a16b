"""What the sources answered in one run: each question asked once.

A run's operations, and the checks built on them, ask the same things again and again: a
release plan's fifty operations share a few projects' rules, one Harbor's version and many
artifacts. `Answers` asks the run's `Sources` each question once and keeps the answer, and
warns once in the run's report where an answer leaves a verdict less sure (rules that
cannot be read, a Harbor that does not say its version). It is the world's `Reader`
(`tagguard.core.world`), so what the run's operations read is asked once too.

It knows what the sources say as they are, not what the run's operations do to them: that
is the world's, and the session's (`tagguard.session`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from tagguard.core import glob
from tagguard.core.harbor_version import glob_version_for
from tagguard.core.record import field, record
from tagguard.core.reference import Reference
from tagguard.core.report import Notice, Report
from tagguard.core.state import ArtifactInfo, ProjectRules, Sources
from tagguard.core.world import RepoKey


@record(frozen=False)
class Answers:
    """The sources of one run, and everything they said so far."""

    sources: Sources
    report: Report
    forced_glob: str | None = None  # --harbor-version; None: what each Harbor reports
    _rules: dict[tuple[str, str], ProjectRules] = field(default_factory=dict)
    _artifacts: dict[tuple[str, str, str], ArtifactInfo | None] = field(default_factory=dict)
    _parents: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)
    _subjects: dict[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)
    _digests: dict[tuple[str, str, str], str | None] = field(default_factory=dict)
    _listings: dict[RepoKey, tuple[ArtifactInfo, ...]] = field(default_factory=dict)
    _globs: dict[str, str] = field(default_factory=dict)
    _versions: dict[str, str | None] = field(default_factory=dict)
    # The destination projects a replication creates: they hold nothing yet.
    _missing: set[tuple[str, str]] = field(default_factory=set)
    # The rules whose ignored fields were warned about (by identity: the Rule objects of a
    # file's shared table are the same for every project).
    _told_rules: set[int] = field(default_factory=set)

    def rules(self, ref: Reference) -> ProjectRules:
        """The rules of `ref`'s project; rules that cannot be read are warned about once."""
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
            for rule in found.rules or ():
                # A file's rules for every project are one table: each rule is told once.
                if rule.ignored and id(rule) not in self._told_rules:
                    self._told_rules.add(id(rule))
                    self.report.warn(
                        Notice(
                            "ignored-field",
                            f"project {ref.project}: {rule.ignored_sentence()}",
                            ref.registry,
                            ref.project,
                            rule.id,
                        )
                    )
        return self._rules[key]

    def artifact(self, repo: RepoKey, reference: str) -> ArtifactInfo | None:
        """What a tag or digest of `repo` names as stored (None: absent)."""
        registry, repository = repo
        if self._created(registry, repository):
            return None  # a project a replication creates holds nothing yet
        key = (registry, repository, reference)
        if key not in self._artifacts:
            found = self.sources.artifact(*key)
            self._artifacts[key] = found
            if found is not None:
                self.remember(repo, [found])
        return self._artifacts[key]

    def remember(self, repo: RepoKey, listed: Iterable[ArtifactInfo]) -> None:
        """Artifacts of `repo` read whole (one answer, or a list): each answers for its
        digest and for each of its tags, so none is asked for again."""
        for found in listed:
            for name in (found.digest, *(t.name for t in found.tags)):
                self._artifacts.setdefault((*repo, name), found)

    def parents(self, repo: RepoKey, digest: str) -> tuple[str, ...]:
        """The artifacts of `repo` whose index references `digest`, as stored."""
        return self._related(self._parents, self.sources.parents, repo, digest)

    def subjects(self, repo: RepoKey, digest: str) -> tuple[str, ...]:
        """The artifacts of `repo` that list `digest` among their accessories, as stored."""
        return self._related(self._subjects, self.sources.subjects, repo, digest)

    def _related(
        self,
        known: dict[tuple[str, str, str], tuple[str, ...]],
        read: Callable[[str, str, str], tuple[str, ...]],
        repo: RepoKey,
        digest: str,
    ) -> tuple[str, ...]:
        """Artifacts of `repo` related to `digest`, read once: none in a repository this run
        creates (it holds nothing yet)."""
        registry, repository = repo
        if self._created(registry, repository):
            return ()
        key = (registry, repository, digest)
        if key not in known:
            known[key] = read(*key)
        return known[key]

    def listing(self, repo: RepoKey) -> tuple[ArtifactInfo, ...]:
        """Every artifact `repo` holds (`Sources.listing`), read once: none in a repository
        this run creates. Each then answers for its tags and digest."""
        registry, repository = repo
        if self._created(registry, repository):
            return ()
        if repo not in self._listings:
            self._listings[repo] = tuple(self.sources.listing(registry, repository))
            self.remember(repo, self._listings[repo])
        return self._listings[repo]

    def digest(self, registry: str, repository: str, reference: str) -> str | None:
        """The digest a tag names in any registry (a source outside the Harbors the
        sources guard); None if absent."""
        key = (registry, repository, reference)
        if key not in self._digests:
            self._digests[key] = self.sources.digest(*key)
        return self._digests[key]

    def glob_for(self, registry: str) -> str:
        """The doublestar release the Harbor at `registry` links (asked once)."""
        if self.forced_glob is not None:
            return self.forced_glob
        if registry not in self._globs:
            reported = self.harbor_version(registry)
            self._globs[registry] = glob_version_for(reported) if reported else glob.NEWEST
        return self._globs[registry]

    def harbor_version(self, registry: str) -> str | None:
        """The version the Harbor at `registry` reports (or --harbor-version gives), asked
        once; a live Harbor that hides it is warned about once, as the newest is assumed."""
        if registry not in self._versions:
            reported = self.sources.harbor_version(registry)
            if reported is None and self.sources.live:
                self.report.warn(
                    Notice(
                        "version-unknown",
                        f"{registry} did not report its Harbor version (anonymous access hides "
                        "it); tagguard assumes the newest release: give --harbor-version to be sure",
                        registry,
                    )
                )
            self._versions[registry] = reported
        return self._versions[registry]

    def known_glob(self, registry: str) -> str | None:
        """The glob of `registry` if it costs no question: forced, or asked already."""
        if self.forced_glob is not None:
            return self.forced_glob
        return self._globs.get(registry)

    def create_project(self, registry: str, project: str) -> None:
        """A project a replication creates: it has no rules and holds nothing, so nothing
        about it is asked of the sources."""
        self._rules[(registry, project)] = ProjectRules(())
        self._missing.add((registry, project))

    def _created(self, registry: str, repository: str) -> bool:
        # Asked on every read: most runs create no project, and then nothing is split.
        return bool(self._missing) and (registry, repository.split("/", 1)[0]) in self._missing
