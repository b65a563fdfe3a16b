"""Issue 13, item 5: every option from TAGGUARD_<OPTION> and from tagguard.toml, flag >
environment > file; the names the Action and the GitLab template and component set for
themselves kept apart. How `tagguard config` shows them is tests/test_settings.py's."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path

import click
import pytest

from tagguard.commands import cli, every_command
from tagguard.config import RESERVED, find_config, load_config
from tagguard.errors import InputError
from tests.conftest import API, OFFLINE, ROOT, RULES
from tests.test_cli import run

# Options with no variable of their own, and why (the README's table says the same).
NO_VARIABLE = {
    "--username": "TAGGUARD_USERNAME with TAGGUARD_PASSWORD, read by tagguard.shell.credentials",
    "--password-stdin": "standard input is a command-line matter",
    "--debug": "TAGGUARD_DEBUG, read by tagguard.cli before click runs",
    "--config": "",  # has TAGGUARD_CONFIG; checked below on the group
    "--uninstall": "install-git-hook: a one-off action",
}


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("TAGGUARD_")]:
        monkeypatch.delenv(name)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _options() -> list[tuple[str, click.Option]]:
    found = [(name, p) for name, c in every_command().items() for p in c.params]
    return [(n, p) for n, p in found if isinstance(p, click.Option) and "--help" not in p.opts]


def test_every_option_has_one_flat_variable() -> None:
    for command, option in _options():
        flag = max(option.opts, key=len)
        if flag in NO_VARIABLE:
            continue
        assert isinstance(option.envvar, str), f"{command} {flag} has no variable"
        assert option.envvar.startswith("TAGGUARD_"), (command, flag)
        assert option.show_envvar, (command, flag)
    assert {p.envvar for p in cli.params if isinstance(p, click.Option)} >= {"TAGGUARD_CONFIG"}


def test_one_variable_means_one_thing() -> None:
    """The same variable on two commands is the same option (same flag); none is a name the
    Action or the GitLab template and component set with another meaning."""
    flags: dict[str, set[str]] = {}
    for _, option in _options():
        if isinstance(option.envvar, str):
            flags.setdefault(option.envvar, set()).add(max(option.opts, key=len))
    assert all(len(f) == 1 for f in flags.values()), flags
    used = set(flags) - {"TAGGUARD_DIGEST"}  # the template's digest is push's --digest
    assert not used & set(RESERVED)
    set_by_ci = set()
    for path in (
        "action.yml",
        "ci/github-action.sh",
        "gitlab-ci-template.yml",
        "templates/tagguard.yml",
    ):
        set_by_ci |= set(re.findall(r"\b(TAGGUARD_[A-Z_]+)\s*[:=]", (ROOT / path).read_text()))
    shared = {"TAGGUARD_HARBOR_URL", "TAGGUARD_USERNAME", "TAGGUARD_PASSWORD", "TAGGUARD_DIGEST"}
    assert set_by_ci - shared <= set(RESERVED), set_by_ci - shared - set(RESERVED)


def _timeout_of(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, _, err = run(capsys, "push", f"{API}:v9", *OFFLINE, "--verbose", *args)
    assert code == 0, err
    (row,) = [line for line in err.splitlines() if line.split()[1:2] == ["timeout"]]
    return row.split(maxsplit=3)[3]


def test_precedence_flag_then_environment_then_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _timeout_of(capsys) == "10.0  (default)"
    Path("tagguard.toml").write_text("timeout = 4\n")
    assert _timeout_of(capsys) == f"4.0  ({Path.cwd() / 'tagguard.toml'})"
    monkeypatch.setenv("TAGGUARD_TIMEOUT", "5")
    assert _timeout_of(capsys) == "5.0  (TAGGUARD_TIMEOUT)"
    assert _timeout_of(capsys, "--timeout", "6") == "6.0  (command line)"


def test_the_file_sets_what_the_command_does(capsys: pytest.CaptureFixture[str]) -> None:
    Path("tagguard.toml").write_text(
        f'rules-file = "{RULES}"\nformat = "json"\n[lint]\nformat = "text"\n'
    )
    code, out, _ = run(capsys, "explain", f"{API}:v1.4.0")  # rules from the file
    assert code == 0
    assert out.startswith("{")  # json, from the top level
    code, out, _ = run(capsys, "lint")  # lint's own table, and its rules file
    assert code == 1
    assert out.splitlines()[-1].startswith("tagguard lint: 1 error(s)")


def test_the_file_is_found_up_to_the_repository_top(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    deep = tmp_path / "repo" / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "tagguard.toml").write_text("timeout = 1\n")  # outside the checkout
    assert find_config(deep) is None
    (tmp_path / "repo" / "tagguard.toml").write_text("timeout = 1\n")
    assert find_config(deep) == tmp_path / "repo" / "tagguard.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timout = 3\n", "timout is not an option here"),
        ('timeout = "soon"\n', "timeout = 'soon': "),
        ("password = 'x'\n", "password: a password does not belong in a file"),
        ("username = 'u'\n", "username: use --credentials HOST=ENVVAR"),
        ("[pish]\ntimeout = 3\n", "[pish] is not a tagguard command"),
        ("[lint]\ntimeout = 3\n", "[lint] timeout is not an option here"),
        ("harbor-url = 3\n", "harbor-url: give a list of strings"),
        ("timeout = \n", "not valid TOML"),
        # click's INT casts with int(): 1.5 became 1 without a word.
        ("concurrency = 1.5\n", "concurrency = 1.5: give a whole number"),
        ("concurrency = true\n", "concurrency = True: give a number, not true or false"),
        ("timeout = true\n", "timeout = True: give a number, not true or false"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    Path("tagguard.toml").write_text(text)
    code, out, err = run(capsys, "push", f"{API}:v9", *OFFLINE)
    assert (code, out) == (2, "")
    assert err.startswith(f"tagguard: error: {Path.cwd() / 'tagguard.toml'}: ")
    assert message in err
    assert err.count("\n") == 1


def test_a_file_cannot_turn_install_git_hook_into_an_uninstall(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # --uninstall is a one-off action, like --password-stdin: a file that set it made
    # `tagguard install-git-hook` remove the hook (or, with none, say so and exit 0) instead
    # of installing it, while `tagguard config` refused the same file.
    for text in ("uninstall = true\n", "[install-git-hook]\nuninstall = true\n"):
        Path("tagguard.toml").write_text(text)
        for command in (["install-git-hook"], ["config"]):
            code, out, err = run(capsys, *command)
            assert (code, out) == (2, ""), (text, command)
            assert "uninstall: " in err
            assert "on the command line" in err
            assert err.count("\n") == 1


def test_an_unknown_key_suggests_no_key_a_file_refuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The list after a typo is what may be written instead: a key the file refuses
    # (username, password-stdin, debug) is no such thing.
    Path("tagguard.toml").write_text("timout = 3\n")
    code, _, err = run(capsys, "push", f"{API}:v9", *OFFLINE)
    assert code == 2
    listed = err.split("without dashes: ", 1)[1].rstrip(")\n").split(", ")
    assert "timeout" in listed
    assert not {"username", "password-stdin", "debug", "uninstall"} & set(listed)


def test_config_names_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    named = tmp_path / "elsewhere.toml"
    named.write_text("concurrency = 3\n")
    code, out, _ = run(capsys, "--config", str(named), "config", "push")
    assert code == 0
    assert re.search(
        rf"^concurrency +TAGGUARD_CONCURRENCY +3 +\({re.escape(str(named))}\)$", out, re.M
    )


def test_the_environment_reaches_options_without_a_variable_of_their_own_before(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGGUARD_RULES_FILE", RULES)
    monkeypatch.setenv("TAGGUARD_STATE_FILE", OFFLINE[3])
    monkeypatch.setenv("TAGGUARD_FORMAT", "json")
    monkeypatch.setenv("TAGGUARD_REPORT", "text=out.txt markdown=out.md")
    code, out, err = run(capsys, "push", f"{API}:v9")
    assert (code, err) == (0, "")
    assert out.startswith("{")
    assert Path("out.txt").read_text().startswith("allow")
    assert Path("out.md").exists()


def test_configured_options_for_callers_without_a_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the docker plugin can run with: environment, then file, then defaults."""
    from tagguard.commands import configured_options

    Path("tagguard.toml").write_text('timeout = 4\nharbor-url = ["h.io=http://127.0.0.1:1"]\n')
    monkeypatch.setenv("TAGGUARD_TIMEOUT", "6")
    monkeypatch.setenv("TAGGUARD_CREDENTIALS", "h.io=H_AUTH")
    monkeypatch.setenv("H_AUTH", "robot$ci:s3cret")
    options = configured_options()
    assert (options.timeout, options.deadline) == (6.0, 60.0)
    # Read once, into typed values: the URL per host, the credential per host.
    assert dict(options.harbor_urls.explicit) == {"h.io": "http://127.0.0.1:1"}
    assert options.credentials["h.io"].username == "robot$ci"
    assert options.rules_file is None


