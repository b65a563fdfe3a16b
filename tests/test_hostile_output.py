"""Hostile rule text through every command and every format, read back as the CI would.

Rule patterns and decorations are free text (Harbor's, or a rules file's), and errors echo
them. Each command runs in process, offline on rules and state files (impact, which only
runs against a Harbor, against the test Harbor); every line it prints, on stdout and stderr,
goes through the GitHub runner's command parser (ported from actions/runner in
tests/ci_commands.py). No line may hold a command, except, with `--format github`, the
stop-commands pair and the `::error`/`::warning`/`::notice` annotations tagguard means, one
per block (up to 10) and per warning, with the report's own text. The files written beside
(step summary, Markdown, SARIF, Code Quality) are held to what their readers accept.

The first tests are the issue's list ("Hostile text in CI outputs"), one each.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from unittest import mock
from xml.etree import ElementTree as ET

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tagguard.cli import main
from tagguard.core.sanitize import printable
from tests.ci_commands import CommandManager, commands_in, parses_as_command, read_lines
from tests.conftest import output_json
from tests.e2e.conftest import Harbor, harbor, registry  # noqa: F401 (fixtures, for impact)
from tests.reporters.test_markdown import OWN_TAGS, render
from tests.reporters.test_sarif import accepted

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
STATE = {"h.io/p/app": {"v1": A, "v2": B}, "h.io/p/other": {"v2": A}}
PLAN = (
    "operations:\n"
    f"  - push: h.io/p/app:v1\n    digest: {B}\n"
    "  - retag: {from: h.io/p/app:v2, to: h.io/p/app:v3}\n"
    "  - delete: h.io/p/app:v1\n"
    f"  - push: h.io/p/app:v1\n    digest: {A}\n"
)
REPORT_COMMANDS: dict[str, list[str]] = {
    "push": ["push", "h.io/p/app:v1", "h.io/p/app:v2", "--digest", B],
    "retag": ["retag", "h.io/p/app:v2", "h.io/p/app:v1", "h.io/p/app:v3"],
    "copy": ["copy", "h.io/p/app:v2", "h.io/p/other"],
    "delete": ["delete", "h.io/p/app:v1", "h.io/p/app:v2"],
    "sign": ["sign", "h.io/p/app:v2"],
    "plan": ["plan", "plan.yml"],
}
FORMATS = ("text", "json", "github", "gitlab", "sarif")
REPORTS = ("markdown", "sarif", "codequality", "junit", "json", "text", "dotenv")
GITHUB_ENV = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_WORKFLOW_REF": "octo/app/.github/workflows/release.yml@refs/heads/main",
}


def rule(rule_id: int, repo: str, tag: str, decoration: str = "matches") -> dict[str, Any]:
    return {
        "id": rule_id,
        "disabled": False,
        "action": "immutable",
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": repo}]
        },
        "tag_selectors": [{"kind": "doublestar", "decoration": decoration, "pattern": tag}],
    }


@dataclass(frozen=True)
class Hostile:
    """Where outside text goes: the tag pattern, decoration and repository pattern of a rule
    after the one that makes v1 immutable (so there are blocks, and warnings or explanations
    that echo the text)."""

    pattern: str = "v9"
    decoration: str = "matches"
    repo: str = "**"

    def rules(self) -> list[dict[str, Any]]:
        return [rule(1, "**", "v1"), rule(2, self.repo, self.pattern, self.decoration)]


@dataclass
class Output:
    code: int
    out: str
    err: str
    files: dict[str, str] = field(default_factory=dict)


@contextlib.contextmanager
def workspace(hostile: Hostile) -> Iterator[Path]:
    with TemporaryDirectory() as name:
        root = Path(name)
        # json.dumps escapes a lone surrogate as \udXXX: the file is valid JSON, as a
        # hand-written one would be.
        (root / "rules.json").write_text(json.dumps(hostile.rules()))
        (root / "state.json").write_text(json.dumps(STATE))
        (root / "plan.yml").write_text(PLAN)
        yield root


def run(root: Path, args: Sequence[str], env: Mapping[str, str] = {}) -> Output:
    """tagguard in process, in `root`, with `env` added to the environment."""
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    os.chdir(root)
    try:
        with mock.patch.dict(os.environ, env), redirect(out, err):
            code = main(list(args))
    finally:
        os.chdir(cwd)
    return Output(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def redirect(out: io.StringIO, err: io.StringIO) -> Iterator[None]:
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield


def offline(root: Path) -> list[str]:
    return ["--rules-file", str(root / "rules.json"), "--state-file", str(root / "state.json")]


# ------------------------------------------------------------------------------- the checks


def assert_no_command(text: str, allowed: Sequence[str] = ()) -> None:
    for line in read_lines(text):
        if line in allowed:
            continue
        assert parses_as_command(line) is None, f"a command from data: {line!r}"
        assert "\x1b" not in line, f"ESC from data: {line!r}"


def expected_annotations(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """github.py's contract: an error per block (the first 10), a notice for the rest, a
    warning per warning, each with the report's text made printable."""
    blocks = [d for d in report["decisions"] if d["decision"] == "block"]
    found = [
        ("error", f"{printable(d['reference'])}: {printable(d['reason'])}") for d in blocks[:10]
    ]
    if len(blocks) > 10:
        found.append(("notice", f"{len(blocks) - 10} more blocked reference(s)"))
    found += [("warning", printable(w["message"])) for w in report["warnings"]]
    return found


