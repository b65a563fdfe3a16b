"""A run's report: its decisions, its warnings (each once), and the exit code they imply."""

from __future__ import annotations

from tagguard.core.decide import Decision, Operation, Verdict
from tagguard.core.record import replace
from tagguard.core.report import EXIT_BLOCKED, EXIT_OK, Notice, Report
from tagguard.core.rules import RuleFailure, SelectorSpec

BROKEN = RuleFailure(2, "tag", SelectorSpec("doublestar", "matches", "v["), "malformed")


def decision(verdict: Verdict, *failures: RuleFailure) -> Decision:
    return Decision(
        operation=Operation.PUSH,
        reference="h.io/proj/app:v1",
        registry="h.io",
        project="proj",
        repository="proj/app",
        tag="v1",
        decision=verdict,
        immutable=False,
        current_digest=None,
        new_digest=None,
        rule_id=None,
        reason="",
        failures=failures,
    )


def test_the_exit_code_is_blocked_only_when_a_decision_blocks() -> None:
    report = Report()
    assert (report.blocked, report.exit_code) == (False, EXIT_OK)
    report.extend([decision(Verdict.ALLOW), decision(Verdict.SKIP), decision(Verdict.ALLOW)])
    assert report.summary == {"allow": 2, "skip": 1, "block": 0}
    assert report.exit_code == EXIT_OK
    report.record(decision(Verdict.BLOCK))
    assert report.count(Verdict.BLOCK) == 1
    assert (report.blocked, report.exit_code) == (True, EXIT_BLOCKED)
    assert len(report.decisions) == 4


def test_a_broken_rule_is_warned_of_once_however_many_decisions_meet_it() -> None:
    report = Report()
    report.extend([decision(Verdict.ALLOW, BROKEN), decision(Verdict.ALLOW, BROKEN)])
    (warning,) = report.warnings
    assert (warning.code, warning.registry, warning.project, warning.rule_id) == (
        "broken-rule",
        "h.io",
        "proj",
        2,
    )
    assert warning.message == f"project proj: {BROKEN.sentence()}"


def test_warnings_keep_their_order_and_differ_by_any_field() -> None:
    report = Report()
    first = Notice("glob-version", "one")
    report.warn(first)
    report.warn(replace(first, registry="h.io"))
    report.warn(first)
    assert report.warnings == [first, replace(first, registry="h.io")]
