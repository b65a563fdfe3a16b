"""The verdicts: what Harbor will do with one write, from its rules and the current state.

Pure functions, no I/O. Harbor refuses (HTTP 412) a manifest push by tag when that tag
already exists and is immutable, even for the identical digest; it refuses deleting an
immutable tag and deleting an artifact that carries one. A tag that does not exist yet is
always accepted (and is immutable from then on). So for a write:

* allow - the tag is absent or mutable: Harbor accepts it;
* skip  - the registry already holds exactly this digest under the tag: pushing is
          unnecessary (and for an immutable tag it would fail), so CI should leave it out;
* block - it would move or delete an immutable tag: Harbor will refuse it. Also when
          tagguard's reading of the rules and Harbor's own flag disagree: no guess is safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import TypeAlias

from tagguard.core.immutability import Immutability
from tagguard.core.record import field, record, replace
from tagguard.core.reference import Reference
from tagguard.core.rules import RuleFailure
from tagguard.core.world import Digest, Unknown, short


class Verdict(StrEnum):
    ALLOW = "allow"
    SKIP = "skip"
    BLOCK = "block"


class Operation(StrEnum):
    PUSH = "push"
    RETAG = "retag"
    COPY = "copy"
    REPLICATE = "replicate"
    DELETE = "delete"
    DELETE_ARTIFACT = "delete-artifact"
    SIGN = "sign"


# What "writing" the tag is called in sentences, per operation.
_WRITE_NOUN = MappingProxyType(
    {
        Operation.PUSH: "the push",
        Operation.RETAG: "the retag",
        Operation.COPY: "the copy",
        Operation.REPLICATE: "the replication",
        Operation.SIGN: "the signature push",
    }
)


@record
class Note:
    """A fact a verdict rests on that a reader should see (JSON: `notes`)."""

    code: str
    message: str


# An event Harbor fires, as event-based replication replays it: the artifact, and the tags
# the event names. A deleted artifact's: its own tags. A copy's push event: the one tag it
# names - or, where which one cannot be known, every tag that may be it (none: by digest).
Event: TypeAlias = tuple[Digest, tuple[str, ...]]


@record
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
    notes: tuple[Note, ...] = field(default=(), compare=False)
    # Where the operation was declared (a plan file and line), when it was.
    origin: tuple[str, int] | None = None
    # An artifact's delete: the artifact's own tags, which Harbor's delete event names and an
    # event-based replication replays (not part of the JSON contract).
    deleted_tags: tuple[str, ...] = field(default=(), compare=False)
    # An artifact's delete: each accessory it deletes as a root, in deleteDeeply's order,
    # with the accessory's own tags. Harbor fires a delete event of its own for each, ahead
    # of the artifact's (not part of the JSON contract).
    deleted_accessories: tuple[Event, ...] = field(default=(), compare=False)
    # A copy Harbor accepts: the push events it fires, one per artifact copyDeeply ensures,
    # in its order. Carried by the copy's first decision alone, since they belong to the
    # copy, not to one tag (not part of the JSON contract).
    copy_events: tuple[Event, ...] = field(default=(), compare=False)
    # A delete: the artifacts among those whose delete events it fires that the run deleted
    # before (and pushed again): their labels went with that delete, so their events carry
    # none (not part of the JSON contract).
    unlabelled: tuple[Digest, ...] = field(default=(), compare=False)


@record
class TagFacts:
    """What is known about one tag: where it points now, and whether it is locked."""

    name: str
    current: Digest | None  # None: the tag does not exist
    lock: Immutability


def digest_advice(option: str = "--digest") -> str:
    """How a block for want of the new image's digest ends: the advice to give it with
    `option`, the CLI's by default. A surface that spells the option otherwise (the docker
    plugin's --tagguard-digest) or has none (a git hook) puts its own advice in place of
    `digest_advice()` in the reasons it prints."""
    return f"so give the digest ({option}) to let identical re-runs be skipped"


def _short(digest: Digest | None) -> str:
    return "an unknown digest" if digest is None else short(digest)


def _artifact(digest: Digest) -> str:
    """The artifact a delete meets, as a reason names it: an image whose digest tagguard was
    not told is named by where it came from ("artifact the unknown digest of ..." misread)."""
    if isinstance(digest, Unknown):
        return f"{digest.origin} (its digest unknown)"
    return f"artifact {short(digest)}"


def _known(digest: Digest | None) -> str | None:
    return digest if isinstance(digest, str) else None


def unknown_notes(*digests: Digest | None) -> tuple[Note, ...]:
    return tuple(
        Note("unknown-digest", f"{d}: tagguard was not told it, so it cannot compare it")
        for d in dict.fromkeys(digests)
        if isinstance(d, Unknown)
    )


def _make(
    operation: Operation,
    target: Reference,
    verdict: Verdict,
    reason: str,
    lock: Immutability | None,
    *,
    current: Digest | None,
    new: Digest | None,
    source: Reference | None = None,
    immutable: bool | None = None,
    failures: tuple[RuleFailure, ...] = (),
    notes: tuple[Note, ...] = (),
) -> Decision:
    shown: tuple[Note, ...] = ()  # the lock's notes, the unknown digests', then `notes`
    if lock is not None:
        immutable = lock.immutable if immutable is None else immutable
        if lock.note:
            # After a semicolon, not in parentheses: a note may hold its own.
            reason = f"{reason}; {lock.note}"
            shown = (Note("flag", lock.note),)
        if lock.change:
            shown = (*shown, Note("rules-change", lock.change))
        if lock.failure is not None and lock.failure not in failures:
            failures = (lock.failure, *failures)
    # Most writes know both digests: then there is no unknown one to note.
    if isinstance(current, Unknown) or isinstance(new, Unknown):
        shown = (*shown, *unknown_notes(current, new))
    return Decision(
        operation=operation,
        reference=target.original,
        registry=target.registry,
        project=target.project,
        repository=target.repository,
        tag=target.tag,
        decision=verdict,
        immutable=immutable,
        current_digest=_known(current),
        new_digest=_known(new),
        rule_id=lock.rule_id if lock is not None else None,
        reason=reason,
        from_reference=source.original if source is not None else None,
        failures=failures,
        notes=(*shown, *notes) if notes else shown,
    )


def in_doubt(decision: Decision, unknown: str) -> Decision:
    """A block tagguard makes because `unknown` cannot be known (it fails closed), not
    because Harbor refuses an immutable tag: its `in-doubt` note says so, once."""
    if is_in_doubt(decision):
        return decision
    note = Note(
        "in-doubt",
        f"{unknown} cannot be known: tagguard blocks rather than guess; Harbor may accept it",
    )
    return replace(decision, notes=(*decision.notes, note))


def is_in_doubt(decision: Decision) -> bool:
    """Whether `decision` is tagguard failing closed (`in_doubt`), not Harbor's refusal."""
    return any(n.code == "in-doubt" for n in decision.notes)


