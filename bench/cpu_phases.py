#!/usr/bin/env python3
"""Where a live plan's time goes, in CPU: is the run waiting on the network or computing?

    python bench/cpu_phases.py [--runs N] [--latency MS] [--stack] [--regex]

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
* when the last request was sent, and the exit;
* when each round's last request was sent (the 8th, 16th and 24th send at --concurrency 8),
  from the first: the floor sends a round's requests at once, the next round a latency later;
* from the last answer's last bytes received to the exit: what the run does once the network
  has nothing more for it (deciding the last repositories, printing, letting go).

With --regex, the time spent compiling regular expressions before the first request, by the
top-level package whose code asked (`re._compile` timed; the timing itself slows the run, so
the other figures of such a run are not comparable).

With --stack, the stack alone (bench/stack_client.py: the same URLs, all at once on 8
threads, each answer's JSON decoded, nothing decided) is run as many times, interleaved,
under the same observer, and its figures printed beside tagguard's.

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
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stack_client import write_urls  # noqa: E402
from bench.startup_choices import live_commands  # noqa: E402

# Run in the measured process: observes, changes nothing tagguard does.
OBSERVER = r"""
import json, os, runpy, socket, sys, time
start_wall, start_cpu, marks = time.perf_counter(), time.process_time(), {"sends": []}
def cpu():
    return time.process_time() - start_cpu
send, receive = socket.socket.sendall, socket.socket.recv_into
def observed_receive(self, *rest):
    got = receive(self, *rest)
    marks["received"] = time.perf_counter()
    return got
socket.socket.recv_into = observed_receive
if os.environ.get("BENCH_REGEX"):
    import re
    marks["regex"], compile_ = {}, re._compile
    def observed_compile(*rest):
        if "first" in marks:
            return compile_(*rest)
        started = time.perf_counter()
        try:
            return compile_(*rest)
        finally:
            frame = sys._getframe(1)
            while frame.f_globals.get("__name__") == "re":
                frame = frame.f_back
            package = frame.f_globals.get("__name__", "?").split(".")[0]
            marks["regex"][package] = marks["regex"].get(package, 0) + time.perf_counter() - started
    re._compile = observed_compile
def observed_send(self, data, *rest):
    now = (time.perf_counter(), cpu())
    marks.setdefault("first", now)
    marks["last"] = now
    marks["sent"] = marks.get("sent", 0) + 1
    marks["sends"].append(now[0] - start_wall)
    return send(self, data, *rest)
socket.socket.sendall = observed_send
leave = os._exit
def observed_exit(code):
    end = (time.perf_counter(), cpu())
    first, last = marks.get("first", end), marks.get("last", end)
    report = {"first_wall": first[0] - start_wall, "first_cpu": first[1],
              "last_wall": last[0] - start_wall, "end_wall": end[0] - start_wall,
              "end_cpu": end[1], "sent": marks.get("sent", 0), "sends": marks["sends"],
              "received_wall": marks.get("received", end[0]) - start_wall,
              "regex": marks.get("regex", {})}
    os.write(int(os.environ["BENCH_REPORT_FD"]), json.dumps(report).encode())
    leave(code)
os._exit = observed_exit
if os.environ.get("BENCH_STACK"):
    sys.argv = [os.environ["BENCH_STACK"], *sys.argv[1:]]
    runpy.run_path(os.environ["BENCH_STACK"], run_name="__main__")
else:
    sys.argv[0] = "tagguard"
    from tagguard.cli import run
    run()
