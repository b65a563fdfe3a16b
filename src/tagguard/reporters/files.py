"""Writing a report: a file all at once, so a reader never sees half of one; any report
piece by piece, so a large one is never held whole; every piece redacted on its way out.

A reporter makes its output as pieces that end between two values (a line, or one JSON
value of a list): a secret, which only ever appears inside one value, never straddles two
pieces, so redacting piece by piece hides exactly what redacting the whole would.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO, cast

from tagguard.core.sanitize import Redactor
from tagguard.errors import FileError

# Pieces joined per write: a few hundred lines, so a large report costs a few hundred writes
# (and redactions), not one per line, and holds a few hundred lines at a time.
_BATCH = 256


def _read_umask() -> int:
    """The process's umask, which can only be read by setting it and setting it back: done
    once, when this module is imported, before any worker thread starts a file."""
    current = os.umask(0o022)
    os.umask(current)
    return current


_UMASK = _read_umask()


def write_text(path: str, text: str, redactor: Redactor) -> None:
    """Writes a report whole (see `write_pieces`)."""
    write_pieces(path, (text,), redactor)


def write_pieces(path: str, pieces: Iterable[str], redactor: Redactor) -> None:
    """Writes a report whole, made piece by piece: into a temporary file beside it, then
    renamed over it. What is not a regular file (/dev/stdout, /dev/null, a pipe) is written
    through instead: renaming over it would replace the device or the link, not feed it."""
    import tempfile  # only when a report file is asked for: it costs start-up otherwise

    target = Path(path)
    try:
        if target.exists() and not target.is_file():
            with open(target, "w", encoding="utf-8") as stream:
                emit(redacted(stream, redactor), pieces)
            return
        # A link to a report stays a link: the file it points to is the one replaced.
        target = target.resolve() if target.is_symlink() else target
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            # mkstemp makes the file 0600; a report is made for others to read (a CI
            # artifact, a later job), as a file opened the usual way would be: 0666 less
            # the umask. It holds no secret: everything in it is redacted. By its handle,
            # where there is fchmod (not on Windows before Python 3.13): a path could be
            # swapped for a link by then.
            mode = 0o666 & ~_UMASK
            if hasattr(os, "fchmod"):
                os.fchmod(handle, mode)
            else:
                os.chmod(temporary, mode)
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                emit(redacted(stream, redactor), pieces)
        except BaseException:
            os.unlink(temporary)  # a report that could not be made leaves nothing behind
            raise
        os.replace(temporary, target)
    except OSError as error:
        # No path: the caller names the report, as `--report KIND=PATH` (tagguard.reporters).
        raise FileError(f"cannot write the report ({error.strerror or error})") from None


def emit(stream: TextIO, pieces: Iterable[str]) -> None:
    """Writes `pieces` to `stream` a batch at a time, each batch one write."""
    for batch in _batches(pieces):
        stream.write(batch)


def _batches(pieces: Iterable[str]) -> Iterator[str]:
    batch: list[str] = []
    for piece in pieces:
        batch.append(piece)
        if len(batch) >= _BATCH:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


class _Redacted(io.TextIOBase):
    """Keeps nothing: whatever is written is redacted straight on to `out`."""

    def __init__(self, out: TextIO, redactor: Redactor) -> None:
        super().__init__()
        self._out = out
        self._redactor = redactor

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._out.write(self._redactor.redact(text))
        return len(text)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        # `out` is its owner's to flush and close. io calls close() when a stream is collected,
        # and IOBase's close() flushes: a wrapper collected before its owner closed `out` flushed
        # it then, and a write that failed there (a full disk, /dev/full) was reported twice:
        # silently before Python 3.13, from 3.13 on as "Exception ignored in" lines on stderr
        # beside the one `tagguard: error:` line.
        return


def redacted(out: TextIO, redactor: Redactor) -> TextIO:
    """A stream that writes to `out` with every secret `redactor` holds hidden, piece by
    piece (pieces that end between two values: see the module's docstring)."""
    return cast(TextIO, _Redacted(out, redactor))


def append_text(path: str, text: str, redactor: Redactor) -> None:
    """For files the CI runner owns and reads after the step ($GITHUB_OUTPUT and friends)."""
    try:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(redactor.redact(text))
    except OSError as error:
        raise FileError(f"{path}: cannot append to it ({error.strerror or error})") from None
