"""Credentials in docker's order, and secrets that never show."""

from __future__ import annotations

import base64
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tagguard.core.sanitize import Redactor
from tagguard.errors import InputError
from tagguard.shell.credentials import (
    Credential,
    CredentialStore,
    build_store,
    load_docker_config,
    per_host_credentials,
)
from tagguard.shell.urls import normalise_host


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def store(
    tmp_path: Path,
    config: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    **kwargs: Any,
) -> CredentialStore:
    (tmp_path / "docker").mkdir(exist_ok=True)
    if config is not None:
        (tmp_path / "docker" / "config.json").write_text(json.dumps(config))
    return build_store(
        username=kwargs.get("username"),
        password=kwargs.get("password"),
        env={"DOCKER_CONFIG": str(tmp_path / "docker"), **(env or {})},
        home=tmp_path,
        hosts=["harbor.test"],
        run=kwargs.get("run", subprocess.run),
        redactor=kwargs.get("redactor", Redactor()),
    )


def test_secrets_never_show() -> None:
    credential = Credential("robot$p+ci", "s3cret-value", "flag")
    assert "s3cret-value" not in repr(credential)
    assert "s3cret-value" not in str(credential)


@pytest.mark.parametrize(
    "key", ["harbor.test", "https://harbor.test", "https://harbor.test/v2/", "HARBOR.test"]
)
def test_docker_config_keys_in_any_form(key: str) -> None:
    assert normalise_host(key) == "harbor.test"


def test_order_flag_then_environment_then_docker_config(tmp_path: Path) -> None:
    config = {"auths": {"harbor.test": {"auth": b64("cfg:cfg-pw")}}}
    env = {"TAGGUARD_USERNAME": "env", "TAGGUARD_PASSWORD": "env-pw"}
    flagged = store(tmp_path, config, env, username="flag", password="flag-pw").for_host(
        "harbor.test"
    )
    assert flagged is not None
    assert flagged.username == "flag"
    from_env = store(tmp_path, config, env).for_host("harbor.test")
    assert from_env is not None
    assert from_env.username == "env"
    from_config = store(tmp_path, config).for_host("harbor.test")
    assert from_config is not None
    assert (from_config.username, from_config.secret) == ("cfg", "cfg-pw")


def test_explicit_credentials_only_for_the_guarded_harbor(tmp_path: Path) -> None:
    found = store(tmp_path, {}, {"TAGGUARD_USERNAME": "env", "TAGGUARD_PASSWORD": "pw"})
    assert found.for_host("harbor.test") is not None
    assert found.for_host("ghcr.io") is None


