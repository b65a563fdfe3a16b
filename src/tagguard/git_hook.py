"""Checking the git tags a push carries: tagguard's own pre-push hook, and the pre-commit hook.

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
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import chdir, contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from tagguard.core.sanitize import printable
from tagguard.errors import InputError, StateError, TagguardError

ZERO_SHA = "0" * 40
DEFAULT_PLAN = ".tagguard.yml"
HOOK = "pre-push"
LEGACY = "pre-push.legacy"  # what pre-commit's script runs before its own hooks
KEPT = "pre-push.tagguard-kept"  # the hook tagguard found there, run after it
CONFIG = "tagguard-hook.json"  # in the git directory: the plan and its options
MARKER = "# tagguard-git-hook: 7f3c2a91d5e4"  # how tagguard knows its own script
# How pre-commit knows its own hook script (pre_commit/commands/install_uninstall.py,
# CURRENT_HASH and PRIOR_HASHES): one of these strings is in every script it wrote.
PRE_COMMIT_HASHES = (
    "138fd403232d2ddd5efb44317e38bf03",
    "4d9958c90bc262f47553e2c073f14cfe",
    "d8ee923c46731b42cd95cc869add4062",
    "49fd668cb42069aa1b6048464be5d395",
    "79f09a650522a87b0da915d0d983b2de",
    "e358c9dae00eac5d06b38dfdb1e33a8c",
)
# Options that cannot work in a hook: git's standard input is the list of refs, and the
# hook reads the verdicts as JSON.
REFUSED_OPTIONS = {
    "--password-stdin": "git's standard input is the list of pushed refs; give the "
    "credentials as TAGGUARD_USERNAME/TAGGUARD_PASSWORD or with docker login",
    "--username": "it needs --password-stdin, and git's standard input is the list of pushed "
    "refs; give the credentials as TAGGUARD_USERNAME/TAGGUARD_PASSWORD or with docker login",
    "-u": "it needs --password-stdin, and git's standard input is the list of pushed refs; "
    "give the credentials as TAGGUARD_USERNAME/TAGGUARD_PASSWORD or with docker login",
    "--format": "the hook prints its own lines",
}
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
        from tagguard.cli import main as tagguard_main

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


# ----------------------------------------------------------------------------- installing


@dataclass(frozen=True)
class HookConfig:
    """What install-git-hook stored: the plan, `tagguard plan`'s options, and the folder
    (relative to the work tree's top) their relative paths start from."""

    plan: str
    options: tuple[str, ...]
    directory: str = "."


def read_config(git_dir: Path) -> HookConfig:
    path = git_dir / CONFIG
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return HookConfig(
            str(data["plan"]), tuple(map(str, data["options"])), str(data["directory"])
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StateError(
            f"{path}: tagguard's hook settings cannot be read ({error}): run "
            "`tagguard install-git-hook` again"
        ) from None


def _write_config(git_dir: Path, config: HookConfig) -> None:
    data = {"plan": config.plan, "options": list(config.options), "directory": config.directory}
    (git_dir / CONFIG).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def hook_script(python: str) -> str:
    """The pre-push script: tagguard's Python, found where it was installed from."""
    return f"""#!/bin/sh
# Installed by `tagguard install-git-hook`; remove it with `tagguard install-git-hook --uninstall`.
{MARKER}
# Checks every git tag this push carries with the plan in the git directory's {CONFIG}, then
# runs the hook it replaced ({KEPT}), if any, with the same arguments and input.
TAGGUARD_PYTHON={shlex.quote(python)}
HERE="$(cd "$(dirname "$0")" && pwd)"
if [ -x "$TAGGUARD_PYTHON" ]; then
    exec "$TAGGUARD_PYTHON" -m tagguard.git_hook pre-push --hook-dir "$HERE" -- "$@"
fi
echo "tagguard: $TAGGUARD_PYTHON is gone: reinstall tagguard and run 'tagguard install-git-hook' again" >&2
exit 1
"""


def _contains(path: Path, needles: Sequence[str]) -> bool:
    try:
        text = path.read_bytes()
    except OSError:
        return False
    return any(n.encode() in text for n in needles)


def is_ours(path: Path) -> bool:
    return _contains(path, [MARKER])


def is_pre_commits(path: Path) -> bool:
    return _contains(path, PRE_COMMIT_HASHES)


class Repository(NamedTuple):
    top: Path  # the work tree's top folder
    git_dir: Path  # the common git directory (shared by worktrees), where hooks/ is

    @property
    def hooks(self) -> Path:
        return self.git_dir / "hooks"


def find_repository(cwd: Path) -> Repository:
    done = subprocess.run(
        ["git", "rev-parse", "--show-toplevel", "--git-common-dir"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise InputError(f"install-git-hook: {cwd} is not in a git work tree")
    top, git_dir = done.stdout.splitlines()
    hooks_path = subprocess.run(
        ["git", "config", "core.hooksPath"], cwd=cwd, capture_output=True, text=True, check=False
    )
    if hooks_path.stdout.strip():
        # Another tool owns the hooks there (and they may serve other repositories too).
        raise InputError(
            f"install-git-hook: core.hooksPath is set ({hooks_path.stdout.strip()}): install "
            "there by hand, or unset it with `git config --unset-all core.hooksPath`"
        )
    return Repository(Path(top), (cwd / git_dir).resolve())


def _validate(cwd: Path, plan: str, options: Sequence[str]) -> None:
    """Refuses what cannot work in a hook, and what `tagguard plan` would refuse on every push."""
    for option in options:
        name = option.partition("=")[0]
        if name in REFUSED_OPTIONS:
            raise InputError(
                f"install-git-hook: {name} cannot work in a git hook: {REFUSED_OPTIONS[name]}"
            )
    if not (cwd / plan).is_file():
        raise InputError(f"install-git-hook: no plan at {plan}: write it first (see the README)")
    from tagguard.commands.plans import plan as plan_command

    plan_command.make_context("tagguard plan", [plan, *options])  # usage errors, now


def install_hook(cwd: Path, plan: str, options: Sequence[str], python: str) -> str:
    """Installs the hook; returns what was done, in a sentence."""
    repo = find_repository(cwd)
    _validate(cwd, plan, options)
    hook, legacy, kept = repo.hooks / HOOK, repo.hooks / LEGACY, repo.hooks / KEPT
    if is_ours(hook) or is_ours(legacy):
        target = hook if is_ours(hook) else legacy  # again: new settings, same place
    else:
        # pre-commit's script runs pre-push.legacy first, on every push (hook_impl._run_legacy).
        target = legacy if is_pre_commits(hook) else hook
        if os.path.lexists(target):
            if os.path.lexists(kept):
                raise InputError(f"install-git-hook: {kept} exists already: move it away first")
            os.replace(target, kept)
    repo.hooks.mkdir(parents=True, exist_ok=True)
    target.write_text(hook_script(python), encoding="utf-8")
    target.chmod(0o755)
    directory = os.path.relpath(cwd.resolve(), repo.top.resolve())
    _write_config(repo.git_dir, HookConfig(plan, tuple(options), directory))
    done = f"tagguard: installed {target}"
    if target == legacy:
        done += " (pre-commit's pre-push hook runs it first, on every push)"
    if os.path.lexists(kept):
        done += f"; the hook that was there is kept as {kept.name} and runs after it"
    return done


def uninstall_hook(cwd: Path) -> str:
    """Removes the hook and puts back the one it kept, wherever tagguard's now is (pre-commit
    moves a hook it finds at pre-push to pre-push.legacy, and back when uninstalled)."""
    repo = find_repository(cwd)
    (repo.git_dir / CONFIG).unlink(missing_ok=True)
    kept = repo.hooks / KEPT
    for place in (repo.hooks / HOOK, repo.hooks / LEGACY):
        if is_ours(place):
            place.unlink()
            if os.path.lexists(kept):
                os.replace(kept, place)
                return f"tagguard: removed the hook; {place} is the one it kept"
            return f"tagguard: removed {place}"
    return "tagguard: no tagguard hook is installed here"


def install_command(arguments: Sequence[str], *, uninstall: bool = False) -> int:
    """`tagguard install-git-hook [PLAN] [OPTIONS...]` / `--uninstall`."""
    cwd = Path.cwd()
    if uninstall:
        if arguments:
            raise InputError("install-git-hook --uninstall takes no plan or options")
        print(uninstall_hook(cwd))
        return 0
    plan, options = split_plan(arguments)
    print(install_hook(cwd, plan, options, sys.executable))
    return 0


def split_plan(arguments: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """PLAN is the first argument unless that is an option."""
    if arguments and not arguments[0].startswith("-"):
        return arguments[0], tuple(arguments[1:])
    return DEFAULT_PLAN, tuple(arguments)


# ----------------------------------------------------------------------------- entry point


def git_hook_installed(cwd: Path) -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--git-common-dir"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return False
    hooks = (cwd / done.stdout.strip()) / "hooks"
    return (hooks.parent / CONFIG).is_file() and (is_ours(hooks / HOOK) or is_ours(hooks / LEGACY))


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


if __name__ == "__main__":
    raise SystemExit(main())
