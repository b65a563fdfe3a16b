"""A real OCI registry (CNCF distribution, Debian's docker-registry) on loopback."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

BINARY = "docker-registry"


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Registry:
    url: str
    process: subprocess.Popen[bytes]
    root: Path


def _config(root: Path, port: int) -> str:
    # Written by hand: the packaged /etc/docker/registry/config.yml listens on all interfaces.
    return (
        "version: 0.1\n"
        "log:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )


@contextlib.contextmanager
def running_registry() -> Iterator[Registry]:
    """Starts distribution on a free loopback port and stops it (and reaps it) afterwards."""
    if shutil.which(BINARY) is None:
        raise RuntimeError(
            f"{BINARY} is not installed: apt-get install docker-registry (see .ci/run)"
        )
    root = Path(tempfile.mkdtemp(prefix="tagguard-registry-"))
    port = free_port()
    config = root / "config.yml"
    config.write_text(_config(root, port))
    log = (root / "registry.log").open("wb")
    process = subprocess.Popen([BINARY, "serve", str(config)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if requests.get(f"{url}/v2/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the registry did not start: {(root / 'registry.log').read_text()}"
                )
            time.sleep(0.05)
        yield Registry(url, process, root)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)
