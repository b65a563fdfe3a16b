"""The test server answers as swagger.yaml says Harbor does: every JSON answer tagguard
reads is validated against Harbor's own definitions, with undeclared fields refused."""

from __future__ import annotations

import copy
import functools
import subprocess
from typing import Any

import jsonschema
import pytest
import requests
import yaml

from tests.conftest import HARBOR_DATA
from tests.e2e.conftest import Harbor
from tests.harbor_server.images import (
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
    push_index,
)
from tests.harbor_server.users import ADMIN, DEVELOPER

API = "/api/v2.0"


@functools.cache
def definitions() -> dict[str, Any]:
    swagger = yaml.safe_load((HARBOR_DATA / "swagger.yaml").read_text(encoding="utf-8"))
    strict: dict[str, Any] = copy.deepcopy(swagger["definitions"])
    for schema in strict.values():
        if (
            isinstance(schema, dict)
            and "properties" in schema
            and "additionalProperties" not in schema
        ):
            schema["additionalProperties"] = False
    return strict


def validate(data: Any, definition: str, *, many: bool = False) -> None:
    reference = {"$ref": f"#/definitions/{definition}"}
    schema = {"type": "array", "items": reference} if many else reference
    jsonschema.Draft4Validator({**schema, "definitions": definitions()}).validate(data)


def get(
    harbor: Harbor, path: str, *, auth: tuple[str, str] | None = ADMIN, by_name: bool = False
) -> requests.Response:
    headers = {"X-Is-Resource-Name": "true"} if by_name else {}
    return requests.get(f"{harbor.url}{API}{path}", auth=auth, headers=headers, timeout=10)


@pytest.fixture
def populated(harbor: Harbor) -> Harbor:
    harbor.rule("proj", repo="team/**", tag="v*")
    harbor.rule("proj", tag="release-*", disabled=True)
    image = harbor.push("proj/team/app:v1")
    harbor.push("proj/team/app:latest", image)
    return harbor


def test_rules(populated: Harbor) -> None:
    answer = get(
        populated,
        "/projects/proj/immutabletagrules?page_size=100",
        by_name=True,
    )
    assert answer.status_code == 200
    validate(answer.json(), "ImmutableRule", many=True)
    assert answer.headers["X-Total-Count"] == "2"


def test_rules_paging_and_limits(populated: Harbor) -> None:
    first = get(populated, "/projects/proj/immutabletagrules?page=1&page_size=1")
    assert first.status_code == 200
    assert len(first.json()) == 1
    assert (
        first.headers["Link"]
        == '</api/v2.0/projects/proj/immutabletagrules?page=2&page_size=1>; rel="next"'
    )
    second = get(populated, "/projects/proj/immutabletagrules?page=2&page_size=1")
    assert (
        second.headers["Link"]
        == '</api/v2.0/projects/proj/immutabletagrules?page=1&page_size=1>; rel="prev"'
    )
    too_big = get(populated, "/projects/proj/immutabletagrules?page_size=101")
    assert too_big.status_code == 422
    validate(too_big.json(), "Errors")


def test_rules_need_a_role_that_may_list_them(populated: Harbor) -> None:
    assert get(populated, "/projects/proj/immutabletagrules", auth=None).status_code == 401
    forbidden = get(populated, "/projects/proj/immutabletagrules", auth=DEVELOPER)
    assert forbidden.status_code == 403
    validate(forbidden.json(), "Errors")


def test_artifact_with_immutable_status(populated: Harbor) -> None:
    answer = get(
        populated,
        "/projects/proj/repositories/team%252Fapp/artifacts/v1?with_tag=true&with_immutable_status=true",
    )
    assert answer.status_code == 200
    validate(answer.json(), "Artifact")
    flags = {t["name"]: t["immutable"] for t in answer.json()["tags"]}
    assert flags == {"latest": False, "v1": True}
    plain = get(populated, "/projects/proj/repositories/team%252Fapp/artifacts/v1?with_tag=true")
    assert {t["immutable"] for t in plain.json()["tags"]} == {False}


