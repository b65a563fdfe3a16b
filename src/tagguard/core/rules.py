"""Harbor's immutable-tag rules and its matcher (`src/pkg/immutable/match/rule/match.go`).

For a repository `project/rest` and a tag, Harbor:
1. matches the repository *without the project* (`library/team/app` is matched as `team/app`);
2. takes rules in ascending id, skipping disabled ones (`priority` is never read);
3. uses only the first repository selector and the first tag selector of a rule; a rule
   without a `repository` scope or without a tag selector never matches;
4. calls the tag immutable as soon as one rule's two selectors both select it;
5. on any selector error (unknown kind or decoration, a pattern error reached while
   matching) stops at once and calls the tag NOT immutable: the error fails open and
   every later rule is skipped.

`evaluate` reproduces that answer and records why, for `explain`, reports and warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Final, TypeAlias

from tagguard.core import glob
from tagguard.core.record import field, record, replace
from tagguard.core.sanitize import quoted
from tagguard.core.selector import (
    DOUBLESTAR,
    EXCLUDES,
    TAG_DECORATIONS,
    Candidate,
    SelectorError,
    default_untagged,
    select,
)
from tagguard.errors import PatternError, RulesError, TagguardError

REPOSITORY_SCOPE = "repository"


@record
class SelectorSpec:
    kind: str
    decoration: str
    pattern: str
    extras: str = ""

    def describe(self) -> str:
        return f"{self.decoration or '<no decoration>'} {quoted(self.pattern)}"


@record
class Rule:
    """One rule as Harbor's API returns it; absent fields take Go's zero values."""

    id: int
    disabled: bool = False
    priority: int = 0
    action: str = ""
    template: str = ""
    # None when the rule has no "repository" scope at all.
    repository_selectors: tuple[SelectorSpec, ...] | None = None
    tag_selectors: tuple[SelectorSpec, ...] = ()
    other_scopes: tuple[str, ...] = ()
    # Position in the source list, for messages that point back at the input.
    index: int = 0
    # What of a rules file's rule Harbor never reads, as `tag_selector` or
    # `tag_selectors[0].patern` (fields its model does not have: its JSON decoder drops
    # them without a word) or `scope_selectors.repositories` (a scope the matcher does not
    # read): the rule is matched without them. Only read from files
    # (`parse_rules(..., note_ignored=True)`): what Harbor sends, it knows.
    ignored: tuple[str, ...] = ()

    def ignored_sentence(self) -> str:
        """What `ignored` means, for lint and the run's warning ("" when nothing is)."""
        if not self.ignored:
            return ""
        named = ", ".join(f"{path!r}{_did_you_mean(path)}" for path in self.ignored)
        one = len(self.ignored) == 1
        return (
            f"rule {self.id} has {'a field' if one else 'fields'} Harbor never reads: {named}; "
            f"Harbor matches the rule without {'it' if one else 'them'}"
        )

    @property
    def repository_selector(self) -> SelectorSpec | None:
        return self.repository_selectors[0] if self.repository_selectors else None

    @property
    def tag_selector(self) -> SelectorSpec | None:
        return self.tag_selectors[0] if self.tag_selectors else None


def harbor_repository_name(repository: str) -> str:
    """Harbor's utils.ParseRepository: the name with its project (first segment) removed.

    Slashes at either end are trimmed first; a string without '/' is kept whole, as a
    repository with an empty project.
    """
    trimmed = repository.strip("/")
    _, sep, rest = trimmed.partition("/")
    return rest if sep else trimmed


class StepOutcome(StrEnum):
    SKIPPED_DISABLED = "disabled"
    SKIPPED_NO_REPOSITORY_SELECTOR = "no-repository-selector"
    SKIPPED_NO_TAG_SELECTOR = "no-tag-selector"
    REPOSITORY_NOT_SELECTED = "repository-not-selected"
    TAG_NOT_SELECTED = "tag-not-selected"
    MATCHED = "matched"
    ERROR = "error"
    NOT_REACHED = "not-reached"


@record
class RuleStep:
    """What happened to one rule during an evaluation."""

    rule: Rule
    outcome: StepOutcome
    detail: str = ""


@record
class RuleFailure:
    """A rule whose selector errored: Harbor failed open there and stopped."""

    rule_id: int
    slot: str  # "repository" or "tag"
    selector: SelectorSpec
    message: str
    masked_rule_ids: tuple[int, ...] = ()

    def sentence(self) -> str:
        text = (
            f"rule {self.rule_id} is broken: its {self.slot} selector "
            f"{self.selector.describe()} errors ({self.message}), so Harbor treats the tag "
            "as mutable"
        )
        if self.masked_rule_ids:
            later = ", ".join(str(i) for i in self.masked_rule_ids)
            text += f" and skips later rule(s) {later}"
        return text


