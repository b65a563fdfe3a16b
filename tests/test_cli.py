"""The command line, in process through main(argv), as users see it."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tagguard import __version__
from tagguard.cli import main
from tagguard.core.sanitize import Redactor
from tests.conftest import API_DIGEST, EXAMPLES, OFFLINE, OTHER, RULES, STATE, output_json


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"tagguard {__version__}\n", "")


def test_module_entry_point() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tagguard", "--version"], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, f"tagguard {__version__}")


def _program(*args: str) -> list[str]:
    """The installed `tagguard` program (cli.run, which leaves through os._exit)."""
    return [sys.executable, "-c", "from tagguard.cli import run; run()", *args]


def test_the_program_flushes_everything_before_its_prompt_exit() -> None:
    plan = str(EXAMPLES / "release-plan.yml")
    done = subprocess.run(
        _program("plan", plan, *OFFLINE, "--format", "json"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # the example plan moves immutable tags
    report = output_json(done.stdout)  # all of a large report, not a truncated buffer
    assert len(report["decisions"]) == sum(report["summary"].values()) > 100
    assert any("rule 7 is broken" in w["message"] for w in report["warnings"])


def test_the_program_keeps_its_exit_code_when_the_reader_goes_away() -> None:
    plan = str(EXAMPLES / "release-plan.yml")
    program = subprocess.Popen(
        _program("plan", plan, *OFFLINE),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert program.stdout is not None
    assert program.stderr is not None
    program.stdout.readline()
    program.stdout.close()  # like `tagguard plan ... | head -1`
    err = program.stderr.read().decode()
    assert program.wait(timeout=30) == 1
    assert "Traceback" not in err
    assert "Exception ignored" not in err


def test_push_skip_and_allow_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys,
        "push",
        "harbor.example.com/platform/api:v1.4.0",
        "harbor.example.com/platform/api:v9.9.9",
        "--digest",
        API_DIGEST,
        *OFFLINE,
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("skip   harbor.example.com/platform/api:v1.4.0")
    assert out.splitlines()[1].startswith("allow  harbor.example.com/platform/api:v9.9.9")


def test_push_block_exit_1_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "push",
        "harbor.example.com/platform/api:v1.4.0",
        "--digest",
        OTHER,
        *OFFLINE,
        "--format",
        "json",
    )
    assert code == 1
    data = output_json(out)
    (decision,) = data["decisions"]
    assert decision["decision"] == "block"
    assert decision["rule_id"] == 1
    assert decision["new_digest"] == OTHER
    assert data["summary"] == {"allow": 0, "skip": 0, "block": 1}


def test_a_push_without_its_digest_is_told_the_option_that_gives_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "push", "harbor.example.com/platform/api:v1.4.0", *OFFLINE)
    assert code == 1
    assert out.splitlines()[0].endswith(
        "so give the digest (--digest) to let identical re-runs be skipped"
    )
    # and the option named is the one to give: the same push with it is skipped
    code, out, _ = run(capsys, "push", "harbor.example.com/platform/api:v1.4.0", "--digest",
                       API_DIGEST, *OFFLINE)  # fmt: skip
    assert code == 0
    assert out.startswith("skip   harbor.example.com/platform/api:v1.4.0  ")


def test_old_harbor_semantics_change_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    # Rule 2 excludes '{sandbox/**,tools/*}' and locks release-* elsewhere. Before 2.10.3
    # Harbor cuts patterns at '/' before reading braces: the rule is a pattern error, fails
    # open, and release tags everywhere are mutable.
    ref = "harbor.example.com/platform/api:release-2026.11"
    new, _, _ = run(capsys, "push", ref, "--digest", OTHER, *OFFLINE)
    old, out, _ = run(
        capsys,
        "push",
        ref,
        "--digest",
        OTHER,
        *OFFLINE,
        "--format",
        "json",
        "--harbor-version",
        "2.10.1",
    )
    assert (new, old) == (1, 0)
    assert output_json(out)["warnings"][0]["code"] == "broken-rule"


def test_an_old_harbor_refuses_to_delete_a_signature_an_index_lists(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A notation signature of the image that the referrers tag schema's index also lists
    # (goharbor/harbor#20377). deleteDeeply before v2.11.0 deletes it as a root, which an
    # index references: "the deleting artifact is referenced by others"; v2.11.0 keeps it.
    image, signature, index = (f"sha256:{c * 64}" for c in "a67")
    repository = {
        "artifacts": [
            {
                "digest": image,
                "tags": ["v1"],
                "accessories": [{"digest": signature, "type": "signature.notation"}],
            },
            {"digest": signature},
            {"digest": index, "tags": [f"sha256-{'a' * 64}"], "references": [signature]},
        ]
    }
    state, rules = tmp_path / "state.json", tmp_path / "rules.json"
    state.write_text(json.dumps({"h.io/p/app": repository}))
    rules.write_text("[]")
    args = ("delete", "--artifact", "h.io/p/app:v1", "--rules-file", str(rules))
    old, out, _ = run(capsys, *args, "--state-file", str(state), "--harbor-version", "2.10.3")
    assert (old, out[:5]) == (1, "block")
    assert "child of index sha256:777777777777" in out
    new, out, _ = run(capsys, *args, "--state-file", str(state), "--harbor-version", "2.11.0")
    assert (new, out[:5]) == (0, "allow")


def test_retag_and_delete(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "retag",
        "harbor.example.com/platform/web:v2.0.0",
        "harbor.example.com/platform/api:v1.4.0",
        *OFFLINE,
    )
    assert code == 1
    assert out.startswith("block")
    code, out, _ = run(capsys, "delete", "harbor.example.com/platform/web:latest", *OFFLINE)
    assert (code, out[:5]) == (0, "allow")
    code, out, _ = run(
        capsys, "delete", "--artifact", "harbor.example.com/platform/web:latest", *OFFLINE
    )
    assert (code, out[:5]) == (1, "block")


def test_explain_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "harbor.example.com/legacy/app:1.0", *OFFLINE)
    assert code == 0
    assert "rule 7: errors" in out
    assert "=> mutable, because a broken rule fails open" in out
    code, out, _ = run(
        capsys,
        "explain",
        "harbor.example.com/legacy/app:2.0",
        "--rules-file",
        RULES,
        "--format",
        "json",
    )
    data = output_json(out)
    assert (data["immutable"], data["rule_id"], data["exists"]) == (True, 8, None)


def test_lint_exit_status(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "lint", "--rules-file", RULES)
    assert code == 1
    assert "error: rule 7 tag selector '1.[0-9'" in out
    clean = tmp_path / "clean.json"
    clean.write_text("[]")
    assert run(capsys, "lint", "--rules-file", str(clean))[0] == 0
    code, out, _ = run(capsys, "lint", "--rules-file", RULES, "--format", "json")
    assert output_json(out)["summary"]["error"] == 1


def test_lint_takes_an_empty_harbor_version_as_not_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `--harbor-version "$HARBOR_VERSION"` with the CI variable unset, as the checks take it.
    expected = run(capsys, "lint", "--rules-file", RULES)
    assert run(capsys, "lint", "--rules-file", RULES, "--harbor-version", "") == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["push", "proj/app:1", *OFFLINE], "names no registry host"),
        (
            ["push", "h.io/p/app:1", "--digest", "sha256:xyz", *OFFLINE],
            "--digest: 'sha256:xyz' is not a digest",
        ),
        (
            ["push", "h.io/p/app:1", "--username", "u", *OFFLINE],
            "--username needs --password-stdin",
        ),
        (
            ["push", "harbor.example.com/nope/app:1", *OFFLINE],
            "does not list repository 'harbor.example.com/nope/app'",
        ),
        (
            ["push", "h.io/p/app:1", "--rules-file", "/nonexistent.json", "--state-file", STATE],
            "/nonexistent.json: no such file",
        ),
        (["push", "h.io/p/app:1", *OFFLINE, "--harbor-version", "banana"], "is not a version"),
    ],
)
def test_undecidable_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("tagguard: error: ")
    assert message in err
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "push")
    assert code == 2
    assert "no references to check" in err
    code, _, err = run(capsys, "retag")
    assert code == 2
    assert "Missing argument" in err
    assert run(capsys, "frobnicate")[0] == 2


def test_control_characters_in_errors_are_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "r.json"
    rules.write_text(json.dumps({"\x1b[2Jevil": []}))
    _, _, err = run(
        capsys,
        "push",
        "harbor.example.com/platform/api:v1",
        "--rules-file",
        str(rules),
        "--state-file",
        STATE,
    )
    assert "\x1b" not in err


def test_internal_errors_are_one_line_without_debug(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import tagguard.app

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    # A bug past the command line (here: where the check runs).
    monkeypatch.setattr(tagguard.app, "checked", explode)
    code, _, err = run(capsys, "push", "harbor.example.com/platform/api:v1", *OFFLINE)
    assert code == 2
    assert err == (
        "tagguard: internal error: RuntimeError: boom second line "
        "(run with --debug for a traceback, and please report it)\n"
    )


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_an_internal_error_with_debug_is_a_redacted_traceback_and_still_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    """Before: --debug let the exception out, and Python printed its traceback, secrets and
    all, and exited 1: "blocked", where the run could not decide."""
    import tagguard.app

    def explode(*args: object, redactor: Redactor, **kwargs: object) -> None:
        redactor.keep("hunter2SECRETpw")  # a secret the run met, as a credential is
        raise RuntimeError("the registry said hunter2SECRETpw")

    monkeypatch.setattr(tagguard.app, "checked", explode)
    code, out, err = run(
        capsys, "push", "harbor.example.com/platform/api:v1", *OFFLINE,
        "--debug", "--format", output_format,
    )  # fmt: skip
    assert code == 2
    assert "hunter2SECRETpw" not in out + err
    assert err.startswith("Traceback (most recent call last):\n")
    assert 'raise RuntimeError("the registry said ***")\n' in err  # its source line too
    message = "RuntimeError: the registry said *** (please report it)"
    assert err.endswith(
        f"RuntimeError: the registry said ***\ntagguard: internal error: {message}\n"
    )
    if output_format == "json":
        assert output_json(out)["error"] == {"code": "internal", "message": message}
    else:
        assert out == ""


@pytest.mark.parametrize(
    ("value", "traceback"),
    [("1", True), ("yes", True), ("0", False), ("false", False), ("OFF", False), ("", False)],
)
def test_tagguard_debug_is_off_for_the_words_click_reads_as_false(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    traceback: bool,
) -> None:
    """Every other flag's variable is read by click, for which 0, false, no and off are
    false; TAGGUARD_DEBUG=0 used to turn debugging on."""
    import tagguard.app

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tagguard.app, "checked", explode)
    monkeypatch.setenv("TAGGUARD_DEBUG", value)
    code, _, err = run(capsys, "push", "harbor.example.com/platform/api:v1", *OFFLINE)
    assert code == 2
    assert err.startswith("Traceback (most recent call last):\n") is traceback


def test_plan_reports_every_operation_with_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    plan = str(EXAMPLES / "release-plan.yml")
    code, out, err = run(capsys, "plan", plan, *OFFLINE, "--format", "json")
    assert code == 1, err
    data = output_json(out)
    lines = (EXAMPLES / "release-plan.yml").read_text().splitlines()
    declared = {i + 1 for i, line in enumerate(lines) if line.startswith("  - ")}
    assert len(declared) == 50
    reported = {d["source"]["line"] for d in data["decisions"]}
    assert reported == declared
    assert {d["source"]["file"] for d in data["decisions"]} == {plan}


def test_plan_operations_see_what_earlier_ones_wrote(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    new = "sha256:" + "e" * 64
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - push: harbor.example.com/platform/api:v9.0.0\n    digest: {new}\n"
        "  - retag: {from: harbor.example.com/platform/api:v9.0.0, to: harbor.example.com/platform/api:stable}\n"
        f"  - push: harbor.example.com/platform/api:v9.0.0\n    digest: {OTHER}\n"
    )
    code, out, _ = run(capsys, "plan", str(plan), *OFFLINE, "--format", "json")
    verdicts = [
        (d["source"]["line"], d["decision"], d["new_digest"]) for d in output_json(out)["decisions"]
    ]
    assert verdicts == [(2, "allow", new), (4, "allow", new), (5, "block", OTHER)]
    assert code == 1


def test_a_bad_plan_is_one_line_with_file_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n  - push: harbor.example.com/platform/api:v1\n    digst: sha256:00\n"
    )
    code, out, err = run(capsys, "plan", str(plan), *OFFLINE)
    assert (code, out) == (2, "")
    assert (
        err
        == f"tagguard: error: {plan}:3: a push does not take 'digst' (it takes digest, from, metadata-file, oci-layout, push)\n"
    )


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["push", "--timeout", "-1", "h.io/p/a:1"], "'--timeout'"),
        (["push", "--deadline", "soon", "h.io/p/a:1"], "'--deadline'"),
        (["push", "--format", "xml", "h.io/p/a:1"], "'--format'"),
        (["push", "--bogus"], "'--bogus'"),
        (["nosuch"], "'nosuch'"),
        (["push", "--ca-file", "/nonexistent/ca.pem", "h.io/p/a:1"], "/nonexistent/ca.pem"),
        (["replicate", "--policy", "many"], "'--policy'"),
    ],
)
def test_usage_errors_are_one_line_naming_the_input(
    capsys: pytest.CaptureFixture[str], args: list[str], named: str
) -> None:
    code, out, err = run(capsys, *args)
    assert (code, out) == (2, "")
    assert err.startswith("tagguard: error: ")
    assert err.count("\n") == 1, err
    assert named in err


# Offline runs: a valid start for each command, then options drawn in pairs, right or wrong.
# Reports go to a folder of their own: never a device (as root, a bug there replaces it).
_REPORTS = tempfile.mkdtemp(prefix="tagguard-cli-fuzz-")
_PAIRS = [
    ("--format", "json"), ("--format", "sarif"), ("--format", "github"), ("--format", "xml"),
    ("--report", f"json={_REPORTS}/r.json"), ("--report", f"junit={_REPORTS}/r.xml"),
    ("--report", "x="),
    ("--timeout", "0"), ("--timeout", "5"), ("--deadline", "nan"), ("--deadline", "30"),
    ("--concurrency", "65"), ("--concurrency", "2"), ("--harbor-version", "v1.9.0"),
    ("--harbor-version", "v2"), ("--on-error", "warn"), ("--on-error", "maybe"),
    ("--digest", OTHER), ("--digest", "sha256:zz"), ("--project", "p"), ("--policy", "0"),
    ("--refs-file", "/dev/null"), ("--oci-layout", "/nonexistent"), ("--artifact", "--explain"),
    ("h.io/p/app:v1", "::"), ("HTTP://x", ""), ("--from", "--to"), ("--metadata-file", "/"),
]  # fmt: skip
_API = "harbor.example.com/platform/api:v1.4.0"
# A valid start for each command, so that drawn arguments reach the checks, not just click.
_BASES = {
    "push": [_API, "--digest", OTHER],
    "retag": [_API, "harbor.example.com/platform/api:v9"],
    "copy": [_API, "harbor.example.com/platform/web"],
    "delete": [_API],
    "plan": [str(EXAMPLES / "release-plan.yml")],
    "explain": [_API],
    "replicate": ["--from", _API, "--to", _API],
    "lint": [RULES],
}


@settings(max_examples=300, deadline=None)
@given(command=st.sampled_from(sorted(_BASES)), pairs=st.lists(st.sampled_from(_PAIRS), max_size=3))
def test_any_arguments_end_in_an_exit_code_and_at_most_one_error_line(
    command: str, pairs: list[tuple[str, str]]
) -> None:
    import contextlib
    import io

    offline = [] if command == "lint" else OFFLINE
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        tokens = [token for pair in pairs for token in pair]
        code = main([command, *_BASES[command], *tokens, *offline])
    event(f"exit {code}")
    assert code in (0, 1, 2)
    assert "Traceback" not in err.getvalue()
    assert "internal error" not in err.getvalue(), err.getvalue()
    if code == 2:
        assert err.getvalue().count("\n") == 1, err.getvalue()
        assert err.getvalue().startswith("tagguard: error: ")


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_streamed_report_is_redacted_and_the_same_as_its_file(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """text and json go to standard output line by line: each piece still passes through
    redaction, and what is printed is what the report file holds."""
    from tagguard.core import sanitize

    class Echoed(sanitize.Redactor):
        """The run's redactor, as if a registry had echoed a credential."""

        def __init__(self) -> None:
            super().__init__()
            self.keep("platform/api")

    monkeypatch.setattr("tagguard.commands.run.Redactor", Echoed)  # where a run makes it
    plan = str(EXAMPLES / "release-plan.yml")
    path = tmp_path / f"report.{fmt}"
    code, out, err = run(capsys, "plan", plan, *OFFLINE, "--format", fmt, "--report",
                         f"{fmt}={path}")  # fmt: skip
    assert code == 1, err
    assert "platform/api" not in out
    assert "harbor.example.com/***:" in out
    assert out == path.read_text()


