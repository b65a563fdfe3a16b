"""The shape of the package, checked from its source: imports go one way, and no module
keeps state between runs.

Both checks read the code with `ast` rather than importing it, so an import inside a
function (a lazy import, taken only on some paths), or through `importlib.import_module` with
a literal name, counts as much as one at the top: a cycle it hides still makes the order of
imports matter, and still ties two modules into one. An import under `if TYPE_CHECKING:`
counts too: it is a dependency of the types, and a reporter that named its registry's module
for a type would still be one half of a loop. The package a module sits in is not counted as
imported by it (Python runs a package's `__init__` before any of its modules, which says
nothing about the design).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "tagguard"


def module_files(root: Path) -> dict[str, Path]:
    """Module name -> file, for every module under `root` (a folder holding packages)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _owner(name: str, modules: Mapping[str, Path]) -> str | None:
    """The module that defines `name` (a module, or a name inside one)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imported(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    """The dotted names an import statement names, relative ones made absolute."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            parts = module.split(".") if is_package else module.split(".")[:-1]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join([*parts, base] if base else parts)
        for alias in node.names:
            yield f"{base}.{alias.name}"  # `from a import b`: module a.b if there is one
    elif (
        isinstance(node, ast.Call)
        and _called(node) in {"import_module", "__import__"}
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    ):
        yield node.args[0].value  # importlib by a literal name is an import all the same


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of `package` it imports, anywhere in its code."""
    modules = module_files(root)
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            for name in _imported(node, module, path.name == "__init__.py"):
                owner = _owner(name, modules)
                if owner is not None and (owner == package or owner.startswith(package + ".")):
                    edges.add(owner)
        edges.discard(module)
        graph[module] = edges
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as [a, b, ..., a], or None: an iterative depth-first search."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        pending = [iter(sorted(graph[start]))]
        while pending:
            following = next(pending[-1], None)
            if following is None:
                done.add(path[-1])
                on_path.discard(path.pop())
                pending.pop()
            elif following in on_path:
                return [*path[path.index(following) :], following]
            elif following not in done:
                path.append(following)
                on_path.add(following)
                pending.append(iter(sorted(graph.get(following, ()))))
    return None


# Calls that build something that can change after it is bound (`sorted`, `str.split` and
# `dict.fromkeys` build a list or a dict too).
_MUTABLE_CALLS = frozenset(
    {
        "list",
        "dict",
        "set",
        "bytearray",
        "defaultdict",
        "deque",
        "OrderedDict",
        "Counter",
        "sorted",
        "split",
        "fromkeys",
    }
)
_MUTABLE_DISPLAYS = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
# Read-only wrappers: what they hold must be read-only too.
_WRAPPERS = frozenset({"tuple", "frozenset", "MappingProxyType"})


def _called(call: ast.Call) -> str:
    called = call.func
    return called.attr if isinstance(called, ast.Attribute) else getattr(called, "id", "")


def _is_mutable(value: ast.expr | None) -> bool:
    if isinstance(value, _MUTABLE_DISPLAYS):
        return True
    if isinstance(value, ast.Tuple):  # `(1, [])` and `A, B = [], ()` keep a list
        return any(_is_mutable(element) for element in value.elts)
    if isinstance(value, ast.Call):
        name = _called(value)
        if name in _WRAPPERS:
            return any(_is_mutable(held) for held in _held(value))
        return name in _MUTABLE_CALLS
    return False


def _held(wrapper: ast.Call) -> Iterator[ast.expr | None]:
    """What a read-only wrapper keeps: the values of a dict it proxies, the elements of a
    display it freezes (the display itself is copied, or only reachable read-only)."""
    for argument in wrapper.args:
        yield from _elements(argument)


def _elements(display: ast.expr) -> Iterator[ast.expr | None]:
    if isinstance(display, ast.Dict):
        for key, value in zip(display.keys, display.values, strict=True):
            if key is None:  # `**spread`: its values land in the outer dict
                yield from _elements(value)
            else:
                yield value
    elif isinstance(display, (ast.List, ast.Set, ast.Tuple)):
        yield from display.elts
    elif isinstance(display, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
        yield display.elt
    elif isinstance(display, ast.DictComp):
        yield display.value


def _blocks(statement: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists nested in a compound statement that still run at the level it
    sits at (the branches of `if`, `try`, `with`, `for`, `while`, `match`), in source order."""
    yield getattr(statement, "body", [])
    yield from (handler.body for handler in getattr(statement, "handlers", ()))
    yield from (case.body for case in getattr(statement, "cases", ()))
    yield getattr(statement, "orelse", [])
    yield getattr(statement, "finalbody", [])


