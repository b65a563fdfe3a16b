"""A stand-in for the docker engine, on a unix socket, for the real docker CLI to talk to.

It answers the few Engine API calls `docker push`, `docker tag`, `docker image inspect`,
`docker image ls` and `docker version` make, keeps "local images" in memory, and performs pushes for real: the
image's blobs and manifest go to the registry named in the image (the test Harbor), with the
credentials the CLI sends in X-Registry-Auth. So a push the test Harbor refuses (412) fails
in docker exactly as it would against a real engine.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.harbor_server.images import Image, Pusher

API_VERSION = "1.47"  # --platform on push needs 1.46


@dataclass
class Engine:
    registries: dict[str, str]  # registry host in image names -> its URL
    images: dict[str, Image] = field(default_factory=dict)  # "name:tag" -> image
    digests: dict[str, list[str]] = field(default_factory=dict)  # "name:tag" -> RepoDigests
    calls: list[tuple[str, str]] = field(default_factory=list)
    queries: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # path, query

    def add(self, reference: str, image: Image, *, pushed: bool = False) -> None:
        """A local image; `pushed` as if docker had pushed or pulled it (RepoDigests known)."""
        self.images[reference] = image
        name = reference.rsplit(":", 1)[0]
        self.digests[reference] = [f"{name}@{image.digest}"] if pushed else []


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    engine: Engine


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def address_string(self) -> str:
        return "docker.sock"

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Api-Version", API_VERSION)
        self.send_header("OSType", "linux")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data).encode())

    def _route(self) -> tuple[str, dict[str, str]]:
        parts = urlsplit(self.path)
        path = re.sub(r"^/v[0-9.]+", "", parts.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.server.engine.calls.append((self.command, path))
        self.server.engine.queries.append((path, query))
        return path, query

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path, query = self._route()
        engine = self.server.engine
        if path == "/images/json":
            self._json(200, _listed(engine, query))
        elif path == "/_ping":
            self._send(
                200, b"OK", "text/plain", {"Docker-Experimental": "false", "Builder-Version": "1"}
            )
        elif path == "/version":
            self._json(
                200,
                {
                    "Version": "stand-in",
                    "ApiVersion": API_VERSION,
                    "MinAPIVersion": "1.24",
                    "Os": "linux",
                    "Arch": "amd64",
                },
            )
        elif (found := re.fullmatch(r"/images/(.+)/json", path)) is not None:
            name = unquote(found.group(1))
            reference = name if name in engine.images else f"{name}:latest"
            if reference not in engine.images:
                self._json(404, {"message": f"No such image: {name}"})
                return
            image = engine.images[reference]
            self._json(
                200,
                {
                    "Id": image.digest,
                    "RepoTags": [reference],
                    "RepoDigests": engine.digests.get(reference, []),
                },
            )
        else:
            self._json(404, {"message": f"page not found: {path}"})

    def do_POST(self) -> None:
        path, query = self._route()
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if (found := re.fullmatch(r"/images/(.+)/push", path)) is not None:
            self._push(unquote(found.group(1)), query.get("tag", "latest"))
        elif (found := re.fullmatch(r"/images/(.+)/tag", path)) is not None:
            self._tag(unquote(found.group(1)), query["repo"], query.get("tag", "latest"))
        else:
            self._json(404, {"message": f"page not found: {path}"})

    def _tag(self, source: str, repo: str, tag: str) -> None:
        engine = self.server.engine
        reference = source if source in engine.images else f"{source}:latest"
        if reference not in engine.images:
            self._json(404, {"message": f"No such image: {source}"})
            return
        engine.add(f"{repo}:{tag}", engine.images[reference])
        self._send(201, b"")

    def _push(self, name: str, tag: str) -> None:
        engine = self.server.engine
        reference = f"{name}:{tag}"
        lines = [{"status": f"The push refers to repository [{name}]"}]
        image = engine.images.get(reference)
        host, _, repository = name.partition("/")
        auth = json.loads(
            base64.urlsafe_b64decode(self.headers.get("X-Registry-Auth", "e30=") + "==") or b"{}"
        )
        if image is None:
            lines.append(_error(f"An image does not exist locally with the tag: {name}"))
        elif host not in engine.registries:
            lines.append(_error(f"dial tcp: lookup {host}: no such host"))
        else:
            pusher = Pusher(
                engine.registries[host], (auth.get("username", ""), auth.get("password", ""))
            )
            answer = pusher.push(repository, tag, image)
            if answer.status_code == 201:
                engine.digests[reference] = [f"{name}@{image.digest}"]
                lines.append(
                    {"status": f"{tag}: digest: {image.digest} size: {len(image.manifest)}"}
                )
            else:
                lines.append(
                    _error(
                        f"unexpected status from PUT request to {host}: {answer.status_code}: {answer.text.strip()}"
                    )
                )
        self._send(200, b"".join(json.dumps(line).encode() + b"\r\n" for line in lines))


def _listed(engine: Engine, query: dict[str, str]) -> list[dict[str, Any]]:
    """`GET /images/json`: the local images, filtered by `reference` as `docker image ls
    REPOSITORY` asks (a repository name, or name:tag), one summary per tag."""
    wanted = list(json.loads(query.get("filters") or "{}").get("reference", {}))
    found = []
    for reference, image in engine.images.items():
        name = reference.rsplit(":", 1)[0]
        if wanted and not any(w in (name, reference) for w in wanted):
            continue
        found.append(
            {
                "Id": image.digest,
                "ParentId": "",
                "RepoTags": [reference],
                "RepoDigests": engine.digests.get(reference, []),
                "Created": 0,
                "Size": len(image.manifest),
                "SharedSize": -1,
                "Labels": {},
                "Containers": -1,
            }
        )
    return found


def _error(message: str) -> dict[str, Any]:
    return {"errorDetail": {"message": message}, "error": message}


@contextlib.contextmanager
def running_engine(socket_path: Path, registries: dict[str, str]) -> Iterator[Engine]:
    engine = Engine(registries)
    server = _Server(str(socket_path), _Handler)
    server.engine = engine
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield engine
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
