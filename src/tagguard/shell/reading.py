"""Reading an input file whole, within a limit: every failure is one FileError line that
names the file. A leaf module: a live run reads its docker config through it before its
first request, without loading the rules and state file readers (tagguard.shell.files)."""

from __future__ import annotations

import codecs
from pathlib import Path

from tagguard.core.sanitize import printable
from tagguard.errors import FileError

MAX_FILE_BYTES = 64 * 1024 * 1024


def read_text(path: str, limit: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 text file, whole; every failure is one line that names the file."""
    raw = read_bytes(path, limit)
    try:
        # What the "utf-8-sig" codec does (one leading byte order mark dropped, the rest
        # UTF-8, an error's position counted after the mark), without importing that codec
        # before a live run's first request.
        return raw.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as error:
        raise FileError(f"{path}: is not UTF-8 text (byte {error.start})") from None


def read_bytes(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A file's bytes, at most `limit` of them: what stat() says is checked first, and what
    is read too, as a pipe, /dev/zero or `<(cmd)` says 0 bytes whatever it holds."""
    if not path.strip():
        # Path("") is ".", the working directory: never what an empty name meant.
        raise FileError(f"{path!r}: an empty file name; is the variable meant to hold it unset?")
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > limit:
            raise FileError(f"{path}: {size} bytes is larger than the {limit}-byte limit")
        with file.open("rb") as stream:
            raw = stream.read(limit + 1)
    except FileError:
        raise
    except IsADirectoryError:
        raise FileError(f"{path}: is a directory, not a file") from None
    except FileNotFoundError:
        raise FileError(f"{path}: no such file") from None
    except OSError as error:
        raise FileError(f"{path}: cannot be read ({error.strerror or error})") from None
    except ValueError:  # a name from a file (a plan's metadata-file) can hold a NUL byte
        raise FileError(f"{printable(path)}: not a file name (it holds a NUL byte)") from None
    if len(raw) > limit:
        raise FileError(f"{path}: more than the {limit}-byte limit")
    return raw
