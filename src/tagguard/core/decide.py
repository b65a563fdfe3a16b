"""The verdicts: what Harbor will do with one write, from its rules and the current state.

Pure functions, no I/O. Harbor refuses (HTTP 412) a manifest push by tag when that tag
already exists and is immutable, even for the identical digest; it refuses deleting an
immutable tag and deleting an artifact that carries one. A tag that does not exist yet is
always accepted (and is immutable from then on). So for a write:

* allow - the tag is absent or mutable: Harbor accepts it;
* skip  - the registry already holds exactly this digest under the tag: pushing is
          unnecessary (and for an immutable tag it would fail), so CI should leave it out;
* block - it would move or delete an immutable tag: Harbor will refuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from tagguard.core.reference import Reference
from tagguard.core.rules import Evaluation, RuleFailure


class Verdict(StrEnum):
    ALLOW = "allow"
    SKIP = "skip"
    BLOCK = "block"


class Operation(StrEnum):
    PUSH = "push"
    RETAG = "retag"
    DELETE = "delete"
    DELETE_ARTIFACT = "delete-artifact"


@dataclass(frozen=True)
class Decision:
    """One verdict, with the facts it rests on. Field names are the JSON contract."""

    operation: Operation
    reference: str
    registry: str
    project: str
    repository: str
    tag: str | None
    decision: Verdict
    immutable: bool | None
    current_digest: str | None
    new_digest: str | None
    rule_id: int | None
    reason: str
    from_reference: str | None = None
    failures: tuple[RuleFailure, ...] = field(default=(), compare=False)


def _short(digest: str | None) -> str:
    if digest is None:
        return "an unknown digest"
    algorithm, _, hex_part = digest.partition(":")
    return f"{algorithm}:{hex_part[:12]}"


def _lock(evaluation: Evaluation) -> str:
    return f"rule {evaluation.rule_id}"


def _decision(
    operation: Operation,
    target: Reference,
    verdict: Verdict,
    reason: str,
    *,
    evaluation: Evaluation | None,
    current: str | None,
    new: str | None,
    immutable: bool | None = None,
    source: Reference | None = None,
) -> Decision:
    if immutable is None and evaluation is not None:
        immutable = evaluation.immutable
    failures = (evaluation.failure,) if evaluation is not None and evaluation.failure else ()
    return Decision(
        operation=operation,
        reference=target.original,
        registry=target.registry,
        project=target.project,
        repository=target.repository,
        tag=target.tag,
        decision=verdict,
        immutable=immutable,
        current_digest=current,
        new_digest=new,
        rule_id=evaluation.rule_id if evaluation is not None else None,
        reason=reason,
        from_reference=source.original if source is not None else None,
        failures=failures,
    )


def _fail_open_note(evaluation: Evaluation) -> str:
    if evaluation.failure is None:
        return ""
    return f"; it is mutable only because {evaluation.failure.sentence()}"


def decide_write(
    operation: Operation,
    target: Reference,
    evaluation: Evaluation | None,
    current: str | None,
    new: str | None,
    *,
    source: Reference | None = None,
) -> Decision:
    """A manifest PUT of `new` (None: unknown) under `target`'s tag.

    `current` is the digest the tag points at now, None if the tag does not exist.
    `evaluation` is None only for a push by digest, which creates no tag.
    """

    def make(verdict: Verdict, reason: str) -> Decision:
        return _decision(
            operation,
            target,
            verdict,
            reason,
            evaluation=evaluation,
            current=current,
            new=new,
            source=source,
        )

    if target.tag is None or evaluation is None:
        return make(Verdict.ALLOW, "a push by digest creates no tag, and Harbor never checks it")
    tag = target.tag
    if current is None:
        if evaluation.immutable:
            return make(
                Verdict.ALLOW,
                f"tag {tag} does not exist yet, so Harbor accepts it; "
                f"{_lock(evaluation)} makes it immutable from then on",
            )
        return make(Verdict.ALLOW, f"tag {tag} does not exist yet, so Harbor accepts it")
    if new is not None and new == current:
        if evaluation.immutable:
            return make(
                Verdict.SKIP,
                f"tag {tag} already points at {_short(new)}: the push is unnecessary, and "
                f"Harbor would refuse it because {_lock(evaluation)} makes the tag immutable",
            )
        return make(
            Verdict.SKIP, f"tag {tag} already points at {_short(new)}: the push is unnecessary"
        )
    if evaluation.immutable:
        if new is None:
            return make(
                Verdict.BLOCK,
                f"tag {tag} exists ({_short(current)}) and {_lock(evaluation)} makes it "
                "immutable; without the new image's digest a re-push of the same image "
                "cannot be told from a move, so give the digest (--digest) to let "
                "identical re-runs be skipped",
            )
        return make(
            Verdict.BLOCK,
            f"tag {tag} is immutable ({_lock(evaluation)}): Harbor refuses to move it from "
            f"{_short(current)} to {_short(new)}",
        )
    moved = f"moves from {_short(current)} to {_short(new)}"
    return make(Verdict.ALLOW, f"tag {tag} is mutable, so it {moved}{_fail_open_note(evaluation)}")


def decide_delete_tag(target: Reference, evaluation: Evaluation, current: str | None) -> Decision:
    """Deleting one tag (the artifact stays)."""

    def make(verdict: Verdict, reason: str) -> Decision:
        return _decision(
            Operation.DELETE,
            target,
            verdict,
            reason,
            evaluation=evaluation,
            current=current,
            new=None,
        )

    tag = target.tag
    if current is None:
        return make(
            Verdict.ALLOW, f"tag {tag} does not exist, so there is nothing Harbor would refuse"
        )
    if evaluation.immutable:
        return make(
            Verdict.BLOCK,
            f"tag {tag} is immutable ({_lock(evaluation)}): Harbor refuses to delete it",
        )
    return make(
        Verdict.ALLOW, f"tag {tag} is mutable, so Harbor deletes it{_fail_open_note(evaluation)}"
    )


def decide_delete_artifact(
    target: Reference,
    digest: str | None,
    tag_evaluations: Sequence[Evaluation],
) -> Decision:
    """Deleting the artifact `digest` (None: not found): refused if any of its tags is immutable."""
    locked = next((e for e in tag_evaluations if e.immutable), None)
    failures = tuple(e.failure for e in tag_evaluations if e.failure is not None)
    if digest is None:
        verdict, reason, lock = (
            Verdict.ALLOW,
            "the artifact does not exist, so there is nothing Harbor would refuse",
            None,
        )
    elif locked is not None:
        verdict, lock = Verdict.BLOCK, locked
        reason = (
            f"artifact {_short(digest)} carries tag {locked.tag}, which is immutable "
            f"({_lock(locked)}): Harbor refuses to delete the artifact"
        )
    else:
        verdict, lock = Verdict.ALLOW, None
        count = len(tag_evaluations)
        reason = (
            f"artifact {_short(digest)} has no tags, so Harbor deletes it"
            if count == 0
            else f"none of the artifact's {count} tag(s) is immutable, so Harbor deletes it"
        )
    decision = _decision(
        Operation.DELETE_ARTIFACT,
        target,
        verdict,
        reason,
        evaluation=lock,
        current=digest,
        new=None,
        immutable=locked is not None if digest is not None else None,
    )
    return replace(decision, failures=failures) if failures else decision
