"""Harbor's immutability matcher: the vectors, the corners, and parsing of rule JSON."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core import glob
from tagguard.core.record import replace
from tagguard.core.rules import (
    Evaluation,
    Rule,
    RuleSet,
    SelectorSpec,
    StepOutcome,
    evaluate,
    evaluate_either,
    harbor_repository_name,
    parse_rules,
)
from tagguard.core.selector import Candidate, SelectorError, select
from tagguard.errors import PatternError, RulesError
from tests.builders import rule_json
from tests.conftest import load_vectors

RULE_VECTORS = load_vectors("rules.jsonl")


@pytest.mark.parametrize(
    "vector",
    RULE_VECTORS,
    ids=[f"{v['source']}|{v['repository']}:{v['tag']}" for v in RULE_VECTORS],
)
def test_rule_vector(vector: dict[str, Any]) -> None:
    rules = parse_rules(vector["rules"], "vector")
    result = evaluate(rules, vector["repository"], vector["tag"], glob.V1_3_4)
    assert result.immutable is vector["immutable"]


def test_issue_20102_fails_open_for_every_repository_on_old_harbor() -> None:
    vectors = [v for v in RULE_VECTORS if v["source"].startswith("issue #20102")]
    assert vectors
    for vector in vectors:
        rules = parse_rules(vector["rules"], "vector")
        result = evaluate(rules, vector["repository"], vector["tag"], glob.V1_1_1)
        assert result.immutable is False
        assert result.failure is not None


rule = rule_json


def test_rules_are_taken_by_id_not_by_list_order_or_priority() -> None:
    rules = parse_rules([rule(5, "**", "**", priority=100), rule(2, "**", "v1[", priority=0)], "x")
    result = evaluate(rules, "p/app", "v1x", glob.NEWEST)
    # Rule 2 comes first by id and errors, so rule 5 never runs: fail open.
    assert result.immutable is False
    assert result.failure is not None
    assert result.failure.rule_id == 2
    assert result.failure.masked_rule_ids == (5,)
    assert [s.outcome for s in result.steps] == [StepOutcome.ERROR, StepOutcome.NOT_REACHED]


def test_a_broken_tag_pattern_only_errs_for_repositories_its_rule_selects() -> None:
    rules = parse_rules([rule(1, "web", "v1["), rule(2, "**", "**")], "x")
    assert evaluate(rules, "p/api", "v1x", glob.NEWEST).immutable is True
    assert evaluate(rules, "p/web", "v1x", glob.NEWEST).immutable is False


def test_matched_rule_and_steps_are_reported() -> None:
    rules = parse_rules([rule(1, "web", "**"), rule(3, "**", "v*"), rule(4, "**", "**")], "x")
    result = evaluate(rules, "proj/team/app", "v2", glob.NEWEST)
    assert result.immutable is True
    assert result.rule_id == 3
    assert result.matched_name == "team/app"
    assert [s.outcome for s in result.steps] == [
        StepOutcome.REPOSITORY_NOT_SELECTED,
        StepOutcome.MATCHED,
        StepOutcome.NOT_REACHED,
    ]


def test_rules_without_repository_scope_or_tag_selector_never_match() -> None:
    no_scope = {
        "id": 1,
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "**"}],
    }
    no_tag = {
        "id": 2,
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]
        },
    }
    result = evaluate(parse_rules([no_scope, no_tag], "x"), "p/app", "v1", glob.NEWEST)
    assert result.immutable is False
    assert [s.outcome for s in result.steps] == [
        StepOutcome.SKIPPED_NO_REPOSITORY_SELECTOR,
        StepOutcome.SKIPPED_NO_TAG_SELECTOR,
    ]


def test_a_tag_decoration_in_the_repository_slot_tests_the_tag() -> None:
    odd = rule(1, "v1", "**")
    odd["scope_selectors"]["repository"][0]["decoration"] = "matches"
    rules = parse_rules([odd], "x")
    assert evaluate(rules, "p/anything", "v1", glob.NEWEST).immutable is True
    assert evaluate(rules, "p/anything", "v2", glob.NEWEST).immutable is False


def test_excludes_tag_selector() -> None:
    excluding = rule(1, "**", "dev-*")
    excluding["tag_selectors"][0]["decoration"] = "excludes"
    rules = parse_rules([excluding], "x")
    assert evaluate(rules, "p/app", "dev-1", glob.NEWEST).immutable is False
    assert evaluate(rules, "p/app", "1.0", glob.NEWEST).immutable is True


def _with_second_selectors(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with broken selectors after the first in both slots (a bad pattern, an
    unregistered kind, an unknown decoration)."""
    broken = [
        {"kind": "doublestar", "decoration": "repoMatches", "pattern": "a["},
        {"kind": "label", "decoration": "withLabels", "pattern": "x"},
        {"kind": "doublestar", "decoration": "bogus", "pattern": "x"},
    ]
    data["scope_selectors"]["repository"] += broken
    data["tag_selectors"] += broken
    return data


