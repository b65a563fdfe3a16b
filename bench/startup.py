#!/usr/bin/env python3
"""Start-up cost of the CLI against the interpreter's own, paired and interleaved.

    python bench/startup.py [--runs N] [--code CODE ...]

Each run starts every command once, one after the other, so a slow moment of the shared
machine lands on all of them alike; each command's figure is the median over the runs, and
each ratio the median of the per-run ratios (paired). Two baselines: `python -c pass` (the
bare interpreter) and `python -c 'import re, sys'`, what pip's console-script launcher
itself imports, the floor of any console script. Each --code CODE adds `python -c CODE` to
the loop (what an import costs, paired with the rest: e.g. `--code 'import requests, click,
yaml; import os; os._exit(0)'`, which leaves as tagguard does, without the teardown).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BARE = "python -c pass"
LAUNCHER = "python -c 'import re, sys'"


def seconds(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one run, its output discarded."""
    start = time.perf_counter()
    subprocess.run(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )
    return time.perf_counter() - start


def median_seconds(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    return statistics.median(seconds(command, env) for _ in range(runs))


def offline_push(tagguard: str) -> list[str]:
    """A push checked against the bundled example rules and state files: no network."""
    state = json.loads((EXAMPLES / "state.json").read_text())
    digest = state["harbor.example.com/platform/api"]["v1.4.0"]
    return [
        tagguard, "push", "harbor.example.com/platform/api:v1.4.0", "--digest", digest,
        "--rules-file", str(EXAMPLES / "rules.json"), "--state-file", str(EXAMPLES / "state.json"),
    ]  # fmt: skip


def commands(tagguard: str) -> dict[str, list[str]]:
    return {
        BARE: [sys.executable, "-c", "pass"],
        LAUNCHER: [sys.executable, "-c", "import re, sys"],
        "tagguard --version": [tagguard, "--version"],
        "tagguard push (offline)": offline_push(tagguard),
        "python -c 'import requests'": [sys.executable, "-c", "import requests"],
    }


def paired(programs: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Every program once per run, in turn: samples[label][run]."""
    samples: dict[str, list[float]] = {label: [] for label in programs}
    for _ in range(runs):
        for label, command in programs.items():
            samples[label].append(seconds(command))
    return samples


def ratio(samples: dict[str, list[float]], label: str, baseline: str) -> float:
    """The median of the per-run ratios: each run's pair shares that moment's load."""
    return statistics.median(a / b for a, b in zip(samples[label], samples[baseline], strict=True))


def report(samples: dict[str, list[float]]) -> list[str]:
    width = max(32, *(len(label) for label in samples))
    lines = [f"{'command':{width}s} {'median':>9s} {'vs pass':>8s} {'vs import re, sys':>18s}"]
    for label, taken in samples.items():
        lines.append(
            f"{label:{width}s} {statistics.median(taken) * 1000:6.1f} ms "
            f"{ratio(samples, label, BARE):7.2f}x {ratio(samples, label, LAUNCHER):17.2f}x"
        )
    return lines


def tagguard_program() -> str:
    return shutil.which("tagguard", path=str(Path(sys.executable).parent)) or "tagguard"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--code", action="append", default=[], help="also time python -c CODE")
    args = parser.parse_args()
    programs = commands(tagguard_program())
    programs.update({f"python -c {code!r}": [sys.executable, "-c", code] for code in args.code})
    samples = paired(programs, args.runs)
    print(f"{args.runs} runs, paired and interleaved")
    print("\n".join(report(samples)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
