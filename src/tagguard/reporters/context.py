"""What every reporter is given (`Context`, and `Undecided` when the run could not decide)
and what it must be (`Format`, `FileFormat`).

Its own module so that a reporter names these without importing the registry that loads it
(tagguard.reporters): the registry imports the reporters, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol, TextIO

from tagguard.core.record import field, record
from tagguard.core.sanitize import Redactor

if TYPE_CHECKING:
    # For the protocols' signatures only: the registry (tagguard.reporters) is imported before
    # any question is asked, and the modules that decide are not, so that their loading
    # overlaps the first answers (tagguard.check).
    from tagguard.core.report import Report


@record
class Context:
    """What a reporter may know besides the report: where to print, the CI environment
    (for files such as $GITHUB_OUTPUT), and the reports written to files. Secrets are not
    among them: a reporter cannot print what it is never given, and all output is redacted
    with the run's `redactor` on its way out (tagguard.reporters.files)."""

    stream: TextIO
    color: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)  # report name -> path written
    redactor: Redactor = field(default_factory=Redactor)  # the run's


@record
class Undecided:
    """A run that could not decide (exit 2), as its --report files say so: `command` the
    command run, `code` json's `error.code` for the error, `message` the `tagguard: error:`
    line's text, already redacted and made one printable line."""

    command: str
    code: str
    message: str


class Format(Protocol):
    """A --format: prints the report on `context.stream`."""

    def render(self, report: Report, context: Context) -> None: ...


class FileFormat(Protocol):
    """A --report NAME: writes the report whole to `path`."""

    def write(self, report: Report, path: str, context: Context) -> None: ...

    def write_undecided(self, undecided: Undecided, path: str, context: Context) -> None:
        """Replaces the file with what its reader shows as a run that failed: a path is
        reused run after run, and the last run's verdicts must not pass for this run's."""


class Reporter(Format, FileFormat, Protocol):
    """A format that both prints and writes files."""
