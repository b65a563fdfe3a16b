"""The Harbor API client's answers to malformed, partial and refusing servers."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers

from tagguard.core import glob
from tagguard.core.harbor_version import AT_LEAST_2_13, glob_version_for, parse_harbor_version
from tagguard.core.rules import parse_rules
from tagguard.core.state import Accessory, ArtifactInfo, ProjectInfo, ProjectRules, TagInfo
from tagguard.errors import AuthError, RemoteError, RulesError
from tagguard.shell.harbor import (
    SUSPECT_TAG_COUNT,
    HarborClient,
    check_pages,
    encode_repository,
)
from tagguard.shell.http import Http, TransportOptions
from tests.builders import policy_json, rule_json

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


@responses.activate
def test_a_tags_push_time_is_read_and_a_missing_or_malformed_one_is_unknown() -> None:
    # Harbor's Tag model (swagger.yaml `Tag.push_time`, date-time): a copy's push event names
    # the tag pushed last (tag model GetDefaultSorts), so tagguard keeps when each was.
    # Without it (or unreadable), the order is unknown: None, never a guess.
    tags = [
        {"name": "v1", "immutable": True, "push_time": "2024-03-05T10:11:12.345Z"},
        {"name": "v2", "immutable": True},
        {"name": "v3", "immutable": True, "push_time": "yesterday"},
    ]
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": tags})
    found = client().artifact("p", "team/app", "v1")
    assert found is not None
    times = {t.name: t.push_time for t in found.tags}
    assert times == {
        "v1": datetime(2024, 3, 5, 10, 11, 12, 345000, tzinfo=UTC),
        "v2": None,
        "v3": None,
    }


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
    assert "anonymous access" in found.unavailable_reason


@responses.activate
def test_a_401_to_credentials_is_no_answer_but_an_error() -> None:
    """Only anonymous access may be refused the rules with 401 as an answer: to credentials
    a 401 says they are wrong, and the run fails closed."""
    from tagguard.shell.credentials import Credential

    responses.get(RULES, status=401, json={"errors": [{"code": "UNAUTHORIZED"}]})
    credential = Credential("dev", "not-the-password", "test")
    with pytest.raises(AuthError, match="refused the credentials of dev"):
        HarborClient(Http(TransportOptions(retries=0)), BASE, credential).rules("p")
    assert client().rules("p").rules is None  # the same 401 to anonymous access: an answer


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
def test_tags_keep_the_order_harbor_lists_them_in_only_from_the_artifact_answer() -> None:
    """The artifact answer's tags are in the order a copy's event picks from (populateTags:
    push time, then id, both descending); a tag list read by id is not."""
    tags = [
        {"id": 1, "name": "v1", "immutable": False},
        {"id": 2, "name": "v2", "immutable": False},
    ]
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": tags})
    found = client().artifact("p", "app", "v1")
    assert found is not None
    assert found.tags_in_harbor_order
    many = [{"id": i, "name": f"t{i}", "immutable": False} for i in range(SUSPECT_TAG_COUNT)]
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": many})
    responses.get(re.compile(r".*/tags\?.*"), json=many, headers={"X-Total-Count": str(len(many))})
    read_by_id = client().artifact("p", "app", "v1")
    assert read_by_id is not None
    assert not read_by_id.tags_in_harbor_order


@responses.activate
@pytest.mark.parametrize(
    "link",
    [
        "https://evil.test/api/v2.0/repositories?page=2",
        "http://harbor.test/api/v2.0/repositories?page=2",  # the password in clear
        "https://harbor.test:8443/api/v2.0/repositories?page=2",
        "http://[::1/api/v2.0/repositories?page=2",  # no URL at all: was an internal error
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


# -- whole artifacts ----------------------------------------------------------------------

CHILD = "sha256:" + "c" * 64
SIGNATURE = "sha256:" + "5" * 64
SBOM = "sha256:" + "b" * 64
ARTIFACTS = re.compile(
    r"https://harbor\.test/api/v2\.0/projects/p/repositories/[^/]+/artifacts\?.*"
)


def whole_artifact(digest: str = DIGEST, artifact_id: int = 1) -> dict[str, object]:
    """An index as Harbor answers it with with_accessory and with_label (swagger.yaml's
    Artifact, Reference, Accessory and Label models)."""
    return {
        "id": artifact_id,
        "digest": digest,
        "media_type": "application/vnd.oci.image.index.v1+json",
        "tags": [{"id": artifact_id, "name": f"v{artifact_id}", "immutable": True}],
        "references": [
            {"parent_id": artifact_id, "child_id": 9, "child_digest": CHILD, "platform": {}}
        ],
        "accessories": [
            {"id": 1, "artifact_id": 7, "digest": SIGNATURE, "type": "signature.cosign"},
            {"id": 2, "artifact_id": 8, "digest": SBOM, "type": "harbor.sbom"},
        ],
        "labels": [{"id": 3, "name": "release", "scope": "g"}, {"id": 4, "name": "qa"}],
    }


@responses.activate
def test_the_artifact_answer_is_read_whole_in_one_request() -> None:
    responses.get(ARTIFACT, json=whole_artifact())
    found = client().artifact("p", "team/app", "v1")
    assert found is not None
    assert found.children == (CHILD,)
    assert found.accessories == (
        Accessory(SIGNATURE, "signature.cosign"),
        Accessory(SBOM, "harbor.sbom"),
    )
    assert found.labels == ("release", "qa")
    assert found.tag("v1") == TagInfo("v1", True)
    url = str(responses.calls[0].request.url)
    assert "with_accessory=true" in url
    assert "with_label=true" in url
    assert len(responses.calls) == 1


@responses.activate
def test_the_artifact_list_is_read_whole() -> None:
    other = "sha256:" + "e" * 64
    responses.get(
        ARTIFACTS,
        json=[whole_artifact(), whole_artifact(other, 2)],
        headers={"X-Total-Count": "2"},
    )
    found = client().artifacts("p", "team/app")
    assert [a.digest for a in found] == [DIGEST, other]
    assert all(a.children == (CHILD,) and len(a.accessories) == 2 for a in found)
    url = str(responses.calls[0].request.url)
    assert "with_accessory=true" in url
    assert "with_label=true" in url
    assert "sort=id" in url


@responses.activate
def test_an_artifact_without_references_accessories_or_labels() -> None:
    # Go's JSON encoder writes an empty slice as null, or omits it.
    responses.get(
        ARTIFACT, json={"digest": DIGEST, "tags": None, "references": None, "accessories": None}
    )
    found = client().artifact("p", "app", "v1")
    assert found == ArtifactInfo(DIGEST)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("references", {"child_digest": CHILD}, "references are not a list"),
        ("references", [{"child_id": 9}], "a reference of harbor.test's artifact has no digest"),
        ("references", ["sha256:x"], "a reference of harbor.test's artifact has no digest"),
        ("references", [{"child_digest": "sha256:x"}], "'sha256:x' is not a digest"),
        ("accessories", "signature.cosign", "accessories are not a list"),
        ("accessories", [{"type": "signature.cosign"}], "an accessory of .* has no digest"),
        ("accessories", [{"digest": "md5:1", "type": "x"}], "'md5:1' is not a digest"),
        ("accessories", [{"digest": SIGNATURE, "type": 3}], "without a type"),
        ("accessories", [{"digest": SIGNATURE}], "without a type"),
        ("labels", {"name": "qa"}, "labels are not a list"),
        ("labels", [{"name": ["qa"]}], "a label without a name"),
        ("labels", ["qa"], "a label without a name"),
    ],
)
@responses.activate
def test_malformed_parts_of_an_artifact_are_one_line_errors(
    field: str, value: object, message: str
) -> None:
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": [], field: value})
    with pytest.raises(RemoteError, match=message) as raised:
        client().artifact("p", "app", "v1")
    assert raised.value.message.startswith("reading p/app:v1: ")
    assert "harbor.test" in raised.value.message
    assert "\n" not in raised.value.message


# -- lists: sorted by id, read whole -------------------------------------------------------

REPOSITORIES = re.compile(r"https://harbor\.test/api/v2\.0/repositories\?.*")


def repository(i: int) -> dict[str, object]:
    return {"id": i, "project_id": 1, "name": f"p/r{i}"}


def artifact_item(i: int) -> dict[str, object]:
    return {"id": i, "digest": f"sha256:{i:064x}", "tags": []}


@responses.activate
def test_every_list_is_asked_in_id_order() -> None:
    """Every route takes `sort` (swagger.yaml); a key the model lacks is silently dropped
    (setSorts, src/lib/orm/query.go), and RepoRecord's id column is repository_id
    (src/pkg/repository/model/model.go)."""
    one = {"X-Total-Count": "1"}
    responses.get(RULES, json=[rule_json(1)], headers=one)
    responses.get(ARTIFACTS, json=[artifact_item(1)], headers=one)
    responses.get(REPOSITORIES, json=[repository(1)], headers=one)
    harbor = client()
    harbor.rules("p")
    harbor.artifacts("p", "app")
    harbor.artifacts_page("p", "app", 1)
    assert harbor.repositories() == ["p/r1"]
    queries = [str(c.request.url).split("?", 1)[1].split("&") for c in responses.calls]
    assert "sort=id" in queries[0]
    assert "sort=id" in queries[1]
    assert "sort=id" in queries[2]
    assert "sort=repository_id" in queries[3]


def two_pages(
    url: re.Pattern[str], first: list[object], second: list[object], totals: tuple[str, str]
) -> None:
    responses.get(
        url,
        json=first,
        headers={"X-Total-Count": totals[0], "Link": '</api/v2.0/page2?page=2>; rel="next"'},
    )
    responses.get(
        f"{BASE}/api/v2.0/page2?page=2", json=second, headers={"X-Total-Count": totals[1]}
    )


@responses.activate
@pytest.mark.parametrize(
    ("question", "url", "item"),
    [
        ("artifacts", ARTIFACTS, artifact_item),
        ("repositories", REPOSITORIES, repository),
    ],
)
def test_an_id_read_twice_is_an_error(question: str, url: re.Pattern[str], item: Any) -> None:
    """Without a stable order, LIMIT/OFFSET pages can repeat one item and skip another: the
    count still adds up, the repeat gives it away."""
    two_pages(url, [item(1), item(2)], [item(2)], ("3", "3"))
    with pytest.raises(RemoteError, match="id 2 twice"):
        ask(question)


@responses.activate
@pytest.mark.parametrize(
    ("question", "url", "item"),
    [
        ("artifacts", ARTIFACTS, artifact_item),
        ("repositories", REPOSITORIES, repository),
    ],
)
def test_a_count_that_moves_between_pages_is_an_error(
    question: str, url: re.Pattern[str], item: Any
) -> None:
    two_pages(url, [item(1), item(2)], [item(4)], ("4", "3"))
    with pytest.raises(RemoteError, match="count went from 4 to 3 between pages"):
        ask(question)


@responses.activate
@pytest.mark.parametrize(
    ("question", "url", "item", "message"),
    [
        ("artifacts", ARTIFACTS, artifact_item, "said 3 artifacts but sent 2"),
        ("repositories", REPOSITORIES, repository, "said 3 repositories but sent 2"),
    ],
)
def test_fewer_ids_than_counted_is_an_error(
    question: str, url: re.Pattern[str], item: Any, message: str
) -> None:
    two_pages(url, [item(1)], [item(2)], ("3", "3"))
    with pytest.raises(RemoteError, match=message):
        ask(question)


@responses.activate
@pytest.mark.parametrize(
    ("question", "url", "item"),
    [
        ("rules", RULES, rule_json),
        ("artifacts", ARTIFACTS, artifact_item),
        ("repositories", REPOSITORIES, repository),
        ("artifacts_page", ARTIFACTS, artifact_item),
    ],
)
def test_a_list_without_a_count_is_an_error(question: str, url: re.Pattern[str], item: Any) -> None:
    responses.get(url, json=[item(1)])
    with pytest.raises(RemoteError, match="did not say how many"):
        ask(question)


@responses.activate
@pytest.mark.parametrize("question", ["artifacts", "repositories", "artifacts_page"])
def test_a_list_item_without_an_id_is_an_error(question: str) -> None:
    url = REPOSITORIES if question == "repositories" else ARTIFACTS
    item = {"name": "p/a"} if question == "repositories" else {"digest": DIGEST, "tags": []}
    responses.get(url, json=[item], headers={"X-Total-Count": "1"})
    with pytest.raises(RemoteError, match="without an id"):
        ask(question)


def ask(question: str) -> object:
    harbor = client()
    if question == "rules":
        return harbor.rules("p")
    if question == "artifacts":
        return harbor.artifacts("p", "app")
    if question == "artifacts_page":
        return harbor.artifacts_page("p", "app", 1)
    return harbor.repositories()


def rule_pages_answered(first: list[Any], second: Any, totals: tuple[str, str]) -> None:
    """Two pages of 100 rules, asked by number (page=1, page=2) as tagguard asks them."""

    def on(page: str) -> list[Any]:
        return [matchers.query_param_matcher({"page": page}, strict_match=False)]

    responses.get(RULES, json=first, headers={"X-Total-Count": totals[0]}, match=on("1"))
    if isinstance(second, int):
        responses.get(
            RULES,
            status=second,
            json={"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]},
            match=on("2"),
        )
    else:
        responses.get(RULES, json=second, headers={"X-Total-Count": totals[1]}, match=on("2"))


HUNDRED = [rule_json(i) for i in range(1, 101)]


@responses.activate
@pytest.mark.parametrize(
    ("second", "totals", "message"),
    [
        ([rule_json(100)], ("101", "101"), "id 100 twice"),
        ([rule_json(101)], ("101", "102"), "count went from 101 to 102 between pages"),
        ([rule_json(101)], ("102", "102"), "said 102 rules but sent 101"),
    ],
)
def test_rule_pages_read_apart_must_agree(
    second: list[object], totals: tuple[str, str], message: str
) -> None:
    rule_pages_answered(HUNDRED, second, totals)
    with pytest.raises(RemoteError, match=message):
        client().rules("p")
    assert [c.request.headers["X-Is-Resource-Name"] for c in responses.calls] == ["true"] * 2


@responses.activate
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (HUNDRED, [rule_json(i) for i in range(101, 151)]),
        (HUNDRED[:99], [HUNDRED[99], rule_json(101)]),
    ],
    ids=["full pages", "a short first page"],
)
def test_rule_pages_read_apart_are_the_list_read_whole(first: list[Any], second: list[Any]) -> None:
    """Each page is read by the thread that fetched it, as the page starting where the full
    pages before it end; where it does not start there (a short page), the rules are read
    again as one list: either way each rule holds its index in the whole list."""
    total = str(len(first) + len(second))
    rule_pages_answered(first, second, (total, total))
    whole = parse_rules(first + second, "rules of project 'p' from harbor.test")
    assert whole[-1].index == len(whole) - 1
    assert client().rules("p") == ProjectRules(whole)


@responses.activate
@pytest.mark.parametrize(
    ("bad", "totals", "message"),
    [
        ({"id": "x"}, ("150", "150"), None),
        ({"id": 140, "tag_selectors": 3}, ("150", "150"), None),
        (
            {"id": "x"},
            ("150", "151"),
            r"reading the immutability rules of project 'p': harbor\.test's count went from 150",
        ),
    ],
)
def test_a_malformed_rule_on_a_later_page_is_named_as_in_the_list_read_whole(
    bad: object, totals: tuple[str, str], message: str | None
) -> None:
    """The page's thread keeps quiet about what does not read: the rules are read again
    as one list, after the count checks, so the error and its place are what reading the
    whole list at once says (exit 2)."""
    second: list[Any] = [rule_json(i) for i in range(101, 151)]
    second[39] = bad
    rule_pages_answered(HUNDRED, second, totals)
    if message is None:
        with pytest.raises(RulesError) as whole:
            parse_rules(HUNDRED + second, "rules of project 'p' from harbor.test")
        assert "rule #140" in str(whole.value)
        message = re.escape(str(whole.value))
    with pytest.raises(RemoteError, match=f"^{message}"):
        client().rules("p")


@responses.activate
def test_a_403_on_any_rule_page_is_an_answer() -> None:
    rule_pages_answered(HUNDRED, 403, ("101", "101"))
    assert client().rules("p").rules is None


@responses.activate
@pytest.mark.parametrize(
    ("page", "count", "total", "ok"),
    [
        (1, 100, "150", True),
        (2, 50, "150", True),
        (1, 3, "150", False),
        (2, 51, "150", False),
        (3, 0, "150", True),
        (1, 0, "0", True),
    ],
)
def test_a_page_of_artifacts_holds_its_share_of_the_count(
    page: int, count: int, total: str, ok: bool
) -> None:
    first = (page - 1) * 100 + 1
    responses.get(
        ARTIFACTS,
        json=[artifact_item(i) for i in range(first, first + count)],
        headers={"X-Total-Count": total},
    )
    if ok:
        found, said = client().artifacts_page("p", "app", page)
        assert len(found) == count
        assert said == int(total)
    else:
        with pytest.raises(RemoteError, match=f"page {page} holds"):
            client().artifacts_page("p", "app", page)


@responses.activate
def test_an_artifact_count_past_what_tagguard_reads_is_refused_on_the_first_page() -> None:
    # The live sources ask every page the first one's X-Total-Count makes, at once
    # (`LiveSources.artifacts`): a full first page counting 1e23 had them planning 1e21
    # requests, computing, never answering. As for the rules, one past MAX_PAGES full pages
    # (what the sequential list reads at most) is refused before any page after the first.
    responses.get(
        ARTIFACTS,
        json=[artifact_item(i) for i in range(1, 101)],
        headers={"X-Total-Count": "100001"},
    )
    with pytest.raises(RemoteError, match=r"counts 100001 artifacts, more than the 1000 pages"):
        client().artifacts_page("p", "app", 1)
    assert len(responses.calls) == 1


@pytest.mark.parametrize(
    ("header", "declared", "error"),
    [
        ("7", 7, None),
        (" 7 ", 7, None),
        ("1e3", None, "is not a count"),
        ("-7", None, "is not a count"),
        (None, None, "did not say how many artifacts"),
    ],
)
@responses.activate
def test_a_page_asked_apart_declares_its_count_and_is_read_later(
    header: str | None, declared: int | None, error: str | None
) -> None:
    # LiveSources plans by the count alone and has the page read later, on another thread:
    # the count is the header's only when the page's own reading takes it, and a page that
    # would not read still fails, when it is read.
    responses.get(
        ARTIFACTS,
        json=[artifact_item(i) for i in range(1, 8)],
        headers={} if header is None else {"X-Total-Count": header},
    )
    count, read = client().artifacts_page_unread("p", "app", 1)
    assert count == declared
    assert len(responses.calls) == 1
    if error is None:
        found, said = read()
        assert [a.digest for a in found] == [artifact_item(i)["digest"] for i in range(1, 8)]
        assert said == declared
    else:
        with pytest.raises(RemoteError, match=error):
            read()
    assert len(responses.calls) == 1  # reading asks nothing


@responses.activate
def test_an_absent_repository_asked_apart_declares_no_count_and_reads_empty() -> None:
    responses.get(
        ARTIFACTS,
        status=404,
        json={"errors": [{"code": "NOT_FOUND", "message": "repository p/app not found"}]},
    )
    count, read = client().artifacts_page_unread("p", "app", 1)
    assert count is None
    assert read() == ([], 0)


@responses.activate
def test_a_rules_page_asked_apart_declares_its_count_or_none_when_refused() -> None:
    responses.get(RULES, json=[rule_json(1)], headers={"X-Total-Count": "1"})
    count, read = client().rules_page_unread("p", 1)
    assert count == 1
    page = read()
    assert page is not None
    assert [r.id for r in page.rules or ()] == [1]
    responses.replace(
        responses.GET,
        RULES,
        status=403,
        json={"errors": [{"code": "FORBIDDEN", "message": "forbidden"}]},
        headers={"X-Total-Count": "1"},
    )
    count, read = client().rules_page_unread("p", 1)
    assert count is None  # a refusal's header counts nothing
    assert read() is None


@responses.activate
def test_an_artifact_asked_apart_is_read_later() -> None:
    responses.get(ARTIFACT, json={"digest": DIGEST, "tags": [{"name": "v1", "immutable": True}]})
    read = client().artifact_unread("p", "app", "v1")
    assert len(responses.calls) == 1
    found = read()
    assert found is not None
    assert found.digest == DIGEST


@responses.activate
def test_a_page_of_artifacts_with_an_id_twice_is_an_error() -> None:
    responses.get(
        ARTIFACTS, json=[artifact_item(1), artifact_item(1)], headers={"X-Total-Count": "2"}
    )
    with pytest.raises(RemoteError, match="id 1 twice"):
        client().artifacts_page("p", "app", 1)


def test_pages_read_apart_are_checked_together() -> None:
    a, b, c = (ArtifactInfo(f"sha256:{i:064x}") for i in (1, 2, 3))
    check_pages([([a, b], 3), ([c], 3)], "listing p/app", "h.io")
    with pytest.raises(RemoteError, match="on two pages"):
        check_pages([([a, b], 3), ([b], 3)], "listing p/app", "h.io")
    with pytest.raises(RemoteError, match="count changed"):
        check_pages([([a, b], 3), ([c], 4)], "listing p/app", "h.io")
    with pytest.raises(RemoteError, match="said 3 artifacts but its pages held 2"):
        check_pages([([a], 3), ([c], 3)], "listing p/app", "h.io")


# -- 412 on a read ---------------------------------------------------------------------------


@responses.activate
def test_a_project_policy_refusal_is_said_plainly() -> None:
    """The body Harbor's content-trust middleware sends
    (src/server/middleware/contenttrust/contentrust.go) through lib/http.SendError."""
    responses.get(
        ARTIFACT,
        status=412,
        json={
            "errors": [
                {"code": "PROJECTPOLICYVIOLATION", "message": "The image is not signed by cosign."}
            ]
        },
    )
    with pytest.raises(RemoteError) as raised:
        client().artifact("p", "app", "v1")
    message = raised.value.message
    assert message.startswith("reading p/app:v1: harbor.test refuses")
    assert "project's policy forbids pulling it" in message
    assert message.endswith("The image is not signed by cosign.")
    assert "412" not in message


@responses.activate
def test_a_412_that_is_not_a_policy_keeps_its_status_and_code() -> None:
    responses.get(
        ARTIFACT, status=412, json={"errors": [{"code": "PRECONDITION", "message": "nope"}]}
    )
    with pytest.raises(RemoteError, match="answered 412 PRECONDITION: nope") as raised:
        client().artifact("p", "app", "v1")
    assert "policy" not in raised.value.message


# -- project -------------------------------------------------------------------------------

PROJECT = f"{BASE}/api/v2.0/projects/123"


@responses.activate
@pytest.mark.parametrize(
    ("registry_id", "proxy"), [(None, False), (0, False), (4, True), ("absent", False)]
)
def test_a_project_and_whether_it_is_a_proxy_cache(registry_id: object, proxy: bool) -> None:
    body: dict[str, object] = {"project_id": 7, "name": "123"}
    if registry_id != "absent":
        body["registry_id"] = registry_id
    responses.get(PROJECT, json=body)
    assert client().project("123") == ProjectInfo(proxy_cache=proxy)
    assert len(responses.calls) == 1
    assert responses.calls[0].request.headers["X-Is-Resource-Name"] == "true"


@responses.activate
def test_a_project_harbor_does_not_have_is_none() -> None:
    responses.get(
        PROJECT,
        status=404,
        json={"errors": [{"code": "NOT_FOUND", "message": "project 123 not found"}]},
    )
    assert client().project("123") is None


@responses.activate
@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (
            {"status": 404, "body": "404 page not found", "content_type": "text/plain"},
            RemoteError,
            "answered 404",
        ),
        ({"status": 403, "json": {}}, AuthError, "forbids it"),
        ({"status": 401, "json": {}}, AuthError, "refused anonymous access"),
        ({"json": {"name": "other"}}, RemoteError, "answered with project 'other'"),
        ({"json": {"name": "123", "registry_id": "4"}}, RemoteError, "registry_id"),
        ({"json": {"name": "123", "registry_id": True}}, RemoteError, "registry_id"),
        ({"json": ["123"]}, RemoteError, "something other than a project"),
    ],
)
def test_a_project_answer_that_is_not_one(
    reply: dict[str, Any], error: type[Exception], message: str
) -> None:
    responses.get(PROJECT, **reply)
    with pytest.raises(error, match=message):
        client().project("123")


# -- the request budget ------------------------------------------------------------------------


@responses.activate
def test_requests_per_question() -> None:
    """One request for an artifact, one for a page of artifacts, one per page of rules."""
    responses.get(ARTIFACT, json=whole_artifact())
    client().artifact("p", "app", "v1")
    assert len(responses.calls) == 1

    responses.get(
        ARTIFACTS,
        json=[whole_artifact(f"sha256:{i:064x}", i) for i in range(1, 101)],
        headers={"X-Total-Count": "150"},
    )
    client().artifacts_page("p", "app", 1)
    assert len(responses.calls) == 2

    responses.get(RULES, json=[rule_json(1)], headers={"X-Total-Count": "1"})
    client().rules("p")
    assert len(responses.calls) == 3


@responses.activate
def test_three_pages_of_rules_cost_three_requests() -> None:
    total = {"X-Total-Count": "250"}
    for page, ids in ((1, range(1, 101)), (2, range(101, 201)), (3, range(201, 251))):
        link = f'</api/v2.0/projects/p/immutabletagrules?sort=id&page={page + 1}&page_size=100>; rel="next"'
        responses.get(
            re.compile(
                rf"https://harbor\.test/api/v2\.0/projects/p/immutabletagrules\?sort=id&page={page}&.*"
            ),
            json=[rule_json(i) for i in ids],
            headers={**total, "Link": link} if page < 3 else total,
        )
    found = client().rules("p")
    assert found.rules is not None
    assert [r.id for r in found.rules] == list(range(1, 251))
    assert len(responses.calls) == 3


POLICIES = re.compile(r"https://harbor\.test/api/v2\.0/replication/policies\?.*")


def admin_client() -> HarborClient:
    from tagguard.shell.credentials import Credential

    return HarborClient(Http(TransportOptions(retries=0)), BASE, Credential("admin", "pw", "test"))


@responses.activate
def test_replication_policies_are_listed_whole_by_id() -> None:
    listed = [policy_json(id=2), policy_json(id=5, name="other")]
    responses.get(POLICIES, json=listed, headers={"X-Total-Count": "2"})
    found = admin_client().policies()
    assert found is not None
    assert [(p.id, p.name) for p in found] == [(2, "to-dr"), (5, "other")]
    assert "sort=id" in str(responses.calls[0].request.url)


@responses.activate
def test_a_replication_policy_is_read_into_its_type() -> None:
    responses.get(f"{BASE}/api/v2.0/replication/policies/4", json=policy_json())
    found = admin_client().policy(4)
    assert (found.id, found.name, found.destination_host) == (4, "to-dr", "dr.example.com")


@responses.activate
def test_a_malformed_replication_policy_fails_closed_naming_it() -> None:
    responses.get(f"{BASE}/api/v2.0/replication/policies/4", json=policy_json(override="yes"))
    with pytest.raises(RemoteError, match=r"replication policy 4 from harbor\.test: malformed"):
        admin_client().policy(4)
    responses.get(POLICIES, json=[policy_json(filters={})], headers={"X-Total-Count": "1"})
    with pytest.raises(RemoteError, match=r"a replication policy from harbor\.test: malformed"):
        admin_client().policies()


@responses.activate
def test_replication_policies_a_non_admin_may_not_read_are_none() -> None:
    responses.get(POLICIES, status=403, json={"errors": [{"code": "FORBIDDEN"}]})
    assert admin_client().policies() is None
    assert client().policies() is None  # anonymous: not even asked
    assert len(responses.calls) == 1


@responses.activate
def test_replication_policies_repeated_ids_fail_closed() -> None:
    responses.get(POLICIES, json=[{"id": 2}, {"id": 2}], headers={"X-Total-Count": "2"})
    with pytest.raises(RemoteError, match=r"twice|more than once|repeat"):
        admin_client().policies()


@pytest.mark.parametrize(
    ("username", "fix"),
    [
        ("robot$p+ci", "a robot may list only with the immutable-tag list permission"),
        ("dev", "only a maintainer or project admin may list"),
        (None, "only a maintainer or project admin may list"),
    ],
)
@responses.activate
def test_forbidden_rules_say_who_and_what_would_let_them_be_read(
    username: str | None, fix: str
) -> None:
    # The reason sits inside a decision's parentheses: it holds none of its own (before:
    # "... (rule details are unavailable (the credentials may not list ... (403)))").
    # Harbor: src/common/rbac/project/rbac_role.go gives ResourceImmutableTag/ActionList to
    # projectAdmin and maintainer only; a robot carries the permission itself.
    from tagguard.shell.credentials import Credential

    # Harbor answers an anonymous caller 401 (base.go RequireProjectAccess), others 403.
    status, code = (403, "FORBIDDEN") if username else (401, "UNAUTHORIZED")
    responses.get(RULES, status=status, json={"errors": [{"code": code}]})
    credential = Credential(username, "pw", "test") if username else None
    found = HarborClient(Http(TransportOptions(retries=0)), BASE, credential).rules("p")
    assert found.rules is None
    reason = found.unavailable_reason
    if username:
        assert f"Harbor answers 403 to {username} " in reason
    else:
        assert reason.startswith("Harbor lets no anonymous access list the project's ")
    assert reason.endswith(fix)
    assert "(" not in reason
    assert ")" not in reason


@responses.activate
def test_a_rule_count_past_what_tagguard_reads_is_refused_on_the_first_page() -> None:
    # The rules' pages are asked by number, as many as X-Total-Count makes: a count of 1e23
    # had tagguard planning 1e21 requests and never answering (and no deadline helps: it
    # computes, it does not wait). One past MAX_PAGES full pages is refused before page 2.
    responses.get(RULES, json=[rule_json(1)], headers={"X-Total-Count": "100001"})
    with pytest.raises(RemoteError, match=r"counts 100001 rules, more than the 1000 pages"):
        client().rules("p")
    assert len(responses.calls) == 1


@responses.activate
def test_a_long_error_message_is_not_cut_inside_a_secret_it_quotes() -> None:
    # A server quoting the Basic header's base64 where the 300-character cut falls: its
    # first characters were shown, which no redactor can recognise as the secret.
    secret = "Ym9iOlMzY3JldFBhc3N3b3JkVGhhdElzTG9uZw=="
    message = "x " * 140 + secret
    responses.get(ARTIFACT, status=400, json={"errors": [{"code": "BAD", "message": message}]})
    with pytest.raises(RemoteError) as raised:
        client().artifact("p", "app", "v1")
    assert "Ym9i" not in raised.value.message
    assert "x x x" in raised.value.message


@responses.activate
def test_a_content_type_is_named_as_the_server_sent_it() -> None:
    # Shown lowercased, a content type quoting the password showed it in lowercase, which
    # the redactor (matching the secret as given) did not hide.
    responses.get(ARTIFACT, body=b"[]", content_type="Text/Bob-Sup3rSecret")
    with pytest.raises(RemoteError, match="answered with Text/Bob-Sup3rSecret, not JSON"):
        client().artifact("p", "app", "v1")
