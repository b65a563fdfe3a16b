"""Shared test fixtures. The Harbor test vectors and Harbor's API definition are kept in the
repository (tests/data/harbor, with their provenance), so a plain clone tests itself; the
project's shared/ folder, where present, is only checked against (test_data_provenance)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HARBOR_DATA = ROOT / "tests" / "data" / "harbor"

# The example files as the command-line tests pass them (the demo's offline rules and state),
# and what they hold. One place, so a change to examples/ is followed by every test.
RULES = str(EXAMPLES / "rules.json")
STATE = str(EXAMPLES / "state.json")
OFFLINE = ("--rules-file", RULES, "--state-file", STATE)
API = "harbor.example.com/platform/api"  # a repository examples/state.json holds
API_DIGEST: str = json.loads(Path(STATE).read_text(encoding="utf-8"))[API]["v1.4.0"]
OTHER = "sha256:" + "f" * 64  # a digest no example holds


def shared_dir() -> Path:
    """The project's shared/ folder, where it may be: for checking the copies against."""
    configured = os.environ.get("TAGGUARD_SHARED")
    if configured:
        return Path(configured)
    beside = ROOT.parent / "shared"
    if beside.is_dir():
        return beside
    origin = _clone_origin()
    return origin.parent / "shared" if origin is not None else beside


def _clone_origin() -> Path | None:
    """The local repository this checkout was cloned from (`git clone /work/main $d`)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "config", "--get", "remote.origin.url"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except OSError:
        return None
    url = done.stdout.strip().removeprefix("file://")
    return Path(url) if url.startswith("/") else None


def vectors_dir() -> Path:
    return HARBOR_DATA / "vectors"


def load_vectors(name: str) -> list[dict[str, Any]]:
    """Every line of a vector file. A missing file is a failure, never a skip."""
    path = vectors_dir() / name
    if not path.is_file():
        raise FileNotFoundError(f"test vectors not found at {path}")
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach the network by accident: connections anywhere but loopback (the
    test servers) fail, and so do name lookups other than localhost."""
    import ipaddress
    import socket

    connect = socket.socket.connect
    getaddrinfo = socket.getaddrinfo

    def loopback(address: object) -> bool:
        if isinstance(address, tuple) and address:
            try:
                return ipaddress.ip_address(str(address[0])).is_loopback
            except ValueError:
                return False
        return isinstance(address, (str, bytes))  # unix sockets

    def guarded_connect(self: socket.socket, address: object) -> None:
        if not loopback(address):
            raise AssertionError(f"a test tried to connect to {address!r}, off loopback")
        connect(self, address)  # type: ignore[arg-type]

    def guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        if host not in (None, "localhost", b"localhost") and not loopback((host,)):
            raise socket.gaierror(socket.EAI_NONAME, f"name lookups are off in tests ({host!r})")
        return getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


# ------------------------------------------- no credential of the machine reaches a test run

CREDENTIAL_HELPER_PREFIX = "docker-credential-"


def without_credential_helpers(path: str, mirrors: Path) -> str:
    """`path` with no docker credential helper on it: a directory holding one is replaced
    by a mirror (under `mirrors`) of symbolic links to its other programs, so git, python
    and docker stay where they were. With a helper on PATH and a docker config naming no
    credentials, tagguard (as docker) asks the platform's store: on a developer's desktop
    that is the real keychain, docker-credential-desktop, -pass or -secretservice."""
    kept = []
    for number, directory in enumerate(path.split(os.pathsep)):
        try:
            names = os.listdir(directory or os.curdir)
        except OSError:
            kept.append(directory)
            continue
        if not any(name.startswith(CREDENTIAL_HELPER_PREFIX) for name in names):
            kept.append(directory)
            continue
        mirror = mirrors / str(number)
        mirror.mkdir(parents=True, exist_ok=True)
        for name in names:
            if not name.startswith(CREDENTIAL_HELPER_PREFIX) and not (mirror / name).exists():
                (mirror / name).symlink_to(Path(directory or os.curdir, name).absolute())
        kept.append(str(mirror))
    return os.pathsep.join(kept)


@pytest.fixture(scope="session")
def _path_without_credential_helpers(tmp_path_factory: pytest.TempPathFactory) -> str:
    return without_credential_helpers(
        os.environ.get("PATH", os.defpath), tmp_path_factory.mktemp("path-mirrors")
    )


