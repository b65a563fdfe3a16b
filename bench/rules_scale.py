#!/usr/bin/env python3
"""How the cost of a check grows with the number of rules (and of references).

    python bench/rules_scale.py [--rules 50,500,5000] [--refs 200] [--runs 3]

Each run checks `--refs` references offline (rules and state files) against a project with
that many rules: pathological patterns that never match, then one rule that protects v*
(tests/builders.huge_rule_set). Prints the median time, the cost per rule and reference,
and the growth against the first size. Linear growth keeps the per-pair cost flat; start-up
dominates the smallest size.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from startup import median_seconds  # noqa: E402
from tests.builders import huge_rule_set  # noqa: E402

DIGEST, OTHER = "sha256:" + "1" * 64, "sha256:" + "2" * 64
TAGS_PER_REPOSITORY = 10


def command(folder: Path, rules: int, refs: int) -> list[str]:
    data, state, names = huge_rule_set(
        rules, max(1, refs // TAGS_PER_REPOSITORY), TAGS_PER_REPOSITORY, DIGEST
    )
    paths = (
        folder / f"rules-{rules}.json",
        folder / f"state-{rules}.json",
        folder / f"refs-{rules}.txt",
    )
    paths[0].write_text(json.dumps(data))
    paths[1].write_text(json.dumps(state))
    paths[2].write_text("\n".join(names[:refs]) + "\n")
    return [
        sys.executable, "-m", "tagguard", "push", "--refs-file", str(paths[2]), "--digest", OTHER,
        "--rules-file", str(paths[0]), "--state-file", str(paths[1]), "--format", "json",
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", default="50,500,5000")
    parser.add_argument("--refs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.rules.split(",")]
    first: tuple[int, float] | None = None
    print(f"{'rules':>6} {'refs':>5} {'seconds':>8} {'us/pair':>8} {'x rules':>8} {'x time':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for rules in sizes:
            seconds = median_seconds(command(Path(folder), rules, args.refs), args.runs)
            first = first or (rules, seconds)
            per_pair = seconds / (rules * args.refs) * 1e6
            print(f"{rules:6d} {args.refs:5d} {seconds:8.3f} {per_pair:8.2f} "
                  f"{rules / first[0]:8.0f} {seconds / first[1]:7.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
