"""A plan file's YAML, read into line-aware nodes with `${VAR}` replaced from the environment.

PyYAML (~12 ms to import) is loaded only with this module, which only a plan beyond plain
YAML needs: tagguard.shell.plan_file imports it when tagguard.shell.plan_block declines the
plan's text. The rules of a plan's YAML are told in tagguard.shell.plan_file.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeAlias

import yaml

from tagguard.core.plan import Node, PlanError
from tagguard.shell.plan_variables import substitute

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"  # what PyYAML's resolver makes of a plain `<<` key
_DEPTH_MAX = 64
# Line breaks in YAML 1.1, which PyYAML and libyaml follow, and text in YAML 1.2 and editors.
_BREAKS_1_1 = (
    ("\x85", "NEXT LINE"),
    ("\u2028", "LINE SEPARATOR"),
    ("\u2029", "PARAGRAPH SEPARATOR"),
)
# Nodes a plan may expand to beyond one per character of its text. Without aliases a plan
# has fewer nodes than characters; aliases of aliases multiply (nine levels of nine, in
# half a kilobyte, would be 387 million nodes), so their expansion is bounded.
_ALIAS_ALLOWANCE = 100_000


class _Aliases:
    """The lines of the plan's aliases, in the order a reading in document order meets them.

    PyYAML's composer gives an alias the node of its anchor, not a node of its own, so an
    alias is known by meeting a node again; each such meeting outside a repeat is the next
    alias of the text (a repeat's inner nodes are met again without an alias of their own:
    they are at the repeat's line, see `_Repeat`)."""

    def __init__(self, lines: list[int]) -> None:
        self.lines = iter(lines)
        self.met: set[int] = set()

    def place(self, node: yaml.Node, line: int) -> tuple[int, _Aliases | _Repeat]:
        """The line of this meeting of `node`, and what places the nodes below it."""
        if id(node) in self.met:
            alias = next(self.lines)
            return alias, _Repeat(alias)
        self.met.add(id(node))
        return line, self


class _Repeat:
    """Places everything inside what an alias repeats at the alias's line."""

    def __init__(self, line: int) -> None:
        self.line = line

    def place(self, node: yaml.Node, line: int) -> tuple[int, _Repeat]:
        return self.line, self


_Places = _Aliases | _Repeat


class _Budget:
    """How many more nodes the plan may expand to."""

    def __init__(self, path: str, left: int) -> None:
        self.path, self.left, self.limit = path, left, left

    def spend(self, count: int, line: int) -> None:
        self.left -= count
        if self.left < 0:
            raise PlanError(
                f"{self.path}:{line}: the plan's aliases expand it past {self.limit} nodes; "
                "write the steps out, or use fewer aliases of aliases"
            )


def plan_tree(text: str, path: str, env: Mapping[str, str]) -> Node:
    """The plan's YAML as line-aware nodes, `${VAR}` replaced (see tagguard.shell.plan_file)."""
    _refuse_yaml_1_1_breaks(text, path)
    try:
        # libyaml's loader when PyYAML has it: ten times faster on a large plan.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        root = yaml.compose(text, Loader=_quick(loader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        line = mark.line + 1 if mark is not None else 1
        raise PlanError(
            f"{path}:{line}: not valid YAML: {error.problem}{_flow_hint(text, line)}"
        ) from None
    except yaml.YAMLError as error:
        raise PlanError(f"{path}:1: not valid YAML: {error}") from None
    if root is None:
        raise PlanError(f"{path}:1: the plan is empty")
    budget = _Budget(path, len(text) + _ALIAS_ALLOWANCE)
    return _node(root, path, env, depth=0, budget=budget, places=_aliases(text, loader))


_Loader: TypeAlias = "type[yaml.SafeLoader | yaml.CSafeLoader]"


def _quick(loader: _Loader) -> _Loader:
    """`loader`, its resolver's answers kept by value (`_QuickResolver`), while no path
    resolver is registered with it (PyYAML's safe loaders have none): only then does a
    node's tag depend on its kind and text alone."""
    # (mypy takes a class for unhashable.)
    return loader if loader.yaml_path_resolvers else _quick_class(loader)  # type: ignore[arg-type]


@functools.cache
def _quick_class(loader: _Loader) -> _Loader:
    quick: _Loader = type(f"Quick{loader.__name__}", (_QuickResolver, loader), {})
    return quick


class _QuickResolver:
    """PyYAML's resolver as its loader calls it for every node, with the same answers in a
    fraction of the time (50 ms of a 30,000-operation plan's 290 ms compose).

    Without path resolvers, `BaseResolver.resolve` tags a plain scalar by matching its text
    against the implicit resolvers (the same text, the same tag: kept here), a quoted one
    `DEFAULT_SCALAR_TAG`, a collection its kind's default; and `descend_resolver` and
    `ascend_resolver`, called around each node, return at once. `_quick` uses this only
    for a loader without path resolvers."""

    yaml_path_resolvers: dict[object, str]
    DEFAULT_SCALAR_TAG: str

    def __init__(self, stream: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]
        self._plain: dict[str, str] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return self.DEFAULT_SCALAR_TAG
            tag = self._plain.get(value)
            if tag is None:
                tag = self._plain[value] = super().resolve(kind, value, implicit)  # type: ignore[misc]
            return tag
        found: str = super().resolve(kind, value, implicit)  # type: ignore[misc]
        return found

    def descend_resolver(self, current_node: yaml.Node | None, current_index: object) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


def _refuse_yaml_1_1_breaks(text: str, path: str) -> None:
    """A plan holding U+0085, U+2028 or U+2029 is refused, at the line and column an editor
    shows. Read as PyYAML reads them (as line breaks), every later line number is one past
    the editor's, and the rest of a comment holding one is plan content; read as YAML 1.2
    reads them, they are text. Which of the two the pipeline's own reader does is unknown,
    and mapping lines back would not settle what the plan says: only the user can, by
    deleting the character (no reference or digest holds one). Written as an
    escape in a double-quoted string, it is the string's text for every reader."""
    # `"\u2028" in text` costs nothing for a text of one-byte characters (an ASCII or Latin-1
    # plan, the usual): Python knows a wider character cannot be in it. `"\x85"` is one scan.
    if "\x85" not in text and "\u2028" not in text and "\u2029" not in text:
        return
    names = dict(_BREAKS_1_1)
    at = min(found for found in map(text.find, names) if found != -1)
    before = text[:at]
    # Lines as editors and YAML 1.2 count them: \r\n, \r or \n ends one.
    line = before.count("\n") + before.count("\r") - before.count("\r\n") + 1
    column = at - max(before.rfind("\n"), before.rfind("\r"))
    code = f"{ord(text[at]):04X}"
    raise PlanError(
        f"{path}:{line}: an invisible U+{code} ({names[text[at]]}) at column {column} "
        "ends a line for YAML 1.1 readers (this one), not for YAML 1.2 readers and editors; "
        f'delete it (in a double-quoted string, write it as "\\u{code}")'
    )


def _aliases(text: str, loader: type[yaml.SafeLoader | yaml.CSafeLoader]) -> _Aliases | None:
    """Where the plan's aliases are, or None when it has none. Only a text holding both an
    anchor's `&` and an alias's `*` can (a large plan most often holds neither), and only
    its events tell an alias's line: it is read a second time for them."""
    if "&" not in text or "*" not in text:
        return None
    lines = []
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.AliasEvent):
            assert event.start_mark is not None  # both of PyYAML's parsers mark every event
            lines.append(event.start_mark.line + 1)
    return _Aliases(lines) if lines else None