@record
class Evaluation:
    """Harbor's answer for one repository and tag, with the reasons."""

    repository: str  # the full project/repo path
    matched_name: str  # what Harbor's patterns actually saw
    tag: str
    immutable: bool
    rule_id: int | None = None
    failure: RuleFailure | None = None
    # The rules evaluated, then those Harbor never reached (after a match or an error):
    # kept as rules, not steps, so a large rule set costs no object per rule per tag.
    evaluated: tuple[RuleStep, ...] = field(default=(), compare=False)
    not_reached: tuple[Rule, ...] = field(default=(), compare=False)

    @property
    def steps(self) -> tuple[RuleStep, ...]:
        """Every rule in Harbor's order, with what happened to it."""
        unreached = tuple(RuleStep(r, StepOutcome.NOT_REACHED) for r in self.not_reached)
        return self.evaluated + unreached


class _SelectorFailed(Exception):
    """Carries which selector of a rule raised, so the failure can name it."""

    def __init__(self, slot: str, selector: SelectorSpec, error: TagguardError) -> None:
        super().__init__(str(error))
        self.slot = slot
        self.selector = selector
        self.error = error


def evaluate(rules: Sequence[Rule], repository: str, tag: str, glob_version: str) -> Evaluation:
    """Is `tag` in `repository` (`project/rest`) immutable under `rules`, as Harbor decides?"""
    return RuleSet(rules).evaluate(repository, tag, glob_version)


def evaluate_either(rules: Sequence[Rule], repository: str, tag: str) -> Evaluation | None:
    """Harbor's answer when it is the same whichever glob release Harbor links (the v1.3.4
    evaluation is returned), None when the two releases answer differently.

    A rule is evaluated a second time, under v1.1.1, only where one of its patterns may
    answer differently there (`glob.may_differ`) or a name is not a plain one: the other
    rules step the same under both, so the two evaluations can only part at such a rule.
    Only when they do are both evaluated whole and compared, as Evaluation equality says.
    """
    return RuleSet(rules).evaluate_either(repository, tag)


def _rule_id(rule: Rule) -> int:
    return rule.id


def _evaluate_rule(rule: Rule, candidates: tuple[Candidate, ...], version: str) -> RuleStep:
    if rule.disabled:
        return RuleStep(rule, StepOutcome.SKIPPED_DISABLED)
    repo_selector = rule.repository_selector
    if repo_selector is None:
        return RuleStep(rule, StepOutcome.SKIPPED_NO_REPOSITORY_SELECTOR)
    chosen = _select(REPOSITORY_SCOPE, repo_selector, candidates, version)
    if not chosen:
        return RuleStep(rule, StepOutcome.REPOSITORY_NOT_SELECTED, repo_selector.describe())
    tag_selector = rule.tag_selector
    if tag_selector is None:
        return RuleStep(rule, StepOutcome.SKIPPED_NO_TAG_SELECTOR)
    chosen = _select("tag", tag_selector, chosen, version)
    if not chosen:
        return RuleStep(rule, StepOutcome.TAG_NOT_SELECTED, tag_selector.describe())
    detail = f"{repo_selector.describe()} and {tag_selector.describe()}"
    return RuleStep(rule, StepOutcome.MATCHED, detail)


def _select(
    slot: str, spec: SelectorSpec, candidates: tuple[Candidate, ...], version: str
) -> tuple[Candidate, ...]:
    """The candidates the rule's selector in `slot` keeps, as immutable.go builds it: the
    repository selector with doublestar.New's default for untagged artifacts, the tag
    selector as match.go does ({"untagged": false} for `matches`, true for `excludes`)."""
    if slot == REPOSITORY_SCOPE:
        untagged = default_untagged(spec.decoration)
    else:
        untagged = spec.decoration == EXCLUDES
    try:
        return select(
            spec.kind,
            spec.decoration,
            spec.pattern,
            candidates,
            untagged=untagged,
            glob_version=version,
        )
    except (PatternError, SelectorError) as error:
        raise _SelectorFailed(slot, spec, error) from error


def _failure_message(error: TagguardError) -> str:
    if isinstance(error, PatternError):
        return "the pattern is malformed where matching reached it"
    return str(error)


# ----------------------------------------------------------------------------- compiled

# What a rule's repository selector says before any tag is known: a step every tag takes
# the same way, the error that stops every tag reaching it, or that the tag decides -
# through the tag selector only (TAG), or through both selectors (WHOLE: a tag decoration
# in the repository slot tests the tag).
_TAG: Final = "tag"
_WHOLE: Final = "whole"
_Entry: TypeAlias = "RuleStep | _Broken | str"
# What one repository selector answers for one repository name: selected or not, or the
# message of the error it raises.
_Outcome: TypeAlias = "bool | str"
_UNSET: Final = object()