_UNKNOWN_LOCK = "whether the tag is immutable"
# The witnesses disagree (Immutability.conflict); the `flag` note says how.
_DISPUTED_LOCK = "whether the tag is immutable (tagguard's rules and Harbor's flag disagree)"


# One operation's `_make` with its facts bound: (verdict, reason) -> its Decision.
_Make: TypeAlias = Callable[[Verdict, str], Decision]


def _change_existing(
    facts: TagFacts, make: _Make, *, unsafe: str, refused: str, mutable: str
) -> Decision:
    """Changing a tag that exists (moving or deleting it): blocked while its immutability is
    in doubt or unknown (fail closed; `unsafe` says what is not safe), blocked when it is
    immutable (`refused` says why), else allowed (`mutable` says what Harbor does)."""
    lock, tag = facts.lock, facts.name
    if lock.conflict:
        return in_doubt(
            make(Verdict.BLOCK, f"whether tag {tag} is immutable is in doubt, so {unsafe}"),
            _DISPUTED_LOCK,
        )
    if lock.immutable is None:
        return in_doubt(
            make(Verdict.BLOCK, f"tag {tag} exists and whether it is immutable is unknown"),
            _UNKNOWN_LOCK,
        )
    if lock.immutable:
        return make(Verdict.BLOCK, refused)
    return make(Verdict.ALLOW, f"{mutable}{_fail_open_note(lock)}")


