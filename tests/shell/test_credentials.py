"""Credentials in docker's order, and secrets that never show."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tagguard.core.reference import parse_reference
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
    # An empty PATH unless the test gives one: a config naming no credentials gets the
    # platform's store when its helper is on PATH (as docker's does), and the machine's own
    # docker-credential-secretservice or -pass would answer these tests otherwise.
    (tmp_path / "no-helpers").mkdir(exist_ok=True)
    return build_store(
        username=kwargs.get("username"),
        password=kwargs.get("password"),
        env={
            "DOCKER_CONFIG": str(tmp_path / "docker"),
            "PATH": str(tmp_path / "no-helpers"),
            **(env or {}),
        },
        home=tmp_path,
        hosts=["harbor.test"],
        run=kwargs.get("run", subprocess.run),
        redactor=kwargs.get("redactor", Redactor()),
        spellings=kwargs.get("spellings"),
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


def test_a_helper_that_cannot_answer_is_named_with_the_host_it_was_asked_for(
    tmp_path: Path,
) -> None:
    # A run asks the docker config for several hosts (a retag source, a replication's
    # destination): the one line says which config, and for which host, the helper failed.
    config = {"credHelpers": {"other.test": "missing-helper-xyz"}}
    with pytest.raises(InputError) as raised:
        store(tmp_path, config).for_host("other.test")
    assert str(tmp_path / "docker" / "config.json") in raised.value.message
    assert "other.test" in raised.value.message


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


# Differential against the docker CLI 28.2.2: `docker push HOST/p/app:v1` run against a
# stand-in engine on a unix socket (DOCKER_HOST), with DOCKER_CONFIG pointing at each
# config; the expectation is what docker sent in the push call's X-Registry-Auth header.


def helper_answers(answers: dict[str, str | dict[str, str]]) -> Any:
    """A `run` standing in for docker-credential-NAME: per (helper, server) an answer, a
    "notfound" (docker-credential-helpers' message on stdout) or a "fail"."""
    asked: list[tuple[str, str]] = []

    def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        asked.append((command[0], kwargs["input"]))
        answer = answers.get(f"{command[0]} {kwargs['input']}", "notfound")
        if answer == "notfound":
            return subprocess.CompletedProcess(
                command, 1, "credentials not found in native keychain\n", ""
            )
        if answer == "fail":
            return subprocess.CompletedProcess(command, 1, "keychain locked\n", "")
        return subprocess.CompletedProcess(command, 0, json.dumps(answer), "")

    run.asked = asked  # type: ignore[attr-defined]
    return run


def user_for(found: CredentialStore, host: str) -> tuple[str, str] | None:
    credential = found.for_host(host)
    return None if credential is None else (credential.username, credential.secret)


A = {"auth": b64("a:pa")}


@pytest.mark.parametrize(
    ("key", "host", "sent"),
    [
        # docker's file store compares keys with the host as written: no lower-casing.
        ("HARBOR.test", "harbor.test", None),
        ("https://HARBOR.test", "harbor.test", None),
        (" harbor.test", "harbor.test", None),
        # ...and a URL key by its host[:port], user and query dropped (url.Parse).
        ("https://user@harbor.test", "harbor.test", ("a", "pa")),
        ("https://harbor.test?x=1", "harbor.test", ("a", "pa")),
        ("http://harbor.test:5000/v2/", "harbor.test:5000", ("a", "pa")),
        ("harbor.test/v2/", "harbor.test", ("a", "pa")),
        ("harbor.test:443", "harbor.test", None),
        ("http://harbor.test:/v2/", "harbor.test", ("a", "pa")),
        ("https://harbor.test#f", "harbor.test", ("a", "pa")),
        ("https://harbor.test:abc", "harbor.test", None),  # url.Parse refuses the port
        ("https://[::1]:5000/v2/", "[::1]:5000", ("a", "pa")),
        # Docker Hub is looked up under https://index.docker.io/v1/ alone: no key can
        # normalise to it, and docker sent nothing for docker.io/library/app,
        # index.docker.io/library/app or app under any of these.
        ("https://index.docker.io/v1/", "docker.io", ("a", "pa")),
        ("index.docker.io/v1/", "docker.io", None),
        ("docker.io", "docker.io", None),
        ("https://docker.io", "docker.io", None),
        ("index.docker.io", "docker.io", None),
        ("https://index.docker.io/v2/", "docker.io", None),
        ("registry-1.docker.io", "docker.io", None),
        # registry-1.docker.io/library/app is a registry of its own name to docker.
        ("registry-1.docker.io", "registry-1.docker.io", ("a", "pa")),
        ("https://registry-1.docker.io/v2/", "registry-1.docker.io", ("a", "pa")),
    ],
)
def test_auths_keys_match_the_host_as_docker_matches_them(
    tmp_path: Path, key: str, host: str, sent: tuple[str, str] | None
) -> None:
    assert user_for(store(tmp_path, {"auths": {key: A}}), host) == sent


@pytest.mark.parametrize(
    "auths",
    [
        {"https://harbor.test": A, "harbor.test": {"auth": b64("b:pb")}},
        {"harbor.test": {"auth": b64("b:pb")}, "https://harbor.test": A},
        {"https://harbor.test": A, "harbor.test": {}},
    ],
    ids=["exact-last", "exact-first", "exact-empty"],
)
def test_the_exact_auths_key_wins_in_any_order_even_empty(
    tmp_path: Path, auths: dict[str, Any]
) -> None:
    """docker sent b's login, whichever came first, and nothing for an empty exact entry:
    its file store reads `auths[host]` before trying other keys (file_store.go Get)."""
    sent = None if auths["harbor.test"] == {} else ("b", "pb")
    assert user_for(store(tmp_path, {"auths": auths}), "harbor.test") == sent


@pytest.mark.parametrize(
    ("answer", "sent"),
    [
        ({"Username": "h", "Secret": "hs"}, ("h", "hs")),
        # "not found" clears the auths entry's login (native_store.go Get)...
        ("notfound", None),
        # ...any other failure leaves it.
        ("fail", ("a", "pa")),
    ],
)
def test_a_credentials_store_answers_before_auths(
    tmp_path: Path, answer: Any, sent: tuple[str, str] | None
) -> None:
    run = helper_answers({"docker-credential-st harbor.test": answer})
    found = store(tmp_path, {"credsStore": "st", "auths": {"harbor.test": A}}, run=run)
    assert user_for(found, "harbor.test") == sent


def test_a_credentials_store_answer_replaces_an_auths_identity_token(tmp_path: Path) -> None:
    run = helper_answers({"docker-credential-st harbor.test": {"Username": "h", "Secret": "hs"}})
    config = {"credsStore": "st", "auths": {"harbor.test": {"identitytoken": "tok"}}}
    found = store(tmp_path, config, run=run).for_host("harbor.test")
    assert found is not None
    assert (found.username, found.secret, found.identity_token) == ("h", "hs", False)


def test_a_failing_credential_helper_leaves_the_auths_entry(tmp_path: Path) -> None:
    run = helper_answers({"docker-credential-hp harbor.test": "fail"})
    config = {"credHelpers": {"harbor.test": "hp"}, "auths": {"harbor.test": A}}
    assert user_for(store(tmp_path, config, run=run), "harbor.test") == ("a", "pa")


@pytest.mark.parametrize("key", ["https://harbor.test", "HARBOR.test", "harbor.test/"])
def test_credential_helpers_are_named_for_the_exact_key(tmp_path: Path, key: str) -> None:
    """docker looks `credHelpers` up by the host itself (getConfiguredCredentialStore): it
    asked no helper for these keys and sent the auths entry."""
    run = helper_answers({"docker-credential-hp harbor.test": {"Username": "h", "Secret": "x"}})
    config = {"credHelpers": {key: "hp"}, "auths": {"harbor.test": A}}
    assert user_for(store(tmp_path, config, run=run), "harbor.test") == ("a", "pa")
    assert run.asked == []


def test_a_docker_io_credential_helper_key_does_not_name_docker_hubs(tmp_path: Path) -> None:
    run = helper_answers(
        {"docker-credential-hp https://index.docker.io/v1/": {"Username": "h", "Secret": "x"}}
    )
    found = store(tmp_path, {"credHelpers": {"docker.io": "hp"}}, run=run)
    assert user_for(found, "docker.io") is None
    hub = store(tmp_path, {"credHelpers": {"https://index.docker.io/v1/": "hp"}}, run=run)
    assert user_for(hub, "docker.io") == ("h", "x")


def test_an_empty_credential_helper_name_means_the_auths_entry(tmp_path: Path) -> None:
    run = helper_answers({"docker-credential-st harbor.test": {"Username": "s", "Secret": "x"}})
    config = {"credHelpers": {"harbor.test": ""}, "credsStore": "st", "auths": {"harbor.test": A}}
    assert user_for(store(tmp_path, config, run=run), "harbor.test") == ("a", "pa")


@pytest.mark.parametrize(
    ("config", "on_path", "sent"),
    [
        (None, ["docker-credential-secretservice"], ("ss", "x")),
        (
            {"auths": {}, "credHelpers": {}, "credsStore": ""},
            ["docker-credential-secretservice"],
            ("ss", "x"),
        ),
        ({"auths": {"other.test": A}}, ["docker-credential-secretservice"], None),
        # With the pass program installed docker picks pass, and no store without its helper.
        (None, ["pass", "docker-credential-secretservice"], None),
        (None, ["pass", "docker-credential-pass"], ("pp", "x")),
    ],
    ids=["no-config", "empty-config", "config-with-auths", "pass-no-helper", "pass"],
)
def test_a_config_naming_no_credentials_gets_the_platform_store(
    tmp_path: Path, config: dict[str, Any] | None, on_path: list[str], sent: tuple[str, str] | None
) -> None:
    """docker's LoadDefaultConfigFile sets credsStore when the config names none."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in on_path:
        (bin_dir / name).write_text("#!/bin/sh\nexit 1\n")
        (bin_dir / name).chmod(0o755)
    run = helper_answers(
        {
            "docker-credential-secretservice harbor.test": {"Username": "ss", "Secret": "x"},
            "docker-credential-pass harbor.test": {"Username": "pp", "Secret": "x"},
        }
    )
    found = store(tmp_path, config, {"PATH": str(bin_dir)}, run=run)
    assert user_for(found, "harbor.test") == sent


@pytest.mark.parametrize(
    "given",
    [
        {"env": {"TAGGUARD_USERNAME": "env", "TAGGUARD_PASSWORD": "env-pw"}},
        {"per_host": {"harbor.test": Credential("cred", "cred-pw", "--credentials")}},
    ],
    ids=["environment", "credentials-flag"],
)
def test_the_default_store_is_looked_for_only_when_the_docker_config_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: dict[str, Any]
) -> None:
    """A run whose every host has its credential given never reads the docker config, so it
    need not look on PATH for docker's default store either: not as the store is built,
    nor as it answers. The first host the config answers looks, as docker does."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-secretservice"
    helper.write_text("#!/bin/sh\nexit 1\n")
    helper.chmod(0o755)
    looked: list[str] = []
    which = shutil.which

    def recording_which(name: str, *args: Any, **kwargs: Any) -> str | None:
        looked.append(name)
        return which(name, *args, **kwargs)

    monkeypatch.setattr(shutil, "which", recording_which)
    run = helper_answers(
        {"docker-credential-secretservice other.test": {"Username": "ss", "Secret": "x"}}
    )
    found = build_store(
        username=None,
        password=None,
        env={"PATH": str(bin_dir), "DOCKER_CONFIG": str(tmp_path), **given.get("env", {})},
        home=tmp_path,
        hosts=["harbor.test"],
        run=run,
        redactor=Redactor(),
        per_host=given.get("per_host"),
    )
    credential = found.for_host("harbor.test")
    assert credential is not None
    assert credential.username in ("env", "cred")
    assert looked == []
    # Another host (a retag's source) is the docker config's to answer: now it looks.
    assert user_for(found, "other.test") == ("ss", "x")
    assert "docker-credential-secretservice" in looked


def test_an_auth_password_loses_the_nuls_around_it(tmp_path: Path) -> None:
    config = {"auths": {"harbor.test": {"auth": b64("u:\x00pw\x00\x00")}}}
    assert user_for(store(tmp_path, config), "harbor.test") == ("u", "pw")


@pytest.mark.parametrize(
    ("auths", "message"),
    [
        # docker refuses an auth with no user and sent none: its config failed to load.
        ({"harbor.test": {"auth": b64(":pw")}}, r"auths\['harbor\.test'\]\.auth does not hold"),
        # One broken entry fails docker's whole load: harbor.test's login went decoded or
        # not as Go's map order had it (both seen, run to run): tagguard refuses.
        ({"other.test": {"auth": "%%%"}, "harbor.test": A}, r"auths\['other\.test'\]\.auth is not"),
    ],
)
def test_an_auth_docker_cannot_decode_is_refused_for_every_host(
    tmp_path: Path, auths: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        store(tmp_path, {"auths": auths}).for_host("harbor.test")


def test_a_broken_docker_config_entry_is_no_matter_when_credentials_are_given(
    tmp_path: Path,
) -> None:
    # TAGGUARD_USERNAME/PASSWORD answer for the Harbor: the docker config is never read
    # for it, so the run goes on (it is refused only where the config is consulted).
    config = {"auths": {"other.test": {"auth": "%%%"}}}
    env = {"TAGGUARD_USERNAME": "bob", "TAGGUARD_PASSWORD": "pw"}
    found = store(tmp_path, config, env)
    assert user_for(found, "harbor.test") == ("bob", "pw")


@pytest.mark.parametrize(
    ("config", "answers"),
    [
        ({"auths": {"harbor.test": {"registrytoken": "rt"}}}, {}),
        ({"auths": {"harbor.test": {"registrytoken": "rt", **A}}}, {}),
        # A helper's "not found" leaves the entry's registrytoken: docker sent it.
        ({"credsStore": "st", "auths": {"harbor.test": {"registrytoken": "rt"}}}, {}),
    ],
)
def test_a_registry_token_docker_would_send_is_refused(
    tmp_path: Path, config: dict[str, Any], answers: dict[str, Any]
) -> None:
    """docker sent the registrytoken, with the entry's login beside it, and its engine
    presents the token instead of logging in: tagguard has no Basic header for it."""
    found = store(tmp_path, config, run=helper_answers(answers))
    with pytest.raises(InputError, match=r"auths\['harbor\.test'\]\.registrytoken"):
        found.for_host("harbor.test")


@pytest.mark.parametrize(
    ("config", "answer"),
    [
        ({"auths": {"harbor.test": {"auth": b64("u:")}}}, None),
        ({"auths": {"harbor.test": {"username": "u", "password": ""}}}, None),
        ({"auths": {"harbor.test": {"username": "", "password": "pw"}}}, None),
        ({"credsStore": "st"}, {"Username": "h", "Secret": ""}),
        ({"credsStore": "st"}, {"Username": "", "Secret": "hs"}),
        ({"credsStore": "st"}, {"Username": "<token>", "Secret": ""}),
    ],
)
def test_half_a_login_is_none(
    tmp_path: Path, config: dict[str, Any], answer: dict[str, str] | None
) -> None:
    """docker sent these halves (`{"username": "u"}`, `{"password": "hs"}`), and its engine
    logs in only with both (distribution's auth/session.go): it pulls and pushes as no one.
    A Basic header with an empty half, sent by tagguard, is a login Harbor refuses."""
    run = helper_answers({"docker-credential-st harbor.test": answer} if answer else {})
    assert store(tmp_path, config, run=run).for_host("harbor.test") is None


def test_a_credential_helper_runs_once_per_host_however_often_it_is_asked(
    tmp_path: Path,
) -> None:
    # A retag source's registry asks for its credential on every request (and its workers
    # at once); each helper run is a process: one per host, as one `docker push` has.
    run = helper_answers({"docker-credential-st other.test": {"Username": "u", "Secret": "s"}})
    found = store(tmp_path, {"credsStore": "st"}, run=run)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: user_for(found, "other.test"), range(16)))
    assert answers == [("u", "s")] * 16
    assert user_for(found, "OTHER.test") == ("u", "s")
    assert user_for(found, "third.test") is None
    assert run.asked == [
        ("docker-credential-st", "other.test"),
        ("docker-credential-st", "third.test"),
    ]


