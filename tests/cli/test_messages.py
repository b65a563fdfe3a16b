"""Issue 13, "Messages that mislead": each message as a user meets it, through the CLI
(offline with the example files, or against a small Harbor-shaped server on loopback), and
that it now names the real fault and the fix. Each test fails on the messages before."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tagguard.cli import main
from tests.conftest import OFFLINE, RULES, STATE

STORED = "sha256:" + "a" * 64
NEW = "sha256:" + "b" * 64


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting of the machine reaches these runs: no TAGGUARD_* variable, no docker
    config, no settings file found from the working directory."""
    import os

    for name in list(os.environ):
        if name.startswith("TAGGUARD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.chdir(tmp_path)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def error_of(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The one error line of a run that could not decide."""
    code, out, err = run(capsys, *args)
    assert code == 2, (out, err)
    assert err.startswith("tagguard: error: "), err
    assert err.count("\n") == 1, err
    return err.removeprefix("tagguard: error: ").rstrip("\n")


# ----------------------------------------------------------------- a Harbor on loopback


@dataclass
class FakeHarbor:
    """Just enough of Harbor's API for a push check of `p/app:v1` (stored, immutable by
    Harbor's flag): systeminfo, a 403 on the rules (as a robot without the permission
    gets), and the artifact. Plain HTTP, so https:// to it fails as TLS meeting HTTP."""

    port: int = 0
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def harbor() -> Iterator[FakeHarbor]:
    fake = FakeHarbor()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            fake.paths.append(self.path)
            if self.path.startswith("/api/v2.0/systeminfo"):
                self._json(200, {"harbor_version": "v2.11.0"})
            elif "/immutabletagrules" in self.path:
                self._json(403, {"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]})
            elif "/repositories/app/artifacts/v1?" in self.path:
                tag = {"id": 1, "name": "v1", "immutable": True}
                self._json(200, {"id": 1, "digest": STORED, "tags": [tag]})
            else:
                self._json(404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})

        def _json(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ----------------------------------------------------------------------------- the bullets


def test_bare_tagguard_prints_the_help_readably_and_exits_2() -> None:
    # Before: "tagguard: error: Usage: tagguard [OPTIONS] COMMAND [ARGS]... Predict ..."
    # on one line. The installed program (cli.run, as the `tagguard` script runs it).
    done = subprocess.run(
        [sys.executable, "-c", "from tagguard.cli import run; run()"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "Usage: tagguard [OPTIONS] COMMAND [ARGS]..."
    assert "Commands:" in lines
    assert any(line.split()[:1] == ["push"] for line in lines)
    assert "tagguard: error" not in done.stderr


def test_a_url_as_a_reference_is_told_to_drop_its_scheme(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before: "registry port '' is not a port number (1-65535)".
    message = error_of(capsys, "push", "http://harbor.example.com/p/r:t", "--digest", NEW, *OFFLINE)
    assert "has no scheme" in message
    assert "write 'harbor.example.com/p/r:t'" in message
    assert "--plain-http" in message
    assert "port" not in message


def errors_pushing(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> list[str]:
    """The error lines of pushing the reference `text` offline, on the command line and as
    a plan's step: a message may quote the reference in either."""
    plan = tmp_path / "release.yml"
    plan.write_text(f"operations:\n  - push: {text}\n    digest: {NEW}\n")
    pushes = (("push", text, "--digest", NEW), ("plan", str(plan)))
    return [error_of(capsys, *args, *OFFLINE) for args in pushes]


@pytest.mark.parametrize("scheme", ["https://", ""])
def test_credentials_written_into_a_reference_stay_out_of_the_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, scheme: str
) -> None:
    # Before: "reference 'https://bob:S3cretPW@h.io/p/app:v1' starts with https://...: write
    # 'bob:S3cretPW@h.io/p/app:v1'", the token in the CI log, on the command line and in a
    # plan alike.
    text = f"{scheme}bob:S3cretPW@harbor.example.com/platform/api:v9"
    for message in errors_pushing(capsys, tmp_path, text):
        assert "S3cretPW" not in message
        assert "bob" not in message
        assert f"{scheme}<hidden>@harbor.example.com/platform/api:v9" in message
        assert "write 'harbor.example.com/platform/api:v9'" in message


@pytest.mark.parametrize(
    "text",
    [
        "https://bob:S3cretPW@harbor.example.com:5000",
        "https://bob:S3cretPW@harbor.example.com:443",
        "bob:S3cretPW@harbor.example.com:5000",
    ],
)
def test_credentials_before_a_host_and_port_stay_out_of_the_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    # Before: "reference 'https://bob:S3cretPW@harbor.example.com:5000' starts with https://
    # ...: write 'bob:S3cretPW@harbor.example.com:5000'": a host and port after the `@` read
    # as a digest (`algorithm:encoded`), so the user part before it was shown. A digest's
    # encoded part is never a port's few digits.
    for message in errors_pushing(capsys, tmp_path, text):
        assert "S3cretPW" not in message
        assert "bob" not in message
        assert "<hidden>@harbor.example.com:" in message


def test_the_password_substituted_into_a_plan_stays_out_of_its_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: "release.yml:3: digest: 'S3cretPW' is not a digest ...": the plan is read
    # before any credential is, so the redactor did not know TAGGUARD_PASSWORD yet and a
    # `${TAGGUARD_PASSWORD}` written in the wrong field reached the CI log.
    monkeypatch.setenv("TAGGUARD_PASSWORD", "S3cretPW")
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n  - push: harbor.example.com/platform/api:v9\n"
        "    digest: ${TAGGUARD_PASSWORD}\n"
    )
    message = error_of(capsys, "plan", str(plan), *OFFLINE)
    assert "S3cretPW" not in message
    assert "release.yml:3: digest:" in message


def test_replicate_source_as_a_url_names_the_host_to_give(
    capsys: pytest.CaptureFixture[str], harbor: FakeHarbor
) -> None:
    # Before: "reading replication policy 1: cannot connect to https://http:443".
    host = f"127.0.0.1:{harbor.port}"
    message = error_of(capsys, "replicate", "--policy", "1", "--source", f"http://{host}")
    assert f"--source {host} with --plain-http" in message
    assert "https://http" not in message
    assert harbor.paths == []  # refused before any request


def test_tls_against_a_plain_http_harbor_points_at_plain_http(
    capsys: pytest.CaptureFixture[str], harbor: FakeHarbor
) -> None:
    # Before: "TLS failed for https://127.0.0.1:PORT: wrong version number", and no more.
    reference = f"127.0.0.1:{harbor.port}/p/app:v1"
    message = error_of(capsys, "push", reference, "--digest", NEW)
    assert f"TLS failed for https://127.0.0.1:{harbor.port}" in message
    assert "plain HTTP, not TLS" in message
    assert "--plain-http" in message
    # ... and the fix it names works.
    code, out, _ = run(capsys, "push", reference, "--digest", NEW, "--plain-http")
    assert code == 1
    assert out.startswith("block")


def test_a_missing_project_shows_the_reference_itself(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: "... has no project; e.g. {host}/library/api".
    message = error_of(capsys, "push", "harbor.example.com/api:v9", "--digest", NEW, *OFFLINE)
    assert "{host}" not in message
    assert message.endswith("e.g. harbor.example.com/library/api:v9")


@pytest.mark.parametrize("entry", ["127.0.0.1:8080", "harbor.example.com=127.0.0.1:8080"])
def test_a_harbor_url_without_scheme_is_told_to_add_one(
    capsys: pytest.CaptureFixture[str], entry: str
) -> None:
    # Before: "'127.0.0.1:8080' is not an http:// or https:// URL".
    message = error_of(
        capsys, "push", "harbor.example.com/platform/api:v9", "--digest", NEW, "--harbor-url", entry
    )
    assert "'127.0.0.1:8080' has no scheme" in message
    assert "https://127.0.0.1:8080" in message


@pytest.mark.parametrize("given", ["flag", "environment", "tagguard.toml"])
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_a_password_in_a_harbor_url_is_hidden_in_the_error(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    given: str,
    output_format: str,
) -> None:
    # Before: "--harbor-url harbor.example.com=http://admin:hunter2SECRETpw@127.0.0.1:18401:
    # put credentials in ...", the password in the CI log it warns about.
    entry = "harbor.example.com=http://admin:hunter2SECRETpw@127.0.0.1:18401"
    args = ["push", "harbor.example.com/platform/api:v9", "--digest", NEW]
    if given == "flag":
        args += ["--harbor-url", entry]
    elif given == "environment":
        monkeypatch.setenv("TAGGUARD_HARBOR_URL", entry)
    else:
        Path("tagguard.toml").write_text(f'harbor-url = ["{entry}"]\n')
    code, out, err = run(capsys, *args, "--format", output_format)
    assert code == 2, err
    assert "hunter2SECRETpw" not in out + err
    expected = (
        "--harbor-url harbor.example.com=http://<hidden>@127.0.0.1:18401: "
        "put credentials in --username/--password-stdin, not in the URL"
    )
    assert err == f"tagguard: error: {expected}\n"
    if output_format == "json":
        assert json.loads(out)["error"] == {"code": "input", "message": expected}


@pytest.mark.parametrize("separator", [",", ", ", " "])
def test_a_list_of_harbor_urls_in_the_environment_is_read(
    capsys: pytest.CaptureFixture[str],
    harbor: FakeHarbor,
    monkeypatch: pytest.MonkeyPatch,
    separator: str,
) -> None:
    # Before: "'http://...,b.example.com=http://...' must be Harbor's root URL, without a path".
    url = f"http://127.0.0.1:{harbor.port}"
    monkeypatch.setenv("TAGGUARD_HARBOR_URL", f"a.example.com={url}{separator}b.example.com={url}")
    code, out, err = run(
        capsys, "push", "a.example.com/p/app:v1", "b.example.com/p/app:v1", "--digest", NEW
    )
    assert code == 1, err
    assert [line.split()[:2] for line in out.splitlines()[:2]] == [
        ["block", "a.example.com/p/app:v1"],
        ["block", "b.example.com/p/app:v1"],
    ]


@pytest.mark.parametrize(
    ("rules", "state", "said", "fix"),
    [
        (STATE, STATE, "this is a state file, not a rules file", "--state-file"),
        (RULES, RULES, "this is a rules file", "--rules-file"),
        (STATE, RULES, "this is a state file, not a rules file", "--state-file"),
    ],
)
def test_swapped_rules_and_state_files_are_named(
    capsys: pytest.CaptureFixture[str], rules: str, state: str, said: str, fix: str
) -> None:
    # Before: the rules file as --state-file got "key reference 'platform' names no registry
    # host, so docker would use Docker Hub"; the state file as --rules-file "project
    # 'harbor.example.com/platform/api': expected a JSON array of rules".
    message = error_of(
        capsys,
        "push",
        "harbor.example.com/platform/api:v9",
        "--digest",
        NEW,
        "--rules-file",
        rules,
        "--state-file",
        state,
    )
    assert said in message
    assert f"give it as {fix}" in message or f"give this file as {fix}" in message
    assert "Docker Hub" not in message


def test_a_yaml_rules_file_is_called_yaml(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Before: "not valid JSON: line 1 column 1: Expecting value".
    path = tmp_path / "rules.yaml"
    path.write_text("- id: 1\n  action: immutable\n  template: immutable_template\n")
    for args in (["lint", str(path)], ["push", "h.io/p/app:1", "--rules-file", str(path)]):
        message = error_of(capsys, *args)
        assert message.startswith(f"{path}: looks like YAML, but a rules file is JSON")
        assert "line 1 column 1" not in message


def depth(text: str) -> int:
    deepest = level = 0
    for ch in text:
        level += {"(": 1, ")": -1}.get(ch, 0)
        deepest = max(deepest, level)
    return deepest


def test_a_robots_reason_is_flat(
    capsys: pytest.CaptureFixture[str], harbor: FakeHarbor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: "... (Harbor's own flag decides; rule details are unavailable (the credentials
    # may not list the rules of project 'p' (403)))".
    monkeypatch.setattr(sys, "stdin", io.StringIO("secret\n"))
    code, out, err = run(
        capsys,
        "push",
        f"127.0.0.1:{harbor.port}/p/app:v1",
        "--digest",
        NEW,
        "--plain-http",
        "--username",
        "robot$p+ci",
        "--password-stdin",
        "--format",
        "json",
    )
    assert code == 1, err
    report = json.loads(out)
    (decision,) = report["decisions"]
    assert decision["decision"] == "block"
    assert depth(decision["reason"]) <= 1, decision["reason"]
    assert "robot$p+ci" in decision["reason"]
    assert "immutable-tag list permission" in decision["reason"]
    (warning,) = report["warnings"]
    assert depth(warning["message"]) <= 1, warning["message"]


def test_giving_up_says_after_how_many_attempts(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: "gave up after cannot connect to http://127.0.0.1:PORT: connection refused".
    port = free_port()
    message = error_of(
        capsys,
        "push",
        "harbor.example.com/platform/api:v9",
        "--digest",
        NEW,
        "--harbor-url",
        f"http://127.0.0.1:{port}",
        # A second attempt comes 0.25 s after the first (the first backoff): a deadline
        # of 1 s leaves room for it however late a loaded machine starts the first.
        "--deadline",
        "1",
    )
    assert re.search(
        rf"gave up after [2-9] attempts: cannot connect to http://127\.0\.0\.1:{port}: "
        r"connection refused; another would pass the 1 s deadline",
        message,
    ), message


def test_a_retag_skip_says_the_retag_is_unnecessary(capsys: pytest.CaptureFixture[str]) -> None:
    # Before: "the push is unnecessary", for a retag.
    source = "harbor.example.com/platform/api:v1.4.0"
    code, out, err = run(
        capsys, "retag", source, "harbor.example.com/platform/api:latest", *OFFLINE
    )
    assert code == 0, err
    assert out.startswith("skip")
    assert "the retag is unnecessary" in out
    assert "push" not in out.splitlines()[0]


@pytest.mark.parametrize(
    ("args", "said", "not_said"),
    [
        # click: "Did you mean one of: '--digest', '--quiet', '--refs-file'?"
        (["push", "--silent"], "No such option '--silent'", "Did you mean"),
        (["push", "--image"], "No such option '--image'", "Did you mean"),
        (["push", "--digets"], "Did you mean '--digest'?", "one of"),
        (["push", "--password"], "Did you mean '--password-stdin'?", "one of"),
        (["push", "--project"], "it is an option of tagguard lint", "Did you mean"),
        (["lint", "--digest"], "it is an option of tagguard push and sign", "Did you mean"),
    ],
)
def test_unknown_options_get_sane_suggestions(
    capsys: pytest.CaptureFixture[str], args: list[str], said: str, not_said: str
) -> None:
    message = error_of(capsys, *args, "harbor.example.com/platform/api:v9")
    assert said in message
    assert not_said not in message


def test_a_bad_value_names_where_it_came_from(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """click added "(env var: 'TAGGUARD_TIMEOUT')" to every error about --timeout, also for
    a value typed on the command line: a reader went looking for a variable never set."""
    ref = "harbor.example.com/platform/api:v1"
    code, _, err = run(capsys, "push", ref, *OFFLINE, "--timeout", "0")
    assert code == 2
    assert "Invalid value for '--timeout': 0.0 is not in the range" in err
    assert "TAGGUARD_TIMEOUT" not in err
    monkeypatch.setenv("TAGGUARD_TIMEOUT", "0")
    code, _, err = run(capsys, "push", ref, *OFFLINE)
    assert code == 2
    assert "Invalid value for '--timeout' (from TAGGUARD_TIMEOUT): 0.0 is not" in err
