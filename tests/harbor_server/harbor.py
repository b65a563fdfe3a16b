"""The Harbor-compatible server: the API paths tagguard uses, shaped as swagger.yaml says,
with Harbor's behaviours, in front of a real distribution registry.

Like Harbor, it keeps its own database of artifacts and tags (filled by the manifest PUTs
it proxies) and treats it as the truth for tags; blobs and manifests live in the registry.
Harbor's behaviours reproduced:

* repository names double URL-encoded in API paths; a single-encoded '/' misses the route
  (go-swagger's 404 shape, not Harbor's NOT_FOUND);
* `X-Is-Resource-Name`; an all-digit project is otherwise read as an id;
* paging: `page`, `page_size` (default 10, above 100 answers 422), `X-Total-Count`, `Link`;
* 401 without credentials on private projects; 403 on the rules for developers, guests and
  robots without `immutable-tag:list`;
* tags' `immutable` only with `with_immutable_status=true`, computed by Harbor's matcher;
* /v2/: Bearer challenges to `/service/token` (service `harbor-registry`), Basic accepted;
  a manifest PUT onto an existing immutable tag and a DELETE of an artifact carrying one
  answer 412 PRECONDITION with Harbor's messages.

Immutability here is computed with tagguard's own port of Harbor's matcher (which the
vector tests hold to Harbor's); `flip_immutable` makes the server's flag disagree, to test
tagguard's cross-check. Latency and faults can be injected for the fault tests.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import requests

from tagguard.core.harbor_version import glob_version_for
from tagguard.core.rules import evaluate, parse_rules

API = "/api/v2.0"
SERVICE = "harbor-registry"
ROLES_THAT_LIST_RULES = {"projectAdmin", "maintainer"}
ROLES_THAT_PUSH = {"projectAdmin", "maintainer", "developer"}
ROLES_THAT_DELETE = {"projectAdmin", "maintainer"}
MANIFEST_ROUTE = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
BLOB_ROUTE = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<rest>.+)$")


@dataclass
class User:
    name: str
    password: str
    admin: bool = False
    # For robots: Harbor permissions such as "immutable-tag:list", per project.
    permissions: set[str] = field(default_factory=set)


@dataclass
class Project:
    name: str
    id: int
    public: bool = False
    members: dict[str, str] = field(default_factory=dict)  # user -> role
    rules: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Fault:
    """Replaces the answer to matching requests. `times` counts down; None is forever."""

    path: str  # regex searched in the raw request path
    action: Callable[[Handler], None]
    method: str | None = None
    times: int | None = None


@dataclass
class HarborState:
    version: str = "v2.11.0-test"
    users: dict[str, User] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    # (project, repository in project) -> tag -> digest, and -> digest -> media type
    tags: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    artifacts: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str | None] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    policies: dict[int, dict[str, Any]] = field(default_factory=dict)
    latency: float = 0.0
    # The benchmark's data does not change while it measures: memoising the API's answers
    # keeps this fixture's own Python time out of what both clients are charged.
    cache_answers: bool = False
    answers: dict[tuple[str, str], tuple[int, bytes, dict[str, str], str | None]] = field(
        default_factory=dict
    )
    flip_immutable: bool = False
    log: list[tuple[str, str]] = field(default_factory=list)
    # (path, scheme) of every request that carried an Authorization header: what a
    # server other than the credential's own must never see.
    authorizations: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    next_rule_id: int = 1
    _parsed: dict[str, tuple[object, Any]] = field(default_factory=dict)

    # -- set-up helpers for tests -------------------------------------------------------

    def add_user(
        self, name: str, password: str, *, admin: bool = False, permissions: set[str] | None = None
    ) -> User:
        user = User(name, password, admin, permissions or set())
        self.users[name] = user
        return user

    def add_project(
        self, name: str, *, public: bool = False, members: dict[str, str] | None = None
    ) -> Project:
        project = Project(name, len(self.projects) + 1, public, dict(members or {}))
        self.projects[name] = project
        return project

    def add_rule(self, project: str, rule: dict[str, Any]) -> int:
        with self.lock:
            stored = dict(rule)
            stored.setdefault("id", self.next_rule_id)
            self.next_rule_id = max(self.next_rule_id, int(stored["id"])) + 1
            stored.setdefault("priority", 0)
            stored.setdefault("disabled", False)
            stored.setdefault("action", "immutable")
            stored.setdefault("template", "immutable_template")
            self.projects[project].rules.append(stored)
            self._parsed.pop(project, None)
            return int(stored["id"])

    def requests_to(self, prefix: str = "") -> list[tuple[str, str]]:
        with self.lock:
            return [entry for entry in self.log if entry[1].startswith(prefix)]

    # -- Harbor's semantics -------------------------------------------------------------

    def immutable(self, project: str, repository: str, tag: str) -> bool:
        """What Harbor enforces for the tag (remembered until the rules or version change)."""
        raw = self.projects[project].rules
        version = (id(raw), len(raw), self.version)
        if self._parsed.get(project, (None,))[0] != version:
            self._parsed[project] = (version, (parse_rules(raw, "server rules"), {}))
        rules, answers = self._parsed[project][1]
        key = (repository, tag)
        if key not in answers:
            glob = glob_version_for(self.version)
            answers[key] = evaluate(rules, f"{project}/{repository}", tag, glob).immutable
        return bool(answers[key])

    def flag(self, project: str, repository: str, tag: str) -> bool:
        """What the API reports as the tag's `immutable` (flipped on request, for tests)."""
        return self.immutable(project, repository, tag) != self.flip_immutable

    def project_by_name_or_id(self, value: str, by_name: bool) -> Project | None:
        if not by_name and value.isdigit():
            return next((p for p in self.projects.values() if p.id == int(value)), None)
        return self.projects.get(value)

    def role(self, user: User | None, project: Project) -> str | None:
        if user is None:
            return None
        if user.admin:
            return "projectAdmin"
        return project.members.get(user.name)

    def may(self, user: User | None, project: Project, action: str) -> bool:
        if user is not None and user.name.startswith("robot$"):
            return f"{project.name}:{action}" in user.permissions
        role = self.role(user, project)
        if action in ("artifact:read", "repository:pull"):
            return project.public or role is not None
        if action == "immutable-tag:list":
            return role in ROLES_THAT_LIST_RULES
        if action == "repository:push":
            return role in ROLES_THAT_PUSH
        if action == "artifact:delete":
            return role in ROLES_THAT_DELETE
        return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        state: HarborState,
        backend: str,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.backend = backend
        self.stopping = threading.Event()
        self.session = requests.Session()
        self.scheme = "http"
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every answer on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ------------------------------------------------------------------------

    @property
    def state(self) -> HarborState:
        return self.server.state

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        authorization = self.headers.get("Authorization")
        with self.state.lock:
            self.state.log.append((method, self.path))
            if authorization:
                self.state.authorizations.append((self.path, authorization.split(" ", 1)[0]))
        if self.state.latency:
            time.sleep(self.state.latency)
        if self._fault(method):
            return
        self._memo: tuple[str, str] | None = None
        if self.state.cache_answers and method == "GET" and self.path.startswith(API + "/"):
            self._memo = (self.path, self.headers.get("Authorization", ""))
            cached = self.state.answers.get(self._memo)
            if cached is not None:
                self._write(*cached)
                return
        raw_path, _, query = self.path.partition("?")
        self.query = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        self.raw_query = query
        try:
            if raw_path.startswith(API + "/"):
                self._api(method, raw_path)
            elif raw_path == "/service/token":
                self._token()
            elif raw_path == "/v2/" or raw_path.startswith("/v2/"):
                self._registry(method, raw_path)
            else:
                self._swagger_404(raw_path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _fault(self, method: str) -> bool:
        with self.state.lock:
            for fault in self.state.faults:
                if fault.method not in (None, method) or not re.search(fault.path, self.path):
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                break
            else:
                return False
        self._drain()
        fault.action(self)
        return True

    def _drain(self) -> bytes:
        """The request body, whether sized or chunked (skopeo streams blobs chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str | None = "application/json",
    ) -> None:
        memo = getattr(self, "_memo", None)
        if memo is not None and status == 200:
            with self.state.lock:
                self.state.answers[memo] = (status, body, dict(headers or {}), content_type)
        self._write(status, body, headers or {}, content_type)

    def _write(
        self, status: int, body: bytes, headers: dict[str, str], content_type: str | None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(data).encode(), headers)

    def error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_json(status, {"errors": [{"code": code, "message": message}]}, headers)

    def _swagger_404(self, path: str) -> None:
        # go-swagger's answer for a path no route matches: not Harbor's NOT_FOUND shape.
        self.send_json(404, {"code": 404, "message": f"path {path} was not found"})

    def user(self) -> User | None:
        """The authenticated user, None for anonymous; False-y after sending 401 on bad credentials."""
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            import base64

            try:
                name, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                raise _Unauthorized from None
            user = self.state.users.get(name)
            if user is None or user.password != password:
                raise _Unauthorized
            return user
        if scheme.lower() == "bearer":
            if value not in self.state.tokens:
                raise _Unauthorized
            owner = self.state.tokens[value]
            return self.state.users.get(owner) if owner else None
        return None

    # -- API -----------------------------------------------------------------------------

    def _api(self, method: str, raw_path: str) -> None:
        path = unquote(raw_path)[len(API) :]
        segments = path.strip("/").split("/")
        try:
            user = self.user()
        except _Unauthorized:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        if segments == ["systeminfo"] and method == "GET":
            info: dict[str, Any] = {
                "auth_mode": "db_auth",
                "registry_url": urlsplit(self.server.url).netloc,
            }
            if user is not None:
                info["harbor_version"] = self.state.version
            self.send_json(200, info)
            return
        if segments[:2] == ["replication", "policies"] and len(segments) == 3 and method == "GET":
            self._get_policy(user, segments[2])
            return
        if segments == ["repositories"] and method == "GET":
            self._list_all_repositories(user)
            return
        if len(segments) < 2 or segments[0] != "projects":
            self._swagger_404(raw_path)
            return
        rest = segments[2:]
        # Only the routes whose parameter is project_name_or_id read an all-digit name as an
        # id; the repository and artifact routes always take a name.
        by_name = self.headers.get("X-Is-Resource-Name", "").lower() == "true" or rest[:1] != [
            "immutabletagrules"
        ]
        project = self.state.project_by_name_or_id(segments[1], by_name)
        routes: list[tuple[str, int, Callable[[Project, User | None, list[str]], None]]] = [
            ("GET", 1, self._list_rules),
            ("POST", 1, self._create_rule),
            ("GET", 2, self._get_repository),
            ("GET", 3, self._list_artifacts),
            ("POST", 3, self._copy_artifact),
            ("GET", 4, self._get_artifact),
            ("DELETE", 4, self._delete_artifact),
            ("GET", 5, self._list_tags),
            ("DELETE", 6, self._delete_tag),
        ]
        for route_method, length, handler in routes:
            if method == route_method and len(rest) == length and self._shape(rest):
                if project is None:
                    self.error(
                        404 if user else 401,
                        "NOT_FOUND" if user else "UNAUTHORIZED",
                        f"project {segments[1]} not found" if user else "unauthorized",
                    )
                    return
                if user is None and not project.public:
                    self.error(401, "UNAUTHORIZED", "unauthorized")
                    return
                handler(project, user, rest)
                return
        self._swagger_404(raw_path)

    def _get_policy(self, user: User | None, policy_id: str) -> None:
        if user is None:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        if not user.admin:
            self.error(403, "FORBIDDEN", "forbidden")
            return
        policy = self.state.policies.get(int(policy_id)) if policy_id.isdigit() else None
        if policy is None:
            self.error(404, "NOT_FOUND", f"policy {policy_id} not found")
            return
        self.send_json(200, policy)

    def _list_all_repositories(self, user: User | None) -> None:
        names = sorted(
            f"{project}/{repository}"
            for (project, repository) in self.state.artifacts
            if self.state.may(user, self.state.projects[project], "artifact:read")
        )
        items = [
            {
                "id": i + 1,
                "project_id": self.state.projects[n.split("/")[0]].id,
                "name": n,
                "artifact_count": 1,
                "pull_count": 0,
            }
            for i, n in enumerate(names)
        ]
        self._send_page(items, self.path.partition("?")[0])

    def _copy_artifact(self, project: Project, user: User | None, rest: list[str]) -> None:
        """Harbor's copy: the source artifact and every tag it carries into this repository;
        one tag that exists here on another digest and is immutable fails the whole copy."""
        if not self.state.may(user, project, "repository:push"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        source = self.query.get("from", "")
        name, _, reference = source.rpartition("@") if "@" in source else source.rpartition(":")
        src_project, _, src_repository = name.partition("/")
        if src_project not in self.state.projects:
            self.error(404, "NOT_FOUND", f"project {src_project} not found")
            return
        digest = self._resolve(self.state.projects[src_project], src_repository, reference)
        if digest is None:
            self.error(404, "NOT_FOUND", f"artifact {source} not found")
            return
        repository = self._repository_name(rest[1])
        key = (project.name, repository)
        carried = sorted(
            t for t, d in self.state.tags[(src_project, src_repository)].items() if d == digest
        )
        for tag in carried:
            existing = self.state.tags.get(key, {}).get(tag)
            if (
                existing is not None
                and existing != digest
                and self.state.immutable(project.name, repository, tag)
            ):
                self.error(
                    412, "PRECONDITION", f"the tag {tag} configured as immutable, cannot be updated"
                )
                return
        # The registry needs the manifest and blobs in the new repository: mount and put.
        manifest = self.server.session.get(
            f"{self.server.backend}/v2/{src_project}/{src_repository}/manifests/{digest}",
            headers={
                "Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"
            },
            timeout=30,
        )
        body = json.loads(manifest.content)
        for blob in [body.get("config", {}), *body.get("layers", [])]:
            if blob.get("digest"):
                self.server.session.post(
                    f"{self.server.backend}/v2/{project.name}/{repository}/blobs/uploads/?mount={blob['digest']}&from={src_project}/{src_repository}",
                    timeout=30,
                )
        put = self.server.session.put(
            f"{self.server.backend}/v2/{project.name}/{repository}/manifests/{digest}",
            data=manifest.content,
            headers={"Content-Type": manifest.headers.get("Content-Type", "")},
            timeout=30,
        )
        if put.status_code != 201:
            self.error(500, "UNKNOWN", f"registry refused the copy: {put.status_code}")
            return
        with self.state.lock:
            self.state.artifacts.setdefault(key, {})[digest] = manifest.headers.get(
                "Content-Type", ""
            )
            for tag in carried:
                self.state.tags.setdefault(key, {})[tag] = digest
        self.send(
            201,
            b"",
            {
                "Location": f"{API}/projects/{project.name}/repositories/{quote(quote(repository, safe=''), safe='')}/artifacts/{digest}"
            },
        )

    @staticmethod
    def _shape(rest: list[str]) -> bool:
        expected = [
            "immutabletagrules",
            None,
            "repositories",
            None,
            "artifacts",
            None,
            "tags",
            None,
        ]
        if rest[0] == "immutabletagrules":
            return len(rest) == 1
        return (
            all(e is None or e == r for e, r in zip(expected[2:], rest, strict=False))
            and rest[0] == "repositories"
        )

    def _page(self) -> tuple[int, int] | None:
        try:
            page = int(self.query.get("page", "1"))
            size = int(self.query.get("page_size", "10"))
        except ValueError:
            self.error(400, "BAD_REQUEST", "page and page_size must be integers")
            return None
        if size > 100 or size < 0 or page < 1:
            self.error(
                422,
                "UNPROCESSABLE_ENTITY",
                "page_size: page_size in query should be less than or equal to 100",
            )
            return None
        return page, size

    def _send_page(self, items: list[Any], base_path: str) -> None:
        paging = self._page()
        if paging is None:
            return
        page, size = paging
        chunk = items[(page - 1) * size : page * size] if size else items
        links = []
        others = "&".join(
            f"{k}={quote(v, safe='')}"
            for k, v in self.query.items()
            if k not in ("page", "page_size")
        )
        extra = f"&{others}" if others else ""
        if page > 1:
            links.append(f'<{base_path}?page={page - 1}&page_size={size}{extra}>; rel="prev"')
        if size and page * size < len(items):
            links.append(f'<{base_path}?page={page + 1}&page_size={size}{extra}>; rel="next"')
        headers = {"X-Total-Count": str(len(items))}
        if links:
            headers["Link"] = " , ".join(links)
        self.send_json(200, chunk, headers)

    def _list_rules(self, project: Project, user: User | None, rest: list[str]) -> None:
        if not self.state.may(user, project, "immutable-tag:list"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        rules = sorted(project.rules, key=lambda r: int(r.get("id", 0)))
        self._send_page(rules, self.path.partition("?")[0])

    def _create_rule(self, project: Project, user: User | None, rest: list[str]) -> None:
        if self.state.role(user, project) not in ROLES_THAT_LIST_RULES:
            self.error(403, "FORBIDDEN", "forbidden")
            return
        body = json.loads(self._drain() or b"{}")
        body.pop("id", None)
        body["disabled"] = False  # POST always stores a rule enabled
        rule_id = self.state.add_rule(project.name, body)
        self.send(
            201, b"", {"Location": f"{API}/projects/{project.name}/immutabletagrules/{rule_id}"}
        )

    def _repository_name(self, segment: str) -> str:
        return unquote(segment)  # the second decoding of Harbor's double encoding

    def _get_repository(self, project: Project, user: User | None, rest: list[str]) -> None:
        repository = self._repository_name(rest[1])
        key = (project.name, repository)
        if key not in self.state.artifacts:
            self.error(404, "NOT_FOUND", f"repository {project.name}/{repository} not found")
            return
        self.send_json(
            200,
            {
                "id": abs(hash(key)) % 100000,
                "project_id": project.id,
                "name": f"{project.name}/{repository}",
                "artifact_count": len(self.state.artifacts[key]),
                "pull_count": 0,
            },
        )

    def _artifact_json(
        self,
        project: Project,
        repository: str,
        digest: str,
        with_status: bool,
        tag_page: tuple[int, int],
    ) -> dict[str, Any]:
        key = (project.name, repository)
        names = sorted(t for t, d in self.state.tags.get(key, {}).items() if d == digest)
        page, size = tag_page
        names = names[(page - 1) * size : page * size] if size else names
        return {
            "id": abs(hash((key, digest))) % 100000,
            "type": "IMAGE",
            "media_type": self.state.artifacts[key][digest],
            "manifest_media_type": self.state.artifacts[key][digest],
            "project_id": project.id,
            "repository_name": f"{project.name}/{repository}",
            "digest": digest,
            "size": 1,
            "push_time": "2026-11-27T00:00:00.000Z",
            "tags": [self._tag_json(project, repository, name, with_status) for name in names],
        }

    def _tag_json(
        self, project: Project, repository: str, name: str, with_status: bool
    ) -> dict[str, Any]:
        return {
            "id": abs(hash((project.name, repository, name))) % 100000,
            "repository_id": 1,
            "artifact_id": 1,
            "name": name,
            "push_time": "2026-11-27T00:00:00.000Z",
            "immutable": self.state.flag(project.name, repository, name) if with_status else False,
        }

    def _resolve(self, project: Project, repository: str, reference: str) -> str | None:
        key = (project.name, repository)
        if reference.startswith("sha256:"):
            return reference if reference in self.state.artifacts.get(key, {}) else None
        return self.state.tags.get(key, {}).get(reference)

    def _find(self, project: Project, user: User | None, rest: list[str]) -> tuple[str, str] | None:
        repository, reference = self._repository_name(rest[1]), rest[3]
        if not self.state.may(user, project, "artifact:read"):
            self.error(403, "FORBIDDEN", "forbidden")
            return None
        if (project.name, repository) not in self.state.artifacts:
            self.error(404, "NOT_FOUND", f"repository {project.name}/{repository} not found")
            return None
        digest = self._resolve(project, repository, reference)
        if digest is None:
            shown = f"@{reference}" if reference.startswith("sha256:") else f":{reference}"
            self.error(404, "NOT_FOUND", f"artifact {project.name}/{repository}{shown} not found")
            return None
        return repository, digest

    def _get_artifact(self, project: Project, user: User | None, rest: list[str]) -> None:
        found = self._find(project, user, rest)
        if found is None:
            return
        paging = self._page()
        if paging is None:
            return
        repository, digest = found
        with_status = self.query.get("with_immutable_status") == "true"
        data = self._artifact_json(project, repository, digest, with_status, paging)
        if self.query.get("with_tag") == "false":
            data.pop("tags")
        self.send_json(200, data)

    def _list_artifacts(self, project: Project, user: User | None, rest: list[str]) -> None:
        repository = self._repository_name(rest[1])
        key = (project.name, repository)
        if not self.state.may(user, project, "artifact:read"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        if key not in self.state.artifacts:
            self.error(404, "NOT_FOUND", f"repository {project.name}/{repository} not found")
            return
        digests = sorted(self.state.artifacts[key])
        query = self.query.get("q", "")
        if query.startswith("tags="):
            wanted = query[len("tags=") :]
            if wanted.startswith("{") or wanted.startswith("("):
                self.error(400, "BAD_REQUEST", f"invalid query {query}")
                return
            digests = [d for d in digests if self.state.tags[key].get(wanted) == d]
        with_status = self.query.get("with_immutable_status") == "true"
        items = [self._artifact_json(project, repository, d, with_status, (1, 0)) for d in digests]
        self._send_page(items, self.path.partition("?")[0])

    def _list_tags(self, project: Project, user: User | None, rest: list[str]) -> None:
        found = self._find(project, user, rest)
        if found is None:
            return
        repository, digest = found
        with_status = self.query.get("with_immutable_status") == "true"
        names = sorted(
            t for t, d in self.state.tags[(project.name, repository)].items() if d == digest
        )
        self._send_page(
            [self._tag_json(project, repository, n, with_status) for n in names],
            self.path.partition("?")[0],
        )

    def _delete_artifact(self, project: Project, user: User | None, rest: list[str]) -> None:
        if not self.state.may(user, project, "artifact:delete"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        found = self._find(project, user, rest)
        if found is None:
            return
        repository, digest = found
        if self._refuse_artifact_delete(project, repository, digest):
            return
        self._forget_artifact(project.name, repository, digest)
        self.send(200)

    def _delete_tag(self, project: Project, user: User | None, rest: list[str]) -> None:
        if not self.state.may(user, project, "artifact:delete"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        found = self._find(project, user, rest[:4])
        if found is None:
            return
        repository, digest = found
        tag = rest[5]
        if self.state.tags[(project.name, repository)].get(tag) != digest:
            self.error(404, "NOT_FOUND", f"tag {tag} not found")
            return
        if self.state.immutable(project.name, repository, tag):
            self.error(
                412, "PRECONDITION", f"the tag {tag} configured as immutable, cannot be deleted"
            )
            return
        with self.state.lock:
            del self.state.tags[(project.name, repository)][tag]
        self.send(200)

    def _refuse_artifact_delete(self, project: Project, repository: str, digest: str) -> bool:
        for tag, d in sorted(self.state.tags.get((project.name, repository), {}).items()):
            if d == digest and self.state.immutable(project.name, repository, tag):
                self.error(
                    412, "PRECONDITION", f"the tag {tag} configured as immutable, cannot be deleted"
                )
                return True
        return False

    def _forget_artifact(self, project: str, repository: str, digest: str) -> None:
        with self.state.lock:
            key = (project, repository)
            self.state.artifacts[key].pop(digest, None)
            for tag in [t for t, d in self.state.tags[key].items() if d == digest]:
                del self.state.tags[key][tag]
        self.server.session.delete(
            f"{self.server.backend}/v2/{project}/{repository}/manifests/{digest}", timeout=10
        )

    # -- token service -------------------------------------------------------------------

    def _token(self) -> None:
        try:
            user = self.user()
        except _Unauthorized:
            self.error(401, "UNAUTHORIZED", "invalid credentials")
            return
        token = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = user.name if user else None
        self.send_json(
            200,
            {
                "token": token,
                "access_token": token,
                "expires_in": 1800,
                "issued_at": "2026-11-27T00:00:00Z",
            },
        )

    # -- registry (/v2/) -----------------------------------------------------------------

    def _challenge(self, scope: str) -> dict[str, str]:
        realm = f"{self.server.url}/service/token"
        return {
            "WWW-Authenticate": f'Bearer realm="{realm}",service="{SERVICE}",scope="{scope}"',
            "Docker-Distribution-API-Version": "registry/2.0",
        }

    def _registry(self, method: str, raw_path: str) -> None:
        path = unquote(raw_path)
        name = ""
        found = MANIFEST_ROUTE.match(path) or BLOB_ROUTE.match(path)
        if found is None and path.startswith("/v2/") and "/blobs/uploads" in path:
            name = path[len("/v2/") : path.index("/blobs/uploads")]
        elif found is not None:
            name = found.group("name")
        action = "push" if method in ("PUT", "POST", "PATCH", "DELETE") else "pull"
        scope = f"repository:{name}:{action}" if name else "registry:catalog:*"
        try:
            user = self.user()
        except _Unauthorized:
            self.error(401, "UNAUTHORIZED", "authentication required", self._challenge(scope))
            return
        if path == "/v2/":
            if user is None:
                self.error(401, "UNAUTHORIZED", "authentication required", self._challenge(scope))
            else:
                self.send_json(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"})
            return
        project_name, _, repository = name.partition("/")
        project = self.state.projects.get(project_name)
        if project is None or not repository:
            self.error(404, "NAME_UNKNOWN", f"project {project_name} not found")
            return
        needed = {"pull": "repository:pull", "push": "repository:push"}[action]
        if method == "DELETE":
            needed = "artifact:delete"
        if not self.state.may(user, project, needed):
            if user is None:
                self.error(401, "UNAUTHORIZED", "authentication required", self._challenge(scope))
            else:
                self.error(403, "DENIED", "requested access to the resource is denied")
            return
        manifest = MANIFEST_ROUTE.match(path)
        if manifest is not None:
            self._manifest(method, project, repository, manifest.group("ref"))
        else:
            self._proxy(method, raw_path)

    def _manifest(self, method: str, project: Project, repository: str, reference: str) -> None:
        key = (project.name, repository)
        by_digest = reference.startswith("sha256:")
        if method in ("GET", "HEAD"):
            digest = reference if by_digest else self.state.tags.get(key, {}).get(reference)
            if digest is None or digest not in self.state.artifacts.get(key, {}):
                self.error(404, "MANIFEST_UNKNOWN", f"manifest unknown: {reference}")
                return
            self._proxy(method, f"/v2/{project.name}/{repository}/manifests/{digest}")
            return
        if method == "PUT":
            body = self._drain()
            if (
                not by_digest
                and self.state.tags.get(key, {}).get(reference) is not None
                and self.state.immutable(project.name, repository, reference)
            ):
                # Harbor refuses even the identical digest (pushmf.go).
                self.error(
                    412,
                    "PRECONDITION",
                    f"Failed to process request due to '{repository}:{reference}' configured as immutable.",
                )
                return
            answer = self.server.session.put(
                f"{self.server.backend}/v2/{project.name}/{repository}/manifests/{reference}",
                data=body,
                headers={"Content-Type": self.headers.get("Content-Type", "")},
                timeout=30,
            )
            if answer.status_code == 201:
                digest = answer.headers["Docker-Content-Digest"]
                with self.state.lock:
                    self.state.artifacts.setdefault(key, {})[digest] = self.headers.get(
                        "Content-Type", ""
                    )
                    tags = self.state.tags.setdefault(key, {})
                    if not by_digest:
                        tags[reference] = digest
            self._relay(answer)
            return
        if method == "DELETE":
            if not by_digest:
                self.error(400, "UNSUPPORTED", "deleting a manifest by tag is not supported")
                return
            if reference not in self.state.artifacts.get(key, {}):
                self.error(404, "MANIFEST_UNKNOWN", f"manifest unknown: {reference}")
                return
            if self._refuse_artifact_delete(project, repository, reference):
                return
            self._forget_artifact(project.name, repository, reference)
            self.send(202, content_type=None)
            return
        self.error(405, "UNSUPPORTED", "method not allowed")

    def _proxy(self, method: str, raw_path: str) -> None:
        body = self._drain() if method in ("PUT", "POST", "PATCH") else None
        query = f"?{self.raw_query}" if self.raw_query else ""
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() in ("accept", "content-type", "content-range")
        }
        answer = self.server.session.request(
            method,
            f"{self.server.backend}{raw_path}{query}",
            data=body,
            headers=headers,
            timeout=30,
            allow_redirects=False,
        )
        self._relay(answer)

    def _relay(self, answer: requests.Response) -> None:
        self.send_response(answer.status_code)
        body = answer.content
        for key, value in answer.headers.items():
            if key.lower() in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ):
                continue
            if key.lower() == "location":  # the backend's URLs are ours to the client
                value = value.replace(self.server.backend, self.server.url)  # noqa: PLW2901
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Unauthorized(Exception):
    pass


# -- faults ----------------------------------------------------------------------------------


def status(code: int, headers: dict[str, str] | None = None) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.error(code, "INJECTED", f"injected {code}", headers)

    return act


def raw(body: bytes, content_type: str | None, code: int = 200) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.send(code, body, content_type=content_type)

    return act


def hang(handler: Handler) -> None:
    """Accepts the request and never answers (until the server stops)."""
    handler.server.stopping.wait(300)
    handler.close_connection = True


def truncated(handler: Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.write(b'{"digest": "sha256:')
    handler.wfile.flush()
    handler.close_connection = True


def reset(handler: Handler) -> None:
    """Closes the connection with a TCP reset, no answer."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.close()


def huge(size: int) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        if handler.command == "HEAD":
            return  # the size is announced; a HEAD answer has no body to send
        chunk = b" " * 65536
        sent = 0
        with contextlib.suppress(OSError):
            while sent < size:
                piece = chunk[: min(len(chunk), size - sent)]
                handler.wfile.write(piece)
                sent += len(piece)
        handler.close_connection = True

    return act


def redirect(location: str) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.send(302, b"", {"Location": location}, content_type=None)

    return act


def to_https(handler: Handler) -> None:
    """Sends the client to the same URL over https, which this server does not speak: the
    TLS handshake then fails at exactly this point."""
    location = f"https://{handler.headers.get('Host', '')}{handler.path}"
    handler.send(302, b"", {"Location": location}, content_type=None)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows, made by the openssl CLI."""
    cert, key = directory / "harbor.crt", directory / "harbor.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=tagguard test harbor",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def running_harbor(
    backend: str,
    state: HarborState | None = None,
    tls: tuple[Path, Path] | None = None,
    address: str = "127.0.0.1",
) -> Iterator[tuple[str, HarborState]]:
    """Serves `state` on a free port of `address` in front of the registry at `backend`;
    over https when `tls` names a certificate and its key. Another loopback address
    (127.0.0.2) stands for another host."""
    state = state or HarborState()
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
    server = _Server((address, 0), state, backend, context)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server.url, state
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.session.close()
        thread.join(timeout=10)
