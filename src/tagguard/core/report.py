"""What a run found: the decisions, the warnings, and the exit code they imply."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from operator import attrgetter

from tagguard.core.decide import Decision, Verdict
from tagguard.core.record import field, record

EXIT_OK = 0
EXIT_BLOCKED = 1
EXIT_UNDECIDED = 2

_VERDICT = attrgetter("decision")


@record
class Notice:
    """A warning: something Harbor will do silently that the user most likely did not mean."""

    code: str
    message: str
    registry: str | None = None
    project: str | None = None
    rule_id: int | None = None
    reference: str | None = None  # the tag it is about, where there is one


@record
class Impact:
    """What `tagguard impact` found: the existing tags it read, and how many of them the
    proposed rules make immutable, and mutable, that Harbor holds otherwise today."""

    tags: int = 0
    immutable: int = 0
    mutable: int = 0


@record(frozen=False)
class Report:
    """Accumulates decisions and warnings; everything else is derived from them."""

    decisions: list[Decision] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    # impact's counts (it decides no write); None for every other command.
    impact: Impact | None = None
    # The warnings as a set: each is told once, and checking costs the same for the
    # thousandth (a 5,000-rule file warns per rule) as for the first.
    _told: set[Notice] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._told = set(self.warnings)

    def record(self, decision: Decision) -> None:
        self.decisions.append(decision)
        for failure in decision.failures:
            self.warn(
                Notice(
                    code="broken-rule",
                    message=f"project {decision.project}: {failure.sentence()}",
                    registry=decision.registry,
                    project=decision.project,
                    rule_id=failure.rule_id,
                )
            )

    def warn(self, notice: Notice) -> None:
        if notice not in self._told:
            self._told.add(notice)
            self.warnings.append(notice)

    def extend(self, decisions: Iterable[Decision]) -> None:
        for decision in decisions:
            self.record(decision)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for d in self.decisions if d.decision is verdict)

    @property
    def summary(self) -> dict[str, int]:
        # Each verdict's `count`, in one pass over the decisions (by identity, as `count`).
        tally = Counter(map(id, map(_VERDICT, self.decisions)))
        return {verdict.value: tally[id(verdict)] for verdict in Verdict}

    @property
    def blocked(self) -> bool:
        return any(d.decision is Verdict.BLOCK for d in self.decisions)

    @property
    def exit_code(self) -> int:
        return EXIT_BLOCKED if self.blocked else EXIT_OK