def test_a_settings_file_is_read_within_a_limit(tmp_path: Path) -> None:
    # --config /dev/zero (stat() says 0 bytes) read until memory ran out.
    fifo = tmp_path / "tagguard.toml"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as stream, contextlib.suppress(BrokenPipeError):
            stream.write(b"# " + b"x" * (2 * 1024 * 1024))

    threading.Thread(target=feed, daemon=True).start()
    with pytest.raises(InputError, match=rf"^{re.escape(str(fifo))}: more than the \d+-byte limit"):
        load_config(str(fifo), tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # tomllib recurses once per level and raises RecursionError, not TOMLDecodeError.
        ("a = " + "[" * 5000 + "]" * 5000 + "\n", "not valid TOML"),
        ("a = " + "{b = " * 3000 + "1" + "}" * 3000 + "\n", "not valid TOML"),
        # int() past Python's 4300-digit limit raises a plain ValueError inside tomllib.
        ("timeout = " + "9" * 5000 + "\n", "not valid TOML"),
        # TOML has dates and times, which click casts with float() and int(): a TypeError.
        ("timeout = 1979-05-27T07:32:00Z\n", "timeout = "),
        ("[push]\nconcurrency = 1979-05-27\n", "concurrency = "),
        ("deadline = 07:32:00\n", "deadline = "),
        ("harbor-version = 1979-05-27\n", "harbor-version = "),
    ],
)
def test_any_toml_value_is_one_line_naming_the_file(
    capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    """Valid-looking TOML the option types do not expect is the file's error, never an
    internal one (these were `internal error: RecursionError/ValueError/TypeError`)."""
    Path("tagguard.toml").write_text(text)
    code, out, err = run(capsys, "push", f"{API}:v9", *OFFLINE)
    assert (code, out) == (2, "")
    assert err.startswith(f"tagguard: error: {Path.cwd() / 'tagguard.toml'}: "), err
    assert message in err
    assert err.count("\n") == 1
