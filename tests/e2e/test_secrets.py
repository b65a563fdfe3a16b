"""No secret reaches anything tagguard writes: every command, every output format, every
report file, the CI files it appends to, and its error messages, with a distinctive password
and the registry tokens the server issued during the run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harbor, Run
from tests.harbor_server.images import Pusher, make_image
from tests.harbor_server.registry import Registry

PASSWORD = "Pa55-Zq8vW3-DoNotPrint"
USER = ("ci-bot", PASSWORD)
FORMATS = ("text", "json", "github", "gitlab", "sarif")
REPORTS = ("text", "json", "sarif", "junit", "codequality", "dotenv", "markdown")


def _commands(harbor: Harbor, tmp_path: Path) -> list[list[str]]:
    other = make_image().digest
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - push: {harbor.ref('proj/app:v1')}\n    digest: {other}\n"
        f"  - retag: {{from: {harbor.ref('proj/app:v1')}, to: {harbor.ref('proj/app:v2')}}}\n"
        f"  - delete: {harbor.ref('proj/app:v1')}\n"
    )
    return [
        ["push", harbor.ref("proj/app:v1"), harbor.ref("proj/app:v9"), "--digest", other],
        ["retag", harbor.ref("proj/app:v1"), harbor.ref("proj/app:v3")],
        ["copy", harbor.ref("proj/app:v1"), harbor.ref("other/app")],
        ["delete", harbor.ref("proj/app:v1")],
        ["delete", "--artifact", harbor.ref("proj/app:v1")],
        ["plan", str(plan)],
        ["replicate", "--from", harbor.ref("proj/app:v1"), "--to", harbor.ref("other/app:v1")],
    ]


def _scan(text: str, secrets: set[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret reached {where}"


def test_no_secret_in_any_output_report_or_ci_file(harbor: Harbor, tmp_path: Path) -> None:
    harbor.state.add_user(*USER, admin=True)
    harbor.credentials = USER
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    ci = tmp_path / "ci"
    ci.mkdir()
    harbor.extra_env.update(
        GITHUB_OUTPUT=str(ci / "github-output"),
        GITHUB_STEP_SUMMARY=str(ci / "step-summary.md"),
    )
    runs: list[tuple[str, Run]] = []
    for index, command in enumerate(_commands(harbor, tmp_path)):
        for output in FORMATS:
            reports = [
                f"--report={kind}={tmp_path / 'reports' / f'{index}-{output}.{kind}'}"
                for kind in REPORTS
            ]
            run = harbor.tagguard(*command, "--format", output, *reports)
            assert run.code in (0, 1), run.err  # a real check ran and decided
            runs.append((f"{command[0]} --format {output}", run))
    runs.append(("explain", harbor.tagguard("explain", harbor.ref("proj/app:v1"))))
    # Wrong credentials, through the environment and through --password-stdin.
    runs.append(
        (
            "a 401",
            harbor.tagguard(
                "push", harbor.ref("proj/app:v1"), credentials=(USER[0], PASSWORD + "x")
            ),
        )
    )
    runs.append(
        (
            "a 401 via stdin",
            harbor.tagguard(
                "push",
                harbor.ref("proj/app:v1"),
                "--username",
                "nobody",
                "--password-stdin",
                credentials=None,
                stdin=PASSWORD + "\n",
            ),
        )
    )
    assert [run.code for _, run in runs[-2:]] == [2, 2]

    secrets = {PASSWORD, PASSWORD + "x", *harbor.state.tokens}
    assert len(secrets) >= 2
    for where, run in runs:
        _scan(run.out, secrets, f"stdout of {where}")
        _scan(run.err, secrets, f"stderr of {where}")
    written = [
        path for path in tmp_path.rglob("*") if path.is_file() and path.name != "release.yml"
    ]
    assert len(written) >= len(REPORTS) * len(FORMATS)
    assert (ci / "github-output").stat().st_size > 0
    for path in written:
        _scan(path.read_text(errors="replace"), secrets, str(path))


@pytest.mark.parametrize("where", ["username", "password"])
def test_a_secret_in_a_broken_docker_config_is_not_echoed(
    harbor: Harbor, tmp_path: Path, where: str
) -> None:
    """A docker config tagguard cannot use is named in the error, its contents are not."""
    import base64
    import json

    config = tmp_path / "docker"
    config.mkdir(exist_ok=True)
    auth = "no-colon-" + PASSWORD if where == "username" else "::" + PASSWORD
    (config / "config.json").write_text(
        json.dumps(
            {"auths": {harbor.host: {"auth": base64.b64encode(auth.encode()).decode() + "%"}}}
        )
    )
    run = harbor.tagguard("push", harbor.ref("proj/app:v1"), credentials=None)
    assert PASSWORD not in run.out + run.err
    assert "Traceback" not in run.err


def test_a_registry_echoing_the_password_gets_it_redacted(harbor: Harbor) -> None:
    """A hostile or broken Harbor that puts the credential it received into its error
    message: tagguard prints that message (it says what went wrong), but not the secret."""
    import json

    from tests.harbor_server.harbor import Fault, raw

    harbor.state.add_user(*USER, admin=True)
    harbor.credentials = USER
    echo = {"errors": [{"code": "DENIED", "message": f"password {PASSWORD} is not welcome"}]}
    harbor.state.faults.append(
        Fault(r"/immutabletagrules", raw(json.dumps(echo).encode(), "application/json", 500))
    )
    run = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", make_image().digest)
    assert run.code == 2
    assert "password *** is not welcome" in run.err
    assert PASSWORD not in run.out + run.err


@pytest.mark.parametrize(
    "given", ["environment", "password-stdin", "credentials-flag", "docker-config"]
)
def test_a_registry_echoing_the_basic_header_gets_it_redacted(
    harbor: Harbor, tmp_path: Path, given: str
) -> None:
    """The Authorization header a server echoes holds base64 of user:password, which reads
    back to the password: it is hidden wherever the credential came from, in every output."""
    import base64
    import json

    from tests.harbor_server.harbor import Fault, echo_authorization

    harbor.state.add_user(*USER, admin=True)
    harbor.state.faults.append(Fault(r"/immutabletagrules", echo_authorization))
    sent = base64.b64encode(f"{USER[0]}:{PASSWORD}".encode()).decode()
    args: list[str] = []
    credentials: tuple[str, str] | None = None
    stdin = ""
    if given == "environment":
        credentials = USER
    elif given == "password-stdin":
        args, stdin = ["--username", USER[0], "--password-stdin"], PASSWORD + "\n"
    elif given == "credentials-flag":
        harbor.monkeypatch.setenv("ECHO_AUTH", f"{USER[0]}:{PASSWORD}")
        args = ["--credentials", f"{harbor.host}=ECHO_AUTH"]
    else:
        config = tmp_path / "docker"
        config.mkdir(exist_ok=True)
        (config / "config.json").write_text(json.dumps({"auths": {harbor.host: {"auth": sent}}}))
    push = ["push", harbor.ref("proj/app:v1"), "--digest", make_image().digest, *args]
    runs = [
        harbor.tagguard(*push, "--format", output, credentials=credentials, stdin=stdin)
        for output in ("text", "json")
    ]
    assert [run.code for run in runs] == [2, 2]
    assert "boom, you sent Basic ***" in runs[0].err  # the server's words, less the secret
    assert "boom, you sent Basic ***" in json.loads(runs[1].out)["error"]["message"]
    # Every report file is written on exit 2, with the error line's message.
    failed_reports = {kind: tmp_path / f"failed.{kind}" for kind in REPORTS}
    failed = harbor.tagguard(
        *push, *(f"--report={kind}={path}" for kind, path in failed_reports.items()),
        credentials=credentials, stdin=stdin,
    )  # fmt: skip
    assert failed.code == 2, failed.err
    runs.append(failed)
    assert "boom, you sent Basic ***" in failed_reports["text"].read_text()
    # Report files are written when --on-error warn makes the error a warning.
    reports = {kind: tmp_path / f"report.{kind}" for kind in REPORTS}
    warned = harbor.tagguard(
        *push, "--on-error", "warn", *(f"--report={kind}={path}" for kind, path in reports.items()),
        credentials=credentials, stdin=stdin,
    )  # fmt: skip
    assert warned.code == 0, warned.err
    runs.append(warned)
    written = [path.read_text() for path in [*reports.values(), *failed_reports.values()]]
    assert "boom, you sent Basic ***" in reports["json"].read_text()
    for text in [run.out for run in runs] + [run.err for run in runs] + written:
        _scan(text, {PASSWORD, sent}, f"the output of a run with the credential from {given}")


def test_commands_without_credentials_print_none_of_those_around(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """lint, install-docker-plugin, --version and --help take no credentials, but run in the
    same CI jobs, with the password in the environment and in the docker config."""
    import base64
    import json

    from tagguard.cli import main

    docker = tmp_path / "docker"
    docker.mkdir()
    auth = base64.b64encode(f"{USER[0]}:{PASSWORD}".encode()).decode()
    (docker / "config.json").write_text(json.dumps({"auths": {"h.io": {"auth": auth}}}))
    monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    monkeypatch.setenv("TAGGUARD_USERNAME", USER[0])
    monkeypatch.setenv("TAGGUARD_PASSWORD", PASSWORD)
    rules = Path(__file__).parents[2] / "examples" / "rules.json"
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": 1, "tag_selectors": [{"pattern": "[v"}]}]')
    # lint prints text or json; other formats are refused (issue 13, item 3)
    commands = [["lint", str(rules), "--format", output] for output in ("text", "json")]
    commands += [
        ["lint", str(broken), "--project", "p"],
        ["install-docker-plugin", "--dir", str(tmp_path / "plugins")],
        ["--version"],
        ["--help"],
    ]
    for command in commands:
        code = main(command)
        out, err = capsys.readouterr()
        assert code in (0, 1), (command, err)
        assert out or err
        _scan(out + err, {PASSWORD, auth}, " ".join(command[:3]))
    plugins = list((tmp_path / "plugins").iterdir())
    assert plugins  # the plugin was written, and holds no secret either
    for path in plugins:
        _scan(path.read_text(errors="replace"), {PASSWORD, auth}, str(path))


def test_credentials_do_not_follow_a_redirect_to_another_host(
    harbor: Harbor, registry: Registry
) -> None:
    from tests.harbor_server.harbor import Fault, HarborState, redirect, running_harbor

    harbor.rule("proj", tag="v*")
    with running_harbor(registry.url, HarborState(), address="127.0.0.2") as (url, other):
        rules = "/api/v2.0/projects/proj/immutabletagrules?page=1&page_size=100"
        harbor.state.faults.append(Fault(r"/immutabletagrules", redirect(url + rules)))
        run = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", make_image().digest)
        assert run.code == 2, run.err  # the other host has no such project
        assert other.requests_to("/api/v2.0/projects/proj/immutabletagrules")  # it was asked
        assert other.authorizations == []  # ... without the credentials
        assert harbor.state.authorizations  # which Harbor itself did get


@pytest.mark.parametrize("realm_host", ["127.0.0.1", "127.0.0.2"])
def test_credentials_go_to_a_plain_http_token_realm_only_on_the_registrys_host(
    harbor: Harbor, registry: Registry, tmp_path: Path, realm_host: str
) -> None:
    """A retag source's registry names its token service; over plain HTTP on another host
    that service gets no password (and so only an anonymous token, which fails here)."""
    import base64
    import json

    from tests.harbor_server.harbor import Fault, HarborState, running_harbor, status

    source = HarborState()
    source.add_user("admin", "pw", admin=True)
    source.add_user("reader", PASSWORD)
    source.add_project("src", members={"reader": "guest"})
    tokens = HarborState()
    tokens.add_user("reader", PASSWORD)
    with (
        running_harbor(registry.url, source) as (source_url, _),
        running_harbor(registry.url, tokens, address=realm_host) as (realm_url, _),
    ):
        assert (
            Pusher(source_url, ("admin", "pw")).push("src/a", "1", make_image()).status_code == 201
        )
        host = source_url.split("://", 1)[1]
        challenge = f'Bearer realm="{realm_url}/service/token",service="harbor-registry"'
        source.faults.append(
            Fault(r"^/v2/src/a/manifests/", status(401, {"WWW-Authenticate": challenge}), times=1)
        )
        docker = tmp_path / "docker"
        docker.mkdir()
        auth = base64.b64encode(f"reader:{PASSWORD}".encode()).decode()
        (docker / "config.json").write_text(json.dumps({"auths": {host: {"auth": auth}}}))
        harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
        harbor.tagguard("retag", f"{host}/src/a:1", harbor.ref("proj/app:v1"))
        assert tokens.requests_to("/service/token")
        sent = [scheme for path, scheme in tokens.authorizations if path.startswith("/service/")]
        assert sent == (["Basic"] if realm_host == "127.0.0.1" else [])


PASSPHRASE = "correct horse battery staple"


def test_a_passphrase_echoed_and_cut_anywhere_shows_none_of_its_words(
    harbor: Harbor, tmp_path: Path
) -> None:
    """Harbor's error text is cut to 300 characters at a blank; a password with blanks that
    a server echoes may be cut in its middle, and its first words then stood before the
    `...` where the redactor, which knew it only whole, did not look. The cut is put at
    every position of the passphrase in turn, and each way tagguard shows the error is read:
    the stderr line, --format json, and the report files of a run told to warn."""
    import json

    from tests.harbor_server.harbor import Fault, raw

    harbor.state.add_user("ci-bot", PASSPHRASE, admin=True)
    harbor.credentials = ("ci-bot", PASSPHRASE)
    push = ["push", harbor.ref("proj/app:v1"), "--digest", make_image().digest]
    reports = {kind: tmp_path / f"report.{kind}" for kind in ("json", "sarif", "junit", "text")}
    failed_reports = {kind: tmp_path / f"failed.{kind}" for kind in REPORTS}
    said = "DENIED: "  # Harbor's error text is "CODE: message", cut as a whole
    for cut in range(len(PASSPHRASE) + 1):
        # The passphrase starts `cut` characters before the 300th, where the text is cut.
        filler = "w" * (300 - len(said) - cut - 1) + " "
        echo = {"errors": [{"code": "DENIED", "message": f"{filler}{PASSPHRASE} is not welcome"}]}
        harbor.state.faults[:] = [
            Fault(r"/immutabletagrules", raw(json.dumps(echo).encode(), "application/json", 500))
        ]
        text = harbor.tagguard(*push, *(f"--report={k}={p}" for k, p in failed_reports.items()))
        as_json = harbor.tagguard(*push, "--format", "json")
        warned = harbor.tagguard(
            *push, "--on-error", "warn", *(f"--report={k}={p}" for k, p in reports.items())
        )
        assert [text.code, as_json.code, warned.code] == [2, 2, 0], (cut, text.err, warned.err)
        assert filler.strip() in text.err  # the server's words are shown, up to the cut
        shown = [text.err, as_json.undecided()["message"], warned.err]
        shown += [path.read_text() for path in reports.values()]
        shown += [path.read_text() for path in failed_reports.values()]  # exit 2's reports
        assert filler.strip() in reports["json"].read_text()
        assert filler.strip() in failed_reports["markdown"].read_text()
        names = ["stderr", "json", "warning", *reports, *(f"failed {k}" for k in failed_reports)]
        for where, output in zip(names, shown, strict=True):
            for word in PASSPHRASE.split():
                assert word not in output, f"cut {cut}: {word!r} reached the {where}"


PROXY_PASSWORD = "Prx-Kq7@Lm3/x"  # `@` and `/` percent-encoded in the proxy URL


def _echoing_proxy() -> Any:
    """A proxy that answers every request itself, with Harbor's error shape quoting the
    Proxy-Authorization header it got and what it decodes to: a broken or hostile proxy,
    or a server that a proxy passed the header on to."""
    import base64
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            sent = self.headers.get("Proxy-Authorization", "none")
            decoded = base64.b64decode(sent.split()[-1]).decode() if " " in sent else "none"
            body = json.dumps(
                {"errors": [{"code": "DENIED", "message": f"proxy got {sent} ({decoded})"}]}
            ).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Echo)


def test_a_proxys_credentials_echoed_back_are_hidden(harbor: Harbor, tmp_path: Path) -> None:
    """HTTP_PROXY=http://user:pw@proxy: requests sends the proxy its credentials, in a
    header a proxy (or the server it passes it on to) can quote in an error. They are not
    tagguard's own, but they are the job's, and were printed whole."""
    import base64
    import threading
    from urllib.parse import quote

    harbor.state.add_user(*USER, admin=True)
    harbor.credentials = USER
    proxy = _echoing_proxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        for name in ("http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
            harbor.monkeypatch.delenv(name, raising=False)
        written = quote(PROXY_PASSWORD, safe="")
        port = proxy.server_address[1]
        harbor.extra_env["HTTP_PROXY"] = f"http://px:{written}@127.0.0.1:{port}"
        push = ["push", "harbor.invalid/proj/app:v1", "--digest", make_image().digest]
        reports = {kind: tmp_path / f"report.{kind}" for kind in REPORTS}
        runs = [
            harbor.tagguard(
                *push, "--format", output, *(f"--report={k}={p}" for k, p in reports.items())
            )
            for output in FORMATS
        ]
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert [run.code for run in runs] == [2] * len(FORMATS)
    assert "proxy got Basic *** (px:***)" in runs[0].err  # it went through the proxy
    header = base64.b64encode(f"px:{PROXY_PASSWORD}".encode()).decode()
    shown = [run.out + run.err for run in runs] + [p.read_text() for p in reports.values()]
    for text in shown:
        _scan(text, {PROXY_PASSWORD, written, header, "Kq7"}, "the output of a run through a proxy")
