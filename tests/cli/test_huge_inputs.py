"""Huge rule sets and pathological patterns end, with Harbor's answer, within a bound.

The bound guards against blow-ups (a quadratic step, exponential backtracking) and sits
far above what was measured; `bench/rules_scale.py` shows how the cost really grows.
Harbor's server takes any number of rules (its UI stops at 15), so a project can hold
thousands.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from tests.builders import huge_rule_set
from tests.conftest import output_json

RULES, REPOSITORIES, TAGS = 5000, 20, 10
BOUND_SECONDS = 90  # measured: 0.7 s (bench/rules_scale.py --rules 5000 --refs 200)
DIGEST, OTHER = "sha256:" + "1" * 64, "sha256:" + "2" * 64


def test_thousands_of_rules_with_pathological_patterns(tmp_path: Path) -> None:
    rules, state, refs = huge_rule_set(RULES, REPOSITORIES, TAGS, DIGEST)
    paths = tmp_path / "rules.json", tmp_path / "state.json", tmp_path / "refs.txt"
    paths[0].write_text(json.dumps(rules))
    paths[1].write_text(json.dumps(state))
    paths[2].write_text("\n".join(refs) + "\n")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tagguard", "push", "--refs-file", str(paths[2]),
         "--digest", OTHER, "--rules-file", str(paths[0]), "--state-file", str(paths[1]),
         "--format", "json"],
        capture_output=True, text=True, timeout=BOUND_SECONDS + 30, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    decisions = output_json(done.stdout)["decisions"]
    assert len(decisions) == REPOSITORIES * TAGS
    # v* tags exist with another digest and only the last rule protects them: blocked.
    # The others are mutable: allowed, after every one of the rules was tried.
    for decision in decisions:
        tag = decision["reference"].rsplit(":", 1)[1]
        expected = ("block", RULES) if tag.startswith("v") else ("allow", None)
        assert (decision["decision"], decision.get("rule_id")) == expected, decision
    assert elapsed < BOUND_SECONDS
