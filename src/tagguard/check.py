"""The checks behind each command: references in, a Report out.

Each check opens one `Session` (`tagguard.session`), which decides, and tells the sources
first, once, every rules and tag question it will ask: a live Harbor answers them
concurrently (`shell.live`). This is the only place a run asks ahead. The session's
module, and the modules that decide (with `tagguard.release_plan`, `tagguard.replicate` and
`tagguard.impact` for the checks that run more than one operation), are imported only once
the questions are on their way, so that their loading (~14 ms) overlaps the first requests
(docs/performance.md); this module itself imports nothing a command has not imported already.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from tagguard.core.record import record
from tagguard.core.state import OfflineSources, Sources, questions
from tagguard.errors import InputError

if TYPE_CHECKING:
    from tagguard.core.decide import Operation, TagFacts
    from tagguard.core.plan import Plan
    from tagguard.core.reference import Reference
    from tagguard.core.report import Report
    from tagguard.core.rules import Evaluation
    from tagguard.session import Session


def open_session(
    sources: Sources, glob_version: str | None, asking: Iterable[Reference] = ()
) -> Session:
    """A run's session, the rules and state of `asking` asked for ahead (the run's one
    prefetch), then the deciding modules imported while the answers come. Files answer at
    once (`OfflineSources.prefetch` does nothing): they are told no questions, which take a
    large plan (40,000 references) 50 ms to work out."""
    if type(sources).prefetch is not OfflineSources.prefetch:
        sources.prefetch(*questions(asking))
    from tagguard.session import Session  # after asking: see the module's docstring

    return Session(sources, glob_version)


def check_push(
    sources: Sources,
    glob_version: str | None,
    targets: Sequence[Reference],
    digest: str | None,
    *,
    source: Reference | None = None,
) -> Report:
    session = open_session(sources, glob_version, [*targets, *([source] if source else [])])
    session.report.extend(session.push(targets, digest, source))
    return session.report


@record
class Image:
    """One image of a multi-image push (the docker plugin's): where it goes and its digest;
    `label` names the image in a verdict when its digest is unknown."""

    targets: tuple[Reference, ...]
    digest: str | None
    label: str


def check_images(sources: Sources, glob_version: str | None, images: Sequence[Image]) -> Report:
    """Several images pushed in one run: one session, every question asked ahead once."""
    session = open_session(sources, glob_version, [t for image in images for t in image.targets])
    for image in images:
        session.report.extend(session.push(image.targets, image.digest, unknown=image.label))
    return session.report


def check_retag(
    sources: Sources,
    glob_version: str | None,
    source: Reference,
    targets: Sequence[Reference],
    *,
    operation: Operation | None = None,  # None: a retag (else an explicit replication step)
) -> Report:
    session = open_session(sources, glob_version, [*targets, source])
    if operation is None:
        session.report.extend(session.retag(source, targets))
    else:
        session.report.extend(session.retag(source, targets, operation))
    return session.report


def check_copy(
    sources: Sources, glob_version: str | None, source: Reference, destination: Reference
) -> Report:
    session = open_session(sources, glob_version, [source])
    session.report.extend(session.copy(source, destination))
    return session.report


def check_delete(
    sources: Sources, glob_version: str | None, targets: Sequence[Reference], *, artifact: bool
) -> Report:
    session = open_session(sources, glob_version, targets)
    session.report.extend(session.delete(targets, artifact=artifact))
    return session.report


def check_sign(
    sources: Sources,
    glob_version: str | None,
    targets: Sequence[Reference],
    digest: str | None = None,
    *,
    recursive: bool = False,
) -> Report:
    session = open_session(sources, glob_version, targets)
    session.report.extend(session.sign(targets, digest, recursive=recursive))
    return session.report


def check_impact(
    sources: Sources, glob_version: str | None, repositories: Sequence[Reference]
) -> Report:
    """Every existing tag of each repository whose immutability the proposed rules (a rules
    file) would change, both ways, against Harbor's own flag: one `rules-change` warning each."""
    session = open_session(sources, glob_version)
    from tagguard.impact import impact  # after asking: see the module's docstring

    impact(session, repositories)
    return session.report


def event_replication(sources: Sources, glob_version: str | None, report: Report) -> None:
    """Warns where an event-based replication policy will replay a write or delete of the
    report onto a destination tag that refuses it (src/controller/event/handler/replication:
    pushes, new tags and - with `replicate_deletion` - deletes start a run at once; the
    destination Harbor checks the replayed write like any other). Reading the policies needs
    a system administrator; without one nothing is said."""
    session = open_session(sources, glob_version)
    from tagguard.replicate import Replication  # after asking: see the module's docstring

    Replication(session).events(report)


def check_replication(
    sources: Sources, glob_version: str | None, registry: str, policy_id: int
) -> Report:
    session = open_session(sources, glob_version)
    from tagguard.replicate import Replication  # after asking: see the module's docstring

    session.report.extend(Replication(session).policy(registry, policy_id))
    return session.report


def check_plan(
    sources: Sources, glob_version: str | None, plan: Plan, default_source: str | None = None
) -> Report:
    """Every operation of a release plan in one session (each question asked once), in order:
    a later operation sees what earlier allowed ones write or delete. Each decision carries
    the file and line its operation was declared on."""
    session = open_session(sources, glob_version, plan.references())
    from tagguard.release_plan import run_plan  # after asking: see the module's docstring

    run_plan(session, plan, default_source)
    return session.report


@record
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
    session = open_session(sources, glob_version)
    facts = session.tag_facts(target, target.tag) if with_state else None
    rules = session.answers.rules(target)
    return Explained(
        session.evaluate(target, target.tag),
        facts,
        rules.unavailable_reason,
        session.answers.glob_for(target.registry),
    )