# What the real docker 28.2.2 CLI sent (X-Registry-Auth, to a stand-in engine) and asked its
# helpers for `docker push` and `docker pull` of MyHost.Example:5000/p/r:t and of
# myhost.example:5000/p/r:t: the config is asked under the host exactly as the reference
# writes it (docker/cli cli/command/registry.go ResolveAuthConfig with the IndexInfo of
# vendor/github.com/docker/docker/registry/config.go ParseRepositoryInfo, which keeps the
# domain's case; cli/config/configfile/file.go GetAuthConfig and
# getConfiguredCredentialStore look it up as given; credentials/file_store.go Get compares
# keys case-sensitively).
WRITTEN = "MyHost.Example:5000/p/r:t"
LOWER = "myhost.example:5000/p/r:t"


def written_store(tmp_path: Path, text: str, config: dict[str, Any], **kwargs: Any) -> Any:
    ref = parse_reference(text)
    found = store(tmp_path, config, spellings={ref.registry: {ref.written_registry}}, **kwargs)
    return found, ref.registry


@pytest.mark.parametrize(
    ("text", "key", "sent"),
    [
        (WRITTEN, "MyHost.Example:5000", ("a", "pa")),
        (WRITTEN, "myhost.example:5000", None),
        (WRITTEN, "MYHOST.EXAMPLE:5000", None),
        (WRITTEN, "https://MyHost.Example:5000/v1/", ("a", "pa")),
        (WRITTEN, "https://myhost.example:5000/v1/", None),
        (LOWER, "MyHost.Example:5000", None),
        (LOWER, "myhost.example:5000", ("a", "pa")),
        (LOWER, "https://MyHost.Example:5000/v1/", None),
        (LOWER, "https://myhost.example:5000/v1/", ("a", "pa")),
    ],
)
def test_auths_are_asked_under_the_host_as_the_reference_writes_it(
    tmp_path: Path, text: str, key: str, sent: tuple[str, str] | None
) -> None:
    found, host = written_store(tmp_path, text, {"auths": {key: A}})
    assert host == "myhost.example:5000"  # everything else in tagguard knows it so
    assert user_for(found, host) == sent


