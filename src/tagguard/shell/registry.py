"""A small OCI distribution client: the digest a tag points at, in any registry.

`HEAD /v2/<name>/manifests/<tag>` with the full Accept list (without it an OCI manifest is a
404, and a Docker v2 manifest may be converted to schema 1 under another digest). A 412 from
Harbor here is its project policy refusing the pull, never immutability: see `_refused`. Auth
follows the registry's challenge: Basic directly, or Bearer through its token service, one
token per (realm, service, scope), cached and reused; anonymous tokens when there are no
credentials. Credentials go to a token realm only on the registry's own host or over HTTPS.

Why not oras-py: measured on oras 0.2.43, a refused connection takes 131 s to fail, requests
have no timeout, one token is kept per registry (a second repository gets 401),
DOCKER_CONFIG is ignored, a shared client is not thread-safe under token auth, and retagging
re-serialises manifests. Meeting tagguard's bounds would need its private internals.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from types import MappingProxyType
from urllib.parse import quote, urlencode, urlsplit

from tagguard.core.record import field, record
from tagguard.core.reference import validate_digest
from tagguard.core.sanitize import printable
from tagguard.errors import AuthError, RemoteError, TagguardError
from tagguard.shell.credentials import Credential, CredentialStore
from tagguard.shell.harbor import policy_refusal
from tagguard.shell.http import Answer, Http

_MANIFEST_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
MANIFEST_TYPES = ", ".join(_MANIFEST_MEDIA_TYPES)
_CHALLENGE = r'(\w+)="([^"]*)"'  # compiled on a first challenge (the re module keeps it)
_HEADER_TOKEN = r"[\x21-\x7e]+"  # visible ASCII: what a Bearer header can carry as one token
_DOCKER_HUB = MappingProxyType(
    {"docker.io": "registry-1.docker.io", "index.docker.io": "registry-1.docker.io"}
)


def _refused(answer: Answer, what: str, host: str) -> RemoteError:
    """A manifest read that failed: Harbor's project-policy refusal (412
    PROJECTPOLICYVIOLATION: vulnerable or unsigned images may not be pulled) said as such,
    any other status as it is."""
    return policy_refusal(answer, what, host) or RemoteError(
        f"{what}: {host} answered {answer.status}"
    )


@record
class Challenge:
    scheme: str  # "basic" or "bearer"
    params: dict[str, str]


def _none_for(host: str) -> str:
    """What to do when a registry wants credentials and none were found for it: a retag or
    copy source on another registry does not get the Harbor's --username (it goes only to the
    Harbors being checked), which a reader who gave one would not guess from 'anonymous'."""
    return (
        f"; no credentials were found for {host} (--username and TAGGUARD_USERNAME go only to"
        f" the Harbor being checked): give them with --credentials {host}=ENVVAR"
        " (TAGGUARD_CREDENTIALS) or docker login"
    )


def parse_challenge(header: str | None) -> Challenge | None:
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    return Challenge(scheme.lower(), {k.lower(): v for k, v in re.findall(_CHALLENGE, rest)})


@record(frozen=False)
class RegistryClient:
    http: Http
    credentials: CredentialStore
    plain_http_hosts: frozenset[str] = frozenset()
    base_urls: dict[str, str] = field(default_factory=dict)  # host -> URL (e.g. --harbor-url)
    _tokens: dict[tuple[str, str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def base_url(self, host: str) -> str:
        if host in self.base_urls:
            return self.base_urls[host]
        scheme = "http" if host in self.plain_http_hosts else "https"
        return f"{scheme}://{_DOCKER_HUB.get(host, host)}"

    def digest(self, host: str, repository: str, reference: str) -> str | None:
        """The manifest digest `reference` (tag or digest) names; None if it does not exist."""
        what = f"resolving {host}/{repository}:{reference}"
        url = f"{self.base_url(host)}/v2/{quote(repository)}/manifests/{quote(reference, safe='')}"
        scope = f"repository:{repository}:pull"
        answer = self._authorized("HEAD", url, host, scope, what)
        with_body = False
        if answer.status == 412:
            # A HEAD answer has no body to say why; Harbor runs the same middlewares on the
            # GET (src/server/registry/route.go), whose error body names the reason.
            answer, with_body = self._authorized("GET", url, host, scope, what), True
        if answer.status == 404:
            return None
        if answer.status != 200:
            raise _refused(answer, what, host)
        digest = answer.header("docker-content-digest")
        if digest is None:
            # Some registries omit the header on HEAD: the digest is the body's sha256.
            if not with_body:
                answer = self._authorized("GET", url, host, scope, what)
            if answer.status != 200:
                raise _refused(answer, what, host)
            # Hashing a sign-in page or a proxy's error text would invent a digest.
            media_type = (answer.header("content-type") or "").split(";", 1)[0].strip()
            if media_type not in _MANIFEST_MEDIA_TYPES:
                raise RemoteError(
                    f"{what}: {host} answered with {printable(media_type or 'no content type')}"
                    ", not a manifest, and sent no Docker-Content-Digest"
                )
            digest = "sha256:" + hashlib.sha256(answer.body).hexdigest()
        try:
            return validate_digest(digest, f"{what}: {host}'s Docker-Content-Digest")
        except TagguardError as error:
            raise RemoteError(error.message) from None

    # -- auth ----------------------------------------------------------------------------

    def _authorized(self, method: str, url: str, host: str, scope: str, what: str) -> Answer:
        headers = {"Accept": MANIFEST_TYPES}
        credential = self.credentials.for_host(host)
        cached = self._cached_token(host, scope)
        auth = f"Bearer {cached}" if cached else None
        answer = self.http.request(method, url, headers=headers, auth_header=auth, what=what)
        if answer.status != 401:
            return answer
        challenge = parse_challenge(answer.header("www-authenticate"))
        if challenge is None:
            raise AuthError(f"{what}: {host} answered 401 without saying how to authenticate")
        if challenge.scheme == "basic":
            if credential is None:
                raise AuthError(f"{what}: {host} needs credentials (401){_none_for(host)}")
            if credential.identity_token:
                raise AuthError(
                    f"{what}: {host} needs a username and password (401); {credential} is an identity token"
                )
            auth = credential.basic_header()
        elif challenge.scheme == "bearer":
            auth = f"Bearer {self._token(challenge, host, scope, credential, what)}"
        else:
            raise AuthError(
                f"{what}: {host} asks for {challenge.scheme!r} authentication, which tagguard does not speak"
            )
        answer = self.http.request(method, url, headers=headers, auth_header=auth, what=what)
        if answer.status == 401:
            if credential is None:
                raise AuthError(f"{what}: {host} refused anonymous access (401){_none_for(host)}")
            raise AuthError(f"{what}: {host} refused the credentials of {credential} (401)")
        if answer.status == 403:
            raise AuthError(
                f"{what}: {host} forbids pulling {url.split('/v2/', 1)[1].rsplit('/manifests/', 1)[0]} (403)"
            )
        return answer

    def _cached_token(self, host: str, scope: str) -> str | None:
        with self._lock:
            for (realm_host, _service, token_scope), token in self._tokens.items():
                if realm_host == host and token_scope == scope:
                    return token
        return None

    def _token(
        self, challenge: Challenge, host: str, scope: str, credential: Credential | None, what: str
    ) -> str:
        realm = challenge.params.get("realm")
        if not realm:
            raise AuthError(f"{what}: {host}'s Bearer challenge names no token realm")
        service = challenge.params.get("service", "")
        scope = challenge.params.get("scope", scope)
        try:
            realm_parts = urlsplit(realm)
            realm_parts.port  # noqa: B018 - read only when asked, and may be refused
        except ValueError:  # an open `[`, a port that is no number
            realm_parts = urlsplit("")
        if realm_parts.scheme not in ("http", "https"):
            raise AuthError(f"{what}: {host}'s token realm {realm!r} is not an HTTP URL")
        # Never hand a password to another host over plain HTTP.
        trusted = (
            realm_parts.hostname == urlsplit(self.base_url(host)).hostname
            or realm_parts.scheme == "https"
        )
        send = credential if trusted else None
        query = {"service": service, "scope": scope} if service else {"scope": scope}
        if send is not None and send.identity_token:
            raise AuthError(
                f"{what}: identity tokens for {host} are not supported; give a username and password"
            )
        auth = send.basic_header() if send else None
        realm_host = realm_parts.hostname or ""
        if realm_parts.port is not None:
            realm_host = f"{realm_host}:{realm_parts.port}"
        token_what = f"{what}: getting a token from {realm_host}"
        answer = self.http.request(
            "GET", f"{realm}?{urlencode(query)}", auth_header=auth, what=token_what
        )
        if answer.status in (401, 403):
            if credential is None:
                hint = _none_for(host)
                raise AuthError(f"{token_what}: refused anonymous access ({answer.status}){hint}")
            who = f"the credentials of {send}" if send else "anonymous access"
            raise AuthError(f"{token_what}: refused {who} ({answer.status})")
        if answer.status != 200:
            raise RemoteError(f"{token_what}: answered {answer.status}")
        try:
            data = json.loads(answer.body)
        except ValueError:
            raise RemoteError(f"{token_what}: answered with malformed JSON") from None
        token = (data.get("token") or data.get("access_token")) if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise RemoteError(f"{token_what}: the answer holds no token")
        self.credentials.redactor.keep(token)  # the run's: never printed
        if not re.fullmatch(_HEADER_TOKEN, token):
            # requests would refuse the header quoting it, CR and LF escaped, where the
            # redactor (which knows it as sent) cannot find it. Said without the token.
            raise RemoteError(
                f"{token_what}: the token it answered holds characters no Authorization "
                "header can carry (only visible ASCII)"
            )
        with self._lock:
            self._tokens[(host, service, scope)] = token
        return token
