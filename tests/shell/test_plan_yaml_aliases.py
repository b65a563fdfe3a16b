"""Property tests of where plan_yaml places nodes reached through YAML aliases.

The oracle reads the same text's events with PyYAML's pure-Python parser (the reader uses
libyaml's) and builds the tree itself, expanding each alias as a copy of its anchor's nodes
at the alias's own line, and merging `<<` keys itself: it shares nothing with the reader's
id()-based matching of nodes met again. Texts are emitted from random events: anchors and
aliases nested in each other, aliases of scalars as keys, merge keys, in flow and block
collections, `&`/`*`/`#` inside quoted text and comments, CRLF line breaks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagguard.core.plan import Node, PlanError
from tagguard.shell.plan_file import load_plan
from tagguard.shell.plan_yaml import plan_tree

Tree = tuple[Any, ...]  # ("s", text, line, key_line) | ("l"/"m", items, line, key_line)


class _Refused(Exception):
    """What the reader must refuse, with the `line: message` it names."""


def oracle(text: str) -> Tree | str:
    """The tree PyYAML's pure-Python events describe, every node at its line (an alias's
    copy wholly at the alias's), merge keys merged as yaml.org/type/merge.html says (the
    mapping's own keys first, then earlier mappings); or the `line: message` of the first
    thing in the text the reader refuses: a repeated key, a merge of no mapping."""
    events = iter(yaml.parse(text, Loader=yaml.SafeLoader))
    anchors: dict[str, Tree] = {}

    def relined(tree: Tree, line: int, key_line: int | None) -> Tree:
        kind, value = tree[0], tree[1]
        if kind == "s":
            return ("s", value, line, key_line)
        if kind == "l":
            return ("l", [relined(item, line, None) for item in value], line, key_line)
        return ("m", [(k, relined(v, line, line)) for k, v in value], line, key_line)

    def merged(value: Tree) -> list[tuple[Tree, Tree]]:
        sources = value[1] if value[0] == "l" else [value]
        for source in sources:
            if source[0] != "m":
                raise _Refused(f"{source[2]}: {MERGE_ERROR}")
        return [pair for source in sources for pair in source[1]]

    def mapping(line: int, key_line: int | None) -> Tree:
        pairs, merges, seen = [], None, set()
        while not isinstance(key_event := next(events), yaml.MappingEndEvent):
            key = node(key_event, None)
            is_merge = _is_merge_key(key_event)
            if (is_merge and merges is not None) or (not is_merge and key[1] in seen):
                raise _Refused(f"{key[2]}: {key[1]!r} is given twice")
            value = node(next(events), key[2])
            if is_merge:
                merges = merged(value)
            else:
                seen.add(key[1])
                pairs.append((key, value))
        for key, value in merges or []:
            if key[1] not in seen:  # the mapping's own keys win, then earlier mappings
                seen.add(key[1])
                pairs.append((key, value))
        return ("m", pairs, line, key_line)

    def node(event: yaml.Event, key_line: int | None) -> Tree:
        assert event.start_mark is not None  # the pure-Python parser marks every event
        line = event.start_mark.line + 1
        anchor: str | None = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent):
            assert anchor is not None
            return relined(anchors[anchor], line, key_line)
        if isinstance(event, yaml.ScalarEvent):
            tree: Tree = ("s", event.value, line, key_line)
        elif isinstance(event, yaml.SequenceStartEvent):
            items = []
            while not isinstance(item := next(events), yaml.SequenceEndEvent):
                items.append(node(item, None))
            tree = ("l", items, line, key_line)
        else:
            assert isinstance(event, yaml.MappingStartEvent)
            tree = mapping(line, key_line)
        if anchor is not None:
            anchors[anchor] = tree
        return tree

    for event in events:
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)):
            try:
                return node(event, None)
            except _Refused as refused:
                return str(refused)
    raise AssertionError("no document")


def _is_merge_key(event: yaml.Event) -> bool:
    """A plain, untagged `<<`: the only key YAML 1.1 reads as a merge."""
    if not isinstance(event, yaml.ScalarEvent):
        return False
    return event.value == "<<" and event.tag is None and bool(event.implicit[0])


MERGE_ERROR = (
    "'<<' (YAML's merge key) takes a mapping, or a list of mappings, whose fields this mapping gets"
)


def as_tree(node: Node) -> Tree:
    if isinstance(node.value, list):
        return ("l", [as_tree(item) for item in node.value], node.line, node.key_line)
    if isinstance(node.value, dict):
        pairs = [(key, as_tree(item)) for key, item in node.value.items()]
        return ("m", pairs, node.line, node.key_line)
    return ("s", node.value, node.line, node.key_line)


def _strip_keys(tree: Tree) -> Tree:
    """The oracle's keys are nodes; the reader's are text."""
    kind, value, line, key_line = tree
    if kind == "l":
        return ("l", [_strip_keys(item) for item in value], line, key_line)
    if kind == "m":
        return ("m", [(key[1], _strip_keys(item)) for key, item in value], line, key_line)
    return tree


# -- random documents, as events --------------------------------------------------------------

TEXTS = st.sampled_from(["a", "b", "c", "&x", "*x", "a # *x", "&y *y", "k: *z", "'&'", "[*x]"])


@st.composite
def documents(draw: st.DrawFn) -> list[yaml.Event]:
    """A document's events: anchors on any node, aliases only of closed anchors (an alias of
    an open one is a recursive structure, refused as nested too deeply), merge keys."""
    closed: list[tuple[str, bool]] = []  # (anchor, is a scalar)
    mappings: list[str] = []  # the closed anchors of mappings
    count = [0]

    def anchor() -> str | None:
        if not draw(st.booleans()):
            return None
        count[0] += 1
        return f"n{count[0]}"

    def scalar(as_key: bool) -> list[yaml.Event]:
        scalars = [name for name, is_scalar in closed if is_scalar]
        if scalars and draw(st.integers(0, 3)) == 0:
            return [yaml.AliasEvent(draw(st.sampled_from(scalars)))]
        name, text = anchor(), draw(TEXTS)
        style = draw(st.sampled_from([None, '"', "'"]))
        event = yaml.ScalarEvent(name, None, (True, True), text, style=style)
        if name is not None:
            closed.append((name, True))
        return [event]

    def merge(depth: int) -> list[yaml.Event]:
        """A merge key: of aliases (a list's or not) of earlier collections, or of any value,
        a mapping written in place or one the reader refuses to merge."""
        key = yaml.ScalarEvent(None, None, (True, True), "<<")
        collections = [name for name, is_scalar in closed if not is_scalar]
        if not collections or draw(st.integers(0, 3)) == 0:
            return [key, *value(depth + 1)]
        # Mostly mappings, which are what merges, and the same keys: their precedence shows.
        names = draw(st.lists(st.sampled_from(mappings or collections), min_size=1, max_size=3))
        if draw(st.integers(0, 3)) == 0:
            names.append(draw(st.sampled_from(collections)))
        aliases = [yaml.AliasEvent(name) for name in names]
        if len(aliases) == 1 and draw(st.booleans()):
            return [key, *aliases]
        start = yaml.SequenceStartEvent(None, None, True, flow_style=draw(st.booleans()))
        return [key, start, *aliases, yaml.SequenceEndEvent()]

    def value(depth: int) -> list[yaml.Event]:
        choice = draw(st.integers(0, 5 if depth < 4 else 1))
        if choice == 0:
            return scalar(False)
        if choice == 1 and closed:
            return [yaml.AliasEvent(draw(st.sampled_from(closed))[0])]
        name, flow = anchor(), draw(st.booleans())
        if choice in (2, 3):
            start: yaml.Event = yaml.SequenceStartEvent(name, None, True, flow_style=flow)
            inner = [e for _ in range(draw(st.integers(0, 3))) for e in value(depth + 1)]
            events = [start, *inner, yaml.SequenceEndEvent()]
        else:
            start = yaml.MappingStartEvent(name, None, True, flow_style=flow)
            inner = [
                e
                for _ in range(draw(st.integers(0, 3)))
                for e in (
                    merge(depth)
                    if draw(st.integers(0, 4)) == 0
                    else (*scalar(True), *value(depth + 1))
                )
            ]
            events = [start, *inner, yaml.MappingEndEvent()]
            if name is not None:
                mappings.append(name)
        if name is not None:
            closed.append((name, False))
        return events

    return value(0)


def emitted(events: list[yaml.Event], crlf: bool, comments: list[int]) -> str:
    stream = [yaml.StreamStartEvent(), yaml.DocumentStartEvent(explicit=False), *events]
    stream += [yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent()]
    text = yaml.emit(stream, width=10_000, line_break="\r\n" if crlf else "\n")
    assert text is not None
    lines = text.splitlines(keepends=True)
    for at in sorted(comments, reverse=True):  # whole-line comments holding `&` and `*`
        lines.insert(min(at, len(lines)), "# &c *c\r\n" if crlf else "# &c *c\n")
    return "".join(lines)


@settings(max_examples=300, derandomize=True, deadline=None)
@given(documents(), st.booleans(), st.lists(st.integers(0, 30), max_size=3))
def test_every_node_is_at_its_own_line_or_its_alias_s(
    events: list[yaml.Event], crlf: bool, comments: list[int]
) -> None:
    text = emitted(events, crlf, comments)
    expected = oracle(text)
    try:
        tree = plan_tree(text, "plan.yml", {})
    except PlanError as error:
        message = str(error)
        if isinstance(expected, str):
            assert message == f"plan.yml:{expected}"
            return
        # What the oracle does not model: keys that are no text, the expansion budget.
        assert message.startswith("plan.yml:")
        assert "keys must be strings" in message, (text, message)
        return
    assert not isinstance(expected, str), text
    assert as_tree(tree) == _strip_keys(expected), text


# -- plans: each step at its own line, a reused one at its alias --------------------------------

DIGEST = "sha256:" + "a" * 64
STEPS = [
    {"push": "h.io/p/app:1", "digest": DIGEST},
    {"push": ["h.io/p/app:2", "h.io/p/app:3"]},
    {"retag": {"from": "h.io/p/app:1", "to": "h.io/q/app:1"}},
    {"copy": {"from": "h.io/p/app:1", "to": "h.io/q/app"}},
    {"delete": "h.io/p/app:rc", "artifact": True},
    {"sign": "h.io/p/app:1"},
    {"replicate": {"policy": 3, "source": "h.io"}},
]


@settings(
    max_examples=60, derandomize=True, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(
    st.lists(st.tuples(st.integers(0, len(STEPS) - 1), st.booleans(), st.integers(-1, 8)),
             min_size=1, max_size=8),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)  # fmt: skip
def test_a_reused_step_is_at_its_alias_s_line(
    tmp_path: Path, steps: list[tuple[int, bool, int]], newline: str, bom: bool
) -> None:
    """Each step is written out (anchored or not, block or flow) or is an alias of an
    earlier anchored step; its operation's line is the line the oracle gives its item."""
    written: list[str] = ["operations:"]
    anchored: list[int] = []
    for index, (step, flow, reuse) in enumerate(steps):
        if reuse >= 0 and anchored:
            written.append(f"  - *s{anchored[reuse % len(anchored)]}  # *s{index}")
            continue
        body = yaml.safe_dump(STEPS[step], default_flow_style=flow, width=10_000).strip()
        anchor = f"&s{index} " if reuse == -1 or flow else ""
        if anchor:
            anchored.append(index)
        lines = body.splitlines()
        if anchor and not flow:  # `- &a key: v` would anchor the key: the anchor's own line
            written.append(f"  - {anchor}")
            written += [f"    {line}" for line in lines]
        else:
            written.append(f"  - {anchor}{lines[0]}")
            written += [f"    {line}" for line in lines[1:]]
    text = newline.join(written) + newline
    path = tmp_path / "plan.yml"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    expected = oracle(text)
    assert isinstance(expected, tuple)
    items = expected[1][0][1][1]  # operations: its list's items
    plan = load_plan(str(path), {})
    assert [operation.line for operation in plan.operations] == [item[2] for item in items]


@pytest.mark.parametrize(
    "text",
    [
        'a: "&x *x"\n',
        "a: &x b  # *y\nc: '*x'\n",
        "a: &x b\n# *x *x\nc: *x\n",
    ],
)
def test_the_oracle_reads_what_it_is_meant_to(text: str) -> None:
    """Quoted `&`/`*` and comments are no anchors or aliases, to the oracle too."""
    expected = oracle(text)
    assert isinstance(expected, tuple)
    assert as_tree(plan_tree(text, "plan.yml", {})) == _strip_keys(expected)
