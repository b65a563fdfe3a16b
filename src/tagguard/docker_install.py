"""`tagguard install-docker-plugin`: puts `docker-tagguard` where the docker CLI looks for
plugins (the plugin itself is tagguard.docker_plugin)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tagguard.errors import InputError


def install(directory: str | None = None) -> str:
    """Links `docker-tagguard` into the plugin folder; returns its path."""
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
