"""Two witnesses of a tag's immutability, reconciled: tagguard's reading of the rules and
Harbor's own `immutable` flag."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.immutability import Immutability, from_evaluation, propose, reconcile
from tagguard.core.rules import Evaluation, Rule, evaluate, parse_rules
from tests.builders import rule_json

LOCKING = parse_rules([rule_json(4, tag="v*")], "rules")
BROKEN = parse_rules([rule_json(2, tag="v[")], "rules")


def reading(tag: str, rules: tuple[Rule, ...] = LOCKING) -> Evaluation:
    return evaluate(rules, "proj/app", tag, glob.NEWEST)


@pytest.mark.parametrize("flag", [None, True])
def test_the_rules_decide_when_harbor_agrees_or_is_silent(flag: bool | None) -> None:
    found = reconcile(reading("v1"), flag)
    assert found == Immutability(True, rule_id=4)
    assert not found.conflict
    assert found.note == ""


@pytest.mark.parametrize(("tag", "flag"), [("v1", False), ("dev", True)])
def test_witnesses_that_disagree_are_a_conflict_of_unknown_immutability(
    tag: str, flag: bool
) -> None:
    found = reconcile(reading(tag), flag)
    assert found.conflict
    assert found.immutable is None  # neither is trusted: the write is blocked
    said = "immutable by rule 4" if tag == "v1" else "mutable"
    harbor = "immutable" if flag else "mutable"
    assert f"rules says {said}" in found.note
    assert f"Harbor reports the tag {harbor}" in found.note


def test_a_conflict_over_a_rule_that_fails_open_names_that_rule() -> None:
    evaluation = reading("v1", BROKEN)
    assert evaluation.failure is not None
    found = reconcile(evaluation, True)
    assert found.conflict
    assert found.failure == evaluation.failure
    assert "mutable because rule 2 fails open" in found.note


@pytest.mark.parametrize(
    ("flag", "reason", "expected"),
    [
        (
            True,
            "403",
            Immutability(
                True, note="Harbor's own flag decides; rule details are unavailable (403)"
            ),
        ),
        (False, "", Immutability(False)),
        (None, "403", Immutability(None, note="rule details are unavailable (403)")),
        (None, "", Immutability(None)),
    ],
)
def test_unreadable_rules_leave_harbors_flag_alone(
    flag: bool | None, reason: str, expected: Immutability
) -> None:
    assert reconcile(None, flag, reason) == expected


def test_proposed_rules_decide_alone_and_say_what_they_change() -> None:
    tightened = propose(reading("v1"), False)
    assert (tightened.immutable, tightened.rule_id, tightened.conflict) == (True, 4, False)
    assert tightened.change == (
        "Harbor holds this tag mutable today; the proposed rules make it immutable (rule 4)"
    )
    loosened = propose(reading("dev"), True)
    assert (loosened.immutable, loosened.conflict) == (False, False)
    assert "holds this tag immutable today" in loosened.change
    assert loosened.change.endswith("make it mutable")
    assert propose(reading("v1"), True) == from_evaluation(reading("v1"))
    assert propose(reading("v1"), None).change == ""


def test_the_lock_is_the_rule_or_harbor() -> None:
    assert from_evaluation(reading("v1")).lock == "rule 4"
    assert reconcile(None, True, "403").lock == "Harbor"
