"""tagguard.commands.context: click's context -> how a value was given, the run's redactor,
and the command's one Options value."""

from __future__ import annotations

from typing import Any

import click
from click.testing import CliRunner

from tagguard.commands import context
from tagguard.commands.flags import env_option
from tagguard.core.sanitize import Redactor
from tests.conftest import EXAMPLES


@click.command()
@env_option("--harbor-version")
@click.pass_context
def _given(ctx: click.Context, harbor_version: str | None) -> None:
    click.echo(context.given_as(ctx, "harbor_version", "--harbor-version", harbor_version))


def test_a_flag_given_on_the_command_line_is_named_as_the_flag() -> None:
    result = CliRunner().invoke(_given, ["--harbor-version", "2.9"])
    assert result.output == "--harbor-version 2.9\n"


def test_a_value_from_the_environment_is_named_as_its_variable() -> None:
    result = CliRunner().invoke(_given, [], env={"TAGGUARD_HARBOR_VERSION": "2.9"})
    assert result.output == "TAGGUARD_HARBOR_VERSION=2.9\n"


def test_the_redactor_is_the_one_handed_to_click() -> None:
    seen: list[Redactor] = []

    @click.command()
    def command() -> None:
        seen.append(context.redactor())

    mine = Redactor()
    CliRunner().invoke(command, [], obj=mine)
    CliRunner().invoke(command, [])
    assert seen[0] is mine
    assert isinstance(seen[1], Redactor)
    assert seen[1] is not mine


def test_options_carry_the_values_given_to_the_command() -> None:
    from tagguard.commands import cli, command_named

    found: list[Any] = []
    explain = command_named("explain")
    original = explain.callback

    def capture(reference: str, **given: Any) -> int:
        found.append(context.options(**given))
        return 0

    explain.callback = capture
    try:
        result = CliRunner().invoke(
            cli,
            [
                "explain",
                "harbor.example.com/platform/api:v1",
                "--rules-file",
                str(EXAMPLES / "rules.json"),
                "--quiet",
                "--timeout",
                "3",
            ],
        )
    finally:
        explain.callback = original
    assert result.exit_code == 0, result.output
    (options,) = found
    assert options.quiet is True
    assert options.rules_file == str(EXAMPLES / "rules.json")
    assert options.timeout == 3.0
