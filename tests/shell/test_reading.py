"""tagguard.shell.reading: every input file is read within its limit, whatever stat() says,
and an empty name is never the working directory."""

from __future__ import annotations

import contextlib
import os
import re
import threading
from pathlib import Path

import pytest

from tagguard.errors import FileError
from tagguard.shell.reading import read_text


def _fifo_fed(tmp_path: Path, size: int) -> str:
    """A named pipe a thread writes `size` bytes into: stat() says 0 bytes, as it does for
    /dev/zero or `<(yes)`, so only what is read can tell the size."""
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)

    def feed() -> None:
        with open(fifo, "wb") as stream, contextlib.suppress(BrokenPipeError):
            stream.write(b" " * size)

    threading.Thread(target=feed, daemon=True).start()
    return str(fifo)


def test_a_file_that_says_it_is_empty_is_still_read_within_the_limit(tmp_path: Path) -> None:
    # /dev/zero as --rules-file read until memory ran out: the limit was checked on stat().
    path = _fifo_fed(tmp_path, 4096)
    with pytest.raises(FileError, match=rf"^{re.escape(path)}: more than the 1024-byte limit"):
        read_text(path, limit=1024)


@pytest.mark.parametrize("name", ["", "  "])
def test_an_empty_file_name_is_not_the_working_directory(name: str) -> None:
    # Path("") is ".": a plan or a metadata file named by an unset variable read the
    # working directory ("is a directory"), or, for an OCI layout, its index.json.
    with pytest.raises(FileError, match="an empty file name"):
        read_text(name)


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"a: 1\n",
        BOM + b"a: 1\n",
        BOM + BOM + b"a",  # only the first mark is dropped
        BOM[:2] + b"a",  # a mark cut short is not one
        b"a \xff b",
        BOM + b"a \xff b",
        BOM + b"\xc3",
        "é ✓ 𝄞".encode(),
        BOM + "é".encode(),
    ],
)
def test_text_is_read_as_the_utf_8_sig_codec_reads_it(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "input.yml"
    path.write_bytes(raw)
    try:
        expected = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        with pytest.raises(FileError, match=rf": is not UTF-8 text \(byte {error.start}\)$"):
            read_text(str(path))
    else:
        assert read_text(str(path)) == expected