def test_artifact_lists_tags_and_repository(populated: Harbor) -> None:
    listed = get(
        populated,
        "/projects/proj/repositories/team%252Fapp/artifacts?with_tag=true&with_immutable_status=true&page_size=100",
    )
    validate(listed.json(), "Artifact", many=True)
    tags = get(
        populated,
        "/projects/proj/repositories/team%252Fapp/artifacts/v1/tags?with_immutable_status=true",
    )
    validate(tags.json(), "Tag", many=True)
    repository = get(populated, "/projects/proj/repositories/team%252Fapp")
    validate(repository.json(), "Repository")
    assert repository.json()["artifact_count"] == 1
    filtered = get(populated, "/projects/proj/repositories/team%252Fapp/artifacts?q=tags%3Dlatest")
    assert len(filtered.json()) == 1
    assert (
        get(
            populated, "/projects/proj/repositories/team%252Fapp/artifacts?q=tags%3D%7Ba%20b%7D"
        ).status_code
        == 400
    )


def test_system_info(populated: Harbor) -> None:
    answer = get(populated, "/systeminfo")
    validate(answer.json(), "GeneralInfo")
    assert answer.json()["harbor_version"] == "v2.11.0-test"
    # controller/systeminfo `GetInfo`: before v2.13.0 the version is not protected info.
    assert get(populated, "/systeminfo", auth=None).json()["harbor_version"] == "v2.11.0-test"
    populated.state.version = "v2.13.0-abc"
    assert "harbor_version" not in get(populated, "/systeminfo", auth=None).json()
    assert get(populated, "/systeminfo").json()["harbor_version"] == "v2.13.0-abc"


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        (
            "/projects/proj/repositories/team%252Fapp/artifacts/nope",
            "artifact proj/team/app:nope not found",
        ),
        ("/projects/proj/repositories/ghost/artifacts/v1", "repository proj/ghost not found"),
        # A system admin passes RequireProjectAccess for a project that does not exist;
        # GetByReference then looks up the repository (by tag) or the digest alone.
        ("/projects/ghost/repositories/app/artifacts/v1", "repository ghost/app not found"),
        (
            "/projects/proj/repositories/ghost/artifacts/sha256:" + "0" * 64,
            "artifact proj/ghost@sha256:" + "0" * 64 + " not found",
        ),
        ("/projects/ghost/immutabletagrules", "project ghost not found"),
    ],
)
def test_not_found_shapes(populated: Harbor, path: str, shape: str) -> None:
    answer = get(populated, path, by_name=True)
    assert answer.status_code == 404
    validate(answer.json(), "Errors")
    assert answer.json()["errors"][0] == {"code": "NOT_FOUND", "message": shape}


def test_single_encoding_misses_the_route(populated: Harbor) -> None:
    answer = get(populated, "/projects/proj/repositories/team%2Fapp/artifacts/v1")
    assert answer.status_code == 404
    assert "errors" not in answer.json()


def test_registry_challenge_and_token_service(populated: Harbor) -> None:
    anonymous = requests.head(f"{populated.url}/v2/proj/team/app/manifests/v1", timeout=10)
    assert anonymous.status_code == 401
    challenge = anonymous.headers["WWW-Authenticate"]
    assert challenge.startswith(
        f'Bearer realm="{populated.url}/service/token",service="harbor-registry"'
    )
    token = requests.get(
        f"{populated.url}/service/token?service=harbor-registry&scope=repository:proj/team/app:pull",
        auth=ADMIN,
        timeout=10,
    ).json()["token"]
    authorised = requests.head(
        f"{populated.url}/v2/proj/team/app/manifests/v1",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.oci.image.manifest.v1+json",
        },
        timeout=10,
    )
    assert authorised.status_code == 200
    assert authorised.headers["Docker-Content-Digest"].startswith("sha256:")


