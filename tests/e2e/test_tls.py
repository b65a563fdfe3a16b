"""TLS for real: Harbors served over https with certificates no trust store knows. By
default tagguard refuses them (exit 2, one line naming the host); `--ca-file` trusts exactly
the certificate it names, for Harbor and for a retag source alike; `--insecure` trusts any."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import output_json
from tests.e2e.conftest import Harbor, Run
from tests.harbor_server.harbor import HarborState, running_harbor, self_signed_certificate
from tests.harbor_server.images import Image, Pusher, make_image
from tests.harbor_server.registry import Registry
from tests.harbor_server.users import ADMIN, harbor_state

Certificate = tuple[Path, Path]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed_certificate(tmp_path_factory.mktemp("harbor-tls"))


@pytest.fixture(scope="module")
def other_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed_certificate(tmp_path_factory.mktemp("source-tls"))


def _pusher(url: str, auth: tuple[str, str], cert: Path) -> Pusher:
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE in the environment would beat `verify`
    session.verify = str(cert)
    return Pusher(url, auth, session)


@pytest.fixture
def tls_harbor(
    registry: Registry,
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Harbor]:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    with running_harbor(registry.url, harbor_state(), tls=certificate) as (url, state):
        assert url.startswith("https://")
        yield Harbor(url, state, _pusher(url, ADMIN, certificate[0]), monkeypatch, plain_http=False)


def _setup(harbor: Harbor, image: Image | None = None) -> str:
    """v1 is immutable and holds an image; returns the digest of another one."""
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1", image)
    return make_image().digest


def _push(harbor: Harbor, digest: str, *options: str) -> tuple[int, str, str]:
    run = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), harbor.ref("proj/app:v2"), "--digest", digest,
        "--format", "json", *options,
    )  # fmt: skip
    return run.code, run.out, run.err


def test_an_unknown_certificate_is_refused_in_one_line(tls_harbor: Harbor) -> None:
    code, out, err = _push(tls_harbor, _setup(tls_harbor))
    assert Run(code, out, err).undecided()  # the one JSON object, with the stderr line
    assert err.count("\n") == 1, err
    assert "certificate verify failed" in err
    assert f"https://{tls_harbor.host}" in err
    assert "Traceback" not in err


def test_ca_file_trusts_the_certificate_it_names(
    tls_harbor: Harbor, certificate: Certificate
) -> None:
    code, out, err = _push(tls_harbor, _setup(tls_harbor), "--ca-file", str(certificate[0]))
    assert code == 1, err
    assert [d["decision"] for d in output_json(out)["decisions"]] == ["block", "allow"]
    # The requests did go over TLS to this Harbor: its log has them.
    assert tls_harbor.state.requests_to("/api/v2.0/projects/proj/immutabletagrules")


def test_ca_file_with_another_certificate_is_still_refused(
    tls_harbor: Harbor, other_certificate: Certificate
) -> None:
    code, out, err = _push(tls_harbor, _setup(tls_harbor), "--ca-file", str(other_certificate[0]))
    assert Run(code, out, err).undecided()  # the one JSON object, with the stderr line
    assert err.count("\n") == 1, err
    assert "certificate verify failed" in err


def test_insecure_skips_verification(tls_harbor: Harbor) -> None:
    code, out, err = _push(tls_harbor, _setup(tls_harbor), "--insecure")
    assert code == 1, err
    assert '"decision": "block"' in out


def test_ca_file_that_is_not_a_certificate(tls_harbor: Harbor, tmp_path: Path) -> None:
    bogus = tmp_path / "bundle.pem"
    bogus.write_text("not a certificate\n")
    digest = _setup(tls_harbor)
    tls_harbor.state.log.clear()
    code, out, err = _push(tls_harbor, digest, "--ca-file", str(bogus))
    assert Run(code, out, err).undecided()  # the one JSON object, with the stderr line
    assert err.count("\n") == 1, err
    assert f"--ca-file {bogus}: not a PEM certificate bundle" in err
    assert tls_harbor.state.log == []  # said before any request
    assert "Traceback" not in err


def test_ca_file_that_does_not_exist(tls_harbor: Harbor, tmp_path: Path) -> None:
    code, out, err = _push(tls_harbor, _setup(tls_harbor), "--ca-file", str(tmp_path / "nope"))
    assert Run(code, out, err).undecided()  # the one JSON object, with the stderr line
    assert "--ca-file" in err
    assert str(tmp_path / "nope") in err


@pytest.fixture
def tls_source(registry: Registry, other_certificate: Certificate) -> Iterator[tuple[str, Image]]:
    """A second Harbor over https with its own certificate, holding a public src/a:1."""
    state = HarborState()
    state.add_user("admin", "pw", admin=True)
    state.add_project("src", public=True)
    with running_harbor(registry.url, state, tls=other_certificate) as (url, _):
        image = make_image()
        answer = _pusher(url, ("admin", "pw"), other_certificate[0]).push("src/a", "1", image)
        assert answer.status_code == 201
        yield url.split("://", 1)[1], image


def test_a_retag_source_behind_an_unknown_certificate(
    tls_harbor: Harbor,
    tls_source: tuple[str, Image],
    certificate: Certificate,
    other_certificate: Certificate,
    tmp_path: Path,
) -> None:
    source_host, image = tls_source
    _setup(tls_harbor, image)
    retag = ("retag", f"{source_host}/src/a:1", tls_harbor.ref("proj/app:v1"), "--format", "json")

    # Harbor's certificate only: the source's is refused, and the error names the source.
    refused = tls_harbor.tagguard(*retag, "--ca-file", str(certificate[0]))
    assert refused.undecided()["code"] == "remote", refused.err
    assert refused.err.count("\n") == 1, refused.err
    assert f"https://{source_host}" in refused.err
    assert "certificate verify failed" in refused.err

    # A bundle with both certificates: the same image is already under v1, so skip.
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(certificate[0].read_text() + other_certificate[0].read_text())
    trusted = tls_harbor.tagguard(*retag, "--ca-file", str(bundle))
    assert (trusted.code, trusted.verdicts()) == (0, ["skip"]), trusted.err
