"""Whatever Harbor answers and whatever a docker config holds, tagguard either understands it
or raises its own error, in one line naming the source: never another exception."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core.rules import parse_rules
from tagguard.errors import TagguardError
from tagguard.shell.credentials import CredentialStore, load_docker_config
from tagguard.shell.harbor import _artifact_info
from tests.builders import rule_json
from tests.strategies import json_values

JSON = json_values()
SELECTOR = st.fixed_dictionaries(
    {},
    optional={
        "kind": st.sampled_from(["doublestar", "regex", ""]) | JSON,
        "decoration": st.sampled_from(["matches", "excludes", "repoMatches", "repoExcludes"])
        | JSON,
        "pattern": st.text(max_size=12) | JSON,
    },
)
RULE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | JSON,
        "disabled": st.booleans() | JSON,
        "priority": st.integers() | JSON,
        "action": st.just("immutable") | JSON,
        "scope_selectors": st.fixed_dictionaries(
            {}, optional={"repository": st.lists(SELECTOR) | JSON}
        )
        | JSON,
        "tag_selectors": st.lists(SELECTOR, max_size=3) | JSON,
    },
)
TAG = st.fixed_dictionaries(
    {}, optional={"name": st.text(max_size=10) | JSON, "immutable": st.booleans() | JSON}
)
DIGESTS = st.sampled_from(["sha256:" + "a" * 64, "sha256:x", ""]) | JSON
REFERENCE = st.fixed_dictionaries({}, optional={"child_digest": DIGESTS, "child_id": JSON})
ACCESSORY = st.fixed_dictionaries(
    {},
    optional={"digest": DIGESTS, "type": st.sampled_from(["signature.cosign", ""]) | JSON},
)
LABEL = st.fixed_dictionaries({}, optional={"name": st.text(max_size=6) | JSON})
ARTIFACT = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers(0, 3) | JSON,
        "digest": DIGESTS,
        "tags": st.lists(TAG, max_size=3) | st.none() | JSON,
        "references": st.lists(REFERENCE, max_size=2) | st.none() | JSON,
        "accessories": st.lists(ACCESSORY, max_size=2) | st.none() | JSON,
        "labels": st.lists(LABEL, max_size=2) | st.none() | JSON,
    },
)


def _one_line(error: TagguardError, source: str) -> None:
    assert "\n" not in error.message
    assert source in error.message


@settings(max_examples=300, deadline=None)
@given(st.lists(RULE, max_size=4) | JSON)
def test_any_rules_answer(data: Any) -> None:
    try:
        rules = parse_rules(data, "rules of project p from h.io")
    except TagguardError as error:
        _one_line(error, "rules of project p from h.io")
    else:
        assert isinstance(rules, tuple)


@settings(max_examples=300, deadline=None)
@given(ARTIFACT | JSON)
def test_any_artifact_answer(data: Any) -> None:
    try:
        found = _artifact_info(data, "reading p/app:v1", "h.io")
    except TagguardError as error:
        _one_line(error, "p/app:v1")
        _one_line(error, "h.io")
    else:
        assert found.digest.startswith("sha256:")
        assert all(isinstance(t.name, str) for t in found.tags)
        assert all(c.startswith("sha256:") for c in found.children)
        assert all(a.digest.startswith("sha256:") and a.kind for a in found.accessories)
        assert all(isinstance(name, str) for name in found.labels)


AUTH_ENTRY = st.fixed_dictionaries(
    {},
    optional={
        "auth": st.text(max_size=30)
        | st.binary(max_size=20).map(lambda b: __import__("base64").b64encode(b).decode())
        | JSON,
        "username": st.text(max_size=10) | JSON,
        "password": st.text(max_size=10) | JSON,
        "identitytoken": st.text(max_size=10) | JSON,
    },
)
CONFIG = st.fixed_dictionaries(
    {},
    optional={
        "auths": st.dictionaries(
            st.sampled_from(["h.io", "https://h.io", "h.io/v1/", "other"]),
            AUTH_ENTRY | JSON,
            max_size=3,
        )
        | JSON
    },
)


def _no_helpers(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    raise AssertionError("no credential helper may run for these configs")


@settings(max_examples=300, deadline=None)
@given(CONFIG)
def test_any_docker_config_entry(config: dict[str, Any]) -> None:
    store = CredentialStore(
        docker_config=config, docker_config_path="/c/config.json", run=_no_helpers
    )
    try:
        found = store.for_host("h.io")
    except TagguardError as error:
        _one_line(error, "/c/config.json")
    else:
        assert found is None or isinstance(found.username, str)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60) | JSON.map(json.dumps))
def test_any_docker_config_file(tmp_path_factory: Any, text: str) -> None:
    directory: Path = tmp_path_factory.mktemp("docker")
    (directory / "config.json").write_text(text)
    try:
        data, path = load_docker_config({"DOCKER_CONFIG": str(directory)}, Path("/nonexistent"))
    except TagguardError as error:
        _one_line(error, str(directory / "config.json"))
    else:
        assert isinstance(data, dict)
        assert path.endswith("config.json")


# -- paged list answers ----------------------------------------------------------------------

HOST = "h.io"
NEXT_LINKS = st.sampled_from(
    [
        None,
        '</api/v2.0/projects/p/immutabletagrules?page=2&page_size=100>; rel="next"',
        '</api/v2.0/projects/p/repositories/team%252Fapp/artifacts?page=2>; rel="next"',
        '<https://h.io/api/v2.0/repositories?page=3>; rel="next", <x>; rel="prev"',
        # Another host, another scheme, a protocol-relative URL: credentials must not follow.
        '<https://evil.test/api/v2.0/steal?page=2>; rel="next"',
        '<http://h.io/api/v2.0/repositories?page=2>; rel="next"',
        '<//evil.test/x>; rel="next"',
        '<https://h.io:8443/api/v2.0/x>; rel="next"',
        "<>; rel=next",
        'rel="next"',
    ]
) | st.text(max_size=30)
# Header values arrive decoded as latin-1: '\xb2' is '²', which str.isdigit() accepts.
TOTALS = (
    st.none()
    | st.none()
    | st.integers(-5, 300).map(str)
    | st.sampled_from(["\xb2", " 3 ", "1e3", "0x10", ""])
    | st.text(max_size=6)
)
# Items each question understands, so that fuzzing gets past the first page.
GOOD_ITEMS = {
    "rules": st.builds(
        lambda i, tag: rule_json(i, "**", tag), st.integers(1, 9), st.sampled_from(["v*", "**"])
    ),
    "repositories": st.builds(lambda n: {"id": ord(n), "name": f"p/{n}"}, st.sampled_from("abc")),
    "artifacts": st.builds(
        lambda d, t: {
            "id": ord(d),
            "digest": "sha256:" + d * 64,
            "tags": [{"id": 1, "name": t, "immutable": False}],
        },
        st.sampled_from("abc"),
        st.sampled_from(["v1", "v2"]),
    ),
}
GOOD_ITEMS["artifacts_page"] = GOOD_ITEMS["artifact"] = GOOD_ITEMS["artifacts"]
GOOD_ITEMS["project"] = st.builds(
    lambda r: {"name": "p", "registry_id": r}, st.sampled_from([None, 0, 1])
)


def _page(question: str) -> st.SearchStrategy[dict[str, Any]]:
    good: st.SearchStrategy[Any] = st.lists(GOOD_ITEMS[question], min_size=1, max_size=3)
    if question in ("artifact", "project"):  # one object, not a list
        good = GOOD_ITEMS[question]
    return st.fixed_dictionaries(
        {
            "status": st.sampled_from([200, 200, 200, 200, 404, 412, 500]),
            "body": good
            | good
            | st.lists(RULE | ARTIFACT | st.text(max_size=8), max_size=3)
            | JSON,
            "link": NEXT_LINKS,
            "total": TOTALS,
            "type": st.sampled_from(
                ["application/json", "application/json; charset=utf-8", "text/html"]
            ),
        }
    )


QUESTIONS = st.sampled_from(
    ["rules", "artifacts", "artifacts_page", "repositories", "artifact", "project"]
)


def _ask(client: Any, question: str) -> object:
    if question == "rules":
        return client.rules("p")
    if question == "artifacts":
        return client.artifacts("p", "team/app")
    if question == "artifacts_page":
        return client.artifacts_page("p", "team/app", 1)
    if question == "repositories":
        return client.repositories()
    if question == "project":
        return client.project("p")
    return client.artifact("p", "team/app", "v1")


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_any_paged_answer(data: st.DataObject) -> None:
    """Pages with any body, Link and X-Total-Count: an answer or one line naming the host,
    a bounded number of requests, and the password only ever sent to https://h.io."""
    import re

    import responses

    from tagguard.shell.credentials import Credential
    from tagguard.shell.harbor import HarborClient
    from tagguard.shell.http import Http, TransportOptions

    question = data.draw(QUESTIONS, label="question")
    pages = data.draw(st.lists(_page(question), min_size=1, max_size=5), label="pages")
    sent: list[tuple[str, bool]] = []

    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        url = str(request.url)
        sent.append((url, "Authorization" in request.headers))
        page = pages[min(len(sent), len(pages)) - 1] if len(sent) <= len(pages) else None
        if page is None:  # past the script: an empty last page
            return 200, {"Content-Type": "application/json"}, "[]"
        headers = {"Content-Type": page["type"]}
        if page["link"] is not None:
            headers["Link"] = page["link"]
        if page["total"] is not None:
            headers["X-Total-Count"] = page["total"]
        return page["status"], headers, json.dumps(page["body"])

    credential = Credential("u", "fuzz-password", "test")
    client = HarborClient(
        Http(TransportOptions(retries=0, deadline=30)), f"https://{HOST}", credential
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.GET, re.compile(r".*"), callback=answer)
        try:
            _ask(client, question)
        except TagguardError as error:
            _one_line(error, HOST)
    assert len(sent) <= len(pages) + 2
    for url, authorized in sent:
        if authorized:
            assert url.startswith(f"https://{HOST}/"), url