@record
class _Broken:
    """A selector that errs: where Harbor fails open and stops (kept without the raised
    exception, whose traceback would keep every frame of the match alive)."""

    slot: str
    selector: SelectorSpec
    message: str

    @classmethod
    def of(cls, failed: _SelectorFailed) -> _Broken:
        return cls(failed.slot, failed.selector, _failure_message(failed.error))


@record
class _View:
    """A rule set as a repository sees it under a glob release, before any tag: one for
    every repository whose distinct selectors answer alike."""

    entries: tuple[_Entry, ...]
    dynamic: tuple[int, ...]  # positions the tag decides, all before `stop`
    stop: int  # the first position whose repository selector errs; len(entries) if none


class RuleSet:
    """A project's rules in Harbor's order, ready to evaluate many tags: what depends only
    on the repository is worked out once per repository (and glob release), so a tag costs
    a match per rule its tag decides.

    Rule sets share few distinct repository selectors (a thousand rules may name five
    patterns): each distinct selector is matched once per repository name and release, and
    the rules holding it take its answer. Distinct selectors are numbered in the order
    Harbor first meets them, so walking them in that order is walking the rules: they are
    matched no further than the first that errs, and a pattern Harbor never reaches cannot
    raise here either. What a repository sees of the rules (its view) depends only on those
    answers, so repositories answering alike share one view, built once. One RuleSet lives
    as long as the run that read the rules (`tagguard.session.Session`).
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.ordered = tuple(sorted(rules, key=_rule_id))
        # Per position: the entry whatever the repository (a disabled rule, no repository
        # selector, a tag decoration in the repository slot), or None when the rule's
        # repository selector decides it.
        fixed: list[_Entry | None] = []
        distinct: dict[tuple[str, str, str], list[int]] = {}
        # Per position: whether its tag selector reads the tag alone (a tag decoration), so
        # that where the tag decides (`_TAG`), it decides alike in every repository.
        by_tag: list[bool] = []
        for position, rule in enumerate(self.ordered):
            entry = _fixed_entry(rule)
            fixed.append(entry)
            by_tag.append(
                bool(rule.tag_selectors) and rule.tag_selectors[0].decoration in TAG_DECORATIONS
            )
            if entry is None and rule.repository_selectors:
                selector = rule.repository_selectors[0]
                key = (selector.kind, selector.decoration, selector.pattern)
                distinct.setdefault(key, []).append(position)
        self._fixed = tuple(fixed)
        self._by_tag = tuple(by_tag)
        # The step each tag takes at a position where it decides alone (`_dynamic`).
        self._tag_steps: dict[tuple[int, str, str], RuleStep | _Broken] = {}
        self._patterns_differ: dict[tuple[int, bool], bool] = {}
        # The distinct selectors by first position, and the positions holding each, ascending.
        self._selectors = tuple(distinct)
        self._positions = tuple(tuple(held) for held in distinct.values())
        self._outcomes: dict[tuple[str, str], list[object]] = {}
        self._differs: list[bool | None] = [None] * len(self._selectors)
        # Per distinct selector and whether it selects: the entries at its positions.
        self._entries: dict[tuple[int, bool], tuple[_Entry, ...]] = {}
        self._views: dict[tuple[str, str], _View] = {}
        self._shared: dict[tuple[_Outcome, ...], _View] = {}
        self._splits: dict[str, int] = {}
        self._may_part: dict[bool, tuple[int, ...]] = {}
        self._masked: dict[int, tuple[int, ...]] = {}
        self._steps: dict[tuple[int, StepOutcome], RuleStep] = {}

    def evaluate(self, repository: str, tag: str, version: str) -> Evaluation:
        """Harbor's evaluation under one glob release."""
        evaluation = self.run(repository, tag, version, either=False)
        assert evaluation is not None
        return evaluation

    def evaluate_either(self, repository: str, tag: str) -> Evaluation | None:
        """`evaluate_either` (the module function) for these rules."""
        either = self.run(repository, tag, glob.V1_3_4, either=True)
        if either is not None:
            return either
        newest = self.evaluate(repository, tag, glob.V1_3_4)
        return newest if newest == self.evaluate(repository, tag, glob.V1_1_1) else None

    def run(self, repository: str, tag: str, version: str, *, either: bool) -> Evaluation | None:
        """Harbor's evaluation; with `either`, None where the releases may part (see
        `evaluate_either`), which is only known once the rules it reaches are."""
        name = harbor_repository_name(repository)
        view = self._view(name, version)
        split = self._split(name) if either else len(self.ordered)
        compare = either and not glob.plain_name(tag)
        decided: list[tuple[int, RuleStep]] = []  # the steps at the dynamic positions
        for position in view.dynamic:
            if split <= position:
                return None
            entry = view.entries[position]
            outcome = self._dynamic(position, entry, name, tag, version)
            if (
                either
                and (compare or self._may_differ(position, entry))
                and outcome != self._dynamic(position, entry, name, tag, glob.V1_1_1)
            ):
                return None
            if isinstance(outcome, _Broken):
                return self._failed(repository, name, tag, view, decided, position, outcome)
            decided.append((position, outcome))
            if outcome.outcome is StepOutcome.MATCHED:
                steps = _evaluated(view.entries, decided, position + 1)
                later = self.ordered[position + 1 :]
                rule_id = self.ordered[position].id
                return Evaluation(repository, name, tag, True, rule_id, None, steps, later)
        if split <= min(view.stop, len(self.ordered) - 1):
            return None
        if view.stop < len(self.ordered):
            failed = view.entries[view.stop]
            assert isinstance(failed, _Broken)
            return self._failed(repository, name, tag, view, decided, view.stop, failed)
        steps = _evaluated(view.entries, decided, view.stop)
        return Evaluation(repository, name, tag, False, None, None, steps)

    def _failed(
        self,
        repository: str,
        name: str,
        tag: str,
        view: _View,
        decided: list[tuple[int, RuleStep]],
        position: int,
        failed: _Broken,
    ) -> Evaluation:
        rule = self.ordered[position]
        masked = self._masked_after(position)
        failure = RuleFailure(rule.id, failed.slot, failed.selector, failed.message, masked)
        decided.append((position, RuleStep(rule, StepOutcome.ERROR, failure.message)))
        steps = _evaluated(view.entries, decided, position + 1)
        later = self.ordered[position + 1 :]
        return Evaluation(repository, name, tag, False, None, failure, steps, later)

    def _masked_after(self, position: int) -> tuple[int, ...]:
        """The enabled rules an error at `position` keeps Harbor from reaching."""
        if position not in self._masked:
            later = self.ordered[position + 1 :]
            self._masked[position] = tuple(r.id for r in later if not r.disabled)
        return self._masked[position]

    def _view(self, name: str, version: str) -> _View:
        key = (name, version)
        view = self._views.get(key)
        if view is None:
            answers = self._answers(name, version)
            view = self._shared.get(answers)
            if view is None:
                view = self._shared[answers] = self._new_view(answers)
            self._views[key] = view
        return view

    def _answers(self, name: str, version: str) -> tuple[_Outcome, ...]:
        """The outcome of each distinct repository selector for `name`, in Harbor's order,
        up to and including the first that errs: all a view depends on."""
        answers: list[_Outcome] = []
        for index in range(len(self._selectors)):
            outcome = self._outcome(index, name, version)
            answers.append(outcome)
            if isinstance(outcome, str):
                break
        return tuple(answers)

    def _new_view(self, answers: tuple[_Outcome, ...]) -> _View:
        """Every rule's entry for repositories whose selectors give `answers`, up to the
        first that errs: the fixed entries, then each distinct selector's entries laid over
        its positions."""
        stop = len(self.ordered)
        failed = answers[-1] if answers else False
        if isinstance(failed, str):
            stop = self._positions[len(answers) - 1][0]
        entries: list[_Entry | None] = list(self._fixed[:stop])
        for index, outcome in enumerate(answers):
            if isinstance(outcome, str):
                break
            for position, entry in zip(
                self._positions[index], self._selector_entries(index, outcome), strict=True
            ):
                if position >= stop:
                    break
                entries[position] = entry
        if isinstance(failed, str):
            selector = self.ordered[stop].repository_selector
            assert selector is not None
            entries.append(_Broken(REPOSITORY_SCOPE, selector, failed))
        dynamic = tuple(p for p, entry in enumerate(entries) if isinstance(entry, str))
        # No None is left: a position below `stop` is fixed or holds a selector met before
        # the one that errs (which first appears at `stop`).
        return _View(tuple(entries), dynamic, stop)  # type: ignore[arg-type]

    def _outcomes_for(self, name: str, version: str) -> list[object]:
        """Each distinct repository selector's outcome for `name`, _UNSET until matched."""
        known = self._outcomes.get((name, version))
        if known is None:
            known = self._outcomes[(name, version)] = [_UNSET] * len(self._selectors)
        return known

    def _outcome(self, index: int, name: str, version: str) -> _Outcome:
        """What distinct repository selector `index` answers for `name` (matched once)."""
        known = self._outcomes_for(name, version)
        outcome = known[index]
        if outcome is _UNSET:
            outcome = known[index] = _select_repository(*self._selectors[index], name, version)
        assert isinstance(outcome, (bool, str))
        return outcome

    def _selector_entries(self, index: int, selected: bool) -> tuple[_Entry, ...]:
        """The entries of the rules holding distinct selector `index` when it selects a
        repository or not (see `_TAG`): made once, whichever repositories share them, and
        each step once (one object however many tags and repositories take it)."""
        entries = self._entries.get((index, selected))
        if entries is None:
            rules = [self.ordered[position] for position in self._positions[index]]
            if selected:
                entries = tuple(_selected_entry(rule) for rule in rules)
            else:
                # The detail reads the selector's decoration and pattern: one string for all.
                selector = rules[0].repository_selector
                assert selector is not None
                detail = selector.describe()
                unselected = StepOutcome.REPOSITORY_NOT_SELECTED
                entries = tuple(RuleStep(rule, unselected, detail) for rule in rules)
            self._entries[(index, selected)] = entries
        return entries

    def _step(self, position: int, outcome: StepOutcome, detail: Callable[[], str]) -> RuleStep:
        """The rule's step with this outcome: one object however many tags and
        repositories take it (its detail, made only once, depends on the rule alone)."""
        step = self._steps.get((position, outcome))
        if step is None:
            step = RuleStep(self.ordered[position], outcome, detail())
            self._steps[(position, outcome)] = step
        return step

    def _split(self, name: str) -> int:
        """The first position whose repository entry differs between the releases
        (len(rules) if none): where an evaluation that reaches it may part. An entry differs
        exactly when its selector's outcome does (a fixed entry never does), so this is the
        first position of the first distinct selector whose outcomes differ; for a plain
        name, only selectors whose pattern may differ (`glob.may_differ`) are asked."""
        if name not in self._splits:
            split = len(self.ordered)
            for index in self._parting(glob.plain_name(name)):
                old = self._outcome(index, name, glob.V1_1_1)
                if self._outcome(index, name, glob.V1_3_4) != old:
                    split = self._positions[index][0]
                    break
            self._splits[name] = split
        return self._splits[name]

    def _parting(self, plain: bool) -> tuple[int, ...]:
        """The distinct selectors that may answer differently by release, in Harbor's
        order: for a plain name those whose pattern may differ, for any other all."""
        if plain not in self._may_part:
            self._may_part[plain] = tuple(
                index
                for index in range(len(self._selectors))
                if not plain or self._selector_may_differ(index)
            )
        return self._may_part[plain]

    def _selector_may_differ(self, index: int) -> bool:
        differs = self._differs[index]
        if differs is None:
            differs = self._differs[index] = glob.may_differ(self._selectors[index][2])
        return differs

    def _may_differ(self, position: int, entry: _Entry) -> bool:
        """Whether the patterns a tag meets at a dynamic position may differ by release
        (asked for every tag evaluated under either release: worked out once)."""
        cached = (position, entry == _WHOLE)
        differs = self._patterns_differ.get(cached)
        if differs is None:
            rule = self.ordered[position]
            tag_selector = rule.tag_selector
            selector = rule.repository_selector
            differs = self._patterns_differ[cached] = (
                tag_selector is not None and glob.may_differ(tag_selector.pattern)
            ) or (entry == _WHOLE and selector is not None and glob.may_differ(selector.pattern))
        return differs

    def _dynamic(
        self, position: int, entry: _Entry, name: str, tag: str, version: str
    ) -> RuleStep | _Broken:
        if entry == _TAG and self._by_tag[position]:
            # The repository selector has selected, and the tag selector reads the tag only:
            # one step per tag, whichever repository (a plan writes one version into many).
            cached = (position, tag, version)
            step = self._tag_steps.get(cached)
            if step is None:
                step = self._tag_steps[cached] = self._match(position, entry, name, tag, version)
            return step
        return self._match(position, entry, name, tag, version)

    def _match(
        self, position: int, entry: _Entry, name: str, tag: str, version: str
    ) -> RuleStep | _Broken:
        """The step of the rule at a dynamic `position` for repository `name` and `tag`."""
        rule = self.ordered[position]
        candidates = (Candidate(repository=name, tags=(tag,)),)
        try:
            if entry == _WHOLE:
                step = _evaluate_rule(rule, candidates, version)
                return self._steps.setdefault((position, step.outcome), step)
            return self._tag_step(position, rule, candidates, version)
        except _SelectorFailed as failed:
            return _Broken.of(failed)

    def _tag_step(
        self, position: int, rule: Rule, candidates: tuple[Candidate, ...], version: str
    ) -> RuleStep:
        """The rest of `_evaluate_rule` once the repository selector has selected."""
        tag_selector = rule.tag_selector
        repo_selector = rule.repository_selector
        assert tag_selector is not None
        assert repo_selector is not None
        chosen = _select("tag", tag_selector, candidates, version)
        if not chosen:
            return self._step(position, StepOutcome.TAG_NOT_SELECTED, tag_selector.describe)
        return self._step(
            position,
            StepOutcome.MATCHED,
            lambda: f"{repo_selector.describe()} and {tag_selector.describe()}",
        )


