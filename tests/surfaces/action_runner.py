"""Runs a composite action's steps the way the GitHub runner does, for the tests.

Inputs become `inputs.*` (defaults filled in), `${{ ... }}` references are resolved in each
step's `with:` and `env:` (and must not appear in `run:`), run steps execute with
`bash --noprofile --norc -eo pipefail` (the `bash` first on the given PATH, as the runner
finds it), each with its own $GITHUB_OUTPUT file that becomes `steps.<id>.outputs`, sharing
one $GITHUB_STEP_SUMMARY file per use of the action and the job's $RUNNER_TEMP. The one step
that would fetch a Python (`actions/setup-python`) answers with the Python running the tests,
or the `python` given. `GITHUB_ACTION` is the name of the use (`use`), and `RUNNER_OS` the
runner's system (`runner_os`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
REFERENCE = re.compile(r"^(inputs|steps|env|github)\.([A-Za-z0-9_.-]+)$")


@dataclass
class ActionRun:
    status: int
    outputs: dict[str, str]
    log: str
    summary: str
    steps: dict[str, dict[str, str]] = field(default_factory=dict)


def _scalar(value: object) -> str:
    """YAML scalars as the runner passes them on: strings, with booleans lower-case."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_outputs(text: str) -> dict[str, str]:
    """The runner's two syntaxes: name=value, and name<<DELIMITER ... DELIMITER."""
    outputs: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
        i += 1
    return outputs


def run_action(
    action_dir: Path,
    inputs: dict[str, str],
    workdir: Path,
    env: dict[str, str],
    runner_temp: Path,
    *,
    use: str = "__tagguard_tagguard",
    runner_os: str = "Linux",
    python: str = sys.executable,
) -> ActionRun:
    action = yaml.safe_load((action_dir / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    declared = action.get("inputs", {})
    unknown = set(inputs) - set(declared)
    assert not unknown, f"inputs the action does not declare: {unknown}"
    values = {
        name: inputs.get(name, str(spec.get("default", ""))) for name, spec in declared.items()
    }
    steps: dict[str, dict[str, str]] = {}
    # The runner's own files, one set per use: never the action's business to share.
    files = Path(tempfile.mkdtemp(prefix="runner-files-", dir=runner_temp))
    summary = files / "step-summary.md"
    summary.touch()
    log: list[str] = []

    def resolve(text: str) -> str:
        def one(found: re.Match[str]) -> str:
            reference = REFERENCE.match(found.group(1))
            assert reference, f"unsupported expression: {found.group(0)}"
            scope, path = reference.groups()
            if scope == "inputs":
                return values[path]
            if scope == "steps":
                step, _, output = path.partition(".outputs.")
                return steps.get(step, {}).get(output, "")
            if scope == "github":
                assert path == "action_path"
                return str(action_dir)
            return env.get(path, "")

        return EXPRESSION.sub(one, text)

    for number, step in enumerate(action["runs"]["steps"]):
        step_id = step.get("id", f"step{number}")
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@"), step["uses"]
            given = {k: resolve(_scalar(v)) for k, v in step.get("with", {}).items()}
            # The caller's Python must stay as it is.
            assert given.get("update-environment") == "false"
            steps[step_id] = {
                "python-path": python,
                "python-version": given.get("python-version", ""),
            }
            continue
        script = step["run"]
        assert "${{" not in script, f"step {step_id} splices an expression into its script"
        assert step.get("shell") == "bash"
        output = files / f"output-{step_id}"
        output.write_text("")
        script_path = files / f"step-{step_id}.sh"
        script_path.write_text(script)
        step_env = {
            **env,
            **{k: resolve(_scalar(v)) for k, v in step.get("env", {}).items()},
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION": use,
            "RUNNER_OS": runner_os,
            "GITHUB_ACTION_PATH": str(action_dir),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner_temp),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_path)],
            cwd=workdir,
            env=step_env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        log.append(done.stdout + done.stderr)
        steps[step_id] = parse_outputs(output.read_text())
        if done.returncode != 0:
            return ActionRun(done.returncode, {}, "".join(log), summary.read_text(), steps)
    outputs = {name: resolve(spec["value"]) for name, spec in action.get("outputs", {}).items()}
    return ActionRun(0, outputs, "".join(log), summary.read_text(), steps)


def base_env() -> dict[str, str]:
    keep = (
        "PATH",
        "HOME",
        "LANG",
        "LC_ALL",
        "PIP_INDEX_URL",
        "PIP_EXTRA_INDEX_URL",
        "PIP_FIND_LINKS",
        "PIP_CONSTRAINT",
        "PIP_CONFIG_FILE",
        "TMPDIR",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
    )
    return {k: v for k, v in os.environ.items() if k in keep}


def load_yaml(text: str) -> Any:
    return yaml.safe_load(text)