def _flow_hint(text: str, line: int) -> str:
    """`${VAR}` inside `[...]` or `{...}` is not YAML (its braces open a mapping): the usual
    cause of a plan that does not parse, and the fix is to quote the value."""
    lines = text.splitlines()
    here = lines[line - 1] if 0 < line <= len(lines) else ""
    if "${" in here and ("[" in here or "{" in here.replace("${", "")):
        return (
            "; quote values holding ${...} inside [...] or {...}, e.g. "
            '"harbor.example.com/p/app:${VERSION}"'
        )
    return ""


def _node(
    node: yaml.Node,
    path: str,
    env: Mapping[str, str],
    depth: int,
    key_line: int | None = None,
    *,
    budget: _Budget,
    places: _Places | None = None,
) -> Node:
    """The node and all below it; `key_line` is the line of the key whose value it is.
    `places` is None when the plan has no alias: every node is at its own line."""
    line = node.start_mark.line + 1
    if places is not None:
        line, places = places.place(node, line)
    if depth > _DEPTH_MAX:
        raise PlanError(f"{path}:{line}: nested too deeply")
    budget.spend(1, line)
    if isinstance(node, yaml.ScalarNode):  # the most common kind first
        return Node(_scalar(node, path, env, line), line, key_line)
    if isinstance(node, yaml.MappingNode):
        return Node(_fields(node, line, path, env, depth, budget, places), line, key_line)
    assert isinstance(node, yaml.SequenceNode)  # compose makes no other kind of node
    return Node(
        [_node(item, path, env, depth + 1, budget=budget, places=places) for item in node.value],
        line,
        key_line,
    )


