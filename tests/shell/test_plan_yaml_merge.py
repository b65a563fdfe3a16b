"""YAML merge keys (`<<: *defaults`, `<<: [*a, *b]`) in a plan, as YAML 1.1 defines them
(https://yaml.org/type/merge.html): values are compared with what PyYAML's own constructor
makes of the same text, except where a list of mappings shares a key (PyYAML 6.0.4 lets
the later one win there, against the specification: yaml/pyyaml#953); lines follow the
reader's rule for aliases."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tagguard.core.plan import DigestFile, Node, PlanError, Push
from tagguard.shell.plan_file import load_plan
from tagguard.shell.plan_yaml import plan_tree
from tests.conftest import ROOT

DIGEST = "sha256:" + "a" * 64


def values(node: Node) -> Any:
    """The plain data of a tree, as yaml.safe_load gives it."""
    if isinstance(node.value, dict):
        return {key: values(item) for key, item in node.value.items()}
    if isinstance(node.value, list):
        return [values(item) for item in node.value]
    return node.value


def steps(text: str, *, as_pyyaml: bool = True) -> list[Node]:
    tree = plan_tree(text, "plan.yml", {})
    if as_pyyaml:
        assert values(tree) == yaml.safe_load(text)
    assert isinstance(tree.value, dict)
    items = tree.value["operations"].value
    assert isinstance(items, list)
    return items


# A push, and a second push that merges the first one's fields (its digest) and writes its
# own `push`: lines 1 to 6, as the comments number them.
SHARED_DIGEST = (
    "operations:\n"  # 1
    "  - &build\n"  # 2
    "    push: h.io/p/app:1\n"  # 3
    f"    digest: {DIGEST}\n"  # 4
    "  - <<: *build\n"  # 5
    "    push: h.io/p/app:latest\n"  # 6
)


def test_a_merged_field_is_at_the_merge_s_line_and_a_written_one_wins() -> None:
    """The second push shares the first one's digest: the digest it gets is at the `<<`
    line, in that step, not at the anchor's line (a step's error must point into the step
    it is about; the alias there names the anchor), and its own `push` wins."""
    _, second = steps(SHARED_DIGEST)
    assert second.line == 5
    assert second.value == {
        "push": Node("h.io/p/app:latest", 6, 6),
        "digest": Node(DIGEST, 5, 5),
    }


def test_the_specification_s_four_equal_mappings_are_equal() -> None:
    """The example of yaml.org/type/merge.html, with keys of two letters (PyYAML 6.0.4 gets
    the last mapping wrong: `rr` from *small, yaml/pyyaml#953)."""
    text = (
        "operations:\n"
        "  - &center {xx: 1, yy: 2}\n"
        "  - &left {xx: 0, yy: 2}\n"
        "  - &big {rr: 10}\n"
        "  - &small {rr: 1}\n"
        "  - {xx: 1, yy: 2, rr: 10, label: center/big}\n"
        "  - {<<: *center, rr: 10, label: center/big}\n"
        "  - {<<: [*center, *big], label: center/big}\n"
        "  - {<<: [*big, *left, *small], xx: 1, label: center/big}\n"
    )
    merged = [values(step) for step in steps(text, as_pyyaml=False)[4:]]
    assert merged == [{"xx": 1, "yy": 2, "rr": 10, "label": "center/big"}] * 4


def test_with_a_list_of_mappings_the_earlier_wins_each_at_its_alias_s_line() -> None:
    text = (
        "operations:\n"  # 1
        "  - &one {push: h.io/p/app:1, digest: " + DIGEST + "}\n"  # 2
        "  - &two {push: h.io/p/app:2, from: h.io/p/app:1}\n"  # 3
        "  - <<:\n"  # 4
        "      - *two\n"  # 5
        "      - *one\n"  # 6
        "  - <<: [*one, *two]\n"  # 7
    )
    *_, block, flow = steps(text, as_pyyaml=False)
    assert block.value == {
        "push": Node("h.io/p/app:2", 5, 5),
        "from": Node("h.io/p/app:1", 5, 5),
        "digest": Node(DIGEST, 6, 6),
    }
    assert flow.value == {
        "push": Node("h.io/p/app:1", 7, 7),
        "digest": Node(DIGEST, 7, 7),
        "from": Node("h.io/p/app:1", 7, 7),
    }


def test_a_merge_written_in_place_and_merges_inside_merges() -> None:
    """A mapping written as the merge's value is at its own lines; an anchor that merges
    another brings both, the outer one's fields winning."""
    text = (
        "operations:\n"  # 1
        "  - <<: {push: h.io/p/app:1,\n"  # 2
        "         digest: " + DIGEST + "}\n"  # 3
        "  - retag: &base {from: h.io/p/app:1, to: h.io/p/app:2}\n"  # 4
        "  - retag: &more {<<: *base, to: h.io/p/app:3}\n"  # 5
        "  - retag: {<<: *more}\n"  # 6
    )
    written, _, more, again = steps(text)
    assert written.value == {"push": Node("h.io/p/app:1", 2, 2), "digest": Node(DIGEST, 3, 3)}
    assert isinstance(more.value, dict)
    assert more.value["retag"].value == {
        "to": Node("h.io/p/app:3", 5, 5),
        "from": Node("h.io/p/app:1", 5, 5),
    }
    assert isinstance(again.value, dict)
    assert values(again.value["retag"]) == {"from": "h.io/p/app:1", "to": "h.io/p/app:3"}


def test_a_quoted_merge_key_is_a_key_like_any_other() -> None:
    """Only the plain `<<` is the merge key (PyYAML keeps a quoted one as text)."""
    text = "operations:\n  - '<<': {push: h.io/p/app:1}\n"
    (step,) = steps(text)
    assert isinstance(step.value, dict)
    assert list(step.value) == ["<<"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: &a x\nb:\n  <<: *a\n", 3),
        ("a: &a {k: v}\nb: {<<: [*a,\n  x]}\n", 3),
        ("b:\n  <<: [[{k: v}]]\n", 2),
        ("b:\n  <<: ~\n", 2),
    ],
)
def test_a_merge_of_anything_but_mappings_is_an_error_at_that_value(text: str, line: int) -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load(text)  # PyYAML refuses it too
    with pytest.raises(PlanError) as caught:
        plan_tree(text, "plan.yml", {})
    assert caught.value.message == (
        f"plan.yml:{line}: '<<' (YAML's merge key) takes a mapping, or a list of mappings, "
        "whose fields this mapping gets"
    )


