"""Reading a plan file: YAML into line-aware nodes, with `${VAR}` from the environment.

`${NAME}` is replaced by the variable's value and `${NAME:-default}` by the default when it
is unset or empty; an unset variable without a default is an error at its line. File paths in
a plan (`oci-layout`, `metadata-file`) are relative to the plan's folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tagguard.core.plan import (
    DigestFile,
    Plan,
    PlanError,
    PlanOperation,
    Push,
    parse_plan,
)
from tagguard.core.record import replace
from tagguard.errors import FileError
from tagguard.shell.plan_block import block_tree
from tagguard.shell.reading import read_text

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
    tree = block_tree(text, path, env)
    if tree is None:  # beyond plain block YAML: PyYAML, some 12 ms to import, reads it
        from tagguard.shell.plan_yaml import plan_tree

        tree = plan_tree(text, path, env)
    return parse_plan(tree, path)


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


def digest_files(plan: Plan) -> dict[str, str]:
    """The files the plan's pushes read their digests from, each named by where the plan
    names it (`plan.yml:4 oci-layout:`): no report may be written over one."""
    folder = Path(plan.file).parent
    found: dict[str, str] = {}
    for operation in plan.operations:
        if isinstance(operation, Push) and isinstance(operation.image, DigestFile):
            from tagguard.shell.digests import layout_index  # see _read_digest

            given = operation.image
            location = _location(given, folder)
            read = layout_index(location) if given.kind == "oci-layout" else location
            found[f"{plan.file}:{operation.line} {given.kind}: {given.path}"] = read
    return found


def _read_digest(given: DigestFile, folder: Path, where: str) -> str:
    # The digest readers, for the plans that name a file (most give digests).
    from tagguard.shell.digests import digest_from_metadata_file, digest_from_oci_layout

    location = _location(given, folder)
    try:
        if given.kind == "oci-layout":
            return digest_from_oci_layout(location, option="oci-layout:", written=given.path)
        return digest_from_metadata_file(location)
    except FileError as error:
        raise PlanError(f"{where}: {error.message}") from None


def _location(given: DigestFile, folder: Path) -> str:
    """Where a digest file the plan names is: relative paths are the plan's folder's."""
    return given.path if Path(given.path).is_absolute() else str(folder / given.path)
