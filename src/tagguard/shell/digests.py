"""Where a push's new digest comes from, besides --digest: what the build wrote.

* `--oci-layout DIR[:REF]`: an OCI image layout (`docker buildx build --output type=oci`,
  umoci, skopeo `oci:`): the digest in `index.json` of the manifest (or, for a
  multi-platform build, the image index) named REF, or of its only entry;
* `--metadata-file FILE`: what `docker buildx build --metadata-file` writes:
  `containerimage.digest` (for a multi-platform build, the index's digest).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tagguard.core.reference import validate_digest
from tagguard.errors import FileError, TagguardError
from tagguard.shell.files import load_json
from tagguard.shell.reading import read_text

REF_NAME = "org.opencontainers.image.ref.name"


def digest_from_oci_layout(spec: str, *, option: str = "--oci-layout", written: str = "") -> str:
    """`DIR` or `DIR:REF` -> the digest index.json gives for REF (or its only manifest).
    `option` and `written` (the spec as given, when `spec` is it resolved) name it in errors:
    a plan's `oci-layout:` is not the command line's --oci-layout."""
    directory, ref = _split_layout(spec)
    shown = written or spec
    if not directory.strip():  # Path("") is the working directory
        raise FileError(
            f"{option} {shown!r}: an empty directory name; is the variable meant to hold it unset?"
        )
    index_path = Path(directory) / "index.json"
    if not Path(directory).is_dir():
        raise FileError(f"{option} {shown}: {directory} is not a directory")
    data = load_json(str(index_path))
    manifests = data.get("manifests") if isinstance(data, dict) else None
    if not isinstance(manifests, list) or not manifests:
        raise FileError(f"{index_path}: holds no manifests")
    entries = [m for m in manifests if isinstance(m, dict)]
    if ref is not None:
        named = [m for m in entries if _annotation(m) == ref]
        if not named:
            names = ", ".join(sorted({n for m in entries if (n := _annotation(m))})) or "none"
            raise FileError(f"{index_path}: no manifest is named {ref!r} (names: {names})")
        if len(named) > 1:
            raise FileError(f"{index_path}: {len(named)} manifests are named {ref!r}")
        chosen = named[0]
    elif len(entries) == 1:
        chosen = entries[0]
    else:
        raise FileError(
            f"{index_path}: holds {len(entries)} manifests; name one as "
            f"{option} {_split_layout(shown)[0]}:REF"
        )
    return _digest(chosen.get("digest"), f"{index_path}: manifest digest")


def digest_from_metadata_file(path: str) -> str:
    data = load_json(path)
    if not isinstance(data, dict) or "containerimage.digest" not in data:
        raise FileError(
            f"{path}: has no containerimage.digest (is it `docker buildx build --metadata-file` output?)"
        )
    return _digest(data["containerimage.digest"], f"{path}: containerimage.digest")


def layout_index(spec: str) -> str:
    """The file an `--oci-layout DIR[:REF]` reads: DIR's index.json."""
    return str(Path(_split_layout(spec)[0]) / "index.json")


def _split_layout(spec: str) -> tuple[str, str | None]:
    # DIR may itself hold ':' only if it exists as such; otherwise the last ':' names REF.
    if Path(spec).is_dir() or ":" not in spec:
        return spec, None
    directory, _, ref = spec.rpartition(":")
    return directory, ref or None


def _annotation(manifest: dict[str, Any]) -> str | None:
    annotations = manifest.get("annotations")
    if isinstance(annotations, dict):
        name = annotations.get(REF_NAME)
        return name if isinstance(name, str) else None
    return None


def _digest(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise FileError(f"{where} is missing")
    try:
        return validate_digest(value, where)
    except TagguardError as error:
        raise FileError(error.message) from None


def references_from_text(text: str, where: str) -> list[str]:
    """Newline- (or comma-) separated references, as docker/metadata-action exports them."""
    refs = [part.strip() for line in text.splitlines() for part in line.split(",")]
    found = [ref for ref in refs if ref and not ref.startswith("#")]
    if not found:
        raise FileError(f"{where}: holds no references")
    return found


def references_from_file(path: str) -> list[str]:
    return references_from_text(read_text(path), path)
