"""Release plans: the shape, every mistake at its line, and the shipped JSON Schema agreeing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regress
import yaml

from tagguard.core.plan import (
    Copy,
    Delete,
    DigestFile,
    PlanError,
    PlanOperation,
    Push,
    Replicate,
    ReplicatePolicy,
    Retag,
    Sign,
)
from tagguard.core.reference import parse_reference
from tagguard.shell.plan_file import load_plan
from tests.conftest import EXAMPLES

DIGEST = "sha256:" + "a" * 64
H = "h.io"
# The YAML key that names each kind of operation.
KEYWORDS: dict[type, str] = {
    Push: "push",
    Retag: "retag",
    Copy: "copy",
    Delete: "delete",
    Sign: "sign",
    Replicate: "replicate",
    ReplicatePolicy: "replicate",
}


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
    f"operations:\n  - sign: {H}/p/app:1\n    recursive: true\n",
]

BAD = [
    ("[]\n", 1, "the plan must be a mapping"),
    ("operations: []\n", 1, '"operations" must be a non-empty list'),
    ("ops:\n  - push: x\n", 1, "the plan does not take 'ops'"),
    (
        "operations:\n  - pull: x\n",
        2,
        "names exactly one of push, retag, copy, delete, replicate, sign (found none; "
        "the step has 'pull')",
    ),
    ("operations:\n  - {}\n", 2, "delete, replicate, sign (found none)"),
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
    (f"operations:\n  - sign: {H}/p/app:1\n    recursive: 1\n", 3, '"recursive" must be true or'),
    (
        f"operations:\n  - sign: {H}/p/app:1\n    digest: {DIGEST}\n    recursive: true\n",
        4,
        'leave out "digest" with "recursive"',
    ),
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


@pytest.mark.parametrize(("text", "line", "message"), BAD)
def test_the_schema_refuses_the_same_mistakes(text: str, line: int, message: str) -> None:
    # The reference grammar and digests too: an editor flags what tagguard refuses.
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
    pushes = [op for op in plan.operations if isinstance(op, Push)]
    assert [op.targets[0].tag for op in pushes] == ["1.2.3", "stable"]
    with pytest.raises(PlanError, match=r"plan.yml:2: \$\{VERSION\} is not set"):
        load_plan(write(tmp_path, text), {})


def test_the_fifty_operation_example() -> None:
    plan = load_plan(str(EXAMPLES / "release-plan.yml"), {})
    assert len(plan.operations) == 50
    assert schema_accepts((EXAMPLES / "release-plan.yml").read_text())
    lines = (EXAMPLES / "release-plan.yml").read_text().splitlines()
    for operation in plan.operations:
        assert lines[operation.line - 1].lstrip().startswith(f"- {KEYWORDS[type(operation)]}")


def ref(text: str, default_tag: str | None = "latest"):  # type: ignore[no-untyped-def]
    return parse_reference(text, default_tag=default_tag)


# Each kind, as YAML, and the one value it parses to: exactly its fields.
KINDS: list[tuple[str, PlanOperation]] = [
    (f"push: {H}/p/app:1\ndigest: {DIGEST}", Push(2, (ref(f"{H}/p/app:1"),), DIGEST)),
    (f"push: {H}/p/app:1", Push(2, (ref(f"{H}/p/app:1"),))),
    (
        f"push: {H}/p/app:1\nfrom: ghcr.io/o/app:1",
        Push(2, (ref(f"{H}/p/app:1"),), parse_reference("ghcr.io/o/app:1", harbor=False)),
    ),
    (
        f"push: {H}/p/app:1\noci-layout: out:app",
        Push(2, (ref(f"{H}/p/app:1"),), DigestFile("oci-layout", "out:app")),
    ),
    (
        f"push: {H}/p/app:1\nmetadata-file: meta.json",
        Push(2, (ref(f"{H}/p/app:1"),), DigestFile("metadata-file", "meta.json")),
    ),
    (
        f"retag: {{from: {H}/p/app:1, to: [{H}/p/app:2, {H}/p/app:3]}}",
        Retag(2, ref(f"{H}/p/app:1"), (ref(f"{H}/p/app:2"), ref(f"{H}/p/app:3"))),
    ),
    (
        f"copy: {{from: {H}/p/app:1, to: {H}/q/app}}",
        Copy(2, ref(f"{H}/p/app:1"), ref(f"{H}/q/app", None)),
    ),
    (f"delete: {H}/p/app:1", Delete(2, (ref(f"{H}/p/app:1"),))),
    (f"delete: [{H}/p/app:1]\nartifact: true", Delete(2, (ref(f"{H}/p/app:1"),), True)),
    (f"sign: {H}/p/app:1", Sign(2, (ref(f"{H}/p/app:1"),))),
    (f"sign: {H}/p/app:1\ndigest: {DIGEST}", Sign(2, (ref(f"{H}/p/app:1"),), DIGEST)),
    (f"sign: {H}/p/app:1\nrecursive: true", Sign(2, (ref(f"{H}/p/app:1"),), recursive=True)),
    ("replicate: {policy: 3}", ReplicatePolicy(2, 3)),
    ("replicate: {policy: 3, source: H.io}", ReplicatePolicy(2, 3, "h.io")),
    (
        f"replicate: {{from: ghcr.io/o/a:1, to: {H}/p/app:1}}",
        Replicate(2, parse_reference("ghcr.io/o/a:1", harbor=False), (ref(f"{H}/p/app:1"),)),
    ),
]


@pytest.mark.parametrize(("yaml_text", "expected"), KINDS)
def test_each_kind_parses_to_its_own_type(
    tmp_path: Path, yaml_text: str, expected: PlanOperation
) -> None:
    body = "".join(f"    {line}\n" for line in yaml_text.splitlines()).replace("    ", "  - ", 1)
    (operation,) = load_plan(write(tmp_path, f"operations:\n{body}"), {}).operations
    assert operation == expected
    assert type(operation) is type(expected)


def test_every_kind_keyword_has_a_type() -> None:
    assert set(KEYWORDS.values()) == {"push", "retag", "copy", "delete", "replicate", "sign"}


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        # The first problem in the order the keys are read: the digest before the targets.
        ("push: proj/app:1\n    digest: sha256:1", "has 64 hex digits"),
        (f"push: {H}/p/app:1\n    oci-layout: 5", '"oci-layout" must be a non-empty string'),
        ("push: proj/app:1\n    from: 5", '"from" must be a non-empty string'),
        ("delete: proj/app:1\n    artifact: 1", '"artifact" must be true or false'),
        ("sign: proj/app:1\n    digest: x", "is not a digest"),
        (f"copy: {{from: {H}/p/a:1}}", 'copy needs "to:"'),
        (f"replicate: {{to: {H}/p/a:1}}", 'replicate needs "from:"'),
        ("replicate: {policy: 3, from: x}", "replicate does not take 'from'"),
        ("replicate: {policy: true}", '"policy" must be a replication policy id'),
        (f"retag: {{from: {H}/p/a:1, to: []}}", '"to" lists no references'),
        (f"retag: {{from: {H}/p/a:1, to: {H}/p/a:2}}\n    digest: {DIGEST}", "does not take"),
    ],
)
def test_invalid_combinations_are_refused(tmp_path: Path, operation: str, message: str) -> None:
    with pytest.raises(PlanError, match=r"plan.yml:\d+: ") as caught:
        load_plan(write(tmp_path, f"operations:\n  - {operation}\n"), {})
    assert message in caught.value.message


def test_a_reference_named_again_is_read_as_it_was_in_its_own_place(tmp_path: Path) -> None:
    """Each distinct text is parsed once (`core.plan._parsed`), but as its place reads it:
    `nginx:1` is a retag's source from Docker Hub, yet no push target (every push must
    name a Harbor); a repository without a tag is `latest` where a push names it, and stays
    without a tag where a copy's destination does."""
    text = (
        "operations:\n"
        f"  - push: {H}/p/app:1\n"
        f"    digest: {DIGEST}\n"
        f"  - retag: {{from: {H}/p/app:1, to: {H}/p/app:2}}\n"
        f"  - delete: {H}/p/app:1\n"
        f"  - retag: {{from: nginx:1, to: {H}/p/app:3}}\n"
        f"  - push: {H}/p/app\n"
        f"  - copy: {{from: {H}/p/app:2, to: {H}/p/app}}\n"
    )
    push, retag, delete, from_hub, untagged, copy = load_plan(write(tmp_path, text), {}).operations
    assert isinstance(push, Push)
    assert isinstance(retag, Retag)
    assert isinstance(delete, Delete)
    assert push.targets[0] == retag.source == delete.targets[0] == parse_reference(f"{H}/p/app:1")
    assert isinstance(from_hub, Retag)
    assert from_hub.source == parse_reference("nginx:1", harbor=False)
    assert isinstance(untagged, Push)
    assert untagged.targets[0].tag == "latest"
    assert isinstance(copy, Copy)
    assert copy.destination.tag is None
    assert untagged.targets[0].repository == copy.destination.repository == "p/app"
    with pytest.raises(PlanError, match=r"plan.yml:6: "):
        load_plan(write(tmp_path, text.replace(f"to: {H}/p/app:3", "to: nginx:1")), {})


