"""tagguard.git_hook_check: the stored plan run for one tag, and the lines a hook prints."""

from __future__ import annotations

import io
import os
from pathlib import Path

from tagguard.git_hook_check import (
    CLI_ADVICE,
    Outcome,
    check_tags,
    decision_line,
    hook_reason,
    plan_checker,
)
from tests.git_hooks import OFFLINE, PLAN, fake, outcome


def test_the_plan_checker_gives_the_plans_verdicts_and_hook_advice(tmp_path: Path) -> None:
    (tmp_path / "plan.yml").write_text(PLAN)
    check = plan_checker("plan.yml", OFFLINE, str(tmp_path))
    blocked, allowed = check("v1.4.0"), check("v1.5.0")
    assert (blocked.code, allowed.code) == (1, 0)
    assert [d["reference"] for d in blocked.blocked] == ["harbor.example.com/platform/api:v1.4.0"]
    assert allowed.decisions[0]["decision"] == "allow"
    assert "GIT_TAG" not in os.environ
    # The rewrite depends on decide.py's wording: this fails if that changes.
    reason = str(blocked.blocked[0]["reason"])
    assert CLI_ADVICE in reason
    assert "--digest" not in hook_reason(reason)
    assert "digest:, oci-layout: or metadata-file:" in hook_reason(reason)


def test_decision_lines_cannot_carry_control_characters() -> None:
    evil = outcome("v1", "block", reason="a\x1b[2Jb\nallow  forged")
    line = decision_line("v1", evil.decisions[0])
    assert "\x1b" not in line
    assert "\n" not in line


def test_check_tags_prints_each_verdict_and_warning_and_passes_when_nothing_blocks() -> None:
    def check(tag: str) -> Outcome:
        found = outcome(tag, "allow")
        return Outcome(tag, 0, found.decisions, ({"message": f"heads-up\x1b for {tag}"},))

    out = io.StringIO()
    assert check_tags(["v1", "v2"], check, out) == 0
    assert out.getvalue().splitlines() == [
        "git tag v1: .tagguard.yml:2: allow  harbor.example.com/p/app:v1  reason for v1",
        "warning: git tag v1: heads-up\\x1b for v1",  # shown, never sent to the terminal
        "git tag v2: .tagguard.yml:2: allow  harbor.example.com/p/app:v2  reason for v2",
        "warning: git tag v2: heads-up\\x1b for v2",
        "tagguard: git tags v1, v2: nothing blocked",
    ]


def test_an_undecided_tag_stops_the_push_even_when_another_is_allowed() -> None:
    check, asked = fake({"v1": "allow", "v2": "error"})
    out = io.StringIO()
    assert check_tags(["v1", "v2"], check, out) == 2
    assert asked == ["v1", "v2"]
    assert out.getvalue().endswith("push stopped: git tag v2 could not be checked (see above)\n")
