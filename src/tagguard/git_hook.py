"""Checking the git tags a push carries: tagguard's own pre-push hook, and the pre-commit hook.

Installing the hook is tagguard.git_hook_install's; this module runs it.

git hands a pre-push hook every ref it pushes on standard input, one line each:
`<local ref> <local sha> <remote ref> <remote sha>` (a deletion has the zero sha as local sha).
tagguard's own hook (`tagguard install-git-hook`) reads them all and checks the release plan
once per pushed tag, with `${GIT_TAG}` set to it.

pre-commit cannot do that (pre_commit/commands/hook_impl.py, `_pre_push_ns`): it skips every
ref that brings no new commits, describes only the first ref that does to its hooks
(PRE_COMMIT_FROM_REF, _TO_REF, _LOCAL_BRANCH, _REMOTE_BRANCH), and runs no hook at all when
no ref brings new commits, so `git tag v1 && git push origin v1` is never seen. But before
any of that it runs `hooks/pre-push.legacy` (`_run_legacy`) on every push, with git's
arguments and standard input. So where pre-commit's script is `pre-push`, tagguard installs
itself as `pre-push.legacy`; anywhere else it takes `pre-push` and keeps the hook it found
under a name of its own (KEPT), which it runs afterwards with the same arguments and input.
`pre-push.legacy` is never used for a kept hook: pre-commit's script would run it as itself.

The pre-commit `tagguard` hook (`python -m tagguard.git_hook pre-commit PLAN [OPTIONS]`)
does what it can with pre-commit's description: a tag pre-commit names is checked and may
block; tags that only point into the pushed commits may or may not be pushed, so they are
checked and reported as warnings that name install-git-hook, never as blocks.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import chdir, contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from tagguard.cli import exit_with
from tagguard.cli import main as tagguard_main
from tagguard.core.sanitize import printable
from tagguard.errors import InputError, StateError, TagguardError
from tagguard.git_hook_install import (
    KEPT,
    HookConfig,
    git_hook_installed,
    read_config,
    split_plan,
)

ZERO_SHA = "0" * 40
# decide.py's advice for a push without a digest names a command-line option; a hook has no
# command line of its own, but a plan can name the digest.
CLI_ADVICE = "so give the digest (--digest) to let identical re-runs be skipped"
HOOK_ADVICE = (
    "so release under a new tag, or, if this re-pushes the image already there, name its "
    "digest in the plan (digest:, oci-layout: or metadata-file:)"
)
INSTALL_HINT = "`tagguard install-git-hook` checks exactly the tags a push carries"


# ----------------------------------------------------------------------------- what is pushed


class PushedRef(NamedTuple):
    """One line of a pre-push hook's standard input."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletes(self) -> bool:
        return self.local_sha == ZERO_SHA

    @property
    def tag(self) -> str | None:
        """The git tag this ref writes on the remote, if it writes one."""
        if self.deletes or not self.remote_ref.startswith("refs/tags/"):
            return None
        return self.remote_ref.removeprefix("refs/tags/")


def parse_refs(text: str) -> list[PushedRef]:
    """git's pre-push input. The local ref is split from the right: it is what the user
    typed (`HEAD`, a sha, `refs/heads/x`) and git documents no other field with spaces."""
    found: list[PushedRef] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.rsplit(maxsplit=3)
        if len(parts) != 4:
            raise InputError(f"pre-push input line {number}: expected 4 fields, got {line!r}")
        found.append(PushedRef(*parts))
    return found


def pushed_tags(refs: Sequence[PushedRef]) -> list[str]:
    """The tags a push writes, in git's order, once each; deletions and branches are not."""
    return list(dict.fromkeys(tag for ref in refs if (tag := ref.tag) is not None))


# ----------------------------------------------------------------------------- checking a tag


@dataclass(frozen=True)
class Outcome:
    """The plan's verdicts with `${GIT_TAG}` set to one tag; `code` is tagguard's exit code."""

    tag: str
    code: int
    decisions: tuple[dict[str, Any], ...] = ()
    warnings: tuple[dict[str, Any], ...] = ()

    @property
    def blocked(self) -> list[dict[str, Any]]:
        return [d for d in self.decisions if d.get("decision") == "block"]


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


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# ----------------------------------------------------------------------------- the pre-push hook