def test_immutable_tags_refuse_pushes_and_deletes_with_412(populated: Harbor) -> None:
    same = requests.get(
        f"{populated.url}/v2/proj/team/app/manifests/v1",
        auth=ADMIN,
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
        timeout=10,
    )
    again = requests.put(
        f"{populated.url}/v2/proj/team/app/manifests/v1",
        data=same.content,
        auth=ADMIN,
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        timeout=10,
    )
    assert again.status_code == 412
    assert again.json()["errors"][0] == {
        "code": "PRECONDITION",
        "message": "Failed to process request due to 'team/app:v1' configured as immutable.",
    }
    digest = same.headers["Docker-Content-Digest"]
    deleted = requests.delete(
        f"{populated.url}/v2/proj/team/app/manifests/{digest}", auth=ADMIN, timeout=10
    )
    assert deleted.status_code == 412
    assert (
        deleted.json()["errors"][0]["message"]
        == "the tag v1 configured as immutable, cannot be deleted"
    )


def test_artifact_with_every_part_and_project(harbor: Harbor) -> None:
    """References, accessories and labels as swagger's Artifact, Reference, Accessory and
    Label define them; a project as Project."""
    child = make_image()
    index = make_index(child)
    assert push_index(harbor.pusher, "proj/app", "v1", (child,), index).status_code == 201
    signature = make_cosign_signature(index.digest)
    assert harbor.pusher.push("proj/app", cosign_tag(index.digest), signature).status_code == 201
    harbor.state.add_label("proj", "app", "v1", "release")
    answer = get(
        harbor,
        "/projects/proj/repositories/app/artifacts/v1?with_accessory=true&with_label=true",
    )
    validate(answer.json(), "Artifact")
    assert {"references", "accessories", "labels", "tags"} <= set(answer.json())
    listed = get(
        harbor, "/projects/proj/repositories/app/artifacts?with_accessory=true&with_label=true"
    )
    validate(listed.json(), "Artifact", many=True)
    project = get(harbor, "/projects/proj")
    validate(project.json(), "Project")


