"""`make test` is three separate layers: unit, e2e and surfaces, each a directory of tests
run once. A unit run that also ran the slow layers would make the fast loop slow."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def recipes() -> dict[str, tuple[list[str], list[str]]]:
    """Each rule's prerequisites and recipe lines, from the Makefile's own text."""
    rules: dict[str, tuple[list[str], list[str]]] = {}
    current: list[str] | None = None
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        header = re.match(r"^([A-Za-z][\w.-]*):(?!=)(.*)$", line)
        if header:
            current = []
            rules[header.group(1)] = (header.group(2).split(), current)
        elif line.startswith("\t") and current is not None:
            current.append(line.strip())
        elif not line.startswith("#"):
            current = None
    return rules


def pytest_arguments(rule: str) -> list[str]:
    """The layer's pytest arguments, less the worker count every layer is run with."""
    (line,) = [line for line in recipes()[rule][1] if "pytest" in line]
    arguments = line.split()[1:]
    assert arguments[:2] == ["-n", "$(WORKERS)"], line
    return arguments[2:]


def test_make_test_runs_every_layer() -> None:
    prerequisites = recipes()["test"][0]
    assert {"unit", "e2e", "surfaces"} <= set(prerequisites)


def test_each_layer_runs_its_own_tests_and_no_other() -> None:
    assert pytest_arguments("e2e") == ["tests/e2e"]
    assert pytest_arguments("surfaces") == ["--dist", "loadfile", "tests/surfaces"]
    unit = pytest_arguments("unit")
    assert sorted(unit) == ["--ignore=tests/e2e", "--ignore=tests/surfaces"]
    # The unit layer is everything else: pytest starts from tests/ when given no path.
    with (ROOT / "pyproject.toml").open("rb") as file:
        assert tomllib.load(file)["tool"]["pytest"]["ini_options"]["testpaths"] == ["tests"]
    assert {"e2e", "surfaces"} <= {p.name for p in (ROOT / "tests").iterdir() if p.is_dir()}


def test_the_layers_run_on_a_worker_per_cpu_which_the_test_tools_install() -> None:
    """CI's time: each layer on every core (pytest-xdist's `-n auto`), unless WORKERS says."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^WORKERS \?= auto$", text, re.M)
    with (ROOT / "pyproject.toml").open("rb") as file:
        test_tools = tomllib.load(file)["project"]["optional-dependencies"]["test"]
    assert any(re.match(r"pytest-xdist\b", tool) for tool in test_tools)