def _bindings(body: list[ast.stmt], where: str) -> Iterator[str]:
    for statement in body:
        if isinstance(statement, ast.ClassDef):
            yield from _bindings(statement.body, f"{where}{statement.name}.")
        elif isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue  # a function's names live for one call
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            if _is_mutable(statement.value):
                targets = (
                    statement.targets if isinstance(statement, ast.Assign) else [statement.target]
                )
                for target in targets:
                    yield f"line {statement.lineno}: {where}{ast.unparse(target)}"
        else:
            for block in _blocks(statement):
                yield from _bindings(block, where)


def mutable_state(source: str) -> list[str]:
    """What a module keeps that could change between runs: names bound at module or class
    level (in any branch that runs there) to mutable containers, or to read-only ones that
    hold one, and every `global` statement.

    Not state in this sense, so allowed: a compiled pattern, a `TypeVar`, a logger (logging's
    registry is the process's by design), and a `functools.lru_cache` on a pure function
    (what it remembers is what the function would answer anyway, so no run can see another's).
    A name bound to a call the checker does not know is taken as immutable: it reads the
    source, not the values, and the table of mutable calls above says what it knows."""
    tree = ast.parse(source)
    found = list(_bindings(tree.body, ""))
    found += [
        f"line {node.lineno}: global {', '.join(node.names)}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Global)
    ]
    return found


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph(SRC, PACKAGE)
    assert len(graph) > 40  # the walk found the package, not an empty folder
    assert "tagguard.core.rules" in graph["tagguard.core.lint"]
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or ())


def test_the_core_imports_nothing_outside_it() -> None:
    """The functional core decides from values: it never reaches the shell, the CLI or a
    reporter (tagguard.errors, the exception types, is shared by all)."""
    graph = import_graph(SRC, PACKAGE)
    allowed = ("tagguard.core", "tagguard.errors", "tagguard")
    for module, edges in graph.items():
        if module.startswith("tagguard.core"):
            outside = {edge for edge in edges if not edge.startswith(allowed)}
            assert not outside, f"{module} imports {sorted(outside)}"
            assert "tagguard.shell" not in " ".join(edges)


def test_no_module_keeps_mutable_state() -> None:
    found = {
        module: state
        for module, path in module_files(SRC).items()
        if (state := mutable_state(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def _package(tmp_path: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path


def test_a_cycle_hidden_by_a_lazy_import_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg import b\n",
            "pkg/b.py": "def later():\n    from . import c\n",
            "pkg/c.py": "import pkg.a\n",
        },
    )
    assert find_cycle(import_graph(root, "pkg")) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_a_cycle_through_importlib_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "import importlib\ndef load():\n    return importlib.import_module('pkg.b')\n",
            "pkg/b.py": "from .a import load\n",
        },
    )
    assert find_cycle(import_graph(root, "pkg")) == ["pkg.a", "pkg.b", "pkg.a"]