GO_CONFIRMED_CORNERS = [
    # (rules, repository, tag, immutable): all failing neither way (no selector error).
    # A string without '/' is a repository with an empty project, matched whole
    # (common/utils ParseRepository); with one, the first segment is dropped.
    ([rule(1, "library", "")], "library", "v1", True),
    ([rule(1, "library", "")], "/library/", "v1", True),
    ([rule(1, "library", "")], "library/x", "v1", False),
    # A disabled rule is skipped before its selectors are built: its broken pattern or
    # unregistered kind masks nothing (Match's `if r.Disabled { continue }` comes first).
    ([rule(1, "a[", disabled=True), rule(2, tag="v*")], "p/ab", "v1", True),
    ([rule(1, tag_kind="label", disabled=True), rule(2, tag="v*")], "p/ab", "v1", True),
    # Only selector [0] of each slot is read: broken ones after it never err.
    ([_with_second_selectors(rule(1, tag="v*"))], "p/ab", "v1", True),
    ([_with_second_selectors(rule(1, tag="v*"))], "p/ab", "dev-1", False),
    # An empty pattern matches every name, so `repoExcludes ""` selects none; the next
    # rule (`repoMatches ""`) still runs.
    ([rule(1, "", repo_decoration="repoExcludes")], "p/app", "v1", False),
    ([rule(1, "", repo_decoration="repoExcludes"), rule(2, "")], "p/app", "v1", True),
    # An empty name (nothing left once the slashes are trimmed) is selected by no
    # repository selector at all, as Select only matches a value of length > 0.
    ([rule(1, "")], "/", "v1", False),
    ([rule(1, "x", repo_decoration="repoExcludes")], "", "v1", False),
]


@pytest.mark.parametrize(("rules", "repository", "tag", "immutable"), GO_CONFIRMED_CORNERS)
def test_corners_confirmed_against_harbors_compiled_matcher(
    rules: list[dict[str, Any]], repository: str, tag: str, immutable: bool
) -> None:
    """Expectations are what Harbor v2.15.2's own Go code answers: Matcher.Match
    (src/pkg/immutable/match/rule/match.go) with doublestar's Select
    (src/lib/selector/selectors/doublestar/selector.go), index.Get and ParseRepository,
    compiled once with doublestar v1.3.4 and once with v1.1.1, and fed these rules as
    the API returns them (a differential run, not a reading of tagguard)."""
    for version in (glob.V1_3_4, glob.V1_1_1):  # no pattern here differs by release
        result = evaluate(parse_rules(rules, "x"), repository, tag, version)
        assert (result.immutable, result.failure) == (immutable, None)


@pytest.mark.parametrize(
    ("repository", "expected"),
    [
        ("library/team/app", "team/app"),
        ("library/app", "app"),
        ("app", "app"),  # a project-less string is kept whole, as Harbor does
        ("/library/app/", "app"),
        ("//x//y", "/y"),
    ],
)
def test_harbor_repository_name(repository: str, expected: str) -> None:
    assert harbor_repository_name(repository) == expected


