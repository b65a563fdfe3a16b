#!/usr/bin/env python3
"""What fetching alone costs: the default scenario's requests without tagguard around them.

    python bench/fetch_loop.py [--runs N]

Starts the default scenario as bench/run does (the registry, the test Harbor with 25 ms
latency), asks `tagguard plan --verbose` once which requests it makes (24: four rule pages,
20 artifact lists), then times the same requests, 8 threads, no tagguard: with requests
and `json` (each thread's answers read as tagguard's HTTP layer reads them), and with
`http.client` and no parsing. Each figure is from the first request to the last answer, in
one process, median of the runs; beside it, the latency the floor counts (rounds x 25 ms).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from bench.seed import USER, BenchState, choose, memoised_rows, seed, write_plan  # noqa: E402
from tests.harbor_server.harbor import running_harbor  # noqa: E402
from tests.harbor_server.registry import running_registry  # noqa: E402


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
        list(pool.map(get, urls))
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
        list(pool.map(get, urls))
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    state = BenchState()
    layout = seed(state, 20, 50, 4, 1)
    chosen = choose(layout, 200)
    with (
        running_registry() as registry,
        tempfile.TemporaryDirectory() as scratch,
        memoised_rows(),
        running_harbor(registry.url, state) as (url, _),
    ):
        state.freeze()
        plan = Path(scratch) / "release.yml"
        write_plan(plan, url.split("://", 1)[1], chosen)
        env = {**os.environ, "TAGGUARD_USERNAME": USER[0], "TAGGUARD_PASSWORD": USER[1]}
        state.latency, state.cache_answers = 0.025, True
        tagguard = [sys.executable, "-m", "tagguard", "plan", str(plan), "--plain-http"]
        done = subprocess.run(
            [*tagguard, "--verbose", "--format", "json"],
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
        times = {"requests + json": [], "http.client": []}
        for _ in range(args.runs):
            times["requests + json"].append(with_requests(urls))
            times["http.client"].append(with_http_client(urls))
    print(f"{len(urls)} requests, 8 threads, 25 ms latency, {args.runs} runs")
    for name, seconds in times.items():
        print(
            f"{name:16s} {statistics.median(seconds) * 1000:6.1f} ms (3 rounds of latency: 75 ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
