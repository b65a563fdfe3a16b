"""What the git hooks check and how they tell it: the stored release plan run for one git
tag at a time, and the lines a hook prints for its verdicts (tagguard.git_hook's pre-push
hook and tagguard.git_hook_pre_commit's hook share them).

The plan is checked as `tagguard plan PLAN OPTIONS --format json` in this process, once per
tag with `${GIT_TAG}` set to it, so a hook gives exactly the command's verdicts; a hook's
user is given advice they can follow (a plan can name a digest, a hook has no command line).
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import chdir, contextmanager, redirect_stdout
from typing import Any, TextIO

from tagguard.cli import main as tagguard_main
from tagguard.core.record import record
from tagguard.core.sanitize import printable

# decide.py's advice for a push without a digest names a command-line option; a hook has no
# command line of its own, but a plan can name the digest.
CLI_ADVICE = "so give the digest (--digest) to let identical re-runs be skipped"
HOOK_ADVICE = (
    "so release under a new tag, or, if this re-pushes the image already there, name its "
    "digest in the plan (digest:, oci-layout: or metadata-file:)"
)


@record
class Outcome:
    """The plan's verdicts with `${GIT_TAG}` set to one tag; `code` is tagguard's exit code."""

    tag: str
    code: int
    decisions: tuple[dict[str, Any], ...] = ()
    warnings: tuple[dict[str, Any], ...] = ()

    @property
    def blocked(self) -> list[dict[str, Any]]:
        return [d for d in self.decisions if d.get("decision") == "block"]

    @property
    def undecided(self) -> bool:
        return self.code not in (0, 1)


Checker = Callable[[str], Outcome]


@contextmanager
def _variable(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def plan_checker(plan: str, options: Sequence[str], directory: str = ".") -> Checker:
    """Runs `tagguard plan PLAN OPTIONS --format json` in this process, once per tag, from
    `directory`: the same verdicts as the command (its errors go to standard error as its
    one line)."""

    def check(tag: str) -> Outcome:
        printed = io.StringIO()
        with _variable("GIT_TAG", tag), chdir(directory), redirect_stdout(printed):
            code = tagguard_main(["plan", plan, *options, "--format", "json"])
        if not printed.getvalue().strip():
            return Outcome(tag, code)
        data = json.loads(printed.getvalue())
        return Outcome(tag, code, tuple(data["decisions"]), tuple(data["warnings"]))

    return check


def hook_reason(reason: str) -> str:
    """A decision's reason with advice a hook's user can follow."""
    return reason.replace(CLI_ADVICE, HOOK_ADVICE)


def decision_line(tag: str, decision: Mapping[str, Any]) -> str:
    source = decision.get("source") or {}
    where = f"{source['file']}:{source['line']}: " if "file" in source else ""
    return printable(
        f"git tag {tag}: {where}{decision['decision']:<5}  {decision['reference']}  "
        f"{hook_reason(str(decision['reason']))}"
    )


def warning_line(tag: str, warning: Mapping[str, Any]) -> str:
    return printable(f"warning: git tag {tag}: {warning['message']}")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def tags_named(tags: Sequence[str]) -> str:
    return f"git {'tag' if len(tags) == 1 else 'tags'} {', '.join(tags)}"


def check_tags(tags: Sequence[str], check: Checker, out: TextIO) -> int:
    """Tags known to be pushed: a block (exit 1) or an undecided tag (exit 2) stops the push."""
    outcomes = [check(tag) for tag in tags]
    for outcome in outcomes:
        for decision in outcome.decisions:
            out.write(decision_line(outcome.tag, decision) + "\n")
        for warning in outcome.warnings:
            out.write(warning_line(outcome.tag, warning) + "\n")
    blocked = sum(len(o.blocked) for o in outcomes)
    undecided = [o.tag for o in outcomes if o.undecided]
    if blocked:
        stopping = [o.tag for o in outcomes if o.blocked]  # the tags to fix, not every one
        out.write(
            f"tagguard: push stopped: {plural(blocked, 'reference')} blocked "
            f"({tags_named(stopping)})\n"
        )
        return 1
    if undecided:
        out.write(
            f"tagguard: push stopped: {tags_named(undecided)} could not be checked (see above)\n"
        )
        return 2
    out.write(f"tagguard: {tags_named(tags)}: nothing blocked\n")
    return 0
