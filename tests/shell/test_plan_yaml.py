"""tagguard.shell.plan_yaml: a plan's YAML as line-aware nodes, `${VAR}` replaced."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tagguard.core.plan import Node, PlanError
from tagguard.shell.plan_yaml import plan_tree


def test_every_node_knows_its_line_and_a_value_its_key_s() -> None:
    tree = plan_tree("operations:\n  - push: a\n    digest:\n      b\n", "plan.yml", {})
    assert tree.line == 1
    assert isinstance(tree.value, dict)
    operations = tree.value["operations"]
    assert (operations.line, operations.key_line) == (2, 1)
    assert isinstance(operations.value, list)
    (first,) = operations.value
    assert isinstance(first.value, dict)
    assert first.value["push"] == Node("a", 2, 2)
    assert first.value["digest"] == Node("b", 4, 3)  # the value below its key


def test_variables_are_replaced_with_their_defaults_where_unset_or_empty() -> None:
    text = "a: ${X}\nb: ${Y:-fallback}\nc: ${Z:-}\nd: pre-${X}-post\ne: $X and ${lower}\n"
    tree = plan_tree(text, "plan.yml", {"X": "1.2", "Y": "", "lower": "l"})
    assert isinstance(tree.value, dict)
    values = {key: node.value for key, node in tree.value.items()}
    assert values == {"a": "1.2", "b": "fallback", "c": "", "d": "pre-1.2-post", "e": "$X and l"}


def test_an_unset_variable_without_a_default_is_an_error_at_its_line() -> None:
    with pytest.raises(PlanError, match=r"^plan.yml:2: \$\{TAG\} is not set"):
        plan_tree("a: 1\nb: ${TAG}\n", "plan.yml", {})


def test_a_variable_holding_yaml_stays_text() -> None:
    tree = plan_tree("a: ${V}\n", "plan.yml", {"V": "[1, {b: 2}]"})
    assert isinstance(tree.value, dict)
    assert tree.value["a"].value == "[1, {b: 2}]"


def test_a_variable_in_a_key_is_replaced_and_the_key_checked_as_written_ones_are() -> None:
    tree = plan_tree("${K}: a\nb: ${V}\n", "plan.yml", {"K": "push", "V": "1"})
    assert isinstance(tree.value, dict)
    assert tree.value == {"push": Node("a", 1, 1), "b": Node("1", 2, 2)}
    with pytest.raises(PlanError, match=r"^plan.yml:2: 'push' is given twice$"):
        plan_tree("push: a\n${K}: b\n", "plan.yml", {"K": "push"})
    with pytest.raises(PlanError, match=r"^plan.yml:2: \$\{K\} is not set"):
        plan_tree("a: 1\n${K}: b\n", "plan.yml", {})


def test_keys_and_values_tagged_as_strings_are_text() -> None:
    tree = plan_tree("!!str 1: !!str 2\nc: !!str ${V}\n", "plan.yml", {"V": "x"})
    assert isinstance(tree.value, dict)
    assert {key: node.value for key, node in tree.value.items()} == {"1": "2", "c": "x"}
    with pytest.raises(PlanError, match=r"^plan.yml:1: keys must be strings$"):
        plan_tree("? {a: b}\n: c\n", "plan.yml", {})


@pytest.mark.parametrize(("levels", "refused"), [(63, False), (64, False), (65, True)])
def test_a_key_counts_towards_the_nesting_limit(levels: int, refused: bool) -> None:
    # `levels` mappings, each the value of a key of the one before: the key of the 65th is
    # 65 levels below the top, one too many, and named at its own line.
    text = "".join("  " * i + f"k{i}:\n" for i in range(levels)) + "  " * levels + "v\n"
    if refused:
        with pytest.raises(PlanError, match=rf"^plan.yml:{levels}: nested too deeply$"):
            plan_tree(text, "plan.yml", {})
    else:
        assert plan_tree(text, "plan.yml", {}).line == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0x1F", 31),
        ("1_000", 1000),
        ("1:30", 90),
        ("yes", True),
        ("~", None),
        (".inf", float("inf")),
    ],
)
def test_scalars_are_what_yaml_1_1_reads(text: str, expected: object) -> None:
    tree = plan_tree(f"a: {text}\n", "plan.yml", {})
    assert isinstance(tree.value, dict)
    assert tree.value["a"].value == expected
    quoted = plan_tree(f"a: '{text}'\n", "plan.yml", {})
    assert isinstance(quoted.value, dict)
    assert quoted.value["a"].value == text  # quoted: text, whatever it looks like


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", r"^plan.yml:2: 'a' is given twice$"),
        ("1: a\n", r"^plan.yml:1: keys must be strings$"),
        ("# nothing\n", r"^plan.yml:1: the plan is empty$"),
        ("a: [\n", r"^plan.yml:2: not valid YAML"),
        ("a: !!int x\n", r"^plan.yml:1: 'x' is not a number YAML can read$"),
        ("a: !!float x\n", r"^plan.yml:1: 'x' is not a number YAML can read$"),
        # PyYAML's bool constructor looks the text up and raises KeyError: still the plan's
        # error, not an internal one.
        ("a: !!bool maybe\n", r"^plan.yml:1: 'maybe' is not a boolean YAML can read$"),
        ("- x: 1\n  !!bool push: h.io/p/r:1\n", r"^plan.yml:2: 'push' is not a boolean YAML"),
        ("a: " + "[" * 70 + "]" * 70 + "\n", r"^plan.yml:1: nested too deeply$"),
    ],
)
def test_bad_yaml_is_a_plan_error_at_its_line(text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message):
        plan_tree(text, "plan.yml", {})


def test_a_variable_in_a_flow_collection_gets_the_quoting_hint() -> None:
    with pytest.raises(PlanError, match=r"quote values holding \$\{\.\.\.\}") as raised:
        plan_tree("push: [h.io/p/app:${V}, x: {]\n", "plan.yml", {"V": "1"})
    assert str(raised.value).startswith("plan.yml:1: not valid YAML")
    with pytest.raises(PlanError) as plain:
        plan_tree("push: [a, x: {]\n", "plan.yml", {})
    assert "quote values" not in str(plain.value)


def test_the_commands_load_without_pyyaml() -> None:
    """PyYAML is imported when a plan is read, not by every command (see plan_yaml)."""
    program = "import sys, tagguard.commands; print('yaml' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert result.stdout == "False\n"


def alias_levels(levels: int, width: int = 9) -> str:
    """Each level a list of `width` aliases of the level below: width**levels nodes."""
    lines = ["a0: &a0 x"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def test_aliases_of_aliases_are_refused_before_they_expand() -> None:
    """Half a kilobyte of nine levels of nine aliases is 387 million nodes: reading it ran
    for minutes and hundreds of megabytes, past any --deadline (nothing was asked yet)."""
    text = alias_levels(9)
    assert len(text) < 500
    with pytest.raises(PlanError, match=r"^plan\.yml:\d+: the plan's aliases expand it past "):
        plan_tree(text, "plan.yml", {})


def test_aliases_a_plan_uses_are_read_as_written() -> None:
    tree = plan_tree(alias_levels(3, width=4), "plan.yml", {})  # 4**3 = 64 nodes
    assert isinstance(tree.value, dict)
    level = tree.value["a3"]
    for _ in range(3):
        assert isinstance(level.value, list)
        assert len(level.value) == 4
        level = level.value[0]
    assert level.value == "x"


@pytest.mark.parametrize(
    ("value", "form"),
    [
        ("a-${A-x}", "${A-x}"),
        ("a-${A:=x}", "${A:=x}"),
        ("x${A:-${B}}", "${A:-${B}"),
        ("${lower", "${lower"),
        ("${1A}", "${1A}"),
    ],
)
def test_a_variable_form_the_reader_does_not_have_is_named(value: str, form: str) -> None:
    """Shell forms other than ${NAME} and ${NAME:-default} were left in the text, and came
    out as a tag error about '=' or '{' (or a nested default became the text `${B`)."""
    with pytest.raises(PlanError) as caught:
        plan_tree(f"operations:\n  - push: h.io/p/app:{value}\n", "plan.yml", {"A": "1"})
    assert caught.value.message == (
        f"plan.yml:2: {form!r} is not a variable this plan reader knows: write ${{NAME}} or "
        "${NAME:-default}, a default holding neither '${' nor '}'"
    )


def test_a_value_holding_dollar_brace_is_kept_as_given() -> None:
    """Only the plan's own text is read for variables: a value may hold anything."""
    tree = plan_tree("a: x-${V}\n", "plan.yml", {"V": "${y}"})
    assert isinstance(tree.value, dict)
    assert tree.value["a"].value == "x-${y}"


