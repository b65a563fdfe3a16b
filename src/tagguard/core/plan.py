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
      - sign: harbor.example.com/proj/app:1.2.3       # cosign's push of sha256-<hex>.sig;
                                                     #    `recursive: true` for --recursive

Every mistake is reported as `file:line: what is wrong`. The same shape ships as a JSON
Schema (`tagguard/schemas/plan.schema.json`) for editors; the tests hold the two to agreement.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Set
from typing import Literal, TypeAlias

from tagguard.core.record import record
from tagguard.core.reference import Reference, parse_reference, validate_digest
from tagguard.core.state import one_signature
from tagguard.errors import InputError, TagguardError

Value: TypeAlias = "str | int | float | bool | list[Node] | dict[str, Node] | None"

KINDS = ("push", "retag", "copy", "delete", "replicate", "sign")
DIGEST_SOURCES = ("digest", "oci-layout", "metadata-file", "from")
_PUSH_FIELDS = frozenset(("push", *DIGEST_SOURCES))


class PlanError(InputError):
    """A plan that is not shaped as a plan; the message starts with `file:line:`."""


@record
class Node:
    value: Value
    line: int  # 1-based
    key_line: int | None = None  # for a mapping's value: the line of its key


# -- the operations: one type per kind, each with exactly the fields that kind takes ----------


@record
class Step:
    """What every operation has: the plan line that declares it, for messages and reports
    (always the first field, so that each kind is built as `Kind(line, ...)`)."""

    line: int


@record
class DigestFile:
    """A push's digest still in a file, as the plan names it (the shell reads it, relative to
    the plan's folder, before anything is checked)."""

    kind: Literal["oci-layout", "metadata-file"]
    path: str


@record
class Push(Step):
    targets: tuple[Reference, ...]
    # The image pushed: its digest, a file holding its digest, the image another reference
    # names (`from:`, any registry), or None when the plan does not say (its digest unknown).
    image: str | DigestFile | Reference | None = None


@record
class Transfer(Step):
    """A step that writes the image `source` names under each of `targets`: a retag or an
    explicit replication, which differ in what Harbor does around the write, not in what
    the plan says."""

    source: Reference  # any registry
    targets: tuple[Reference, ...]


@record
class Retag(Transfer):
    """A tag written from another reference's image (`docker tag` and push, `crane tag`)."""


@record
class Copy(Step):
    """Harbor's copy of a whole artifact into another repository of a Harbor."""

    source: Reference
    destination: Reference  # a repository: no tag, no digest


@record
class Delete(Step):
    targets: tuple[Reference, ...]
    artifact: bool = False  # the whole artifact, not only the tag


@record
class Sign(Step):
    """cosign's push of each target's signature by tag (`sha256-<hex>.sig`)."""

    targets: tuple[Reference, ...]
    digest: str | None = None  # the signature's own digest, when known
    recursive: bool = False  # cosign sign --recursive: each image an index references too


@record
class Replicate(Transfer):
    """One explicit replication step (`crane copy`, `skopeo copy`): `source` to `targets`."""


@record
class ReplicatePolicy(Step):
    """A push-based replication policy of a Harbor, run whole."""

    policy: int
    source_host: str | None = None  # the Harbor holding it; None: the run's --source


PlanOperation: TypeAlias = Push | Retag | Copy | Delete | Sign | Replicate | ReplicatePolicy


def harbor_references(operation: PlanOperation) -> tuple[Reference, ...]:
    """The references an operation needs in a Harbor repository: what it writes or deletes,
    and a copy's source (Harbor copies within itself)."""
    match operation:
        case Copy():
            return (operation.source, operation.destination)
        case ReplicatePolicy():
            return ()
        case _:
            return operation.targets


def source_references(operation: PlanOperation) -> tuple[Reference, ...]:
    """The image an operation reads from any registry: a retag's or a replication step's
    source, a push's `from:`."""
    match operation:
        case Transfer():
            return (operation.source,)
        case Push(image=Reference() as source):
            return (source,)
        case _:
            return ()


@record
class Plan:
    file: str
    operations: tuple[PlanOperation, ...]

    def harbor_references(self) -> list[Reference]:
        """Every reference the plan needs in a Harbor (whose Harbors the run connects to)."""
        return [ref for operation in self.operations for ref in harbor_references(operation)]

    def source_references(self) -> list[Reference]:
        """Every image the plan reads from any registry."""
        return [ref for operation in self.operations for ref in source_references(operation)]

    def references(self) -> Iterator[Reference]:
        """Every reference the plan writes, deletes or reads, operation by operation: the
        order in which checking it needs their answers. Made as they are read: sources
        that need no questions ahead (files) read none."""
        for operation in self.operations:
            yield from harbor_references(operation)
            yield from source_references(operation)

    def policy_hosts(self) -> list[str]:
        """The Harbors the plan names as holding a replication policy."""
        return [
            operation.source_host
            for operation in self.operations
            if isinstance(operation, ReplicatePolicy) and operation.source_host is not None
        ]


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
        found = ", ".join(kinds) or "none"
        if fields and not kinds:  # name what it has: a misspelt kind (`pussh:`), most often
            found += "; the step has " + ", ".join(map(repr, fields))
        raise fail(node, f"an operation names exactly one of {', '.join(KINDS)} (found {found})")
    kind = kinds[0]
    if kind == "push":
        return _push(node.line, fields, fail)
    if kind == "delete":
        return _delete(node.line, fields, fail)
    if kind == "sign":
        return _sign(node.line, fields, fail)
    _only(fields, {kind}, f"a {kind}", fail)
    value = fields[kind]
    inner = _mapping(value, f"{kind}", fail)
    if kind == "replicate" and "policy" in inner:
        return _replicate_policy(node.line, inner, fail)
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
        return Copy(node.line, source, destination)
    targets = _references(inner["to"], "to", fail)
    if kind == "replicate":
        return Replicate(node.line, source, targets)
    return Retag(node.line, source, targets)