def test_absent_fields_are_go_zero_values() -> None:
    (parsed,) = parse_rules([{}], "x")
    assert parsed.id == 0
    assert parsed.disabled is False
    assert parsed.repository_selectors is None
    assert parsed.tag_selectors == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rules": []}, "expected a JSON array of rules, found an object"),
        (["x"], r"rule #1: expected an object, found a string"),
        ([{"id": "1"}], r"rule #1: id must be an integer, found a string '1'"),
        ([{"id": 1, "disabled": "no"}], r"rule #1 \(id 1\): disabled must be true or false"),
        ([{"id": 1, "tag_selectors": {}}], r"tag_selectors: expected an array of selectors"),
        (
            [{"id": 1, "tag_selectors": [None]}],
            r"tag_selectors\[0\]: expected a selector object, found null",
        ),
        ([{"id": 1, "scope_selectors": []}], r"scope_selectors must be an object"),
        (
            [{"id": 1, "tag_selectors": [{"pattern": 5}]}],
            r"tag_selectors\[0\].pattern must be a string",
        ),
        ([{"id": 2**63}], r"does not fit in a 64-bit integer"),
    ],
)
def test_malformed_rules_are_refused_naming_the_place(data: object, message: str) -> None:
    with pytest.raises(RulesError, match=message):
        parse_rules(data, "rules.json")


ANY_JSON: st.SearchStrategy[object] = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=3)
    | st.just([])
    | st.just({})
    | st.sampled_from([2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 1.0, -0.0])
)
STRINGS = st.none() | st.sampled_from(["", "doublestar", "repoMatches", "matches", "**", "v*"])
INTEGERS = st.none() | st.integers(-(2**63), 2**63 - 1)
selector_json = st.fixed_dictionaries(
    {}, optional={"kind": STRINGS, "decoration": STRINGS, "pattern": STRINGS, "extras": STRINGS}
)
selector_lists = st.none() | st.lists(selector_json, max_size=3)
rule_field_json = st.fixed_dictionaries(
    {},
    optional={
        "id": INTEGERS,
        "priority": INTEGERS,
        "disabled": st.none() | st.booleans(),
        "action": STRINGS,
        "template": STRINGS,
        "tag_selectors": selector_lists,
        "scope_selectors": st.none()
        | st.dictionaries(st.just("repository"), selector_lists, max_size=1),
    },
)
# Where a rule can hold a value of another type: a field, a scope, a selector or its field.
PLACES = st.sampled_from(
    ["id", "priority", "disabled", "action", "template", "tag_selectors", "scope_selectors",
     "repository", "namespace", "selector", "kind", "decoration", "pattern", "extras"]
)  # fmt: skip


def parsed_or_refused(data: list[object]) -> tuple[Rule, ...] | str:
    try:
        return parse_rules(data, "x")
    except RulesError as error:
        return str(error)


def corrupt(item: dict[str, Any], place: str, value: object) -> None:
    """Puts `value` at one place of a rule (adding what holds that place)."""
    if place in ("repository", "namespace"):
        item["scope_selectors"] = {**(item.get("scope_selectors") or {}), place: value}
    elif place == "selector":
        item["tag_selectors"] = [*(item.get("tag_selectors") or []), value]
    elif place in ("kind", "decoration", "pattern", "extras"):
        item["tag_selectors"] = [{place: value}, *(item.get("tag_selectors") or [])]
    else:
        item[place] = value


@settings(max_examples=500, deadline=None)
@given(
    items=st.lists(rule_field_json, min_size=1, max_size=3),
    corruption=st.none() | st.tuples(PLACES, ANY_JSON),
)
def test_the_quick_reading_of_rules_is_the_detailed_one(
    items: list[dict[str, Any]], corruption: tuple[str, object] | None
) -> None:
    """Rules whose fields have the JSON types Harbor sends are read without composing error
    places; anything else goes the detailed way. A mapping that is not a dict always goes
    the detailed way: both must give the same rules, or refuse with the same message."""
    if corruption is not None:
        corrupt(items[-1], *corruption)
    detailed = [MappingProxyType(item) for item in items]
    assert parsed_or_refused(list(items)) == parsed_or_refused(list(detailed))


# -- the compiled evaluation against Harbor's loop, written plainly ------------------------


