"""A rules change, checked through a session (`tagguard impact`): every existing tag whose
immutability the proposed rules (a rules file) would change, both ways, against the flag a
live Harbor reports now."""

from __future__ import annotations

from collections.abc import Sequence

from tagguard.core.reference import Reference
from tagguard.core.report import Impact, Notice
from tagguard.core.state import TagInfo
from tagguard.errors import InputError
from tagguard.session import ReplicationSources, Session


def impact(session: Session, repositories: Sequence[Reference]) -> None:
    """One `rules-change` warning in the session's report per tag of `repositories` whose
    immutability would change, and the counts (`Report.impact`): it decides no write, so
    its verdict counts say nothing."""
    sources = session.sources
    if not (sources.proposed_rules and isinstance(sources, ReplicationSources)):
        raise InputError(
            "impact compares a rules file with the flags a live Harbor reports: give "
            "--rules-file, and no --state-file"
        )
    session.report.impact = Impact()  # 0 tags read, where the repositories hold none
    for repository in repositories:
        if repository.tag is not None or repository.digest is not None:
            raise InputError(f"impact takes repositories, without a tag: {repository.original!r}")
        # Every artifact the repository holds: Harbor's list leaves out accessories (a
        # signature's .sig tag is on one), their own accessories, and untagged index
        # children with theirs (`cosign sign --recursive` signs each); the live listing
        # reads them too, each level's at once.
        for artifact in session.answers.listing((repository.registry, repository.repository)):
            for info in artifact.tags:
                _impact_of(session, repository, info)


def _impact_of(session: Session, repository: Reference, info: TagInfo) -> None:
    lock = session.lock(repository.with_tag(info.name), info.name)
    changes = info.immutable is not None and info.immutable != lock.immutable
    session.report.impact = _counted(session.report.impact or Impact(), lock.immutable, changes)
    if changes:
        tagged = repository.with_tag(info.name).original
        session.report.warn(
            Notice(
                "rules-change",
                f"{tagged}: {lock.change}",
                repository.registry,
                repository.project,
                lock.rule_id,
                tagged,
            )
        )


def _counted(counts: Impact, immutable: bool | None, changes: bool) -> Impact:
    """`counts` with one more tag read, which the proposal makes `immutable` if it `changes`."""
    return Impact(
        counts.tags + 1,
        counts.immutable + (changes and immutable is True),
        counts.mutable + (changes and immutable is False),
    )
