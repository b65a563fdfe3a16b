"""What a command prints and writes: the --report files, then its format on standard output,
everything redacted on its way out; and whether it prints in colour.

`report_files` checks `--report NAME=PATH` before anything is read (tagguard.options calls
it); the rest runs once the check is done. The reporter modules themselves are imported only
when chosen (tagguard.reporters).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tagguard import reporters
from tagguard.core.sanitize import Redactor, printable
from tagguard.errors import FileError, InputError, TagguardError
from tagguard.reporters.files import redacted

if TYPE_CHECKING:
    # tagguard.options imports this module before any question is asked; the deciding
    # modules are imported after (tagguard.check), and reach here with the report.
    from tagguard.core.report import Report


def emit(
    report: Report,
    *,
    output_format: str | None,
    color: bool,
    quiet: bool,
    reports: Mapping[str, str],
    redactor: Redactor,
) -> int:
    """Writes the --report files, then prints the chosen format (which may name them);
    returns the report's exit code."""
    env = dict(os.environ)
    chosen = output_format or reporters.default_format(env)
    # text and json are printed as they are made, redacted piece by piece (a report of 50k
    # references is never held whole); the others print once all of their work is done.
    buffered = None if chosen in ("text", "json") else io.StringIO()
    printed = buffered if buffered is not None else redacted(sys.stdout, redactor)
    context = reporters.Context(printed, color, env, files=reports, redactor=redactor)
    for name, path in reports.items():
        reporters.write(name, report, path, context)  # redacted in reporters.files
    if quiet and chosen in ("text", "gitlab"):
        print_blocks(report, printed, color)
    else:
        reporters.render(chosen, report, context)
    if buffered is not None:
        sys.stdout.write(redactor.redact(buffered.getvalue()))
    return report.exit_code


def write_error_reports(
    reports: Mapping[str, str], command: str, error: TagguardError, redactor: Redactor
) -> None:
    """Every --report file of a run that could not decide (exit 2), each as its reader shows
    a failed run (json and sarif as --format json or sarif prints then; the others in each
    reporter's `write_undecided`), with the `tagguard: error:` line's message. A report path
    is reused run after run (a CI artifact, a hook's file), so leaving any alone would leave
    the last run's verdicts there as this run's: one that cannot be written stops none of
    the others, and its error is raised once they are written."""
    from tagguard.reporters.json import error_code  # an error's path only

    undecided = reporters.Undecided(
        command, error_code(error), printable(redactor.redact(error.message))
    )
    context = reporters.Context(
        io.StringIO(), env=dict(os.environ), files=reports, redactor=redactor
    )
    unwritten: FileError | None = None
    for name, path in reports.items():
        try:
            reporters.write_undecided(name, undecided, path, context)  # redacted there
        except FileError as failed:
            unwritten = unwritten or failed
    if unwritten is not None:
        raise unwritten


def print_blocks(report: Report, stream: TextIO, color: bool) -> None:
    """--quiet: the blocked references' lines, nothing else (errors still go to stderr)."""
    from tagguard.core.decide import Verdict  # loaded by now: the report holds decisions
    from tagguard.reporters.text import line  # a reporter: imported when chosen

    stream.write(
        "".join(f"{line(d, color)}\n" for d in report.decisions if d.decision is Verdict.BLOCK)
    )


def print_redacted(text: str, redactor: Redactor, *, quiet_lines: bool = False) -> None:
    """A whole printed answer (explain's), redacted; with `quiet_lines`, only its first
    line and its verdicts (`  => `)."""
    if quiet_lines:
        text = "".join(
            line for n, line in enumerate(text.splitlines(True)) if n == 0 or "  => " in line
        )
    sys.stdout.write(redactor.redact(text))


def report_files(entries: Sequence[str]) -> dict[str, str]:
    """--report NAME=PATH, checked before anything is read: the name, no name twice, and a
    path whose folder exists (or can be made) and which is not itself a folder."""
    files: dict[str, str] = {}
    for entry in entries:
        name, sep, path = entry.partition("=")
        if not sep or not path or name not in reporters.FILES:
            raise InputError(
                f"--report {entry}: write NAME=PATH, NAME one of {', '.join(reporters.FILES)}"
            )
        if name in files:
            raise InputError(f"--report {name} is given twice ({files[name]} and {path})")
        _check_one_report(entry, path)
        check_report_path(entry, Path(path))
        files[name] = path
    return files


def _check_one_report(entry: str, path: str) -> None:
    """A PATH holding `,NAME=`, or ending in a comma, is a list with commas (as
    TAGGUARD_HARBOR_URL takes them; click splits TAGGUARD_REPORT at spaces only): it would
    be one report, written to a file named after both or after the first and its comma."""
    if path.endswith(",") or any(f",{name}=" in path for name in reporters.FILES):
        raise InputError(
            f"--report {entry}: one NAME=PATH each; give --report again, or in"
            " TAGGUARD_REPORT separate them with spaces"
        )


def check_reports_read_nothing(
    reports: Mapping[str, str], inputs: Mapping[str, str | None]
) -> None:
    """No two report files are one file, and no report file is one the run reads (`inputs`,
    each named by the option or argument that gives it): writing the report would replace
    the other report, or the plan or rules just read."""
    if not reports:
        return
    writers: dict[str, str] = {}  # real path -> the --report entry writing it
    for name, path in reports.items():
        if path == os.devnull:
            continue  # any number of reports may be thrown away
        entry = f"--report {name}={path}"
        other = writers.setdefault(_real(path), entry)
        if other != entry:
            raise InputError(f"{entry}: {other} writes that file too; give each its own")
    for given, read in inputs.items():
        writer = writers.get(_real(read)) if read else None
        if writer is not None:
            raise InputError(
                f"{writer}: that is {given}, which this run reads; the report would replace it"
            )


def _real(path: str) -> str:
    """The file `path` names, as far as it can be told (a path it cannot resolve, one with
    a NUL say, is its own: its reader refuses it in its own words)."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def check_report_path(entry: str, path: Path) -> None:
    try:
        _check_report_folder(entry, path)
    except OSError as error:
        # A path that cannot even be looked at (a folder on the way that may not be
        # searched, a name too long): the same one line as any other unusable path.
        reason = error.strerror or type(error).__name__
        raise InputError(f"--report {entry}: cannot use {path}: {reason}") from None


def _check_report_folder(entry: str, path: Path) -> None:
    # pathlib's tests answer False for both of these, which the writer then met after the
    # check as an internal error (ValueError, RuntimeError).
    if "\0" in str(path):  # from tagguard.toml: a command line holds none
        raise InputError(f"--report {entry}: a file name cannot hold a NUL character")
    if path.is_symlink():
        _check_link_ends(path)
    if path.is_dir():
        raise InputError(f"--report {entry}: {path} is a folder; name a file")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the writer makes the missing folders below this one
    if not folder.is_dir():
        raise InputError(f"--report {entry}: {folder} is not a folder")
    if not os.access(folder, os.W_OK):
        raise InputError(f"--report {entry}: {folder} is not writable")


def _check_link_ends(path: Path) -> None:
    """A link that loops raises its OSError (ELOOP). One to a file not made yet is
    written there, as a link to a report is (reporters.files)."""
    try:
        path.stat()
    except FileNotFoundError:
        return


def use_color(choice: str, env: Mapping[str, str], stream: Any) -> bool:
    """--color always/never decide; auto follows no-color.org (a NO_COLOR that is set and
    not empty turns colour off), then force-color.org (a FORCE_COLOR that is set and not
    empty, whatever its value, turns it on), then whether `stream` is a terminal."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