def harbor_loop(rules: tuple[Rule, ...], repository: str, tag: str, version: str) -> Summary:
    """match.go's loop as Harbor writes it (src/pkg/immutable/match/rule/match.go, Match):
    rules by id, each rule's first repository selector then its first tag selector, every
    selector error failing open and stopping. What `evaluate` must say, step for step."""
    candidates = (Candidate(harbor_repository_name(repository), (tag,)),)
    ordered = sorted(rules, key=lambda r: r.id)
    steps: list[tuple[int, StepOutcome]] = []
    for position, each in enumerate(ordered):
        later = tuple((r.id, StepOutcome.NOT_REACHED) for r in ordered[position + 1 :])
        if each.disabled:
            steps.append((each.id, StepOutcome.SKIPPED_DISABLED))
            continue
        repo, tag_selector = each.repository_selector, each.tag_selector
        if repo is None:
            steps.append((each.id, StepOutcome.SKIPPED_NO_REPOSITORY_SELECTOR))
            continue
        slot = "repository"
        try:
            chosen = select(repo.kind, repo.decoration, repo.pattern, candidates,
                            untagged=repo.decoration != "excludes", glob_version=version)  # fmt: skip
            if not chosen:
                steps.append((each.id, StepOutcome.REPOSITORY_NOT_SELECTED))
                continue
            if tag_selector is None:
                steps.append((each.id, StepOutcome.SKIPPED_NO_TAG_SELECTOR))
                continue
            slot = "tag"
            chosen = select(tag_selector.kind, tag_selector.decoration, tag_selector.pattern,
                            chosen, untagged=tag_selector.decoration == "excludes",
                            glob_version=version)  # fmt: skip
        except (PatternError, SelectorError):
            masked = tuple(r.id for r in ordered[position + 1 :] if not r.disabled)
            failure = (each.id, slot, masked)
            return False, None, failure, (*steps, (each.id, StepOutcome.ERROR), *later)
        if chosen:
            return True, each.id, None, (*steps, (each.id, StepOutcome.MATCHED), *later)
        steps.append((each.id, StepOutcome.TAG_NOT_SELECTED))
    return False, None, None, tuple(steps)


Summary = tuple[bool, int | None, tuple[int, str, tuple[int, ...]] | None, tuple[object, ...]]


def summary(result: Evaluation) -> Summary:
    failure = result.failure
    return (
        result.immutable,
        result.rule_id,
        (failure.rule_id, failure.slot, failure.masked_rule_ids) if failure else None,
        tuple((s.rule.id, s.outcome) for s in result.steps),
    )


SELECTOR_PATTERNS = st.sampled_from(
    ["**", "*", "v*", "a", "a/*", "{a,b}", "a{,b}", "{a/b,c}", "*[", "v1[", "", "a/b/", "[!a]*"]
)
selectors = st.builds(
    SelectorSpec,
    kind=st.sampled_from(["doublestar", "doublestar", "doublestar", "label"]),
    decoration=st.sampled_from(
        ["repoMatches", "repoExcludes", "matches", "excludes", "nsMatches", "withLabels"]
    ),
    pattern=SELECTOR_PATTERNS,
)
rule_sets = st.lists(
    st.builds(
        Rule,
        id=st.integers(1, 40),
        disabled=st.booleans(),
        repository_selectors=st.none() | st.lists(selectors, max_size=2).map(tuple),
        tag_selectors=st.lists(selectors, max_size=2).map(tuple),
    ),
    max_size=8,
    unique_by=lambda r: r.id,
).map(tuple)
REPOSITORIES = st.sampled_from(["p/a", "p/b", "p/a/b", "p/c/a", "p/a/b/", "p/é"])
TAGS = st.sampled_from(["a", "b", "v1", "v1x", "abc", "a/b", "é", ""])


@settings(max_examples=300, deadline=None)
@given(rules=rule_sets, asked=st.lists(st.tuples(REPOSITORIES, TAGS), min_size=1, max_size=6))
def test_the_compiled_evaluation_is_harbors_loop(
    rules: tuple[Rule, ...], asked: list[tuple[str, str]]
) -> None:
    """Several tags of a few repositories against one rule set: what is worked out once per
    repository (and per distinct selector) is reused, and every answer is still Harbor's,
    step for step. Whenever the two releases answer alike, `evaluate_either` gives that
    answer, else None."""
    compiled = RuleSet(rules)
    for repository, tag in asked:
        for version in glob.VERSIONS:
            expected = harbor_loop(rules, repository, tag, version)
            assert summary(compiled.evaluate(repository, tag, version)) == expected
            assert summary(evaluate(rules, repository, tag, version)) == expected
        newest = compiled.evaluate(repository, tag, glob.V1_3_4)
        either = compiled.evaluate_either(repository, tag)
        assert either == evaluate_either(rules, repository, tag)
        if newest == compiled.evaluate(repository, tag, glob.V1_1_1):
            assert either is not None
            assert summary(either) == summary(newest)
        else:
            assert either is None


