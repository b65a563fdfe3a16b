"""tagguard.commands.tools: explain, lint, config and completion, offline against examples/."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result

from tagguard.commands import cli
from tests.conftest import RULES, STATE


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, standalone_mode=False)


def test_explain_names_the_rule_that_decides() -> None:
    result = _invoke("explain", "harbor.example.com/platform/api:v1.4.0", "--rules-file", RULES)
    assert result.return_value == 0, result.output
    assert "rule 1: matches" in result.output
    assert "rule 2: not evaluated" in result.output


def test_explain_json_is_one_document() -> None:
    result = _invoke(
        "explain",
        "harbor.example.com/platform/api:v1.4.0",
        "--rules-file",
        RULES,
        "--state-file",
        STATE,
        "--format",
        "json",
    )
    assert isinstance(json.loads(result.output), dict)


def test_lint_finds_the_examples_error() -> None:
    result = _invoke("lint", RULES)
    assert result.return_value == 1, result.output
    assert "[bang-class]" in result.output
    assert result.output.rstrip().endswith("1 error(s), 4 warning(s), 1 info")


def test_config_refuses_a_command_without_options() -> None:
    result = CliRunner().invoke(cli, ["config", "completion"])
    assert isinstance(result.exception, Exception)
    assert "not a command with options" in str(result.exception)


def test_config_shows_a_commands_variable() -> None:
    result = _invoke("config", "push")
    assert result.return_value == 0
    assert "TAGGUARD_RULES_FILE" in result.output


def test_completion_names_the_program_and_its_variable() -> None:
    result = _invoke("completion", "bash")
    assert "_TAGGUARD_COMPLETE" in result.output
    assert "tagguard" in result.output