def _fail_open_note(lock: Immutability) -> str:
    if lock.failure is None:
        return ""
    # Not "only because": whether the broken rule, or a rule it masks, would have matched
    # cannot be known from a pattern that errs.
    return f"; {lock.failure.sentence()}"


def decide_write(
    operation: Operation,
    target: Reference,
    facts: TagFacts | None,
    new: Digest | None,
    *,
    source: Reference | None = None,
) -> Decision:
    """A manifest PUT of `new` under `target`'s tag.

    `facts` is None only for a push by digest, which creates no tag.
    """
    if facts is None:
        return _make(
            operation,
            target,
            Verdict.ALLOW,
            f"{_WRITE_NOUN[operation]} writes no tag (only the digest), and Harbor never checks that",
            None,
            current=None,
            new=new,
            source=source,
        )
    current, lock, tag = facts.current, facts.lock, facts.name
    noun = _WRITE_NOUN[operation]
    # What the write puts under the tag: sign's --digest is the signature's, not the image's.
    written = "signature" if operation is Operation.SIGN else "image"

    def make(verdict: Verdict, reason: str) -> Decision:
        return _make(
            operation, target, verdict, reason, lock, current=current, new=new, source=source
        )

    if current is None:
        if lock.immutable:
            return make(
                Verdict.ALLOW,
                f"tag {tag} does not exist yet, so Harbor accepts it; "
                f"{lock.lock} makes it immutable from then on",
            )
        return make(Verdict.ALLOW, f"tag {tag} does not exist yet, so Harbor accepts it")
    if lock.conflict:
        return in_doubt(
            make(Verdict.BLOCK, f"whether tag {tag} is immutable is in doubt, so no write is safe"),
            _DISPUTED_LOCK,
        )
    if new is not None and new == current:
        if lock.immutable:
            return make(
                Verdict.SKIP,
                f"tag {tag} already points at {_short(new)}: {noun} is unnecessary, and "
                f"Harbor would refuse it because {lock.lock} makes the tag immutable",
            )
        return make(
            Verdict.SKIP, f"tag {tag} already points at {_short(new)}: {noun} is unnecessary"
        )
    if lock.immutable is None:
        return in_doubt(
            make(Verdict.BLOCK, f"tag {tag} exists and whether it is immutable is unknown"),
            _UNKNOWN_LOCK,
        )
    if lock.immutable:
        if isinstance(current, Unknown):
            return make(
                Verdict.BLOCK,
                f"tag {tag} is immutable ({lock.lock}) and an earlier step writes it "
                f"({current}): Harbor refuses every later write onto it",
            )
        if new is None or isinstance(new, Unknown):
            return make(
                Verdict.BLOCK,
                f"tag {tag} exists ({_short(current)}) and {lock.lock} makes it immutable; "
                f"without the new {written}'s digest a re-push of the same {written} cannot "
                f"be told from a move, {digest_advice()}",
            )
        return make(
            Verdict.BLOCK,
            f"tag {tag} is immutable ({lock.lock}): Harbor refuses to move it from "
            f"{_short(current)} to {_short(new)}",
        )
    moved = f"moves from {_short(current)} to {_short(new)}"
    return make(Verdict.ALLOW, f"tag {tag} is mutable, so it {moved}{_fail_open_note(lock)}")