def _items(tree: Node) -> list[Node]:
    assert isinstance(tree.value, dict)
    items = tree.value["operations"].value
    assert isinstance(items, list)
    return items


def test_a_step_reused_through_an_alias_is_at_the_alias_s_line() -> None:
    """A step written once (`&build`) and run again (`*build`) is two steps of the plan: the
    second is where the alias is, and so is everything in it (its value text is at the
    anchor, which is the first step's line, not this one's)."""
    text = (
        "operations:\n"  # 1
        "  - &build\n"  # 2
        "    push: h.io/p/app:build\n"  # 3
        "    digest: sha256:aa\n"  # 4
        "  - delete: h.io/p/app:build\n"  # 5
        "  - *build\n"  # 6
    )
    first, _, again = _items(plan_tree(text, "plan.yml", {}))
    assert first.line == 2
    assert isinstance(first.value, dict)
    assert first.value["digest"] == Node("sha256:aa", 4, 4)
    assert again.line == 6
    assert again.value == {
        "push": Node("h.io/p/app:build", 6, 6),
        "digest": Node("sha256:aa", 6, 6),
    }


def test_aliases_are_each_at_their_own_line_however_they_nest() -> None:
    """Aliases of scalars, as keys and as values, and inside a mapping another alias
    repeats: each written alias is at its own line, and a repeat's inner aliases are not
    others of the text (the lines after the sixth keep their own)."""
    text = (
        "operations:\n"  # 1
        "  - &build\n"  # 2
        "    push: &ref h.io/p/app:1\n"  # 3
        "    digest: &digest sha256:aa\n"  # 4
        "  - &signed {sign: *ref, digest: *digest}\n"  # 5
        "  - *signed\n"  # 6
        "  - &kind delete: [*ref,\n"  # 7
        "      *ref]\n"  # 8
        "  - *kind : *ref\n"  # 9
    )
    _, sign, again, delete, keyed = _items(plan_tree(text, "plan.yml", {}))
    assert sign.value == {"sign": Node("h.io/p/app:1", 5, 5), "digest": Node("sha256:aa", 5, 5)}
    assert again.line == 6
    assert again.value == {"sign": Node("h.io/p/app:1", 6, 6), "digest": Node("sha256:aa", 6, 6)}
    assert isinstance(delete.value, dict)
    targets = delete.value["delete"].value
    assert isinstance(targets, list)
    assert [(item.value, item.line) for item in targets] == [
        ("h.io/p/app:1", 7),
        ("h.io/p/app:1", 8),
    ]
    assert keyed.value == {"delete": Node("h.io/p/app:1", 9, 9)}


