"""The git hooks' entry point (`python -m tagguard.git_hook`), and tagguard's own pre-push
hook: reading what git pushes, and checking every tag it carries.

Installing the hook is tagguard.git_hook_install's; checking a tag with the stored plan and
printing the verdicts, tagguard.git_hook_check's; pre-commit's hook,
tagguard.git_hook_pre_commit's.

git hands a pre-push hook every ref it pushes on standard input, one line each:
`<local ref> <local sha> <remote ref> <remote sha>` (a deletion has the null id, all zeros,
as local sha).
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
does what it can with pre-commit's description (tagguard.git_hook_pre_commit).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, TextIO

from tagguard.cli import exit_with
from tagguard.core.sanitize import printable, without_userinfo
from tagguard.errors import InputError, StateError, TagguardError
from tagguard.git_hook_check import Checker, check_tags, plan_checker
from tagguard.git_hook_install import (
    KEPT,
    HookConfig,
    git_hook_installed,
    read_config,
    split_plan,
)
from tagguard.git_hook_pre_commit import run_pre_commit

# ----------------------------------------------------------------------------- what is pushed


class PushedRef(NamedTuple):
    """One line of a pre-push hook's standard input."""

    local_ref: str
    local_sha: str
    remote_ref: str
    remote_sha: str

    @property
    def deletes(self) -> bool:
        """git writes a deletion's local object name as its hash's null id: 40 zeros with
        SHA-1, 64 with SHA-256 (`git init --object-format=sha256`)."""
        return bool(self.local_sha) and self.local_sha.strip("0") == ""

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


# ----------------------------------------------------------------------------- the pre-push hook


def check_push(refs: Sequence[PushedRef], check: Checker, out: TextIO) -> int:
    """tagguard's own hook: every pushed tag is checked; deletions and branches are not."""
    tags = pushed_tags(refs)
    if not tags:
        out.write("tagguard: no git tag is pushed: nothing to check\n")
        return 0
    return check_tags(tags, check, out)


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
        # The remote URL among the arguments may hold a token (https://x:TOKEN@host).
        raise InputError(f"tagguard.git_hook: unknown use {without_userinfo(' '.join(args))!r}")
    except TagguardError as error:
        print(f"tagguard: error: {printable(error.message)}", file=sys.stderr)
        return error.exit_code
    except Exception as error:  # a bug: exit 2 in one line (1 would be "blocked")
        from tagguard.commands.run import internal_error  # on a bug's path only

        # The remote URL git hands the hook may hold a token (https://x:TOKEN@host).
        message = internal_error(error, without_userinfo, "please report it")
        print(f"tagguard: internal error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # the hooks run `python -m tagguard.git_hook`
    exit_with(main)