def check_push(refs: Sequence[PushedRef], check: Checker, out: TextIO) -> int:
    """tagguard's own hook: every pushed tag is checked; deletions and branches are not."""
    tags = pushed_tags(refs)
    if not tags:
        out.write("tagguard: no git tag is pushed: nothing to check\n")
        return 0
    return check_tags(tags, check, out)


def _tags(tags: Sequence[str]) -> str:
    return f"git {'tag' if len(tags) == 1 else 'tags'} {', '.join(tags)}"


def check_tags(tags: Sequence[str], check: Checker, out: TextIO) -> int:
    """Tags known to be pushed: a block (exit 1) or an undecided tag (exit 2) stops the push."""
    outcomes = [check(tag) for tag in tags]
    for outcome in outcomes:
        for decision in outcome.decisions:
            out.write(decision_line(outcome.tag, decision) + "\n")
        for warning in outcome.warnings:
            out.write(printable(f"warning: git tag {outcome.tag}: {warning['message']}") + "\n")
    blocked = sum(len(o.blocked) for o in outcomes)
    undecided = [o.tag for o in outcomes if o.code not in (0, 1)]
    if blocked:
        out.write(
            f"tagguard: push stopped: {_plural(blocked, 'reference')} blocked ({_tags(tags)})\n"
        )
        return 1
    if undecided:
        out.write(f"tagguard: push stopped: {_tags(undecided)} could not be checked (see above)\n")
        return 2
    out.write(f"tagguard: {_tags(tags)}: nothing blocked\n")
    return 0


def run_pre_push(
    hook_dir: Path, args: Sequence[str], stdin: bytes, config: HookConfig, out: TextIO
) -> int:
    """The installed hook: the stored plan over every pushed tag, then the kept hook, if
    any, with git's arguments and the same input. Either failing stops the push."""
    refs = parse_refs(stdin.decode("utf-8", "surrogateescape"))
    if not (Path(config.directory) / config.plan).is_file() and pushed_tags(refs):
        raise StateError(
            f"{config.plan}: the plan install-git-hook stored is gone: restore it, or run "
            "`tagguard install-git-hook --uninstall`"
        )
    code = check_push(refs, plan_checker(config.plan, config.options, config.directory), out)
    out.flush()
    kept = hook_dir / KEPT
    if os.access(kept, os.X_OK):
        kept_code = subprocess.run([str(kept), *args], input=stdin, check=False).returncode
        code = code or kept_code
    return code


# ----------------------------------------------------------------------------- the pre-commit hook


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
    for outcome in (check(tag) for tag in tags):
        for decision in outcome.decisions:
            line = decision_line(outcome.tag, decision)
            if decision.get("decision") == "block":
                doubtful += 1
                line = f"warning: if pushed, {line}"
            out.write(line + "\n")
        for warning in outcome.warnings:
            out.write(printable(f"warning: git tag {outcome.tag}: {warning['message']}") + "\n")
        if outcome.code not in (0, 1):
            doubtful += 1
            out.write(f"warning: git tag {outcome.tag} could not be checked (see above)\n")
    if doubtful:
        out.write(
            f"tagguard: {_plural(doubtful, 'warning')} for {_tags(tags)} on the pushed commits, "
            "not a block: pre-commit cannot tell "
            f"whether this push carries them; {INSTALL_HINT}\n"
        )
    else:
        out.write(f"tagguard: {_tags(tags)} on the pushed commits: nothing blocked\n")


# ----------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m tagguard.git_hook pre-push --hook-dir DIR -- REMOTE URL` (the installed
    hook) or `python -m tagguard.git_hook pre-commit [PLAN] [OPTIONS...]` (pre-commit's)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:2] == ["pre-push", "--hook-dir"] and args[3:4] == ["--"]:
            stdin = sys.stdin.buffer.read()
            hook_dir = Path(args[2])
            config = read_config(hook_dir.parent)
            return run_pre_push(hook_dir, args[4:], stdin, config, sys.stdout)
        if args[:1] == ["pre-commit"]:
            plan, options = split_plan(args[1:])
            return run_pre_commit(
                plan,
                os.environ,
                plan_checker(plan, options),
                sys.stdout,
                git_hook=git_hook_installed(Path.cwd()),
            )
        raise InputError(f"tagguard.git_hook: unknown use {' '.join(args)!r}")
    except TagguardError as error:
        print(f"tagguard: error: {printable(error.message)}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":  # the hooks run `python -m tagguard.git_hook`
    exit_with(main)
