"""The checks behind each command: references in, a Report out.

They read rules and state only through a `Sources` object (files offline, Harbor live),
evaluate Harbor's rules, reconcile that with Harbor's own flag, and let `core.decide` give
the verdicts. Each project's rules and each artifact are asked for once per run, however
many references share them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tagguard.core import glob
from tagguard.core.decide import (
    Decision,
    Operation,
    TagFacts,
    decide_delete_artifact,
    decide_delete_tag,
    decide_write,
)
from tagguard.core.harbor_version import glob_version_for
from tagguard.core.immutability import reconcile
from tagguard.core.reference import Reference
from tagguard.core.report import Notice, Report
from tagguard.core.rules import Evaluation, evaluate
from tagguard.core.state import ArtifactInfo, ProjectRules, Sources
from tagguard.errors import InputError, StateError


@dataclass
class _Session:
    """Remembers what the sources said, so each question is asked once per run."""

    sources: Sources
    forced_glob: str | None  # --harbor-version; None: what each Harbor reports
    report: Report = field(default_factory=Report)
    _globs: dict[str, str] = field(default_factory=dict)
    _rules: dict[tuple[str, str], ProjectRules] = field(default_factory=dict)
    _artifacts: dict[tuple[str, str, str], ArtifactInfo | None] = field(default_factory=dict)

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
        key = (ref.registry, ref.repository, reference)
        if key not in self._artifacts:
            self._artifacts[key] = self.sources.artifact(*key)
        return self._artifacts[key]

    def evaluate(self, ref: Reference, tag: str) -> Evaluation | None:
        found = self.rules(ref)
        if found.rules is None:
            return None
        return evaluate(found.rules, ref.repository, tag, self.glob_for(ref.registry))

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
                        f"{registry} did not report its Harbor version (anonymous access hides it); "
                        "tagguard assumes the newest glob: give --harbor-version to be sure",
                        registry,
                    )
                )
            self._globs[registry] = glob_version_for(reported) if reported else glob.NEWEST
        return self._globs[registry]

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


def check_push(
    sources: Sources,
    glob_version: str | None,
    targets: Sequence[Reference],
    digest: str | None,
) -> Report:
    """Pushing one image (`digest`, None if unknown) to every target reference."""
    session = _Session(sources, glob_version)
    for target in targets:
        new = _new_digest(target, digest)
        session.report.record(_write(session, Operation.PUSH, target, new))
    return session.report


def check_retag(
    sources: Sources,
    glob_version: str | None,
    source: Reference,
    targets: Sequence[Reference],
) -> Report:
    """Writing every target tag from the digest `source` points at."""
    session = _Session(sources, glob_version)
    new = source.digest or _source_digest(sources, source)
    for target in targets:
        if target.tag is None:
            raise InputError(f"retag target {target.original!r} needs a tag, not only a digest")
        session.report.record(_write(session, Operation.RETAG, target, new, source=source))
    return session.report


def check_delete(
    sources: Sources,
    glob_version: str | None,
    targets: Sequence[Reference],
    *,
    artifact: bool,
) -> Report:
    """Deleting tags, or (artifact=True, or a reference by digest) whole artifacts."""
    session = _Session(sources, glob_version)
    for target in targets:
        if artifact or target.tag is None:
            session.report.record(_delete_artifact(session, target))
        else:
            assert target.tag is not None
            session.report.record(decide_delete_tag(target, session.tag_facts(target, target.tag)))
    return session.report


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
    session = _Session(sources, glob_version)
    facts = session.tag_facts(target, target.tag) if with_state else None
    rules = session.rules(target)
    return Explained(
        session.evaluate(target, target.tag),
        facts,
        rules.unavailable_reason,
        session.glob_for(target.registry),
    )


def _new_digest(target: Reference, digest: str | None) -> str | None:
    if digest is not None and target.digest is not None and digest != target.digest:
        raise InputError(
            f"reference {target.original!r} names digest {target.digest} but --digest "
            f"gives {digest}; give one of them"
        )
    return digest or target.digest


def _write(
    session: _Session,
    operation: Operation,
    target: Reference,
    new: str | None,
    *,
    source: Reference | None = None,
) -> Decision:
    if target.tag is None:
        return decide_write(operation, target, None, new, source=source)
    return decide_write(
        operation, target, session.tag_facts(target, target.tag), new, source=source
    )


def _source_digest(sources: Sources, ref: Reference) -> str:
    assert ref.tag is not None
    digest = sources.digest(ref.registry, ref.repository, ref.tag)
    if digest is None:
        raise StateError(f"source {ref.original!r} does not exist, so there is no image to retag")
    return digest


def _delete_artifact(session: _Session, target: Reference) -> Decision:
    reference = target.digest or target.tag
    assert reference is not None
    found = session.artifact(target, reference)
    named = target.digest is not None and target.tag is not None
    if found is not None and named and found.tag(target.tag or "") is None:
        raise InputError(
            f"reference {target.original!r}: tag {target.tag} is not on artifact {target.digest}"
        )
    if found is None:
        return decide_delete_artifact(target, None, [])
    # Only tags can lock an artifact: one that no tag points at is deletable whatever it is.
    tags = [session.facts(target, info.name, found) for info in found.tags]
    return decide_delete_artifact(target, found.digest, tags)
