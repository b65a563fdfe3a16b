"""The verdict table: every combination of tag state, immutability and digests."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.decide import (
    Carried,
    Operation,
    TagFacts,
    Verdict,
    decide_copy_tag,
    decide_delete_artifact,
    decide_delete_tag,
    decide_write,
)
from tagguard.core.immutability import Immutability, from_evaluation, reconcile
from tagguard.core.reference import parse_reference
from tagguard.core.rules import evaluate, parse_rules
from tagguard.core.world import Unknown
from tests.builders import rule_json

OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64
LOCKING = parse_rules([rule_json(4, tag="v*")], "rules")
TARGET = parse_reference("h.io/proj/app:v1")


def facts(tag: str = "v1", current: str | None = OLD, flag: bool | None = None) -> TagFacts:
    evaluation = evaluate(LOCKING, "proj/app", tag, glob.NEWEST)
    return TagFacts(tag, current, reconcile(evaluation, flag))


@pytest.mark.parametrize(
    ("tag", "current", "new", "verdict", "words"),
    [
        ("v1", None, NEW, Verdict.ALLOW, "does not exist yet"),
        ("v1", None, None, Verdict.ALLOW, "rule 4 makes it immutable from then on"),
        ("v1", OLD, OLD, Verdict.SKIP, "Harbor would refuse it"),
        ("v1", OLD, NEW, Verdict.BLOCK, "refuses to move it"),
        ("v1", OLD, None, Verdict.BLOCK, "give the digest"),
        ("dev", OLD, OLD, Verdict.SKIP, "the push is unnecessary"),
        ("dev", OLD, NEW, Verdict.ALLOW, "is mutable"),
        ("dev", OLD, None, Verdict.ALLOW, "to an unknown digest"),
    ],
)
def test_write_verdicts(
    tag: str, current: str | None, new: str | None, verdict: Verdict, words: str
) -> None:
    target = parse_reference(f"h.io/proj/app:{tag}")
    decision = decide_write(Operation.PUSH, target, facts(tag, current), new)
    assert decision.decision is verdict
    assert words in decision.reason
    assert decision.immutable is (tag == "v1")
    assert decision.rule_id == (4 if tag == "v1" else None)
    assert (decision.current_digest, decision.new_digest) == (current, new)


def test_push_by_digest_is_never_checked() -> None:
    target = parse_reference(f"h.io/proj/app@{NEW}")
    decision = decide_write(Operation.PUSH, target, None, NEW)
    assert decision.decision is Verdict.ALLOW
    assert decision.tag is None


def test_fail_open_is_allowed_but_says_why() -> None:
    broken = parse_rules([rule_json(1, tag="v["), rule_json(2)], "rules")
    evaluation = evaluate(broken, "proj/app", "v1", glob.NEWEST)
    decision = decide_write(
        Operation.PUSH, TARGET, TagFacts("v1", OLD, from_evaluation(evaluation)), NEW
    )
    assert decision.decision is Verdict.ALLOW
    assert "; rule 1 is broken: its tag selector" in decision.reason
    assert "only because" not in decision.reason  # whether it would match cannot be known
    assert "skips later rule(s) 2" in decision.reason
    assert len(decision.failures) == 1


@pytest.mark.parametrize(
    ("tag", "current", "verdict"),
    [("v1", OLD, Verdict.BLOCK), ("v1", None, Verdict.ALLOW), ("dev", OLD, Verdict.ALLOW)],
)
def test_delete_tag(tag: str, current: str | None, verdict: Verdict) -> None:
    target = parse_reference(f"h.io/proj/app:{tag}")
    decision = decide_delete_tag(target, facts(tag, current))
    assert decision.decision is verdict
    assert decision.operation is Operation.DELETE


# Harbor's copy ensures each tag in the destination (tag controller `Ensure`): an absent tag
# is created, one already on the copied artifact is left alone, one on another artifact is
# moved - unless it is immutable, which fails the copy.
def test_copy_creates_an_absent_tag_and_leaves_one_already_on_the_artifact() -> None:
    created = decide_copy_tag(TARGET, facts("v1", None), NEW)
    assert created.decision is Verdict.ALLOW
    assert created.reason.startswith("tag v1 does not exist here yet, so the copy creates it")
    kept = decide_copy_tag(TARGET, facts("v1", NEW), NEW)
    assert kept.decision is Verdict.SKIP
    assert kept.reason.endswith("the copy leaves it as it is")
    assert kept.operation is Operation.COPY


# Moving a tag off its artifact (a copy) and deleting it both change an existing tag: Harbor
# refuses either when the tag is immutable, and tagguard fails closed while that is in doubt.
@pytest.mark.parametrize(
    ("tag", "flag", "verdict"),
    [("v1", None, Verdict.BLOCK), ("dev", None, Verdict.ALLOW), ("dev", True, Verdict.BLOCK)],
)
def test_copy_and_delete_judge_an_existing_tag_alike(
    tag: str, flag: bool | None, verdict: Verdict
) -> None:
    target = parse_reference(f"h.io/proj/app:{tag}")
    existing = facts(tag, OLD, flag=flag)
    copied = decide_copy_tag(target, existing, NEW)
    deleted = decide_delete_tag(target, existing)
    assert (copied.decision, deleted.decision) == (verdict, verdict)
    if flag is not None:
        assert "is in doubt, so no copy onto it is safe" in copied.reason
        assert "is in doubt, so deleting it is not safe" in deleted.reason
    elif verdict is Verdict.BLOCK:
        assert "Harbor refuses to update it, and the whole copy with it" in copied.reason
        assert deleted.reason == "tag v1 is immutable (rule 4): Harbor refuses to delete it"


def test_copy_onto_a_tag_of_unknown_immutability_is_blocked() -> None:
    unknown = TagFacts("v1", OLD, Immutability(None))
    decision = decide_copy_tag(TARGET, unknown, NEW)
    assert decision.decision is Verdict.BLOCK
    assert decision.reason == "tag v1 exists and whether it is immutable is unknown"


def test_delete_artifact_is_blocked_by_any_immutable_tag() -> None:
    target = parse_reference("h.io/proj/app:dev")
    decision = decide_delete_artifact(target, OLD, [Carried(facts("dev")), Carried(facts("v1"))])
    assert decision.decision is Verdict.BLOCK
    assert decision.rule_id == 4
    assert "deletes tag v1, which is immutable" in decision.reason
    assert decision.immutable is True


def test_delete_artifact_of_an_unknown_digest_names_the_image_not_the_digest() -> None:
    # A plan's `push` without a digest, then a delete of that artifact: the reason read
    # "deleting artifact the unknown digest of the image pushed at ... deletes tag v1".
    target = parse_reference("h.io/proj/app:v1")
    pushed = Unknown("the image pushed at release.yml:2")
    decision = decide_delete_artifact(target, pushed, [Carried(facts("v1"))])
    assert decision.decision is Verdict.BLOCK
    assert decision.reason.startswith(
        "deleting the image pushed at release.yml:2 (its digest unknown) deletes tag v1, "
        "which is immutable (rule 4)"
    )
    untagged = decide_delete_artifact(target, pushed, [])
    assert untagged.reason == (
        "the image pushed at release.yml:2 (its digest unknown) has no tags, so Harbor deletes it"
    )


def test_delete_artifact_without_immutable_tags_or_absent() -> None:
    target = parse_reference("h.io/proj/app:dev")
    assert decide_delete_artifact(target, OLD, [Carried(facts("dev"))]).decision is Verdict.ALLOW
    assert decide_delete_artifact(target, OLD, []).decision is Verdict.ALLOW
    missing = decide_delete_artifact(target, None, [])
    assert missing.decision is Verdict.ALLOW
    assert missing.immutable is None


# -- the two witnesses: tagguard's reading of the rules and Harbor's own flag ---------------


def test_agreeing_witnesses_decide_as_the_rules_say() -> None:
    decision = decide_write(Operation.PUSH, TARGET, facts("v1", OLD, flag=True), NEW)
    assert decision.decision is Verdict.BLOCK
    assert decision.rule_id == 4


@pytest.mark.parametrize(("tag", "flag"), [("v1", False), ("dev", True)])
def test_disagreeing_witnesses_block_and_say_both(tag: str, flag: bool) -> None:
    target = parse_reference(f"h.io/proj/app:{tag}")
    for new in (OLD, NEW, None):
        decision = decide_write(Operation.PUSH, target, facts(tag, OLD, flag=flag), new)
        assert decision.decision is Verdict.BLOCK
        assert "is in doubt" in decision.reason
        assert "Harbor reports the tag" in decision.reason
        assert decision.immutable is None
    assert decide_delete_tag(target, facts(tag, OLD, flag=flag)).decision is Verdict.BLOCK
    assert (
        decide_delete_artifact(target, OLD, [Carried(facts(tag, OLD, flag=flag))]).decision
        is Verdict.BLOCK
    )


def test_unreadable_rules_fall_back_to_harbors_flag() -> None:
    lock = reconcile(None, True, "403 on the rules")
    assert lock == Immutability(
        True, note="Harbor's own flag decides; rule details are unavailable (403 on the rules)"
    )
    decision = decide_write(Operation.PUSH, TARGET, TagFacts("v1", OLD, lock), NEW)
    assert decision.decision is Verdict.BLOCK
    assert "immutable (Harbor)" in decision.reason
    assert decision.rule_id is None


def test_unreadable_rules_and_absent_tag_still_allow_a_push() -> None:
    lock = reconcile(None, None, "403 on the rules")
    assert lock.immutable is None
    decision = decide_write(Operation.PUSH, TARGET, TagFacts("v1", None, lock), NEW)
    assert decision.decision is Verdict.ALLOW
    assert decision.immutable is None


def test_an_existing_tag_of_unknown_immutability_is_blocked() -> None:
    unknown = TagFacts("v1", OLD, Immutability(None))
    assert decide_write(Operation.PUSH, TARGET, unknown, NEW).decision is Verdict.BLOCK
    assert decide_write(Operation.PUSH, TARGET, unknown, OLD).decision is Verdict.SKIP
    assert decide_delete_tag(TARGET, unknown).decision is Verdict.BLOCK
    assert decide_delete_artifact(TARGET, OLD, [Carried(unknown)]).decision is Verdict.BLOCK


@pytest.mark.parametrize(
    ("operation", "written"), [(Operation.PUSH, "image"), (Operation.SIGN, "signature")]
)
def test_a_write_without_its_digest_names_what_the_digest_is_of(
    operation: Operation, written: str
) -> None:
    # sign's --digest is the signature's (TAGGUARD_SIGNATURE_DIGEST): a blocked sign asked
    # for "the new image's digest", which a user signing an image already has and gave.
    decision = decide_write(operation, TARGET, facts(), None)  # v1 exists, rule 4 locks it
    assert decision.decision is Verdict.BLOCK
    assert f"without the new {written}'s digest a re-push of the same {written} " in (
        decision.reason
    )


@pytest.mark.parametrize(("tag", "flag"), [("v1", False), ("dev", True)])
def test_disagreeing_witnesses_are_a_doubt_in_the_notes(tag: str, flag: bool) -> None:
    # The `flag` note says how the witnesses combine, also when they agree; `in-doubt` says
    # the block is tagguard's failing closed, not Harbor's refusal.
    target = parse_reference(f"h.io/proj/app:{tag}")
    existing = facts(tag, OLD, flag=flag)
    for decision in (
        decide_write(Operation.PUSH, target, existing, NEW),
        decide_copy_tag(target, existing, NEW),
        decide_delete_tag(target, existing),
        decide_delete_artifact(target, OLD, [Carried(existing)]),
    ):
        assert decision.decision is Verdict.BLOCK
        assert "in-doubt" in [n.code for n in decision.notes], decision
    agreeing = decide_write(Operation.PUSH, TARGET, facts("v1", OLD, flag=True), NEW)
    assert "in-doubt" not in [n.code for n in agreeing.notes]
