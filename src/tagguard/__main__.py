"""`python -m tagguard`: the `tagguard` program itself (`cli.run`), so it starts and ends as
the installed one does (for in-process callers, and profilers, `cli.main` returns)."""

from tagguard.cli import run

run()
