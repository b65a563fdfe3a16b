"""tagguard.output: report files checked before anything is read; what is printed, redacted
with the run's redactor only."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree as ET

import pytest

from tagguard.core.decide import Decision, Operation, Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import Redactor
from tagguard.errors import FileError, InputError, RemoteError
from tagguard.output import (
    check_reports_read_nothing,
    emit,
    report_files,
    use_color,
    write_error_reports,
)
from tagguard.reporters import FILES


def decision(tag: str, verdict: Verdict) -> Decision:
    return Decision(
        operation=Operation.PUSH,
        reference=f"h.io/proj/app:{tag}",
        registry="h.io",
        project="proj",
        repository="proj/app",
        tag=tag,
        decision=verdict,
        immutable=verdict is Verdict.BLOCK,
        current_digest=None,
        new_digest=None,
        rule_id=None,
        reason=f"reason for {tag}",
    )


def report() -> Report:
    found = Report()
    found.extend([decision("v1", Verdict.ALLOW), decision("v2", Verdict.BLOCK)])
    return found


def test_report_files_are_read_into_name_and_path(tmp_path: Path) -> None:
    deep = tmp_path / "new" / "folder" / "r.json"
    assert report_files([f"json={deep}", f"text={tmp_path / 'r.txt'}"]) == {
        "json": str(deep),
        "text": str(tmp_path / "r.txt"),
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("json", "write NAME=PATH"),
        ("nope=x.json", "write NAME=PATH"),
        ("json={dir}", "is a folder; name a file"),
        ("json={file}/r.json", "is not a folder"),
    ],
)
def test_a_bad_report_file_is_refused(tmp_path: Path, entry: str, message: str) -> None:
    (tmp_path / "file").write_text("")
    entry = entry.format(dir=tmp_path, file=tmp_path / "file")
    with pytest.raises(InputError, match=message):
        report_files([entry])


@pytest.mark.parametrize("separator", [",", ", "])
def test_two_reports_written_as_one_are_refused(tmp_path: Path, separator: str) -> None:
    """TAGGUARD_HARBOR_URL takes a list with commas; the same written for TAGGUARD_REPORT
    once wrote one JSON report to a file named 'r.json,dotenv=...' and no dotenv at all.
    The entries are as click splits the variable: at spaces only."""
    variable = f"json={tmp_path / 'r.json'}{separator}dotenv={tmp_path / 'r.env'}"
    with pytest.raises(InputError, match=r"one NAME=PATH each; .* separate them with spaces"):
        report_files(variable.split())
    # A comma alone is a file name like any other.
    assert report_files([f"json={tmp_path / 'a,b.json'}"]) == {"json": str(tmp_path / "a,b.json")}


def test_a_report_path_that_cannot_be_looked_at_is_one_line(tmp_path: Path) -> None:
    """stat() fails with an error pathlib does not take for "absent" (here a name too long;
    as a user, EACCES under a folder that may not be searched): still a refusal naming the
    entry, not an internal error."""
    entry = f"json={tmp_path / ('x' * 300)}.json"
    with pytest.raises(InputError, match=r"^--report json=.*: cannot use .*: File name too long$"):
        report_files([entry])


def test_a_report_name_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--report json is given twice"):
        report_files([f"json={tmp_path / 'a'}", f"json={tmp_path / 'b'}"])


def test_quiet_prints_the_blocks_only_and_returns_the_exit_code(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = emit(
        report(), output_format="text", color=False, quiet=True, reports={}, redactor=Redactor()
    )
    printed = capsys.readouterr().out
    assert code == 1
    assert "app:v2" in printed
    assert "app:v1" not in printed


@pytest.mark.parametrize("output_format", ["text", "json", "github", "sarif"])
def test_printed_and_written_output_is_redacted_with_the_runs_redactor(
    output_format: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    redactor = Redactor()
    redactor.keep("reason for v2")
    path = tmp_path / "r.json"
    emit(
        report(),
        output_format=output_format,
        color=False,
        quiet=False,
        reports={"json": str(path)},
        redactor=redactor,
    )
    printed, written = capsys.readouterr().out, path.read_text()
    for text in (printed, written):
        assert "reason for v2" not in text
        assert "***" in text
    assert "reason for v1" in written  # what is not a secret stays
    emit(report(), output_format=output_format, color=False, quiet=False, reports={},
         redactor=Redactor())  # fmt: skip
    assert "reason for v2" in capsys.readouterr().out  # another run's secret is not hidden


@pytest.mark.parametrize(
    ("choice", "env", "tty", "expected"),
    [
        ("auto", {}, True, True),
        ("auto", {}, False, False),
        ("auto", {"NO_COLOR": ""}, True, True),  # no-color.org: only a non-empty value
        ("auto", {"NO_COLOR": "1"}, True, False),
        ("auto", {"FORCE_COLOR": "0"}, False, True),  # force-color.org: any non-empty value
        ("auto", {"FORCE_COLOR": ""}, False, False),
        ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ("always", {"NO_COLOR": "1"}, False, True),  # the flag is the user's own choice
        ("never", {"FORCE_COLOR": "1"}, True, False),
    ],
)
def test_colour_follows_the_flag_then_no_color_then_force_color(
    choice: str, env: dict[str, str], tty: bool, expected: bool
) -> None:
    class Stream:
        def isatty(self) -> bool:
            return tty

    assert use_color(choice, env, Stream()) is expected


def test_a_report_may_not_replace_another_report_or_a_file_the_run_reads(
    tmp_path: Path,
) -> None:
    """`--report json=plan.yml` wrote the report over the plan just read, and two reports
    naming one file left only the last; both are refused before anything is written."""
    plan = tmp_path / "plan.yml"
    plan.write_text("operations: []\n")
    same = f"{tmp_path}/sub/../plan.yml"  # the same file, written otherwise
    with pytest.raises(InputError, match=r"json=.*: that is the plan file, which this run reads"):
        check_reports_read_nothing({"json": same}, {"the plan file": str(plan)})
    reports = {"json": str(tmp_path / "r"), "sarif": f"{tmp_path}/./r"}
    with pytest.raises(InputError, match=r"^--report sarif=.*: --report json=.* writes that file"):
        check_reports_read_nothing(reports, {})
    check_reports_read_nothing({"json": str(tmp_path / "r")}, {"--rules-file": None})
    assert plan.read_text() == "operations: []\n"


def test_reports_to_one_stream_are_refused_but_any_number_may_be_thrown_away() -> None:
    """/dev/stdout twice would mix two documents in one stream; /dev/null twice is fine."""
    with pytest.raises(InputError, match=r"^--report junit=/dev/stdout: --report json=/dev"):
        check_reports_read_nothing({"json": "/dev/stdout", "junit": "/dev/stdout"}, {})
    check_reports_read_nothing({"json": "/dev/null", "junit": "/dev/null"}, {})


def test_an_input_path_no_file_can_have_is_left_to_its_reader() -> None:
    """A NUL in a plan's oci-layout: path made realpath raise, an internal error; its reader
    refuses it in its own words."""
    check_reports_read_nothing({"json": "r.json"}, {"plan.yml:2 oci-layout: x": "la\0yout"})
    check_reports_read_nothing({}, {"anything": "la\0yout"})


# Each report kind, as its reader shows a run that failed, and the message it shows it with.
def _json_error(text: str) -> str:
    data = json.loads(text)
    assert (data["decisions"], data["summary"]["block"]) == ([], 0)
    return str(data["error"]["message"])


def _sarif_error(text: str) -> str:
    (run,) = json.loads(text)["runs"]
    (invocation,) = run["invocations"]
    assert run["results"] == []
    assert invocation["executionSuccessful"] is False
    return str(invocation["toolExecutionNotifications"][0]["message"]["text"])


def _junit_error(text: str) -> str:
    (case,) = ET.fromstring(text).iter("testcase")
    error = case.find("error")  # GitLab's status "error": the test report fails
    assert error is not None
    assert case.find("failure") is None
    return error.text or ""


def _codequality_error(text: str) -> str:
    (issue,) = json.loads(text)
    assert issue["severity"] == "blocker"
    return str(issue["description"]).removeprefix("tagguard could not decide: ")


def _dotenv_error(text: str) -> str:
    found = dict(line.split("=", 1) for line in text.splitlines())
    assert found["TAGGUARD_BLOCKED"] == ""  # no count: a 0 would say nothing is blocked
    assert found["TAGGUARD_ERROR"] == "remote"
    return unquote(found["TAGGUARD_ERROR_MESSAGE"])


def _text_error(text: str) -> str:
    (line,) = text.splitlines()
    return line.removeprefix("tagguard: error: ")


def _markdown_error(text: str) -> str:
    assert "could not decide" in text
    assert "|" not in text  # no verdict table
    return re.sub(r"\\(.)", r"\1", text.splitlines()[-1].removeprefix("- "))  # unescaped


SHOWN = {
    "json": _json_error,
    "sarif": _sarif_error,
    "junit": _junit_error,
    "codequality": _codequality_error,
    "dotenv": _dotenv_error,
    "text": _text_error,
    "markdown": _markdown_error,
}

# What a previous run that allowed everything left at each path.
STALE = "allow  h.io/proj/app:v1  new tag\ntagguard: 0 blocked, 0 skipped, 1 allowed\n"


def test_every_report_kind_is_covered_here() -> None:
    assert set(SHOWN) == set(FILES)


@pytest.mark.parametrize("name", sorted(SHOWN))
def test_an_undecided_run_replaces_each_report_a_previous_run_left_with_its_error(
    name: str, tmp_path: Path
) -> None:
    # A report path is reused run after run (a CI artifact): the last run's "all allowed"
    # must not stand beside a job that failed. The message is the `tagguard: error:` line's
    # (commands.run), redacted with the run's redactor.
    path = tmp_path / f"report.{name}"
    path.write_text(STALE, encoding="utf-8")
    redactor = Redactor()
    redactor.keep("s3cr3t-Token")
    error = RemoteError("https://h.io/api/v2.0/projects?q=name=p: 401, token s3cr3t-Token")
    write_error_reports({name: str(path)}, "push", error, redactor)
    written = path.read_text(encoding="utf-8")
    assert "s3cr3t-Token" not in written
    assert "h.io/proj/app:v1" not in written
    assert SHOWN[name](written) == "https://h.io/api/v2.0/projects?q=name=p: 401, token ***"


def test_every_report_an_undecided_run_names_is_written(tmp_path: Path) -> None:
    reports = {name: str(tmp_path / f"r.{name}") for name in FILES}
    write_error_reports(reports, "plan", RemoteError("Harbor h.io: refused"), Redactor())
    for name, path in reports.items():
        assert SHOWN[name](Path(path).read_text(encoding="utf-8")) == "Harbor h.io: refused"


def test_a_report_that_cannot_be_written_leaves_none_after_it_stale(tmp_path: Path) -> None:
    # A link whose target's folder is a file passes the check before the run (the link's
    # own folder is writable) and fails when written. The reports after it kept the last
    # run's "all allowed" beside the exit 2.
    folder_that_is_a_file = tmp_path / "file"
    folder_that_is_a_file.write_text("")
    broken = tmp_path / "broken.json"
    broken.symlink_to(folder_that_is_a_file / "r.json")
    # Written in this order: one before the broken link, the others after it.
    reports = {"junit": str(tmp_path / "r.junit"), "json": str(broken)}
    reports |= {name: str(tmp_path / f"r.{name}") for name in FILES if name not in reports}
    for name, path in reports.items():
        if name != "json":
            Path(path).write_text(STALE, encoding="utf-8")
    entry = re.escape(f"--report json={broken}")
    with pytest.raises(FileError, match=f"^{entry}: cannot write the report"):
        write_error_reports(reports, "push", RemoteError("Harbor h.io: refused"), Redactor())
    for name, path in reports.items():
        if name != "json":
            assert SHOWN[name](Path(path).read_text(encoding="utf-8")) == "Harbor h.io: refused"
