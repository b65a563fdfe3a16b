"""bench/run, as the README tells people to run it: its report is complete and parseable and
tagguard kept to the request budget. No timing is asserted here (CI machines vary); the
figures are for docs/performance.md, measured with the commands it gives."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAST_LINE = re.compile(
    r"tagguard_s=(?P<tagguard>[\d.]+) skopeo_s=(?P<skopeo>[\d.]+) floor_s=(?P<floor>[\d.]+) "
    r"requests=(?P<requests>\d+) vs_skopeo=(?P<vs_skopeo>[\d.]+) vs_floor=(?P<vs_floor>[\d.]+)"
)


def test_quick_benchmark_reports_every_figure_within_the_request_budget() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run"), "--quick", "--latency", "5"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr  # 1: more requests than the budget
    lines = done.stdout.strip().splitlines()
    figures = LAST_LINE.fullmatch(lines[-1])
    assert figures is not None, lines[-1]
    budget = re.search(r"requests: (\d+) \(budget: .* = (\d+)\)", done.stdout)
    assert budget is not None
    # 4 projects' rules and 5 repositories, each answered by one page of its artifact list.
    assert int(figures["requests"]) == int(budget[1]) == int(budget[2]) == 9
    assert float(figures["tagguard"]) > 0
    assert float(figures["floor"]) > 0
    ratio = float(figures["skopeo"]) / float(figures["tagguard"])
    assert abs(ratio - float(figures["vs_skopeo"])) < 0.1 + ratio * 0.01
    assert "verdicts: 5 blocked, 15 skipped, 20 allowed" in done.stdout
