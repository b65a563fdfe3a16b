"""`docker tagguard ...`: a docker CLI plugin that checks every tag before docker writes it.

    docker tagguard push IMAGE[:TAG]...          check each, push the allowed ones, one by one
    docker tagguard tag SRC DST                  check DST (with SRC's digest), then tag
    docker tagguard buildx build --push -t ...   check every -t, then build
    docker tagguard buildx imagetools create -t ...
    docker tagguard <anything else>              passed to docker untouched

A block runs nothing and exits 1; a skipped push is left out (the registry already holds that
image under that tag); docker's own exit code is returned. An image's digest comes from
`docker image inspect` (its RepoDigests) where docker knows one. tagguard's options come from
the environment (TAGGUARD_HARBOR_URL, TAGGUARD_USERNAME, ...); credentials from docker's config.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from tagguard import __version__

METADATA = {
    "SchemaVersion": "0.1.0",
    "Vendor": "tagguard",
    "Version": __version__,
    "ShortDescription": "Check Harbor tag immutability before docker pushes or tags",
    "URL": "https://tagguard.invalid/",
}
DOCKER = "docker"
# docker push/tag options that take a value (so the value is not mistaken for an image).
_VALUED = {"--platform"}


@dataclass(frozen=True)
class Checked:
    code: int
    verdicts: dict[str, str]  # reference -> allow | skip | block
    output: str


def docker_command() -> str:
    return os.environ.get("DOCKER_CLI_PLUGIN_ORIGINAL_CLI_COMMAND") or DOCKER


def run_docker(args: Sequence[str]) -> int:
    return subprocess.run([docker_command(), *args], check=False).returncode


def image_digest(image: str) -> str | None:
    """The registry digest docker knows for `image` (from a pull or an earlier push)."""
    done = subprocess.run(
        [docker_command(), "image", "inspect", "--format", "{{json .RepoDigests}}", image],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    try:
        digests = json.loads(done.stdout.strip() or "[]") or []
    except ValueError:
        return None
    name = _name(image)
    for entry in digests:
        repository, _, digest = str(entry).partition("@")
        if repository == name and digest:
            return digest
    return None


def _name(image: str) -> str:
    """`host/p/app:1.0` -> `host/p/app` (a port's colon is not a tag's)."""
    without_digest = image.split("@", 1)[0]
    head, sep, tail = without_digest.rpartition(":")
    return head if sep and "/" not in tail else without_digest


def with_tag(image: str) -> str:
    if "@" in image:
        return image
    return image if _name(image) != image else f"{image}:latest"


def check(references: Sequence[str], digest: str | None = None) -> Checked:
    """Runs `tagguard push` on the references in process; its text goes to stderr."""
    from tagguard.cli import main

    args = ["push", *references, "--format", "json"]
    if digest is not None:
        args += ["--digest", digest]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    verdicts: dict[str, str] = {}
    text = err.getvalue()
    if code in (0, 1):
        report = json.loads(out.getvalue())
        verdicts = {d["reference"]: d["decision"] for d in report["decisions"]}
        lines = [
            f"tagguard: {d['decision']:<5}  {d['reference']}  {d['reason']}"
            for d in report["decisions"]
        ]
        lines += [f"tagguard: warning: {w['message']}" for w in report["warnings"]]
        text += "\n".join(lines) + ("\n" if lines else "")
    return Checked(code, verdicts, text)


def push(args: list[str]) -> int:
    options = [a for a in args if a.startswith("-")]
    images = _operands(args)
    if not images:
        return run_docker(["push", *args])
    allowed: list[str] = []
    for image in images:
        reference = with_tag(image)
        checked = check([reference], image_digest(reference))
        sys.stderr.write(checked.output)
        if checked.code != 0:
            return checked.code  # blocked (1) or undecided (2): push nothing
        if checked.verdicts.get(reference) != "skip":
            allowed.append(reference)
    for reference in allowed:
        code = run_docker(["push", *options, reference])
        if code != 0:
            return code
    return 0


def tag(args: list[str]) -> int:
    operands = _operands(args)
    if len(operands) != 2:
        return run_docker(["tag", *args])
    source, target = operands
    checked = check([with_tag(target)], image_digest(with_tag(source)))
    sys.stderr.write(checked.output)
    if checked.code != 0:
        return checked.code
    return run_docker(["tag", *args])


def buildx(args: list[str]) -> int:
    tags = _tag_values(args)
    writes = "--push" in args or any("push=true" in a or "type=registry" in a for a in args)
    creates = args[:2] == ["imagetools", "create"]
    if tags and (writes or creates):
        checked = check([with_tag(t) for t in tags])
        sys.stderr.write(checked.output)
        if checked.code != 0:
            return checked.code
    return run_docker(["buildx", *args])


def _operands(args: Sequence[str]) -> list[str]:
    found, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            found.append(arg)
    return found


def _tag_values(args: Sequence[str]) -> list[str]:
    values = []
    for i, arg in enumerate(args):
        if arg in ("-t", "--tag") and i + 1 < len(args):
            values.append(args[i + 1])
        elif arg.startswith("--tag="):
            values.append(arg.split("=", 1)[1])
        elif arg.startswith("-t") and len(arg) > 2:
            values.append(arg[2:])
    return values


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["docker-cli-plugin-metadata"]:
        print(json.dumps(METADATA))
        return 0
    if args[:1] == ["tagguard"]:  # docker passes the plugin's own name first
        args = args[1:]
    if not args:
        print(
            "usage: docker tagguard push|tag|buildx ... (anything else goes to docker)",
            file=sys.stderr,
        )
        return 2
    command, rest = args[0], args[1:]
    handlers = {"push": push, "tag": tag, "buildx": buildx}
    if command in handlers:
        return handlers[command](rest)
    return run_docker(args)


def install(directory: str | None = None) -> str:
    """Puts `docker-tagguard` where the docker CLI looks for plugins; returns its path."""
    import shutil
    from pathlib import Path

    from tagguard.errors import InputError

    config = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")
    target_dir = Path(directory) if directory else config / "cli-plugins"
    script = shutil.which("docker-tagguard", path=str(Path(sys.executable).parent)) or shutil.which(
        "docker-tagguard"
    )
    if script is None:
        raise InputError(
            "the docker-tagguard program is not installed next to tagguard; reinstall tagguard"
        )
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        target = target_dir / "docker-tagguard"
        if target.is_symlink() or target.exists():
            target.unlink()
        target.symlink_to(Path(script).resolve())
    except OSError as error:
        raise InputError(
            f"{target_dir}: cannot install the docker plugin there ({error.strerror or error})"
        ) from None
    return str(target)


if __name__ == "__main__":
    raise SystemExit(main())
