"""The settings in force as `tagguard config` shows them: each value with its source, and
nothing that must stay secret (a password, a URL's credentials, the run's secrets)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tagguard.core.sanitize import Redactor
from tagguard.settings import shown
from tests.test_cli import run


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TAGGUARD_* variable, CI's default format or settings file of the machine reaches
    these runs."""
    ours = [n for n in os.environ if n.startswith("TAGGUARD_")]
    for name in [*ours, "GITHUB_ACTIONS", "GITLAB_CI"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_tagguard_config_shows_values_and_sources_without_secrets(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    Path("tagguard.toml").write_text('on-error = "warn"\n[lint]\nformat = "json"\n')
    monkeypatch.setenv("TAGGUARD_HARBOR_URL", "https://ci:hunter2secret@harbor.example.com")
    monkeypatch.setenv("TAGGUARD_USERNAME", "robot$proj+ci")
    monkeypatch.setenv("TAGGUARD_PASSWORD", "hunter3secret")
    code, out, err = run(capsys, "config")
    assert (code, err) == (0, "")
    assert "hunter2secret" not in out
    assert "hunter3secret" not in out
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert rows["harbor-url"].endswith("https://<hidden>@harbor.example.com  (TAGGUARD_HARBOR_URL)")
    assert rows["password"].endswith("<hidden>  (TAGGUARD_PASSWORD)")
    assert rows["on-error"].endswith(f"warn  ({Path.cwd() / 'tagguard.toml'})")
    assert rows["format"].endswith("-  (default)")  # lint's table is lint's own
    assert rows["timeout"].endswith("10.0  (default)")
    assert sum(1 for line in out.splitlines() if line.startswith("digest ")) == 2  # push's, sign's
    code, out, _ = run(capsys, "config", "lint")
    assert re.search(r"^format +TAGGUARD_FORMAT +json", out, re.M)
    assert run(capsys, "config", "nope")[0] == 2


def test_a_value_is_shown_without_url_credentials_or_the_runs_secrets() -> None:
    url = "https://ci:hunter2@harbor.example.com/api/v2.0/projects?q=1"
    assert shown("harbor-url", url) == "https://<hidden>@harbor.example.com/api/v2.0/projects?q=1"
    assert shown("harbor-url", "https://ci:pw@h.io") == "https://<hidden>@h.io"
    redactor = Redactor()
    redactor.keep("token-0123456789")
    assert shown("url", "https://h.io/?t=token-0123456789", redactor) == "https://h.io/?t=***"
    # An e-mail in a value is no credential: only a URL's user part is hidden.
    assert shown("username", "robot@example.com") == "robot@example.com"


def test_a_list_is_one_line_and_nothing_is_a_dash() -> None:
    assert (
        shown("harbor-url", ("h.io=https://a", "g.io=https://b")) == "h.io=https://a g.io=https://b"
    )
    assert shown("harbor-url", ()) == "-"
    assert shown("timeout", None) == "-"
    assert shown("rules-file", "a\nb\x1b[31m") == "a\\nb\\x1b[31m"  # one line, inert


def test_a_setting_read_outside_click_is_one_row(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """TAGGUARD_USERNAME and TAGGUARD_DEBUG are read by tagguard itself, not by click: when
    set, their row replaces the option's default one rather than following it."""
    monkeypatch.setenv("TAGGUARD_USERNAME", "admin")
    monkeypatch.setenv("TAGGUARD_DEBUG", "1")
    code, out, _ = run(capsys, "config", "push")
    assert code == 0
    keys = [line.split()[0] for line in out.splitlines()[1:]]
    assert keys == sorted(set(keys))
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert rows["username"].endswith("admin  (TAGGUARD_USERNAME)")
    assert rows["debug"].endswith("True  (TAGGUARD_DEBUG)")


@pytest.mark.parametrize("url", ["admin:s3cret@h.io", "admin:s3cret@https://h.io"])
def test_a_harbor_url_s_user_part_is_hidden_however_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("TAGGUARD_HARBOR_URL", url)
    code, out, _ = run(capsys, "config", "push")
    assert code == 0
    assert "s3cret" not in out
    assert "<hidden>@" in next(line for line in out.splitlines() if line.startswith("harbor-url"))


def test_the_variables_tagguard_reads_itself_are_named_when_unset(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`tagguard config` is where a newcomer looks for an option's variable: the ones read
    outside click (TAGGUARD_USERNAME, TAGGUARD_PASSWORD, TAGGUARD_DEBUG) showed '-', or no
    row at all, until they were already set."""
    code, out, _ = run(capsys, "config", "push")
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["username"][1:] == ["TAGGUARD_USERNAME", "-", "(default)"]
    assert rows["password"][1:] == ["TAGGUARD_PASSWORD", "-", "(default)"]
    assert rows["debug"][1:] == ["TAGGUARD_DEBUG", "False", "(default)"]


def test_a_command_without_credentials_shows_none(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """lint reads no registry: the credentials in the environment are no setting of it, and
    showing them in its table said otherwise."""
    monkeypatch.setenv("TAGGUARD_USERNAME", "admin")
    monkeypatch.setenv("TAGGUARD_PASSWORD", "hunter3secret")
    code, out, _ = run(capsys, "config", "lint")
    assert code == 0
    keys = {line.split()[0] for line in out.splitlines()[1:]}
    assert "rules-file" in keys
    assert not keys & {"username", "password"}
