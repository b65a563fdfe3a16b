"""Release plans: the shape, every mistake at its line, and the shipped JSON Schema agreeing."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tagguard.core.plan import PlanError
from tagguard.shell.plan_file import load_plan
from tests.conftest import EXAMPLES

DIGEST = "sha256:" + "a" * 64
H = "h.io"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "plan.yml"
    path.write_text(text)
    return str(path)


def schema() -> dict[str, Any]:
    text = resources.files("tagguard").joinpath("schemas/plan.schema.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def schema_accepts(text: str) -> bool:
    try:
        jsonschema.Draft7Validator(schema()).validate(yaml.safe_load(text))
    except jsonschema.ValidationError:
        return False
    return True


GOOD = [
    f"operations:\n  - push: {H}/p/app:1\n    digest: {DIGEST}\n",
    f"operations:\n  - push: [{H}/p/app:1, {H}/p/app:latest]\n    from: ghcr.io/org/app:1\n",
    f"operations:\n  - push: {H}/p/app:1\n    oci-layout: out:app\n",
    f"operations:\n  - retag: {{from: {H}/p/app:1, to: [{H}/p/app:2, {H}/p/app:3]}}\n",
    f"operations:\n  - copy: {{from: {H}/p/app:1, to: {H}/q/app}}\n",
    f"operations:\n  - delete: {H}/p/app:1\n    artifact: true\n",
    f"operations:\n  - replicate: {{policy: 3, source: {H}}}\n",
    f"operations:\n  - replicate: {{from: ghcr.io/o/a:1, to: {H}/p/app:1}}\n",
    f"operations:\n  - sign: {H}/p/app:1\n",
    f"operations:\n  - sign: [{H}/p/app:1, {H}/p/app:2]\n    digest: {DIGEST}\n",
]

BAD = [
    ("[]\n", 1, "the plan must be a mapping"),
    ("operations: []\n", 1, '"operations" must be a non-empty list'),
    ("ops:\n  - push: x\n", 1, "the plan does not take 'ops'"),
    (
        "operations:\n  - pull: x\n",
        2,
        "names exactly one of push, retag, copy, delete, replicate, sign (found none)",
    ),
    (f"operations:\n  - push: {H}/p/app:1\n    retag: x\n", 2, "exactly one of"),
    (
        f"operations:\n  - push: {H}/p/app:1\n    digest: {DIGEST}\n    from: {H}/p/app:2\n",
        4,
        "not digest and from",
    ),
    (f"operations:\n  - push: {H}/p/app:1\n    digest: sha256:abc\n", 3, "has 64 hex digits"),
    ("operations:\n  - push: proj/app:1\n", 2, "names no registry host"),
    (f"operations:\n  - push: {H}/p/app:1\n    tag: x\n", 3, "a push does not take 'tag'"),
    (f"operations:\n  - retag: {{from: {H}/p/app:1}}\n", 2, 'retag needs "to:"'),
    (
        f"operations:\n  - copy: {{from: {H}/p/app:1, to: {H}/q/app:2}}\n",
        2,
        "is a repository, without a tag",
    ),
    (
        f"operations:\n  - delete: {H}/p/app:1\n    artifact: yes please\n",
        3,
        '"artifact" must be true or false',
    ),
    ("operations:\n  - replicate: {policy: zero}\n", 2, '"policy" must be a replication policy id'),
    (
        "operations:\n  - replicate: {policy: 3, source: 'http://h.io'}\n",
        2,
        '"source" is the registry host (harbor.example.com), not a URL',
    ),
    ("operations:\n  - push: 5\n", 2, '"push" must be a non-empty string'),
    (f"operations:\n  - sign: {H}/p/app:1\n    from: x\n", 3, "a sign does not take 'from'"),
    (f"operations:\n  - sign: {H}/p/app:1\n    digest: sha256:1\n", 3, "has 64 hex digits"),
]


@pytest.mark.parametrize("text", GOOD)
def test_good_plans(tmp_path: Path, text: str) -> None:
    plan = load_plan(write(tmp_path, text), {})
    assert len(plan.operations) == 1
    assert plan.operations[0].line == 2
    assert schema_accepts(text)


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_bad_plans_say_where(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(PlanError) as caught:
        load_plan(path, {})
    assert caught.value.message.startswith(f"{path}:{line}: ")
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [b for b in BAD if not any(w in b[2] for w in ("host", "64 hex", "is a repository"))],
)
def test_the_schema_refuses_the_same_structural_mistakes(
    text: str, line: int, message: str
) -> None:
    # Reference grammar and digest lengths are beyond the schema; the shapes are not.
    assert not schema_accepts(text)


def test_yaml_errors_and_duplicates(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match=r"plan.yml:3: not valid YAML"):
        load_plan(write(tmp_path, "operations:\n  - push: a\n   - b: [\n"), {})
    with pytest.raises(PlanError, match=r"plan.yml:3: 'push' is given twice"):
        load_plan(write(tmp_path, f"operations:\n  - push: {H}/p/a:1\n    push: {H}/p/a:2\n"), {})
    with pytest.raises(PlanError, match=r"plan.yml:1: the plan is empty"):
        load_plan(write(tmp_path, "# nothing\n"), {})


def test_environment_variables(tmp_path: Path) -> None:
    text = (
        f"operations:\n  - push: {H}/p/app:${{VERSION}}\n  - push: {H}/p/app:${{CHANNEL:-stable}}\n"
    )
    plan = load_plan(write(tmp_path, text), {"VERSION": "1.2.3"})
    assert [op.targets[0].tag for op in plan.operations] == ["1.2.3", "stable"]
    with pytest.raises(PlanError, match=r"plan.yml:2: \$\{VERSION\} is not set"):
        load_plan(write(tmp_path, text), {})


def test_the_fifty_operation_example() -> None:
    plan = load_plan(str(EXAMPLES / "release-plan.yml"), {})
    assert len(plan.operations) == 50
    assert schema_accepts((EXAMPLES / "release-plan.yml").read_text())
    lines = (EXAMPLES / "release-plan.yml").read_text().splitlines()
    for operation in plan.operations:
        assert lines[operation.line - 1].lstrip().startswith(f"- {operation.kind}")
