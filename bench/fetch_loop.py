#!/usr/bin/env python3
"""What fetching alone costs: the default scenario's requests without tagguard around them.

    python bench/fetch_loop.py [--runs N]

Starts the default scenario as bench/run does (the registry, the test Harbor with 25 ms
latency), asks `tagguard plan --verbose` once which requests it makes (24: four rule pages,
20 artifact lists), then times the same requests, 8 threads, no tagguard: with requests
and `json` (each answer decoded, as tagguard decodes it), and with
`http.client` and no parsing. Each figure is from the first request to the last answer, in
one process, median of the runs; beside it, the latency the floor counts (rounds x 25 ms).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from bench.seed import USER  # noqa: E402
from bench.startup_choices import live_commands  # noqa: E402


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
