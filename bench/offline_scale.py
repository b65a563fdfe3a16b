"""bench/run --scenario offline-scale: how tagguard's own work grows, without a network.

Every check is the `tagguard` program as installed, reading its rules and state from files
(`--rules-file`, `--state-file`), so what is timed is tagguard alone: start-up, parsing,
deciding and printing. The commands run in rounds (`--runs` of them), each command once a
round, and each figure is the median of its rounds: a machine whose speed drifts then moves
every figure of a round alike, rather than the 50k run against the 1k one.

* references: 1k, 10k and 50k pushes against a fixed state of 50k tags in 100 repositories;
  the marginal cost per reference from 10k to 50k against that from 1k to 10k (linear: the
  same), their ratio taken within each round, then the median of the rounds';
* one big repository: 1k references against a repository of 100k tags;
* a plan: 30k operations on one repository (pushes, retags of what an earlier operation
  pushed, deletes), each simulated over the writes before it;
* memory: the peak RSS of a 50k-reference check printed as JSON against the same printed as
  text, and the same written as a --report file.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.startup import tagguard_program

REGISTRY = "harbor.example.com"
DIGEST = "sha256:" + "1" * 64
OTHER = "sha256:" + "2" * 64


@dataclass(frozen=True)
class Sizes:
    refs: tuple[int, int, int]
    repositories: int  # of the fixed state the references are checked against
    big_tags: int  # tags of the one big repository
    big_refs: int
    operations: int  # of the plan
    report_refs: int


FULL = Sizes((1_000, 10_000, 50_000), 100, 100_000, 1_000, 30_000, 50_000)
QUICK = Sizes((200, 1_000, 2_000), 10, 5_000, 200, 1_000, 2_000)


def tag(i: int) -> str:
    return f"v1.{i}" if i % 2 else f"build-{i}"  # half immutable under the rule v*


def rules_file(folder: Path) -> Path:
    rule = {
        "id": 1, "priority": 0, "disabled": False, "action": "immutable",
        "template": "immutable_template",
        "scope_selectors": {"repository": [
            {"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]},
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v*"}],
    }  # fmt: skip
    path = folder / "rules.json"
    path.write_text(json.dumps({"proj": [rule]}))
    return path


def state_file(
    folder: Path, name: str, repositories: int, tags: int, stem: str = "service-"
) -> tuple[Path, list[str]]:
    """`tags` tags spread over `repositories` repositories of project proj (named `stem`
    and a number, or `stem` alone for one); returns the file and every reference in it."""
    state: dict[str, dict[str, str]] = {}
    references = []
    for i in range(tags):
        number = str(i % repositories) if repositories > 1 else ""
        repository = f"{REGISTRY}/proj/{stem}{number}"
        state.setdefault(repository, {})[tag(i)] = DIGEST
        references.append(f"{repository}:{tag(i)}")
    path = folder / f"state-{name}.json"
    path.write_text(json.dumps(state))
    return path, references


def refs_file(folder: Path, name: str, references: list[str], count: int) -> Path:
    """`count` of the references, spread evenly over them."""
    path = folder / f"refs-{name}.txt"
    step = len(references) / count
    path.write_text("\n".join(references[int(i * step)] for i in range(count)) + "\n")
    return path


def push(refs: Path, rules: Path, state: Path, *extra: str) -> list[str]:
    return [tagguard_program(), "push", "--refs-file", str(refs),
            "--digest", OTHER, "--rules-file", str(rules), "--state-file", str(state),
            *extra]  # fmt: skip


def plan_file(folder: Path, operations: int) -> Path:
    """Operations on one repository: push a build tag, retag it to a release tag (v*:
    immutable, refused where it exists on another image), delete the build tag; in flow
    style, one per line."""
    repository = f"{REGISTRY}/proj/app"
    lines = ["operations:"]
    for i in range(operations):
        n = i // 3
        if i % 3 == 0:
            digest = OTHER if n % 2 else DIGEST  # moves immutable v-tags on retag: blocks
            lines.append(f'  - {{push: "{repository}:build-{n}", digest: "{digest}"}}')
        elif i % 3 == 1:
            lines.append(
                f'  - {{retag: {{from: "{repository}:build-{n}", to: "{repository}:v1.{n % 500}"}}}}'
            )
        else:
            lines.append(f'  - {{delete: "{repository}:build-{n}"}}')
    path = folder / "plan.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_once(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one run, its output discarded; an exit 2
    (could not decide) stops the benchmark."""
    with open(os.devnull, "w") as out, tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        taken = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            errors.seek(0)
            sys.exit(f"bench/run: {' '.join(command[1:])} failed: {errors.read().decode()}")
    return taken, usage.ru_maxrss * 1024  # Linux reports KiB


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, list[tuple[float, int]]]:
    """Each command's (seconds, peak RSS) in every one of `runs` rounds, each round running
    every command once, one after the other: a machine that slows down (this one's speed
    has moved by half within minutes) then slows each figure a round compares alike."""
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(run_once(command))
    return samples


