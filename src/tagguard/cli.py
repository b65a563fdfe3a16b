"""The process entry point: the `tagguard` program, and the start-up choices every entry
point shares (`exit_with`).

`tagguard --version` is answered here before click or any command module is imported; any
other command line goes to tagguard.commands.run, which maps every outcome to an exit code
(0 nothing blocked, 1 something blocked, 2 undecided: see there). The program leaves
without tearing the interpreter down (see `exit_with`).
"""

from __future__ import annotations

import gc
import os
import sys

from tagguard import __version__

# Not `from typing import TYPE_CHECKING`: importing typing costs `--version` a fifth of its
# time (mypy reads any TYPE_CHECKING as true).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import NoReturn


def run() -> None:
    """The `tagguard` program (and `python -m tagguard`): `main`, as every entry point runs."""
    exit_with(main)


def exit_with(program: Callable[[], int]) -> NoReturn:
    """Runs an entry point's `program` with tagguard's start-up choices, then leaves with its
    exit code. Every entry point comes through here (the `tagguard` program, `python -m
    tagguard`, the docker plugin's `docker-tagguard`, the git hooks' `python -m
    tagguard.git_hook`), so a choice is made, or dropped, for all of them on one line.

    Once the verdict is printed, the process has nothing left to do: every file it wrote is
    closed, the HTTP session and its worker threads are gone. Freeing each of the thousands
    of objects that requests, click and the report left behind would add 10-25 ms to every
    pipeline step, so the streams are flushed and the process ends with `os._exit`.

    For the same reason the cycle collector is off: a run lives for a fraction of a second,
    what it allocates is freed by reference counting, and the collector's passes over the
    objects that importing requests and click creates cost time.

    Measured paired and interleaved (25 runs each, this machine): leaving by `os._exit`
    saves 1.5 ms of `--version` (x0.85) and 11 ms of an offline push or plan (x0.85); the
    collector off saves 4 ms of those (x0.94).

    The interpreter lock changes hands every 0.5 ms instead of 5: a live check's reader
    reads answers and decides while the pool's workers wait for the lock to take the next
    answer off the wire and send the next request, so a long turn of the reader holds back
    every request still queued. A live plan of 200 pushes takes x0.99 of its time with it
    (245 against 249 ms, two runs of 101 pairs). It was tried once before the reader read
    the answers, and changed nothing then.
    """
    gc.disable()
    sys.setswitchinterval(0.0005)
    code = program()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass  # the reader went away (`tagguard ... | head`): the exit code still stands
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the CLI and returns its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args in (["--version"], ["-V"]):
        sys.stdout.write(f"tagguard {__version__}\n")
        return 0
    # Past the fast path: click and the commands are what every other run needs.
    from tagguard.commands.run import run_cli
    from tagguard.config import debug_from_environment

    debug = "--debug" in args or debug_from_environment(os.environ)
    return run_cli(args, debug)
