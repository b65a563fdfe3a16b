"""Report files: written whole, and through (not over) what is not a regular file."""

from __future__ import annotations

import errno
import gc
import io
import json
import os
import stat
import sys
import threading
from pathlib import Path

import pytest

from tagguard.core.report import Notice, Report
from tagguard.core.sanitize import Redactor
from tagguard.errors import FileError
from tagguard.reporters import files
from tagguard.reporters.files import write_text


def test_a_report_replaces_a_regular_file_whole(tmp_path: Path) -> None:
    report = tmp_path / "deep" / "report.json"
    write_text(str(report), "first", Redactor())
    write_text(str(report), "second", Redactor())
    assert report.read_text() == "second"
    assert [p.name for p in report.parent.iterdir()] == ["report.json"]  # no temporaries left


def test_a_link_to_a_report_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_text(str(link), "new", Redactor())
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_a_pipe_is_written_through_not_replaced(tmp_path: Path) -> None:
    """Like /dev/stdout or /dev/null: replacing it (as root, /dev itself) would be harm."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    write_text(str(fifo), "through the pipe", Redactor())
    reader.join(timeout=10)
    assert received == ["through the pipe"]
    assert fifo.is_fifo()


def test_a_directory_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(FileError, match="cannot write the report"):
        write_text(str(tmp_path), "x", Redactor())


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_report_is_readable_as_the_umask_lets_any_file_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int, mode: int
) -> None:
    """The temporary file a report is written through is made 0600 (mkstemp); the report
    kept that whatever the umask, unreadable to a later job running as another user."""
    before = os.umask(umask)
    try:
        # The umask is read once, when the module is imported (tagguard starts with it).
        monkeypatch.setattr(files, "_UMASK", files._read_umask())
        write_text(str(tmp_path / "r.json"), "{}\n", Redactor())
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "r.json").stat().st_mode) == mode


def test_the_umask_is_read_without_being_changed() -> None:
    before = os.umask(0o027)
    try:
        assert files._read_umask() == 0o027
        assert os.umask(0o027) == 0o027  # still what it was set to
    finally:
        os.umask(before)


@pytest.mark.parametrize(
    "secret",
    ["s3cr&tpw1", "pass<w0rd>", "s3cr*t_pw#1", "s3cr%tpw1", 'pa"ss|w0rd', "pass\tw0rd\\x"],
)
def test_a_secret_a_report_format_escapes_is_still_hidden(secret: str) -> None:
    # A Harbor echoing the password in a warning: JUnit writes it as XML (& < > "), the
    # Markdown summary backslash-escapes punctuation, a GitHub annotation writes % as %25,
    # a message quoting it with repr lands in a JSON report escaped twice. The redactor
    # hides the secret as written; every one of these forms must go too.
    from tagguard.reporters.github import annotation_lines
    from tagguard.reporters.junit import junit
    from tagguard.reporters.markdown import markdown

    report = Report()
    report.warn(Notice("undecided", f"harbor said: no user with password {secret} here"))
    report.warn(Notice("undecided", f"harbor said: version {secret!r}"))
    redactor = Redactor()
    redactor.keep(secret)
    rendered = {
        "junit": junit(report),
        "markdown": markdown(report),
        "github": "\n".join(annotation_lines(report)),
        "json": json.dumps([n.message for n in report.warnings]),
    }
    for name, text in rendered.items():
        shown = redactor.redact(text)
        assert "w0rd" not in shown, (name, shown)
        assert "pw" not in shown, (name, shown)


class _FullDisk(io.StringIO):
    """A stream whose flush fails as a full disk's does, counting the attempts."""

    flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_collected_redacting_wrapper_leaves_its_stream_to_the_owner() -> None:
    # The owner (a `with open(...)`) flushes and closes the stream and turns its failure into
    # the one `--report` error. A wrapper flushing it again when collected reported the
    # failure a second time: on Python 3.13 as "Exception ignored in" lines on stderr.
    out = _FullDisk()
    unraisable: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        wrapper = files.redacted(out, Redactor())
        wrapper.write("line\n")
        del wrapper
        gc.collect()
    finally:
        sys.unraisablehook = hook
    assert (out.flushes, unraisable, out.getvalue()) == (0, [], "line\n")


def test_flushing_the_redacting_wrapper_flushes_its_stream() -> None:
    out = _FullDisk()
    with pytest.raises(OSError, match="No space left"):
        files.redacted(out, Redactor()).flush()
    assert out.flushes == 1
