"""tagguard.commands.run: every outcome of a command line is an exit code and, on an error,
one line on stderr (a traceback only with --debug)."""

from __future__ import annotations

import click
import pytest

from tagguard.commands import run as run_module
from tagguard.commands.run import run_cli
from tagguard.core.sanitize import Redactor
from tagguard.errors import InputError, StateError


def _raising(error: BaseException) -> click.Group:
    @click.group()
    def group() -> None:
        pass

    @group.command()
    def go() -> None:
        raise error

    return group


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (InputError("bad input here"), 2, "tagguard: error: bad input here"),
        (StateError("unreadable state"), 2, "tagguard: error: unreadable state"),
        (click.Abort(), 2, "tagguard: aborted"),
        (click.UsageError("wrong use"), 2, "tagguard: error: wrong use (see 'tagguard go --help')"),
        (
            RuntimeError("boom\nagain"),
            2,
            "tagguard: internal error: RuntimeError: boom again "
            "(run with --debug for a traceback, and please report it)",
        ),
        (click.exceptions.Exit(0), 0, None),
        (click.exceptions.Exit(1), 1, None),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else None,
)
def test_each_error_is_an_exit_code_and_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: BaseException,
    code: int,
    line: str | None,
) -> None:
    monkeypatch.setattr(run_module, "cli", _raising(error))
    assert run_cli(["go"], debug=False) == code
    err = capsys.readouterr().err
    assert err == ("" if line is None else line + "\n")


def test_an_unexpected_error_with_debug_is_a_redacted_traceback_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the exception left run_cli, and the interpreter printed it unredacted and
    exited 1, "blocked", for what is "could not decide"."""

    @click.group()
    def group() -> None:
        pass

    @group.command()
    @click.pass_obj
    def go(redactor: Redactor) -> None:
        redactor.keep("s3cret-from-a-registry")  # as the run's credential store would
        raise RuntimeError("boom: it said s3cret-from-a-registry\n##[error]forged")

    monkeypatch.setattr(run_module, "cli", group)
    assert run_cli(["go"], debug=True) == 2
    err = capsys.readouterr().err
    assert "s3cret-from-a-registry" not in err
    lines = err.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert any(
        line.strip() == 'raise RuntimeError("boom: it said ***\\n##\\x5berror]forged")'
        for line in lines
    )
    assert lines[-3:] == [
        "RuntimeError: boom: it said ***",
        "##\\x5berror]forged",  # the runner acts on no line of it
        "tagguard: internal error: RuntimeError: boom: it said *** ##\\x5berror]forged "
        "(please report it)",
    ]


def test_a_tagguard_error_keeps_its_exit_code_even_with_debug(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Odd(InputError):
        exit_code = 3

    monkeypatch.setattr(run_module, "cli", _raising(Odd("odd")))
    assert run_cli(["go"], debug=True) == 3
    assert capsys.readouterr().err == "tagguard: error: odd\n"


def test_a_command_result_is_the_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    @click.group()
    def group() -> None:
        pass

    @group.command()
    def go() -> int:
        return 1

    monkeypatch.setattr(run_module, "cli", group)
    assert run_cli(["go"], debug=False) == 1


def test_an_unknown_option_is_one_line_naming_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["push", "--no-such-flag-at-all"], debug=False) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "No such option '--no-such-flag-at-all'" in err
    assert "(see 'tagguard push --help')" in err


def test_an_option_of_tagguard_itself_after_the_command_says_where_it_belongs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(["push", "--config", "x.toml", "a/b/c:1"], debug=False) == 2
    err = capsys.readouterr().err
    assert "it is an option of tagguard itself, written before the command" in err


def test_a_close_misspelling_is_suggested(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["push", "--rules-fil", "x"], debug=False) == 2
    assert "Did you mean '--rules-file'?" in capsys.readouterr().err


def test_an_unrelated_option_is_not_suggested(capsys: pytest.CaptureFixture[str]) -> None:
    # click's own difflib suggestion would offer --digest for --quiet-ish typos.
    assert run_cli(["push", "--xyzzy"], debug=False) == 2
    assert "Did you mean" not in capsys.readouterr().err
