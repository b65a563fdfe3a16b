"""The Harbor API client's answers to malformed, partial and refusing servers."""

from __future__ import annotations

import json
import re

import pytest
import responses

from tagguard.core import glob
from tagguard.core.harbor_version import AT_LEAST_2_13, glob_version_for, parse_harbor_version
from tagguard.errors import AuthError, RemoteError
from tagguard.shell.harbor import SUSPECT_TAG_COUNT, HarborClient, encode_repository
from tagguard.shell.http import Http, TransportOptions
from tests.builders import rule_json

BASE = "https://harbor.test"
DIGEST = "sha256:" + "d" * 64
ARTIFACT = re.compile(
    r"https://harbor\.test/api/v2\.0/projects/p/repositories/[^/]+/artifacts/[^/?]+\?.*"
)
RULES = re.compile(r"https://harbor\.test/api/v2\.0/projects/p/immutabletagrules\?.*")


def client() -> HarborClient:
    return HarborClient(Http(TransportOptions(retries=0)), BASE)


def test_repositories_are_encoded_twice() -> None:
    assert encode_repository("team/app") == "team%252Fapp"
    assert encode_repository("app") == "app"


@responses.activate
def test_artifact_and_its_flags() -> None:
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": [{"name": "v1", "immutable": True}]})
    found = client().artifact("p", "team/app", "v1")
    assert found is not None
    assert found.digest == DIGEST
    assert found.tag("v1") is not None
    url = str(responses.calls[0].request.url)
    assert "team%252Fapp" in url
    assert "with_immutable_status=true" in url


@pytest.mark.parametrize(
    ("body", "absent"),
    [
        ({"errors": [{"code": "NOT_FOUND", "message": "artifact p/app:v1 not found"}]}, True),
        ({"errors": [{"code": "NOT_FOUND", "message": "repository p/app not found"}]}, True),
        ({"errors": [{"code": "NOT_FOUND", "message": "project p not found"}]}, False),
        (
            {
                "code": 404,
                "message": "path /api/v2.0/projects/p/repositories/team/app/artifacts/v1 was not found",
            },
            False,
        ),
        ({"errors": [{"code": "UNKNOWN", "message": "artifact gone not found"}]}, False),
    ],
)
@responses.activate
def test_only_harbors_not_found_for_the_artifact_means_absent(body: object, absent: bool) -> None:
    responses.get(ARTIFACT, status=404, json=body)
    if absent:
        assert client().artifact("p", "app", "v1") is None
    else:
        with pytest.raises(RemoteError, match="answered 404"):
            client().artifact("p", "app", "v1")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            {"body": "<html>login</html>", "content_type": "text/html"},
            "answered with text/html, not JSON",
        ),
        ({"body": '{"digest": "sha2', "content_type": "application/json"}, "malformed JSON"),
        ({"json": {"digest": "md5:x", "tags": []}}, "is not a digest"),
        ({"json": {"tags": []}}, "has no digest"),
        (
            {"json": {"digest": DIGEST, "tags": [{"name": "v1"}]}},
            "did not report whether tag 'v1' is immutable",
        ),
        ({"json": {"digest": DIGEST, "tags": "v1"}}, "tags are not a list"),
        ({"json": ["not", "an", "artifact"]}, "something other than an artifact"),
        (
            {"status": 500, "json": {"errors": [{"code": "INTERNAL", "message": "db down"}]}},
            "answered 500 INTERNAL: db down",
        ),
        ({"status": 401, "json": {}}, "refused anonymous access \\(401\\)"),
        ({"status": 403, "json": {}}, "forbids it for anonymous access"),
    ],
)
@responses.activate
def test_malformed_or_refusing_answers_are_errors(reply: dict[str, object], message: str) -> None:
    responses.get(ARTIFACT, **reply)
    with pytest.raises(RemoteError, match=message):
        client().artifact("p", "app", "v1")


@responses.activate
def test_auth_errors_are_auth_errors() -> None:
    responses.get(ARTIFACT, status=401, json={})
    with pytest.raises(AuthError):
        client().artifact("p", "app", "v1")


@responses.activate
def test_rules_paging_follows_link_and_total() -> None:
    page_one = [rule_json(i) for i in range(1, 101)]
    page_two = [rule_json(101)]
    responses.get(
        RULES,
        json=page_one,
        headers={
            "X-Total-Count": "101",
            "Link": '</api/v2.0/projects/p/immutabletagrules?page=2&page_size=100>; rel="next"',
        },
    )
    responses.get(
        RULES,
        json=page_two,
        headers={
            "X-Total-Count": "101",
            "Link": '</api/v2.0/projects/p/immutabletagrules?page=1&page_size=100>; rel="prev"',
        },
    )
    found = client().rules("p")
    assert found.rules is not None
    assert len(found.rules) == 101
    assert responses.calls[0].request.headers["X-Is-Resource-Name"] == "true"


@responses.activate
def test_rules_shorter_than_the_total_are_an_error() -> None:
    responses.get(RULES, json=[rule_json(1)], headers={"X-Total-Count": "5"})
    with pytest.raises(RemoteError, match="said 5 rules but sent 1"):
        client().rules("p")


