"""tagguard.shell.plan_block: plain YAML read without PyYAML, to the nodes plan_yaml gives.

The reader is held to PyYAML's own reading (through plan_yaml.plan_tree) rather than to a
picture of YAML: on every text it takes, its nodes (values, lines, key lines) and its
errors must be plan_tree's. Generated plans and every one-character edit of a plan that
uses each shape it takes are compared, and the comparisons count what it took and what it
declined, so that neither branch goes untested.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core.plan import Node, PlanError
from tagguard.shell.plan_block import block_tree
from tagguard.shell.plan_yaml import plan_tree

ROOT = Path(__file__).resolve().parents[2]
DIGEST = "sha256:" + "8" * 64

# A plan with every shape the reader takes: block mappings and sequences (a sequence at its
# key's indent, and indented), one-line flow collections, comments and blank lines where
# YAML allows them, true and false, variables, words with `:`, `@`, `{}` and a leading digit,
# strings in double and single quotes.
EVERY_SHAPE = f"""\
# a release
operations:   # the steps
  - push: harbor.example.com/platform/api:${{VERSION:-v1.6.0}}
    digest: {DIGEST}

  - push:
    - 127.0.0.1:5000/p/web:v2.0.0
    -   h.io/p/web@{DIGEST}   # by digest
    digest: {DIGEST}
  -   retag: {{from: h.io/p/a:1.2, to: [h.io/p/a:rc-1, h.io/p/a:2]}}
      artifact: false
  - delete: h.io/p/a:rc-1
    artifact: true
  - {{copy: h.io/p/a:1, to: h.io/p/b}}
  - push: h.io/p/a:1
    oci-layout: ./build/layout:v1
  - push: "h.io/p/a:${{VERSION:-2}}"   # quoted
    digest: '{DIGEST}'
  - retag: {{from: "h.io/p/a:1", to: ['h.io/p/a:yes', "h.io/p/a: #x"]}}
"""


def read_both(text: str, env: Mapping[str, str] | None = None) -> object:
    """block_tree's reading of `text` (its nodes, or `("error", message)`), None if it
    declined; asserts that what it read is plan_tree's."""
    env = {} if env is None else env
    try:
        fast: object = block_tree(text, "plan.yml", env)
    except PlanError as error:
        fast = ("error", str(error))
    if fast is None:
        return None
    try:
        slow: object = plan_tree(text, "plan.yml", env)
    except PlanError as error:
        slow = ("error", str(error))
    assert fast == slow, text
    return fast


def _fields(node: Node) -> dict[str, Node]:
    assert isinstance(node.value, dict)
    return node.value


def test_a_plan_of_every_shape_is_read_as_pyyaml_reads_it() -> None:
    tree = read_both(EVERY_SHAPE, {"VERSION": ""})
    assert isinstance(tree, Node)  # taken, not declined
    operations = _fields(tree)["operations"]
    assert (operations.line, operations.key_line) == (3, 2)
    assert isinstance(operations.value, list)
    first, pushes, retag, delete, copy, layout, quoted, quoted_retag = map(
        _fields, operations.value
    )
    assert first["push"].value == "harbor.example.com/platform/api:v1.6.0"
    references = pushes["push"].value
    assert isinstance(references, list)
    assert [(item.value, item.line) for item in references] == [
        ("127.0.0.1:5000/p/web:v2.0.0", 7),
        (f"h.io/p/web@{DIGEST}", 8),
    ]
    assert retag["artifact"] == Node(False, 11, 11)
    assert _fields(retag["retag"])["from"] == Node("h.io/p/a:1.2", 10, 10)
    assert delete["artifact"].value is True
    assert copy["to"] == Node("h.io/p/b", 14, 14)
    assert layout["oci-layout"].value == "./build/layout:v1"
    assert quoted["push"] == Node("h.io/p/a:2", 17, 17)  # replaced inside quotes too
    assert quoted["digest"].value == DIGEST
    targets = _fields(quoted_retag["retag"])["to"].value
    assert isinstance(targets, list)
    assert [target.value for target in targets] == ["h.io/p/a:yes", "h.io/p/a: #x"]


def test_windows_line_ends_are_read_as_line_ends() -> None:
    tree = read_both(EVERY_SHAPE.replace("\n", "\r\n"), {"VERSION": "v2"})
    assert isinstance(tree, Node)


@pytest.mark.parametrize(
    "plan",
    sorted(str(path.relative_to(ROOT)) for path in (ROOT / "examples").glob("*plan*.yml")),
)
def test_the_bundled_plans_are_read_here(plan: str) -> None:
    text = (ROOT / plan).read_text(encoding="utf-8")
    assert isinstance(read_both(text, {"VERSION": "v9"}), Node)