def _evaluated(
    entries: tuple[_Entry, ...], decided: list[tuple[int, RuleStep]], end: int
) -> tuple[RuleStep, ...]:
    """The steps of the rules before `end`: a view's entries, each dynamic one replaced by
    the step `decided` there (every dynamic position before `end` is decided). Thousands
    of entries are copied once or twice, not piece by piece, per evaluation."""
    if not decided:
        return entries[:end]  # type: ignore[return-value]
    last, step = decided[-1]
    if len(decided) == 1 and last == end - 1:
        # A slice and a concatenation: unpacking into a new tuple goes through a list and
        # takes twice as long.
        return entries[:last] + (step,)  # type: ignore[return-value]  # noqa: RUF005
    steps = list(entries[:end])
    for position, step in decided:
        steps[position] = step
    return tuple(steps)  # type: ignore[arg-type]


def _selected_entry(rule: Rule) -> _Entry:
    """A rule's entry for a repository its repository selector selects (see `_TAG`)."""
    if rule.tag_selector is None:
        return RuleStep(rule, StepOutcome.SKIPPED_NO_TAG_SELECTOR)
    return _TAG


def _fixed_entry(rule: Rule) -> _Entry | None:
    """A rule's repository entry when no repository name can change it, else None."""
    if rule.disabled:
        return RuleStep(rule, StepOutcome.SKIPPED_DISABLED)
    if not rule.repository_selectors:  # `Rule.repository_selector` without a call per rule
        return RuleStep(rule, StepOutcome.SKIPPED_NO_REPOSITORY_SELECTOR)
    repo_selector = rule.repository_selectors[0]
    if repo_selector.kind == DOUBLESTAR and repo_selector.decoration in TAG_DECORATIONS:
        return _WHOLE
    return None