def assert_github(out: str, err: str, report: Mapping[str, Any]) -> None:
    """The runner, fed the step's output, takes exactly tagguard's stop-commands pair and
    its annotations, with their texts; no other line of stdout or stderr parses as one."""
    manager = CommandManager()
    taken = []
    for line in read_lines(out):
        command = manager.process(line)
        if command is None:  # text: not a command even with no stop in force
            assert parses_as_command(line) is None, f"a command from data: {line!r}"
            assert "\x1b" not in line
        else:
            taken.append(command)
    assert [c.command for c in taken[:2]] == ["stop-commands", taken[0].data], taken
    assert not manager.stopped
    annotations = [(c.command, c.data) for c in taken[2:]]
    expected = expected_annotations(report)
    assert len(annotations) == len(expected), annotations
    for (name, data), (want_name, want_data) in zip(annotations, expected, strict=True):
        assert name == want_name
        assert data == want_data if name != "notice" else data.startswith(want_data), data
    assert_no_command(err)


def assert_markdown(text: str) -> None:
    rendered = render(text)
    assert set(rendered.tags) <= OWN_TAGS | {"a"}, rendered.tags
    assert all(href == f"mailto:{shown}" for href, shown in rendered.links), rendered.links


def assert_report_files(root: Path) -> None:
    for name in ("report.md", "summary.md"):
        if (root / name).exists():
            assert_markdown((root / name).read_text())
    if (root / "report.sarif").exists():
        accepted(json.loads((root / "report.sarif").read_text()))
    for name in ("report.codequality.json", "gl-code-quality-report.json"):
        if (root / name).exists():
            prints = [i["fingerprint"] for i in json.loads((root / name).read_text())]
            assert len(set(prints)) == len(prints)
    for name in ("report.text", "report.json"):
        if (root / name).exists():
            assert_no_command((root / name).read_text())
    if (root / "report.junit").exists():
        ET.fromstring((root / "report.junit").read_text())  # well-formed, whatever it holds
    if (root / "report.dotenv").exists():
        assert_dotenv((root / "report.dotenv").read_text())


def assert_dotenv(text: str) -> None:
    """As GitLab reads a dotenv artifact: each line's name is all before its first `=`
    (before its last in releases before `Ci::ParseDotenvArtifactService`), letters, digits
    and `_` only, or the whole file is refused; under 5 KB."""
    assert len(text.encode()) < 5 * 1024
    for line in text.splitlines():
        for name in (line.partition("=")[0].strip(), line.rpartition("=")[0].strip()):
            assert re.fullmatch(r"[A-Za-z0-9_]+", name), f"GitLab refuses the dotenv: {line!r}"


