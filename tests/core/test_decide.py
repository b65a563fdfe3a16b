"""The verdict table: every combination of tag state, immutability and digests."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.decide import (
    Operation,
    Verdict,
    decide_delete_artifact,
    decide_delete_tag,
    decide_write,
)
from tagguard.core.reference import parse_reference
from tagguard.core.rules import evaluate, parse_rules
from tests.builders import rule_json

OLD = "sha256:" + "1" * 64
NEW = "sha256:" + "2" * 64
LOCKING = parse_rules([rule_json(4, tag="v*")], "rules")
TARGET = parse_reference("h.io/proj/app:v1")


def ev(tag: str = "v1"):  # type: ignore[no-untyped-def]
    return evaluate(LOCKING, "proj/app", tag, glob.NEWEST)


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
    decision = decide_write(Operation.PUSH, target, ev(tag), current, new)
    assert decision.decision is verdict
    assert words in decision.reason
    assert decision.immutable is (tag == "v1")
    assert decision.rule_id == (4 if tag == "v1" else None)
    assert (decision.current_digest, decision.new_digest) == (current, new)


def test_push_by_digest_is_never_checked() -> None:
    target = parse_reference(f"h.io/proj/app@{NEW}")
    decision = decide_write(Operation.PUSH, target, None, None, NEW)
    assert decision.decision is Verdict.ALLOW
    assert decision.tag is None


def test_fail_open_is_allowed_but_says_why() -> None:
    broken = parse_rules([rule_json(1, tag="v["), rule_json(2)], "rules")
    evaluation = evaluate(broken, "proj/app", "v1", glob.NEWEST)
    decision = decide_write(Operation.PUSH, TARGET, evaluation, OLD, NEW)
    assert decision.decision is Verdict.ALLOW
    assert "mutable only because rule 1 is broken" in decision.reason
    assert "skips later rule(s) 2" in decision.reason
    assert len(decision.failures) == 1


@pytest.mark.parametrize(
    ("tag", "current", "verdict"),
    [("v1", OLD, Verdict.BLOCK), ("v1", None, Verdict.ALLOW), ("dev", OLD, Verdict.ALLOW)],
)
def test_delete_tag(tag: str, current: str | None, verdict: Verdict) -> None:
    target = parse_reference(f"h.io/proj/app:{tag}")
    decision = decide_delete_tag(target, ev(tag), current)
    assert decision.decision is verdict
    assert decision.operation is Operation.DELETE


def test_delete_artifact_is_blocked_by_any_immutable_tag() -> None:
    target = parse_reference("h.io/proj/app:dev")
    decision = decide_delete_artifact(target, OLD, [ev("dev"), ev("v1")])
    assert decision.decision is Verdict.BLOCK
    assert decision.rule_id == 4
    assert "carries tag v1" in decision.reason
    assert decision.immutable is True


def test_delete_artifact_without_immutable_tags_or_absent() -> None:
    target = parse_reference("h.io/proj/app:dev")
    assert decide_delete_artifact(target, OLD, [ev("dev")]).decision is Verdict.ALLOW
    assert decide_delete_artifact(target, OLD, []).decision is Verdict.ALLOW
    missing = decide_delete_artifact(target, None, [])
    assert missing.decision is Verdict.ALLOW
    assert missing.immutable is None
