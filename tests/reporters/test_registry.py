"""The reporter registries: each name loads a module that implements its protocol."""

from __future__ import annotations

import ast
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tagguard import reporters
from tagguard.core.report import Report
from tagguard.reporters import (
    COMMAND_FILES,
    COMMAND_FORMATS,
    FILES,
    FORMATS,
    Context,
    FileFormat,
    Format,
    Undecided,
    default_format,
    render,
)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_renders_an_empty_report(name: str) -> None:
    chosen: Format = FORMATS[name]()
    out = io.StringIO()
    chosen.render(Report(), Context(out))
    assert out.getvalue()  # something is always said, even of nothing


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_format_writes_an_empty_report(tmp_path: Path, name: str) -> None:
    chosen: FileFormat = FILES[name]()
    path = tmp_path / f"report.{name}"
    chosen.write(Report(), str(path), Context(io.StringIO()))
    assert path.exists()


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_file_format_writes_an_undecided_run_over_the_last_report(
    tmp_path: Path, name: str
) -> None:
    chosen: FileFormat = FILES[name]()
    path = tmp_path / f"report.{name}"
    path.write_text("the last run's report\n")
    chosen.write_undecided(
        Undecided("push", "remote", "refused"), str(path), Context(io.StringIO())
    )
    assert "refused" in path.read_text()
    assert "the last run's report" not in path.read_text()


def test_render_by_name() -> None:
    out = io.StringIO()
    render("json", Report(), Context(out))
    assert json.loads(out.getvalue())["summary"] == {"allow": 0, "skip": 0, "block": 0}


def test_each_command_renders_only_registered_formats() -> None:
    for formats in COMMAND_FORMATS.values():
        assert set(formats) <= set(FORMATS)
    for files in COMMAND_FILES.values():
        assert set(files) <= set(FILES)


def test_the_cli_offers_exactly_the_registered_formats() -> None:
    from tagguard.commands import FORMATS as CLI_FORMATS
    from tagguard.commands import REPORT_FILES

    assert set(CLI_FORMATS) == set(FORMATS)
    assert set(REPORT_FILES) == set(FILES)


def test_ci_environments_choose_their_format() -> None:
    assert default_format({"GITHUB_ACTIONS": "true"}) == "github"
    assert default_format({"GITLAB_CI": "true"}) == "gitlab"
    assert default_format({}) == "text"


def test_a_format_module_is_imported_only_when_chosen() -> None:
    code = (
        "import sys\n"
        "from tagguard.reporters import FILES, FORMATS\n"
        "assert 'tagguard.reporters.sarif' not in sys.modules\n"
        "assert 'tagguard.reporters.junit' not in sys.modules\n"
        "assert FORMATS['sarif']() is sys.modules['tagguard.reporters.sarif']\n"
        "assert FILES['junit']() is sys.modules['tagguard.reporters.junit']\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_mypy_checks_every_registered_module_against_its_protocol() -> None:
    """The registries load modules by name; the TYPE_CHECKING block of tagguard.reporters
    is where mypy checks each against its protocol, so it must name every one, in the
    protocol its registries need (both: Reporter)."""
    tree = ast.parse(Path(reporters.__file__).read_text(encoding="utf-8"))
    checked: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.AnnAssign) and isinstance(node.value, ast.Tuple):
            protocol = ast.unparse(node.annotation).removeprefix("tuple[").split(",")[0]
            names = {e.id for e in node.value.elts if isinstance(e, ast.Name)}
            checked.setdefault(protocol, set()).update(names)
    both = set(FORMATS) & set(FILES)
    assert checked == {
        "Reporter": both,
        "Format": set(FORMATS) - both,
        "FileFormat": set(FILES) - both,
    }
