"""Release plans: every operation of a release, checked before any of them runs.

A plan is YAML (read by `shell.plan_file` into `Node`s that remember their line):

    operations:
      - push: harbor.example.com/proj/app:1.2.3      # or a list of references
        digest: sha256:...                           # or oci-layout: DIR[:REF],
                                                     #    metadata-file: FILE, from: REF
      - retag: {from: REF, to: REF}                  # `to` may be a list
      - copy: {from: REF, to: harbor.example.com/proj/other-repo}
      - delete: REF                                  # or a list; `artifact: true` for artifacts
      - replicate: {policy: 12, source: harbor.example.com}   # or {from: REF, to: REF}
      - sign: harbor.example.com/proj/app:1.2.3       # cosign's push of sha256-<hex>.sig

Every mistake is reported as `file:line: what is wrong`. The same shape ships as a JSON
Schema (`tagguard/schemas/plan.schema.json`) for editors; the tests hold the two to agreement.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from tagguard.core.reference import Reference, parse_reference, validate_digest
from tagguard.errors import InputError, TagguardError

Value: TypeAlias = "str | int | float | bool | list[Node] | dict[str, Node] | None"

KINDS = ("push", "retag", "copy", "delete", "replicate", "sign")
DIGEST_SOURCES = ("digest", "oci-layout", "metadata-file", "from")


class PlanError(InputError):
    """A plan that is not shaped as a plan; the message starts with `file:line:`."""


@dataclass(frozen=True)
class Node:
    value: Value
    line: int  # 1-based
    key_line: int | None = None  # for a mapping's value: the line of its key


@dataclass(frozen=True)
class PlanOperation:
    kind: str
    line: int
    targets: tuple[Reference, ...] = ()
    source: Reference | None = None  # retag/copy/replicate from; push `from`
    destination: Reference | None = None  # copy: a repository
    digest_source: tuple[str, str] | None = (
        None  # ("digest" | "oci-layout" | "metadata-file", value)
    )
    artifact: bool = False
    policy: int | None = None
    policy_source: str | None = None


@dataclass(frozen=True)
class Plan:
    file: str
    operations: tuple[PlanOperation, ...]


def parse_plan(root: Node, file: str) -> Plan:
    """The operations of a plan tree, validated; raises PlanError with file:line."""

    def fail(node: Node, message: str) -> PlanError:
        return PlanError(f"{file}:{node.line}: {message}")

    body = _mapping(root, "the plan", fail)
    _only(body, {"operations"}, "the plan", fail)
    if "operations" not in body:
        raise fail(root, 'the plan needs "operations:", a list of operations')
    items = body["operations"]
    if not isinstance(items.value, list) or not items.value:
        raise fail(items, '"operations" must be a non-empty list')
    return Plan(file, tuple(_operation(item, fail) for item in items.value))


Fail = Callable[[Node, str], PlanError]


def _operation(node: Node, fail: Fail) -> PlanOperation:
    fields = _mapping(node, "an operation", fail)
    kinds = [k for k in fields if k in KINDS]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        raise fail(node, f"an operation names exactly one of {', '.join(KINDS)} (found {found})")
    kind = kinds[0]
    value = fields[kind]
    if kind == "push":
        _only(fields, {"push", *DIGEST_SOURCES}, "a push", fail)
        given = [name for name in DIGEST_SOURCES if name in fields]
        if len(given) > 1:
            raise fail(
                fields[given[1]], f"a push takes its digest one way, not {' and '.join(given)}"
            )
        digest_source = None
        source = None
        if given:
            text = _string(fields[given[0]], given[0], fail)
            if given[0] == "from":
                source = _reference(fields[given[0]], text, fail, harbor=False)
            else:
                if given[0] == "digest":
                    _checked(fields[given[0]], fail, lambda: validate_digest(text, "digest"))
                digest_source = (given[0], text)
        return PlanOperation(
            "push",
            node.line,
            _references(value, "push", fail),
            source=source,
            digest_source=digest_source,
        )
    if kind == "delete":
        _only(fields, {"delete", "artifact"}, "a delete", fail)
        artifact = fields.get("artifact")
        if artifact is not None and not isinstance(artifact.value, bool):
            raise fail(artifact, '"artifact" must be true or false')
        return PlanOperation(
            "delete",
            node.line,
            _references(value, "delete", fail),
            artifact=bool(artifact and artifact.value),
        )
    if kind == "sign":
        _only(fields, {"sign", "digest"}, "a sign", fail)
        signature = None
        if "digest" in fields:
            text = _string(fields["digest"], "digest", fail)
            _checked(fields["digest"], fail, lambda: validate_digest(text, "digest"))
            signature = ("digest", text)
        return PlanOperation(
            "sign", node.line, _references(value, "sign", fail), digest_source=signature
        )
    _only(fields, {kind}, f"a {kind}", fail)
    inner = _mapping(value, f"{kind}", fail)
    if kind == "replicate" and "policy" in inner:
        _only(inner, {"policy", "source"}, "replicate", fail)
        policy = inner["policy"]
        if not isinstance(policy.value, int) or isinstance(policy.value, bool) or policy.value < 1:
            raise fail(policy, '"policy" must be a replication policy id (a positive integer)')
        source_host = (
            _string(inner["source"], "source", fail).lower() if "source" in inner else None
        )
        if source_host is not None and "://" in source_host:
            raise fail(
                inner["source"],
                '"source" is the registry host (harbor.example.com), not a URL; '
                "use --plain-http for a Harbor on plain HTTP",
            )
        return PlanOperation("replicate", node.line, policy=policy.value, policy_source=source_host)
    _only(inner, {"from", "to"}, kind, fail)
    for key in ("from", "to"):
        if key not in inner:
            raise fail(value, f'{kind} needs "{key}:"')
    source = _reference(
        inner["from"], _string(inner["from"], "from", fail), fail, harbor=kind == "copy"
    )
    if kind == "copy":
        text = _string(inner["to"], "to", fail)
        destination = _reference(inner["to"], text, fail, default_tag=None)
        if destination.tag is not None or destination.digest is not None:
            raise fail(inner["to"], f'copy\'s "to" is a repository, without a tag: {text!r}')
        return PlanOperation("copy", node.line, source=source, destination=destination)
    return PlanOperation(kind, node.line, _references(inner["to"], "to", fail), source=source)


def _mapping(node: Node, what: str, fail: Fail) -> dict[str, Node]:
    if not isinstance(node.value, dict):
        raise fail(node, f"{what} must be a mapping (key: value)")
    return node.value


def _only(fields: Mapping[str, Node], allowed: set[str], what: str, fail: Fail) -> None:
    for key, node in fields.items():
        if key not in allowed:
            at = Node(node.value, node.key_line or node.line)
            raise fail(at, f"{what} does not take {key!r} (it takes {', '.join(sorted(allowed))})")


def _string(node: Node, key: str, fail: Fail) -> str:
    if not isinstance(node.value, str) or not node.value:
        raise fail(node, f'"{key}" must be a non-empty string')
    return node.value


def _references(node: Node, key: str, fail: Fail) -> tuple[Reference, ...]:
    items = node.value if isinstance(node.value, list) else [node]
    if not items:
        raise fail(node, f'"{key}" lists no references')
    return tuple(_reference(item, _string(item, key, fail), fail) for item in items)


def _reference(
    node: Node, text: str, fail: Fail, *, harbor: bool = True, default_tag: str | None = "latest"
) -> Reference:
    return _checked(
        node, fail, lambda: parse_reference(text, harbor=harbor, default_tag=default_tag)
    )


T = TypeVar("T")


def _checked(node: Node, fail: Fail, parse: Callable[[], T]) -> T:
    try:
        return parse()
    except TagguardError as error:
        raise fail(node, error.message) from None
