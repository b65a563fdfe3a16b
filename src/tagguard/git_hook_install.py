"""Installing tagguard's pre-push hook (`tagguard install-git-hook`), and finding it.

Where pre-commit's script is `pre-push`, tagguard installs itself as `pre-push.legacy`, which
pre-commit runs first on every push; anywhere else it takes `pre-push` and keeps the hook it
found under a name of its own (KEPT), run after it with the same arguments and input (see
tagguard.git_hook, which runs the installed hook).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from tagguard.core.record import record
from tagguard.errors import InputError, StateError

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
REFUSED_OPTIONS = MappingProxyType(
    {
        "--password-stdin": "git's standard input is the list of pushed refs; give the "
        "credentials as TAGGUARD_USERNAME/TAGGUARD_PASSWORD or with docker login",
        "--username": "it needs --password-stdin, and git's standard input is the list of pushed "
        "refs; give the credentials as TAGGUARD_USERNAME/TAGGUARD_PASSWORD or with docker login",
        "-u": "it needs --password-stdin, and git's standard input is the list of pushed refs; "
        "give the credentials as TAGGUARD_USERNAME/TAGGUARD_PASSWORD or with docker login",
        "--format": "the hook prints its own lines",
    }
)

# Reads `tagguard plan`'s arguments (PLAN, then its options) as the command will, raising
# its usage error; the CLI hands in its own, so this module needs no command of its own.
OptionCheck = Callable[[list[str]], object]


@record
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


def _validate(cwd: Path, plan: str, options: Sequence[str], check_options: OptionCheck) -> None:
    """Refuses what cannot work in a hook, and what `tagguard plan` would refuse on every push."""
    for option in options:
        name = option.partition("=")[0]
        if name in REFUSED_OPTIONS:
            raise InputError(
                f"install-git-hook: {name} cannot work in a git hook: {REFUSED_OPTIONS[name]}"
            )
    if not (cwd / plan).is_file():
        raise InputError(f"install-git-hook: no plan at {plan}: write it first (see the README)")
    read = check_options([plan, *options])  # `tagguard plan`'s usage errors, now
    # The files the plan's options name are read on every push: one that is not there
    # would stop each of them (exit 2), so it is said now.
    # Only the options given here: a variable's value is the environment's at push time.
    from click.core import ParameterSource  # loaded with the plan command just now

    params = getattr(read, "params", None)
    source = getattr(read, "get_parameter_source", None)
    for name in ("rules_file", "state_file", "ca_file"):
        given = params.get(name) if isinstance(params, dict) else None
        typed = source is not None and source(name) is ParameterSource.COMMANDLINE
        if typed and isinstance(given, str) and not (cwd / given).is_file():
            flag = "--" + name.replace("_", "-")
            raise InputError(
                f"install-git-hook: {flag} {given}: no such file here, so every push would "
                "stop at it"
            )


def install_hook(
    cwd: Path,
    plan: str,
    options: Sequence[str],
    python: str,
    check_options: OptionCheck,
) -> str:
    """Installs the hook; returns what was done, in a sentence. `check_options` reads
    `tagguard plan`'s arguments as the command will (its caller, the CLI, has it)."""
    repo = find_repository(cwd)
    _validate(cwd, plan, options, check_options)
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


def install_command(
    arguments: Sequence[str], check_options: OptionCheck, *, uninstall: bool = False
) -> int:
    """`tagguard install-git-hook [PLAN] [OPTIONS...]` / `--uninstall`."""
    cwd = Path.cwd()
    if uninstall:
        if arguments:
            raise InputError("install-git-hook --uninstall takes no plan or options")
        print(uninstall_hook(cwd))
        return 0
    plan, options = split_plan(arguments)
    print(install_hook(cwd, plan, options, sys.executable, check_options))
    return 0


def split_plan(arguments: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    """PLAN is the first argument unless that is an option."""
    if arguments and not arguments[0].startswith("-"):
        return arguments[0], tuple(arguments[1:])
    return DEFAULT_PLAN, tuple(arguments)


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
