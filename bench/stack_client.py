#!/usr/bin/env python3
"""The least any client on tagguard's stack does for a check: what `floor_s` leaves out.

    python bench/stack_client.py URLS_FILE CONCURRENCY

with TAGGUARD_USERNAME and TAGGUARD_PASSWORD set. It imports what tagguard's plan command
needs from outside itself (requests, click: a plan in plain YAML, as bench/run's is, is read
without PyYAML), asks each URL in the file with a requests session on CONCURRENCY threads,
decodes each answer's JSON, and leaves with `os._exit` as tagguard does: no command line
read, no plan, nothing decided or printed. bench/run --verbose times it beside tagguard
(`stack`), given the requests tagguard made.
Asking every URL at once, it never waits for one answer to know its next request, so where
tagguard does (a list's later pages) it is a bound below, not a like-for-like client.
Exit 1, with the reason, if any request fails.
"""

from __future__ import annotations

import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Imported, not used: a client that reads a command line with click costs at least its
# import.
import click  # noqa: F401
import requests


def write_urls(verbose_stderr: str, path: Path) -> Path:
    """Writes the URLS_FILE this script reads: the GET requests a `tagguard ... --verbose`
    run logged on its standard error, in its order. Returns `path`."""
    path.write_text("\n".join(re.findall(r"^tagguard: GET (\S+) -> ", verbose_stderr, re.M)))
    return path


def main() -> None:
    user, password = os.environ.get("TAGGUARD_USERNAME"), os.environ.get("TAGGUARD_PASSWORD")
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or user is None or password is None:
        sys.exit(
            "usage: TAGGUARD_USERNAME=... TAGGUARD_PASSWORD=... "
            "python bench/stack_client.py URLS_FILE CONCURRENCY"
        )
    urls = Path(sys.argv[1]).read_text(encoding="utf-8").split()
    width = int(sys.argv[2])
    session = requests.Session()
    session.auth = (user, password)
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=width))

    def get(url: str) -> object:
        answer = session.get(url, headers={"X-Is-Resource-Name": "true"}, timeout=10)
        answer.raise_for_status()
        return answer.json()

    pool = ThreadPoolExecutor(width)
    try:
        list(pool.map(get, urls))
    except (requests.RequestException, ValueError) as error:
        print(f"bench/stack_client.py: {error}", file=sys.stderr, flush=True)
        os._exit(1)
    os._exit(0)


if __name__ == "__main__":
    main()
