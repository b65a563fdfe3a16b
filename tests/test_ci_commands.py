"""The runner's own test cases for its command parser, ported beside the port (tests/ci_commands.py).

From actions/runner at 258d6c857db3519913f7deb6004b60172f8043ae:
src/Test/L0/Worker/ActionCommandL0.cs (LoggingCommandL0: CommandParserTest, CommandParserV2Test)
and src/Test/L0/Worker/ActionCommandManagerL0.cs (each test named after its method).
"""

from __future__ import annotations

import pytest

from tests.ci_commands import (
    REGISTERED,
    ActionCommand,
    CommandManager,
    InvalidStopTokenError,
    Names,
    commands_in,
    parses_as_command,
    read_lines,
    split,
    try_parse,
    try_parse_v2,
)

DO_SOMETHING = Names({"do-something"})


def same(expected: ActionCommand, parsed: ActionCommand | None) -> bool:
    """LoggingCommandL0.IsEqualCommand: same command, same properties in the same order,
    and the same data (ignoring case) unless either is empty."""
    if parsed is None or expected.command.casefold() != parsed.command.casefold():
        return False
    if expected.data and parsed.data and expected.data.casefold() != parsed.data.casefold():
        return False
    return list(expected.properties.items()) == list(parsed.properties.items())


# ---------------------------------------------------------------- LoggingCommandL0.CommandParserTest

LEGACY = [
    ("##[do-something k1=v1;]msg", ActionCommand("do-something", {"k1": "v1"}, "msg")),
    ("##[do-something]", ActionCommand("do-something")),
    (
        "##[do-something k1=%3B=%0D=%0A=%5D;]%3B-%0D-%0A-%5D",
        ActionCommand("do-something", {"k1": ";=\r=\n=]"}, ";-\r-\n-]"),
    ),
    (
        "##[do-something k1=%253B=%250D=%250A=%255D;]%253B-%250D-%250A-%255D",
        ActionCommand("do-something", {"k1": "%3B=%0D=%0A=%5D"}, "%3B-%0D-%0A-%5D"),
    ),
    ("##[do-something k1=;k2=;]", ActionCommand("do-something")),
    (">>>   ##[do-something k1=v1;]msg", ActionCommand("do-something", {"k1": "v1"}, "msg")),
]


@pytest.mark.parametrize(("message", "expected"), LEGACY)
def test_command_parser(message: str, expected: ActionCommand) -> None:
    assert same(expected, try_parse(message, DO_SOMETHING))


# -------------------------------------------------------------- LoggingCommandL0.CommandParserV2Test

V2 = [
    ("::do-something k1=v1,::msg", ActionCommand("do-something", {"k1": "v1"}, "msg")),
    ("::do-something::", ActionCommand("do-something")),
    (
        "::do-something k1=;=%2C=%0D=%0A=]=%3A,::;-%0D-%0A-]-:-,",
        ActionCommand("do-something", {"k1": ";=,=\r=\n=]=:"}, ";-\r-\n-]-:-,"),
    ),
    (
        "::do-something k1=;=%252C=%250D=%250A=]=%253A,::;-%250D-%250A-]-:-,",
        ActionCommand("do-something", {"k1": ";=%2C=%0D=%0A=]=%3A"}, ";-%0D-%0A-]-:-,"),
    ),
    ("::do-something k1=,k2=,::", ActionCommand("do-something")),
    ("::do-something k1=v1::", ActionCommand("do-something", {"k1": "v1"})),
    ("   ::do-something k1=v1,::msg", ActionCommand("do-something", {"k1": "v1"}, "msg")),
]


@pytest.mark.parametrize(("message", "expected"), V2)
def test_command_parser_v2(message: str, expected: ActionCommand) -> None:
    assert same(expected, try_parse_v2(message, DO_SOMETHING))


def test_command_parser_v2_needs_the_command_first() -> None:
    assert try_parse_v2("   >>>   ::do-something k1=v1,::msg", DO_SOMETHING) is None


# ------------------------------------------------------------------------ ActionCommandManagerL0


def test_enable_and_disable_plugin_internal_command() -> None:
    line = "##[internal-set-repo-path repoFullName=actions/runner;workspaceRepo=true]somepath"
    manager = CommandManager()
    assert manager.process(line) is None  # registered only while a plugin runs
    manager.registered.add("internal-set-repo-path")  # EnablePluginInternalCommand
    command = manager.process(line)
    assert command is not None
    assert (command.property("repoFullName"), command.property("workspaceRepo")) == (
        "actions/runner",
        "true",
    )
    assert command.data == "somepath"
    manager.registered.remove("internal-set-repo-path")  # DisablePluginInternalCommand
    assert manager.process(line) is None


def test_stop_process_command() -> None:
    manager = CommandManager()
    assert manager.process("##[stop-commands]stopToken") is not None
    assert manager.process("##[set-env name=foo]bar") is None
    assert manager.process("##[stopToken]") is not None
    assert manager.process("##[set-env name=foo]bar") is not None


@pytest.mark.parametrize("invalid", ["stop-commands", "", "set-env"])
def test_stop_process_command_allows_invalid_stop_tokens_if_env_var_is_set(invalid: str) -> None:
    manager = CommandManager(allow_unsecure_stop_tokens=True)
    assert manager.process(f"::stop-commands::{invalid}") is not None