def every_output(hostile: Hostile) -> None:
    """Every offline command in every format, checked as above."""
    with workspace(hostile) as root:
        files = [f"--report={n}=report.{'md' if n == 'markdown' else n}" for n in REPORTS]
        github_env = {
            **GITHUB_ENV,
            "GITHUB_WORKSPACE": str(root),
            "GITHUB_STEP_SUMMARY": str(root / "summary.md"),
            "GITHUB_OUTPUT": str(root / "output"),
        }
        for args in REPORT_COMMANDS.values():
            as_json = run(root, [*args, *offline(root), "--format", "json"])
            assert as_json.code in (0, 1, 2), as_json.err
            assert_no_command(as_json.out)
            assert_no_command(as_json.err)
            for output_format in FORMATS:
                extra = files if output_format == "github" else []
                env = github_env if output_format == "github" else {}
                result = run(root, [*args, *offline(root), "--format", output_format, *extra], env)
                assert result.code == as_json.code, result.err
                if result.code == 2:
                    assert len(read_lines(result.err)) == 1
                    if output_format == "json":  # the one object, with the error
                        assert output_json(result.out)["error"]["code"] != "internal"
                    elif output_format == "sarif":  # a log whose run did not succeed
                        (invocation,) = json.loads(result.out)["runs"][0]["invocations"]
                        assert invocation["executionSuccessful"] is False
                    else:
                        assert not result.out
                if output_format == "github" and result.code != 2:
                    assert_github(result.out, result.err, output_json(as_json.out))
                else:
                    assert_no_command(result.out)
                    assert_no_command(result.err)
                assert_report_files(root)
        for args in (["explain", "h.io/p/app:v2", *offline(root)], ["lint", "rules.json"]):
            for output_format in ("text", "json", "github"):
                result = run(root, [*args, "--format", output_format])
                assert_no_command(result.out)
                assert_no_command(result.err)
                if output_format == "json":
                    output_json(result.out)


# -------------------------------------------------------------- the list, one by one

STOP = "{v1,##[stop-commands]zz}"


def test_a_pattern_in_explain_lint_or_an_error_cannot_swallow_the_block_annotation() -> None:
    """One job log: `explain`, `lint` and a failed check print the pattern, then a check
    blocks. The runner must still take the block's ::error annotation."""
    with workspace(Hostile(pattern=STOP, repo=STOP)) as root:
        explain = run(root, ["explain", "h.io/p/app:v2", *offline(root)])
        lint = run(root, ["lint", "rules.json"])
        (root / "bad.json").write_text(json.dumps({f"h.io/p/{STOP}": {}}))
        failed = run(
            root,
            ["push", "h.io/p/app:v1", "--rules-file", "rules.json", "--state-file", "bad.json"],
        )
        assert failed.code == 2
        assert "stop-commands" in failed.err
        push = run(
            root,
            ["push", "h.io/p/app:v1", "--digest", B, *offline(root), "--format", "github"],
            GITHUB_ENV,
        )
        log = explain.out + lint.out + failed.err + push.out
        assert "stop-commands" in explain.out + lint.out
        taken = [c for c in commands_in(log) if c.command == "error"]
        assert [c.data.split(":", 2)[:2] for c in taken] == [["h.io/p/app", "v1"]]


def test_an_undecided_run_s_reports_hold_its_error_as_their_readers_accept() -> None:
    """Exit 2 writes every report with the error line's message, which echoes outside text
    (here a state file's repository name): each report is held to what its reader accepts,
    and holds the message standard error shows, over the last run's verdicts."""
    hostile = "[x](https://e.example)=1% ##[error]forged <b>|"
    with workspace(Hostile()) as root:
        (root / "bad.json").write_text(json.dumps({f"h.io/p/{hostile}": {}}))
        for name in REPORTS:
            (root / f"report.{'md' if name == 'markdown' else name}").write_text("stale\n")
        files = [f"--report={n}=report.{'md' if n == 'markdown' else n}" for n in REPORTS]
        state = ["--rules-file", "rules.json", "--state-file", "bad.json"]
        result = run(root, ["push", "h.io/p/app:v1", "--digest", B, *state, *files], GITHUB_ENV)
        assert result.code == 2
        (line,) = read_lines(result.err)
        message = line.removeprefix("tagguard: error: ")
        assert_no_command(result.err)
        assert_report_files(root)
        assert output_json((root / "report.json").read_text())["error"]["message"] == message
        assert (root / "report.text").read_text() == f"{line}\n"
        for name in REPORTS:
            written = (root / f"report.{'md' if name == 'markdown' else name}").read_text()
            assert written != "stale\n", name


def test_a_decoration_cannot_forge_an_error_annotation() -> None:
    with workspace(Hostile(decoration="matches##[error]forged")) as root:
        for args in (
            ["push", "h.io/p/app:v2", "--digest", A, *offline(root), "--format", "github"],
            ["explain", "h.io/p/app:v2", *offline(root)],
            ["lint", "rules.json"],
        ):
            result = run(root, args, GITHUB_ENV)
            assert "forged" in result.out  # shown...
            errors = [c for c in commands_in(result.out + result.err) if c.command == "error"]
            assert errors == []  # ... and not taken: v2 is not blocked