@pytest.fixture(autouse=True)
def _no_docker_credentials_of_the_machine(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path_factory: pytest.TempPathFactory,
    _path_without_credential_helpers: str,
) -> None:
    """Every tagguard a test runs, in this process or as a child, reads an empty docker
    config of its own (DOCKER_CONFIG wins over HOME, for tagguard as for docker) and finds
    no credential helper of the machine on PATH; a test that wants one puts its own there."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path_factory.mktemp("docker-config")))
    monkeypatch.setenv("PATH", _path_without_credential_helpers)


# ------------------------------------------------------- tagguard's JSON, held to its schema

OUTPUT_SCHEMA = ROOT / "src" / "tagguard" / "schemas" / "output.schema.json"


@functools.cache
def _output_validators() -> dict[str, Any]:
    """A validator for the whole schema and one per kind of output (a message that names
    the key at fault, where the whole schema's oneOf only says none of three matched)."""
    import jsonschema

    schema = json.loads(OUTPUT_SCHEMA.read_text(encoding="utf-8"))
    validators = {"all": jsonschema.Draft7Validator(schema)}
    for kind in ("report", "explanation", "lint"):
        part = {key: value for key, value in schema.items() if key != "oneOf"}
        validators[kind] = jsonschema.Draft7Validator({**part, "$ref": f"#/definitions/{kind}"})
    return validators


def output_json(text: str) -> Any:
    """tagguard's `--format json` output (any command, an exit 2's too), parsed, after
    checking it against the published schema (src/tagguard/schemas/output.schema.json) and
    what the schema cannot say: a report's summary counts its decisions. Every test that
    reads tagguard's JSON reads it through here."""
    data = json.loads(text)
    validators = _output_validators()
    kind = "report" if "decisions" in data else "lint" if "findings" in data else "explanation"
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validators[kind].iter_errors(data)]
    assert not problems, f"tagguard's JSON breaks output.schema.json ({kind}): {problems[:5]}"
    validators["all"].validate(data)
    if kind == "report":
        counted = {v: sum(d["decision"] == v for d in data["decisions"]) for v in data["summary"]}
        assert data["summary"] == counted, (data["summary"], counted)
    return data


_BROKEN_JSON: list[str] = []


@pytest.fixture(autouse=True, scope="session")
def _json_held_to_schema() -> Iterator[None]:
    """Every JSON document tagguard prints or writes in this process, in every test (a
    report, a --report json file, explain's and lint's JSON, an exit 2's error document),
    is checked against output.schema.json as it is made. A document that breaks it fails
    the test that made it (at teardown: inside tagguard an assertion would only become an
    "internal error")."""
    import io

    from tagguard.reporters import explain, lint
    from tagguard.reporters import json as json_output

    def check(text: str) -> str:
        try:
            output_json(text)
        except (AssertionError, ValueError, LookupError) as problem:
            _BROKEN_JSON.append(str(problem))
        except Exception as problem:  # jsonschema's ValidationError
            _BROKEN_JSON.append(f"{type(problem).__name__}: {problem}")
        return text

    def checking(function: Any) -> Any:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> str:
            return check(function(*args, **kwargs))

        return wrapper

    def checking_render(function: Any, inputs: int) -> Any:
        # explain's and lint's render_json(what..., stream, color=False): `inputs` arguments,
        # then the stream it prints on.
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> None:
            printed = io.StringIO()
            function(*args[:inputs], printed, *args[inputs + 1 :], **kwargs)
            args[inputs].write(check(printed.getvalue()))

        return wrapper

    patch = pytest.MonkeyPatch()
    patch.setattr(json_output, "dumps", checking(json_output.dumps))
    patch.setattr(json_output, "error_document", checking(json_output.error_document))
    patch.setattr(explain, "render_json", checking_render(explain.render_json, 2))
    patch.setattr(lint, "render_json", checking_render(lint.render_json, 1))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _no_broken_json() -> Iterator[None]:
    _BROKEN_JSON.clear()
    yield
    broken, _BROKEN_JSON[:] = list(_BROKEN_JSON), []
    assert not broken, f"tagguard made JSON that breaks output.schema.json: {broken[:3]}"
