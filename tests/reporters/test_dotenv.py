"""tagguard.reporters.dotenv: the counts as variables a later GitLab job's rules can read."""

from __future__ import annotations

from pathlib import Path

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.reporters import dotenv
from tests.reporters.conftest import context, decision


def _variables(text: str) -> dict[str, str]:
    assert text.endswith("\n")
    return dict(line.split("=", 1) for line in text.splitlines())


def test_the_counts_of_each_verdict(report: Report) -> None:
    assert _variables(dotenv.dotenv(report)) == {
        "TAGGUARD_BLOCKED": "1",
        "TAGGUARD_SKIPPED": "1",
        "TAGGUARD_ALLOWED": "2",
    }


def test_an_empty_report_counts_zero_of_each() -> None:
    assert set(_variables(dotenv.dotenv(Report())).values()) == {"0"}


def test_counts_grow_with_the_report() -> None:
    made = Report()
    for tag in ("a", "b", "c"):
        made.record(decision(Verdict.BLOCK, f"h.io/p/app:{tag}", "immutable"))
    assert _variables(dotenv.dotenv(made))["TAGGUARD_BLOCKED"] == "3"


def test_write_puts_the_variables_in_the_file(report: Report, tmp_path: Path) -> None:
    path = tmp_path / "tagguard.env"
    dotenv.write(report, str(path), context())
    assert path.read_text(encoding="utf-8") == dotenv.dotenv(report)
