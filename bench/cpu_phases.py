#!/usr/bin/env python3
"""Where a live plan's time goes, in CPU: is the run waiting on the network or computing?

    python bench/cpu_phases.py [--runs N] [--latency MS]

Runs `tagguard plan` of bench/run's default scenario (200 pushes over 20 repositories of 4
projects, 24 requests at --concurrency 8) against the test Harbor, --runs times (15 unless
said), each in a fresh process that reads, besides the wall clock, the process's CPU time
(user + system) at three moments: when the first request is sent, when the last is sent,
and at the exit. What it prints, as medians over the runs, from the start of the program
(after the interpreter's own start, which both clocks leave out):

* before the first request: wall and CPU (imports, the command line, the plan);
* from the first request to the exit: wall and CPU, and the CPU as a share of that wall time
  (near 100 %: the phase is bound by the interpreter's one lock, not by the network; the
  floor counts it as latency only);
* when the last request was sent, and the exit.

Nothing of tagguard is changed: the program is run as the `tagguard` script runs it, with
`socket.sendall` and `os._exit` observed from outside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.startup_choices import live_commands  # noqa: E402

# Run in the measured process: observes, changes nothing tagguard does.
OBSERVER = r"""
import json, os, socket, sys, time
start_wall, start_cpu, marks = time.perf_counter(), time.process_time(), {}
def cpu():
    return time.process_time() - start_cpu
send = socket.socket.sendall
def observed_send(self, data, *rest):
    now = (time.perf_counter(), cpu())
    marks.setdefault("first", now)
    marks["last"] = now
    marks["sent"] = marks.get("sent", 0) + 1
    return send(self, data, *rest)
socket.socket.sendall = observed_send
leave = os._exit
def observed_exit(code):
    end = (time.perf_counter(), cpu())
    first, last = marks.get("first", end), marks.get("last", end)
    report = {"first_wall": first[0] - start_wall, "first_cpu": first[1],
              "last_wall": last[0] - start_wall, "end_wall": end[0] - start_wall,
              "end_cpu": end[1], "sent": marks.get("sent", 0)}
    os.write(int(os.environ["BENCH_REPORT_FD"]), json.dumps(report).encode())
    leave(code)
os._exit = observed_exit
sys.argv[0] = "tagguard"
from tagguard.cli import run
run()
"""


def one_run(arguments: list[str], env: dict[str, str]) -> dict[str, float]:
    """One run of `tagguard ARGUMENTS` under the observer: what it reports."""
    read, write = os.pipe()
    try:
        done = subprocess.Popen(
            [sys.executable, "-c", OBSERVER, *arguments],
            env={**env, "PYTHONPATH": str(ROOT / "src"), "BENCH_REPORT_FD": str(write)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(write,),
        )
        os.close(write)
        write = -1
        _, error = done.communicate()
        found = os.read(read, 65536)
    finally:
        os.close(read)
        if write != -1:
            os.close(write)
    if done.returncode not in (0, 1) or not found:
        sys.exit(f"bench/cpu_phases.py: tagguard failed (exit {done.returncode}): {error.decode()}")
    result: dict[str, float] = json.loads(found)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency", type=float, default=25.0, help="ms added to each request")
    args = parser.parse_args()
    rows: list[dict[str, float]] = []
    with live_commands(args.latency) as (commands, env):
        plan = [*commands["live plan (200 pushes)"], "--concurrency", "8"]
        for _ in range(args.runs):
            rows.append(one_run(plan, env))

    def median(key: str) -> float:
        return statistics.median(row[key] for row in rows)

    phase_wall = statistics.median(r["end_wall"] - r["first_wall"] for r in rows)
    phase_cpu = statistics.median(r["end_cpu"] - r["first_cpu"] for r in rows)
    sent = median("sent")
    print(f"{len(rows)} runs of the live plan (200 pushes, {sent:.0f} requests, concurrency 8, "
          f"{args.latency:g} ms per request); medians, from the program's start:")  # fmt: skip
    print(f"  before the first request: wall {median('first_wall') * 1000:.1f} ms, "
          f"CPU {median('first_cpu') * 1000:.1f} ms")  # fmt: skip
    print(f"  first request to exit:    wall {phase_wall * 1000:.1f} ms, CPU "
          f"{phase_cpu * 1000:.1f} ms ({phase_cpu / phase_wall:.0%} of the wall time)")  # fmt: skip
    print(f"  last request sent at {median('last_wall') * 1000:.1f} ms, exit at "
          f"{median('end_wall') * 1000:.1f} ms")  # fmt: skip
    print(f"  the whole run: wall {median('end_wall') * 1000:.1f} ms, CPU "
          f"{median('end_cpu') * 1000:.1f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
