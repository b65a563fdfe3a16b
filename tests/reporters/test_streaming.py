"""The text and JSON reports are written as they are made: line by line, redacted piece by
piece, never held whole; what they print is the same document as before, byte for byte."""

from __future__ import annotations

import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from tagguard.core import sanitize
from tagguard.core.decide import Verdict
from tagguard.core.report import Notice, Report
from tagguard.reporters import Context, render, write
from tagguard.reporters import json as json_output
from tagguard.reporters import text as text_output
from tagguard.reporters.files import redacted, write_pieces
from tests.conftest import output_json
from tests.reporters.conftest import decision


def big_report(decisions: int) -> Report:
    made = Report()
    for i in range(decisions):
        verdict = Verdict.BLOCK if i % 3 == 0 else Verdict.ALLOW
        made.record(decision(verdict, f"h.io/p/app:v{i}", f"reason number {i} " + "x" * 200))
    made.warn(Notice("broken-rule", "project p: rule 2 is broken", "h.io", "p", 2))
    return made


def whole_document(report: Report, error: dict[str, str] | None = None) -> str:
    """The JSON document as the reporter wrote it when it built it whole (one value of a
    list per line): the reference the streamed pieces must equal."""
    data = json_output.report_dict(report, error)

    def block(items: list[dict[str, Any]]) -> str:
        if not items:
            return "[]"
        return "[\n" + ",\n".join("    " + json.dumps(item) for item in items) + "\n  ]"

    lines = [f'  "schema_version": {data["schema_version"]}',
             f'  "decisions": {block(data["decisions"])}',
             f'  "warnings": {block(data["warnings"])}',
             f'  "summary": {json.dumps(data["summary"])}']  # fmt: skip
    if error is not None:
        lines.append(f'  "error": {json.dumps(error)}')
    return sanitize.printable_json("{\n" + ",\n".join(lines) + "\n}\n")


@pytest.mark.parametrize("size", [0, 1, 700])
def test_the_streamed_json_is_the_whole_document(size: int) -> None:
    report = big_report(size)
    assert json_output.dumps(report) == whole_document(report)
    out = io.StringIO()
    render("json", report, Context(out))
    assert out.getvalue() == whole_document(report)
    assert len(output_json(out.getvalue())["decisions"]) == size


def test_the_error_document_is_the_whole_document() -> None:
    error = {"code": "state", "message": "##[x] no"}
    assert json_output.dumps(Report(), error) == whole_document(Report(), error)
    assert "##[" not in json_output.dumps(Report(), error)


class Writes(io.StringIO):
    """A stream that keeps only how much each write brought."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, text: str) -> int:
        self.sizes.append(len(text))
        return len(text)


@pytest.mark.parametrize("name", ["json", "text"])
def test_a_large_report_is_written_in_many_small_pieces(name: str) -> None:
    report = big_report(1500)
    whole = len(json_output.dumps(report) if name == "json" else text_output.text(report))
    out = Writes()
    render(name, report, Context(out))
    assert sum(out.sizes) == whole
    assert len(out.sizes) >= 5
    assert max(out.sizes) < whole / 4


def peak_while_rendering(name: str, report: Report) -> int:
    tracemalloc.start()
    try:
        render(name, report, Context(Writes()))
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("name", ["json", "text"])
def test_rendering_holds_a_batch_not_the_report(name: str) -> None:
    """What rendering allocates at its peak is a few hundred lines, however long the report:
    neither the text nor a dict per decision is built whole."""
    small, large = big_report(1000), big_report(4000)
    whole = len(json_output.dumps(large) if name == "json" else text_output.text(large))
    peak = peak_while_rendering(name, large)
    assert peak < whole / 4
    assert peak < 1.5 * peak_while_rendering(name, small)  # four times the report


def test_a_secret_is_redacted_piece_by_piece() -> None:
    redactor = sanitize.Redactor()
    redactor.keep("hunter2-token")
    report = big_report(600)
    report.warn(Notice("remote", "Harbor said: bad credentials hunter2-token", "h.io"))
    for name in ("json", "text"):
        out = io.StringIO()
        render(name, report, Context(redacted(out, redactor)))
        assert "hunter2-token" not in out.getvalue()
        assert "bad credentials ***" in out.getvalue()


@pytest.mark.parametrize("name", ["json", "text"])
def test_a_report_file_is_the_printed_report(name: str, tmp_path: Path) -> None:
    redactor = sanitize.Redactor()
    redactor.keep("reason number 7 ")
    report = big_report(900)
    printed = io.StringIO()
    render(name, report, Context(redacted(printed, redactor)))
    path = tmp_path / f"report.{name}"
    write(name, report, str(path), Context(io.StringIO(), redactor=redactor))
    assert path.read_text() == printed.getvalue()
    assert "reason number 7 " not in printed.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_a_report_that_cannot_be_made_leaves_the_old_file_and_no_temporary(
    tmp_path: Path,
) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")

    def failing() -> Any:
        yield "half of a report"
        raise RuntimeError("a bug while rendering")

    with pytest.raises(RuntimeError):
        write_pieces(str(path), failing(), sanitize.Redactor())
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
