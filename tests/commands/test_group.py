"""tagguard.commands: the `tagguard` group loads a command's module when the command is
asked for, and answers every question as the group that declared all fourteen commands up
front did: its help, each command's, shell completion, the usage errors that name other
commands, `tagguard config`, and tagguard.toml's default maps and errors."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import click
import pytest
from click.shell_completion import BashComplete

from tagguard.commands import (
    COMMANDS,
    checks,
    cli,
    command_named,
    default_maps_for,
    every_command,
    plans,
    tools,
)
from tagguard.commands import run as run_module
from tagguard.commands.run import run_cli
from tagguard.config import ConfigFile, default_maps, options_of
from tagguard.errors import InputError


def _eager() -> click.Group:
    """The group as it was before loading lazily: the same group (name, options, callback,
    settings), a plain click.Group holding every command."""
    group: click.Group = copy.copy(cli)
    group.__class__ = click.Group
    group.commands = every_command()
    return group


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("TAGGUARD_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".git").mkdir()  # no tagguard.toml above this folder is read


def test_the_table_names_each_command_of_the_modules_under_its_own_name() -> None:
    declared = {
        value.name: (module.__name__.rpartition(".")[2], attribute)
        for module in (checks, plans, tools)
        for attribute, value in vars(module).items()
        if isinstance(value, click.Command)
    }
    assert declared == dict(COMMANDS)
    assert all(command_named(name).name == name for name in COMMANDS)


def test_unknown_names_are_no_command() -> None:
    context = click.Context(cli)
    assert cli.get_command(context, "pussh") is None
    assert cli.get_command(context, "--format") is None
    assert cli.list_commands(context) == sorted(every_command())


_LINES = [
    [],
    ["--help"],
    ["-h"],
    *([name, "--help"] for name in COMMANDS),
    ["pussh"],  # click suggests push
    ["plann", "x"],  # click suggests plan and explain
    ["--bogus"],
    ["push", "--project", "x"],  # an option of lint's, named as such
    ["lint", "--digest", "x"],  # of push's and sign's
    ["config"],
    ["config", "push"],
    ["config", "nope"],
    ["push", "--format", "json", "x"],  # the JSON error document
]


@pytest.mark.parametrize("settings_file", ["", "timeout = 5\n[lint]\nformat = 'json'\n"])
@pytest.mark.parametrize("line", _LINES, ids=" ".join)
def test_a_command_line_is_answered_as_the_eager_group_answered_it(
    line: list[str],
    settings_file: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if settings_file:
        Path("tagguard.toml").write_text(settings_file)
    lazy = run_cli(line, debug=False), capsys.readouterr()
    monkeypatch.setattr(run_module, "cli", _eager())
    eager = run_cli(line, debug=False), capsys.readouterr()
    assert lazy == eager
    assert lazy[1].out or lazy[1].err  # each line answers something


@pytest.mark.parametrize(
    "words",
    [
        ["tagguard"],
        ["tagguard", "p"],
        ["tagguard", "i"],
        ["tagguard", "--co"],
        ["tagguard", "push", "--ha"],
        ["tagguard", "lint", "--"],
        ["tagguard", "push", "--format"],
        ["tagguard", "config"],
        ["tagguard", "completion"],
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("incomplete", ["", "-"])
def test_shell_completion_offers_what_the_eager_group_offered(
    words: list[str], incomplete: str
) -> None:
    def offered(group: click.Group) -> list[tuple[str, str, str | None]]:
        completion = BashComplete(group, {}, "tagguard", "_TAGGUARD_COMPLETE")
        found = completion.get_completions(words[1:], incomplete)
        return [(item.value, item.type, item.help) for item in found]

    lazy = offered(cli)
    assert lazy == offered(_eager())
    if words == ["tagguard"] and not incomplete:
        assert [value for value, _, _ in lazy] == sorted(COMMANDS)


def test_a_key_several_commands_have_is_converted_alike_by_each() -> None:
    """What lets `default_maps_for` check a file's top-level keys against the invoked
    command alone: had two commands one key of two types, a value one of them refuses would
    pass a run of the other."""
    kinds: dict[str, set[tuple[object, ...]]] = {}
    for command in every_command().values():
        for key, option in options_of(command).items():
            kind = (option.multiple, option.is_flag, option.nargs, repr(option.type.to_info_dict()))
            kinds.setdefault(key, set()).add(kind)
    assert {key: found for key, found in kinds.items() if len(found) > 1} == {}
    assert len(kinds) > 20  # the check saw the options


_FILES = [
    {},
    {"timeout": 5},
    {"timeout": "abc"},
    {"project": "x"},  # lint's only
    {"artifact": "yes"},  # delete's only, and not a boolean
    {"artifact": True},
    {"bogus": 1},
    {"password": "x"},
    {"digest": "sha256:" + "a" * 64},  # push's and sign's
    {"policy": "x", "source": "h.example.com"},
    {"format": "json", "harbor-url": ["a=https://b"], "color": "never"},
    {"quiet": "x"},
]
_TABLES = [
    {},
    {"pussh": {"timeout": 1}},
    {"lint": {"format": "json"}},
    {"lint": {"format": "xml"}},
    {"lint": {"bogus": 1}},
    {"push": {"bogus": 1}, "lint": {"bogus": 2}},  # the first command's, as declared
    {"config": {"x": 1}},
    {"completion": {}},
]


def _outcome(config: ConfigFile, name: str, *, lazily: bool) -> object:
    try:
        maps = default_maps_for(config, name) if lazily else default_maps(config, every_command())
    except InputError as error:
        return error.message
    return maps.get(name)


@pytest.mark.parametrize("tables", _TABLES, ids=str)
@pytest.mark.parametrize("shared", _FILES, ids=str)
def test_each_command_gets_the_default_map_or_the_error_every_command_gives(
    shared: dict[str, object], tables: dict[str, dict[str, object]]
) -> None:
    config = ConfigFile(Path("tagguard.toml"), shared, tables)
    for name in COMMANDS:
        assert _outcome(config, name, lazily=True) == _outcome(config, name, lazily=False)


def test_the_full_check_still_refuses_what_it_refused() -> None:
    # The cases above compare the two ways; these say the comparison met real answers.
    config = ConfigFile(Path("tagguard.toml"), {"project": "x", "timeout": 5}, {})
    assert _outcome(config, "lint", lazily=True) == {"project": "x"}  # lint has no timeout
    assert _outcome(config, "push", lazily=True) == {"timeout": 5}
    refused = ConfigFile(Path("tagguard.toml"), {"artifact": "yes"}, {})
    assert _outcome(refused, "push", lazily=True) == "tagguard.toml: artifact: give true or false"