def test_a_plan_says_which_references_need_a_harbor(tmp_path: Path) -> None:
    text = (
        "operations:\n"
        f"  - push: {H}/p/app:1\n    from: ghcr.io/o/app:1\n"
        f"  - retag: {{from: docker.io/library/alpine:3, to: {H}/p/app:2}}\n"
        f"  - copy: {{from: {H}/p/app:1, to: {H}/q/app}}\n"
        f"  - delete: {H}/p/app:old\n"
        f"  - sign: {H}/p/app:1\n"
        f"  - replicate: {{policy: 4, source: other.io}}\n"
        f"  - replicate: {{policy: 5}}\n"
    )
    plan = load_plan(write(tmp_path, text), {})
    assert [r.original for r in plan.harbor_references()] == [
        f"{H}/p/app:1",
        f"{H}/p/app:2",
        f"{H}/p/app:1",
        f"{H}/q/app",
        f"{H}/p/app:old",
        f"{H}/p/app:1",
    ]
    assert [r.original for r in plan.source_references()] == [
        "ghcr.io/o/app:1",
        "docker.io/library/alpine:3",
    ]
    # What the check asks ahead: operation by operation, what it writes, then its source.
    assert [r.original for r in plan.references()] == [
        f"{H}/p/app:1",
        "ghcr.io/o/app:1",
        f"{H}/p/app:2",
        "docker.io/library/alpine:3",
        f"{H}/p/app:1",
        f"{H}/q/app",
        f"{H}/p/app:old",
        f"{H}/p/app:1",
    ]
    assert plan.policy_hosts() == ["other.io"]


