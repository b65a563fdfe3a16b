"""End-to-end fixtures: a real distribution registry for the session, and a fresh
Harbor-compatible server in front of it for each test."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

import pytest

from tagguard.cli import main
from tests.conftest import output_json
from tests.harbor_server.harbor import HarborState, running_harbor
from tests.harbor_server.images import Image, Pusher, make_image
from tests.harbor_server.registry import Registry, running_registry
from tests.harbor_server.users import ADMIN, harbor_state


@pytest.fixture(scope="session")
def registry() -> Iterator[Registry]:
    with running_registry() as started:
        yield started


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        """The JSON printed, checked against the published output schema."""
        return output_json(self.out)

    def undecided(self) -> dict[str, str]:
        """An exit 2 with --format json: the one object holds no verdict, and its `error` is
        what the single stderr line says."""
        assert self.code == 2, (self.code, self.err)
        data = self.json
        assert (data["decisions"], data["warnings"]) == ([], []), data
        error: dict[str, str] = data["error"]
        assert self.err == f"tagguard: error: {error['message']}\n", (self.err, error)
        return error

    def verdicts(self) -> list[str]:
        return [d["decision"] for d in self.json["decisions"]]


@dataclass
class Harbor:
    url: str
    state: HarborState
    pusher: Pusher
    monkeypatch: pytest.MonkeyPatch
    credentials: tuple[str, str] | None = ADMIN
    extra_env: dict[str, str] = field(default_factory=dict)
    plain_http: bool = True  # False for a Harbor served over https

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def ref(self, path: str) -> str:
        return f"{self.host}/{path}"

    def push(self, path: str, image: Image | None = None) -> Image:
        """Pushes an image (a new one by default) as admin and checks Harbor accepted it."""
        image = image or make_image()
        repository, _, tag = path.rpartition(":")
        answer = self.pusher.push(repository, tag, image)
        assert answer.status_code == 201, (answer.status_code, answer.text)
        return image

    def rule(self, project: str, repo: str = "**", tag: str = "**", **extra: Any) -> int:
        from tests.builders import rule_json

        data = rule_json(0, repo, tag, **extra)
        data.pop("id")
        return self.state.add_rule(project, data)

    def tagguard(
        self, *args: str, credentials: tuple[str, str] | str | None = "default", stdin: str = ""
    ) -> Run:
        """Runs the CLI in process against this Harbor, as a pipeline would."""
        creds = self.credentials if credentials == "default" else credentials
        env = {"TAGGUARD_USERNAME": "", "TAGGUARD_PASSWORD": "", **self.extra_env}
        if creds is not None and not isinstance(creds, str):
            env["TAGGUARD_USERNAME"], env["TAGGUARD_PASSWORD"] = creds
        for key, value in env.items():
            if value:
                self.monkeypatch.setenv(key, value)
            else:
                self.monkeypatch.delenv(key, raising=False)
        out, err = io.StringIO(), io.StringIO()
        self.monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        with redirect_stdout(out), redirect_stderr(err):
            # Defaults first: an option the test gives again later wins.
            scheme = ["--plain-http"] if self.plain_http else []
            code = main([args[0], *scheme, "--timeout", "5", "--deadline", "20", *args[1:]])
        return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def harbor(registry: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Iterator[Harbor]:
    # No docker config of the machine may leak in: an empty one for each test, and a home
    # of its own (tests/conftest.py keeps the machine's credential helpers off PATH).
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    state = harbor_state()
    with running_harbor(registry.url, state) as (url, started):
        yield Harbor(url, started, Pusher(url, ADMIN), monkeypatch)