@pytest.mark.parametrize("vector", RULE_VECTORS, ids=lambda v: f"{v['repository']}:{v['tag']}")
def test_rule_vectors_through_either_release(vector: dict[str, Any]) -> None:
    rules = parse_rules(vector["rules"], "vector")
    either = evaluate_either(rules, vector["repository"], vector["tag"])
    if either is not None:
        assert either.immutable is vector["immutable"]
    else:  # only a rule whose pattern the releases read differently can part them
        assert any(glob.may_differ(s.pattern) for r in rules for s in r.tag_selectors[:1]
                   + (r.repository_selectors or ())[:1])  # fmt: skip


def counting(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, str]]:
    """Every pattern match the selectors ask for: (pattern, name, release)."""
    calls: list[tuple[str, str, str]] = []
    real = glob.harbor_match

    def spy(pattern: str, name: str, version: str = glob.NEWEST) -> bool:
        calls.append((pattern, name, version))
        return real(pattern, name, version)

    monkeypatch.setattr("tagguard.core.selector.harbor_match", spy)
    return calls


def test_repository_selectors_are_matched_once_per_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = parse_rules([rule(i, f"team-{i}/*", "v*") for i in range(1, 50)]
                        + [rule(50, "**", "v*")], "x")  # fmt: skip
    calls = counting(monkeypatch)
    compiled = RuleSet(rules)  # what a run keeps (the check Session holds one per project)
    for tag in ("v1", "x1", "v2", "x2"):
        assert compiled.evaluate("p/app/api", tag, glob.NEWEST).immutable is tag.startswith("v")
    on_repository = [c for c in calls if c[1] == "app/api"]
    assert len(on_repository) == 50  # each rule's repository pattern once, not once per tag
    assert len(calls) - len(on_repository) == 4  # one tag match per tag: rule 50's


def test_a_selector_many_rules_share_is_matched_once_per_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = parse_rules([rule(i, "team-*", f"v{i}") for i in range(1, 100)]
                        + [rule(100, "**", "v*")], "x")  # fmt: skip
    calls = counting(monkeypatch)
    compiled = RuleSet(rules)
    for repository in ("p/app", "p/team-a", "p/app"):
        result = compiled.evaluate(repository, "v7", glob.NEWEST)
        assert result.rule_id == (7 if repository == "p/team-a" else 100)
        assert len(result.steps) == 100
    assert [c[:2] for c in calls if c[0] == "team-*"] == [("team-*", "app"), ("team-*", "team-a")]


