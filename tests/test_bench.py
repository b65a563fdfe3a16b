"""bench/run, as docs/performance.md tells people to run it: each scenario's report is
complete and parseable, its skopeo baseline really succeeded, and tagguard kept to the
request budget. No timing is asserted here (CI machines vary); the figures are for
docs/performance.md, measured with the commands it gives. The floor's arithmetic
(bench/floor.py) is checked on its own."""

from __future__ import annotations

import base64
import math
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from bench.floor import Repository, budget, fewest_rounds, schedule_rounds
from bench.offline_scale import marginal_ratio

ROOT = Path(__file__).resolve().parent.parent
ONLINE_KEYS = [
    "scenario",
    "tagguard_s",
    "skopeo_s",
    "floor_s",
    "bare_floor_s",
    "requests",
    "budget",
    "rounds",
    "vs_skopeo",
    "vs_floor",
    "vs_bare_floor",
    "skopeo_refs",
]


def bench(*args: str) -> tuple[str, dict[str, str]]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run"), "--quick", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    # 1: more requests than the budget; any failed skopeo call exits with its message.
    assert done.returncode == 0, done.stdout + done.stderr
    last = done.stdout.strip().splitlines()[-1]
    pairs = dict(item.split("=", 1) for item in last.split(" "))
    return done.stdout, pairs


# -- the floor ------------------------------------------------------------------------------


def test_budget_counts_every_rule_page_and_the_cheaper_of_pages_or_tags() -> None:
    repositories = [Repository(tags=300, pages=200), Repository(tags=3, pages=50)]
    # ceil(5000/100) + ceil(1/100) + a project with no rules still costs its one request
    assert budget([5_000, 1, 0], repositories) == 50 + 1 + 1 + 200 + 3


def test_rounds_wait_for_the_first_page_of_each_list() -> None:
    # 1 rules page and a 200-page list: the list's first page with the rules, then 199 pages
    # at 8 a round.
    assert schedule_rounds([1, 200], 0, 8) == 1 + math.ceil(199 / 8)
    # Independent requests fill the first round around the first pages.
    assert schedule_rounds([1, 1, 1, 1], 20, 8) == 3
    # A second page needs a second round even with room to spare.
    assert schedule_rounds([2], 0, 8) == 2
    # More first pages than the width: the last ones' pages start a round later.
    assert schedule_rounds([3] * 9, 0, 8) == 4


def test_fewest_rounds_takes_per_tag_requests_where_they_save_rounds() -> None:
    # 9 tags in a 200-page repository: 10 independent requests, 2 rounds, beat 200 pages.
    assert fewest_rounds([1], [Repository(9, 200)], 8) == 2
    # 300 tags over 200 pages: the pages (26 rounds) beat 301 requests (38 rounds).
    assert fewest_rounds([1], [Repository(300, 200)], 8) == 26
    # 8 tags over 2 pages: 2 rounds either way (9 requests; or the pages, one after another).
    assert fewest_rounds([1], [Repository(8, 2)], 8) == 2
    # Rule pages count: 5,000 rules are 50 pages, their first one before the rest.
    assert fewest_rounds([5_000], [Repository(40, 1)] * 5, 8) == 1 + math.ceil(49 / 8)


def test_many_repositories_take_the_fewer_requests_each() -> None:
    many = [Repository(3, 10)] * 20  # above the exhaustive search: 60 per-tag requests
    assert fewest_rounds([1], many, 8) == math.ceil(61 / 8)