def _select_repository(
    kind: str, decoration: str, pattern: str, name: str, version: str
) -> _Outcome:
    """Whether a repository selector selects repository `name` before any tag, or the
    message of its error. Repository and namespace decorations read no tag: a candidate
    without one answers."""
    try:
        chosen = select(
            kind,
            decoration,
            pattern,
            (Candidate(repository=name, tags=()),),
            untagged=default_untagged(decoration),
            glob_version=version,
        )
    except (PatternError, SelectorError) as error:
        return _failure_message(error)
    return bool(chosen)


# ----------------------------------------------------------------------------- parsing


# The fields of Harbor's ImmutableRule and ImmutableSelector (swagger.yaml).
RULE_FIELDS: Final = frozenset(
    (
        "id",
        "priority",
        "disabled",
        "action",
        "template",
        "params",
        "tag_selectors",
        "scope_selectors",
    )
)
SELECTOR_FIELDS: Final = frozenset(("kind", "decoration", "pattern", "extras"))


def parse_rules(
    data: object, source: str, start: int = 0, *, note_ignored: bool = False
) -> tuple[Rule, ...]:
    """Rules from the JSON array Harbor's API returns; `source` names it in errors.

    Shapes Go's JSON decoder would refuse (a string id, a list where an object belongs)
    are refused here too, naming the rule and field. Absent fields are Go zero values.
    `start` is where the array starts in a longer list read page by page: the rules' indexes,
    and the numbers errors give them, count from there. With `note_ignored` (a file a person
    wrote), each rule records the fields Harbor would drop (`Rule.ignored`).
    """
    if not isinstance(data, list):
        raise RulesError(f"{source}: expected a JSON array of rules, found {_json_type(data)}")
    specs: dict[tuple[object, ...], SelectorSpec] = {}
    rules = []
    for index, given in enumerate(data, start):
        item: object = given
        ignored: tuple[str, ...] = ()
        if note_ignored and not _as_harbor_sends(given):
            try:
                item, ignored = _as_harbor_reads(given)
            except RulesError as error:
                raise RulesError(f"{source}: rule #{index + 1}: {error.message}") from None
        rule = _quick_rule(item, index, specs) or _parse_rule(
            item, f"{source}: rule #{index + 1}", index
        )
        rules.append(replace(rule, ignored=ignored) if ignored else rule)
    return tuple(rules)