def test_helpers_and_stores(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append((command[0], kwargs["input"]))
        if kwargs["input"] == "harbor.test":
            return subprocess.CompletedProcess(
                command, 0, json.dumps({"Username": "h", "Secret": "h-pw"}), ""
            )
        return subprocess.CompletedProcess(
            command, 1, "credentials not found in native keychain", ""
        )

    found = store(
        tmp_path, {"credHelpers": {"harbor.test": "pass"}, "credsStore": "desktop"}, run=run
    )
    credential = found.for_host("harbor.test")
    assert credential is not None
    assert (credential.username, credential.source) == ("h", "docker-credential-pass")
    assert found.for_host("other.test") is None
    assert calls == [
        ("docker-credential-pass", "harbor.test"),
        ("docker-credential-desktop", "other.test"),
    ]


@pytest.mark.parametrize(
    ("config", "env", "given"),
    [
        ({}, {}, {"username": "flag", "password": "flag-pw-1"}),
        ({}, {"TAGGUARD_USERNAME": "env", "TAGGUARD_PASSWORD": "env-pw-1"}, {}),
        ({"auths": {"harbor.test": {"auth": b64("cfg:cfg-pw-1")}}}, {}, {}),
        ({"auths": {"harbor.test": {"username": "cfg", "password": "cfg-pw-1"}}}, {}, {}),
    ],
    ids=["flag", "environment", "docker-config-auth", "docker-config-plain"],
)
def test_a_credential_handed_out_hides_the_basic_header_it_is_sent_in(
    tmp_path: Path, config: dict[str, Any], env: dict[str, str], given: dict[str, str]
) -> None:
    """A server echoing the Authorization header it received shows base64 of user:password,
    which decodes to the password: hidden as the password is."""
    redactor = Redactor()
    credential = store(tmp_path, config, env, redactor=redactor, **given).for_host("harbor.test")
    assert credential is not None
    header = credential.basic_header()
    assert redactor.redact(f"echoed: {header}") == "echoed: Basic ***"
    assert redactor.redact(credential.secret) == "***"


def test_a_docker_config_auth_is_hidden_as_written_there(tmp_path: Path) -> None:
    """base64 ignores the unused bits of its last character: `dTpwdx==` reads as `u:pw` as
    `dTpwdw==` (what tagguard sends) does, and is as much a secret."""
    redactor = Redactor()
    config = {"auths": {"harbor.test": {"auth": "dTpwdx=="}}}
    credential = store(tmp_path, config, redactor=redactor).for_host("harbor.test")
    assert credential is not None
    assert (credential.username, credential.secret) == ("u", "pw")
    assert credential.basic_header() == "Basic dTpwdw=="
    assert redactor.redact("dTpwdx== dTpwdw==") == "*** ***"


def test_identity_tokens_are_marked(tmp_path: Path) -> None:
    found = store(tmp_path, {"auths": {"harbor.test": {"identitytoken": "refresh"}}}).for_host(
        "harbor.test"
    )
    assert found is not None
    assert found.identity_token


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"auths": {"harbor.test": {"auth": "%%%"}}}, "is not base64"),
        ({"auths": {"harbor.test": {"auth": b64("nocolon")}}}, "does not hold 'user:password'"),
        ({"credHelpers": {"harbor.test": "missing-helper-xyz"}}, "not on PATH"),
    ],
)
def test_broken_docker_config_entries(tmp_path: Path, config: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message):
        store(tmp_path, config).for_host("harbor.test")


def test_unreadable_docker_config(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text("{nope")
    with pytest.raises(InputError, match=r"config\.json: not valid JSON"):
        store(tmp_path)


def test_half_given_credentials_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="must be set together"):
        store(tmp_path, {}, {"TAGGUARD_USERNAME": "only-user"})
    with pytest.raises(InputError, match="--password-stdin"):
        store(tmp_path, {}, username="u")


def test_an_empty_password_is_refused_before_harbor_is_asked(tmp_path: Path) -> None:
    """Harbor has no empty passwords: an empty one is a CI secret that did not reach the
    job. It went to Harbor, and came back as "refused the credentials of admin (401)"."""
    env = {"TAGGUARD_USERNAME": "admin", "TAGGUARD_PASSWORD": ""}
    with pytest.raises(
        InputError, match=r"^TAGGUARD_PASSWORD is empty for TAGGUARD_USERNAME admin"
    ):
        store(tmp_path, {}, env)
    with pytest.raises(InputError, match=r"^--password-stdin: standard input held no password"):
        store(tmp_path, {}, username="admin", password="")
    with pytest.raises(InputError, match=r"^--credentials h.io=CI_CRED: CI_CRED holds no password"):
        per_host_credentials(["h.io=CI_CRED"], {"CI_CRED": "robot:"})


def test_a_docker_hub_login_answers_docker_io_references() -> None:
    # docker login without a server stores Docker Hub under https://index.docker.io/v1/
    # (docker/cli registry.IndexServer); references name Docker Hub docker.io.
    encoded = base64.b64encode(b"hubuser:hubpass").decode()
    store = CredentialStore(
        docker_config={"auths": {"https://index.docker.io/v1/": {"auth": encoded}}}
    )
    found = store.for_host("docker.io")
    assert found is not None
    assert found.username == "hubuser"


