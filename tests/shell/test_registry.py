"""The registry client's auth dance and answers, against `responses`."""

from __future__ import annotations

import pytest
import responses

from tagguard.errors import AuthError, RemoteError
from tagguard.shell.credentials import Credential, CredentialStore
from tagguard.shell.http import Http, TransportOptions
from tagguard.shell.registry import MANIFEST_TYPES, RegistryClient, parse_challenge

DIGEST = "sha256:" + "e" * 64
MANIFEST = "https://reg.test/v2/org/app/manifests/1.0"


def client(credential: Credential | None = None) -> RegistryClient:
    store = CredentialStore(credential, frozenset({"reg.test"}) if credential else frozenset())
    return RegistryClient(Http(TransportOptions(retries=0)), store)


def test_parse_challenge() -> None:
    found = parse_challenge(
        'Bearer realm="https://auth.test/token",service="reg",scope="repository:a:pull"'
    )
    assert found is not None
    assert found.scheme == "bearer"
    assert found.params == {
        "realm": "https://auth.test/token",
        "service": "reg",
        "scope": "repository:a:pull",
    }
    assert parse_challenge(None) is None


@responses.activate
def test_anonymous_bearer_token_then_head() -> None:
    responses.head(
        MANIFEST,
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="reg"'},
    )
    responses.get("https://auth.test/token", json={"token": "t0k"})
    responses.head(MANIFEST, headers={"Docker-Content-Digest": DIGEST})
    assert client().digest("reg.test", "org/app", "1.0") == DIGEST
    head = responses.calls[0].request
    assert head.headers["Accept"] == MANIFEST_TYPES
    token_request = responses.calls[1].request
    assert "Authorization" not in token_request.headers
    assert "scope=repository%3Aorg%2Fapp%3Apull" in str(token_request.url)
    assert responses.calls[2].request.headers["Authorization"] == "Bearer t0k"


@responses.activate
def test_tokens_are_cached_per_scope() -> None:
    challenge = {"WWW-Authenticate": 'Bearer realm="https://reg.test/token",service="reg"'}
    for name in ("a", "b"):
        # The first request of each repository is challenged; later ones carry the token.
        url = f"https://reg.test/v2/org/{name}/manifests/1"
        responses.head(url, status=401, headers=challenge)
        responses.head(url, headers={"Docker-Content-Digest": DIGEST})
    responses.get("https://reg.test/token", json={"access_token": "one"})
    responses.get("https://reg.test/token", json={"access_token": "two"})
    registry = client(Credential("u", "p", "test"))
    for name in ("a", "a", "b"):
        registry.digest("reg.test", f"org/{name}", "1")
    token_calls = [c for c in responses.calls if "/token" in str(c.request.url)]
    assert len(token_calls) == 2
    heads = [
        c.request.headers.get("Authorization")
        for c in responses.calls
        if c.request.method == "HEAD"
    ]
    assert heads == [None, "Bearer one", "Bearer one", None, "Bearer two"]


@responses.activate
def test_credentials_never_go_to_a_plain_http_realm_on_another_host() -> None:
    responses.head(
        MANIFEST,
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="http://elsewhere.test/token"'},
    )
    responses.get("http://elsewhere.test/token", json={"token": "t"})
    responses.head(MANIFEST, headers={"Docker-Content-Digest": DIGEST})
    client(Credential("u", "secret-pw", "test")).digest("reg.test", "org/app", "1.0")
    assert "Authorization" not in responses.calls[1].request.headers


@responses.activate
def test_credentials_go_to_an_https_realm() -> None:
    responses.head(
        MANIFEST, status=401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token"'}
    )
    responses.get("https://auth.test/token", json={"token": "t"})
    responses.head(MANIFEST, headers={"Docker-Content-Digest": DIGEST})
    client(Credential("u", "p", "test")).digest("reg.test", "org/app", "1.0")
    assert responses.calls[1].request.headers["Authorization"].startswith("Basic ")


@responses.activate
def test_basic_challenge() -> None:
    responses.head(MANIFEST, status=401, headers={"WWW-Authenticate": 'Basic realm="reg"'})
    responses.head(MANIFEST, headers={"Docker-Content-Digest": DIGEST})
    assert client(Credential("u", "p", "test")).digest("reg.test", "org/app", "1.0") == DIGEST
    responses.head(MANIFEST, status=401, headers={"WWW-Authenticate": 'Basic realm="reg"'})
    with pytest.raises(AuthError, match="needs credentials"):
        client().digest("reg.test", "org/app", "1.0")


