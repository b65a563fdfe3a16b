"""The test Harbor acts on whole artifacts as Harbor's controllers do: index children,
accessories (cosign by tag, OCI `subject`), labels, `deleteDeeply` and `copyDeeply` as one
transaction, pull policies, unstable rule pages, projects and replication executions.
Every image here is really pushed through the server into the distribution registry."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import requests

from tests.e2e.conftest import Harbor
from tests.e2e.test_server_contract import validate
from tests.harbor_server.graph import HarborError
from tests.harbor_server.images import (
    HARBOR_SBOM_TYPE,
    NOTATION_TYPE,
    OCI_INDEX,
    OCI_MANIFEST,
    Image,
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
    make_referrer,
    push_index,
)
from tests.harbor_server.registry import Registry
from tests.harbor_server.users import ADMIN, DEVELOPER

API = "/api/v2.0"
ACCEPT = f"{OCI_INDEX}, {OCI_MANIFEST}"


# -- helpers -------------------------------------------------------------------------------


def api(
    harbor: Harbor, method: str, path: str, *, auth: tuple[str, str] | None = ADMIN, **kw: Any
) -> requests.Response:
    return requests.request(method, f"{harbor.url}{API}{path}", auth=auth, timeout=10, **kw)


def artifact_path(repository: str, reference: str = "") -> str:
    project, _, rest = repository.partition("/")
    encoded = rest.replace("/", "%252F")
    tail = f"/{reference}" if reference else ""
    return f"/projects/{project}/repositories/{encoded}/artifacts{tail}"


def artifact(harbor: Harbor, repository: str, reference: str, query: str = "") -> Any:
    answer = api(harbor, "GET", artifact_path(repository, reference) + f"?{query}")
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, (answer.status_code, answer.text)
    validate(answer.json(), "Artifact")
    return answer.json()


def listed(harbor: Harbor, repository: str, query: str = "page_size=100") -> list[Any]:
    answer = api(harbor, "GET", artifact_path(repository) + f"?{query}")
    assert answer.status_code == 200, (answer.status_code, answer.text)
    validate(answer.json(), "Artifact", many=True)
    assert answer.headers["X-Total-Count"] == str(len(answer.json())) or "page=" in query
    return list(answer.json())


def tags(data: Any) -> set[str]:
    return {t["name"] for t in data.get("tags") or []}


def sign(harbor: Harbor, repository: str, subject: str, tag: str | None = None) -> Image:
    signature = make_cosign_signature(subject)
    answer = harbor.pusher.push(repository, tag or cosign_tag(subject), signature)
    assert answer.status_code == 201, (answer.status_code, answer.text)
    return signature


def in_backend(registry: Registry, repository: str, digest: str) -> bool:
    answer = requests.head(
        f"{registry.url}/v2/{repository}/manifests/{digest}",
        headers={"Accept": ACCEPT},
        timeout=10,
    )
    return answer.status_code == 200


def pushed_index(
    harbor: Harbor, repository: str, tag: str, *child_tags: str | None
) -> tuple[Image, list[Image]]:
    """An index over len(child_tags) new children; a child with a name also gets that tag."""
    children = [make_image() for _ in child_tags]
    index = make_index(*children)
    answer = push_index(harbor.pusher, repository, tag, tuple(children), index)
    assert answer.status_code == 201, (answer.status_code, answer.text)
    for child, name in zip(children, child_tags, strict=True):
        if name:
            harbor.push(f"{repository}:{name}", child)
    return index, children


# -- the graph -----------------------------------------------------------------------------


def test_an_index_references_its_children_and_the_list_hides_untagged_ones(
    harbor: Harbor,
) -> None:
    index, (amd, arm) = pushed_index(harbor, "proj/app", "v1", None, "arm-only")
    data = artifact(harbor, "proj/app", "v1")
    ids = {c.digest: artifact(harbor, "proj/app", c.digest)["id"] for c in (amd, arm)}
    # handler/model/artifact.go Reference.ToSwagger, assembled whatever the options
    assert [(r["parent_id"], r["child_id"], r["child_digest"]) for r in data["references"]] == [
        (data["id"], ids[amd.digest], amd.digest),
        (data["id"], ids[arm.digest], arm.digest),
    ]
    assert [r["platform"]["architecture"] for r in data["references"]] == ["amd64", "arm64"]
    # dao.go `both`: tagged, or referenced by nothing; the untagged child is left out
    assert {a["digest"] for a in listed(harbor, "proj/app")} == {index.digest, arm.digest}
    assert "references" not in artifact(harbor, "proj/app", "arm-only")


def test_a_cosign_signature_pushed_by_tag_is_an_accessory(harbor: Harbor) -> None:
    image = harbor.push("proj/app:v1")
    signature = sign(harbor, "proj/app", image.digest)
    plain = artifact(harbor, "proj/app", "v1")
    assert "accessories" not in plain
    data = artifact(harbor, "proj/app", "v1", "with_accessory=true")
    (accessory,) = data["accessories"]
    validate(accessory, "Accessory")
    signature_id = artifact(harbor, "proj/app", signature.digest)["id"]
    assert accessory["digest"] == signature.digest
    assert accessory["type"] == "signature.cosign"
    assert accessory["artifact_id"] == signature_id
    assert accessory["subject_artifact_id"] == data["id"]
    assert accessory["subject_artifact_digest"] == image.digest
    assert accessory["subject_artifact_repo"] == "proj/app"
    # dao.go `notacc`: the list leaves accessories out, tagged or not
    assert [a["digest"] for a in listed(harbor, "proj/app")] == [image.digest]


def test_cosign_links_by_its_regexp_with_the_unescaped_dot(harbor: Harbor) -> None:
    image = harbor.push("proj/app:v1")
    odd_tag = cosign_tag(image.digest).replace(".sig", "_sig")
    signature = sign(harbor, "proj/app", image.digest, odd_tag)
    accessories = artifact(harbor, "proj/app", "v1", "with_accessory=true")["accessories"]
    assert [a["digest"] for a in accessories] == [signature.digest]


def test_a_sig_tag_without_a_simplesigning_layer_links_nothing(harbor: Harbor) -> None:
    image = harbor.push("proj/app:v1")
    harbor.push(f"proj/app:{cosign_tag(image.digest)}")
    assert "accessories" not in artifact(harbor, "proj/app", "v1", "with_accessory=true")
    assert len(listed(harbor, "proj/app")) == 2


def test_a_signature_pushed_before_its_subject_links_when_the_subject_arrives(
    harbor: Harbor,
) -> None:
    image = make_image()
    signature = sign(harbor, "proj/app", image.digest)
    assert listed(harbor, "proj/app") == []  # an accessory row exists, the subject not yet
    harbor.push("proj/app:v1", image)
    accessories = artifact(harbor, "proj/app", "v1", "with_accessory=true")["accessories"]
    assert [(a["digest"], a["type"]) for a in accessories] == [
        (signature.digest, "signature.cosign")
    ]


@pytest.mark.parametrize(
    ("artifact_type", "config_type", "kind"),
    [
        (NOTATION_TYPE, "application/vnd.oci.empty.v1+json", "signature.notation"),
        (HARBOR_SBOM_TYPE, "application/vnd.oci.empty.v1+json", "sbom.harbor"),
        (None, "application/vnd.dev.cosign.artifact.sig.v1+json", "signature.cosign"),
        (None, "application/vnd.oci.image.config.v1+json", "subject.accessory"),
        ("application/vnd.example+json", "application/vnd.oci.empty.v1+json", "subject.accessory"),
    ],
)
def test_a_subject_field_links_with_the_type_subject_go_gives(
    harbor: Harbor, artifact_type: str | None, config_type: str, kind: str
) -> None:
    image = harbor.push("proj/app:v1")
    referrer = make_referrer(image, artifact_type, config_type)
    assert harbor.pusher.push("proj/app", referrer.digest, referrer).status_code == 201
    accessories = artifact(harbor, "proj/app", "v1", "with_accessory=true")["accessories"]
    assert [(a["digest"], a["type"]) for a in accessories] == [(referrer.digest, kind)]


def test_labels_only_with_with_label(harbor: Harbor) -> None:
    harbor.push("proj/app:v1")
    harbor.state.add_label("proj", "app", "v1", "release")
    assert "labels" not in artifact(harbor, "proj/app", "v1")
    (label,) = artifact(harbor, "proj/app", "v1", "with_label=true")["labels"]
    validate(label, "Label")
    assert label["name"] == "release"
    assert label["id"] == harbor.state.label_ids["release"]


def test_the_artifact_list_is_newest_first_unless_sorted_by_id(harbor: Harbor) -> None:
    pushed = [harbor.push(f"proj/app:t{i}").digest for i in range(3)]
    assert [a["digest"] for a in listed(harbor, "proj/app")] == pushed[::-1]
    ids = [a["id"] for a in listed(harbor, "proj/app", "sort=id&page_size=100")]
    assert ids == sorted(ids)
    assert [a["digest"] for a in listed(harbor, "proj/app", "sort=id&page_size=100")] == pushed
    assert [a["digest"] for a in listed(harbor, "proj/app", "sort=-id&page_size=100")] == pushed[
        ::-1
    ]


# -- delete: deleteDeeply in one transaction ---------------------------------------------------


def test_an_immutable_sig_tag_refuses_the_delete_and_nothing_goes(
    harbor: Harbor, registry: Registry
) -> None:
    harbor.rule("proj", tag="sha256-*")
    image = harbor.push("proj/app:v1")
    harbor.push("proj/app:latest", image)
    signature = sign(harbor, "proj/app", image.digest)
    answer = api(harbor, "DELETE", artifact_path("proj/app", "v1"))
    assert answer.status_code == 412
    assert answer.json()["errors"][0] == {
        "code": "PRECONDITION",
        "message": f"the tag {cosign_tag(image.digest)} configured as immutable, cannot be deleted",
    }
    data = artifact(harbor, "proj/app", "v1", "with_accessory=true")
    assert tags(data) == {"latest", "v1"}
    assert [a["digest"] for a in data["accessories"]] == [signature.digest]
    assert tags(artifact(harbor, "proj/app", signature.digest)) == {cosign_tag(image.digest)}
    assert in_backend(registry, "proj/app", image.digest)
    assert in_backend(registry, "proj/app", signature.digest)
    # the registry's DELETE by digest runs the same deleteDeeply
    deleted = requests.delete(
        f"{harbor.url}/v2/proj/app/manifests/{image.digest}", auth=ADMIN, timeout=10
    )
    assert deleted.status_code == 412
    assert artifact(harbor, "proj/app", "v1") is not None


def test_a_refusal_on_the_root_restores_the_accessories_already_deleted(
    harbor: Harbor, registry: Registry
) -> None:
    # deleteDeeply deletes the accessories first, then meets the root's immutable tag.
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/app:v1")
    signature = sign(harbor, "proj/app", image.digest)
    answer = api(harbor, "DELETE", artifact_path("proj/app", image.digest))
    assert answer.status_code == 412
    assert answer.json()["errors"][0]["message"] == (
        "the tag v1 configured as immutable, cannot be deleted"
    )
    accessories = artifact(harbor, "proj/app", "v1", "with_accessory=true")["accessories"]
    assert [a["digest"] for a in accessories] == [signature.digest]
    assert artifact(harbor, "proj/app", cosign_tag(image.digest))["digest"] == signature.digest
    assert in_backend(registry, "proj/app", signature.digest)


def test_a_delete_takes_accessories_and_lone_untagged_children(
    harbor: Harbor, registry: Registry
) -> None:
    index, (lone, tagged) = pushed_index(harbor, "proj/app", "v1", None, "arm-only")
    signature = sign(harbor, "proj/app", index.digest)
    child_signature = sign(harbor, "proj/app", lone.digest)
    answer = api(harbor, "DELETE", artifact_path("proj/app", "v1"))
    assert answer.status_code == 200, answer.text
    for gone in (index, lone, signature, child_signature):
        assert artifact(harbor, "proj/app", gone.digest) is None
        assert not in_backend(registry, "proj/app", gone.digest)
    assert tags(artifact(harbor, "proj/app", tagged.digest)) == {"arm-only"}
    assert in_backend(registry, "proj/app", tagged.digest)
    assert [a["digest"] for a in listed(harbor, "proj/app")] == [tagged.digest]


def test_a_child_shared_with_another_index_stays(harbor: Harbor) -> None:
    shared, own = make_image(), make_image()
    first, second = make_index(shared), make_index(shared, own)
    assert push_index(harbor.pusher, "proj/app", "one", (shared,), first).status_code == 201
    assert push_index(harbor.pusher, "proj/app", "two", (shared, own), second).status_code == 201
    assert api(harbor, "DELETE", artifact_path("proj/app", "one")).status_code == 200
    assert artifact(harbor, "proj/app", first.digest) is None
    assert artifact(harbor, "proj/app", shared.digest) is not None  # 'two' still references it
    assert api(harbor, "DELETE", artifact_path("proj/app", "two")).status_code == 200
    assert artifact(harbor, "proj/app", shared.digest) is None


def test_deleting_a_referenced_child_is_a_foreign_key_violation(harbor: Harbor) -> None:
    _, (child,) = pushed_index(harbor, "proj/app", "v1", None)
    answer = api(harbor, "DELETE", artifact_path("proj/app", child.digest))
    # lib/http/error.go: VIOLATE_FOREIGN_KEY_CONSTRAINT -> 412
    assert answer.status_code == 412
    assert answer.json()["errors"][0] == {
        "code": "VIOLATE_FOREIGN_KEY_CONSTRAINT",
        "message": "the deleting artifact is referenced by others",
    }
    assert artifact(harbor, "proj/app", child.digest) is not None


# -- copy: copyDeeply + Ensure in one transaction ----------------------------------------------


def copy(harbor: Harbor, source: str, destination: str) -> requests.Response:
    return api(harbor, "POST", artifact_path(destination) + f"?from={source}")


def test_copying_an_index_copies_its_children_with_their_own_tags(
    harbor: Harbor, registry: Registry
) -> None:
    index, (lone, tagged) = pushed_index(harbor, "proj/src", "v1", None, "arm-only")
    signature = sign(harbor, "proj/src", index.digest)
    answer = copy(harbor, "proj/src:v1", "other/dst")
    assert answer.status_code == 201, answer.text
    assert tags(artifact(harbor, "other/dst", index.digest)) == {"v1"}
    assert tags(artifact(harbor, "other/dst", tagged.digest)) == {"arm-only"}
    assert tags(artifact(harbor, "other/dst", lone.digest)) == set()
    assert tags(artifact(harbor, "other/dst", signature.digest)) == {cosign_tag(index.digest)}
    accessories = artifact(harbor, "other/dst", "v1", "with_accessory=true")["accessories"]
    assert [(a["digest"], a["type"]) for a in accessories] == [
        (signature.digest, "signature.cosign")
    ]
    references = artifact(harbor, "other/dst", "v1")["references"]
    assert [r["child_digest"] for r in references] == [lone.digest, tagged.digest]
    for copied in (index, lone, tagged, signature):
        assert in_backend(registry, "other/dst", copied.digest)
    pulled = requests.get(
        f"{harbor.url}/v2/other/dst/manifests/v1",
        auth=ADMIN,
        headers={"Accept": ACCEPT},
        timeout=10,
    )
    assert pulled.status_code == 200
    assert pulled.content == index.manifest


def test_a_copy_that_meets_one_immutable_tag_leaves_no_trace(
    harbor: Harbor, registry: Registry
) -> None:
    harbor.rule("other", tag="arm-*")
    harbor.push("other/dst:arm-only")  # another image holds the child's tag, immutable
    before = artifact(harbor, "other/dst", "arm-only")["digest"]
    index, (lone, tagged) = pushed_index(harbor, "proj/src", "v1", None, "arm-only")
    signature = sign(harbor, "proj/src", index.digest)
    answer = copy(harbor, "proj/src:v1", "other/dst")
    assert answer.status_code == 412
    assert answer.json()["errors"][0] == {
        "code": "PRECONDITION",
        "message": "the tag arm-only configured as immutable, cannot be updated",
    }
    assert artifact(harbor, "other/dst", "arm-only")["digest"] == before
    for image in (index, lone, tagged, signature):
        assert artifact(harbor, "other/dst", image.digest) is None
        assert not in_backend(registry, "other/dst", image.digest)
    assert artifact(harbor, "other/dst", "v1") is None
    assert [a["digest"] for a in listed(harbor, "other/dst")] == [before]


def test_a_copy_into_a_new_repository_that_fails_leaves_no_repository(harbor: Harbor) -> None:
    harbor.rule("other", tag="v1")
    image = harbor.push("proj/src:v1")
    harbor.push("proj/src:latest", image)
    harbor.push("other/dst:v1")
    assert copy(harbor, "proj/src:v1", "other/fresh").status_code == 201
    assert copy(harbor, "proj/src:v1", "other/dst").status_code == 412
    assert artifact(harbor, "other/dst", "latest") is None  # 'latest' came with v1: rolled back


def test_a_copy_moves_mutable_tags_and_leaves_its_own(harbor: Harbor) -> None:
    old = harbor.push("other/dst:latest")
    image = harbor.push("proj/src:v1")
    harbor.push("proj/src:latest", image)
    assert copy(harbor, "proj/src:v1", "other/dst").status_code == 201
    assert tags(artifact(harbor, "other/dst", image.digest)) == {"latest", "v1"}
    assert tags(artifact(harbor, "other/dst", old.digest)) == set()
    harbor.rule("other", tag="v1")  # now immutable, but on the same artifact: left alone
    assert copy(harbor, "proj/src:v1", "other/dst").status_code == 201


def test_a_source_already_in_the_destination_only_ensures_the_roots_tags(
    harbor: Harbor,
) -> None:
    index, (child,) = pushed_index(harbor, "proj/src", "v1", "c-1")
    assert copy(harbor, "proj/src:v1", "other/dst").status_code == 201
    harbor.push("proj/src:v2", index)
    harbor.push("proj/src:c-2", child)
    assert copy(harbor, "proj/src:v1", "other/dst").status_code == 201
    assert tags(artifact(harbor, "other/dst", index.digest)) == {"v1", "v2"}
    assert tags(artifact(harbor, "other/dst", child.digest)) == {"c-1"}  # children not again


# -- pushes by tag are checked, accessories too ------------------------------------------------


def test_signing_twice_under_an_immutable_sig_tag_is_refused(harbor: Harbor) -> None:
    harbor.rule("proj")  # '**': every tag, the .sig tag too (goharbor/harbor#17332)
    image = harbor.push("proj/app:v1")
    sign(harbor, "proj/app", image.digest)
    again = harbor.pusher.push(
        "proj/app", cosign_tag(image.digest), make_cosign_signature(image.digest)
    )
    assert again.status_code == 412
    assert again.json()["errors"][0]["code"] == "PRECONDITION"


# -- pull policies -----------------------------------------------------------------------------


def head(harbor: Harbor, repository: str, reference: str, agent: str = "") -> requests.Response:
    headers = {"Accept": ACCEPT, **({"User-Agent": agent} if agent else {})}
    return requests.head(
        f"{harbor.url}/v2/{repository}/manifests/{reference}",
        auth=ADMIN,
        headers=headers,
        timeout=10,
    )


def test_cosign_content_trust_refuses_unsigned_pulls_with_a_policy_code(harbor: Harbor) -> None:
    image = harbor.push("proj/app:v1")
    harbor.state.projects["proj"].content_trust_cosign = True
    refused = requests.get(
        f"{harbor.url}/v2/proj/app/manifests/v1",
        auth=ADMIN,
        headers={"Accept": ACCEPT},
        timeout=10,
    )
    assert refused.status_code == 412
    assert refused.json()["errors"][0] == {
        "code": "PROJECTPOLICYVIOLATION",
        "message": "The image is not signed by cosign.",
    }
    assert head(harbor, "proj/app", "v1").status_code == 412
    assert head(harbor, "proj/app", "v1", agent="cosign/v2.2").status_code == 200
    signature = sign(harbor, "proj/app", image.digest)
    assert head(harbor, "proj/app", "v1").status_code == 200
    assert head(harbor, "proj/app", signature.digest).status_code == 200


def test_vulnerability_prevention_refuses_unscanned_pulls(harbor: Harbor) -> None:
    harbor.push("proj/app:v1")
    harbor.state.projects["proj"].prevent_vulnerable = "high"
    refused = requests.get(
        f"{harbor.url}/v2/proj/app/manifests/v1", auth=ADMIN, headers={"Accept": ACCEPT}, timeout=10
    )
    assert refused.status_code == 412
    error = refused.json()["errors"][0]
    assert error["code"] == "PROJECTPOLICYVIOLATION"
    assert 'severity of "high" or higher' in error["message"]


# -- rule pages --------------------------------------------------------------------------------


def rule_pages(harbor: Harbor, sort: str) -> list[list[int]]:
    pages = []
    for page in (1, 2, 3):
        answer = api(
            harbor,
            "GET",
            f"/projects/proj/immutabletagrules?page={page}&page_size=10{sort}",
        )
        assert answer.status_code == 200
        assert answer.headers["X-Total-Count"] == "25"
        pages.append([r["id"] for r in answer.json()])
    return pages


def test_rule_pages_without_sort_repeat_and_skip_with_sort_id_never(harbor: Harbor) -> None:
    ids = [harbor.rule("proj", repo=f"r{i}") for i in range(25)]
    broken = 0
    for seed in range(10):
        harbor.state.rule_rng = random.Random(seed)
        pages = rule_pages(harbor, "")
        assert all(page == sorted(page) for page in pages)  # the manager sorts each page
        seen = [i for page in pages for i in page]
        assert len(seen) == 25
        broken += len(set(seen)) < 25
        harbor.state.rule_rng = random.Random(seed)
        assert rule_pages(harbor, "") == pages  # the seed replays the order
        assert [i for page in rule_pages(harbor, "&sort=id") for i in page] == ids
    assert broken > 0
    harbor.state.rule_rng = None
    assert [i for page in rule_pages(harbor, "") for i in page] == ids


# -- projects ----------------------------------------------------------------------------------


def test_get_and_head_project(harbor: Harbor) -> None:
    harbor.push("proj/app:v1")
    cache = harbor.state.add_project("hub-cache", registry_id=7)
    answer = api(harbor, "GET", "/projects/proj")
    assert answer.status_code == 200
    validate(answer.json(), "Project")
    assert answer.json()["name"] == "proj"
    assert answer.json()["repo_count"] == 1
    assert "registry_id" not in answer.json()
    by_id = api(harbor, "GET", f"/projects/{cache.id}")
    validate(by_id.json(), "Project")
    assert (by_id.json()["name"], by_id.json()["registry_id"]) == ("hub-cache", 7)
    assert api(harbor, "GET", "/projects/proj", auth=DEVELOPER).status_code == 200
    assert api(harbor, "GET", "/projects/hub-cache", auth=DEVELOPER).status_code == 403
    assert api(harbor, "GET", "/projects/ghost").status_code == 404
    assert api(harbor, "HEAD", "/projects?project_name=proj").status_code == 200
    assert api(harbor, "HEAD", "/projects?project_name=ghost").status_code == 404
    assert api(harbor, "HEAD", "/projects?project_name=proj", auth=None).status_code == 401


# -- replication executions --------------------------------------------------------------------


def start(harbor: Harbor, auth: tuple[str, str] = ADMIN) -> requests.Response:
    return api(harbor, "POST", "/replication/executions", auth=auth, json={"policy_id": 3})


def test_starting_a_replication_calls_the_hook(harbor: Harbor) -> None:
    assert start(harbor).status_code == 404
    harbor.state.policies[3] = {"id": 3, "name": "p", "enabled": True}
    assert start(harbor).status_code == 500
    calls: list[int] = []

    def replicate(policy_id: int) -> int:
        calls.append(policy_id)
        if len(calls) > 1:
            raise HarborError(412, "PRECONDITION", "refused")
        return 41

    harbor.state.replicate = replicate
    answer = start(harbor)
    assert answer.status_code == 201
    assert answer.headers["Location"] == f"{API}/replication/executions/41"
    assert calls == [3]
    assert start(harbor).status_code == 412
    assert start(harbor, DEVELOPER).status_code == 403
    harbor.state.policies[3]["enabled"] = False
    disabled = start(harbor)
    assert disabled.json()["errors"][0]["message"] == "the policy 3 is disabled"
    assert calls == [3, 3]


# -- tag rows: ids from a sequence, the tag list's order ------------------------------------------


def tag_list(harbor: Harbor, repository: str, reference: str, query: str = "") -> list[Any]:
    answer = api(harbor, "GET", artifact_path(repository, reference) + f"/tags?{query}")
    assert answer.status_code == 200, (answer.status_code, answer.text)
    validate(answer.json(), "Tag", many=True)
    return list(answer.json())


def test_tag_ids_are_unique_so_tagguard_reads_a_106_tag_artifact(harbor: Harbor) -> None:
    """Tag ids come from the `tag` table's sequence (src/pkg/tag/model/tag/model.go `ID`,
    pk;auto): never shared. tagguard re-reads an artifact of 100 tags or more from its tag
    list and fails closed on a repeated id, as it must on overlapping pages."""
    image = harbor.push("proj/app:t000")
    for number in range(1, 106):
        harbor.push(f"proj/app:t{number:03d}", image)
    harbor.push("proj/other:t000", image)
    every = [
        *tag_list(harbor, "proj/app", "t000", "page_size=100"),
        *tag_list(harbor, "proj/app", "t000", "page=2&page_size=100"),
        *tag_list(harbor, "proj/other", "t000"),
    ]
    ids = [t["id"] for t in every]
    assert len(ids) == 107
    assert len(set(ids)) == len(ids)
    run = harbor.tagguard(
        "push", harbor.ref("proj/app:t000"), "--digest", image.digest, "--format", "json"
    )
    assert run.code == 0, run.err
    assert run.verdicts() == ["skip"]
    assert any("/tags?" in path and "sort=id" in path for _, path in harbor.state.log)


def test_a_moved_tag_keeps_its_id_and_a_remade_one_gets_a_new_id(harbor: Harbor) -> None:
    """Tag controller `Ensure`: a tag moved onto another artifact keeps its row (id) and
    gets a new push time; a deleted tag's row goes, so pushing it again makes a new one."""
    first, second = harbor.push("proj/app:a"), make_image()
    harbor.push("proj/app:b", first)
    (before,) = [t for t in tag_list(harbor, "proj/app", "a") if t["name"] == "a"]
    time.sleep(0.002)
    harbor.push("proj/app:a", second)
    (moved,) = tag_list(harbor, "proj/app", "a")
    assert moved["id"] == before["id"]
    assert moved["push_time"] > before["push_time"]
    delete = api(harbor, "DELETE", artifact_path("proj/app", "b") + "/tags/b")
    assert delete.status_code == 200
    harbor.push("proj/app:b", first)
    (remade,) = tag_list(harbor, "proj/app", "b")
    assert remade["id"] > moved["id"]