def _fields(
    node: yaml.MappingNode,
    line: int,
    path: str,
    env: Mapping[str, str],
    depth: int,
    budget: _Budget,
    places: _Places | None,
) -> dict[str, Node]:
    budget.spend(2 * len(node.value), line)
    fields: dict[str, Node] = {}
    merged: list[dict[str, Node]] | None = None
    # Keys and values are one level down: within the limit, text without `${` (nearly every
    # key and value of a plan) is read here, without `_node`'s dispatch or a key's node.
    shallow = depth < _DEPTH_MAX
    for key_node, value_node in node.value:
        key_line = key_node.start_mark.line + 1
        key = _plain_text(key_node) if shallow else None
        if key is None and key_node.tag == _MERGE and shallow:  # YAML 1.1's `<<`
            if places is not None:
                key_line = places.place(key_node, key_line)[0]
            if merged is not None:  # keys are unique in a mapping, this one too
                raise PlanError(f"{path}:{key_line}: '<<' is given twice")
            # Read where it is written, so that its aliases are met in the text's order.
            value = _node(value_node, path, env, depth + 1, key_line, budget=budget, places=places)
            merged = _merged(value, path)
            continue
        if key is None:  # any other key: read as any node is, refused unless text
            found = _node(key_node, path, env, depth + 1, budget=budget, places=places)
            key_line = found.line
            if not isinstance(found.value, str):
                raise PlanError(f"{path}:{key_line}: keys must be strings")
            key = found.value
        elif places is not None:
            key_line = places.place(key_node, key_line)[0]
        if key in fields:
            raise PlanError(f"{path}:{key_line}: {key!r} is given twice")
        text = _plain_text(value_node) if shallow else None
        if text is None:
            fields[key] = _node(
                value_node, path, env, depth + 1, key_line, budget=budget, places=places
            )
        else:
            value_line = value_node.start_mark.line + 1
            if places is not None:
                value_line = places.place(value_node, value_line)[0]
            fields[key] = Node(text, value_line, key_line)
    return _with_merged(fields, merged) if merged else fields


def _with_merged(fields: dict[str, Node], merged: list[dict[str, Node]]) -> dict[str, Node]:
    """The mapping's own fields, then each field of the merged mappings it lacks, earlier
    mappings first: the precedence YAML gives them, and the order a message lists them in."""
    for source in merged:
        for key, value in source.items():
            fields.setdefault(key, value)
    return fields


def _merged(value: Node, path: str) -> list[dict[str, Node]]:
    """The mappings a merge key's value gives, in the order they win (YAML 1.1's merge key:
    one mapping, or a list of them). Their nodes are where reading them placed them: an
    alias's at the alias, which is the `<<` line of the mapping that merges it. That line,
    not the anchor's, is what an error about a merged field names: the same fields may suit
    one step and not another, and the `<<` line is in the step that is wrong (its alias
    names the anchor); so are a reused step's fields, at its alias."""
    mappings = []
    for source in value.value if isinstance(value.value, list) else [value]:
        if not isinstance(source.value, dict):
            raise PlanError(
                f"{path}:{source.line}: '<<' (YAML's merge key) takes a mapping, or a list "
                "of mappings, whose fields this mapping gets"
            )
        mappings.append(source.value)
    return mappings


def _plain_text(node: yaml.Node) -> str | None:
    """The text of a string scalar with no `${` in it (its value as it stands), else None."""
    if node.tag == _STR and isinstance(node, yaml.ScalarNode) and "${" not in node.value:
        text: str = node.value
        return text
    return None


def _scalar(
    node: yaml.ScalarNode, path: str, env: Mapping[str, str], line: int
) -> str | int | float | bool | None:
    tag, text = node.tag, node.value
    if tag == _STR:  # most of a plan: text, in which only `${` can start a variable
        return substitute(text, path, env, line) if "${" in text else text
    kind = tag.rsplit(":", 1)[-1]
    if kind in ("null", "bool", "int", "float"):
        # PyYAML's own reading of what its resolver tagged: YAML 1.1 has '0b1', '+0x1F',
        # '1:30' (base 60) and '.inf', which int() and float() do not. An explicit tag on
        # text that is no such value (`!!bool push`, `!!int x`) fails in PyYAML with a
        # KeyError or a ValueError.
        try:
            value: str | int | float | bool | None = (
                yaml.constructor.SafeConstructor().construct_object(node)
            )
        except (KeyError, ValueError):
            what = "a boolean" if kind == "bool" else "a number"
            raise PlanError(f"{path}:{line}: {text!r} is not {what} YAML can read") from None
        return value
    return substitute(text, path, env, line)
