"""The test Harbor's artifact graph: what Harbor's database holds beside the tags.

Per (project, repository): each artifact row (`Node`: id, media type, size, push time, the
children an image index references, label names) and the accessory rows (`Link`) that tie
a signature, SBOM or other accessory artifact to its subject. Harbor keeps these in the
tables `artifact`, `artifact_reference`, `artifact_accessory` and `label_reference`; the
functions here read a pushed manifest the way Harbor's middlewares and abstractor do.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Harbor's accessory types (src/pkg/accessory/model/accessory.go).
COSIGN = "signature.cosign"
NOTATION = "signature.notation"
NYDUS = "accelerator.nydus"
SUBJECT = "subject.accessory"
HARBOR_SBOM = "sbom.harbor"

# src/server/middleware/cosign/cosign.go: `cosignRe` on the request path, built from
# reference.NameRegexp and reference.IdentifierRegexp ([a-f0-9]{64}). Its `.sig` has an
# unescaped dot, so any one character may stand before `sig`.
COSIGN_PATH = re.compile(r"^/v2/(?P<repository>.+)/manifests/sha256-(?P<digest>[a-f0-9]{64}).sig$")
COSIGN_LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"

# src/server/middleware/subject/subject.go: the types an OCI `subject` manifest is linked as.
_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
_NOTATION = "application/vnd.cncf.notary.signature"
_COSIGN_CONFIG = "application/vnd.dev.cosign.artifact.sig.v1+json"
_COSIGN_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
_HARBOR_SBOM = "application/vnd.goharbor.harbor.sbom.v1"
_NYDUS_BOOTSTRAP = "containerd.io/snapshot/nydus-bootstrap"

# Media types whose descriptors are manifests (registry client Copy walks into them).
MANIFEST_TYPES = frozenset(
    {
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    }
)


class HarborError(Exception):
    """A refusal with Harbor's status and error code (src/lib/http/error.go `codeMap`)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def now() -> str:
    """A push/creation time as Harbor's API writes it (millisecond precision, UTC)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Child:
    """A row of `artifact_reference`: an index's entry for one child manifest."""

    digest: str
    platform: dict[str, Any] | None = None


@dataclass
class Node:
    """A row of `artifact` (plus its references and labels)."""

    id: int
    media_type: str
    size: int = 0
    push_time: str = field(default_factory=now)
    children: list[Child] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class Link:
    """A row of `artifact_accessory`: `digest` is the accessory artifact, `subject_digest`
    its subject; `subject_id` is 0 until the subject exists (subject.go links it later)."""

    id: int
    digest: str
    subject_digest: str
    subject_id: int
    kind: str
    size: int
    created: str = field(default_factory=now)


@dataclass(frozen=True)
class Manifest:
    """What Harbor reads from a pushed manifest body."""

    children: tuple[Child, ...]
    references: tuple[dict[str, Any], ...]  # every descriptor (config, layers, manifests)
    size: int
    subject: str | None
    subject_kind: str | None


def read_manifest(body: bytes) -> Manifest:
    """Children of an index (src/controller/artifact/manifest/index.go `Abstract`), the
    descriptors a manifest references (distribution `References()`), its size (manifest
    plus config and layers, as the abstractor sums them), and its OCI `subject`."""
    try:
        data = json.loads(body)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    manifests = [m for m in data.get("manifests") or [] if isinstance(m, dict)]
    children = tuple(Child(str(m.get("digest")), m.get("platform")) for m in manifests)
    config = data.get("config") if isinstance(data.get("config"), dict) else None
    layers = [d for d in data.get("layers") or [] if isinstance(d, dict)]
    references = (*([config] if config else []), *layers, *manifests)
    size = len(body) + sum(
        int(d.get("size") or 0) for d in [*([config] if config else []), *layers]
    )
    subject = data.get("subject") if isinstance(data.get("subject"), dict) else None
    if subject is None or not isinstance(subject.get("digest"), str):
        return Manifest(children, references, size, None, None)
    return Manifest(
        children, references, size, subject["digest"], _subject_kind(data, config, layers)
    )


def _subject_kind(
    data: dict[str, Any], config: dict[str, Any] | None, layers: list[dict[str, Any]]
) -> str:
    """subject.go `Middleware`: the type comes from `artifactType` when present, else from
    the config's media type; anything unrecognised stays `subject.accessory`."""
    source = (config or {}).get("mediaType", "")
    if data.get("artifactType"):
        source = data["artifactType"]
    if source in (_OCI_CONFIG, _DOCKER_CONFIG):
        # isNydusImage: the last layer carries the nydus bootstrap annotation
        last = layers[-1] if layers else {}
        return NYDUS if _NYDUS_BOOTSTRAP in (last.get("annotations") or {}) else SUBJECT
    return {
        _NOTATION: NOTATION,
        _COSIGN_CONFIG: COSIGN,
        _COSIGN_BUNDLE: COSIGN,
        _HARBOR_SBOM: HARBOR_SBOM,
    }.get(source, SUBJECT)


def cosign_subject(path: str, manifest: Manifest) -> str | None:
    """cosign.go `SignatureMiddleware`: a PUT by tag whose path matches `cosignRe` and whose
    manifest references a simplesigning layer signs `sha256:<hex>` of its tag."""
    found = COSIGN_PATH.match(path)
    if found is None or not any(d.get("mediaType") == COSIGN_LAYER for d in manifest.references):
        return None
    return f"sha256:{found.group('digest')}"


def parse_sort(value: str) -> list[tuple[str, bool]]:
    """src/lib/q/builder.go `ParseSorting`: `field1,-field2` -> [(field1, asc), (field2, desc)]."""
    keys = []
    for item in value.split(",") if value else ():
        keys.append((item[1:], True) if item.startswith("-") else (item, False))
    return keys


def sha256_digest(body: bytes) -> str:
    """`digest.FromBytes`: what putManifest stores a manifest pushed by tag under."""
    return "sha256:" + hashlib.sha256(body).hexdigest()
