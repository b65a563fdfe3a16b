from __future__ import annotations

from pathlib import Path

from tagguard.core.decide import Verdict
from tagguard.core.report import Report
from tagguard.core.sanitize import escape_data, escape_property
from tagguard.reporters import github
from tests.reporters.conftest import context, decision


def test_escaping_as_the_runner_expects() -> None:
    assert escape_data("100%\r\nnext") == "100%25%0D%0Anext"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"
    assert (
        github.command("error", "x\ny", file="r:1.yml", line=3, title=None)
        == "::error file=r%3A1.yml,line=3::x%0Ay"
    )


def test_annotations_stop_commands_and_masks(report: Report, tmp_path: Path) -> None:
    ctx = context(
        env={
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "GITHUB_OUTPUT": str(tmp_path / "out"),
        },
    )
    github.render(report, ctx)
    lines = ctx.stream.getvalue().splitlines()  # type: ignore[attr-defined]
    assert not any("s3cret" in line for line in lines)  # not even as ::add-mask::
    assert not any(line.startswith("::add-mask::") for line in lines)
    assert lines[0].startswith("::stop-commands::")
    token = lines[0].split("::")[2]
    end = lines.index(f"::{token}::")
    assert lines[1].startswith("release.yml:4: block")
    after = lines[end + 1 :]
    assert (
        after[0]
        == "::error file=release.yml,line=4,title=tagguard%3A push blocked::h.io/p/app:v1: tag v1 is immutable (rule 3)"
    )
    assert after[1] == "::warning title=tagguard%3A broken-rule::project p: rule 2 is broken"


def test_registry_text_cannot_inject_commands() -> None:
    hostile = Report()
    hostile.record(decision(Verdict.BLOCK, "h.io/p/app:v1", "bad\n::set-output name=x::pwned"))
    ctx = context()
    github.render(hostile, ctx)
    text = ctx.stream.getvalue()  # type: ignore[attr-defined]
    assert not any(line.startswith("::set-output") for line in text.splitlines())
    assert "bad\\n::set-output" in text  # shown, escaped, on the line it came in


def test_only_ten_errors_then_a_notice() -> None:
    many = Report()
    for i in range(13):
        many.record(decision(Verdict.BLOCK, f"h.io/p/app:v{i}", "immutable"))
    lines = github.annotation_lines(many)
    assert sum(1 for line in lines if line.startswith("::error")) == 10
    assert lines[10].startswith(
        "::notice title=tagguard::3 more blocked reference(s) are not annotated"
    )


def test_summary_and_outputs(report: Report, tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "out"
    ctx = context(
        env={"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)},
        files={"json": "/tmp/r.json"},
    )
    github.publish(report, ctx)
    assert (
        "| ⛔ block | h.io/p/app:v1 (release.yml:4) | tag v1 is immutable (rule 3) |"
        in summary.read_text()
    )
    written = output.read_text().splitlines()
    assert written[:3] == ["blocked=1", "skipped=1", "allowed=2"]
    delimiter = written[3].split("<<")[1]
    assert written[3] == f"push-refs<<{delimiter}"
    assert written[4:6] == ["h.io/p/app:v2", delimiter]  # the delete is not a push
    assert written[6] == "report=/tmp/r.json"