@pytest.mark.parametrize(
    ("text", "config", "asked"),
    [
        (WRITTEN, {"credHelpers": {"MyHost.Example:5000": "hp"}}, "MyHost.Example:5000"),
        (WRITTEN, {"credHelpers": {"myhost.example:5000": "hp"}}, None),
        (LOWER, {"credHelpers": {"MyHost.Example:5000": "hp"}}, None),
        (LOWER, {"credHelpers": {"myhost.example:5000": "hp"}}, "myhost.example:5000"),
        # The store is asked for the host as written, even with a lower-cased auths entry.
        (
            WRITTEN,
            {"credsStore": "hp", "auths": {"myhost.example:5000": {}}},
            "MyHost.Example:5000",
        ),
        (LOWER, {"credsStore": "hp"}, "myhost.example:5000"),
    ],
)
def test_helpers_are_named_and_asked_for_the_host_as_the_reference_writes_it(
    tmp_path: Path, text: str, config: dict[str, Any], asked: str | None
) -> None:
    run = helper_answers(
        {f"docker-credential-hp {asked}": {"Username": "h", "Secret": "hs"}} if asked else {}
    )
    found, host = written_store(tmp_path, text, config, run=run)
    assert user_for(found, host) == (("h", "hs") if asked else None)
    assert run.asked == ([("docker-credential-hp", asked)] if asked else [])


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        # docker 28.2.2 asked its store for DOCKER.IO and Index.Docker.Io as written: only
        # docker.io and index.docker.io are Docker Hub (normalizeIndexName compares exactly).
        ("DOCKER.IO/p/r:t", "DOCKER.IO"),
        ("Index.Docker.Io/p/r:t", "Index.Docker.Io"),
        ("index.docker.io/p/r:t", "https://index.docker.io/v1/"),
        ("docker.io/p/r:t", "https://index.docker.io/v1/"),
    ],
)
def test_docker_hub_is_asked_for_by_its_server_url_only_as_docker_spells_it(
    tmp_path: Path, text: str, asked: str
) -> None:
    run = helper_answers({f"docker-credential-st {asked}": {"Username": "h", "Secret": "hs"}})
    found, host = written_store(tmp_path, text, {"credsStore": "st"}, run=run)
    assert user_for(found, host) == ("h", "hs")
    assert run.asked == [("docker-credential-st", asked)]


def test_one_host_written_two_ways_that_docker_answers_differently_is_refused(
    tmp_path: Path,
) -> None:
    """docker would push each reference with its own login; tagguard holds one a host, so
    it refuses rather than check one of them with the other's."""
    config = {"auths": {"MyHost.Example:5000": {"auth": b64("a:secret-pw")}}}
    spellings = {"myhost.example:5000": {"MyHost.Example:5000", "myhost.example:5000"}}
    found = store(tmp_path, config, spellings=spellings)
    with pytest.raises(InputError) as raised:
        found.for_host("myhost.example:5000")
    message = str(raised.value)
    assert "MyHost.Example:5000 and myhost.example:5000" in message
    assert "--credentials myhost.example:5000=ENVVAR" in message
    assert "secret-pw" not in message


def test_one_host_written_two_ways_that_docker_answers_alike_is_one_login(
    tmp_path: Path,
) -> None:
    config = {"auths": {"MyHost.Example:5000": A, "myhost.example:5000": {"auth": b64("a:pa")}}}
    spellings = {"myhost.example:5000": {"MyHost.Example:5000", "myhost.example:5000"}}
    assert user_for(store(tmp_path, config, spellings=spellings), "myhost.example:5000") == (
        "a",
        "pa",
    )