def test_a_type_only_import_counts_and_the_parent_package_does_not(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "def load():\n    from pkg import child\n",
            "pkg/child.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.x import T\n",
            "pkg/x.py": "from pkg.child import f\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert graph["pkg.child"] == {"pkg.x"}  # not pkg, which Python imports first anyway
    assert find_cycle(graph) == ["pkg.child", "pkg.x", "pkg.child"]
    del graph["pkg.x"]
    assert find_cycle(graph) is None


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("CACHE: dict[int, str] = {}\n", ["line 1: CACHE"]),
        ("SEEN = set()\n", ["line 1: SEEN"]),
        ("import collections\nBY = collections.defaultdict(list)\n", ["line 2: BY"]),
        ("class K:\n    items = []\n", ["line 2: K.items"]),
        ("try:\n    X = [1]\nexcept ImportError:\n    X = ()\n", ["line 2: X"]),
        ("def f():\n    global N\n    N = 1\n", ["line 2: global N"]),
        ("NAMES = {n: 1 for n in 'ab'}\n", ["line 1: NAMES"]),
        (
            "try:\n    import x\nexcept ImportError:\n    X = []\nfinally:\n    Y = {}\n",
            ["line 4: X", "line 6: Y"],
        ),
        ("with open('f') as f:\n    WORDS = f.read().split()\n", ["line 2: WORDS"]),
        ("for n in ():\n    pass\nelse:\n    DONE = {}\n", ["line 4: DONE"]),
        ("match 1:\n    case 1:\n        M = set()\n", ["line 3: M"]),
        ("A, B = [], ()\n", ["line 1: (A, B)"]),
        ("T = (1, [2])\n", ["line 1: T"]),
        ("P = MappingProxyType({'a': [1]})\n", ["line 1: P"]),
        ("P = MappingProxyType({**{n: [n] for n in 'ab'}})\n", ["line 1: P"]),
        ("F = frozenset(x for x in ())\nS = sorted('ba')\n", ["line 2: S"]),
        ("N = dict.fromkeys('ab')\n", ["line 1: N"]),
        (
            "class K:\n    class Inner:\n        if True:\n            seen = set()\n",
            ["line 4: K.Inner.seen"],
        ),
    ],
)
def test_mutable_state_is_found(source: str, expected: list[str]) -> None:
    assert mutable_state(source) == expected


def test_immutable_constants_and_local_state_pass() -> None:
    source = (
        "import re\nfrom types import MappingProxyType\n"
        "A = (1, 2)\nB = frozenset({1})\nC = MappingProxyType({'a': 1})\n"
        "D = re.compile('x')\nE = 'text'\n"
        "def f():\n    seen = set()\n    return seen\n"
        "class K:\n    def m(self):\n        self.items = []\n"
        "P = MappingProxyType({**{n: (n,) for n in 'ab'}, 'c': ()})\n"
        "T = tuple(sorted('ba'))\nF = frozenset(n for n in 'ab')\nU = (1, ('a', frozenset()))\n"
        "import logging, typing\nLOG = logging.getLogger(__name__)\nV = typing.TypeVar('V')\n"
        "if True:\n    def g():\n        cache = {}\n"
    )
    assert mutable_state(source) == []


# Modules with definitions whose tests live elsewhere, or with no logic of their own. Each
# entry says why; a module with logic belongs in the list only with a named test home.
_NO_MIRRORED_TESTS = {
    # A package's __init__ is tested through the package's modules; these two define the
    # registry / the click group, which their named test modules exercise:
    "tagguard.commands": "the click group: tests/test_cli.py, tests/commands/*",
    "tagguard.reporters": "the format registry: tests/reporters/test_registry.py",
}


def _mirrored_test(module: str) -> Path:
    """tagguard.a.b -> tests/a/test_b.py; tagguard.b -> tests/test_b.py."""
    *folders, name = module.split(".")[1:]
    return SRC.parent.joinpath("tests", *folders, f"test_{name}.py")


def _defines_something(path: Path) -> bool:
    """Whether the module has a function or class of its own (re-exports and
    `__main__`'s one call do not count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) for node in ast.walk(tree))


def test_every_module_with_logic_has_its_mirrored_test_module() -> None:
    # Issue 15 item 6: a test module per source module where the module has logic, so the
    # tests of a module are found where its name says.
    missing = [
        f"{module} -> {_mirrored_test(module).relative_to(SRC.parent)}"
        for module, path in module_files(SRC).items()
        if module != PACKAGE
        and module not in _NO_MIRRORED_TESTS
        and _defines_something(path)
        and not _mirrored_test(module).is_file()
    ]
    assert missing == []


def test_the_allow_list_names_only_modules_that_exist() -> None:
    # A stale entry would silently exempt a module added later under the old name.
    assert set(_NO_MIRRORED_TESTS) <= set(module_files(SRC))


def test_a_module_with_a_function_needs_a_mirror_and_a_bare_one_does_not(
    tmp_path: Path,
) -> None:
    (tmp_path / "reexport.py").write_text("from os import path\n__all__ = ('path',)\n")
    (tmp_path / "logic.py").write_text("x = 1\nif x:\n    def f() -> int:\n        return x\n")
    assert not _defines_something(tmp_path / "reexport.py")
    assert _defines_something(tmp_path / "logic.py")
    assert _mirrored_test("tagguard.shell.urls") == SRC.parent / "tests/shell/test_urls.py"
