"""Live Harbor behaviours beyond the matrix: the cross-check, roles, credentials, paging,
the Harbor version, retag sources in other registries, and failing closed."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Harbor
from tests.harbor_server.harbor import HarborState, running_harbor
from tests.harbor_server.images import Pusher, make_image
from tests.harbor_server.registry import Registry, free_port
from tests.harbor_server.users import DEVELOPER, ROBOT


def test_harbors_flag_and_the_rules_must_agree(harbor: Harbor) -> None:
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/app:v1")
    harbor.push("proj/app:dev")
    harbor.state.flip_immutable = True
    run = harbor.tagguard(
        "push",
        harbor.ref("proj/app:v1"),
        harbor.ref("proj/app:dev"),
        "--digest",
        image.digest,
        "--format",
        "json",
    )
    assert run.code == 1
    assert run.verdicts() == ["block", "block"]
    first, second = run.json["decisions"]
    assert (
        "tagguard's reading of the rules says immutable by rule 1, but Harbor reports the tag mutable"
        in first["reason"]
    )
    assert "says mutable, but Harbor reports the tag immutable" in second["reason"]
    assert first["immutable"] is None


def test_developers_cannot_list_rules_so_harbors_flag_decides(harbor: Harbor) -> None:
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    run = harbor.tagguard(
        "push",
        harbor.ref("proj/app:v1"),
        harbor.ref("proj/app:v2"),
        "--digest",
        make_image().digest,
        "--format",
        "json",
        credentials=DEVELOPER,
    )
    assert run.code == 1
    assert run.verdicts() == ["block", "allow"]
    assert run.json["decisions"][0]["rule_id"] is None
    assert "rule details are unavailable" in run.json["decisions"][0]["reason"]
    (warning,) = run.json["warnings"]
    assert warning["code"] == "rules-unavailable"
    assert "403" in warning["message"]


def test_anonymous_access_to_a_public_project_lets_harbors_flag_decide(harbor: Harbor) -> None:
    """Harbor refuses to list rules to an anonymous caller with 401, not 403, a public
    project's too (handler/immutable.go ListImmuRules -> base.go RequireProjectAccess:
    UnauthorizedError when the security context is not authenticated). Anonymous access
    may read a public project's artifacts, so the check goes on with Harbor's own flag;
    it failed with exit 2 ("refused anonymous access (401)")."""
    harbor.state.add_project("pub", public=True)
    harbor.rule("pub", tag="v*")
    harbor.push("pub/app:v1")
    anonymous = requests.get(
        f"{harbor.url}/api/v2.0/projects/pub/immutabletagrules",
        headers={"X-Is-Resource-Name": "true"},
        timeout=10,
    )
    assert anonymous.status_code == 401  # the server, as Harbor answers
    refs = (harbor.ref("pub/app:v1"), harbor.ref("pub/app:v2"))
    run = harbor.tagguard(
        "push", *refs, "--digest", make_image().digest, "--format", "json", credentials=None
    )
    assert run.code == 1, run.err
    assert run.verdicts() == ["block", "allow"]
    (warning,) = run.json["warnings"]
    assert warning["code"] == "rules-unavailable"
    assert "Harbor lets no anonymous access list the project's" in warning["message"]


def test_a_robot_with_dollar_in_its_name_via_password_stdin(harbor: Harbor) -> None:
    harbor.rule("proj", tag="v*")
    harbor.state.users[ROBOT[0]].permissions.add("proj:immutable-tag:list")
    harbor.push("proj/app:v1")
    run = harbor.tagguard(
        "push",
        harbor.ref("proj/app:v1"),
        "--digest",
        make_image().digest,
        "--username",
        ROBOT[0],
        "--password-stdin",
        credentials=None,
        stdin=ROBOT[1] + "\n",
    )
    assert run.code == 1, run.err
    assert run.out.startswith("block")
    assert ROBOT[1] not in run.out + run.err


def test_wrong_or_missing_credentials_fail_closed_in_one_line(harbor: Harbor) -> None:
    harbor.push("proj/app:v1")
    for credentials in (None, ("admin", "not-the-password-3141")):
        run = harbor.tagguard("push", harbor.ref("proj/app:v1"), credentials=credentials)
        assert run.code == 2
        assert run.out == ""
        assert run.err.count("\n") == 1
        assert "401" in run.err
        assert "not-the-password-3141" not in run.err


def test_all_digit_project_names_are_sent_as_names(harbor: Harbor) -> None:
    # Project "123" has id 3; without X-Is-Resource-Name Harbor would look up id 123.
    harbor.rule("123", tag="v*")
    harbor.push("123/app:v1")
    run = harbor.tagguard("push", harbor.ref("123/app:v1"), "--digest", make_image().digest)
    assert run.code == 1, run.err
    rules_requests = [
        p for _, p in harbor.state.requests_to("/api/v2.0/projects/123/immutabletagrules")
    ]
    assert rules_requests


def test_more_than_a_page_of_rules_is_read_to_the_end(harbor: Harbor) -> None:
    for i in range(1, 151):
        harbor.rule("proj", repo=f"nothing-{i}" if i != 150 else "**", tag="v*")
    harbor.push("proj/app:v1")
    run = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--digest", make_image().digest, "--format", "json"
    )
    assert run.code == 1, run.err
    assert run.json["decisions"][0]["rule_id"] == 150
    pages = harbor.state.requests_to("/api/v2.0/projects/proj/immutabletagrules")
    assert len(pages) == 2
    assert all("page_size=100" in path for _, path in pages)


def test_the_harbor_version_picks_the_glob(harbor: Harbor) -> None:
    # '{app,tools/x}' holds '/' in braces: a pattern error (fail open) before 2.10.3.
    harbor.rule("proj", repo="{app,tools/x}", tag="**")
    harbor.push("proj/app:v1")
    other = make_image().digest
    new = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", other, "--format", "json")
    assert new.verdicts() == ["block"]
    harbor.state.version = "v2.10.1-abc"
    old = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", other, "--format", "json")
    assert old.verdicts() == ["allow"]
    assert old.json["warnings"][0]["code"] == "broken-rule"
    assert harbor.pusher.push("proj/app", "v1", make_image()).status_code == 201
    forced = harbor.tagguard(
        "push",
        harbor.ref("proj/app:v1"),
        "--digest",
        other,
        "--harbor-version",
        "2.11.0",
        "--format",
        "json",
    )
    assert forced.verdicts() == ["block"]


def test_artifacts_with_many_tags_are_read_in_full(harbor: Harbor) -> None:
    harbor.rule("proj", tag="zz-locked")
    image = harbor.push("proj/app:t000")
    for i in range(1, 105):
        harbor.push(f"proj/app:t{i:03d}", image)
    harbor.push("proj/app:zz-locked", image)
    run = harbor.tagguard("delete", "--artifact", harbor.ref("proj/app:t000"), "--format", "json")
    assert run.verdicts() == ["block"]
    assert "deletes tag zz-locked, which is immutable" in run.json["decisions"][0]["reason"]


def test_explain_live(harbor: Harbor) -> None:
    harbor.rule("proj", repo="team/**", tag="v*")
    harbor.push("proj/team/app:v1")
    run = harbor.tagguard("explain", harbor.ref("proj/team/app:v1"))
    assert run.code == 0, run.err
    assert "=> immutable (rule 1)" in run.out
    assert "state: the tag exists, at sha256:" in run.out


def test_retag_source_in_a_plain_registry(harbor: Harbor, registry: Registry) -> None:
    source = make_image()
    assert Pusher(registry.url).push("library/src", "1.0", source).status_code == 201
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1", source)
    plain_host = registry.url.split("://")[1]
    run = harbor.tagguard(
        "retag",
        f"{plain_host}/library/src:1.0",
        harbor.ref("proj/app:v1"),
        harbor.ref("proj/app:v2"),
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    assert run.verdicts() == ["skip", "allow"]
    assert {d["new_digest"] for d in run.json["decisions"]} == {source.digest}


def test_retag_source_in_a_second_harbor_uses_one_token_per_scope(
    harbor: Harbor, registry: Registry, tmp_path: Path
) -> None:
    second = HarborState()
    second.add_user("reader", "reader-pw")
    second.add_project("src", members={"reader": "guest"})
    second.add_user("admin", "pw", admin=True)
    with running_harbor(registry.url, second) as (url, state):
        pusher = Pusher(url, ("admin", "pw"))
        images = [make_image(), make_image()]
        assert pusher.push("src/a", "1", images[0]).status_code == 201
        assert pusher.push("src/b", "1", images[1]).status_code == 201
        host = url.split("://")[1]
        docker = tmp_path / "docker"
        docker.mkdir()
        (docker / "config.json").write_text(
            json.dumps({"auths": {host: {"auth": _b64("reader:reader-pw")}}})
        )
        harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
        for name, image in zip(("a", "b"), images, strict=True):
            run = harbor.tagguard(
                "retag", f"{host}/src/{name}:1", harbor.ref("proj/app:new"), "--format", "json"
            )
            assert run.code == 0, run.err
            assert run.json["decisions"][0]["new_digest"] == image.digest
        # The retag sources go through /v2/ with Bearer tokens from the second Harbor's
        # token service: one per repository scope.
        assert len(state.requests_to("/service/token")) == 2
        assert all("reader" not in p for _, p in state.requests_to("/service/token"))


def test_a_credential_helper_from_the_docker_config(harbor: Harbor, tmp_path: Path) -> None:
    helper = tmp_path / "bin" / "docker-credential-fake"
    helper.parent.mkdir()
    helper.write_text(
        "#!/bin/sh\nread host\n"
        f'[ "$host" = "{harbor.host}" ] && printf \'{{"ServerURL":"%s","Username":"admin","Secret":"Harbor12345"}}\' "$host" && exit 0\n'
        'echo "credentials not found in native keychain"; exit 1\n'
    )
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    harbor.monkeypatch.setenv("PATH", f"{helper.parent}:{__import__('os').environ['PATH']}")
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / "config.json").write_text(json.dumps({"credHelpers": {harbor.host: "fake"}}))
    harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    run = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--digest", make_image().digest, credentials=None
    )
    assert run.code == 1, run.err
    assert run.out.startswith("block")


@pytest.mark.parametrize(
    ("key", "code"),
    [("Harbor.Example.com", 1), ("harbor.example.com", 2), ("HARBOR.EXAMPLE.COM", 2)],
)
def test_the_docker_config_is_asked_under_the_host_as_written(
    harbor: Harbor, tmp_path: Path, key: str, code: int
) -> None:
    """docker 28.2.2 pushing Harbor.Example.com/... sent the login of auths["Harbor.Example.com"]
    and none for the other spellings (docker/cli ResolveAuthConfig keeps the host's case);
    tagguard asks for the same, while --harbor-url and the report know the host lower-cased."""
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / "config.json").write_text(
        json.dumps({"auths": {key: {"auth": _b64("admin:Harbor12345")}}})
    )
    harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    run = harbor.tagguard(
        "push",
        "Harbor.Example.com/proj/app:v1",
        "--digest",
        make_image().digest,
        "--harbor-url",
        f"harbor.example.com={harbor.url}",
        credentials=None,
    )
    assert run.code == code, run.err
    if code == 1:
        assert run.out.startswith("block  Harbor.Example.com/proj/app:v1"), run.out
    else:
        assert "refused anonymous access (401)" in run.err


def test_harbor_url_maps_a_registry_name_to_where_harbor_listens(harbor: Harbor) -> None:
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    run = harbor.tagguard(
        "push",
        "harbor.example.com/proj/app:v1",
        "--digest",
        make_image().digest,
        "--harbor-url",
        f"harbor.example.com={harbor.url}",
    )
    assert run.code == 1, run.err
    assert run.out.startswith("block  harbor.example.com/proj/app:v1")


def test_a_refused_connection_fails_closed_fast(harbor: Harbor) -> None:
    closed = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    run = harbor.tagguard("push", f"{closed}/proj/app:v1")
    elapsed = time.monotonic() - started
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert f"cannot connect to http://{closed}: connection refused" in run.err
    assert elapsed < 5


def test_on_error_warn_lets_a_step_continue(harbor: Harbor) -> None:
    closed = f"127.0.0.1:{free_port()}"
    run = harbor.tagguard("push", f"{closed}/proj/app:v1", "--on-error", "warn", "--format", "json")
    assert run.code == 0
    assert run.json["decisions"] == []
    assert run.json["warnings"][0]["code"] == "undecided"


def test_every_request_has_a_timeout(harbor: Harbor) -> None:
    # Recorded where requests hands each request to urllib3: tagguard's requests go
    # straight to the adapter (tagguard.shell.http), and any other way would pass it too.
    seen: list[Any] = []
    original = requests.adapters.HTTPAdapter.send

    def recording(
        self: requests.adapters.HTTPAdapter, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        if url.startswith(harbor.url) and "tagguard" in str(request.headers.get("User-Agent")):
            seen.append(kwargs.get("timeout"))
        return original(self, request, **kwargs)

    harbor.monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", recording)
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", make_image().digest)
    harbor.tagguard("delete", "--artifact", harbor.ref("proj/app:v1"))
    harbor.tagguard("explain", harbor.ref("proj/app:v1"))
    assert len(seen) >= 6
    assert all(isinstance(t, tuple) and all(0 < part <= 5 for part in t) for t in seen)


@pytest.mark.parametrize("encoding", ["single", "double"])
def test_only_double_encoding_reaches_the_artifact(harbor: Harbor, encoding: str) -> None:
    from tagguard.shell import harbor as harbor_module
    from tagguard.shell.harbor import HarborClient
    from tagguard.shell.http import Http

    harbor.push("proj/team/app:v1")
    if encoding == "single":
        harbor.monkeypatch.setattr(
            harbor_module, "encode_repository", lambda name: name.replace("/", "%2F")
        )
    client = HarborClient(
        Http(),
        harbor.url,
        __import__("tagguard.shell.credentials", fromlist=["Credential"]).Credential(
            "admin", "Harbor12345"
        ),
    )
    if encoding == "double":
        found = client.artifact("proj", "team/app", "v1")
        assert found is not None
        assert [t.name for t in found.tags] == ["v1"]
        assert client.artifact("proj", "team/app", "nope") is None
    else:
        from tagguard.errors import RemoteError

        # Single encoding hits no route: an error, never an "absent" tag (which would allow).
        with pytest.raises(RemoteError, match="answered 404"):
            client.artifact("proj", "team/app", "v1")


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_503_twice_then_an_answer_is_retried_to_a_verdict(harbor: Harbor) -> None:
    from tests.harbor_server.harbor import Fault, status

    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    harbor.state.faults.append(Fault(r"/artifacts/v1\?", status(503), method="GET", times=2))
    run = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", make_image().digest)
    assert run.code == 1, run.err
    assert (
        len(harbor.state.requests_to("/api/v2.0/projects/proj/repositories/app/artifacts/v1")) == 3
    )


def test_a_silent_server_is_bounded_by_the_timeout(harbor: Harbor) -> None:
    from tests.harbor_server.harbor import Fault, hang

    harbor.state.faults.append(Fault(r"/immutabletagrules", hang))
    started = time.monotonic()
    run = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--timeout", "0.5", "--deadline", "3")
    assert run.code == 2
    assert "sent no answer within 0.5 s" in run.err or "deadline" in run.err
    assert time.monotonic() - started < 5
