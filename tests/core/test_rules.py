"""Harbor's immutability matcher: the vectors, the corners, and parsing of rule JSON."""

from __future__ import annotations

from typing import Any

import pytest

from tagguard.core import glob
from tagguard.core.rules import (
    StepOutcome,
    evaluate,
    harbor_repository_name,
    parse_rules,
)
from tagguard.errors import RulesError
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
