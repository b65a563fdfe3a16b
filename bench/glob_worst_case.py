#!/usr/bin/env python3
"""Worst cases for the glob: patterns that make a literal backtracking port exponential.

    python bench/glob_worst_case.py

For each case: the answer, the number of sub-problems solved (deterministic), and the
median wall time of an uncached match over 15 runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.glob_reference import count_states

from tagguard.core import glob

CASES = [
    ("*a*a*a*a*a*a*a*a*a*a*b", "a" * 128),
    ("*a*a*a*a*a*a*a*a*a*a*b", "ab" * 64),
    ("{a,b}*{a,b}*{a,b}*{a,b}*{a,b}*{a,b}*c", "ab" * 64),
    ("**/" * 20 + "x", "/".join(["a"] * 60)),
]


def main() -> int:
    for version in glob.VERSIONS:
        for pattern, name in CASES:
            samples = []
            for _ in range(15):
                glob._cached.cache_clear()  # time the matcher, not the result cache
                start = time.perf_counter()
                result = glob.doublestar_match(pattern, name, version)
                samples.append(time.perf_counter() - start)
            states = count_states(pattern, name, version)
            label = f"{pattern[:28]!r} vs {len(name)} chars"
            print(
                f"{version} {label:46s} {result!s:5s} {states:6d} states "
                f"{statistics.median(samples) * 1000:7.2f} ms"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