def skopeo_inspect(harbor: Harbor, reference: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["skopeo", "inspect", "--no-tags", "--tls-verify=false", "--creds", ":".join(ADMIN),
         *extra, f"docker://{harbor.ref(reference)}"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_skopeo_inspect_reads_oci_manifests_through_the_registry_proxy(harbor: Harbor) -> None:
    """skopeo sends one `Accept` line per media type it takes; distribution answers an OCI
    manifest only when its type is among them, so every line must reach it (the proxy once
    kept the last line only, and every inspect failed with "accept header does not support
    OCI manifests"). bench/run's baseline is this very call."""
    image = harbor.push("proj/app:v1")
    child = make_image()
    index = make_index(child)
    assert push_index(harbor.pusher, "proj/app", "multi", (child,), index).status_code == 201
    for reference in ("proj/app:v1", f"proj/app@{image.digest}"):
        done = skopeo_inspect(harbor, reference, "--format", "{{.Digest}}")
        assert (done.returncode, done.stdout.strip()) == (0, image.digest), done.stderr
    raw = skopeo_inspect(harbor, "proj/app:multi", "--raw")
    assert raw.returncode == 0, raw.stderr
    assert raw.stdout.encode() == index.manifest


def test_a_project_that_does_not_exist_is_refused_to_all_but_a_system_admin(
    populated: Harbor,
) -> None:
    """handler/base.go `RequireProjectAccess` checks project id 0 for a name it cannot find,
    which only a system admin may read: others get 403, anonymous access 401, never a 404
    that would say whether the project exists. A system admin's artifact list is empty."""
    path = "/projects/ghost/repositories/app/artifacts/v1"
    forbidden = get(populated, path, auth=DEVELOPER)
    assert forbidden.status_code == 403
    validate(forbidden.json(), "Errors")
    assert get(populated, path, auth=None).status_code == 401
    assert get(populated, "/projects/ghost/immutabletagrules", auth=DEVELOPER).status_code == 403
    listed = get(populated, "/projects/ghost/repositories/app/artifacts?page_size=100")
    assert (listed.status_code, listed.json(), listed.headers["X-Total-Count"]) == (200, [], "0")


def test_an_artifact_answer_holds_every_tag_whatever_its_paging(populated: Harbor) -> None:
    """handler/artifact.go `GetArtifact` binds page and page_size (swagger declares them)
    but never uses them: `populateTags` lists every tag of the artifact."""
    image = populated.push("proj/other:t0")
    for number in range(1, 12):
        populated.push(f"proj/other:t{number}", image)
    path = "/projects/proj/repositories/other/artifacts/t0"
    for query in ("", "?page=2&page_size=5", "?page_size=1"):
        answer = get(populated, path + query)
        assert answer.status_code == 200
        assert len(answer.json()["tags"]) == 12, query
    assert get(populated, path + "?page_size=101").status_code == 422


def test_paging_follows_lib_orm_and_the_links_of_base_go(populated: Harbor) -> None:
    """lib/orm `QuerySetter`: LIMIT only for a page_size above 0, OFFSET only for a page
    above 0; handler/base.go `Links`: no link for page_size 0, "prev" only while the page
    before holds items, the query re-encoded with its keys sorted and then unescaped."""
    rules = "/projects/proj/immutabletagrules"
    for size in ("0", "-1"):
        whole = get(populated, f"{rules}?page_size={size}")
        assert (whole.status_code, len(whole.json())) == (200, 2), size
    assert "Link" not in get(populated, f"{rules}?page_size=0").headers
    first = get(populated, f"{rules}?page=0&page_size=1")
    assert (first.status_code, len(first.json())) == (200, 1)
    assert first.headers["Link"] == f'<{API}{rules}?page=1&page_size=1>; rel="next"'
    beyond = get(populated, f"{rules}?page=5&page_size=1")
    assert (beyond.status_code, beyond.json(), beyond.headers["X-Total-Count"]) == (200, [], "2")
    assert "Link" not in beyond.headers
    ordered = get(populated, f"{rules}?sort=id%2Cdisabled&page_size=1&page=1")
    assert ordered.headers["Link"] == (
        f'<{API}{rules}?page=2&page_size=1&sort=id,disabled>; rel="next"'
    )
    assert get(populated, f"{rules}?page_size=ten").status_code == 422


def test_registry_pulls_are_authorised_as_v2auth_does(populated: Harbor) -> None:
    """middleware/v2auth/auth.go `check`: a pull without an Authorization header is sent to
    the token service even in a public project (an anonymous token then reads it); a
    project that does not exist, or a pull the caller may not make, is 401, never 404/403."""
    populated.state.add_project("pub", public=True)
    populated.push("pub/app:v1")
    manifest = f"{populated.url}/v2/pub/app/manifests/v1"
    accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    anonymous = requests.head(manifest, headers=accept, timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith('Bearer realm="')
    token = requests.get(
        f"{populated.url}/service/token?service=harbor-registry&scope=repository:pub/app:pull",
        timeout=10,
    ).json()["token"]
    read = requests.head(
        manifest, headers={**accept, "Authorization": f"Bearer {token}"}, timeout=10
    )
    assert read.status_code == 200
    ghost = requests.head(
        f"{populated.url}/v2/ghost/app/manifests/v1", headers=accept, auth=ADMIN, timeout=10
    )
    assert ghost.status_code == 401
    private = requests.head(
        f"{populated.url}/v2/proj/team/app/manifests/v1",
        headers={**accept, "Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert private.status_code == 401
    assert private.headers["WWW-Authenticate"] == 'Basic realm="harbor"'
