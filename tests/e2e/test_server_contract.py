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
    assert "harbor_version" not in get(populated, "/systeminfo", auth=None).json()


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        (
            "/projects/proj/repositories/team%252Fapp/artifacts/nope",
            "artifact proj/team/app:nope not found",
        ),
        ("/projects/proj/repositories/ghost/artifacts/v1", "repository proj/ghost not found"),
        ("/projects/ghost/repositories/app/artifacts/v1", "project ghost not found"),
    ],
)
def test_not_found_shapes(populated: Harbor, path: str, shape: str) -> None:
    answer = get(populated, path)
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
