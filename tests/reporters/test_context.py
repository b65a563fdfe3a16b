"""tagguard.reporters.context: what every reporter is given, and what a reporter must be."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tagguard.core.record import FrozenError
from tagguard.core.report import Report
from tagguard.reporters import dotenv, text
from tagguard.reporters.context import Context, FileFormat, Format


def test_each_context_has_its_own_redactor() -> None:
    """The redactor is the run's: a secret one run keeps never hides text in another's."""
    first, second = Context(io.StringIO()), Context(io.StringIO())
    first.redactor.keep("s3cret-token")
    assert first.redactor.redact("a s3cret-token b") != "a s3cret-token b"
    assert second.redactor.redact("a s3cret-token b") == "a s3cret-token b"


def test_a_context_is_fixed_once_made() -> None:
    context = Context(io.StringIO(), env={"CI": "true"})
    with pytest.raises(FrozenError):
        context.color = True  # type: ignore[misc]
    assert (context.color, dict(context.env), dict(context.files)) == (False, {"CI": "true"}, {})


def test_a_reporter_module_is_a_format_and_a_file_format(tmp_path: Path) -> None:
    """mypy checks the assignments (a module that lost `render` or `write` fails it); the
    calls check that what the protocols promise is what the modules do."""
    format_module: Format = text
    file_module: FileFormat = dotenv
    out = io.StringIO()
    format_module.render(Report(), Context(out))
    assert out.getvalue().startswith("tagguard: 0 blocked")
    file_module.write(Report(), str(tmp_path / "tagguard.env"), Context(io.StringIO()))
    assert (tmp_path / "tagguard.env").read_text().startswith("TAGGUARD_BLOCKED=0\n")