def test_a_credential_helper_is_asked_for_docker_hub_by_its_server_url() -> None:
    asked: list[str] = []

    def run(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        asked.append(kwargs["input"])
        return subprocess.CompletedProcess(args, 1, "", "credentials not found")

    store = CredentialStore(docker_config={"credsStore": "desktop"}, run=run)
    assert store.for_host("docker.io") is None
    assert asked == ["https://index.docker.io/v1/"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # Found by pointing DOCKER_CONFIG at hostile files: each was an "internal error".
        (b'{"auths": {}}\xff', "is not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_a_broken_docker_config_is_one_line_naming_it(
    tmp_path: Path, content: bytes, message: str
) -> None:
    (tmp_path / "config.json").write_bytes(content)
    with pytest.raises(InputError, match=rf"^{re.escape(str(tmp_path))}/config\.json: {message}"):
        load_docker_config({"DOCKER_CONFIG": str(tmp_path)}, tmp_path)


def test_a_docker_config_is_read_within_a_limit(tmp_path: Path) -> None:
    # config.json -> /dev/zero (stat() says 0 bytes) read until memory ran out.
    (tmp_path / "config.json").symlink_to("/dev/zero")
    with pytest.raises(InputError, match="-byte limit"):
        load_docker_config({"DOCKER_CONFIG": str(tmp_path)}, tmp_path)


def test_no_docker_config_is_an_empty_one(tmp_path: Path) -> None:
    assert load_docker_config({"DOCKER_CONFIG": str(tmp_path)}, tmp_path)[0] == {}


@pytest.mark.parametrize(
    ("given", "named"),
    [
        # Python reads a variable's bytes that are not UTF-8 as lone surrogates: the Basic
        # header's encode() then raised UnicodeEncodeError, an internal error.
        (
            {"env": {"TAGGUARD_USERNAME": "bob", "TAGGUARD_PASSWORD": "s3cret\udcff"}},
            "TAGGUARD_PASSWORD",
        ),
        (
            {"env": {"TAGGUARD_USERNAME": "b\udcffob", "TAGGUARD_PASSWORD": "s3cret"}},
            "TAGGUARD_USERNAME",
        ),
        ({"username": "bob", "password": "s3cret\udcff"}, "--password-stdin"),
    ],
)
def test_a_credential_that_is_not_utf8_is_refused_without_showing_it(
    tmp_path: Path, given: dict[str, Any], named: str
) -> None:
    with pytest.raises(InputError, match=rf"^{named}: is not UTF-8 text") as raised:
        build_store(
            username=given.get("username"),
            password=given.get("password"),
            env={"DOCKER_CONFIG": str(tmp_path), **given.get("env", {})},
            home=tmp_path,
            hosts=["h.io"],
            redactor=Redactor(),
        )
    assert "s3cret" not in raised.value.message


def test_a_per_host_credential_that_is_not_utf8_is_refused_without_showing_it() -> None:
    with pytest.raises(
        InputError, match=r"^--credentials h\.io=CRED: CRED: is not UTF-8 text"
    ) as raised:
        per_host_credentials(["h.io=CRED"], {"CRED": "bob:s3cret\udcff"})
    assert "s3cret" not in raised.value.message


def test_a_docker_config_password_with_a_lone_surrogate_is_refused_naming_the_entry(
    tmp_path: Path,
) -> None:
    # JSON's "\udcff" escape is a lone surrogate too: no Basic header can carry it.
    config = {"auths": {"harbor.test": {"username": "bob", "password": "s3cret\udcff"}}}
    with pytest.raises(InputError, match=r"auths\['harbor\.test'\]: is not UTF-8 text") as raised:
        store(tmp_path, config).for_host("harbor.test")  # hiding it builds the header
    assert "s3cret" not in raised.value.message