def test_a_credential_of_one_run_does_not_redact_a_later_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 15: a Credential registered its secret process-wide when constructed, so one
    built in a test (or an earlier run in the same process) hid a later run's project name.
    A credential is a plain value now; a store hides what it hands out in its own run only."""
    from tagguard.shell.credentials import Credential, CredentialStore

    Credential("robot", "platform", "built, never handed out")
    earlier = CredentialStore(
        Credential("robot", "platform/api", "--username"), frozenset({"h.io"})
    )
    assert earlier.for_host("h.io") is not None
    assert earlier.redactor.redact("h.io/platform/api") == "h.io/***"  # hidden in its run
    code, out, err = run(capsys, "push", "harbor.example.com/platform/api:v1.4.0",
                         "--digest", OTHER, *OFFLINE)  # fmt: skip
    assert code == 1, err
    assert "harbor.example.com/platform/api:v1.4.0" in out
    assert "***" not in out


def imported(*args: str) -> tuple[str, set[str]]:
    """What a fresh interpreter prints and every module it imports (`-X importtime`)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    return done.stdout, {line.rsplit("|", 1)[1].strip() for line in lines[1:]}


def loaded(*args: str, cwd: Path | None = None) -> tuple[str, set[str]]:
    """What a fresh interpreter running the CLI on `args` (in `cwd`) prints, and every module
    it then holds. Read from sys.modules, not from `-X importtime`, which does not see modules
    loaded through importlib.import_module (the reporters' registry loads them so)."""
    program = (
        "import sys\n"
        "from tagguard.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "sys.stdout.flush()\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
        "raise SystemExit(code)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    return done.stdout, set(done.stderr.splitlines())


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_the_version_is_answered_before_anything_is_imported(flag: str) -> None:
    """`tagguard --version` (the program, `run`) and `python -m tagguard --version` import
    nothing beyond tagguard's two smallest modules: not click, not typing (an import of
    typing alone would cost a fifth of the answer's time)."""
    _, bare = imported("-c", "pass")
    _, runpy = imported("-c", "import runpy")  # what `python -m` itself imports
    program = f"import sys; sys.argv = ['tagguard', {flag!r}]; from tagguard.cli import run; run()"
    for (printed, modules), before in (
        (imported("-c", program), bare),
        (imported("-m", "tagguard", flag), bare | runpy),
    ):
        assert printed == f"tagguard {__version__}\n"
        assert modules - before <= {"__future__", "gc", "tagguard", "tagguard.cli"}
        assert "tagguard.cli" in modules


def test_every_entry_point_runs_with_the_collector_off_and_a_short_switch_interval() -> None:
    """`exit_with`'s start-up choices, which every entry point shares, as the program sees
    them while it runs; and the exit code it returns is the process's."""
    program = (
        "import gc, sys; from tagguard.cli import exit_with; "
        "exit_with(lambda: print(gc.isenabled(), sys.getswitchinterval()) or 3)"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout) == (3, "False 0.0005\n")


def test_an_offline_push_imports_only_what_it_uses() -> None:
    """The import boundaries that keep an offline push's start-up down: no live shell
    (requests and the HTTP clients), no plan reading (PyYAML, tagguard.core.plan's types),
    no check that runs several operations, and of the reporters only the one printing."""
    printed, modules = loaded(
        "push", "harbor.example.com/platform/api:v1.4.0",
        "--digest", API_DIGEST, *OFFLINE, "--format", "text",
    )  # fmt: skip
    assert "1 skipped" in printed  # the check ran, and decided
    assert {"tagguard.session", "tagguard.core.decide", "tagguard.reporters.text"} <= modules
    not_needed = {
        "requests",
        "urllib3",
        "yaml",
        "tagguard.shell.http",
        "tagguard.shell.harbor",
        "tagguard.shell.live",
        "tagguard.shell.plan_file",
        "tagguard.core.plan",
        "tagguard.release_plan",
        "tagguard.replicate",
        "tagguard.core.replication",  # the session names its Policy for the type checker only
        "tagguard.impact",
        "tagguard.reporters.json",
        "tagguard.reporters.sarif",
        # The group loads the invoked command's module only: the others' commands undeclared.
        "tagguard.commands.plans",
        "tagguard.commands.tools",
    }
    assert modules & not_needed == set()


# Stops a live run where it asks its questions (before any request), printing every module
# loaded by then.
_AT_THE_QUESTIONS = """
import os, sys
from tagguard.shell.live import LiveSources

def prefetch(self, projects, tags):
    print(" ".join(sorted(sys.modules)))
    sys.stdout.flush()
    os._exit(0)

LiveSources.prefetch = prefetch
from tagguard.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("command", ["push", "plan"])
def test_a_live_check_asks_before_loading_what_decides_and_prints(
    command: str, tmp_path: Path
) -> None:
    """Loading the modules that decide and print overlaps the first answers only if the
    command line's path to the questions imports none of them (tagguard.check): through
    tagguard.options, the reporters' registry once brought the whole core with it. The rule
    reader and matcher load in the worker that reads the first rules; subprocess only for a
    credential helper, the replication model only for a replication, the file readers for a
    file."""
    reference = "harbor.example.com/platform/api:v1.4.0"
    plan = tmp_path / "release.yml"
    plan.write_text(f"operations:\n  - push: {reference}\n    digest: {API_DIGEST}\n")
    args = [reference, "--digest", API_DIGEST] if command == "push" else [str(plan)]
    done = subprocess.run(
        [sys.executable, "-c", _AT_THE_QUESTIONS, command, *args, "--format", "json",
         "--harbor-url", "harbor.example.com=http://127.0.0.1:9"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    loaded_then = set(done.stdout.split())
    assert "tagguard.shell.live" in loaded_then  # it did stop at the questions
    deciding = {
        "tagguard.session",
        "tagguard.answers",
        "tagguard.core.decide",
        "tagguard.core.report",
        "tagguard.core.world",
        "tagguard.core.immutability",
        "tagguard.reporters.json",
        "tagguard.core.rules",
        "tagguard.core.glob",
        "tagguard.core.replication",
        "subprocess",
        # The readers of digest files, and (but for a plan's own file) of rules and state.
        "tagguard.shell.digests",
        *(["tagguard.shell.files"] if command == "push" else []),
    }
    assert loaded_then & deciding == set()


_COMMAND_MODULES = {
    "tagguard.commands.checks",
    "tagguard.commands.plans",
    "tagguard.commands.tools",
}


@pytest.mark.parametrize(
    ("settings_file", "expected"),
    [
        ("", {"tagguard.commands.checks"}),
        # A key push has: checked against push alone, as against every command.
        ("timeout = 5\n", {"tagguard.commands.checks"}),
        # A key of lint's only: checked against every command (and accepted), all loaded.
        ("project = 'platform'\n", _COMMAND_MODULES),
        # A table of lint's: checked against lint, whose module comes with it.
        ("[lint]\nformat = 'json'\n", {"tagguard.commands.checks", "tagguard.commands.tools"}),
    ],
)
def test_a_push_loads_the_command_modules_it_needs(
    settings_file: str, expected: set[str], tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()  # the settings file is looked for up to here
    if settings_file:
        (tmp_path / "tagguard.toml").write_text(settings_file)
    printed, modules = loaded(
        "push", "harbor.example.com/platform/api:v1.4.0", "--digest", API_DIGEST, *OFFLINE,
        cwd=tmp_path,
    )  # fmt: skip
    assert "1 skipped" in printed
    assert modules & _COMMAND_MODULES == expected


def test_a_plan_loads_only_its_own_command_module() -> None:
    printed, modules = loaded("plan", str(EXAMPLES / "release-plan.yml"), *OFFLINE)
    assert "blocked" in printed  # the example plan moves immutable tags
    assert modules & _COMMAND_MODULES == {"tagguard.commands.plans"}


def test_a_misspelt_rules_file_field_is_warned_about_where_it_changes_the_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """`tag_selector` for `tag_selectors`: Harbor would store the rule without tag selectors,
    which never matches, so the tag is mutable (Harbor's verdict, kept); the run says why."""
    rules = json.loads(Path(RULES).read_text(encoding="utf-8"))
    shared = rules if isinstance(rules, list) else rules["platform"]
    for entry in shared:
        entry["tag_selector"] = entry.pop("tag_selectors")
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps(shared), encoding="utf-8")
    args = ["harbor.example.com/platform/api:v1.4.0", "--digest", OTHER]
    code, out, err = run(
        capsys, "push", *args, "--rules-file", str(typo), "--state-file", STATE, "--format", "json"
    )
    assert (code, err) == (0, "")
    data = output_json(out)
    assert data["decisions"][0]["decision"] == "allow"
    warned = [w for w in data["warnings"] if w["code"] == "ignored-field"]
    assert warned, data["warnings"]
    assert "'tag_selector' (did you mean 'tag_selectors'?)" in warned[0]["message"]
    assert warned[0]["project"] == "platform"
    code, out, _ = run(capsys, "lint", "--rules-file", str(typo))
    assert "[ignored-field]" in out


def test_a_report_over_the_rules_it_read_is_refused_and_the_rules_kept(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.json"
    rules.write_bytes(Path(RULES).read_bytes())
    args = ["harbor.example.com/platform/api:v1", "--state-file", STATE]
    code, out, err = run(
        capsys, "push", *args, "--rules-file", str(rules), "--report", f"json={rules}"
    )
    assert (code, out) == (2, "")
    assert f"--report json={rules}: that is --rules-file, which this run reads" in err
    assert rules.read_bytes() == Path(RULES).read_bytes()


def test_a_shared_rules_file_s_ignored_field_is_told_once_per_rule(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """One table of rules for every project: a misspelt field is one warning per rule, not
    one per rule and project (5,000 rules in 3 projects were 15,000 warnings, each checked
    against the list of those before it)."""
    rules = [
        {**json.loads(json.dumps(rule)), "tag_selector": rule["tag_selectors"]}
        for rule in json.loads(Path(RULES).read_text(encoding="utf-8"))["platform"]
    ]
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps(rules), encoding="utf-8")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({f"h.io/p{n}/app": {} for n in range(3)}), encoding="utf-8")
    refs = [f"h.io/p{n}/app:v1" for n in range(3)]
    code, out, _ = run(
        capsys, "push", *refs, "--digest", OTHER, "--rules-file", str(typo),
        "--state-file", str(state), "--format", "json",
    )  # fmt: skip
    assert code == 0
    warned = [w for w in output_json(out)["warnings"] if w["code"] == "ignored-field"]
    assert sorted(w["rule_id"] for w in warned) == sorted(r["id"] for r in rules)
    assert {w["project"] for w in warned} == {"p0"}


def test_no_report_over_an_oci_layout_or_a_ca_file_and_any_number_to_dev_null(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    layout = tmp_path / "layout"
    layout.mkdir()
    index = layout / "index.json"
    index.write_text(json.dumps({"manifests": [{"digest": API_DIGEST}]}), encoding="utf-8")
    ref = "harbor.example.com/platform/api:v9"
    code, _, err = run(
        capsys, "push", ref, "--oci-layout", str(layout), *OFFLINE, "--report", f"json={index}"
    )
    assert code == 2
    assert f"that is --oci-layout {layout}, which this run reads" in err
    plan = tmp_path / "plan.yml"
    plan.write_text(f"operations:\n  - push: {ref}\n    oci-layout: layout\n", encoding="utf-8")
    code, _, err = run(capsys, "plan", str(plan), *OFFLINE, "--report", f"json={index}")
    assert code == 2
    assert f"that is {plan}:2 oci-layout: layout, which this run reads" in err
    assert json.loads(index.read_text(encoding="utf-8")) == {"manifests": [{"digest": API_DIGEST}]}
    ca = tmp_path / "ca.pem"
    ca.write_text("not read: refused first\n", encoding="utf-8")
    code, _, err = run(
        capsys, "push", ref, *OFFLINE, "--ca-file", str(ca), "--report", f"json={ca}"
    )
    assert code == 2
    assert "that is --ca-file, which this run reads" in err
    # Not files: each report to /dev/null is its own stream, as before.
    nulls = ["--report", "json=/dev/null", "--report", "junit=/dev/null"]
    assert run(capsys, "push", ref, *OFFLINE, *nulls)[0] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["push", "not a reference", "--digest", OTHER],  # refused before the check begins
        ["push", "h.io/p/app:v1", "--digest", "nope"],  # a usage error: click refuses it
    ],
)
def test_a_run_refused_before_its_check_begins_writes_no_report(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str]
) -> None:
    """Reports are written on exit 2 only once the check has begun (the references and the
    --report paths accepted): a refused command line has no run to report on."""
    stale = {name: tmp_path / f"r.{name}" for name in ("junit", "dotenv", "text", "json")}
    for path in stale.values():
        path.write_text("the last run's\n", encoding="utf-8")
    reports = [f"--report={name}={path}" for name, path in stale.items()]
    code, _, err = run(capsys, *args, *OFFLINE, *reports)
    assert code == 2, err
    assert all(path.read_text(encoding="utf-8") == "the last run's\n" for path in stale.values())