"""


def one_run(arguments: list[str], env: dict[str, str]) -> dict[str, Any]:
    """One run of `tagguard ARGUMENTS` (with BENCH_STACK in `env`, of that script) under
    the observer: what it reports."""
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
        sys.exit(f"bench/cpu_phases.py: the run failed (exit {done.returncode}): {error.decode()}")
    result: dict[str, Any] = json.loads(found)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency", type=float, default=25.0, help="ms added to each request")
    parser.add_argument("--stack", action="store_true", help="also the stack alone, interleaved")
    parser.add_argument(
        "--regex", action="store_true", help="time regular expressions compiled before sending"
    )
    args = parser.parse_args()
    rows: dict[str, list[dict[str, Any]]] = {"tagguard": [], "the stack alone": []}
    with live_commands(args.latency) as (commands, env), tempfile.TemporaryDirectory() as scratch:
        plan = [*commands["live plan (200 pushes)"], "--concurrency", "8"]
        observed = {**env, "BENCH_REGEX": "1"} if args.regex else env
        stack = {**observed, "BENCH_STACK": str(ROOT / "bench" / "stack_client.py")}
        urls = Path(scratch) / "urls.txt"
        if args.stack:  # the requests tagguard makes, as bench/run gives them
            seen = subprocess.run(
                [sys.executable, "-m", "tagguard", *plan, "--verbose"],
                env={**env, "PYTHONPATH": str(ROOT / "src")},
                capture_output=True,
                text=True,
                check=False,
            )
            write_urls(seen.stderr, urls)
        for _ in range(args.runs):
            rows["tagguard"].append(one_run(plan, observed))
            if args.stack:
                rows["the stack alone"].append(one_run([str(urls), "8"], stack))
    for name, found in rows.items():
        if found:
            _print(name, found, args.latency)
    return 0


def _print(name: str, rows: list[dict[str, Any]], latency: float) -> None:
    def median(key: str) -> float:
        return statistics.median(row[key] for row in rows)

    phase_wall = statistics.median(r["end_wall"] - r["first_wall"] for r in rows)
    phase_cpu = statistics.median(r["end_cpu"] - r["first_cpu"] for r in rows)
    sent = median("sent")
    if name == "tagguard":
        what = f"of the live plan (200 pushes, {sent:.0f} requests"
    else:
        what = f"(tagguard's {sent:.0f} requests at once"
    print(f"{name}: {len(rows)} runs {what}, concurrency 8, {latency:g} ms per request); "
          "medians, from the program's start:")  # fmt: skip
    print(f"  before the first request: wall {median('first_wall') * 1000:.1f} ms, "
          f"CPU {median('first_cpu') * 1000:.1f} ms")  # fmt: skip
    print(f"  first request to exit:    wall {phase_wall * 1000:.1f} ms, CPU "
          f"{phase_cpu * 1000:.1f} ms ({phase_cpu / phase_wall:.0%} of the wall time)")  # fmt: skip
    print(f"  last request sent at {median('last_wall') * 1000:.1f} ms, exit at "
          f"{median('end_wall') * 1000:.1f} ms")  # fmt: skip
    print(f"  the whole run: wall {median('end_wall') * 1000:.1f} ms, CPU "
          f"{median('end_cpu') * 1000:.1f} ms")  # fmt: skip
    # Each round's last send (every 8th), from the first send: the floor's are 0, latency...
    ends = [
        statistics.median((r["sends"][i] - r["sends"][0]) * 1000 for r in rows)
        for i in range(7, int(sent), 8)
    ]
    print("  each round's last request sent, from the first: "
          + ", ".join(f"{end:.1f}" for end in ends) + " ms")  # fmt: skip
    tail = statistics.median(r["end_wall"] - r["received_wall"] for r in rows)
    print(f"  from the last answer received to the exit: {tail * 1000:.1f} ms")
    if rows[0]["regex"]:
        packages = sorted({name for r in rows for name in r["regex"]})
        spent = {
            name: statistics.median(r["regex"].get(name, 0) for r in rows) for name in packages
        }
        total = statistics.median(sum(r["regex"].values()) for r in rows)
        shown = ", ".join(f"{name} {spent[name] * 1000:.1f}" for name in
                          sorted(packages, key=spent.__getitem__, reverse=True) if spent[name] >= 1e-4)  # fmt: skip
        print(f"  regular expressions compiled before the first request: {total * 1000:.1f} ms "
              f"({shown} ms)")  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