def marginal(sizes: Sequence[int], seconds: Sequence[float]) -> tuple[float, float]:
    """The cost per reference from the first size to the second, and from the second to the
    third."""
    (a, b, c), (ta, tb, tc) = sizes, seconds
    return (tb - ta) / (b - a), (tc - tb) / (c - b)


def marginal_ratio(sizes: Sequence[int], seconds: Sequence[float]) -> float:
    """The second marginal cost over the first. Quick sizes on a loaded machine can make the
    first nil or negative (the smaller check slower than the larger): the ratio says so
    (infinite, or negative), the benchmark does not stop."""
    early, late = marginal(sizes, seconds)
    return late / early if early else math.inf


def run(quick: bool, runs: int) -> int:
    sizes = QUICK if quick else FULL
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        rules = rules_file(folder)
        state, references = state_file(folder, "fixed", sizes.repositories, max(sizes.refs))
        commands = {
            str(n): push(refs_file(folder, str(n), references, n), rules, state) for n in sizes.refs
        }
        big_state, big_references = state_file(folder, "big", 1, sizes.big_tags, "big")
        commands["big"] = push(
            refs_file(folder, "big", big_references, sizes.big_refs), rules, big_state
        )
        plan_state, _ = state_file(folder, "plan", 1, 1_000, "app")
        commands["plan"] = [tagguard_program(), "plan", str(plan_file(folder, sizes.operations)),
                            "--rules-file", str(rules), "--state-file", str(plan_state)]  # fmt: skip
        report_refs = refs_file(folder, "report", references, sizes.report_refs)
        for fmt in ("json", "text"):
            commands[f"format {fmt}"] = push(report_refs, rules, state, "--format", fmt)
            commands[f"report {fmt}"] = push(report_refs, rules, state, "--format", "text",
                                              "--report", f"{fmt}={folder / ('report.' + fmt)}")  # fmt: skip
        samples = interleaved(commands, runs)

    def seconds(name: str) -> float:
        return statistics.median(s for s, _ in samples[name])

    def rss_of(name: str) -> int:
        return max(r for _, r in samples[name])

    times = [seconds(str(n)) for n in sizes.refs]
    (a, b, c) = sizes.refs
    first, second = marginal(sizes.refs, times)
    # The ratio of each round's own three runs, then their median: the three sizes of a
    # round ran within seconds of each other.
    ratios = [
        marginal_ratio(sizes.refs, [samples[str(n)][round_][0] for n in sizes.refs])
        for round_ in range(runs)
    ]
    ratio = statistics.median(ratios)
    big_s, plan_s = seconds("big"), seconds("plan")
    rss = {
        name: rss_of(name) for name in ("format json", "report json", "format text", "report text")
    }

    mb = 1024 * 1024
    print(
        f"offline-scale{' (quick)' if quick else ''}: median of {runs} interleaved rounds "
        "(each command once a round)"
    )
    print(f"{'references':>10} {'seconds':>8} {'us/ref':>10}")
    for n, t in zip(sizes.refs, times, strict=True):
        print(f"{n:10d} {t:8.3f} {t / n * 1e6:10.1f}")
    print(
        f"marginal cost per reference: {a}->{b} {first * 1e6:.1f} us, {b}->{c} "
        f"{second * 1e6:.1f} us; within each round {', '.join(f'{r:.2f}x' for r in ratios)}, "
        f"median {ratio:.2f}x"
    )
    print(f"{sizes.big_refs} references against a {sizes.big_tags}-tag repository: {big_s:.3f} s")
    print(f"a {sizes.operations}-operation plan on one repository: {plan_s:.3f} s")
    print(
        f"peak RSS, {sizes.report_refs} references: "
        + ", ".join(f"{k} {v / mb:.1f} MB" for k, v in rss.items())
    )
    format_ratio = rss["format json"] / rss["format text"]
    report_ratio = rss["report json"] / rss["report text"]
    print(
        f"scenario=offline-scale refs={a},{b},{c} refs_s={times[0]:.3f},{times[1]:.3f},{times[2]:.3f} "
        f"marginal_us={first * 1e6:.1f},{second * 1e6:.1f} marginal_ratio={ratio:.2f} "
        f"big_repo_s={big_s:.3f} plan_ops={sizes.operations} plan_s={plan_s:.3f} "
        f"json_rss_mb={rss['format json'] / mb:.1f} text_rss_mb={rss['format text'] / mb:.1f} "
        f"rss_ratio={format_ratio:.2f} report_rss_ratio={report_ratio:.2f}"
    )
    return 0