def test_a_refused_copy_leaves_the_tag_ids_as_they_were(harbor: Harbor) -> None:
    harbor.rule("proj", tag="v1")
    harbor.push("proj/app:v1")
    harbor.push("proj/app:latest")
    kept = {t["name"]: t["id"] for t in tag_list(harbor, "proj/app", "v1")}
    source = harbor.push("other/app:v1")
    harbor.push("other/app:latest", source)
    assert copy(harbor, "other/app:v1", "proj/app").status_code == 412
    assert {t["name"]: t["id"] for t in tag_list(harbor, "proj/app", "v1")} == kept


def test_the_tag_list_is_newest_push_first_unless_sorted(harbor: Harbor) -> None:
    """handler/artifact.go `ListTags` passes `sort` to the tag DAO; without it the model's
    `GetDefaultSorts` (src/pkg/tag/model/tag/model.go) orders by push time, then id, both
    descending. A tag moved away and back is pushed anew but keeps its old id."""
    image, other = harbor.push("proj/app:a"), make_image()
    for name in ("b", "c"):
        time.sleep(0.002)
        harbor.push(f"proj/app:{name}", image)
    time.sleep(0.002)
    harbor.push("proj/app:a", other)
    time.sleep(0.002)
    harbor.push("proj/app:a", image)

    def names(query: str) -> list[str]:
        return [t["name"] for t in tag_list(harbor, "proj/app", "b", query)]

    assert names("") == ["a", "c", "b"]
    assert names("sort=id") == ["a", "b", "c"]
    by_id = [t["id"] for t in tag_list(harbor, "proj/app", "b", "sort=id")]
    assert by_id == sorted(by_id)
    assert names("sort=-id") == ["c", "b", "a"]
    assert names("sort=-name") == ["c", "b", "a"]
    assert names("sort=push_time") == ["b", "c", "a"]
    assert names("sort=nonsense") == names("")  # setSorts drops a key the model lacks
    page = api(harbor, "GET", artifact_path("proj/app", "b") + "/tags?sort=id&page_size=2")
    assert [t["name"] for t in page.json()] == ["a", "b"]
    assert page.headers["X-Total-Count"] == "3"
    assert "sort=id" in page.headers["Link"]