def test_a_mapping_merges_once() -> None:
    """Keys are unique in a YAML mapping, the merge key as any other: two are refused as
    every repeated key is (PyYAML would merge both)."""
    with pytest.raises(PlanError, match=r"^plan.yml:3: '<<' is given twice$"):
        plan_tree("a: &a {k: v}\nb: {<<: *a,\n  <<: *a}\n", "plan.yml", {})


def test_merges_of_merges_count_towards_the_alias_budget() -> None:
    """Each level merges nine copies of the one below: the fields stay few, but reading
    them is 9**9 mappings, refused as aliases of aliases are."""
    lines = ["a0: &a0 {k: v}"]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} {{<<: [{', '.join([f'*a{level - 1}'] * 9)}]}}")
    text = "\n".join(lines) + "\n"
    assert len(text) < 600
    with pytest.raises(PlanError, match=r"^plan\.yml:\d+: the plan's aliases expand it past "):
        plan_tree(text, "plan.yml", {})


def test_a_step_s_error_in_a_merged_field_names_the_merge_s_line(tmp_path: Path) -> None:
    """Shared fields that do not fit the step they are merged into: the error is at the
    step's `<<`, where the user chose to merge them, not at the anchor they fit."""
    path = tmp_path / "plan.yml"
    text = (
        SHARED_DIGEST + "  - retag: &pair {from: h.io/p/app:1, to: h.io/p/app:2}\n"  # 7
        "  - copy: {<<: *pair, to: h.io/q/app}\n"  # 8
    )
    path.write_text(text)
    assert [op.line for op in load_plan(str(path), {}).operations] == [2, 5, 7, 8]
    path.write_text(text + "  - sign: h.io/p/app:1\n    <<: *pair\n")  # 9, 10
    with pytest.raises(PlanError, match=rf"^{path}:10: a sign does not take 'from'"):
        load_plan(str(path), {})


def test_the_readme_s_merge_key_example(tmp_path: Path) -> None:
    """The README's plan: two pushes of one build, the second at its own line, with the
    first one's metadata file and its own tag."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = "<!-- covered-by: tests/shell/test_plan_yaml_merge.py::test_the_readme_s_merge_key_example -->"
    found = re.search(re.escape(marker) + r"\s*```yaml\n(.*?)```", readme, re.S)
    assert found is not None
    path = tmp_path / "release.yml"
    path.write_text(found.group(1))
    first, second = load_plan(str(path), {"VERSION": "1.2.3"}).operations
    image = DigestFile("metadata-file", "build/metadata.json")
    assert isinstance(first, Push)
    assert isinstance(second, Push)
    assert (first.line, first.image, str(first.targets[0])) == (
        2,
        image,
        "harbor.example.com/proj/app:1.2.3",
    )
    assert (second.line, second.image, str(second.targets[0])) == (
        5,
        image,
        "harbor.example.com/proj/app:latest",
    )
