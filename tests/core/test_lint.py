"""lint: each finding, with the level that decides lint's exit status."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core import glob
from tagguard.core.lint import Finding, Level, has_errors, lint_rules, syntax_problems
from tagguard.core.rules import parse_rules
from tests.builders import rule_json

rule = rule_json


def lint(
    *rules: dict[str, Any], version: str = glob.NEWEST, project: str | None = "proj"
) -> list[Finding]:
    return lint_rules(parse_rules(list(rules), "rules"), version, project)


def codes(findings: list[Finding]) -> dict[str, Level]:
    return {f.code: f.level for f in findings}


def only(findings: list[Finding], code: str) -> Finding:
    (found,) = [f for f in findings if f.code == code]
    return found


def test_clean_rules_have_no_findings() -> None:
    assert lint(rule(1, "team/**", "v[0-9]*"), rule(2, "{api,web}", "{latest,stable}")) == []


def test_pattern_error_is_an_error_with_an_example_and_the_masked_rules() -> None:
    findings = lint(rule(1, tag="v1.["), rule(2), rule(3, disabled=True), rule(4))
    found = only(findings, "pattern-error")
    assert found.level is Level.ERROR
    assert "never closed" in found.message
    assert "e.g. for tag " in found.message
    assert "later rule(s) 2, 4" in found.message
    assert has_errors(findings)


def test_errors_in_disabled_rules_are_only_warnings() -> None:
    findings = lint(rule(1, tag="v1.[", disabled=True))
    assert codes(findings) == {"disabled": Level.INFO, "pattern-error": Level.WARNING}
    assert not has_errors(findings)


def test_error_that_never_surfaces_is_a_dead_part() -> None:
    # Errors met while a star scans are swallowed by doublestar: this never errs, never matches.
    findings = lint(rule(1, tag="*["), version=glob.V1_1_1)
    assert only(findings, "dead-pattern-part").level is Level.WARNING


@pytest.mark.parametrize(
    ("kwargs", "code", "level"),
    [
        ({"tag_kind": "label", "tag_decoration": "withLabels"}, "unsupported-kind", Level.ERROR),
        ({"tag_decoration": "regexMatches"}, "unknown-decoration", Level.ERROR),
        ({"tag_decoration": ""}, "bad-selector", Level.ERROR),
        ({"repo_decoration": "nsMatches"}, "namespace-decoration", Level.WARNING),
        ({"repo_decoration": "matches"}, "decoration-slot", Level.WARNING),
        ({"tag": "[!a]*"}, "bang-class", Level.WARNING),
        ({"tag": "v1,v2"}, "comma-without-braces", Level.WARNING),
        ({"tag": "{rc, test}"}, "space-in-braces", Level.WARNING),
        ({"tag": "release/*"}, "slash-in-tag-pattern", Level.WARNING),
        ({"repo": "proj/app"}, "project-in-pattern", Level.WARNING),
        ({"repo": "{**/a,b}"}, "globstar-in-braces", Level.WARNING),
        ({"tag": "v*{,-beta}"}, "quirk", Level.WARNING),
        ({"tag": "", "tag_decoration": "excludes"}, "empty-exclude", Level.WARNING),
        ({"tag": ""}, "matches-all", Level.INFO),
    ],
)
def test_finding(kwargs: dict[str, Any], code: str, level: Level) -> None:
    findings = lint(rule(1, **kwargs))
    assert codes(findings).get(code) is level, findings


def test_comma_suggestion_drops_spaces() -> None:
    assert "'{rc,test}'" in only(lint(rule(1, tag="rc, test")), "comma-without-braces").message


def test_version_difference_names_a_concrete_repository() -> None:
    found = only(lint(rule(1, repo="{team/*,infra/**}")), "version-dependent")
    assert "team/" in found.message
    assert "doublestar v1.1.1" in found.message


def test_slash_in_braces_is_an_error_on_old_harbor() -> None:
    findings = lint(rule(1, repo="{cbmp/firstRepo,cbmp/secondRepo}"), version=glob.V1_1_1)
    found = only(findings, "pattern-error")
    assert "cuts the pattern at every '/'" in found.message


def test_extra_selectors_are_ignored_and_a_merge_is_suggested() -> None:
    data = rule(1, tag="v1")
    data["tag_selectors"].append({"kind": "doublestar", "decoration": "matches", "pattern": "v2"})
    found = only(lint(data), "ignored-selector")
    assert "'{v1,v2}'" in found.message


def test_rules_without_selectors_never_match() -> None:
    findings = lint(
        {"id": 1, "scope_selectors": {}}, {"id": 2, "scope_selectors": {"repository": []}}
    )
    assert [f.code for f in findings] == [
        "never-matches",
        "never-matches",
        "never-matches",
        "never-matches",
    ]


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [
        ("a[", "never closed"),
        ("[]", "is empty"),
        ("[-a]", "starts with '-'"),
        ("[a-]", "ends with '-'"),
        ("[a-b-c]", "malformed range"),
        ("a\\", "escapes nothing"),
        ("{a,b", "never closed"),
    ],
)
def test_syntax_problems(pattern: str, fragment: str) -> None:
    problems = syntax_problems(pattern, glob.NEWEST)
    assert any(fragment in p for p in problems), problems


@settings(max_examples=150, deadline=None)
@given(pattern=st.text(alphabet=st.sampled_from(list("ab/*?[]{},!^-\\. ")), max_size=14))
def test_lint_handles_any_pattern(pattern: str) -> None:
    for finding in lint(rule(1, repo=pattern, tag=pattern)):
        assert "\n" not in finding.message
        assert finding.level in Level