# -- creating and listing projects -------------------------------------------------------------


def test_create_project_as_project_req_says(harbor: Harbor) -> None:
    """handler/project.go `CreateProject`: 201 with the new id in Location, `public`
    defaulting to false, 409 for a name taken, 400 for a bad `metadata.public`, 401
    anonymous, 403 for a project robot and for a proxy cache asked by a non-admin."""
    made = api(harbor, "POST", "/projects", json={"project_name": "mirror"})
    assert made.status_code == 201, made.text
    created = api(harbor, "GET", "/projects/mirror", headers={"X-Is-Resource-Name": "true"})
    validate(created.json(), "Project")
    assert made.headers["Location"] == f"{API}/projects/{created.json()['project_id']}"
    assert created.json()["metadata"]["public"] == "false"
    again = api(harbor, "POST", "/projects", json={"project_name": "mirror"})
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "CONFLICT")
    public = api(harbor, "POST", "/projects", json={"project_name": "open", "public": True})
    assert public.status_code == 201
    assert harbor.state.projects["open"].public
    bad = {"project_name": "bad", "metadata": {"public": "yes"}}
    assert api(harbor, "POST", "/projects", json=bad).status_code == 400
    assert (
        api(harbor, "POST", "/projects", json={"project_name": "x"}, auth=None).status_code == 401
    )
    robot = ("robot$proj+ci", "robot-secret")
    assert (
        api(harbor, "POST", "/projects", json={"project_name": "x"}, auth=robot).status_code == 403
    )
    cache = {"project_name": "hub", "registry_id": 1}
    assert api(harbor, "POST", "/projects", json=cache, auth=DEVELOPER).status_code == 403
    assert "bad" not in harbor.state.projects
    assert "hub" not in harbor.state.projects
    mine = api(harbor, "POST", "/projects", json={"project_name": "devs"}, auth=DEVELOPER)
    assert mine.status_code == 201
    assert harbor.state.projects["devs"].members["dev"] == "projectAdmin"
    assert harbor.pusher.push("mirror/app", "v1", make_image()).status_code == 201


def test_list_projects_by_a_name_query(harbor: Harbor) -> None:
    """What replication's `PrepareForPush` asks (base/client.go `ListProjectsWithQuery`):
    `q=name={'a' 'b'}` gives the projects of those names; a developer sees only the
    public projects and its own."""
    harbor.state.add_project("hub", registry_id=3)
    answer = api(harbor, "GET", "/projects", params={"q": "name={'proj' 'hub' '123' 'ghost'}"})
    assert answer.status_code == 200
    validate(answer.json(), "Project", many=True)
    assert {p["name"]: p.get("registry_id") for p in answer.json()} == {
        "123": None,
        "hub": 3,
        "proj": None,
    }
    seen = api(harbor, "GET", "/projects", params={"page_size": "100"}, auth=DEVELOPER)
    assert {p["name"] for p in seen.json()} == {"proj", "other", "123"}
    assert api(harbor, "GET", "/projects", params={"q": "name={proj"}).status_code == 400
