"""Issue 13, items 3 and 6: every option honoured or refused, colour and verbosity, through
main(argv) and the installed program, as users run them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API, API_DIGEST, OFFLINE, OTHER, RULES
from tests.e2e.conftest import Harbor, harbor, registry  # noqa: F401 (fixtures)
from tests.test_cli import run

UNREACHABLE = ["--harbor-url", "http://127.0.0.1:9"]  # discard port: nothing listens


@pytest.fixture(autouse=True)
def _no_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The suite may run in CI: no CI's default format, no colour settings, no file found."""
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name in [n for n in os.environ if n.startswith("TAGGUARD_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


# ----------------------------------------------------------------- formats per command


@pytest.mark.parametrize("command", [["explain", f"{API}:v1"], ["lint", RULES]])
@pytest.mark.parametrize("output_format", ["sarif", "github", "gitlab"])
def test_explain_and_lint_refuse_formats_they_do_not_render(
    capsys: pytest.CaptureFixture[str], command: list[str], output_format: str
) -> None:
    code, out, err = run(capsys, *command, *OFFLINE[:2], "--format", output_format)
    assert (code, out) == (2, "")
    assert err == f"tagguard: error: --format {output_format}: {command[0]} prints text or json\n"


@pytest.mark.parametrize("command", [["explain", f"{API}:v1", *OFFLINE], ["lint", RULES]])
def test_explain_and_lint_take_no_report(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, _, err = run(capsys, *command, "--report", "json=out.json")
    assert code == 2
    assert "No such option" in err
    assert "--report" in err
    assert not Path("out.json").exists()


def test_a_format_from_the_environment_is_refused_naming_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGGUARD_FORMAT", "sarif")
    code, _, err = run(capsys, "lint", RULES)
    assert (code, err) == (2, "tagguard: error: TAGGUARD_FORMAT=sarif: lint prints text or json\n")


def test_explain_and_lint_in_ci_print_text_not_the_ci_format(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    code, out, _ = run(capsys, "explain", f"{API}:v1.4.0", *OFFLINE)
    assert code == 0
    assert out.startswith(f"{API}:v1.4.0\n")
    assert list(Path.cwd().iterdir()) == []


def test_format_gitlab_writes_no_file_unless_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")  # gitlab is then the default format
    code, out, _ = run(capsys, "push", f"{API}:v1.4.0", "--digest", OTHER, *OFFLINE)
    assert code == 1
    assert out.startswith("block")
    assert list(Path.cwd().iterdir()) == []
    code, _, _ = run(
        capsys, "push", f"{API}:v1.4.0", "--digest", OTHER, *OFFLINE, "--report", "junit=j.xml"
    )
    assert code == 1
    assert sorted(p.name for p in Path.cwd().iterdir()) == ["j.xml"]


# ----------------------------------------------------------------- checked before requests


@pytest.mark.parametrize(
    ("report", "message"),
    [
        ("jsn=r.json", "--report jsn=r.json: write NAME=PATH"),
        ("json", "--report json: write NAME=PATH"),
        ("json=.", "--report json=.: . is a folder"),
        ("json=plain/r.json", "--report json=plain/r.json: plain is not a folder"),
    ],
)
def test_report_mistakes_are_found_before_any_request(
    capsys: pytest.CaptureFixture[str], report: str, message: str
) -> None:
    Path("plain").write_text("a file, not a folder")
    code, out, err = run(
        capsys, "push", f"{API}:v1", "--digest", OTHER, *UNREACHABLE, "--report", report
    )
    assert (code, out) == (2, "")
    assert err.startswith(f"tagguard: error: {message}")
    assert "connect" not in err  # today's code reached the network first


def test_the_same_report_twice_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "push", f"{API}:v1", *OFFLINE, "--report", "json=a", "--report", "json=b"
    )
    assert (code, err) == (2, "tagguard: error: --report json is given twice (a and b)\n")


def test_credentials_naming_an_unset_variable_fail_before_any_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(
        capsys, "push", f"{API}:v1", "--digest", OTHER, *UNREACHABLE,
        "--credentials", "harbor.example.com=NO_SUCH_VARIABLE_13",
    )  # fmt: skip
    assert code == 2
    assert "the variable NO_SUCH_VARIABLE_13 is not set" in err


def test_plan_source_is_checked_before_the_plan_is_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each flag is checked before any I/O: here, before the plan file is even opened."""
    code, _, err = run(capsys, "plan", "no-such-plan.yml", "--source", "https://harbor.example.com")
    assert code == 2
    assert err.startswith(
        "tagguard: error: --source https://harbor.example.com: give the registry host"
    )
    assert "no-such-plan.yml" not in err


# ----------------------------------------------------------------- lint --project


def test_lint_project_picks_one_project_of_a_per_project_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = {"id": 1, "disabled": False, "action": "immutable", "template": "immutable_template",
              "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "1.[0-9"}],
              "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                                  "pattern": "**"}]}}  # fmt: skip
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"good": [], "bad": [broken]}))
    assert run(capsys, "lint", str(rules))[0] == 1  # both projects: bad has an error
    code, out, _ = run(capsys, "lint", str(rules), "--project", "good")
    assert (code, out) == (0, "tagguard lint: 0 error(s), 0 warning(s), 0 info\n")
    assert run(capsys, "lint", str(rules), "--project", "bad")[0] == 1
    code, _, err = run(capsys, "lint", str(rules), "--project", "nope")
    assert code == 2
    assert "--project nope: " in err
    assert "its projects: bad, good" in err


# ----------------------------------------------------------------- --debug, --quiet, --verbose


def test_debug_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "push", f"{API}:v9", *OFFLINE, "--debug")
    assert (code, err) == (0, "")
    assert out.startswith("allow")


def test_quiet_prints_blocks_only(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["push", f"{API}:v1.4.0", f"{API}:v9.9.9", "--digest", OTHER, *OFFLINE]
    code, out, _ = run(capsys, *args, "--quiet")
    assert code == 1
    (line,) = out.splitlines()
    assert line.startswith(f"block  {API}:v1.4.0")
    assert run(capsys, "--quiet", *args)[2] == ""  # before the command too
    code, out, _ = run(capsys, *args, "-q", "--format", "json")
    assert len(json.loads(out)["decisions"]) == 2  # machine formats stay whole


def test_quiet_and_verbose_contradict(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "-q", "push", f"{API}:v9", *OFFLINE, "-v")
    assert (code, err) == (2, "tagguard: error: --quiet and --verbose contradict each other: give one of them\n")  # fmt: skip


def test_verbose_shows_each_setting_and_where_it_came_from(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGGUARD_TIMEOUT", "3")
    Path("tagguard.toml").write_text("deadline = 30\n")
    code, out, err = run(capsys, "--verbose", "push", f"{API}:v9", *OFFLINE, "--concurrency", "2")
    assert code == 0
    rows = {line.split()[1]: line for line in err.splitlines() if line.startswith("tagguard: ")}
    assert rows["timeout"].endswith("3.0  (TAGGUARD_TIMEOUT)")
    assert rows["deadline"].endswith(f"30.0  ({Path.cwd() / 'tagguard.toml'})")
    assert rows["concurrency"].endswith("2  (command line)")
    assert rows["verbose"].endswith("True  (command line)")
    assert rows["on-error"].endswith("fail  (default)")
    assert out.startswith("allow")


def test_verbose_shows_each_request_redacted_with_its_time(harbor: Harbor) -> None:  # noqa: F811
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    result = harbor.tagguard("push", harbor.ref("proj/app:v2"), "--verbose")
    assert result.code == 0, result.err
    requests = [line for line in result.err.splitlines() if " -> " in line]
    assert requests, result.err
    for line in requests:
        method, url, arrow, status, took, unit = line.removeprefix("tagguard: ").split()
        assert method in ("GET", "HEAD")
        assert url.startswith(harbor.url)
        assert arrow == "->"
        assert status.isdigit()
        assert took.startswith("(")
        assert unit == "ms)"
    assert any("/api/v2.0/projects/proj/immutabletagrules" in line for line in requests)
    assert "Harbor12345" not in result.err  # the password never
    assert result.out.startswith("allow")


def test_credentials_for_one_host_from_a_variable(harbor: Harbor) -> None:  # noqa: F811
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    denied = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", OTHER, credentials=None)
    assert denied.code == 2  # the test Harbor needs a login to read rules
    harbor.monkeypatch.setenv("ROBOT_AUTH", "robot$proj+ci:robot-secret")
    result = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--digest", OTHER,
        "--credentials", f"{harbor.host}=ROBOT_AUTH", credentials=None,
    )  # fmt: skip
    assert result.code == 1, result.err
    assert "robot-secret" not in result.out + result.err


# ----------------------------------------------------------------- colour


def test_colour_from_flag_and_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    args = ["push", f"{API}:v9", *OFFLINE]
    assert "\x1b[" in run(capsys, *args, "--color", "always")[1]
    assert "\x1b[" not in run(capsys, *args)[1]  # not a terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert "\x1b[" in run(capsys, *args)[1]
    assert "\x1b[" not in run(capsys, "--color", "never", *args)[1]
    assert "\x1b[" in run(capsys, "lint", RULES, "--color", "always")[1]


def test_empty_no_color_keeps_colour_on_a_terminal() -> None:
    """The installed program on a real pseudo-terminal, NO_COLOR set but empty."""
    import pty

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAGGUARD_", "FORCE_"))}
    env["NO_COLOR"] = ""
    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "tagguard", "push", f"{API}:v9", *OFFLINE],
        stdout=follower, stderr=subprocess.PIPE, env=env, check=False, timeout=60,
    )  # fmt: skip
    os.close(follower)
    printed = os.read(leader, 4096)
    os.close(leader)
    assert done.returncode == 0, done.stderr
    assert b"\x1b[32mallow" in printed


# ----------------------------------------------------------------- completion


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_script_completes_commands_and_options(tmp_path: Path) -> None:
    """Real bash sources the script and asks it, as a user's shell would."""
    program = Path(sys.executable).parent / "tagguard"
    assert program.exists()
    script = subprocess.run(
        [str(program), "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    assert "_TAGGUARD_COMPLETE" in script
    (tmp_path / "completion.bash").write_text(script)
    ask = (
        f'export PATH="{program.parent}:$PATH"; source completion.bash; '
        'COMP_WORDS=(tagguard "$1"); COMP_CWORD=1; _tagguard_completion tagguard; '
        'printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "-c", ask, "bash", "pu"], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    assert done.stdout.split() == ["push"]
    ask_option = ask.replace('(tagguard "$1")', '(tagguard push "$1")').replace("=1;", "=2;")
    done = subprocess.run(
        ["bash", "-c", ask_option, "bash", "--time"],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert done.stdout.split() == ["--timeout"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_completion_scripts_for_zsh_and_fish(
    capsys: pytest.CaptureFixture[str], shell: str
) -> None:
    code, out, _ = run(capsys, "completion", shell)
    assert code == 0
    assert "_TAGGUARD_COMPLETE" in out
    assert f"{shell}_complete" in out


def test_help_names_each_variable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "push", "--help")
    assert code == 0
    for name in ("TAGGUARD_TIMEOUT", "TAGGUARD_DIGEST", "TAGGUARD_CREDENTIALS", "TAGGUARD_COLOR"):
        assert name in out
    assert API_DIGEST != OTHER


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ("lint", "[text|json]"),
        ("explain", "[text|json]"),
        ("push", "[text|json|github|gitlab|sarif]"),
    ],
)
def test_help_shows_the_formats_each_command_prints(
    capsys: pytest.CaptureFixture[str], command: str, shown: str
) -> None:
    """lint and explain print text or json (check_format refuses the others): their help
    lists those two, not the check commands' five."""
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    (line,) = [line for line in out.splitlines() if line.strip().startswith("--format")]
    assert line.split()[1] == shown


def test_impact_offers_no_state_file(capsys: pytest.CaptureFixture[str]) -> None:
    """impact compares a proposed rules file with the flags a live Harbor reports: its help
    listed --state-file, which it then refused whenever given."""
    code, out, _ = run(capsys, "impact", "--help")
    assert code == 0
    assert "--state-file" not in out
    assert "--rules-file" in out
    code, _, err = run(
        capsys, "impact", "h.io/p/app", "--rules-file", "r.json", "--state-file", "s"
    )
    assert code == 2
    assert "No such option '--state-file'" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--timeout", "abc"),
            "Invalid value for '--timeout': 'abc' is not a valid number of seconds",
        ),
        (
            ("--deadline", "1s"),
            "Invalid value for '--deadline': '1s' is not a valid number of seconds",
        ),
        (
            ("--concurrency", "x"),
            "Invalid value for '--concurrency': 'x' is not a valid whole number",
        ),
    ],
)
def test_a_number_that_is_not_one_is_named_in_words(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    # click names the type in its message: "float range", "integer range" by default.
    code, _, err = run(capsys, "push", f"{API}:v1", *OFFLINE, *args)
    assert code == 2
    assert err.startswith(f"tagguard: error: {message} ")


def test_completion_names_its_argument_as_its_help_does(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "completion", "powershell")
    assert code == 2
    assert err.startswith("tagguard: error: Invalid value for 'SHELL': 'powershell' is not one of")
