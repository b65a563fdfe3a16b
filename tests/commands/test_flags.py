"""tagguard.commands.flags: each shared option declared once, each read from its variable."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tagguard.commands import cli, every_command
from tagguard.commands.flags import env_option


def _commands() -> list[click.Command]:
    return [cli, *every_command().values()]


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


def _option_of(flag: str, variable: str | None = None) -> click.Option:
    @click.command()
    @env_option(flag, variable=variable)
    def command(**_: object) -> None:
        pass

    (option,) = _options(command)
    return option


@pytest.mark.parametrize(
    ("flag", "variable"),
    [
        ("--rules-file", "TAGGUARD_RULES_FILE"),
        ("--timeout", "TAGGUARD_TIMEOUT"),
        ("--refs-from-env", "TAGGUARD_REFS_FROM_ENV"),
    ],
)
def test_an_option_is_read_from_tagguard_and_its_flag(flag: str, variable: str) -> None:
    option = _option_of(flag)
    assert option.envvar == variable
    assert option.show_envvar


def test_a_named_variable_replaces_the_derived_one() -> None:
    assert _option_of("--source", "TAGGUARD_POLICY_SOURCE").envvar == "TAGGUARD_POLICY_SOURCE"


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c.name or "tagguard")
def test_each_flag_is_declared_once_per_command(command: click.Command) -> None:
    flags = [flag for option in _options(command) for flag in option.opts]
    assert len(flags) == len(set(flags)), sorted(f for f in flags if flags.count(f) > 1)


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c.name or "tagguard")
def test_every_variable_is_tagguards_and_derived_from_its_flag(command: click.Command) -> None:
    # The named exceptions, where two flags share a name but not a meaning: --source
    # (TAGGUARD_SOURCE is the GitLab template's git URL), sign's --digest (not push's),
    # install-docker-plugin's --dir.
    named = {
        ("tagguard", "--source"): "TAGGUARD_POLICY_SOURCE",
        ("sign", "--digest"): "TAGGUARD_SIGNATURE_DIGEST",
        ("install-docker-plugin", "--dir"): "TAGGUARD_PLUGIN_DIR",
    }
    for option in _options(command):
        if option.envvar is None:
            continue
        flag = next(o for o in option.opts if o.startswith("--"))
        derived = "TAGGUARD_" + flag.removeprefix("--").replace("-", "_").upper()
        expected = named.get((command.name or "", flag)) or named.get(("tagguard", flag))
        assert option.envvar == (expected or derived), (command.name, flag)


def test_the_environment_gives_a_value_through_the_derived_variable() -> None:
    @click.command()
    @env_option("--harbor-version")
    def command(harbor_version: str | None) -> None:
        click.echo(f"got {harbor_version}")

    result = CliRunner().invoke(command, [], env={"TAGGUARD_HARBOR_VERSION": "2.10.1"})
    assert result.output == "got 2.10.1\n"
