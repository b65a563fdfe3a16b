"""docs/architecture.md names real code: every `tagguard.x.y` it writes is a module, or a
name a module defines (a function, a class, a class's method), and every repository path it
writes is there. A rename that forgets the page fails here instead of leaving it wrong.

Read from the source with `ast` (nothing is imported), as tests/test_architecture.py does.

The README's tables of variables name each option's real variable, beside its option and its
command (those tests import the commands: click declares the variables).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
PAGE = ROOT / "docs" / "architecture.md"

# `tagguard.core.decide.decide_write`, `tagguard.cli`; the prose's full stop is not part of it.
DOTTED = re.compile(r"\btagguard(?:\.[A-Za-z_][A-Za-z0-9_]*)+")
# src/tagguard/schemas/plan.schema.json, tests/test_architecture.py, docs/performance.md
PATH = re.compile(r"\b(?:src|tests|docs|bench)/[A-Za-z0-9_./-]*[A-Za-z0-9_]")
PLACEHOLDER = "NAME"  # src/tagguard/reporters/NAME.py: the file a reader is told to write
NOT_CODE = frozenset({"tagguard.toml"})  # the settings file's name


def module_file(name: str) -> Path | None:
    """The file of module `name` under src/, or None if there is no such module."""
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def defined(path: Path) -> dict[str, set[str]]:
    """A module's top-level names, each with the names its body defines (a class's methods
    and attributes; nothing for a function or a constant)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            found[node.name] = {
                item.name if not isinstance(item, ast.AnnAssign) else ast.unparse(item.target)
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.AnnAssign))
            }
        elif isinstance(node, ast.Assign):
            found.update({ast.unparse(target): set() for target in node.targets})
        elif isinstance(node, ast.AnnAssign):
            found[ast.unparse(node.target)] = set()
    return found


def resolves(dotted: str) -> bool:
    """Whether `dotted` is a module, or a module and then a name it defines (and, for a
    class, one of its members)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        path = module_file(".".join(parts[:cut]))
        if path is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        names = defined(path)
        if rest[0] not in names or len(rest) > 2:
            return False
        return len(rest) == 1 or rest[1] in names[rest[0]]
    return False


def named_in(text: str) -> tuple[list[str], list[str]]:
    dotted = sorted(set(DOTTED.findall(text)) - NOT_CODE)
    paths = sorted({p for p in PATH.findall(text) if PLACEHOLDER not in p})
    return dotted, paths


def test_the_page_names_code() -> None:
    """Not a vacuous pass: the page does name modules, functions and files."""
    dotted, paths = named_in(PAGE.read_text(encoding="utf-8"))
    assert "tagguard.app.checked" in dotted
    assert "tagguard.core.decide.decide_write" in dotted
    assert "tests/test_architecture.py" in paths
    assert len(dotted) > 30


@pytest.mark.parametrize("name", named_in(PAGE.read_text(encoding="utf-8"))[0])
def test_every_module_and_function_the_page_names_exists(name: str) -> None:
    assert resolves(name), f"docs/architecture.md names {name}, which src/ does not define"


@pytest.mark.parametrize("path", named_in(PAGE.read_text(encoding="utf-8"))[1])
def test_every_path_the_page_names_exists(path: str) -> None:
    assert (ROOT / path).exists(), f"docs/architecture.md names {path}, which is not there"


def test_a_renamed_function_or_a_missing_module_is_caught() -> None:
    assert resolves("tagguard.session.Session.push")
    assert resolves("tagguard.commands.run.run_cli")
    assert resolves("tagguard.reporters")
    assert not resolves("tagguard.session.Session.no_such_method")
    assert not resolves("tagguard.app.no_such_function")
    assert not resolves("tagguard.no_such_module")
    dotted, paths = named_in(
        "`tagguard.cli.main`. See src/tagguard/reporters/NAME.py and docs/x.md."
    )
    assert (dotted, paths) == (["tagguard.cli.main"], ["docs/x.md"])


# -- README: each option's variable ----------------------------------------------------------
#
# The README has two tables of variables: the options every check command shares, and the
# options of one command or two. A variable a command reads and no table names (as `replicate
# --from`'s TAGGUARD_FROM once was) leaves a reader of the README without it; a row no command
# has sends one to a variable nothing reads. Unlike the checks above, these import the CLI:
# the variables are click's, declared on each command.

README = ROOT / "README.md"
# A row of the per-command table: | `push`, `replicate` | `--from` | `TAGGUARD_FROM` |
PER_COMMAND_ROW = re.compile(
    r"^\| ((?:`[a-z-]+`(?:, )?)+) \| `(--[a-z-]+)` \| `(TAGGUARD_[A-Z_]+)` \|$"
)
# A row of the shared table: | `--timeout S` (10), `--deadline S` ... | `TAGGUARD_TIMEOUT`, ... |
SHARED_ROW = re.compile(r"^\| (`--.*?) \| (`TAGGUARD_.*?) \| ")
# retag has exactly the options every check command shares.
SHARED_ON = "retag"


def option_variables() -> dict[tuple[str, str], str]:
    """(command, long flag) -> the variable click reads it from, for every command option
    that has one."""
    import click

    from tagguard.commands import every_command

    found: dict[tuple[str, str], str] = {}
    for name, command in every_command().items():
        for param in command.params:
            if isinstance(param, click.Option) and isinstance(param.envvar, str):
                found[(name, max(param.opts, key=len))] = param.envvar
    return found


def per_command_table(text: str) -> dict[tuple[str, str], str]:
    rows: dict[tuple[str, str], str] = {}
    for line in text.splitlines():
        match = PER_COMMAND_ROW.match(line)
        if match:
            commands, flag, variable = match.groups()
            for command in re.findall(r"`([a-z-]+)`", commands):
                rows[(command, flag)] = variable
    return rows


def shared_table(text: str) -> dict[str, set[str]]:
    """Each variable of the shared table -> the flags written in its row."""
    rows: dict[str, set[str]] = {}
    for line in text.splitlines():
        match = SHARED_ROW.match(line)
        if match:
            flags = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", match.group(1)))
            for variable in re.findall(r"TAGGUARD_[A-Z_]+", match.group(2)):
                rows[variable] = flags
    return rows


def test_the_readme_names_each_commands_own_variable_with_its_command() -> None:
    variables = option_variables()
    shared = {flag for (command, flag) in variables if command == SHARED_ON}
    own = {key: v for key, v in variables.items() if key[1] not in shared}
    assert per_command_table(README.read_text(encoding="utf-8")) == own


def test_the_readme_names_each_shared_variable_beside_its_option() -> None:
    table = shared_table(README.read_text(encoding="utf-8"))
    for (command, flag), variable in option_variables().items():
        if command == SHARED_ON:
            assert flag in table.get(variable, set()), (flag, variable)


def test_the_tables_are_read_as_a_reader_reads_them() -> None:
    """Not a vacuous pass: a row for two commands counts for both, and a missing one shows."""
    row = "| `push`, `replicate` | `--from` | `TAGGUARD_FROM` |"
    assert per_command_table(row) == {
        ("push", "--from"): "TAGGUARD_FROM",
        ("replicate", "--from"): "TAGGUARD_FROM",
    }
    shared = "| `--ca-file FILE`, `--insecure` | `TAGGUARD_CA_FILE`, `TAGGUARD_INSECURE` | TLS |"
    assert shared_table(shared) == {
        "TAGGUARD_CA_FILE": {"--ca-file", "--insecure"},
        "TAGGUARD_INSECURE": {"--ca-file", "--insecure"},
    }
    assert len(shared_table(README.read_text(encoding="utf-8"))) > 15
