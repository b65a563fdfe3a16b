"""`tagguard explain`: Harbor's evaluation of one tag, rule by rule, as text or JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TextIO

from tagguard.core.rules import Evaluation, RuleStep, StepOutcome
from tagguard.core.sanitize import printable
from tagguard.reporters.text import paint

_SAY = {
    StepOutcome.SKIPPED_DISABLED: "disabled, skipped",
    StepOutcome.SKIPPED_NO_REPOSITORY_SELECTOR: "has no repository selector, never matches",
    StepOutcome.SKIPPED_NO_TAG_SELECTOR: "has no tag selector, never matches",
    StepOutcome.REPOSITORY_NOT_SELECTED: "repository selector {detail} does not select {name!r}",
    StepOutcome.TAG_NOT_SELECTED: "tag selector {detail} does not select {tag!r}",
    StepOutcome.MATCHED: "matches ({detail}): the tag is immutable",
    StepOutcome.ERROR: "errors ({detail}): Harbor stops here and treats the tag as mutable",
    StepOutcome.NOT_REACHED: "not evaluated",
}


def _step_text(step: RuleStep, evaluation: Evaluation) -> str:
    return _SAY[step.outcome].format(
        detail=step.detail, name=evaluation.matched_name, tag=evaluation.tag
    )


@dataclass(frozen=True)
class Explanation:
    """What `explain` shows: Harbor's evaluation, and the tag's state when it is known."""

    evaluation: Evaluation
    reference: str
    glob_version: str
    current_digest: str | None = None
    state_known: bool = False


def render_text(explanation: Explanation, stream: TextIO, color: bool = False) -> None:
    evaluation = explanation.evaluation
    write = stream.write
    write(f"{printable(explanation.reference)}\n")
    write(
        f"  Harbor matches repository {evaluation.matched_name!r} (without the project) and "
        f"tag {evaluation.tag!r}, with doublestar {explanation.glob_version}\n"
    )
    if not evaluation.steps:
        write("  the project has no immutability rules\n")
    for step in evaluation.steps:
        write(f"  rule {step.rule.id}: {printable(_step_text(step, evaluation))}\n")
    if evaluation.immutable:
        verdict = paint(f"immutable (rule {evaluation.rule_id})", "31", color)
    elif evaluation.failure is not None:
        verdict = paint("mutable, because a broken rule fails open", "33", color)
    else:
        verdict = paint("mutable", "32", color)
    write(f"  => {verdict}\n")
    if explanation.state_known:
        current = explanation.current_digest
        state = f"the tag exists, at {current}" if current else "the tag does not exist yet"
        write(f"  state: {state}\n")


def explanation_dict(explanation: Explanation) -> dict[str, Any]:
    evaluation = explanation.evaluation
    failure = evaluation.failure
    known = explanation.state_known
    return {
        "reference": explanation.reference,
        "repository": evaluation.repository,
        "matched_repository": evaluation.matched_name,
        "tag": evaluation.tag,
        "glob_version": explanation.glob_version,
        "immutable": evaluation.immutable,
        "rule_id": evaluation.rule_id,
        "exists": (explanation.current_digest is not None) if known else None,
        "current_digest": explanation.current_digest,
        "broken_rule": None
        if failure is None
        else {
            "rule_id": failure.rule_id,
            "selector": failure.slot,
            "pattern": failure.selector.pattern,
            "message": failure.message,
            "masked_rule_ids": list(failure.masked_rule_ids),
        },
        "rules": [
            {"rule_id": s.rule.id, "outcome": s.outcome.value, "detail": _step_text(s, evaluation)}
            for s in evaluation.steps
        ],
    }


def render_json(explanation: Explanation, stream: TextIO, color: bool = False) -> None:
    json.dump(explanation_dict(explanation), stream, indent=2)
    stream.write("\n")
