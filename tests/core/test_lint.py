"""lint: each finding, with the level that decides lint's exit status."""

from __future__ import annotations

import io
import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core import glob
from tagguard.core.lint import (
    ALL_BUT_SIGNATURES,
    SIGNATURE_TAG,
    Finding,
    Level,
    has_errors,
    lint_rules,
    syntax_problems,
)
from tagguard.core.probes import is_valid_name
from tagguard.core.rules import evaluate, parse_rules
from tagguard.core.state import cosign_subject
from tagguard.errors import PatternError
from tagguard.reporters.lint import render_json
from tests.builders import rule_json
from tests.conftest import output_json

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


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"repo": "{team/*,infra/**}"}, "version-dependent"),
        ({"tag": "v*{,-beta}"}, "quirk"),
        ({"repo": "{**/app,x}"}, "globstar-in-braces"),
    ],
)
def test_a_finding_about_one_name_gives_it_as_its_example(
    kwargs: dict[str, str], code: str
) -> None:
    # The report's `example` field (output.schema.json): what a script reads instead of
    # parsing the message, for every finding whose message names a name.
    found = only(lint(rule(1, **kwargs)), code)
    assert found.example is not None
    assert repr(found.example) in found.message


def test_slash_in_braces_is_an_error_on_old_harbor() -> None:
    findings = lint(rule(1, repo="{cbmp/firstRepo,cbmp/secondRepo}"), version=glob.V1_1_1)
    found = only(findings, "pattern-error")
    assert "cuts the pattern at every '/'" in found.message


def test_extra_selectors_are_ignored_and_a_merge_is_suggested() -> None:
    data = rule(1, tag="v1")
    data["tag_selectors"].append({"kind": "doublestar", "decoration": "matches", "pattern": "v2"})
    found = only(lint(data), "ignored-selector")
    assert "'{v1,v2}'" in found.message


def test_patterns_in_messages_are_as_written() -> None:
    # `\\*` is the escaped star the user wrote; repr would show `\\\\*`.
    data = rule(1, tag="\\*")
    data["tag_selectors"].append({"kind": "doublestar", "decoration": "matches", "pattern": "v2"})
    assert "'{\\*,v2}'" in only(lint(data), "ignored-selector").message


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


# ----------------------------------------------------------------------------- lint = explain


@pytest.mark.parametrize("version", glob.VERSIONS)
@pytest.mark.parametrize("pattern", ["rc{1,2", "v1.{0,1", "{a,b[}", "release-[0-9"])
def test_a_lazy_error_after_a_literal_prefix_is_found_and_explain_agrees(
    pattern: str, version: str
) -> None:
    rules = parse_rules([rule(1, tag=pattern), rule(2), rule(3, tag="v*")], "rules")
    found = only(lint_rules(rules, version, "proj"), "pattern-error")
    assert found.level is Level.ERROR
    assert found.example is not None
    assert f"e.g. for tag {found.example!r}" in found.message
    assert "later rule(s) 2, 3" in found.message
    # explain's evaluation of that very tag fails open at rule 1 and masks the others,
    # on both releases (the example is chosen to err on every release where one does).
    for each in glob.VERSIONS:
        evaluation = evaluate(rules, "proj/app", found.example, each)
        assert evaluation.failure is not None, each
        assert evaluation.failure.rule_id == 1
        assert evaluation.failure.masked_rule_ids == (2, 3)
        assert not evaluation.immutable


def test_rc_brace_prefix_makes_lint_fail_as_explain_fails_open() -> None:
    # The reported case: 'rc{1,2' was called a dead part and lint exited 0.
    findings = lint(rule(1, tag="rc{1,2"), rule(2))
    assert has_errors(findings)
    assert "dead-pattern-part" not in codes(findings)
    # The ',' belongs to the unclosed group: no advice to wrap it in braces.
    assert "comma-without-braces" not in codes(findings)
    explained = evaluate(
        parse_rules([rule(1, tag="rc{1,2"), rule(2)], "r"), "proj/a", "rc1", glob.NEWEST
    )
    assert explained.failure is not None
    assert explained.failure.masked_rule_ids == (2,)


# ----------------------------------------------------------------------------- signatures


def signature_warning(*rules: dict[str, Any], version: str = glob.NEWEST) -> Finding | None:
    found = [f for f in lint(*rules, version=version) if f.code == "signature-tags-immutable"]
    assert len(found) <= len(rules)
    return found[0] if found else None


