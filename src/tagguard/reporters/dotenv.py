"""A dotenv file (`artifacts: reports: dotenv`): the counts, for later jobs' rules; when the
run could not decide, no count and the error instead.

GitLab's reader is stricter than dotenv's: one `NAME=value` a line, the name being all of
the line before its first `=` (`Ci::ParseDotenvArtifactService#scan_line!`, `^(.*?)=(.*)$`;
releases before it, `Gitlab::Ci::Parsers::DotenvVariable`, took all before the last `=`),
letters, digits and `_` only, or the whole file is refused; the value kept as written,
quotes included; at most 5 KB in all. So no value holds an `=`: read either way, a line
splits the same. A dotenv variable is not raw (`raw: false`): a later job's runner expands
`$NAME`, `${NAME}` and `$$` in its value, so no value holds a `$` either."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tagguard.core.report import Report
from tagguard.reporters.files import write_text

if TYPE_CHECKING:
    from tagguard.reporters.context import Context, Undecided

# The message's length in TAGGUARD_ERROR_MESSAGE: at most 4 bytes a character once
# encoded, so the file stays well under GitLab's 5 KB.
_MESSAGE_MAX = 1000


def dotenv(report: Report) -> str:
    counts = report.summary
    return (
        f"TAGGUARD_BLOCKED={counts['block']}\n"
        f"TAGGUARD_SKIPPED={counts['skip']}\n"
        f"TAGGUARD_ALLOWED={counts['allow']}\n"
    )


def undecided_dotenv(undecided: Undecided) -> str:
    """The same three counts, empty: no count is known, and a 0 would tell a later job's
    `rules:` that nothing is blocked (an empty value equals no number, and `if:
    $TAGGUARD_BLOCKED` is false for it). Then TAGGUARD_ERROR, the error's code (json's
    `error.code`: one word, set only when the run could not decide), and
    TAGGUARD_ERROR_MESSAGE, the error line's message with `%`, `=` and `$` percent-encoded:
    an `=` in the value would be read as part of the name, and GitLab refuse the file; a
    `$` would be expanded in the later job (a robot's `robot$proj+ci` would lose `$proj`,
    and outside text naming `$CI_JOB_TOKEN` would hold the token there)."""
    message = undecided.message[:_MESSAGE_MAX]
    message = message.replace("%", "%25").replace("=", "%3D").replace("$", "%24")
    return (
        "TAGGUARD_BLOCKED=\n"
        "TAGGUARD_SKIPPED=\n"
        "TAGGUARD_ALLOWED=\n"
        f"TAGGUARD_ERROR={undecided.code}\n"
        f"TAGGUARD_ERROR_MESSAGE={message}\n"
    )


def write(report: Report, path: str, context: Context) -> None:
    write_text(path, dotenv(report), context.redactor)


def write_undecided(undecided: Undecided, path: str, context: Context) -> None:
    write_text(path, undecided_dotenv(undecided), context.redactor)
