"""`tagguard explain`: Harbor's evaluation of one tag, rule by rule, as text or JSON."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any, TextIO

from tagguard.check import Explained
from tagguard.core.rules import Evaluation, Rule, RuleStep, StepOutcome
from tagguard.core.sanitize import printable, printable_json
from tagguard.reporters.text import paint
from tagguard.reporters.versioning import versioned

_SAY = MappingProxyType(
    {
        StepOutcome.SKIPPED_DISABLED: "disabled, skipped",
        StepOutcome.SKIPPED_NO_REPOSITORY_SELECTOR: "has no repository selector, never matches",
        StepOutcome.SKIPPED_NO_TAG_SELECTOR: "has no tag selector, never matches",
        StepOutcome.REPOSITORY_NOT_SELECTED: "repository selector {detail} does not select {name!r}",
        StepOutcome.TAG_NOT_SELECTED: "tag selector {detail} does not select {tag!r}",
        StepOutcome.MATCHED: "matches ({detail}): the tag is immutable",
        StepOutcome.ERROR: "errors ({detail}): Harbor stops here and treats the tag as mutable",
        StepOutcome.NOT_REACHED: "not evaluated",
    }
)


# The steps at which Harbor read a rule's selectors: only there do ignored ones matter.
_READ_SELECTORS = frozenset(
    {
        StepOutcome.REPOSITORY_NOT_SELECTED,
        StepOutcome.TAG_NOT_SELECTED,
        StepOutcome.MATCHED,
        StepOutcome.ERROR,
    }
)


def _step_text(step: RuleStep, evaluation: Evaluation) -> str:
    said = _SAY[step.outcome].format(
        detail=step.detail, name=evaluation.matched_name, tag=evaluation.tag
    )
    return said + (_ignored_selectors(step.rule) if step.outcome in _READ_SELECTORS else "")


def _ignored_selectors(rule: Rule) -> str:
    """Why `prod` is mutable under a rule whose tag selectors are `latest` then `prod`:
    Harbor reads only the first selector of each slot (SEMANTICS.md section 1)."""
    ignored = [
        f"{slot} selector {extra.describe()}"
        for slot, selectors in (
            ("repository", rule.repository_selectors or ()),
            ("tag", rule.tag_selectors),
        )
        for extra in selectors[1:]
    ]
    if not ignored:
        return ""
    return f"; its {', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} ignored (Harbor reads only the first)"


def render_text(explained: Explained, reference: str, stream: TextIO, color: bool = False) -> None:
    evaluation, facts = explained.evaluation, explained.facts
    write = stream.write
    write(f"{printable(reference)}\n")
    if evaluation is None:
        write(f"  rule details are unavailable: {printable(explained.unavailable_reason)}\n")
    else:
        line = (
            f"  Harbor matches repository {evaluation.matched_name!r} (without the project) and "
            f"tag {evaluation.tag!r}, with doublestar {explained.glob_version}"
        )
        write(f"{printable(line)}\n")
        if not evaluation.steps:
            write("  the project has no immutability rules\n")
        for step in evaluation.steps:
            write(f"  rule {step.rule.id}: {printable(_step_text(step, evaluation))}\n")
    lock = facts.lock if facts is not None else None
    if lock is not None and lock.conflict:
        verdict = paint(f"in doubt: {printable(lock.note)}", "31", color)
    elif evaluation is not None and evaluation.immutable:
        verdict = paint(f"immutable (rule {evaluation.rule_id})", "31", color)
    elif evaluation is not None and evaluation.failure is not None:
        verdict = paint("mutable, because a broken rule fails open", "33", color)
    elif evaluation is not None:
        verdict = paint("mutable", "32", color)
    elif lock is not None and lock.immutable is not None:
        verdict = paint(
            "immutable" if lock.immutable else "mutable", "31" if lock.immutable else "32", color
        )
        verdict += " (Harbor's own flag)"
    else:
        verdict = "unknown"
    write(f"  => {verdict}\n")  # outside text is made printable above, not the colours
    if facts is not None:
        state = (
            f"the tag exists, at {facts.current}" if facts.current else "the tag does not exist yet"
        )
        write(f"  state: {printable(state)}\n")


def explanation_dict(explained: Explained, reference: str) -> dict[str, Any]:
    evaluation, facts = explained.evaluation, explained.facts
    failure = evaluation.failure if evaluation is not None else None
    lock = facts.lock if facts is not None else None
    immutable = evaluation.immutable if evaluation is not None else None
    if lock is not None:
        immutable = lock.immutable
    return {
        "reference": reference,
        "repository": evaluation.repository if evaluation is not None else None,
        "matched_repository": evaluation.matched_name if evaluation is not None else None,
        "tag": evaluation.tag if evaluation is not None else (facts.name if facts else None),
        "glob_version": explained.glob_version,
        "immutable": immutable,
        "rule_id": evaluation.rule_id if evaluation is not None else None,
        "exists": (facts.current is not None) if facts is not None else None,
        "current_digest": facts.current if facts is not None else None,
        "in_doubt": lock.note if lock is not None and lock.conflict else None,
        "rules_unavailable": explained.unavailable_reason or None,
        "broken_rule": None
        if failure is None
        else {
            "rule_id": failure.rule_id,
            "selector": failure.slot,
            "pattern": failure.selector.pattern,
            "message": failure.message,
            "masked_rule_ids": list(failure.masked_rule_ids),
        },
        "rules": []
        if evaluation is None
        else [
            {"rule_id": s.rule.id, "outcome": s.outcome.value, "detail": _step_text(s, evaluation)}
            for s in evaluation.steps
        ],
    }


def render_json(explained: Explained, reference: str, stream: TextIO, color: bool = False) -> None:
    data = versioned(explanation_dict(explained, reference))
    stream.write(printable_json(json.dumps(data, indent=2)))
    stream.write("\n")
