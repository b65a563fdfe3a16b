"""The README's first set-up command runs examples/demo.sh: it must show allow, skip, block."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES


def test_demo_shows_each_verdict() -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("NO_COLOR", None)
    done = subprocess.run(
        [str(EXAMPLES / "demo.sh")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith("skip   harbor.example.com/platform/api:v1.4.0") for line in lines)
    assert any(line.startswith("allow  harbor.example.com/platform/api:v1.4.1") for line in lines)
    assert any(line.startswith("block  harbor.example.com/platform/api:v1.4.0") for line in lines)
    assert "=> mutable, because a broken rule fails open" in done.stdout
    assert "[pattern-error]" in done.stdout
    # Each step reports the exit status tagguard gave it: 0, 1, 0, 1.
    assert [line for line in lines if line.startswith("(exit")] == [
        "(exit 0)",
        "(exit 1)",
        "(exit 0)",
        "(exit 1)",
    ]
    assert done.stderr == ""