def decide_replication(
    target: Reference, facts: TagFacts, new: Digest, *, override: bool
) -> Decision:
    """One destination tag of a Harbor replication policy (a push into the destination).

    Harbor skips a tag the destination already holds at the same digest; one it holds at
    another digest it overwrites only when the policy says `override`, and then refuses (412,
    the task fails) if the tag is immutable there. Without override it skips silently and the
    destination keeps its old image.
    """
    if (
        facts.current is not None
        and facts.current != new
        and not override
        and not facts.lock.conflict
    ):
        return _make(
            Operation.REPLICATE,
            target,
            Verdict.SKIP,
            f"Harbor skips tag {facts.name} without a word because the policy does not override: "
            f"the destination keeps {_short(facts.current)} instead of {_short(new)}",
            facts.lock,
            current=facts.current,
            new=new,
        )
    return decide_write(Operation.REPLICATE, target, facts, new)


def decide_replication_held(
    target: Reference, digest: str, *, source: Reference | None = None
) -> Decision:
    """A reference a replication copies by digest (an artifact or accessory with no tag)
    that the destination already holds: transfer.go `copyArtifact` finds it (HEAD) on the
    same digest and skips it, as it skips a tag already on its digest; it PUTs nothing."""
    return _make(
        Operation.REPLICATE,
        target,
        Verdict.SKIP,
        f"the destination already holds {_short(digest)}: Harbor's replication skips it",
        None,
        current=digest,
        new=digest,
        source=source,
    )


def decide_copy_tag(
    target: Reference, facts: TagFacts, new: Digest, *, source: Reference | None = None
) -> Decision:
    """One tag Harbor's copy ensures in the destination (the tag controller's `Ensure`,
    src/controller/tag/controller.go): absent -> created; already on the copied artifact
    -> left as it is; on another artifact -> refused if immutable, else moved."""
    current, lock, tag = facts.current, facts.lock, facts.name

    def make(verdict: Verdict, reason: str) -> Decision:
        return _make(
            Operation.COPY, target, verdict, reason, lock, current=current, new=new, source=source
        )

    if current is None:
        return make(Verdict.ALLOW, f"tag {tag} does not exist here yet, so the copy creates it")
    if current == new:
        return make(
            Verdict.SKIP, f"tag {tag} is already on {_short(new)}: the copy leaves it as it is"
        )
    if isinstance(current, Unknown) or isinstance(new, Unknown):
        refused = (
            f"tag {tag} is immutable ({lock.lock}) and whether it is already on the copied "
            f"artifact cannot be known ({_short(current)}, {_short(new)})"
        )
    else:
        refused = (
            f"tag {tag} is immutable ({lock.lock}) and on {_short(current)}: Harbor refuses "
            "to update it, and the whole copy with it"
        )
    decision = _change_existing(
        facts,
        make,
        unsafe="no copy onto it is safe",
        refused=refused,
        mutable=f"tag {tag} is mutable, so the copy moves it from {_short(current)} to "
        f"{_short(new)}",
    )
    if decision.decision is Verdict.BLOCK and (
        isinstance(current, Unknown) or isinstance(new, Unknown)
    ):
        # Harbor leaves a tag already on the copied artifact as it is.
        return in_doubt(decision, "whether the tag is already on the copied artifact")
    return decision


def decide_delete_tag(target: Reference, facts: TagFacts) -> Decision:
    """Deleting one tag (the artifact stays)."""
    current, lock, tag = facts.current, facts.lock, facts.name

    def make(verdict: Verdict, reason: str) -> Decision:
        return _make(Operation.DELETE, target, verdict, reason, lock, current=current, new=None)

    if current is None:
        return make(
            Verdict.ALLOW, f"tag {tag} does not exist, so there is nothing Harbor would refuse"
        )
    return _change_existing(
        facts,
        make,
        unsafe="deleting it is not safe",
        refused=f"tag {tag} is immutable ({lock.lock}): Harbor refuses to delete it",
        mutable=f"tag {tag} is mutable, so Harbor deletes it",
    )


@record
class Carried:
    """A tag a delete of an artifact meets, and whose it is: the artifact's own (`owner`
    empty), or an accessory's or a child's ("its cosign signature sha256:...")."""

    facts: TagFacts
    owner: str = ""

    def named(self) -> str:
        return f"tag {self.facts.name}" + (f" of {self.owner}" if self.owner else "")


