"""Writing a report file: all at once, so a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path

from tagguard.core.sanitize import redact
from tagguard.errors import FileError


def write_text(path: str, text: str) -> None:
    import tempfile  # only when a report file is asked for: it costs start-up otherwise

    text = redact(text)
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, target)
    except OSError as error:
        raise FileError(f"{path}: cannot write the report ({error.strerror or error})") from None


def append_text(path: str, text: str) -> None:
    """For files the CI runner owns and reads after the step ($GITHUB_OUTPUT and friends)."""
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(redact(text))
    except OSError as error:
        raise FileError(f"{path}: cannot append to it ({error.strerror or error})") from None