# ------------------------------------------- the schema and the reader agree, engine by engine


# check-jsonschema (pre-commit) matches `pattern` with an ECMAScript engine (regress), not
# Python's `re`: the schema must say the same in both, and in each as tagguard's reader.
def _ecma_pattern(
    _validator: object, pattern: str, instance: object, _schema: object
) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, str) and not regress.Regex(pattern, flags="u").find(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


# types-jsonschema leaves `extend` untyped.
ECMA_VALIDATOR = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft7Validator, {"pattern": _ecma_pattern}
)


def one_step(step: str) -> str:
    return f"operations:\n  - {step}\n"


# Documents a differential fuzz of schema and reader found answered differently (the schema
# took any non-empty text for a reference, `$` let a digest end in a newline, a policy id
# written 12.0 is an integer to JSON Schema), and their neighbours on the other side.
AGREEMENT: list[tuple[str, bool]] = [
    (one_step("push: proj/app:1"), False),  # no host: Docker Hub, no Harbor
    (one_step("push: nginx"), False),
    (one_step(f"push: {H}/p/app:" + "a" * 128), True),  # Harbor's longest tag
    (one_step(f"push: {H}/p/app:" + "a" * 129), False),
    (one_step(f"push: {H}/p/" + "a" * 253), True),  # a 255-character repository path
    (one_step(f"push: {H}/p/" + "a" * 254), False),
    (one_step(f"push: {H}:65536/p/a"), False),
    (one_step(f"push: {H}:00080/p/a"), True),
    (one_step("push: '[::1]:5000/p/a:1'"), True),
    (one_step("push: '[fe80::1%eth0]/p/a:1'"), False),  # docker takes no zone
    (one_step("push: H.IO/p/app:1"), True),  # an upper-case first segment is a host
    (one_step(f"push: {H}/P/app:1"), False),
    (one_step(f"push: {H}/p__q/app"), False),  # a project takes single separators only
    (one_step(f"push: {H}/p/a__b"), True),
    (one_step(f"push: 'https://{H}/p/a'"), False),
    (one_step(f"delete: {H}/p/app@sha1:" + "a" * 40), False),
    (one_step(f"delete: {H}/p/app@sha384:" + "c" * 96), True),
    (one_step(f"retag: {{from: 'nginx:1.25', to: {H}/p/app:1}}"), True),  # any registry
    (one_step(f"retag: {{from: 'a_b.c/x', to: {H}/p/app:1}}"), False),  # a host, misspelt
    (one_step(f"retag: {{from: '{'a' * 64}', to: {H}/p/app:1}}"), False),  # an image id
    (one_step(f"copy: {{from: {H}/p/app:1, to: {H}/q/app:2}}"), False),
    (one_step(f"copy: {{from: nginx, to: {H}/q/app}}"), False),  # a copy stays in Harbor
    (one_step(f"push: {H}/p/app:1\n    digest: |\n      {DIGEST}"), False),  # ends in \n
    (one_step(f"push: {H}/p/app:1\n    digest: ${{DIGEST}}"), True),
    (one_step(f"push: {H}/p/app:${{VERSION:-1}}"), True),
    (one_step(f"push: {H}/p/app:${{A:=x}}"), False),  # not a form the reader knows
    (one_step(f"push: {H}/p/app:$${{A}}{{"), False),  # `${` once ${A} is read
    (one_step(f"replicate: {{policy: 3, source: 'http://{H}'}}"), False),
    (one_step("replicate: {policy: 12.0}"), True),
    (one_step("replicate: {policy: 0.0}"), False),
]


@pytest.mark.parametrize(("text", "good"), AGREEMENT)
def test_the_schema_and_the_reader_agree(tmp_path: Path, text: str, good: bool) -> None:
    data = yaml.safe_load(text)
    assert jsonschema.Draft7Validator(schema()).is_valid(data) == good
    assert ECMA_VALIDATOR(schema()).is_valid(data) == good
    try:
        load_plan(write(tmp_path, text), {"DIGEST": DIGEST})
    except PlanError:
        assert not good
    else:
        assert good
