"""Writing a report file: all at once, so a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path

from tagguard.core.sanitize import redact
from tagguard.errors import FileError


def write_text(path: str, text: str) -> None:
    """Writes a report whole: into a temporary file beside it, then renamed over it. What
    is not a regular file (/dev/stdout, /dev/null, a pipe) is written through instead:
    renaming over it would replace the device or the link, not feed it."""
    import tempfile  # only when a report file is asked for: it costs start-up otherwise

    text = redact(text)
    target = Path(path)
    try:
        if target.exists() and not target.is_file():
            with open(target, "w", encoding="utf-8") as stream:
                stream.write(text)
            return
        # A link to a report stays a link: the file it points to is the one replaced.
        target = target.resolve() if target.is_symlink() else target
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
