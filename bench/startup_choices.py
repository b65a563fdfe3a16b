#!/usr/bin/env python3
"""A/B of the start-up choices the `tagguard` program makes (`tagguard.cli.run`).

    python bench/startup_choices.py [--runs N] [--latency MS]

`run` leaves by `os._exit` once its output is flushed (no interpreter teardown), turns
the cycle collector off and shortens the thread switch interval
(`sys.setswitchinterval(0.0005)`; Python's default is 5 ms). Each variant below is the
program with one choice changed, started as `python -c` (the same launcher for all, so
only the choice differs):

* `shipped`: collector off, `os._exit`, the switch interval 0.5 ms (what `run` does);
* `teardown`: collector off, the normal exit (`sys.exit`, the interpreter torn down);
* `collector on`: `os._exit`, the collector left on;
* `switch 5 ms`: as shipped, but Python's default switch interval.

on four commands: `tagguard --version`, an offline push (bench/startup.py's), a live push
of one tag and a live plan of 200 pushes over 20 repositories (bench/run's default data,
served by the test Harbor with `--latency` ms per request). Each run starts every
(command, variant) once, in turn; each figure is the median over the runs of the
variant's time divided by the shipped one's in the same run (paired), with the quartiles
of those ratios as its spread. A ratio above 1 means the choice pays.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seed import USER, BenchState, choose, memoised_rows, seed, write_plan  # noqa: E402
from bench.startup import offline_push, seconds  # noqa: E402
from tests.harbor_server.harbor import running_harbor  # noqa: E402
from tests.harbor_server.registry import running_registry  # noqa: E402

SHIPPED = "shipped"
VARIANTS = {
    SHIPPED: (True, True, True),  # (collector off, os._exit, the shorter switch interval)
    "teardown": (True, False, True),
    "collector on": (False, True, True),
    "switch 5 ms": (True, True, False),
}


def launcher(collector_off: bool, fast_exit: bool, switch: bool) -> list[str]:
    """`python -c` running tagguard.cli.main with the given choices, arguments after it."""
    lines = ["import sys", "sys.argv[0] = 'tagguard'"]
    if collector_off:
        lines += ["import gc", "gc.disable()"]
    if switch:
        lines += ["sys.setswitchinterval(0.0005)"]
    lines += ["from tagguard.cli import main", "code = main()"]
    if fast_exit:
        lines += ["import os", "sys.stdout.flush()", "sys.stderr.flush()", "os._exit(code)"]
    else:
        lines += ["sys.exit(code)"]
    return [sys.executable, "-c", "\n".join(lines)]


@contextmanager
def live_commands(latency: float) -> Iterator[tuple[dict[str, list[str]], dict[str, str]]]:
    """A live push and a live plan (arguments after `tagguard`) against the test Harbor
    holding bench/run's default data, and the environment they need."""
    state = BenchState()
    layout = seed(state, 20, 50, 4)
    chosen = choose(layout, 200)
    with (
        running_registry() as registry,
        tempfile.TemporaryDirectory() as scratch,
        memoised_rows(),
        running_harbor(registry.url, state) as (url, _),
    ):
        host = url.split("://", 1)[1]
        state.freeze()
        plan = Path(scratch) / "release.yml"
        write_plan(plan, host, chosen)
        one = chosen[0]
        env = {**os.environ, "TAGGUARD_USERNAME": USER[0], "TAGGUARD_PASSWORD": USER[1]}
        commands = {
            "live push (1 tag)": ["push", f"{host}/{one.repository}:{one.tag}",
                                  "--digest", one.digest, "--plain-http"],
            "live plan (200 pushes)": ["plan", str(plan), "--plain-http", "--format", "json"],
        }  # fmt: skip
        state.latency = latency / 1000
        state.cache_answers = True
        for arguments in commands.values():  # fills the server's answer cache
            seconds([*launcher(*VARIANTS[SHIPPED]), *arguments], env)
        yield commands, env


def check_alike(commands: dict[str, list[str]], env: dict[str, str]) -> None:
    """Every variant must answer each command as the shipped program does (same output,
    same exit code), or the comparison measures something else."""
    for command, arguments in commands.items():
        answers = {
            variant: subprocess.run(
                [*launcher(*choices), *arguments],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            for variant, choices in VARIANTS.items()
        }
        shipped = answers[SHIPPED]
        if shipped.returncode not in (0, 1):
            sys.exit(f"startup_choices: {command} failed: {shipped.stderr}")
        for variant, answer in answers.items():
            if (answer.returncode, answer.stdout) != (shipped.returncode, shipped.stdout):
                sys.exit(f"startup_choices: {command} answers differently with {variant}")


def measure(
    commands: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, dict[str, list[float]]]:
    """samples[command][variant][run], every (command, variant) once per run, in turn."""
    samples: dict[str, dict[str, list[float]]] = {c: {v: [] for v in VARIANTS} for c in commands}
    variants = list(VARIANTS)
    for run in range(runs):
        # Each run starts at the next variant: whichever goes first after another command
        # is measurably slower on a loaded machine, and no variant should always be it.
        turn = variants[run % len(variants) :] + variants[: run % len(variants)]
        for command, arguments in commands.items():
            for variant in turn:
                started = [*launcher(*VARIANTS[variant]), *arguments]
                samples[command][variant].append(seconds(started, env))
    return samples


def report(samples: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = [
        f"{'command':24s} {'variant':14s} {'median':>9s} {'x shipped':>10s} {'quartiles':>13s}"
    ]
    for command, by_variant in samples.items():
        shipped = by_variant[SHIPPED]
        for variant, taken in by_variant.items():
            ratios = [a / b for a, b in zip(taken, shipped, strict=True)]
            low, _, high = statistics.quantiles(ratios, n=4)
            lines.append(
                f"{command:24s} {variant:14s} {statistics.median(taken) * 1000:6.1f} ms "
                f"{statistics.median(ratios):9.3f}x {low:6.3f}-{high:.3f}"
            )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=31)
    parser.add_argument("--latency", type=float, default=25.0, help="ms per live request")
    args = parser.parse_args()
    offline = offline_push("tagguard")[1:]
    with live_commands(args.latency) as (live, env):
        commands = {"tagguard --version": ["--version"], "offline push": offline, **live}
        check_alike(commands, env)
        before = os.getloadavg()[0]
        samples = measure(commands, env, args.runs)
    after = os.getloadavg()[0]
    print(
        f"{args.runs} runs, paired and interleaved; load average {before:.2f} before, {after:.2f} after"
    )
    print("\n".join(report(samples)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