def test_no_repository_selector_after_one_that_errs_is_matched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Harbor stops at the first selector error: the selectors after it are never matched
    (one that would raise, such as a pattern nesting too deeply, must not raise here)."""
    rules = parse_rules([rule(1, "a", "v*"), rule(2, "[", "v*"), rule(3, "b", "v*"),
                         rule(4, "a", "v*")], "x")  # fmt: skip
    calls = counting(monkeypatch)
    result = RuleSet(rules).evaluate("p/c", "v1", glob.NEWEST)
    assert result.failure is not None
    assert result.failure.rule_id == 2
    assert result.failure.masked_rule_ids == (3, 4)
    assert [c[0] for c in calls] == ["a", "["]


def test_a_tag_is_evaluated_once_when_no_pattern_may_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = parse_rules([rule(1, "web", "rc-*"), rule(2, "**", "{v,r}[0-9]*")], "x")
    calls = counting(monkeypatch)
    assert evaluate_either(rules, "p/api", "v1").immutable is True  # type: ignore[union-attr]
    assert {c[2] for c in calls} == {glob.V1_3_4}
    # One rule the releases may read differently: only that rule is matched under both.
    rules = parse_rules([rule(1, "web", "rc-*"), rule(2, "**", "v{1,}")], "x")
    calls.clear()
    assert evaluate_either(rules, "p/api", "v") is None  # v1.1.1 drops the empty option
    assert {c[0] for c in calls if c[2] == glob.V1_1_1} <= {"v{1,}", "web", "rc-*", "**"}
    calls.clear()
    assert evaluate_either(rules, "p/api", "x") is not None
    assert {c[0] for c in calls if c[2] == glob.V1_1_1} == {"v{1,}"}


def test_the_releases_part_on_a_tag_decoration_in_the_repository_slot() -> None:
    # There the repository pattern tests the tag (match.go passes the candidate whole).
    odd = rule(1, "a{,b}", "**")
    odd["scope_selectors"]["repository"][0]["decoration"] = "matches"
    rules = parse_rules([odd], "x")
    assert evaluate_either(rules, "p/x", "a") is None  # v1.3.4 matches, v1.1.1 does not
    assert evaluate_either(rules, "p/x", "ab") is not None


def test_the_releases_part_on_a_name_that_is_not_plain() -> None:
    # `*` means the same for every plain name, not for one ending in '/' (a state file's tag
    # is whatever the file holds): v1.1.1 drops the empty segment and matches.
    rules = parse_rules([rule(1, "**", "*")], "x")
    assert not glob.may_differ("*")
    assert evaluate_either(rules, "p/x", "ab/") is None
    assert evaluate_either(rules, "p/x", "ab") is not None


# -- large rule sets: few distinct selectors, many rules and repositories -------------------

# Patterns some names reach an error in and others do not ("a[" errs only for names starting
# with "a"), so repositories answer a rule set's selectors in several ways.
SHARED_PATTERNS = st.sampled_from(
    ["**", "*", "a*", "x*", "{a,b}", "a[", "b*[", "*[", "", "a/*", "[!a]*", "a{,b}"]
)
# Mostly repository selectors that answer, so that repositories see the rules in many ways.
shared_selectors = st.builds(
    SelectorSpec,
    kind=st.sampled_from(["doublestar"] * 9 + ["label"]),
    decoration=st.sampled_from(
        ["repoMatches"] * 4 + ["repoExcludes"] * 2 + ["matches", "excludes", "withLabels"]
    ),
    pattern=SHARED_PATTERNS,
)


@st.composite
def rule_sets_sharing_selectors(draw: st.DrawFn) -> tuple[Rule, ...]:
    """Up to 80 rules in any id order whose selectors come from a pool of three to six, as
    large rule sets repeat a few patterns: disabled rules, rules without a repository scope
    or a tag selector, broken patterns and unknown kinds or decorations included."""
    pool = draw(st.lists(shared_selectors, min_size=3, max_size=6))
    chosen = st.lists(st.sampled_from(pool), min_size=1, max_size=2).map(tuple)
    rules = st.builds(
        Rule,
        id=st.integers(1, 1000),
        disabled=st.sampled_from([False, False, False, True]),
        repository_selectors=st.sampled_from([None, ()]) | chosen | chosen | chosen,
        tag_selectors=st.just(()) | chosen | chosen | chosen,
    )
    return tuple(draw(st.lists(rules, min_size=10, max_size=80, unique_by=lambda r: r.id)))


# Names that answer the pool's selectors alike or not; "q/a" is "p/a" to Harbor's patterns.
MANY_REPOSITORIES = ["p/a", "p/b", "p/ab", "p/ba", "p/x1", "p/x2", "q/a", "p/a/b", "p/é", "p/a/"]


@settings(max_examples=150, deadline=None)
@given(
    rules=rule_sets_sharing_selectors(),
    tags=st.lists(st.sampled_from(["a", "ab", "v1", "x", "a/b", ""]), min_size=1, max_size=3),
)
def test_a_large_rule_set_is_evaluated_as_harbors_loop_for_every_repository(
    rules: tuple[Rule, ...], tags: list[str]
) -> None:
    """One RuleSet asked about ten repositories, under both releases: each rule's step,
    the rule that matched, the failure and the rules it masks are what Harbor's loop gives,
    whichever repositories shared the work before (views are shared between repositories
    whose selectors answer alike, and each distinct selector is matched once)."""
    compiled = RuleSet(rules)
    for repository in MANY_REPOSITORIES:
        for tag in tags:
            for version in glob.VERSIONS:
                expected = harbor_loop(rules, repository, tag, version)
                result = compiled.evaluate(repository, tag, version)
                assert summary(result) == expected
                assert (result.repository, result.tag) == (repository, tag)
                assert result.matched_name == harbor_repository_name(repository)
                assert_named_selectors(result)
            either = compiled.evaluate_either(repository, tag)
            newest = compiled.evaluate(repository, tag, glob.V1_3_4)
            if newest == compiled.evaluate(repository, tag, glob.V1_1_1):
                assert either is not None
                assert summary(either) == summary(newest)
            else:
                assert either is None


def assert_named_selectors(result: Evaluation) -> None:
    """Each step and the failure name the selector of their own rule (rules holding equal
    selectors share the work, not the words)."""
    for step in result.evaluated:
        repo, tag = step.rule.repository_selector, step.rule.tag_selector
        if step.outcome is StepOutcome.REPOSITORY_NOT_SELECTED:
            assert repo is not None
            assert step.detail == repo.describe()
        elif step.outcome is StepOutcome.MATCHED:
            assert repo is not None
            assert tag is not None
            assert step.detail == f"{repo.describe()} and {tag.describe()}"
    if result.failure is not None:
        failed = result.evaluated[-1].rule
        assert failed.id == result.failure.rule_id
        slot = result.failure.slot
        expected = failed.repository_selector if slot == "repository" else failed.tag_selector
        assert result.failure.selector is expected


def test_repositories_answering_alike_keep_their_own_names_and_failures() -> None:
    """ "b*[" errs only for names starting with "b": "p/b1" stops at rule 2 and masks 3 and
    4, while "p/c1" and "p/c2" (answering every selector alike) reach rule 4."""
    rules = parse_rules([rule(1, "a*", "v*"), rule(2, "b*[", "v*"), rule(3, "a*", "x*"),
                         rule(4, "**", "v*")], "x")  # fmt: skip
    compiled = RuleSet(rules)
    for repository in ("p/c1", "p/b1", "p/c2"):
        result = compiled.evaluate(repository, "v1", glob.V1_3_4)
        assert result.repository == repository
        assert result.matched_name == repository[2:]
        if repository == "p/b1":
            assert result.failure is not None
            assert (result.failure.rule_id, result.failure.masked_rule_ids) == (2, (3, 4))
            assert result.immutable is False
        else:
            assert (result.immutable, result.rule_id) == (True, 4)
            outcomes = [step.outcome for step in result.steps]
            assert outcomes == [StepOutcome.REPOSITORY_NOT_SELECTED] * 3 + [StepOutcome.MATCHED]


# -- rules read page by page ----------------------------------------------------------------


def test_a_page_of_rules_reads_as_that_part_of_the_whole_list() -> None:
    """A page read apart (by the thread that fetched it) gives the rules, indexes included,
    that reading the whole list gives there."""
    items = [rule(i, f"team-{i % 3}/*", "v*") for i in range(1, 251)]
    whole = parse_rules(items, "x")
    assert parse_rules(items[100:200], "x", 100) == whole[100:200]
    assert [r.index for r in parse_rules(items[200:], "x", 200)] == list(range(200, 250))


@pytest.mark.parametrize("bad", [{"id": "7"}, {"id": 7, "tag_selectors": {}}, None])
def test_a_page_of_rules_is_refused_as_the_whole_list_is(bad: object) -> None:
    items: list[object] = [rule(i) for i in range(1, 201)]
    items[150] = bad
    with pytest.raises(RulesError) as whole:
        parse_rules(items, "rules of project 'p'")
    with pytest.raises(RulesError) as page:
        parse_rules(items[100:], "rules of project 'p'", 100)
    assert "rule #151" in str(whole.value)
    assert str(page.value) == str(whole.value)


def _typo(rule: dict[str, Any], path: tuple[str | int, ...], new: str) -> dict[str, Any]:
    """`rule` with the key at `path` renamed to `new` (a person's typo in a rules file)."""
    copied: dict[str, Any] = json.loads(json.dumps(rule))
    *parents, last = path
    holder: Any = copied
    for step in parents:
        holder = holder[step]
    holder[new] = holder.pop(last)
    return copied


@pytest.mark.parametrize(
    ("path", "typo", "named", "suggestion"),
    [
        (("tag_selectors",), "tag_selector", "'tag_selector'", "'tag_selectors'"),
        (("tag_selectors", 0, "pattern"), "patern", "'tag_selectors[0].patern'", "'pattern'"),
        (
            ("scope_selectors", "repository"),
            "repositories",
            "'scope_selectors.repositories'",
            "'repository'",
        ),
        (
            ("scope_selectors", "repository", 0, "decoration"),
            "decorations",
            "'scope_selectors.repository[0].decorations'",
            "'decoration'",
        ),
    ],
)
def test_a_rules_file_records_what_harbor_never_reads(
    path: tuple[str | int, ...], typo: str, named: str, suggestion: str
) -> None:
    """Harbor's ImmutableRule and ImmutableSelector (swagger.yaml) have fixed fields; its JSON
    decoder (go-swagger's generated models, encoding/json) drops any other without a word,
    and the matcher reads only the `repository` scope (src/pkg/immutable/match/rule/
    match.go, Match). The verdict stays Harbor's; the rule says what was dropped."""
    (read,) = parse_rules([_typo(rule_json(1), path, typo)], "f.json", note_ignored=True)
    assert len(read.ignored) == 1
    sentence = read.ignored_sentence()
    assert sentence.startswith(f"rule 1 has a field Harbor never reads: {named}")
    assert f"(did you mean {suggestion}?)" in sentence
    # Read as Harbor sent it, the same rule notes nothing: what Harbor sends, it knows.
    (live,) = parse_rules([_typo(rule_json(1), path, typo)], "answer")
    assert live.ignored == ()
    assert replace(live, ignored=read.ignored) == read


def test_a_rules_file_with_only_harbors_fields_records_nothing() -> None:
    full = {**rule_json(1), "priority": 0, "disabled": False, "params": {}}
    full["tag_selectors"][0]["extras"] = ""
    assert parse_rules([full], "f.json", note_ignored=True)[0].ignored == ()


def test_a_rules_file_s_keys_are_read_as_go_reads_them_without_regard_to_case() -> None:
    """Go's encoding/json fills a struct field from a key equal to its name ignoring case
    (decode.go: an exact match, else foldName's, as bytes.EqualFold), so Harbor stores
    `Tag_Selectors` as the tag selectors: the rule matches, and nothing is ignored. The
    Kelvin sign and the long s fold to 'k' and 's' as Unicode's simple folding says."""
    given = {
        "ID": 7,
        "Scope_Selectors": {
            "repository": [
                {"\u212aind": "doublestar", "Decoration": "repoMatches", "PATTERN": "**"}
            ]
        },
        "tag_\u017felectors": [{"kind": "doublestar", "decoration": "matches", "Pattern": "v*"}],
    }
    (read,) = parse_rules([given], "f.json", note_ignored=True)
    assert read.ignored == ()
    assert read.id == 7
    assert evaluate([read], "proj/app", "v1", glob.NEWEST).immutable
    # A key for a field that is there already: Go keeps the last value but reports the
    # first's type error, so no single rule is what Harbor would store.
    with pytest.raises(RulesError, match=r"rule #1: tag_selectors\[0\]\.pattern is given twice"):
        parse_rules(
            [rule_json(1) | {"tag_selectors": [{"pattern": "a", "PATTERN": "b"}]}],
            "f.json",
            note_ignored=True,
        )
    # A repository scope spelt otherwise is another key of a map: never read.
    (other,) = parse_rules(
        [{"id": 1, "scope_selectors": {"Repository": []}, "tag_selectors": []}],
        "f.json",
        note_ignored=True,
    )
    assert other.ignored == ("scope_selectors.Repository",)


def test_a_scope_other_than_repository_is_named_once_and_not_read() -> None:
    """Harbor's matcher reads only the repository scope: what another holds (even one field
    twice, in two cases) changes nothing, and the scope is named once, not its fields too."""
    other = [{"kind": "doublestar", "Kind": "doublestar", "patern": "**"}]
    (read,) = parse_rules(
        [rule_json(1) | {"scope_selectors": {**rule_json(1)["scope_selectors"], "repos": other}}],
        "f.json",
        note_ignored=True,
    )
    assert read.ignored == ("scope_selectors.repos",)