@responses.activate
def test_absent_and_missing_header() -> None:
    responses.head(MANIFEST, status=404)
    assert client().digest("reg.test", "org/app", "1.0") is None
    responses.head(MANIFEST, status=200)
    oci = "application/vnd.oci.image.manifest.v1+json"
    responses.get(MANIFEST, body=b'{"schemaVersion":2}', content_type=oci)
    digest = client().digest("reg.test", "org/app", "1.0")
    assert digest == "sha256:" + __import__("hashlib").sha256(b'{"schemaVersion":2}').hexdigest()


@responses.activate
@pytest.mark.parametrize("content_type", ["text/html; charset=utf-8", "application/json", ""])
def test_only_a_manifest_body_is_hashed_into_a_digest(content_type: str) -> None:
    """Without Docker-Content-Digest the digest is the body's hash: a sign-in page or a
    proxy's error would give a made-up digest, so anything not a manifest is refused."""
    responses.head(MANIFEST, status=200)
    responses.get(MANIFEST, body=b"<html>Sign in</html>", content_type=content_type or None)
    with pytest.raises(RemoteError, match="not a manifest"):
        client().digest("reg.test", "org/app", "1.0")


@responses.activate
def test_refusals_and_bad_answers() -> None:
    responses.head(
        MANIFEST, status=401, headers={"WWW-Authenticate": 'Bearer realm="https://reg.test/token"'}
    )
    responses.get("https://reg.test/token", status=401)
    with pytest.raises(AuthError, match="refused anonymous access"):
        client().digest("reg.test", "org/app", "1.0")
    responses.head(MANIFEST, status=401)
    with pytest.raises(AuthError, match="without saying how"):
        client().digest("reg.test", "org/app", "1.0")
    responses.head(MANIFEST, headers={"Docker-Content-Digest": "nonsense"})
    with pytest.raises(RemoteError, match="is not a digest"):
        client().digest("reg.test", "org/app", "1.0")


def test_docker_hub_names_reach_its_registry_host() -> None:
    assert client().base_url("docker.io") == "https://registry-1.docker.io"


# Harbor's vulnerability middleware (src/server/middleware/vulnerable/vulnerable.go) refuses a
# pull with 412 and code PROJECTPOLICYVIOLATION; HEAD and GET of a manifest share it
# (src/server/registry/route.go), and a HEAD answer carries no body to say why.
POLICY_BODY = {
    "errors": [
        {
            "code": "PROJECTPOLICYVIOLATION",
            "message": "current image with 2 vulnerabilities cannot be pulled due to "
            'configured policy in \'Prevent images with vulnerability severity of "High" '
            "or higher from running.'",
        }
    ]
}


@responses.activate
def test_a_policy_refusal_is_said_as_such() -> None:
    responses.head(MANIFEST, status=412)
    responses.get(MANIFEST, status=412, json=POLICY_BODY)
    with pytest.raises(RemoteError) as raised:
        client().digest("reg.test", "org/app", "1.0")
    message = raised.value.message
    assert "project's policy forbids pulling it" in message
    assert "2 vulnerabilities" in message
    assert "412" not in message
    assert "\n" not in message
    assert [c.request.method for c in responses.calls] == ["HEAD", "GET"]


@responses.activate
def test_another_412_is_reported_with_its_status() -> None:
    responses.head(MANIFEST, status=412)
    responses.get(
        MANIFEST, status=412, json={"errors": [{"code": "PRECONDITION", "message": "no"}]}
    )
    with pytest.raises(RemoteError, match=r"answered 412$") as raised:
        client().digest("reg.test", "org/app", "1.0")
    assert "policy" not in raised.value.message


@responses.activate
def test_a_get_that_succeeds_after_a_412_head_gives_the_digest() -> None:
    responses.head(MANIFEST, status=412)
    responses.get(
        MANIFEST,
        body=b"{}",
        content_type="application/vnd.oci.image.manifest.v1+json",
        headers={"Docker-Content-Digest": DIGEST},
    )
    assert client().digest("reg.test", "org/app", "1.0") == DIGEST
    assert len(responses.calls) == 2  # the body already read is not asked for again