def test_escape_and_newlines_cannot_clear_the_screen_or_forge_a_line() -> None:
    forged = "matches\x1b[2J\x1b[H\ntagguard: allow  h.io/p/app:v1\r"
    with workspace(Hostile(decoration=forged)) as root:
        for args in (
            ["push", "h.io/p/app:v1", "--digest", B, *offline(root)],
            ["explain", "h.io/p/app:v2", *offline(root)],
            ["lint", "rules.json"],
        ):
            result = run(root, args)
            text = result.out + result.err
            assert "\x1b" not in text
            assert "\r" not in text
            assert not any(line.startswith("tagguard: allow") for line in read_lines(text))


def test_the_step_summary_shows_links_and_images_as_text() -> None:
    with workspace(
        Hostile(decoration="[text](https://evil.example) ![i](https://evil.example/i.png)")
    ) as root:
        summary = root / "summary.md"
        env = {**GITHUB_ENV, "GITHUB_STEP_SUMMARY": str(summary)}
        run(
            root,
            ["push", "h.io/p/app:v2", "--digest", A, *offline(root), "--format", "github"],
            env,
        )
        rendered = render(summary.read_text())
        assert "a" not in rendered.tags
        assert "img" not in rendered.tags
        assert any("[text](https://evil.example)" in cell for cell in rendered.cells)


def test_a_lone_surrogate_in_a_rules_file_is_one_line_naming_the_file() -> None:
    with workspace(Hostile(decoration="matches\ud800")) as root:
        result = run(root, ["push", "h.io/p/app:v2", *offline(root), "--format", "gitlab"])
        assert result.code == 2
        assert not result.out
        (line,) = read_lines(result.err)
        assert line.startswith(f"tagguard: error: {root / 'rules.json'}: \\ud800 in ")
        assert "internal error" not in line


# ------------------------------------------------------------------- everything, everywhere

PIECES = [
    "::",
    "##[",
    "]",
    "stop-commands",
    "error",
    "warning",
    "::error::x",
    "##[error]x",
    "{v1,##[stop-commands]zz}",
    "\x1b[2J",
    "\n",
    "\r",
    "\u2028",
    "\u00ad",
    "%0A",
    ",",
    "=",
    "[x](https://e.example)",
    "![i](https://e.example/i)",
    "<b>",
    "|",
    "`",
    "*",
    "#",
    "\\",
    "tagguard: allow",
    " ",
    "v1",
    "*",
]
TEXT = st.lists(st.sampled_from(PIECES) | st.text(max_size=2), min_size=1, max_size=6).map("".join)


@settings(max_examples=6, derandomize=True, deadline=None)
@given(
    st.builds(
        Hostile, pattern=TEXT, decoration=st.just("matches") | TEXT, repo=st.just("**") | TEXT
    )
)
@example(Hostile(pattern=STOP, decoration="matches", repo=STOP))
@example(Hostile(pattern="v9", decoration="matches##[error]forged\n::warning::w"))
@example(Hostile(pattern="[x](https://e.example)", decoration="![i](https://e.example/i.png)"))
@example(Hostile(pattern="v\ud800", decoration="matches"))
def test_hostile_rule_text_through_every_command_and_format(hostile: Hostile) -> None:
    every_output(hostile)


def test_impact_against_a_harbor_with_hostile_rules(
    harbor: Harbor,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """impact reads Harbor's rules in force, and a proposal; both may hold hostile text."""
    monkeypatch.chdir(tmp_path)  # --format gitlab writes its reports here
    harbor.rule("proj", tag=STOP, tag_decoration="matches##[error]forged")
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    proposal = tmp_path / "rules.json"
    proposal.write_text(
        json.dumps(
            [rule(1, "**", "{v1,##[stop-commands]yy}"), rule(2, "**", "x", "matches##[error]p")]
        )
    )
    for output_format in FORMATS:
        result = harbor.tagguard(
            "impact",
            harbor.ref("proj/app"),
            "--rules-file",
            str(proposal),
            "--format",
            output_format,
        )
        assert result.code in (0, 1), result.err
        if output_format == "github":
            report = harbor.tagguard(
                "impact", harbor.ref("proj/app"), "--rules-file", str(proposal), "--format", "json"
            )
            assert_github(result.out, result.err, report.json)
        else:
            assert_no_command(result.out)
            assert_no_command(result.err)