def _as_harbor_sends(item: object) -> bool:
    """Whether a rule object has only the fields Harbor sends, spelt as it sends them, and
    a `repository` scope alone (nearly every rule of a file): read as it is."""
    if type(item) is not dict or not item.keys() <= RULE_FIELDS:
        return False
    scopes = item.get("scope_selectors")
    lists = [item.get("tag_selectors")]
    if isinstance(scopes, dict):
        if not scopes.keys() <= _REPOSITORY_ONLY:
            return False
        lists.append(scopes.get(REPOSITORY_SCOPE))
    return all(
        not isinstance(entry, dict) or entry.keys() <= SELECTOR_FIELDS
        for selectors in lists
        if isinstance(selectors, list)
        for entry in selectors
    )


def _as_harbor_reads(item: object) -> tuple[object, tuple[str, ...]]:
    """A rule object as Harbor's decoder fills its model from it, and what it leaves out.

    Go's encoding/json matches an object's keys to a struct's fields without regard to
    case (`Tag_Selectors` fills `tag_selectors`; a later key for a field replaces an
    earlier one) and drops keys that match no field; `scope_selectors` is a map, whose
    keys are kept as they are, and whose scopes other than `repository` the matcher never
    reads (src/pkg/immutable/match/rule/match.go). What is dropped or never read is
    returned as paths: `tag_selector`, `tag_selectors[0].patern`, `scope_selectors.repos`."""
    if not isinstance(item, Mapping):
        return item, ()
    read, ignored = _go_fields(item, RULE_FIELDS, "")
    tags = read.get("tag_selectors")
    if isinstance(tags, list):
        read["tag_selectors"] = _go_selectors(tags, "tag_selectors", ignored)
    scopes = read.get("scope_selectors")
    if isinstance(scopes, Mapping):
        # Only the repository scope is read: another is left as it is (and named once).
        read["scope_selectors"] = {
            key: _go_selectors(value, f"scope_selectors.{key}", ignored)
            if key == REPOSITORY_SCOPE and isinstance(value, list)
            else value
            for key, value in scopes.items()
        }
        ignored += [f"scope_selectors.{key}" for key in scopes if key != REPOSITORY_SCOPE]
    return read, tuple(ignored)