# -- the scenarios, small -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scenario", "expected_budget", "verdicts"),
    [
        # 4 projects' rules, 5 repositories of one page each
        ("default", 4 + 5, "verdicts: 5 blocked, 15 skipped, 20 allowed"),
        # 1 rules page + min(30 tags, 10 pages)
        ("big-repo", 1 + 10, "verdicts: 5 blocked, 10 skipped, 15 allowed"),
        ("far", 1 + 10, "verdicts: 5 blocked, 10 skipped, 15 allowed"),
        # ceil(250/100) rule pages + 2 one-page repositories
        ("rules", 3 + 2, "verdicts: 2 blocked, 8 skipped, 10 allowed"),
    ],
)
def test_quick_scenario_reports_every_figure_within_the_request_budget(
    scenario: str, expected_budget: int, verdicts: str
) -> None:
    latency = ["--latency", "5"] if scenario != "far" else []
    out, figures = bench("--scenario", scenario, "--verbose", *latency)
    assert list(figures) == ONLINE_KEYS, figures
    assert figures["scenario"] == scenario
    assert int(figures["budget"]) == expected_budget
    assert 0 < int(figures["requests"]) <= expected_budget
    assert verdicts in out
    for key in ("tagguard_s", "skopeo_s", "floor_s", "bare_floor_s"):
        assert float(figures[key]) > 0, key
    assert float(figures["bare_floor_s"]) < float(figures["floor_s"])  # no `import requests`
    ratio = float(figures["skopeo_s"]) / float(figures["tagguard_s"])
    assert abs(ratio - float(figures["vs_skopeo"])) < 0.1 + ratio * 0.01
    assert re.search(rf"requests: {figures['requests']} per run, max of 2 ", out), out
    # --verbose: the process started, then the server saw its first and last requests, then
    # it exited (one run: these are that run's times, the exit its wall time).
    phases = re.search(
        r"first request arrived ([\d.]+) s .* last request ([\d.]+) s, exit ([\d.]+) s", out
    )
    assert phases, out
    first, last, done = (float(phases[i]) for i in (1, 2, 3))
    assert 0 < first <= last < done
    assert done == float(figures["tagguard_s"])
    # --verbose also times the stack alone, which made every request tagguard made (bench/run
    # exits 1 otherwise); its ratios are to the figures above.
    stack = re.search(
        rf"the same {figures['requests']} requests at once .*: ([\d.]+) s, ([\d.]+)x floor_s; "
        r"tagguard ([\d.]+)x the stack alone",
        out,
    )
    assert stack, out
    stack_s, vs_floor, tagguard_vs = (float(stack[i]) for i in (1, 2, 3))
    assert stack_s > 0
    assert abs(vs_floor - stack_s / float(figures["floor_s"])) < 0.01 + vs_floor * 0.01
    assert abs(tagguard_vs - float(figures["tagguard_s"]) / stack_s) < 0.01 + tagguard_vs * 0.01
    # ... and the design's libraries merely imported, with the floor's rounds added.
    libraries = re.search(
        r"the libraries alone \(python -c 'import requests, click'\): ([\d.]+) s, "
        r"(-?[\d.]+) ms over `import requests`, (-?\d+)% of the ([\d.]+) ms that 1.2x floor_s "
        r"allows; with the rounds ([\d.]+) s, ([\d.]+)x floor_s; tagguard ([\d.]+)x it",
        out,
    )
    assert libraries, out
    alone, extra, share, allowance, rounds_s, lib_vs_floor, tagguard_vs_lib = (
        float(libraries[i]) for i in range(1, 8)
    )
    floor_s = float(figures["floor_s"])
    assert abs(allowance - 200 * floor_s) < 0.1 + allowance * 0.01
    assert abs(share - 100 * extra / allowance) <= 1
    assert rounds_s > alone > 0
    assert abs(lib_vs_floor - rounds_s / floor_s) < 0.01 + lib_vs_floor * 0.01
    assert (
        abs(tagguard_vs_lib - float(figures["tagguard_s"]) / rounds_s)
        < 0.01 + tagguard_vs_lib * 0.01
    )


def test_the_marginal_ratio_is_the_later_cost_per_reference_over_the_earlier() -> None:
    assert marginal_ratio((1_000, 10_000, 50_000), (1.0, 1.9, 5.9)) == pytest.approx(1.0)
    assert marginal_ratio((1_000, 10_000, 50_000), (1.0, 1.9, 9.9)) == pytest.approx(2.0)
    # A loaded machine's quick run: the larger check faster than the smaller, or as fast.
    assert marginal_ratio((200, 1_000, 2_000), (0.3, 0.2, 0.4)) == pytest.approx(-1.6)
    assert marginal_ratio((200, 1_000, 2_000), (0.3, 0.3, 0.4)) == math.inf


def test_quick_offline_scale_reports_growth_plan_and_memory() -> None:
    out, figures = bench("--scenario", "offline-scale", "--runs", "3")
    assert figures["scenario"] == "offline-scale"
    assert figures["refs"] == "200,1000,2000"
    times = [float(t) for t in figures["refs_s"].split(",")]
    assert len(times) == 3
    assert all(t > 0 for t in times)
    assert int(figures["plan_ops"]) == 1_000
    for key in ("big_repo_s", "plan_s", "json_rss_mb", "text_rss_mb", "rss_ratio"):
        assert float(figures[key]) > 0, key
    assert "200 references against a 5000-tag repository" in out
    # The ratio is each round's own (its three sizes ran one after the other), then the
    # median of the rounds'. Tiny sizes on a loaded machine may give a round a negative
    # or an infinite ratio: any number is read.
    number = r"(-?[\d.]+|-?inf)"
    (found,) = re.findall(
        rf"within each round {number}x, {number}x, {number}x, median {number}x", out
    )
    *rounds, median = (float(x) for x in found)
    assert median == sorted(rounds)[1] == float(figures["marginal_ratio"])
    assert "median of 3 interleaved rounds" in out


