#!/usr/bin/env python3
"""What fetching alone costs: the default scenario's requests without tagguard around them.

    python bench/fetch_loop.py [--runs N]

Starts the default scenario as bench/run does (the registry, the test Harbor with 25 ms
latency), asks `tagguard plan --verbose` once which requests it makes (24: four rule pages,
20 artifact lists), then times the same requests, 8 at a time, without the rest of tagguard: with tagguard's
own transport (`tagguard.shell.http.Http`, each answer's JSON decoded), with a plain
requests session and `json`, with `http.client` and no parsing, and, when curl is installed,
with curl (C: `--parallel --parallel-immediate --parallel-max 8`), which shows what the
test server and the latency alone cost. Each Python figure is from the first request to the
last answer, in one process; curl's is its process's time less that of `curl --version`,
run beside it. Medians of the runs; beside them, the latency the floor counts (3 x 25 ms),
and each Python client's CPU per request (its threads' CPU from sending a request to having
its answer read, JSON included; the test Harbor's, in this process, left out): what a request
costs the interpreter lock.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from bench.seed import USER  # noqa: E402
from bench.startup_choices import live_commands  # noqa: E402

from tagguard.shell.http import Http, TransportOptions  # noqa: E402

# The CPU each Python client's threads spent on each request (`counted`), for the last run.
CPU_SPENT: list[float] = []


def counted(get: Callable[[str], object]) -> Callable[[str], object]:
    """`get`, adding the CPU its thread spends on each request to CPU_SPENT: the test Harbor
    runs in this process, so the process's CPU would count the server's work too."""

    def timed(url: str) -> object:
        started = time.thread_time()
        try:
            return get(url)
        finally:
            CPU_SPENT.append(time.thread_time() - started)

    return timed


def with_tagguard_http(urls: list[str]) -> float:
    http = Http(TransportOptions(pool_size=8))
    authorization = "Basic " + base64.b64encode(":".join(USER).encode()).decode()

    def get(url: str) -> object:
        answer = http.request("GET", url, auth_header=authorization, what=url)
        assert answer.status == 200, (answer.status, url)
        return json.loads(answer.body)

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(counted(get), urls))
    took = time.perf_counter() - started
    http.close()
    return took


def with_requests(urls: list[str]) -> float:
    session = requests.Session()
    session.auth = USER
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=8))

    def get(url: str) -> object:
        answer = session.get(url, timeout=10)
        answer.raise_for_status()
        return answer.json()

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(counted(get), urls))
    return time.perf_counter() - started


def with_http_client(urls: list[str]) -> float:
    authorization = "Basic " + base64.b64encode(":".join(USER).encode()).decode()
    local = threading.local()

    def get(url: str) -> bytes:
        parts = urlsplit(url)
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        local.connection.request(
            "GET", f"{parts.path}?{parts.query}", headers={"Authorization": authorization}
        )
        answer = local.connection.getresponse()
        body = answer.read()
        assert answer.status == 200, (answer.status, url)
        return body

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(counted(get), urls))
    return time.perf_counter() - started


def with_curl(curl: str, urls: list[str]) -> float:
    """curl's time for the requests, less its own start-up (`curl --version` just before)."""
    started = time.perf_counter()
    subprocess.run([curl, "--version"], stdout=subprocess.DEVNULL, check=True)
    startup = time.perf_counter() - started
    command = [curl, "--silent", "--no-progress-meter", "--fail", "--parallel", "--parallel-immediate",
               "--parallel-max", "8", "--user", ":".join(USER)]  # fmt: skip
    for url in urls:
        command += ["--output", "/dev/null", url]
    started = time.perf_counter()
    subprocess.run(command, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started - startup


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    # bench/startup_choices.py's live commands: the default data, served with 25 ms of
    # latency and its answers cached, as bench/run measures tagguard against it.
    with live_commands(25) as (commands, env):
        done = subprocess.run(
            [sys.executable, "-m", "tagguard", *commands["live plan (200 pushes)"], "--verbose"],
            env=env,
            capture_output=True,
            text=True,
            check=False,  # 1: the plan holds blocked pushes, as it should
        )
        urls = [line.split()[2] for line in done.stderr.splitlines() if " GET " in line]
        if done.returncode not in (0, 1) or len(urls) != 24:
            sys.exit(
                f"bench/fetch_loop.py: tagguard failed (exit {done.returncode}): {done.stderr}"
            )
        curl = shutil.which("curl")
        clients: dict[str, Callable[[list[str]], float]] = {
            "tagguard's Http + json": with_tagguard_http,
            "requests + json": with_requests,
            "http.client": with_http_client,
        }
        times: dict[str, list[float]] = {name: [] for name in clients}
        cpu: dict[str, list[float]] = {name: [] for name in clients}
        if curl is not None:
            times["curl (C)"] = []
        for _ in range(args.runs):
            for name, client in clients.items():
                CPU_SPENT.clear()
                times[name].append(client(urls))
                cpu[name].append(sum(CPU_SPENT) / len(urls))
            if curl is not None:
                times["curl (C)"].append(with_curl(curl, urls))
    print(f"{len(urls)} requests, 8 threads, 25 ms latency, {args.runs} runs")
    for name, seconds in times.items():
        per_request = (
            f"; CPU {statistics.median(cpu[name]) * 1000:.2f} ms a request" if name in cpu else ""
        )
        print(
            f"{name:22s} {statistics.median(seconds) * 1000:6.1f} ms (3 rounds of latency: 75 ms)"
            + per_request
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
