"""tagguard.reporters.text: a line per decision and warning, and the counts."""

from __future__ import annotations

import io

from tagguard.core.report import Impact, Report
from tagguard.reporters import Context, render
from tagguard.reporters.context import Undecided
from tagguard.reporters.text import undecided_text


def test_text(report: Report) -> None:
    out = io.StringIO()
    render("text", report, Context(out))
    assert out.getvalue() == (
        "release.yml:4: block  h.io/p/app:v1  tag v1 is immutable (rule 3)\n"
        "skip   h.io/p/app:latest  already there\n"
        "allow  h.io/p/app:v2  new tag\n"
        "allow  h.io/p/app:old  mutable\n"
        "warning: project p: rule 2 is broken\n"
        "tagguard: 1 blocked, 1 skipped, 2 allowed\n"
    )


def test_an_undecided_run_is_the_error_line_alone() -> None:
    # The line standard error shows (commands.run), and no "0 blocked" summary after it.
    undecided = Undecided("push", "state", "h.io/p/absent: not in the state file")
    assert undecided_text(undecided) == "tagguard: error: h.io/p/absent: not in the state file\n"


def test_impact_says_how_many_tags_change_each_way() -> None:
    # impact decides no write: its line counted 0 blocked, 0 skipped, 0 allowed, whatever
    # the proposal changed.
    report = Report(impact=Impact(tags=5, immutable=2, mutable=1))
    out = io.StringIO()
    render("text", report, Context(out))
    assert out.getvalue().splitlines()[-1] == (
        "tagguard impact: 5 tag(s) read, 2 would become immutable, 1 would become mutable"
    )