def script_output(script: str, *args: str) -> str:
    """What `bench/SCRIPT ARGS` prints, once it has exited 0 (a failing start stops each)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_startup_choices_compare_variants_that_answer_alike() -> None:
    """bench/startup_choices.py: every variant of the program answers each command as the
    shipped one (the script checks it first), and each gets its paired ratio."""
    out = script_output("startup_choices.py", "--runs", "2", "--latency", "1")
    rows = [line.split() for line in out.splitlines() if " ms " in line]
    variants = ("shipped", "teardown", "collector on", "switch 5 ms")
    commands = ("tagguard --version", "offline push", "live push (1 tag)", "live plan (200 pushes)")
    assert len(rows) == len(variants) * len(commands)
    for line in out.splitlines():
        if line.startswith(commands) and " shipped " in line:
            assert " 1.000x " in line  # the shipped program against itself


def test_startup_trees_pairs_two_commits() -> None:
    """bench/startup_trees.py: a commit against itself gives a ratio per command and kind
    (both trees are exported and actually run: a failing start would stop the script)."""
    out = script_output("startup_trees.py", "HEAD", "HEAD~0", "--runs", "2")
    rows = [line for line in out.splitlines() if line.endswith(")")]
    assert len(rows) == 4  # (--version, offline push) x (cpu, wall)
    assert all("x (quartiles " in row for row in rows)


def test_cpu_phases_observes_every_request_of_the_live_plan() -> None:
    """bench/cpu_phases.py: the observer sees each of the plan's 24 requests sent (the
    budget bench/run checks), and reports both phases with CPU and wall time, and when
    each round of 8 ended, and the time from the last answer to the exit; with --stack, the
    same for the stack alone, given the URLs tagguard asked; with --regex, the regular
    expressions compiled before the first request, by the package that asked."""
    out = script_output("cpu_phases.py", "--runs", "2", "--latency", "1", "--stack", "--regex")
    assert "(200 pushes, 24 requests, concurrency 8, 1 ms per request)" in out
    assert "the stack alone: 2 runs (tagguard's 24 requests at once, concurrency 8" in out
    rounds = re.findall(r"each round's last request sent, from the first: (.*) ms", out)
    assert len(rounds) == 2  # tagguard's, then the stack alone's
    for found in rounds:
        ends = [float(end) for end in found.split(", ")]
        assert len(ends) == 3  # 24 requests, 8 at a time
        assert 0 < ends[0] <= ends[1] <= ends[2]
    before = re.search(r"before the first request: wall ([\d.]+) ms, CPU ([\d.]+) ms", out)
    after = re.search(r"first request to exit: +wall ([\d.]+) ms, CPU ([\d.]+) ms \((\d+)% of", out)
    assert before is not None, out
    assert after is not None, out
    assert all(float(figure) > 0 for figure in (*before.groups(), *after.groups()[:2]))
    exits = [float(x) for x in re.findall(r"exit at ([\d.]+) ms", out)]
    tails = [
        float(x) for x in re.findall(r"from the last answer received to the exit: ([\d.]+) ms", out)
    ]
    assert len(tails) == len(exits) == 2
    assert all(0 < tail < end for tail, end in zip(tails, exits, strict=True))
    compiled = re.findall(r"compiled before the first request: ([\d.]+) ms \((.*) ms\)", out)
    assert len(compiled) == 2, out
    ours, stack = (dict(p.rsplit(" ", 1) for p in found.split(", ")) for _, found in compiled)
    assert "tagguard" in ours  # tagguard's own
    assert "yaml" not in ours  # the plan is plain YAML: no PyYAML (tagguard.shell.plan_block)
    assert "urllib3" in stack  # the libraries' own patterns
    assert "tagguard" not in stack


class _Lists(BaseHTTPRequestHandler):
    """Answers the credentials bench/stack_client.py is given with a JSON list; anyone else
    with 401, as Harbor does."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(self.path)
        good = self.headers.get("Authorization") == "Basic " + base64.b64encode(b"u:p").decode()
        body = b"[]" if good else b'{"errors": []}'
        self.send_response(200 if good else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize(("password", "code"), [("p", 0), ("wrong", 1)])
def test_the_stack_alone_asks_every_url_and_fails_loudly(
    tmp_path: Path, password: str, code: int
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Lists)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Lists.seen = []
    urls = [f"http://127.0.0.1:{server.server_address[1]}/api/v2.0/{n}" for n in range(5)]
    listed = tmp_path / "urls.txt"
    listed.write_text("\n".join(urls))
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "stack_client.py"), str(listed), "2"],
            env={**os.environ, "TAGGUARD_USERNAME": "u", "TAGGUARD_PASSWORD": password},
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == code, done.stderr
    if code == 0:
        assert sorted(_Lists.seen) == [f"/api/v2.0/{n}" for n in range(5)]
    else:
        assert "401" in done.stderr