@pytest.mark.parametrize("invalid", ["stop-commands", "", "set-env"])
def test_stop_process_command_fail_on_invalid_stop_tokens(invalid: str) -> None:
    with pytest.raises(InvalidStopTokenError):
        CommandManager().process(f"::stop-commands::{invalid}")


def test_stop_process_command_accepts_valid_token() -> None:
    manager = CommandManager()
    assert manager.process("::stop-commands::randomToken") is not None
    assert manager.process("##[set-env name=foo]bar") is None
    assert manager.process("::randomToken::") is not None
    assert manager.process("##[set-env name=foo]bar") is not None


def test_echo_process_command() -> None:
    manager = CommandManager()
    assert not manager.echo
    for line, on in [("::echo::on", True), ("::echo::off", False), ("::echo::ON", True)]:
        assert manager.process(line) is not None
        assert manager.echo is on
    assert manager.process("::echo::Off   ") is not None
    assert manager.echo is False


def test_echo_process_command_invalid() -> None:
    # Processed (the runner fails the step), and echo stays off.
    manager = CommandManager()
    assert manager.process("::echo::invalid") is not None
    assert manager.process("::echo::") is not None
    assert manager.echo is False


def test_issue_command_properties() -> None:
    # The parsing half of IssueCommandInvalidColumns (the rest checks annotation fields).
    warning = Names({"warning"})
    command = try_parse_v2(
        "::warning line=1,endLine=2,col=1,endColumn=2::this is a warning", warning
    )
    assert command is not None
    assert command.property("col") == "1"
    command = try_parse_v2("::warning col=1,endColumn=2::this is a warning", warning)
    assert command is not None
    assert (command.property("col"), command.property("endColumn")) == ("1", "2")
    command = try_parse_v2("::warning endLine=1::this is a warning", warning)
    assert command is not None
    assert command.property("endLine") == "1"
    command = try_parse_v2("::warning line=,endLine=3::this is a warning", warning)
    assert command is not None
    assert command.property("line") is None
    command = try_parse_v2("::warning line=1,col=1,file=test.txt::this is a warning", warning)
    assert command is not None
    assert command.properties == {"line": "1", "col": "1", "file": "test.txt"}
    assert command.data == "this is a warning"


def test_add_mask_with_multiline_value() -> None:
    command = CommandManager().process("::add-mask::abc%0Ddef%0Aghi%0D%0Ajkl")
    assert command is not None
    assert command.data == "abc\rdef\nghi\r\njkl"


def test_set_output_and_save_state_are_commands() -> None:
    manager = CommandManager()
    for line in ("::set-output name=foo::bar", "::save-state name=foo::bar"):
        command = manager.process(line)
        assert command is not None
        assert (command.property("name"), command.data) == ("foo", "bar")


# --------------------------------------------------------------------- the port's own details


def test_notice_needs_enhanced_annotations() -> None:
    # TryProcessCommand: without DistributedTask.EnhancedAnnotations `notice` is output.
    assert CommandManager(enhanced_annotations=False).process("::notice::n") is None
    assert CommandManager().process("::notice::n") is not None


def test_names_ignore_case_and_the_old_form_is_found_anywhere() -> None:
    assert "ERROR" in Names(REGISTERED)
    command = CommandManager().process("prefix text ##[Error file=a]forged")
    assert command is not None
    assert command.command == "Error"
    assert command.data == "forged"
    assert command.property("FILE") == "a"


def test_leading_white_space_is_any_dotnet_white_space() -> None:
    # String.TrimStart(): Char.IsWhiteSpace, so tabs and no-break spaces too.
    assert CommandManager().process("\t\u00a0\u2003::error::x") is not None
    assert CommandManager().process("\u200b::error::x") is None  # not white space in .NET


def test_split_as_dotnet_does() -> None:
    assert split("k==v", "=", count=2) == ["k", "v"]  # the empty piece after the first is skipped
    assert split("=a=b", "=", count=2) == ["a", "b"]  # an empty piece does not count
    assert split("k=", "=", count=2) == ["k"]
    assert split(",,a,,b,", ",") == ["a", "b"]


def test_lines_end_at_lf_cr_and_crlf() -> None:
    assert read_lines("a\nb\rc\r\nd") == ["a", "b", "c", "d"]
    assert read_lines("a\n\n") == ["a", ""]
    assert read_lines("") == []
    assert [c.data for c in commands_in("x\r::error::y\n")] == ["y"]


def test_a_stop_swallows_what_follows_until_its_token() -> None:
    # The issue's example: a pattern echoed in a line stops commands, and the real block
    # annotation printed after it is shown as text.
    output = "  tag selector {v1,##[stop-commands]zz}\n::error::h.io/p/app:v1 blocked\n"
    manager = CommandManager()
    found = commands_in(output, manager)
    assert [c.command for c in found] == ["stop-commands"]
    assert manager.stopped
    assert manager.stop_token == "zz}"


def test_ignorable_code_points_are_considered_skipped() -> None:
    assert try_parse("#\u00ad#[error]x", Names(REGISTERED)) is None
    assert parses_as_command("#\u00ad#[error]x") is not None
