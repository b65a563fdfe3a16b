#!/usr/bin/env python3
"""How long loading a plan takes in-process: `tagguard.shell.plan_file.load_plan` alone.

    python bench/plan_load.py [--runs N] [--big N]

Loads the default scenario's 200-push plan (bench/seed.py's `write_plan` over bench/run's
default data) and the offline-scale scenario's plan (bench/offline_scale.py's `plan_file`,
30,000 operations unless --big says otherwise), each --runs times with the cycle collector
off (as the `tagguard` program runs), and prints the best time of each; of the reader that
took its text (tagguard.shell.plan_block for plain YAML, else PyYAML through
tagguard.shell.plan_yaml); and of PyYAML's reading of the same text, whole (`plan_tree`) and
its `compose` alone (the part that is PyYAML's, not tagguard's). The tagguard measured
is whichever the interpreter imports: run it with PYTHONPATH set to another tree's `src` to
compare.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml
from bench.offline_scale import plan_file
from bench.seed import BenchState, choose, seed, write_plan

import tagguard
from tagguard.shell.plan_block import block_tree
from tagguard.shell.plan_file import load_plan
from tagguard.shell.plan_yaml import plan_tree

HOST = "127.0.0.1:38080"  # what bench/run's plan holds: the test server's address


def best(run: Callable[[], object], runs: int) -> float:
    """The fastest of `runs` calls, in seconds (the least disturbed by the machine)."""
    times = []
    for _ in range(runs):
        gc.disable()
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
        gc.enable()
        gc.collect()
    return min(times)


def report(name: str, path: Path, operations: int, runs: int) -> None:
    text = path.read_text()
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    load_s = best(lambda: load_plan(str(path), {}), runs)
    plain = block_tree(text, str(path), {}) is not None
    block_s = best(lambda: block_tree(text, str(path), {}), runs)
    tree_s = best(lambda: plan_tree(text, str(path), {}), runs)
    compose_s = best(lambda: yaml.compose(text, Loader=loader), runs)
    reader = f"plain YAML, read by plan_block in {block_s * 1000:.2f} ms" if plain else "PyYAML's"
    print(
        f"{name}: {load_s * 1000:.2f} ms ({load_s / operations * 1e6:.1f} us per operation), "
        f"{reader}; PyYAML's plan_tree {tree_s * 1000:.2f} ms, its compose {compose_s * 1000:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--big", type=int, default=30_000)
    args = parser.parse_args()
    print(f"tagguard from {Path(tagguard.__file__).parent}")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        small = folder / "release.yml"
        write_plan(small, HOST, choose(seed(BenchState(), 20, 50, 4), 200))
        load_plan(str(small), {})  # warms the caches
        plan_tree(small.read_text(), str(small), {})  # imports PyYAML's reader
        report("200-push plan", small, 200, args.runs)
        big = plan_file(folder, args.big)
        report(f"{args.big}-operation plan", big, args.big, max(3, args.runs // 5))


if __name__ == "__main__":
    main()