def test_the_probe_signature_tag_is_what_harbor_links_as_a_cosign_signature() -> None:
    assert cosign_subject(SIGNATURE_TAG) is not None


@pytest.mark.parametrize("version", glob.VERSIONS)
def test_a_catch_all_rule_makes_signature_tags_immutable(version: str) -> None:
    found = signature_warning(rule(1, "**", "**"), version=version)
    assert found is not None
    assert found.level is Level.WARNING
    assert found.example == SIGNATURE_TAG
    assert "412" in found.message
    assert "17332" in found.message
    assert "--registry-referrers-mode=oci-1-1" in found.message
    # Quoted as typed into Harbor (no doubled backslash).
    assert f"'{ALL_BUT_SIGNATURES}'" in found.message
    assert not has_errors(lint(rule(1, "**", "**"), version=version))


def test_the_suggested_pattern_keeps_every_other_tag_immutable() -> None:
    fixed = parse_rules([rule(1, "**", ALL_BUT_SIGNATURES)], "rules")
    for version in glob.VERSIONS:
        assert not evaluate(fixed, "proj/app", SIGNATURE_TAG, version).immutable
        for tag in ("latest", "v1.2.3", "s", "sha256", "sha256x", "sha-1", "1.0-rc1"):
            assert evaluate(fixed, "proj/app", tag, version).immutable, (tag, version)
    assert signature_warning(rule(1, "**", ALL_BUT_SIGNATURES)) is None


def test_all_but_signatures_matches_exactly_the_tags_without_the_prefix() -> None:
    # Brute force over the prefix's own characters: every short tag, and every prefix of
    # a signature tag followed by each character.
    alphabet = "sha256-x."
    names = {"".join(c) for n in range(1, 4) for c in itertools.product(alphabet, repeat=n)}
    names |= {SIGNATURE_TAG[:i] + c for i in range(len(SIGNATURE_TAG)) for c in alphabet}
    tags = [n for n in names if is_valid_name(n, "tag")]
    for version in glob.VERSIONS:
        for tag in tags:
            expected = not tag.startswith("sha256-")
            assert glob.harbor_match(ALL_BUT_SIGNATURES, tag, version) is expected, (tag, version)


def test_an_excludes_rule_is_shown_the_widened_exclusion() -> None:
    found = signature_warning(rule(1, tag="latest", tag_decoration="excludes"))
    assert found is not None
    assert "'{latest,sha256-*}'" in found.message
    fixed = parse_rules([rule(1, tag="{latest,sha256-*}", tag_decoration="excludes")], "r")
    for version in glob.VERSIONS:
        assert not evaluate(fixed, "proj/app", SIGNATURE_TAG, version).immutable
        assert not evaluate(fixed, "proj/app", "latest", version).immutable
        assert evaluate(fixed, "proj/app", "v1", version).immutable


@pytest.mark.parametrize(
    ("repo", "tag", "example_repository"),
    # An everyday repository name is the example where the pattern allows it.
    [("team/**", "**", "team/"), ("**", "s*", "app'"), ("{api,web}", "*.sig", "api'")],
)
def test_rules_selecting_signature_tags_are_found_with_a_repository(
    repo: str, tag: str, example_repository: str
) -> None:
    found = signature_warning(rule(1, repo, tag))
    assert found is not None
    assert f"in repository '{example_repository}" in found.message


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tag": "v*"},
        {"tag": "{latest,stable}"},
        {"tag": "**", "disabled": True},
        {"tag": "**", "repo": "team/*", "repo_decoration": "nsMatches"},
        {"tag": "sha256-*.sig", "tag_decoration": "excludes"},
    ],
)
def test_rules_leaving_signature_tags_alone_get_no_warning(kwargs: dict[str, Any]) -> None:
    assert signature_warning(rule(1, **kwargs)) is None


def test_a_signature_warning_names_the_release_it_applies_to() -> None:
    # v1.1.1 cuts at the '/' inside the braces (an error, fails open); v1.3.4 matches.
    found = signature_warning(rule(1, tag="{sha256-*,x/y}"), version=glob.V1_1_1)
    assert found is not None
    assert "on Harbor 2.9.5+" in found.message


def test_json_findings_carry_the_example_name() -> None:
    findings = lint(rule(1, tag="rc{1,2"), rule(2))
    out = io.StringIO()
    render_json([("rules.json", f) for f in findings], out)
    by_code = {f["code"]: f for f in output_json(out.getvalue())["findings"]}
    example = by_code["pattern-error"]["example"]
    with pytest.raises(PatternError):
        glob.harbor_match("rc{1,2", example)
    assert by_code["signature-tags-immutable"]["example"] == SIGNATURE_TAG