@pytest.mark.parametrize(
    "text",
    [
        "a: 'it''s'\n",  # an escape in quotes
        'a: "say \\"hi\\""\n',
        'a: "tab\\there"\n',  # an escape with no quote in it: PyYAML reads a tab
        'a: "folded\n  onto the next line"\n',
        'a: "b"c\n',
        '- "a": b\n',  # a quoted key
        "a: yes\n",
        "a: On\n",
        "a: ~\n",
        "a: null\n",
        "a: 1.5\n",
        "a: 1:30\n",
        "a: 0x1F\n",
        "a: 1_000\n",
        "a: .inf\n",
        "a: 2001-12-14\n",
        "a: 1.2.3\n",  # text to YAML, but a digit first and no `/` or `@`: declined
        "a: &x b\nc: *x\n",
        "a: !!str 1\n",
        "<<: {a: b}\n",
        "a: b\na: c\n",
        "a:\n",
        "a:\nb: c\n",
        "a: b\n  c\n",
        "a: |\n  b\n",
        "a: [b,\n  c]\n",
        "a: [{b: c}]\n",
        "a: {b: {c: d}}\n",
        "a: {}\n",
        "a: [b, c,]\n",
        "a: [h.io/p/a:${V}]\n",
        "a:\tb\n",
        "a: b\rc: d\n",
        "a: caf\u00e9\n",
        "\ufeffa: b\n",
        "---\na: b\n",
        "%YAML 1.1\n---\na: b\n",
        "? a\n: b\n",
        "- - a\n",
        "-\n  a: b\n",
        "a b: c\n",
        "a : b\n",
        "a:b\n",
        "yes: a\n",
        "a: b: c\n",
        "a: b:\n",
        "a: b#c\n",
        "a: -b\n",
        "b\n",
        "# only a comment\n",
        "",
    ],
)
def test_beyond_plain_yaml_it_declines(text: str) -> None:
    assert block_tree(text, "plan.yml", {"V": "1"}) is None


def test_an_unset_variable_is_plan_yaml_s_error_at_the_first_in_the_text() -> None:
    text = "operations:\n  - push: h.io/p/a:${A}\n    digest: ${B}\n"
    with pytest.raises(PlanError, match=r"^plan.yml:2: \$\{A\} is not set") as raised:
        block_tree(text, "plan.yml", {})
    with pytest.raises(PlanError) as slow:
        plan_tree(text, "plan.yml", {})
    assert str(raised.value) == str(slow.value)


def test_a_text_it_declines_after_an_unset_variable_is_left_to_plan_yaml() -> None:
    # The variable is replaced only once the whole text is known to be read here: the
    # anchor below makes it plan_yaml's, whose first error may be another.
    assert block_tree("a: ${A}\nb: &c d\n", "plan.yml", {}) is None


# Every one-character edit of EVERY_SHAPE: each character that means something to YAML (or
# to this reader) put at every place, and every character taken out.
_EDITS = " #:-,[]{}'\"&*!|>?%@\t\r\n~$"


def test_every_one_character_edit_is_read_as_pyyaml_reads_it_or_declined() -> None:
    env = {"VERSION": "v1"}
    taken = declined = 0
    texts = [
        EVERY_SHAPE[:at] + mark + EVERY_SHAPE[at:]
        for at in range(len(EVERY_SHAPE) + 1)
        for mark in _EDITS
    ] + [EVERY_SHAPE[:at] + EVERY_SHAPE[at + 1 :] for at in range(len(EVERY_SHAPE))]
    for text in texts:
        if read_both(text, env) is None:
            declined += 1
        else:
            taken += 1
    # Both branches carry weight: many edits keep plain YAML (a space in a comment, a
    # character inside a word), many leave it.
    assert taken > 2_000
    assert declined > 5_000


# Words and keys a plan holds, which the reader takes, and ones it must decline or read as
# PyYAML does (YAML 1.1's other types, indicators, quotes, white space, non-ASCII). One
# draw in fifteen is of the second kind, so that whole texts are taken often enough.
_PLAIN_WORDS = [
    "a", "push", "h.io/p/app:v1", DIGEST, "true", "false", "./layout", "_x", "/abs", "$X",
    "${X}", "${X:-d}", "${Y}", "a:b", "a{b}", "127.0.0.1:5000/p/a:1", "1/2", "1@2", "v1.0",
    "a@b", "h.io/p/app@" + DIGEST, "v1.2.3-rc.1", "latest", '"q"', "'q'", '"yes"', "'1.5'",
    '"a: b # c"', "'[x, y]'", '""', '"${X}"',
]  # fmt: skip
_TRICKY_WORDS = [
    "True", "FALSE", "yes", "No", "on", "OFF", "y", "n", "null", "Null", "~", "1", "1.5",
    "1:30", "0x1F", "0o17", "017", "1e3", "1.0e+3", ".inf", "-.INF", ".NaN", "2001-12-14",
    "2001-12-14t21:59:43.10-05:00", "1_000", "+1", "-1", ".5", "${X-d}", "a:", "1.2.3", "=",
    "<<", "@x", "a#b", "a #b", "'q''s'", '"q\\"s"', '"q"s', '"a\\nb"', "[a]", "{a: b}", "[]",
    "{}", "&a x", "*a", "!!str 1", "|", ">", "a,b", "-a", "?a", "%x", "a b", "a\tb", "caf\u00e9",
]  # fmt: skip
_PLAIN_KEYS = ["push", "digest", "to", "from", "a", "a-b", "a_b", "oci-layout"]
_TRICKY_KEYS = ["on", "Yes", "1", "<<", "~", "x:y", "$K", "a b"]


