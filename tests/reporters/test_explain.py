"""tagguard.reporters.explain: `tagguard explain`, Harbor's evaluation of one tag rule by rule."""

from __future__ import annotations

import io
import json
from typing import Any

from tagguard.check import Explained
from tagguard.core import glob
from tagguard.core.decide import TagFacts
from tagguard.core.immutability import Immutability
from tagguard.core.rules import evaluate, parse_rules
from tagguard.reporters import explain
from tagguard.reporters.versioning import SCHEMA_VERSION
from tests.builders import rule_json

REFERENCE = "h.io/p/app:v1"
DIGEST = "sha256:" + "b" * 64


def _explained(*rules: dict[str, Any], facts: TagFacts | None = None) -> Explained:
    evaluation = evaluate(parse_rules(list(rules), "test"), "p/app", "v1", glob.V1_3_4)
    return Explained(evaluation, facts, "", glob.V1_3_4)


def _text(explained: Explained, color: bool = False) -> list[str]:
    out = io.StringIO()
    explain.render_text(explained, REFERENCE, out, color)
    return out.getvalue().splitlines()


def _json(explained: Explained) -> dict[str, Any]:
    out = io.StringIO()
    explain.render_json(explained, REFERENCE, out)
    data: dict[str, Any] = json.loads(out.getvalue())
    return data


def test_each_rule_is_said_in_harbor_s_order_and_the_verdict_last() -> None:
    lines = _text(
        _explained(
            rule_json(1, disabled=True),
            rule_json(2, tag="v2*"),
            rule_json(3, tag="v*"),
            rule_json(4),
        )
    )
    assert lines[0] == REFERENCE
    assert "repository 'app'" in lines[1]
    assert glob.V1_3_4 in lines[1]
    assert lines[2] == "  rule 1: disabled, skipped"
    assert lines[3].startswith("  rule 2: tag selector")
    assert "does not select 'v1'" in lines[3]
    assert lines[4].startswith("  rule 3: matches")
    assert lines[5] == "  rule 4: not evaluated"  # Harbor stops at the first match
    assert lines[6] == "  => immutable (rule 3)"


def test_patterns_are_shown_as_written_not_as_python_literals() -> None:
    # A rule written `\\*lit` (an escaped star) in Harbor's JSON is the pattern `\*lit`:
    # shown doubled, as repr shows it, it reads as another pattern (a literal backslash).
    lines = _text(_explained(rule_json(1, tag="\\*lit"), rule_json(2, tag="it's")))
    assert lines[2] == "  rule 1: tag selector matches '\\*lit' does not select 'v1'"
    assert lines[3] == "  rule 2: tag selector matches \"it's\" does not select 'v1'"
    # Control characters in a pattern are still shown escaped, on one line.
    (line,) = _text(_explained(rule_json(1, tag="a\x1b[2Jb")))[2:3]
    assert "'a\\x1b[2Jb'" in line


def test_no_rules_and_a_mutable_tag() -> None:
    assert _text(_explained())[2:] == ["  the project has no immutability rules", "  => mutable"]
    painted = _text(_explained(), color=True)
    assert painted[-1] == "  => \x1b[32mmutable\x1b[0m"


def test_a_broken_rule_fails_open() -> None:
    lines = _text(_explained(rule_json(1, tag="v{1"), rule_json(2)))
    assert lines[2].startswith("  rule 1: errors (")
    assert lines[-1] == "  => mutable, because a broken rule fails open"
    data = _json(_explained(rule_json(1, tag="v{1"), rule_json(2)))
    assert data["immutable"] is False
    assert data["broken_rule"]["rule_id"] == 1
    assert data["broken_rule"]["pattern"] == "v{1"
    assert data["broken_rule"]["masked_rule_ids"] == [2]


def test_without_rules_harbor_s_own_flag_decides() -> None:
    locked = TagFacts("v1", DIGEST, Immutability(True))
    unreadable = Explained(None, locked, "403 from Harbor", glob.V1_3_4)
    lines = _text(unreadable)
    assert lines[1] == "  rule details are unavailable: 403 from Harbor"
    assert lines[2] == "  => immutable (Harbor's own flag)"
    assert lines[3] == f"  state: the tag exists, at {DIGEST}"
    data = _json(unreadable)
    assert (data["immutable"], data["rules"], data["rules_unavailable"]) == (
        True,
        [],
        "403 from Harbor",
    )
    assert (data["tag"], data["exists"], data["current_digest"]) == ("v1", True, DIGEST)
    assert _text(Explained(None, None, "no rules", glob.V1_3_4))[-1] == "  => unknown"


def test_witnesses_that_disagree_leave_the_tag_in_doubt() -> None:
    doubt = TagFacts("v1", None, Immutability(None, note="rules and flag disagree", conflict=True))
    explained = _explained(rule_json(1), facts=doubt)
    assert _text(explained)[-2:] == [
        "  => in doubt: rules and flag disagree",
        "  state: the tag does not exist yet",
    ]
    assert _json(explained)["in_doubt"] == "rules and flag disagree"


def test_json_is_versioned_and_lists_each_rule() -> None:
    data = _json(_explained(rule_json(1, tag="v2*"), rule_json(2)))
    assert next(iter(data)) == "schema_version"
    assert data["schema_version"] == SCHEMA_VERSION
    assert (data["repository"], data["matched_repository"], data["tag"]) == ("p/app", "app", "v1")
    assert (data["immutable"], data["rule_id"], data["exists"]) == (True, 2, None)
    assert [(r["rule_id"], r["outcome"]) for r in data["rules"]] == [
        (1, "tag-not-selected"),
        (2, "matched"),
    ]


def test_a_rule_s_ignored_selectors_are_named_where_they_would_have_answered() -> None:
    """Tag selectors `latest`, then `v1`: Harbor reads only the first, so v1 is mutable
    (src/pkg/immutable/match/rule/match.go reads TagSelectors[0]). The explanation said only
    that `latest` does not select v1, leaving the reader to wonder about `v1`."""
    two = rule_json(1, tag="latest")
    two["tag_selectors"].append({"kind": "doublestar", "decoration": "matches", "pattern": "v1"})
    explained = _explained(two)
    said = "  rule 1: tag selector matches 'latest' does not select 'v1'; its tag selector "
    assert _text(explained)[2] == said + "matches 'v1' is ignored (Harbor reads only the first)"
    assert _json(explained)["rules"][0]["detail"].endswith(
        "is ignored (Harbor reads only the first)"
    )
    assert "ignored" not in _text(_explained(rule_json(1, tag="latest")))[2]