def test_a_field_harbor_never_reads_is_a_warning_naming_it() -> None:
    typo = rule(1, tag="v*")
    typo["tag_selectors"][0]["patern"] = typo["tag_selectors"][0].pop("pattern")
    findings = lint_rules(parse_rules([typo], "rules.json", note_ignored=True), glob.NEWEST)
    found = only(findings, "ignored-field")
    assert found.level is Level.WARNING
    assert "'tag_selectors[0].patern' (did you mean 'pattern'?)" in found.message
    # What Harbor then does: an empty pattern, which matches every tag.
    assert evaluate(
        parse_rules([typo], "rules.json"), "proj/app", "anything", glob.NEWEST
    ).immutable


# ----------------------------------------------------------------------------- vs the Go code
# Cases where lint disagreed with Harbor's compiled matcher (selector.go `match` ->
# doublestar.Match, both releases built from their sources); the expected answers are Go's.


@pytest.mark.parametrize(
    ("slot", "pattern", "name"),
    [
        ("repo", "team/", "team"),
        ("repo", "*team/", "team"),
        ("repo", "{*,a}0**/", "0"),
        ("tag", "x0**/", "x0"),
        ("tag", "?Z{a,}/", "xZa"),
    ],
)
def test_a_trailing_slash_is_a_version_difference(slot: str, pattern: str, name: str) -> None:
    # doublestar v1.1.1 splitPathOnSeparator drops the empty part after a trailing '/', so
    # the pattern reads as if it had none; v1.3.4's splitPathOnSeparator keeps it (emptyEnd)
    # and doMatching then wants an empty last name part. Go: Match(pattern, name) is true on
    # v1.1.1, false on v1.3.4: after an upgrade the rule silently stops protecting `name`.
    findings = lint(rule(1, **{slot: pattern}))
    found = only(findings, "version-dependent")
    assert found.level is Level.WARNING
    assert f"{name!r} matches on Harbor before 2.9.5" in found.message
    assert "does not match on Harbor 2.9.5+" in found.message


@pytest.mark.parametrize("version", glob.VERSIONS)
def test_a_pattern_of_many_stars_is_linted_and_its_error_found(version: str) -> None:
    # Each '*' doubles the ways into the rest of the pattern: walking all of them took
    # hours. Go (doublestar v1.3.4 matchComponent): the star scans reach the unclosed '['
    # with a name character left for 'x-' * 30 + 'x', an error; v1.1.1 ignores errors met
    # inside a star's scan and never errs.
    pattern = "*-" * 30 + "["
    findings = lint(rule(1, tag=pattern), rule(2), version=version)
    if version == glob.V1_3_4:
        found = only(findings, "pattern-error")
        assert found.example is not None
        with pytest.raises(PatternError):
            glob.harbor_match(pattern, found.example, version)
    else:
        assert "pattern-error" not in codes(findings)
        assert only(findings, "dead-pattern-part").level is Level.WARNING


def test_a_long_pattern_of_stars_without_errors_is_linted() -> None:
    # `/**?\\a?` sixteen times: 32 stars, none a whole-segment globstar, no malformed part.
    # Go: no name makes it err on either release; lint only notes the '/' in a tag pattern.
    findings = lint(rule(1, tag="/**?\\\\a?" * 16))
    assert [f.code for f in findings] == ["slash-in-tag-pattern"]


@pytest.mark.parametrize("version", glob.VERSIONS)
def test_a_negated_range_is_not_read_as_holding_what_it_leaves_out(version: str) -> None:
    # Go (doublestar matchComponent, v1.1.1 and v1.3.4): Match('v[^a-z]', 'vx') is false,
    # as the pattern says; lint called it a quirk. Match('v[^a-z]', 'v0') is true.
    assert lint(rule(1, tag="v[^a-z]"), version=version) == []


def test_a_negated_range_before_an_empty_group_is_a_version_difference() -> None:
    # Go: Match('latest9[^a-z]-{**}', 'latest90-') is false on v1.1.1 (the group's only
    # option '**' needs a character) and true on v1.3.4 (isZeroLengthPattern('{**}')).
    found = only(lint(rule(1, tag="latest9[^a-z]-{**}")), "version-dependent")
    assert "'latest90-' does not match on Harbor before 2.9.5" in found.message
    assert "but matches on Harbor 2.9.5+" in found.message