@responses.activate
def test_rules_forbidden_is_an_answer() -> None:
    responses.get(
        RULES, status=403, json={"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]}
    )
    found = client().rules("p")
    assert found.rules is None
    assert "403" in found.unavailable_reason


@responses.activate
def test_malformed_rules_from_harbor_are_remote_errors() -> None:
    responses.get(RULES, json=[{"id": "one"}])
    with pytest.raises(RemoteError, match="id must be an integer"):
        client().rules("p")


@responses.activate
def test_version() -> None:
    responses.get(f"{BASE}/api/v2.0/systeminfo", json={"harbor_version": "v2.11.0-abc"})
    assert client().version() == "v2.11.0-abc"


@responses.activate
def test_an_anonymous_answer_without_the_version_is_harbor_2_13_or_later() -> None:
    """From v2.13.0 `harbor_version` is protected info (GetSystemInfo,
    src/server/v2.0/handler/systeminfo.go; goharbor/harbor#21672): an anonymous caller gets
    `auth_mode` and the like but no version, and every such Harbor links doublestar v1.3.4."""
    responses.get(f"{BASE}/api/v2.0/systeminfo", json={"auth_mode": "db_auth"})
    reported = client().version()
    assert reported == AT_LEAST_2_13
    assert glob_version_for(reported) == glob.V1_3_4
    assert parse_harbor_version(reported) == parse_harbor_version("2.13.0")
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
def test_an_authenticated_answer_without_the_version_is_unknown() -> None:
    """Harbor always sends an authenticated caller its version: without it, something else
    (a proxy, a look-alike) answered, and nothing can be inferred."""
    from tagguard.shell.credentials import Credential

    responses.get(f"{BASE}/api/v2.0/systeminfo", json={"auth_mode": "db_auth"})
    harbor = HarborClient(Http(TransportOptions(retries=0)), BASE, Credential("u", "pw", "test"))
    assert harbor.version() is None
    assert responses.calls[0].request.headers["Authorization"].startswith("Basic ")


@responses.activate
@pytest.mark.parametrize("body", [{}, {"harbor_version": ""}, [], {"auth_mode": 1}])
def test_an_answer_that_is_not_harbors_systeminfo_says_no_version(body: object) -> None:
    responses.get(f"{BASE}/api/v2.0/systeminfo", json=body)
    assert client().version() is None


@responses.activate
def test_many_tags_are_listed_page_by_page() -> None:
    tags = [{"id": i, "name": f"t{i}", "immutable": False} for i in range(100)]
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": tags})
    list_url = re.compile(r".*/artifacts/sha256%3A[0-9a-f]+/tags\?.*")
    total = {"X-Total-Count": "101"}
    responses.get(
        list_url, json=tags, headers={**total, "Link": '</api/v2.0/next?page=2>; rel="next"'}
    )
    responses.get(
        f"{BASE}/api/v2.0/next?page=2",
        json=[{"id": 100, "name": "t100", "immutable": True}],
        headers=total,
    )
    found = client().artifact("p", "app", "t0")
    assert found is not None
    assert len(found.tags) == 101
    assert found.tag("t100") is not None
    assert json.loads(json.dumps([t.name for t in found.tags]))[-1] == "t100"
    assert "sort=id" in str(responses.calls[1].request.url)


@responses.activate
def test_fewer_tags_than_a_page_are_taken_as_whole() -> None:
    """Harbor puts every tag into the artifact answer (populateTags,
    src/controller/artifact/controller.go, lists them with no page size): below
    SUSPECT_TAG_COUNT no tag list is read."""
    tags = [{"id": i, "name": f"t{i}", "immutable": False} for i in range(SUSPECT_TAG_COUNT - 1)]
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": tags})
    found = client().artifact("p", "app", "t0")
    assert found is not None
    assert len(found.tags) == SUSPECT_TAG_COUNT - 1
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/api/v2.0/repositories?page=2",
        "http://harbor.test/api/v2.0/repositories?page=2",  # the password in clear
        "https://harbor.test:8443/api/v2.0/repositories?page=2",
    ],
)
def test_a_next_page_elsewhere_is_refused_before_credentials_go_there(link: str) -> None:
    from tagguard.shell.credentials import Credential

    responses.get(
        re.compile(r"https://harbor\.test/api/v2\.0/repositories\?.*"),
        json=[{"name": "p/a"}],
        headers={"Link": f'<{link}>; rel="next"'},
    )
    harbor = HarborClient(Http(TransportOptions(retries=0)), BASE, Credential("u", "pw", "test"))
    with pytest.raises(RemoteError, match=r"next-page link .* outside https://harbor\.test"):
        harbor.repositories()
    assert len(responses.calls) == 1


@responses.activate
def test_a_count_that_only_unicode_calls_a_digit() -> None:
    responses.get(
        re.compile(r"https://harbor\.test/api/v2\.0/projects/p/repositories/app/artifacts\?.*"),
        json=[],
        headers={"X-Total-Count": "\xb2"},
    )
    with pytest.raises(RemoteError, match="is not a count"):
        client().artifacts_page("p", "app", 1)
