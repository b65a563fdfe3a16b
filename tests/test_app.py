"""tagguard.app, the composition root: which sources a run gets, what it registers with the
run's redactor, and how a check's failure becomes a verdict or an exit 2."""

from __future__ import annotations

import io
from base64 import b64encode
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tagguard import app
from tagguard.core.reference import parse_reference
from tagguard.core.report import Report
from tagguard.core.sanitize import Redactor
from tagguard.core.state import OfflineSources, RulesTable, Sources, StateTable
from tagguard.errors import InputError, StateError
from tagguard.options import Options, make_options
from tests.conftest import RULES, STATE

REF = parse_reference("harbor.example.com/platform/api:v1.4.0")


def options(**values: Any) -> Options:
    given: dict[str, Any] = {"color": "never", "quiet": False, "verbose": False, **values}
    return make_options(
        "push", given, env={"R_AUTH": "robot:per-host-secret"}, stream=io.StringIO()
    )


def test_both_files_make_an_offline_run_with_no_session() -> None:
    built = app.build_sources(
        options(rules_file=RULES, state_file=STATE), [REF], [], redactor=Redactor()
    )
    assert isinstance(built.sources, OfflineSources)
    assert built.http is None


def test_explain_needs_no_state_file() -> None:
    built = app.build_sources(options(rules_file=RULES), [REF], [], redactor=Redactor(),
                              need_state=False)  # fmt: skip
    assert isinstance(built.sources, OfflineSources)


def test_a_live_run_registers_its_secrets_with_its_own_redactor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))  # no docker config: nothing else found
    monkeypatch.setenv("TAGGUARD_PASSWORD", "env-password-1")
    monkeypatch.setattr("sys.stdin", io.StringIO("stdin-password-1\nnot read\n"))
    redactor, other = Redactor(), Redactor()
    chosen = options(username="ci", password_stdin=True, credentials=("r.io=R_AUTH",))
    built = app.build_sources(chosen, [REF], [], redactor=redactor)  # asks nothing yet
    try:
        assert built.http is not None
        text = "stdin-password-1 env-password-1 per-host-secret"
        assert redactor.redact(text) == "*** *** ***"
        # What the Basic header carries, should a server echo it: base64 of user:password.
        pairs = ("ci:stdin-password-1", "robot:per-host-secret")
        sent = " ".join(b64encode(pair.encode()).decode() for pair in pairs)
        assert redactor.redact(sent) == "*** ***"
        assert other.redact(text) == text
    finally:
        app.release(built)


def test_the_password_is_the_first_line_of_standard_input() -> None:
    chosen = options(username="ci", password_stdin=True)
    assert app.read_password(chosen, io.StringIO("s3cret\r\nmore\n")) == "s3cret"
    assert app.read_password(options(), io.StringIO("never read")) is None
    with pytest.raises(InputError, match="standard input held no password"):
        app.read_password(chosen, io.StringIO(""))


class Recorded(OfflineSources):
    """Offline sources that note what the composition root asked of them."""

    def __init__(self) -> None:
        super().__init__(RulesTable(shared=()), StateTable({}))
        self.calls: list[str] = []

    def prefetch(
        self, projects: Iterable[tuple[str, str]], tags: Mapping[tuple[str, str], set[str]]
    ) -> None:
        self.calls.append(f"prefetch {sorted(projects)}")

    def settle(self) -> None:
        self.calls.append("settle")

    def close(self) -> None:
        self.calls.append("close")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    sources = Recorded()
    monkeypatch.setattr(app, "build_sources", lambda *a, **k: app.Built(sources, None))
    return sources


def test_the_check_asks_ahead_then_the_root_settles_and_closes(recorded: Recorded) -> None:
    def check(sources: Sources, globs: str | None) -> Report:
        sources.prefetch([("harbor.example.com", "platform")], {})  # as tagguard.check does
        return Report()

    with app.checked(options(), [REF], [], check, redactor=Redactor()) as found:
        assert found.exit_code == 0
    # Asked once, by the check: the composition root adds no prefetch of its own.
    assert recorded.calls == ["prefetch [('harbor.example.com', 'platform')]", "settle", "close"]


def test_a_command_prints_before_the_sources_are_let_go(recorded: Recorded) -> None:
    """`checked` holds the sources (and the HTTP session) until its block has printed."""
    with app.checked(options(), [REF], [], lambda s, g: Report(), redactor=Redactor()) as report:
        recorded.calls.append("printed")
        assert report.exit_code == 0
    assert recorded.calls == ["settle", "printed", "close"]
    with (
        pytest.raises(RuntimeError),
        app.checked(options(), [REF], [], lambda s, g: Report(), redactor=Redactor()),
    ):
        raise RuntimeError("a reporter failed")
    assert recorded.calls[-1] == "close"  # let go even so


def failing(sources: Any, globs: str | None) -> Report:
    raise StateError("harbor.example.com: no answer")


def test_an_unreadable_registry_fails_closed(recorded: Recorded) -> None:
    with pytest.raises(StateError), app.checked(options(), [REF], [], failing, redactor=Redactor()):
        pass
    assert recorded.calls == ["close"]


def test_on_error_warn_turns_it_into_a_warning(recorded: Recorded) -> None:
    with app.checked(options(on_error="warn"), [REF], [], failing, redactor=Redactor()) as found:
        pass
    assert found.exit_code == 0
    assert [w.code for w in found.warnings] == ["undecided"]
    assert "harbor.example.com: no answer" in found.warnings[0].message
    assert recorded.calls == ["close"]
