#!/usr/bin/env python3
"""Start-up cost of the CLI against the interpreter's own, as medians over repeated runs.

    python bench/startup.py [--runs N]

Prints one line per command and the ratio to `python -c pass`, measured in this run on
this machine (the machine is shared and noisy: compare the ratios, not the seconds).
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


def median_seconds(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def offline_push(tagguard: str) -> list[str]:
    """A push checked against the bundled example rules and state files: no network."""
    state = json.loads((EXAMPLES / "state.json").read_text())
    digest = state["harbor.example.com/platform/api"]["v1.4.0"]
    return [
        tagguard, "push", "harbor.example.com/platform/api:v1.4.0", "--digest", digest,
        "--rules-file", str(EXAMPLES / "rules.json"), "--state-file", str(EXAMPLES / "state.json"),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    tagguard = shutil.which("tagguard", path=str(Path(sys.executable).parent)) or "tagguard"
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import requests'": [sys.executable, "-c", "import requests"],
        "tagguard --version": [tagguard, "--version"],
        "tagguard push (offline)": offline_push(tagguard),
    }
    baseline = None
    for label, command in commands.items():
        seconds = median_seconds(command, args.runs)
        baseline = baseline or seconds
        print(f"{label:32s} {seconds * 1000:7.1f} ms  x{seconds / baseline:4.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
