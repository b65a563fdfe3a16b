"""Reading a plan file: YAML into line-aware nodes, with `${VAR}` from the environment.

`${NAME}` is replaced by the variable's value and `${NAME:-default}` by the default when it
is unset or empty; an unset variable without a default is an error at its line. File paths in
a plan (`oci-layout`, `metadata-file`) are relative to the plan's folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from tagguard.core.plan import (
    DigestFile,
    Node,
    Plan,
    PlanError,
    PlanOperation,
    Push,
    parse_plan,
)
from tagguard.errors import FileError
from tagguard.shell.digests import digest_from_metadata_file, digest_from_oci_layout
from tagguard.shell.files import read_text

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
MAX_PLAN_BYTES = 4 * 1024 * 1024


def plan_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment a plan's `${VAR}` sees, plus `GIT_TAG`: the git tag being released,
    from a pre-push hook (`PRE_COMMIT_REMOTE_BRANCH=refs/tags/X`), GitLab (`CI_COMMIT_TAG`)
    or GitHub (`GITHUB_REF=refs/tags/X`), unless GIT_TAG is set already."""
    found = dict(env)
    if not found.get("GIT_TAG"):
        for name in ("PRE_COMMIT_REMOTE_BRANCH", "GITHUB_REF"):
            ref = found.get(name, "")
            if ref.startswith("refs/tags/"):
                found["GIT_TAG"] = ref.removeprefix("refs/tags/")
                break
        else:
            if found.get("CI_COMMIT_TAG"):
                found["GIT_TAG"] = found["CI_COMMIT_TAG"]
    return found


def load_plan(path: str, env: Mapping[str, str]) -> Plan:
    text = read_text(path, MAX_PLAN_BYTES)
    return parse_plan(_tree(text, path, env), path)


def _tree(text: str, path: str, env: Mapping[str, str]) -> Node:
    import yaml

    try:
        # libyaml's loader when PyYAML has it: ten times faster on a large plan.
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        root = yaml.compose(text, Loader=loader)
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
    return _node(root, path, env, depth=0)


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


def _node(node: object, path: str, env: Mapping[str, str], depth: int) -> Node:
    import yaml

    assert isinstance(node, yaml.Node)
    line = node.start_mark.line + 1
    if depth > 64:
        raise PlanError(f"{path}:{line}: nested too deeply")
    if isinstance(node, yaml.MappingNode):
        fields: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = _node(key_node, path, env, depth + 1)
            if not isinstance(key.value, str):
                raise PlanError(f"{path}:{key.line}: keys must be strings")
            if key.value in fields:
                raise PlanError(f"{path}:{key.line}: {key.value!r} is given twice")
            value = _node(value_node, path, env, depth + 1)
            fields[key.value] = Node(value.value, value.line, key.line)
        return Node(fields, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_node(item, path, env, depth + 1) for item in node.value], line)
    assert isinstance(node, yaml.ScalarNode)
    return Node(_scalar(node, path, env, line), line)


def _scalar(
    node: object, path: str, env: Mapping[str, str], line: int
) -> str | int | float | bool | None:
    import yaml

    assert isinstance(node, yaml.ScalarNode)
    tag, text = node.tag, node.value
    if tag.rsplit(":", 1)[-1] in ("null", "bool", "int", "float"):
        # PyYAML's own reading of what its resolver tagged: YAML 1.1 has '0b1', '+0x1F',
        # '1:30' (base 60) and '.inf', which int() and float() do not.
        try:
            value: str | int | float | bool | None = (
                yaml.constructor.SafeConstructor().construct_object(node)
            )
        except ValueError:
            raise PlanError(f"{path}:{line}: {text!r} is not a number YAML can read") from None
        return value
    return _substitute(text, path, env, line)


def _substitute(text: str, path: str, env: Mapping[str, str], line: int) -> str:
    def value(found: re.Match[str]) -> str:
        name, default = found.group(1), found.group(2)
        current = env.get(name)
        if current:
            return current
        if default is not None:
            return default
        raise PlanError(
            f"{path}:{line}: ${{{name}}} is not set (write ${{{name}:-default}} for a default)"
        )

    return _VARIABLE.sub(value, text)


def resolve_digest_files(plan: Plan) -> Plan:
    """Reads the digests that pushes take from files (paths relative to the plan's folder)."""
    folder = Path(plan.file).parent
    operations: list[PlanOperation] = []
    for operation in plan.operations:
        if isinstance(operation, Push) and isinstance(operation.image, DigestFile):
            digest = _read_digest(operation.image, folder, f"{plan.file}:{operation.line}")
            operation = replace(operation, image=digest)  # noqa: PLW2901 - the resolved one
        operations.append(operation)
    return replace(plan, operations=tuple(operations))


def _read_digest(given: DigestFile, folder: Path, where: str) -> str:
    location = given.path if Path(given.path).is_absolute() else str(folder / given.path)
    try:
        if given.kind == "oci-layout":
            return digest_from_oci_layout(location)
        return digest_from_metadata_file(location)
    except FileError as error:
        raise PlanError(f"{where}: {error.message}") from None