@pytest.mark.parametrize(
    ("text", "line", "column", "name"),
    [
        # A comment pasted from a web page: PyYAML read "pasted: x" as the plan's.
        ("# note\u2028pasted: x\noperations: []\n", 1, 7, "U+2028 (LINE SEPARATOR)"),
        # Line ends as Windows and old Macs write them count as editors count them.
        ("a: 1\r\nb: 'x\u2029y'\r\nc: [\r\n", 2, 6, "U+2029 (PARAGRAPH SEPARATOR)"),
        ("a: 1\rb: 2  # \x85\nc: \u2028\n", 2, 9, "U+0085 (NEXT LINE)"),
    ],
)
def test_a_line_break_only_yaml_1_1_has_is_refused_at_its_line_and_column(
    text: str, line: int, column: int, name: str
) -> None:
    """PyYAML and libyaml follow YAML 1.1, where these three end a line; YAML 1.2 readers
    and editors show them inside the line. Read on, every later line was off by one, and a
    comment's rest became plan content: what the plan means depends on its reader."""
    with pytest.raises(PlanError) as caught:
        plan_tree(text, "plan.yml", {})
    assert caught.value.message == (
        f"plan.yml:{line}: an invisible {name} at column {column} ends a line for YAML 1.1 "
        "readers (this one), not for YAML 1.2 readers and editors; delete it (in a "
        f'double-quoted string, write it as "\\u{name[2:6]}")'
    )


def test_a_line_break_written_as_an_escape_is_text_of_its_line() -> None:
    tree = plan_tree('a: "x\\u2028y"\nb: [\n  c]\n', "plan.yml", {})
    assert isinstance(tree.value, dict)
    assert tree.value["a"] == Node("x\u2028y", 1, 1)
    assert tree.value["b"].line == 2


_TAGGED = (
    "a: [1, 0x1F, 0b1, 1:30, .inf, -.NaN, 1.5e3, ~, null, '', yes, No, on, OFF, 2001-12-14]\n"
    "b: ['1', \"true\", !!str 5, !!int '7', !foo bar, ! baz, =, <<, text, 1, 1, yes]\n"
    "c:\n  - \n  - {? complex, x: 2}\n  - - nested\n"
    "d: &anchor {e: 1}\n"
    "f: *anchor\n"
)


@pytest.mark.parametrize("libyaml", [True, False])
def test_the_quick_resolver_tags_every_node_as_pyyaml_does(libyaml: bool) -> None:
    import yaml

    from tagguard.shell.plan_yaml import _quick

    loader = yaml.CSafeLoader if libyaml else yaml.SafeLoader

    def tags(node: yaml.Node) -> list[object]:
        if isinstance(node, yaml.ScalarNode):
            return [node.tag, node.value]
        if isinstance(node, yaml.SequenceNode):
            return [node.tag, *(tags(item) for item in node.value)]
        return [node.tag, *((tags(k), tags(v)) for k, v in node.value)]

    quick = _quick(loader)
    assert quick is not loader
    fast, plain = yaml.compose(_TAGGED, Loader=quick), yaml.compose(_TAGGED, Loader=loader)
    assert fast is not None
    assert plain is not None
    assert tags(fast) == tags(plain)

    class Pathed(loader):  # type: ignore[valid-type, misc]
        pass

    Pathed.add_path_resolver("tag:yaml.org,2002:str", ["a"], dict)
    assert _quick(Pathed) is Pathed  # a path resolver's tags depend on where a node is