def _push(line: int, fields: Mapping[str, Node], fail: Fail) -> Push:
    _only(fields, _PUSH_FIELDS, "a push", fail)
    given = [name for name in DIGEST_SOURCES if name in fields]
    if len(given) > 1:
        raise fail(fields[given[1]], f"a push takes its digest one way, not {' and '.join(given)}")
    image: str | DigestFile | Reference | None = None
    if given:
        way = given[0]
        text = _string(fields[way], way, fail)
        if way == "from":
            image = _reference(fields[way], text, fail, harbor=False)
        elif way == "digest":
            image = _digest(fields[way], text, fail)
        else:
            image = DigestFile("oci-layout" if way == "oci-layout" else "metadata-file", text)
    return Push(line, _references(fields["push"], "push", fail), image)


def _delete(line: int, fields: Mapping[str, Node], fail: Fail) -> Delete:
    _only(fields, {"delete", "artifact"}, "a delete", fail)
    artifact = fields.get("artifact")
    if artifact is not None and not isinstance(artifact.value, bool):
        raise fail(artifact, '"artifact" must be true or false')
    targets = _references(fields["delete"], "delete", fail)
    return Delete(line, targets, artifact=bool(artifact and artifact.value))


def _sign(line: int, fields: Mapping[str, Node], fail: Fail) -> Sign:
    _only(fields, {"sign", "digest", "recursive"}, "a sign", fail)
    recursive = fields.get("recursive")
    if recursive is not None and not isinstance(recursive.value, bool):
        raise fail(recursive, '"recursive" must be true or false')
    digest = None
    if "digest" in fields:
        digest = _digest(fields["digest"], _string(fields["digest"], "digest", fail), fail)
        if recursive is not None and recursive.value:
            raise fail(recursive, one_signature('"digest"', '"recursive"'))
    targets = _references(fields["sign"], "sign", fail)
    return Sign(line, targets, digest, recursive=bool(recursive and recursive.value))


def _replicate_policy(line: int, inner: Mapping[str, Node], fail: Fail) -> ReplicatePolicy:
    _only(inner, {"policy", "source"}, "replicate", fail)
    policy = inner["policy"]
    # An integral float (`12.0`) is the id as JSON Schema counts integers, and so the
    # shipped schema (an editor) accepts it: read it as the integer it is.
    value = policy.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fail(policy, '"policy" must be a replication policy id (a positive integer)')
    source_host = _string(inner["source"], "source", fail).lower() if "source" in inner else None
    if source_host is not None and "://" in source_host:
        raise fail(
            inner["source"],
            '"source" is the registry host (harbor.example.com), not a URL; '
            "use --plain-http for a Harbor on plain HTTP",
        )
    return ReplicatePolicy(line, value, source_host)


def _digest(node: Node, text: str, fail: Fail) -> str:
    try:
        return validate_digest(text, "digest")
    except TagguardError as error:
        raise fail(node, error.message) from None


def _mapping(node: Node, what: str, fail: Fail) -> dict[str, Node]:
    if not isinstance(node.value, dict):
        raise fail(node, f"{what} must be a mapping (key: value)")
    return node.value


def _only(fields: Mapping[str, Node], allowed: Set[str], what: str, fail: Fail) -> None:
    if fields.keys() <= allowed:  # the usual case, in one step; else the first stranger
        return
    for key, node in fields.items():
        if key not in allowed:
            at = Node(node.value, node.key_line or node.line)
            raise fail(at, f"{what} does not take {key!r} (it takes {', '.join(sorted(allowed))})")


def _string(node: Node, key: str, fail: Fail) -> str:
    if not isinstance(node.value, str) or not node.value:
        raise fail(node, f'"{key}" must be a non-empty string')
    return node.value


def _references(node: Node, key: str, fail: Fail) -> tuple[Reference, ...]:
    if not isinstance(node.value, list):  # one reference, as most operations name
        return (_reference(node, _string(node, key, fail), fail),)
    if not node.value:
        raise fail(node, f'"{key}" lists no references')
    return tuple([_reference(item, _string(item, key, fail), fail) for item in node.value])


def _reference(
    node: Node, text: str, fail: Fail, *, harbor: bool = True, default_tag: str | None = "latest"
) -> Reference:
    try:
        return _parsed(text, harbor, default_tag)
    except TagguardError as error:
        raise fail(node, error.message) from None


@functools.lru_cache(maxsize=4096)
def _parsed(text: str, harbor: bool, default_tag: str | None) -> Reference:
    """`parse_reference`, a text read once while it is among the last 4,096 read: a plan
    names most references more than once (pushed, retagged from, deleted), and a Reference
    is a value. A refused text is read again each time (the cache keeps no error)."""
    return parse_reference(text, harbor=harbor, default_tag=default_tag)
