"""tagguard.reporters.dotenv: the counts as variables a later GitLab job's rules can read."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.reporters import dotenv
from tagguard.reporters.context import Undecided
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


def _gitlab_variables(text: str) -> dict[str, str]:
    """As GitLab reads a dotenv artifact: each line split by `^(.*?)=(.*)$`
    (`Ci::ParseDotenvArtifactService#scan_line!`: the name runs to the first `=`) and, in
    releases before it, by `^(.*)=(.*)$` (`Gitlab::Ci::Parsers::DotenvVariable`: to the
    last), both parts stripped; the two readings must agree. A name of other than letters,
    digits and `_` refuses the file, as does a file of 5 KB or more."""
    assert len(text.encode("utf-8")) < 5 * 1024
    found = {}
    for line in text.splitlines():
        lazy, greedy = re.fullmatch(r"(.*?)=(.*)", line), re.fullmatch(r"(.*)=(.*)", line)
        assert lazy is not None, line
        assert greedy is not None, line
        assert lazy.groups() == greedy.groups(), f"GitLab releases read {line!r} apart"
        name, value = lazy[1].strip(), lazy[2].strip()
        assert re.fullmatch(r"[a-zA-Z0-9_]+", name), f"GitLab refuses the file: {line!r}"
        found[name] = value
    return found


def test_an_undecided_run_leaves_no_count_and_names_the_error() -> None:
    # A later job's `rules: if: $TAGGUARD_BLOCKED == "0"` must not run: no count is 0.
    message = "https://h.io/api/v2.0/projects?name=p&page=1: 100% refused"
    found = _gitlab_variables(dotenv.undecided_dotenv(Undecided("push", "remote", message)))
    assert found == {
        "TAGGUARD_BLOCKED": "",
        "TAGGUARD_SKIPPED": "",
        "TAGGUARD_ALLOWED": "",
        "TAGGUARD_ERROR": "remote",
        "TAGGUARD_ERROR_MESSAGE": found["TAGGUARD_ERROR_MESSAGE"],
    }
    assert unquote(found["TAGGUARD_ERROR_MESSAGE"]) == message


def test_a_long_undecided_message_keeps_the_file_within_gitlab_s_limit() -> None:
    message = "é=" * 3000  # two bytes, then three once encoded, each
    found = _gitlab_variables(dotenv.undecided_dotenv(Undecided("plan", "file", message)))
    assert message.startswith(unquote(found["TAGGUARD_ERROR_MESSAGE"]))


def test_an_undecided_message_holds_nothing_gitlab_expands() -> None:
    # GitLab stores a dotenv line as a variable that is not raw (`raw: false` in
    # Ci::ParseDotenvArtifactService#parse!), so a later job's runner expands `$NAME`,
    # `${NAME}` and `$$` in its value: a message naming a robot account (`robot$proj+ci`)
    # would lose `$proj`, and outside text naming `$CI_JOB_TOKEN` would become the token.
    message = "403 for robot$proj+ci; server says ${CI_JOB_TOKEN} $TAGGUARD_PASSWORD $$"
    found = _gitlab_variables(dotenv.undecided_dotenv(Undecided("push", "auth", message)))
    assert "$" not in found["TAGGUARD_ERROR_MESSAGE"]
    assert unquote(found["TAGGUARD_ERROR_MESSAGE"]) == message