@st.composite
def _word(draw: st.DrawFn) -> str:
    tricky = draw(st.integers(0, 14)) == 0
    return draw(st.sampled_from(_TRICKY_WORDS if tricky else _PLAIN_WORDS))


@st.composite
def _key(draw: st.DrawFn) -> str:
    tricky = draw(st.integers(0, 14)) == 0
    return draw(st.sampled_from(_TRICKY_KEYS if tricky else _PLAIN_KEYS))


@st.composite
def _documents(draw: st.DrawFn) -> str:
    """A YAML text written the ways people write plans, with words that do and do not
    stay text, and shapes inside and outside what block_tree takes."""
    return "".join(draw(_block(depth=0, indent=0)))


@st.composite
def _block(draw: st.DrawFn, depth: int, indent: int) -> list[str]:
    pad = " " * indent
    kind = draw(st.sampled_from(["mapping", "sequence"] if depth < 3 else ["mapping"]))
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(" " * draw(st.integers(0, 6)) + draw(st.sampled_from(["", "# c"])) + "\n")
        lead = "- " if kind == "sequence" else ""
        if kind == "sequence" and draw(st.booleans()):
            lines.append(f"{pad}- {draw(_scalar())}{draw(_comment())}\n")
            continue
        key = draw(_key())
        inner = indent + len(lead)
        if depth < 3 and draw(st.integers(0, 2)) == 0:
            # Below its key: indented more, or (a sequence, or a mistake) at the key's indent.
            below = draw(st.sampled_from([inner + 2, inner + 4, inner]))
            lines.append(f"{pad}{lead}{key}:{draw(_comment())}\n")
            lines.extend(draw(_block(depth=depth + 1, indent=below)))
        else:
            lines.append(f"{pad}{lead}{key}: {draw(_scalar())}{draw(_comment())}\n")
        if kind == "sequence" and draw(st.booleans()):
            lines.append(f"{' ' * inner}{draw(_key())}: {draw(_scalar())}\n")
    return lines


@st.composite
def _scalar(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 4)) == 0:
        words = draw(
            st.lists(_word(), min_size=0 if draw(st.integers(0, 9)) == 0 else 1, max_size=3)
        )
        if draw(st.booleans()):
            return "[" + ", ".join(words) + "]"
        keys = draw(st.lists(_key(), min_size=len(words), max_size=len(words)))
        return "{" + ", ".join(f"{k}: {w}" for k, w in zip(keys, words, strict=True)) + "}"
    return draw(_word())


def _comment() -> st.SearchStrategy[str]:
    return st.sampled_from(["", "", "", "  # c", " #c", "#c", "   "])


def test_generated_plans_are_read_as_pyyaml_reads_them_or_declined() -> None:
    counts = {"taken": 0, "declined": 0}

    @settings(max_examples=1_500, derandomize=True, deadline=None)
    @given(_documents(), st.sampled_from([{}, {"X": "1", "Y": "", "K": "push"}]))
    def check(text: str, env: dict[str, str]) -> None:
        counts["declined" if read_both(text, env) is None else "taken"] += 1

    check()
    # Both branches carry weight (a text taken here may be an error, then plan_tree's too).
    assert counts["taken"] > 300
    assert counts["declined"] > 300


def test_a_plain_plan_is_read_without_importing_pyyaml(tmp_path: Path) -> None:
    """The point of the reader: a plain plan's check loads no PyYAML; a plan beyond it
    still reads through it, to the same plan."""
    program = (
        "import sys\n"
        "from tagguard.shell.plan_file import load_plan\n"
        "plan = load_plan(sys.argv[1], {})\n"
        "print(len(plan.operations), 'yaml' in sys.modules)\n"
    )
    plain = tmp_path / "plain.yml"
    plain.write_text(f"operations:\n  - push: h.io/p/a:1\n    digest: {DIGEST}\n")
    anchored = tmp_path / "anchored.yml"  # an anchor: beyond this reader
    anchored.write_text(f"operations:\n  - push: h.io/p/a:1\n    digest: &d {DIGEST}\n")
    for path, expected in ((plain, "1 False\n"), (anchored, "1 True\n")):
        done = subprocess.run(
            [sys.executable, "-c", program, str(path)], capture_output=True, text=True, check=True
        )
        assert done.stdout == expected
