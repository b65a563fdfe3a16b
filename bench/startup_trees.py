#!/usr/bin/env python3
"""Start-up of two commits of tagguard, paired and interleaved: did a change make it slower?

    python bench/startup_trees.py OLD NEW [--runs N] [--live [--latency MS]]

Each commit's `src` is exported with `git archive` and byte-compiled (as `pip install`
does; without it, a tree whose .pyc are missing recompiles on every start), then run with
the same interpreter through `PYTHONPATH` as the `tagguard` program (`tagguard.cli.run`).
On `tagguard --version` and an offline push (bench/startup.py's), each run starts both
commits, the order alternating; each figure is the median over the runs of NEW's CPU
time (user + system, less moved by other jobs than wall time) and wall time divided by
OLD's in the same run, with the quartiles of those ratios as the spread. With --live, also
a live push and the default scenario's live plan against one test Harbor holding bench/run's
default data (bench/startup_choices.py's), 25 ms per request unless --latency says.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import io
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.startup import offline_push  # noqa: E402
from bench.startup_choices import live_commands  # noqa: E402

PROGRAM = "import sys; sys.argv[0] = 'tagguard'; from tagguard.cli import run; run()"


def export(commit: str, folder: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    compileall.compile_dir(str(folder / "src"), quiet=1)
    return folder / "src"


def once(
    src: Path, arguments: list[str], base_env: dict[str, str] | None = None
) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one start."""
    env = {**(base_env or os.environ), "PYTHONPATH": str(src)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, *arguments], env=env, stdout=subprocess.DEVNULL, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: a verdict blocked (the live plan's do)
        raise SystemExit(f"bench/startup_trees.py: {arguments[0]} exited {done.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return cpu, wall


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--runs", type=int, default=81)
    parser.add_argument("--live", action="store_true", help="also a live push and plan")
    parser.add_argument("--latency", type=float, default=25.0, help="ms per live request")
    args = parser.parse_args()
    commands = {"tagguard --version": ["--version"], "offline push": offline_push("x")[1:]}
    with contextlib.ExitStack() as stack:
        scratch = stack.enter_context(tempfile.TemporaryDirectory())
        env: dict[str, str] | None = None
        if args.live:
            live, env = stack.enter_context(live_commands(args.latency))
            commands.update(live)
        trees = {c: export(c, Path(scratch) / c) for c in (args.old, args.new)}
        print(f"{args.runs} runs, paired, order alternating; load average {os.getloadavg()[0]:.2f}")
        for label, arguments in commands.items():
            taken: dict[str, list[tuple[float, float]]] = {c: [] for c in trees}
            for run in range(args.runs):
                order = list(trees) if run % 2 else list(trees)[::-1]
                for commit in order:
                    taken[commit].append(once(trees[commit], arguments, env))
            for kind, index in (("cpu", 0), ("wall", 1)):
                old = [t[index] for t in taken[args.old]]
                new = [t[index] for t in taken[args.new]]
                ratios = [n / o for n, o in zip(new, old, strict=True)]
                low, _, high = statistics.quantiles(ratios, n=4)
                print(
                    f"{label:22s} {kind:4s} {args.old} {statistics.median(old) * 1000:6.1f} ms, "
                    f"{args.new} {statistics.median(new) * 1000:6.1f} ms: "
                    f"{statistics.median(ratios):.3f}x (quartiles {low:.3f}-{high:.3f})"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
