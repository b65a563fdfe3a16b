"""Is a tag immutable? Two witnesses, reconciled.

tagguard evaluates the project's rules itself (`rules.evaluate`), and a live Harbor also
reports its own `immutable` flag for every existing tag, computed by the matcher that
enforces. When both speak they must agree; when they do not, tagguard trusts neither and the
write is blocked with both answers. When the rules cannot be read (a developer-role robot
gets 403), Harbor's flag decides alone.
"""

from __future__ import annotations

from tagguard.core.record import record
from tagguard.core.rules import Evaluation, RuleFailure


@record
class Immutability:
    # None: unknown (only for a tag that does not exist, whose rules could not be read).
    immutable: bool | None
    rule_id: int | None = None
    failure: RuleFailure | None = None
    # Why the answer rests on less than both witnesses, or how they disagree.
    note: str = ""
    conflict: bool = False
    # With proposed rules (a what-if): how they change what Harbor holds today.
    change: str = ""

    @property
    def lock(self) -> str:
        """Who locks the tag, for sentences: 'rule 3', or 'Harbor' when rules are unknown."""
        return f"rule {self.rule_id}" if self.rule_id is not None else "Harbor"


def from_evaluation(evaluation: Evaluation) -> Immutability:
    return Immutability(evaluation.immutable, evaluation.rule_id, evaluation.failure)


def reconcile(
    evaluation: Evaluation | None, harbor_flag: bool | None, unavailable_reason: str = ""
) -> Immutability:
    """Combines the local evaluation (None: rules unreadable) with Harbor's flag (None:
    not reported, e.g. offline or the tag does not exist)."""
    if evaluation is None:
        note = f"rule details are unavailable ({unavailable_reason})" if unavailable_reason else ""
        if harbor_flag is None:
            return Immutability(None, note=note)
        return Immutability(harbor_flag, note=f"Harbor's own flag decides; {note}" if note else "")
    local = from_evaluation(evaluation)
    if harbor_flag is None or harbor_flag == evaluation.immutable:
        return local
    said = f"immutable by rule {evaluation.rule_id}" if evaluation.immutable else "mutable"
    if evaluation.failure is not None and not evaluation.immutable:
        said = f"mutable because rule {evaluation.failure.rule_id} fails open"
    harbor = "immutable" if harbor_flag else "mutable"
    return Immutability(
        None,
        evaluation.rule_id,
        evaluation.failure,
        note=f"tagguard's reading of the rules says {said}, but Harbor reports the tag {harbor}",
        conflict=True,
    )


def propose(evaluation: Evaluation, harbor_flag: bool | None) -> Immutability:
    """Proposed rules (a rules file against a live Harbor) decide alone: Harbor's flag comes
    from the rules in force and says nothing about them. Where the two differ, the verdict
    says so (a `rules-change` note), and it is no conflict."""
    local = from_evaluation(evaluation)
    if harbor_flag is None or harbor_flag == evaluation.immutable:
        return local
    now = "immutable" if harbor_flag else "mutable"
    then = f"immutable (rule {evaluation.rule_id})" if evaluation.immutable else "mutable"
    return Immutability(
        local.immutable,
        local.rule_id,
        local.failure,
        change=f"Harbor holds this tag {now} today; the proposed rules make it {then}",
    )