def _go_selectors(selectors: list[object], where: str, ignored: list[str]) -> list[object]:
    out: list[object] = []
    for position, entry in enumerate(selectors):
        if not isinstance(entry, Mapping):
            out.append(entry)  # refused as it is by the reader, naming its place
            continue
        read, dropped = _go_fields(entry, SELECTOR_FIELDS, f"{where}[{position}].")
        ignored += dropped
        out.append(read)
    return out


def _go_fields(
    given: Mapping[str, object], fields: frozenset[str], where: str
) -> tuple[dict[str, object], list[str]]:
    """`given`'s values by the field each key fills, Go's way, and the keys no field takes."""
    read: dict[str, object] = {}
    keys: dict[str, str] = {}
    dropped: list[str] = []
    for key, value in given.items():
        field_name = key if key in fields else _FOLDED.get(_go_fold(str(key)))
        if field_name not in fields:
            dropped.append(f"{where}{key}")
            continue
        if field_name in keys:
            # Go fills the field from each key in turn (a type error of any fails the whole
            # decode; arrays of selectors even merge): which rule Harbor would store turns
            # on Go's details, so none is guessed.
            raise RulesError(
                f"{where}{field_name} is given twice, as {keys[field_name]!r} and {key!r}: "
                "Harbor's decoder reads both into one field; keep one"
            )
        keys[field_name], read[field_name] = key, value
    return read, dropped


# Go folds a key as bytes.EqualFold does (encoding/json's foldName): ASCII letters by case,
# and other characters by Unicode's simple folding, by which only U+017F (long s) folds to
# an ASCII letter ('s'), and U+212A (the Kelvin sign) to 'k'. The field names are ASCII:
# nothing else can match them.
_NON_ASCII_FOLDS: Final = MappingProxyType({"\u017f": "S", "\u212a": "K"})
_REPOSITORY_ONLY: Final = frozenset((REPOSITORY_SCOPE,))


def _go_fold(name: str) -> str:
    return "".join(ch.upper() if ch.isascii() else _NON_ASCII_FOLDS.get(ch, ch) for ch in name)


_FOLDED: Final = MappingProxyType({_go_fold(name): name for name in RULE_FIELDS | SELECTOR_FIELDS})


def _did_you_mean(path: str) -> str:
    """` (did you mean 'tag_selectors'?)` for a near miss of a known field, else ""."""
    import difflib  # a misspelt rules file's only

    name = path.rsplit(".", 1)[-1]
    if "[" in path:
        known: frozenset[str] = SELECTOR_FIELDS
    elif path.startswith("scope_selectors."):
        known = _REPOSITORY_ONLY
    else:
        known = RULE_FIELDS
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


_INT64: Final = range(-(2**63), 2**63)


