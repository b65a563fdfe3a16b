"""The pre-commit `tagguard` hook (`python -m tagguard.git_hook pre-commit PLAN [OPTIONS]`).

pre-commit describes only the first ref that brings new commits to its hooks
(PRE_COMMIT_FROM_REF, _TO_REF, _LOCAL_BRANCH, _REMOTE_BRANCH) and runs none when no ref
does (see tagguard.git_hook). This hook does what it can with that: a tag pre-commit names
is checked and may block; tags that only point into the pushed commits may or may not be
pushed, so they are checked and reported as warnings that name install-git-hook, never as
blocks.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from tagguard.errors import StateError
from tagguard.git_hook_check import (
    Checker,
    check_tags,
    decision_line,
    plural,
    tags_named,
    warning_line,
)

INSTALL_HINT = "`tagguard install-git-hook` checks exactly the tags a push carries"


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StateError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def pushed_commits(env: Mapping[str, str]) -> set[str]:
    """The commits of the ref pre-commit describes: FROM_REF..TO_REF, or, on a first push of a
    history (pre-commit then gives neither), what the remote's branches do not have."""
    from_ref, to_ref = env.get("PRE_COMMIT_FROM_REF"), env.get("PRE_COMMIT_TO_REF")
    if from_ref and to_ref:
        return set(_git("rev-list", f"{from_ref}..{to_ref}", "--").split())
    local, remote = env.get("PRE_COMMIT_LOCAL_BRANCH"), env.get("PRE_COMMIT_REMOTE_NAME")
    if local and remote:
        return set(_git("rev-list", local, "--not", f"--remotes={remote}", "--").split())
    return set()


def tags_on(commits: set[str]) -> list[str]:
    """Local tags, lightweight or annotated, that point at one of `commits`."""
    if not commits:
        return []
    listed = _git("for-each-ref", "--format=%(objectname) %(*objectname) %(refname)", "refs/tags")
    found: list[str] = []
    for line in listed.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and (parts[0] in commits or parts[1] in commits):
            found.append(parts[2].removeprefix("refs/tags/"))
    return found


def run_pre_commit(
    plan: str, env: Mapping[str, str], check: Checker, out: TextIO, *, git_hook: bool
) -> int:
    """The pre-commit hook. A tag pre-commit names (or GIT_TAG) is checked and may block;
    tags on the pushed commits are checked as warnings only; anything else passes at once."""
    if not Path(plan).is_file():
        out.write(
            f"tagguard: no {plan} here, so nothing to check: write a release plan "
            "(see tagguard's README, pre-commit), or drop the tagguard hook\n"
        )
        return 0
    if git_hook:
        out.write("tagguard: tagguard's own git hook (install-git-hook) checks this push's tags\n")
        return 0
    named = env.get("PRE_COMMIT_REMOTE_BRANCH", "")
    certain = [named.removeprefix("refs/tags/")] if named.startswith("refs/tags/") else []
    if not certain and env.get("GIT_TAG"):
        certain = [env["GIT_TAG"]]
    inferred = [t for t in tags_on(pushed_commits(env)) if t not in certain]
    if not certain and not inferred:
        pushing = named or "commits"
        out.write(f"tagguard: pushing {pushing}: no git tag on the new commits, nothing to check\n")
        return 0
    code = check_tags(certain, check, out) if certain else 0
    _warn_inferred(inferred, check, out)
    return code


def _warn_inferred(tags: Sequence[str], check: Checker, out: TextIO) -> None:
    """Tags on the pushed commits: pre-commit cannot say whether this push carries them."""
    if not tags:
        return
    doubtful = 0
    # The summary names the tags a warning is about, not every tag checked beside them.
    doubted: list[str] = []
    for outcome in (check(tag) for tag in tags):
        for decision in outcome.decisions:
            line = decision_line(outcome.tag, decision)
            if decision.get("decision") == "block":
                doubtful += 1
                line = f"warning: if pushed, {line}"
            out.write(line + "\n")
        for warning in outcome.warnings:
            out.write(warning_line(outcome.tag, warning) + "\n")
        if outcome.undecided:
            doubtful += 1
            out.write(f"warning: git tag {outcome.tag} could not be checked (see above)\n")
        if outcome.blocked or outcome.undecided:
            doubted.append(outcome.tag)
    if doubtful:
        out.write(
            f"tagguard: {plural(doubtful, 'warning')} for {tags_named(doubted)} on the pushed "
            f"commits, not a block: pre-commit cannot tell whether this push carries them; "
            f"{INSTALL_HINT}\n"
        )
    else:
        out.write(f"tagguard: {tags_named(tags)} on the pushed commits: nothing blocked\n")