NO_CREDENTIALS_HINT = (
    "no credentials were found for reg.test (--username and TAGGUARD_USERNAME go only to the"
    " Harbor being checked): give them with --credentials reg.test=ENVVAR"
)


@responses.activate
@pytest.mark.parametrize("refusal", ["basic", "bearer-head", "bearer-token"])
def test_a_refusal_without_credentials_says_how_to_give_them(refusal: str) -> None:
    """A retag or copy source on another registry gets no --username (that goes only to the
    Harbor being checked): 'refused anonymous access' alone left a reader who had given one
    wondering why it was anonymous. Whichever way the registry refuses, the line says where
    its credentials come from."""
    if refusal == "basic":
        responses.head(MANIFEST, status=401, headers={"WWW-Authenticate": 'Basic realm="reg"'})
    else:
        challenge = {"WWW-Authenticate": 'Bearer realm="https://reg.test/token",service="reg"'}
        responses.head(MANIFEST, status=401, headers=challenge)
        if refusal == "bearer-token":
            responses.get("https://reg.test/token", status=401)
        else:  # an anonymous token that may not pull, as Harbor gives for a private project
            responses.get("https://reg.test/token", json={"token": "anonymous"})
            responses.head(MANIFEST, status=401, headers=challenge)
    with pytest.raises(AuthError) as raised:
        client().digest("reg.test", "org/app", "1.0")
    assert NO_CREDENTIALS_HINT in raised.value.message


@responses.activate
def test_a_refusal_of_given_credentials_names_them_and_no_hint() -> None:
    """With credentials found, the refusal is of those: the hint on where to give some would
    mislead."""
    challenge = {"WWW-Authenticate": 'Bearer realm="https://reg.test/token",service="reg"'}
    responses.head(MANIFEST, status=401, headers=challenge)
    responses.get("https://reg.test/token", json={"token": "t"})
    responses.head(MANIFEST, status=401, headers=challenge)
    with pytest.raises(AuthError) as raised:
        client(Credential("u", "p", "test")).digest("reg.test", "org/app", "1.0")
    assert "refused the credentials of u (from test) (401)" in raised.value.message
    assert "--credentials" not in raised.value.message


@responses.activate
def test_an_identity_token_for_a_basic_registry_is_said_as_such() -> None:
    """docker keeps an identity token for some registries; a Basic registry cannot take one,
    and 'none were found' (as it once said) was not true."""
    responses.head(MANIFEST, status=401, headers={"WWW-Authenticate": 'Basic realm="reg"'})
    token = Credential("<token>", "refresh", "docker config", identity_token=True)
    with pytest.raises(
        AuthError,
        match=r"needs a username and password \(401\); <token> \(from docker config\) is an",
    ):
        client(token).digest("reg.test", "org/app", "1.0")


@responses.activate
@pytest.mark.parametrize(
    "token", ["s3cretT0ken\r\nX-Injected: 1", "s3cretT0ken\u0100", "s3cret T0ken"]
)
def test_a_token_no_header_can_carry_is_refused_without_showing_it(token: str) -> None:
    # requests refused the header with a message quoting its value, the token, with its CR
    # and LF escaped: the redactor, which knows the token as sent, did not find it there.
    responses.head(
        MANIFEST,
        status=401,
        headers={"WWW-Authenticate": 'Bearer realm="https://reg.test/token",service="reg"'},
    )
    responses.get("https://reg.test/token", json={"token": token})
    with pytest.raises(RemoteError, match="holds characters no Authorization header") as raised:
        client().digest("reg.test", "org/app", "1.0")
    assert "s3cret" not in raised.value.message
    assert len(responses.calls) == 2  # the token was never sent


@responses.activate
@pytest.mark.parametrize("realm", ["https://[::1/token", "https://reg.test:99999/token"])
def test_a_token_realm_that_is_no_url_is_an_error_naming_it(realm: str) -> None:
    responses.head(
        MANIFEST, status=401, headers={"WWW-Authenticate": f'Bearer realm="{realm}",service="r"'}
    )
    with pytest.raises(AuthError, match=r"token realm .* is not an HTTP URL"):
        client().digest("reg.test", "org/app", "1.0")