# A delete's `doubt`: an image the run pushes, unread or without its digest.
_DELETE_DOUBT = "what the delete meets (an image the run pushes, unread or without its digest)"


def decide_delete_artifact(
    target: Reference,
    digest: Digest | None,
    tags: Sequence[Carried],
    *,
    referenced_by: Digest | None = None,
    refused_whole: str = "",
    doubt: str = "",
) -> Decision:
    """Deleting the artifact `digest` (None: not found) as Harbor's `deleteDeeply` does
    (src/controller/artifact/controller.go): refused when an index references it, and when
    any tag it meets on the way is immutable (or in doubt) - its accessories' tags (a cosign
    `sha256-<hex>.sig`) and its untagged children's accessories' first, its own last.
    `refused_whole` says, after "deleting <the artifact>", how a Harbor release fails the
    whole delete on the way (before v2.11.0: an accessory an index references, an index's
    child that is an accessory), after the tags `tags` met before it. `doubt` says what the
    verdict cannot know (an unknown digest): it then blocks."""
    failures = tuple(c.facts.lock.failure for c in tags if c.facts.lock.failure is not None)
    doubtful = next((c for c in tags if c.facts.lock.conflict), None)
    locked = next((c for c in tags if c.facts.lock.immutable), None)
    own = sum(1 for c in tags if not c.owner)

    def make(
        verdict: Verdict, reason: str, lock: Immutability | None, immutable: bool | None
    ) -> Decision:
        return _make(
            Operation.DELETE_ARTIFACT,
            target,
            verdict,
            reason,
            lock,
            current=digest,
            new=None,
            immutable=immutable,
            failures=failures,
        )

    if digest is None:
        if doubt:
            return in_doubt(make(Verdict.BLOCK, doubt, None, None), _DELETE_DOUBT)
        return make(
            Verdict.ALLOW,
            "the artifact does not exist, so there is nothing Harbor would refuse",
            None,
            None,
        )
    if referenced_by is not None:
        return make(
            Verdict.BLOCK,
            f"{_artifact(digest)} is a child of index {_short(referenced_by)}: Harbor "
            "refuses to delete an artifact another one references",
            None,
            None,
        )
    if doubtful is not None:
        blocked = make(
            Verdict.BLOCK,
            f"deleting {_artifact(digest)} deletes {doubtful.named()}, whose "
            "immutability is in doubt",
            doubtful.facts.lock,
            None,
        )
        return in_doubt(blocked, _DISPUTED_LOCK)
    if locked is not None:
        return make(
            Verdict.BLOCK,
            f"deleting {_artifact(digest)} deletes {locked.named()}, which is immutable "
            f"({locked.facts.lock.lock}): Harbor refuses the whole delete",
            locked.facts.lock,
            True,
        )
    if refused_whole:
        return make(Verdict.BLOCK, f"deleting {_artifact(digest)} {refused_whole}", None, None)
    if doubt:
        return in_doubt(make(Verdict.BLOCK, doubt, None, None), _DELETE_DOUBT)
    unknown = [c for c in tags if c.facts.lock.immutable is None]
    if unknown:
        # Cannot happen for existing tags (Harbor reports a flag for each); fail closed anyway.
        blocked = make(
            Verdict.BLOCK, f"the immutability of {unknown[0].named()} is unknown", None, None
        )
        return in_doubt(blocked, _UNKNOWN_LOCK)
    if not tags:
        reason = f"{_artifact(digest)} has no tags, so Harbor deletes it"
    elif own == len(tags):
        reason = f"none of the artifact's {own} tag(s) is immutable, so Harbor deletes it"
    else:
        reason = (
            f"none of the {len(tags)} tag(s) the delete meets ({own} of the artifact, "
            f"{len(tags) - own} of its accessories and children) is immutable, so Harbor "
            "deletes it"
        )
    own_tags = tuple(c.facts.name for c in tags if not c.owner)
    return replace(make(Verdict.ALLOW, reason, None, False), deleted_tags=own_tags)
