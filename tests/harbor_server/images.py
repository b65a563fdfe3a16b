"""Real images without docker: blobs and manifests pushed over the distribution API."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Image:
    manifest: bytes
    media_type: str
    blobs: tuple[bytes, ...]

    @property
    def digest(self) -> str:
        return sha256(self.manifest)


def make_image(seed: str | None = None) -> Image:
    """A minimal OCI image whose layer holds `seed` (random by default): a distinct digest."""
    content = (seed or os.urandom(16).hex()).encode()
    # A real (gzip) layer, so copying tools push it as it is.
    layer = gzip.compress(content, mtime=0)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(content)]},
        }
    ).encode()
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": sha256(config), "size": len(config)},
            "layers": [{"mediaType": OCI_LAYER, "digest": sha256(layer), "size": len(layer)}],
        },
        separators=(",", ":"),
    ).encode()
    return Image(manifest, OCI_MANIFEST, (config, layer))


@dataclass
class Pusher:
    """Pushes images to a registry's /v2/ (the test Harbor's or a plain one)."""

    base_url: str
    auth: tuple[str, str] | None = None
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        if self.auth:
            self.session.auth = self.auth

    def put_blob(self, repository: str, blob: bytes) -> None:
        digest = sha256(blob)
        head = self.session.head(f"{self.base_url}/v2/{repository}/blobs/{digest}", timeout=10)
        if head.status_code == 200:
            return
        start = self.session.post(f"{self.base_url}/v2/{repository}/blobs/uploads/", timeout=10)
        assert start.status_code == 202, (start.status_code, start.text)
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.base_url + location
        joiner = "&" if "?" in location else "?"
        done = self.session.put(
            f"{location}{joiner}digest={digest}",
            data=blob,
            headers={"Content-Type": "application/octet-stream"},
            timeout=10,
        )
        assert done.status_code == 201, (done.status_code, done.text)

    def push(self, repository: str, reference: str, image: Image) -> requests.Response:
        """Uploads the blobs, then PUTs the manifest; returns the manifest PUT's response."""
        for blob in image.blobs:
            self.put_blob(repository, blob)
        return self.session.put(
            f"{self.base_url}/v2/{repository}/manifests/{reference}",
            data=image.manifest,
            headers={"Content-Type": image.media_type},
            timeout=10,
        )

    def head_digest(self, repository: str, reference: str) -> str | None:
        answer = self.session.head(
            f"{self.base_url}/v2/{repository}/manifests/{reference}",
            headers={"Accept": f"{OCI_INDEX}, {OCI_MANIFEST}"},
            timeout=10,
        )
        return answer.headers.get("Docker-Content-Digest") if answer.status_code == 200 else None


def write_oci_layout(directory: str, image: Image, tag: str) -> None:
    """An OCI image layout (what `docker buildx --output type=oci` or umoci write)."""
    from pathlib import Path

    root = Path(directory)
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    for blob in (*image.blobs, image.manifest):
        (blobs / sha256(blob).split(":", 1)[1]).write_bytes(blob)
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": image.media_type,
                "digest": image.digest,
                "size": len(image.manifest),
                "annotations": {"org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    (root / "index.json").write_text(json.dumps(index))


def make_index(*children: Image) -> Image:
    """A multi-platform image index over `children`; push the children first."""
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": [
                {
                    "mediaType": child.media_type,
                    "digest": child.digest,
                    "size": len(child.manifest),
                    "platform": {"architecture": arch, "os": "linux"},
                }
                for child, arch in zip(children, ("amd64", "arm64", "s390x"), strict=False)
            ],
        },
        separators=(",", ":"),
    ).encode()
    return Image(manifest, OCI_INDEX, ())


def push_index(
    pusher: Pusher, repository: str, tag: str, children: tuple[Image, ...], index: Image
) -> requests.Response:
    for child in children:
        answer = pusher.push(repository, child.digest, child)
        assert answer.status_code == 201, (answer.status_code, answer.text)
    return pusher.session.put(
        f"{pusher.base_url}/v2/{repository}/manifests/{tag}",
        data=index.manifest,
        headers={"Content-Type": OCI_INDEX},
        timeout=10,
    )


COSIGN_LAYER = "application/vnd.dev.cosign.simplesigning.v1+json"
NOTATION_TYPE = "application/vnd.cncf.notary.signature"
HARBOR_SBOM_TYPE = "application/vnd.goharbor.harbor.sbom.v1"


def cosign_tag(digest: str) -> str:
    """The tag cosign pushes a signature of `digest` under: `sha256-<hex>.sig`."""
    return digest.replace(":", "-", 1) + ".sig"


def _manifest(
    config: bytes, config_type: str, layers: list[tuple[bytes, str]], **extra: Any
) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": config_type, "digest": sha256(config), "size": len(config)},
            "layers": [
                {"mediaType": kind, "digest": sha256(blob), "size": len(blob)}
                for blob, kind in layers
            ],
            **extra,
        },
        separators=(",", ":"),
    ).encode()


def make_cosign_signature(subject_digest: str, seed: str | None = None) -> Image:
    """A cosign signature of `subject_digest` as cosign pushes it by tag (the example in
    Harbor's src/server/middleware/cosign/cosign.go): an OCI config and one simplesigning
    layer. Push it under `cosign_tag(subject_digest)`."""
    payload = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": "test"},
                "image": {"docker-manifest-digest": subject_digest},
                "type": "cosign container image signature",
            },
            "optional": {"seed": seed or os.urandom(8).hex()},
        }
    ).encode()
    config = json.dumps({"architecture": "", "os": "", "rootfs": {"type": "layers"}}).encode()
    return Image(
        _manifest(config, OCI_CONFIG, [(payload, COSIGN_LAYER)]), OCI_MANIFEST, (config, payload)
    )


def make_referrer(
    subject: Image, artifact_type: str | None = None, config_type: str = OCI_CONFIG
) -> Image:
    """A manifest with an OCI `subject` field (the referrers API: notation, SBOMs, cosign
    with OCI 1.1), pushed by digest. Harbor's subject middleware types it from
    `artifactType`, else from the config's media type."""
    config = json.dumps({"seed": os.urandom(8).hex()}).encode()
    layer = os.urandom(16)
    extra: dict[str, Any] = {
        "subject": {
            "mediaType": subject.media_type,
            "digest": subject.digest,
            "size": len(subject.manifest),
        }
    }
    if artifact_type is not None:
        extra["artifactType"] = artifact_type
    body = _manifest(config, config_type, [(layer, "application/octet-stream")], **extra)
    return Image(body, OCI_MANIFEST, (config, layer))