def _quick_rule(
    item: object, index: int, specs: dict[tuple[object, ...], SelectorSpec]
) -> Rule | None:
    """The rule `_parse_rule` gives, when every field is absent, null or of the JSON type
    Harbor sends, read without composing the place names `_parse_rule` keeps ready for its
    errors (5,000 rules parse in a third of the time). None for anything else (another
    scope than `repository` included): `_parse_rule` then reads it, or names what is wrong.
    Equal selectors are one object (`specs`), as rule sets repeat a few of them."""
    if type(item) is not dict:
        return None
    rule_id, priority = item.get("id"), item.get("priority")
    disabled, action, template = item.get("disabled"), item.get("action"), item.get("template")
    if not (
        (rule_id is None or (type(rule_id) is int and rule_id in _INT64))
        and (priority is None or (type(priority) is int and priority in _INT64))
        and (disabled is None or type(disabled) is bool)
        and (action is None or type(action) is str)
        and (template is None or type(template) is str)
    ):
        return None
    scopes = item.get("scope_selectors")
    repository: tuple[SelectorSpec, ...] | None = None
    if scopes is not None:
        if type(scopes) is not dict or len(scopes) != (REPOSITORY_SCOPE in scopes):
            return None
        if scopes:
            repository = _quick_selectors(scopes[REPOSITORY_SCOPE], specs)
            if repository is None:
                return None
    tags = _quick_selectors(item.get("tag_selectors"), specs)
    if tags is None:
        return None
    return Rule(
        id=rule_id or 0,
        disabled=disabled or False,
        priority=priority or 0,
        action=action or "",
        template=template or "",
        repository_selectors=repository,
        tag_selectors=tags,
        index=index,
    )


def _quick_selectors(
    value: object, specs: dict[tuple[object, ...], SelectorSpec]
) -> tuple[SelectorSpec, ...] | None:
    """`_selectors` for a list of objects whose fields are strings or null; else None."""
    if value is None:
        return ()
    if type(value) is not list:
        return None
    out: list[SelectorSpec] = []
    for entry in value:
        if type(entry) is not dict:
            return None
        key = (
            entry.get("kind"),
            entry.get("decoration"),
            entry.get("pattern"),
            entry.get("extras"),
        )
        try:
            spec = specs.get(key)
        except TypeError:  # a list or an object where a string belongs
            return None
        if spec is None:
            if not all(part is None or type(part) is str for part in key):
                return None
            spec = specs[key] = SelectorSpec(*(part or "" for part in key))
        out.append(spec)
    return tuple(out)


def _parse_rule(item: object, where: str, index: int) -> Rule:
    if not isinstance(item, Mapping):
        raise RulesError(f"{where}: expected an object, found {_json_type(item)}")
    rule_id = _integer(item.get("id", 0), f"{where}: id")
    where = f"{where} (id {rule_id})"
    scopes = item.get("scope_selectors")
    repository_selectors: tuple[SelectorSpec, ...] | None = None
    other_scopes: tuple[str, ...] = ()
    if scopes is not None:
        if not isinstance(scopes, Mapping):
            raise RulesError(
                f"{where}: scope_selectors must be an object, found {_json_type(scopes)}"
            )
        if REPOSITORY_SCOPE in scopes:
            repository_selectors = _selectors(
                scopes[REPOSITORY_SCOPE], f"{where}: scope_selectors.repository"
            )
        other_scopes = tuple(key for key in scopes if key != REPOSITORY_SCOPE)
        for key in other_scopes:
            _selectors(scopes[key], f"{where}: scope_selectors.{key}")
    tag_selectors = _selectors(item.get("tag_selectors"), f"{where}: tag_selectors") or ()
    return Rule(
        id=rule_id,
        disabled=_boolean(item.get("disabled", False), f"{where}: disabled"),
        priority=_integer(item.get("priority", 0), f"{where}: priority"),
        action=_string(item.get("action", ""), f"{where}: action"),
        template=_string(item.get("template", ""), f"{where}: template"),
        repository_selectors=repository_selectors,
        tag_selectors=tag_selectors,
        other_scopes=other_scopes,
        index=index,
    )


def _selectors(value: object, where: str) -> tuple[SelectorSpec, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RulesError(f"{where}: expected an array of selectors, found {_json_type(value)}")
    out: list[SelectorSpec] = []
    for position, entry in enumerate(value):
        here = f"{where}[{position}]"
        if not isinstance(entry, Mapping):
            # A null selector makes Harbor's matcher dereference nil: no answer to predict.
            raise RulesError(f"{here}: expected a selector object, found {_json_type(entry)}")
        out.append(
            SelectorSpec(
                kind=_string(entry.get("kind", ""), f"{here}.kind"),
                decoration=_string(entry.get("decoration", ""), f"{here}.decoration"),
                pattern=_string(entry.get("pattern", ""), f"{here}.pattern"),
                extras=_string(entry.get("extras", ""), f"{here}.extras"),
            )
        )
    return tuple(out)


def _integer(value: object, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise RulesError(f"{where} must be an integer, found {_json_type(value)} {value!r}")
    if not -(2**63) <= value < 2**63:
        raise RulesError(f"{where} {value} does not fit in a 64-bit integer")
    return value


def _boolean(value: object, where: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise RulesError(f"{where} must be true or false, found {_json_type(value)} {value!r}")
    return value


def _string(value: object, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RulesError(f"{where} must be a string, found {_json_type(value)} {value!r}")
    return value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
