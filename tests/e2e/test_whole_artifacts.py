"""Signing, what-if rules and their impact, and deletes of signed images, against the live
test Harbor: each verdict is followed by the real request, and the server's answer must
agree (allow -> accepted, block -> 412)."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from tests.builders import rule_json
from tests.e2e.conftest import Harbor, Run
from tests.harbor_server.images import (
    Image,
    Pusher,
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
    push_index,
)
from tests.harbor_server.registry import Registry


def test_signing_again_is_blocked_when_a_rule_covers_signature_tags(harbor: Harbor) -> None:
    # goharbor/harbor#17332: a catch-all rule makes the first signature's tag immutable.
    harbor.rule("proj", tag="**")
    image = harbor.push("proj/app:v1")
    unsigned = harbor.tagguard("sign", harbor.ref("proj/app:v1"), "--format", "json")
    assert unsigned.verdicts() == ["allow"], unsigned.err
    assert unsigned.json["decisions"][0]["operation"] == "sign"
    first = make_cosign_signature(image.digest)
    assert harbor.pusher.push("proj/app", cosign_tag(image.digest), first).status_code == 201
    again = harbor.tagguard("sign", harbor.ref("proj/app:v1"), "--format", "json")
    assert again.code == 1
    assert again.json["decisions"][0]["tag"] == cosign_tag(image.digest)
    second = make_cosign_signature(image.digest, seed="again")
    assert harbor.pusher.push("proj/app", cosign_tag(image.digest), second).status_code == 412


def test_a_signature_of_an_untagged_child_is_found_among_tags_read_together(
    harbor: Harbor,
) -> None:
    # cosign sign --recursive signs each platform manifest: the child is untagged, so
    # Harbor's list leaves it out, and its signature is named by no list item. A push of
    # two tags reads the list (not one request per tag): the signature's tag must still be
    # found, not taken as absent.
    _, _, signed = _index_with_a_signed_child(harbor, 0)
    again = make_cosign_signature(signed, seed="again")
    refs = [harbor.ref(f"proj/app:{cosign_tag(signed)}"), harbor.ref("proj/app:v2")]
    run = harbor.tagguard("push", *refs, "--digest", again.digest, "--format", "json")
    verdicts = {d["tag"]: d["decision"] for d in run.json["decisions"]}
    assert verdicts == {cosign_tag(signed): "block", "v2": "allow"}, run.err
    assert harbor.pusher.push("proj/app", cosign_tag(signed), again).status_code == 412


def test_a_recursive_sign_meets_a_childs_immutable_signature(harbor: Harbor) -> None:
    # cosign sign --recursive (sign.go, walk.SignedEntity over mutate.Map) pushes the
    # index's signature, then each child's, in the index's order. The second child was
    # signed before: Harbor refuses cosign's push onto its immutable .sig tag
    # (src/server/middleware/immutable/pushmf.go, v2.15.2), which signing the index alone
    # never meets.
    index, children, signed = _index_with_a_signed_child(harbor, 1)
    alone = harbor.tagguard("sign", harbor.ref("proj/app:v1"), "--format", "json")
    assert alone.verdicts() == ["allow"], alone.err
    run = harbor.tagguard("sign", "--recursive", harbor.ref("proj/app:v1"), "--format", "json")
    assert run.code == 1, run.err
    pushes = [(d["tag"], d["decision"]) for d in run.json["decisions"]]
    order = (index.digest, children[0].digest, signed)
    assert pushes == [
        (cosign_tag(order[0]), "allow"),
        (cosign_tag(order[1]), "allow"),
        (cosign_tag(signed), "block"),
    ]
    # cosign's pushes, as it makes them: the first two accepted, the third refused.
    for digest in order[:2]:
        signature = make_cosign_signature(digest)
        assert harbor.pusher.push("proj/app", cosign_tag(digest), signature).status_code == 201
    again = make_cosign_signature(signed, seed="again")
    assert harbor.pusher.push("proj/app", cosign_tag(signed), again).status_code == 412


def test_signing_two_images_again_finds_the_signature_of_the_signed_one(harbor: Harbor) -> None:
    # Both tags are on the list, so its accessories are not read for them; the signature
    # tags the check asks next are on accessories, and must not be taken as absent.
    harbor.rule("proj", tag="**")
    image = harbor.push("proj/app:v1")
    harbor.push("proj/app:v2")
    first = make_cosign_signature(image.digest)
    assert harbor.pusher.push("proj/app", cosign_tag(image.digest), first).status_code == 201
    run = harbor.tagguard(
        "sign", harbor.ref("proj/app:v1"), harbor.ref("proj/app:v2"), "--format", "json"
    )
    verdicts = {d["tag"]: d["decision"] for d in run.json["decisions"]}
    assert verdicts[cosign_tag(image.digest)] == "block", run.err
    second = make_cosign_signature(image.digest, seed="again")
    assert harbor.pusher.push("proj/app", cosign_tag(image.digest), second).status_code == 412


def test_deleting_a_signed_image_meets_its_signature(harbor: Harbor) -> None:
    harbor.rule("proj", tag="sha256-*")
    image = harbor.push("proj/app:dev")
    signature = make_cosign_signature(image.digest)
    assert harbor.pusher.push("proj/app", cosign_tag(image.digest), signature).status_code == 201
    run = harbor.tagguard("delete", "--artifact", harbor.ref("proj/app:dev"), "--format", "json")
    assert run.verdicts() == ["block"], run.err
    assert "cosign signature" in run.json["decisions"][0]["reason"]
    answer = _delete_artifact(harbor, image.digest)
    assert answer.status_code == 412
    assert harbor.pusher.head_digest("proj/app", "dev") == image.digest


def test_a_blocked_delete_names_the_tag_harbor_s_412_names(harbor: Harbor) -> None:
    # deleteDeeply deletes the artifact's tags as populateTags lists them, newest first
    # (tag model GetDefaultSorts: PushTime, then ID, both descending), and the tag
    # controller's DeleteTags stops at the first immutable one, naming it. By name, v1
    # would come first; Harbor meets v2, pushed last.
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/app:v1")
    assert harbor.pusher.push("proj/app", "v2", image).status_code == 201
    run = harbor.tagguard("delete", "--artifact", harbor.ref("proj/app:v1"), "--format", "json")
    assert run.verdicts() == ["block"], run.err
    assert "deletes tag v2, which is immutable" in run.json["decisions"][0]["reason"]
    answer = _delete_artifact(harbor, image.digest)
    assert answer.status_code == 412
    assert "the tag v2 configured as immutable" in answer.text


def _delete_artifact(harbor: Harbor, digest: str) -> requests.Response:
    """Harbor's API delete of proj/app@digest (deleteDeeply), as a user would run it."""
    return harbor.pusher.session.delete(
        f"{harbor.url}/api/v2.0/projects/proj/repositories/app/artifacts/{digest}", timeout=10
    )


def test_a_rules_file_against_live_harbor_decides_from_the_proposal(
    harbor: Harbor, tmp_path: Path
) -> None:
    # Harbor holds v1 immutable (rule in force: v*); the proposal makes only rc* immutable.
    # Harbor's flag comes from the rules in force and says nothing about the proposal.
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1")
    harbor.push("proj/app:rc1")
    proposal = tmp_path / "rules.json"
    proposal.write_text(json.dumps([rule_json(1, tag="rc*")]))
    run = harbor.tagguard(
        "push",
        harbor.ref("proj/app:v1"),
        harbor.ref("proj/app:rc1"),
        "--digest",
        make_image().digest,
        "--rules-file",
        str(proposal),
        "--format",
        "json",
    )
    assert run.verdicts() == ["allow", "block"], run.err
    notes = [[n["code"] for n in d.get("notes", [])] for d in run.json["decisions"]]
    assert notes == [["rules-change"], ["rules-change"]]


def test_impact_lists_every_tag_the_proposal_changes_both_ways(
    harbor: Harbor, tmp_path: Path
) -> None:
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/app:v1")
    harbor.push("proj/app:rc1")
    harbor.push("proj/app:latest")
    signature = make_cosign_signature(image.digest)
    assert harbor.pusher.push("proj/app", cosign_tag(image.digest), signature).status_code == 201
    proposal = tmp_path / "rules.json"
    proposal.write_text(json.dumps([rule_json(1, tag="{rc*,sha256-*}")]))
    run = harbor.tagguard(
        "impact", harbor.ref("proj/app"), "--rules-file", str(proposal), "--format", "json"
    )
    assert run.code == 0, run.err
    changed = sorted(w["reference"].rsplit("/", 1)[1] for w in run.json["warnings"])
    assert changed == sorted(["app:v1", "app:rc1", f"app:{cosign_tag(image.digest)}"])
    assert {w["code"] for w in run.json["warnings"]} == {"rules-change"}


def test_a_source_digest_missing_from_another_registry_fails_closed(
    harbor: Harbor, registry: Registry
) -> None:
    image = make_image()
    assert Pusher(registry.url).push("upstream/app", "1.0", image).status_code == 201
    host = registry.url.split("://")[1]
    present = harbor.tagguard(
        "replicate",
        "--from",
        f"{host}/upstream/app@{image.digest}",
        "--to",
        harbor.ref("proj/app:1.0"),
        "--format",
        "json",
    )
    assert present.verdicts() == ["allow"], present.err
    missing = harbor.tagguard(
        "replicate",
        "--from",
        f"{host}/upstream/app@{make_image().digest}",
        "--to",
        harbor.ref("proj/app:1.0"),
    )
    assert missing.code == 2
    assert "does not exist" in missing.err


def _api_requests(harbor: Harbor) -> list[str]:
    return [path.split("?")[0] for _, path in harbor.state.requests_to("/api/v2.0/")]


def test_what_whole_artifacts_cost_in_requests(harbor: Harbor) -> None:
    # docs/performance.md: a push of a tag costs the rules and one artifact request; a
    # delete of a signed artifact adds one request for its signature (whose tags are not in
    # the subject's answer) and the repository's list (who references it), once.
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/app:dev")
    signature = make_cosign_signature(image.digest)
    assert harbor.pusher.push("proj/app", cosign_tag(image.digest), signature).status_code == 201
    harbor.state.log.clear()
    push = harbor.tagguard("push", harbor.ref("proj/app:v9"), "--digest", image.digest)
    assert push.code == 0, push.err
    assert sorted(_api_requests(harbor)) == [
        "/api/v2.0/projects/proj/immutabletagrules",
        "/api/v2.0/projects/proj/repositories/app/artifacts/v9",
    ]
    harbor.state.log.clear()
    delete = harbor.tagguard("delete", "--artifact", harbor.ref("proj/app:dev"))
    assert delete.code == 0, delete.err
    assert sorted(_api_requests(harbor)) == sorted(
        [
            "/api/v2.0/projects/proj/immutabletagrules",
            "/api/v2.0/projects/proj/repositories/app/artifacts/dev",
            "/api/v2.0/projects/proj/repositories/app/artifacts",  # who references it
            "/api/v2.0/projects/proj/repositories/app/artifacts/"
            + signature.digest.replace(":", "%3A"),
        ]
    )


def _index_plan(harbor: Harbor, prod_tag: str, tmp_path: Path) -> tuple[Image, Path]:
    """`docker manifest create`'s index over two images tagged in proj/app (v2-amd64,
    v2-arm64), not pushed yet, and a plan that pushes it to proj/app:v2, told only its
    digest (its manifest is not read), then copies it into prod. prod's v* tags are
    immutable and hold `prod_tag` on another image."""
    harbor.state.add_project("prod")
    harbor.rule("prod", tag="v*")
    children = (harbor.push("proj/app:v2-amd64"), harbor.push("proj/app:v2-arm64"))
    harbor.push(f"prod/app:{prod_tag}")
    index = make_index(*children)
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - {{push: {harbor.ref('proj/app:v2')}, digest: '{index.digest}'}}\n"
        f"  - {{copy: {{from: {harbor.ref('proj/app:v2')}, to: {harbor.ref('prod/app')}}}}}\n"
    )
    return index, plan


def _pushed_index_then_copied(harbor: Harbor, prod_tag: str, tmp_path: Path) -> tuple[Run, int]:
    """`_index_plan` checked by tagguard, then run: the index pushed to proj/app:v2 and
    copied into prod by Harbor's copy API (the copy's status)."""
    index, plan = _index_plan(harbor, prod_tag, tmp_path)
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    # The index's children are in proj/app already: the PUT by tag is all `docker manifest
    # push` sends.
    assert push_index(harbor.pusher, "proj/app", "v2", (), index).status_code == 201
    url = f"{harbor.url}/api/v2.0/projects/prod/repositories/app/artifacts?from=proj/app:v2"
    return run, requests.post(url, auth=harbor.credentials, timeout=10).status_code


def test_copying_an_unread_index_whose_child_moves_an_immutable_tag_is_refused(
    harbor: Harbor, tmp_path: Path
) -> None:
    # copyDeeply copies the child tagged v2-amd64 with its tag; prod's immutable v2-amd64 is
    # on another image, so Ensure refuses (412) and the copy fails whole. tagguard cannot
    # read the index, so it blocks as a doubt rather than allow.
    run, status = _pushed_index_then_copied(harbor, "v2-amd64", tmp_path)
    assert run.verdicts() == ["allow", "block"], run.err
    assert "cannot be known" in run.json["decisions"][1]["reason"]
    assert status == 412


def test_copying_an_unread_index_that_moves_no_immutable_tag_is_allowed(
    harbor: Harbor, tmp_path: Path
) -> None:
    # prod's immutable tag is one no artifact of proj/app carries: whatever the index
    # references, nothing immutable moves, and Harbor accepts the copy.
    run, status = _pushed_index_then_copied(harbor, "v1", tmp_path)
    assert run.verdicts() == ["allow", "allow"], run.err
    assert status == 201


def test_what_a_copy_of_an_unread_push_costs_in_requests(harbor: Harbor, tmp_path: Path) -> None:
    # docs/performance.md, `copy`: the source's list (read for every copy), and the
    # destination tags its artifacts carry (v2-amd64, v2-arm64, and the copy's own v2),
    # asked together: prod's one list page rather than a request per tag.
    index, plan = _index_plan(harbor, "v1", tmp_path)
    harbor.state.log.clear()
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    assert run.verdicts() == ["allow", "allow"], run.err
    by_digest = index.digest.replace(":", "%3A")
    assert sorted(_api_requests(harbor)) == sorted(
        [
            "/api/v2.0/projects/proj/immutabletagrules",
            "/api/v2.0/projects/prod/immutabletagrules",
            "/api/v2.0/projects/proj/repositories/app/artifacts/v2",
            "/api/v2.0/projects/proj/repositories/app/artifacts/" + by_digest,
            "/api/v2.0/projects/proj/repositories/app/artifacts",  # an accessory? its children?
            "/api/v2.0/projects/prod/repositories/app/artifacts/" + by_digest,  # there already?
            "/api/v2.0/projects/prod/repositories/app/artifacts",  # the tags a child may move
        ]
    )


def test_an_unread_index_may_carry_the_signature_of_a_child_no_list_names(
    harbor: Harbor, tmp_path: Path
) -> None:
    # `cosign sign --recursive`: amd64, an untagged child of proj/app:v1, has a signature
    # whose tag (sha256-<amd64>.sig) no list item names. A new index over amd64, unread, is
    # copied into prod, where that tag is immutable on another signature: copyDeeply copies
    # amd64 with its signature and the signature's tag, and Ensure refuses it (412).
    # tagguard must find the tag through v1's children, not take the list as all there is.
    harbor.state.add_project("prod")
    harbor.rule("prod", tag="sha256-*")
    amd64, arm64, s390x = make_image("amd64"), make_image("arm64"), make_image("s390x")
    assert push_index(harbor.pusher, "proj/app", "v1", (amd64, arm64), make_index(amd64, arm64)).ok
    signature = make_cosign_signature(amd64.digest)
    assert harbor.pusher.push("proj/app", cosign_tag(amd64.digest), signature).status_code == 201
    other = make_cosign_signature(amd64.digest, seed="other")
    assert harbor.pusher.push("prod/app", cosign_tag(amd64.digest), other).status_code == 201
    index = make_index(amd64, s390x)
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - {{push: {harbor.ref('proj/app:v2')}, digest: '{index.digest}'}}\n"
        f"  - {{copy: {{from: {harbor.ref('proj/app:v2')}, to: {harbor.ref('prod/app')}}}}}\n"
    )
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    assert run.verdicts() == ["allow", "block"], run.err
    assert cosign_tag(amd64.digest) in run.json["decisions"][1]["reason"]
    assert push_index(harbor.pusher, "proj/app", "v2", (s390x,), index).status_code == 201
    url = f"{harbor.url}/api/v2.0/projects/prod/repositories/app/artifacts?from=proj/app:v2"
    assert requests.post(url, auth=harbor.credentials, timeout=10).status_code == 412


def test_a_retagged_index_child_takes_the_signature_its_target_kept(
    harbor: Harbor, tmp_path: Path
) -> None:
    # The child's signature reached prod before the child did (the cosign middleware records
    # it by the subject's digest all the same). crane copy of the index PUTs the child by
    # digest into prod, and the subject middleware (src/server/middleware/subject/
    # subject.go, v2.15.2) links the kept signature to it; deleting the index then deletes
    # the untagged child and its signature, whose tag prod holds immutable: 412.
    harbor.state.add_project("prod")
    harbor.rule("prod", tag="sha256-*")
    child = make_image("amd64")
    index = make_index(child)
    assert push_index(harbor.pusher, "proj/app", "v1", (child,), index).status_code == 201
    signature = make_cosign_signature(child.digest)
    assert harbor.pusher.push("prod/app", cosign_tag(child.digest), signature).status_code == 201
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - {{retag: {{from: {harbor.ref('proj/app:v1')}, to: {harbor.ref('prod/app:v1')}}}}}\n"
        f"  - {{delete: {harbor.ref('prod/app:v1')}, artifact: true}}\n"
    )
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    assert run.verdicts() == ["allow", "block"], run.err
    assert cosign_tag(child.digest) in run.json["decisions"][1]["reason"]
    # What the plan does: crane copy (the child by digest, then the index), then the delete.
    assert push_index(harbor.pusher, "prod/app", "v1", (child,), index).status_code == 201
    url = f"{harbor.url}/api/v2.0/projects/prod/repositories/app/artifacts/v1"
    assert requests.delete(url, auth=harbor.credentials, timeout=10).status_code == 412


def _index_with_a_signed_child(harbor: Harbor, which: int) -> tuple[Image, tuple[Image, ...], str]:
    """Under a catch-all rule (`**`), proj/app:v1 an index of two platform images, the
    `which`th signed by cosign (its `.sig` tag, immutable): (index, children, its digest)."""
    harbor.rule("proj", tag="**")
    children = (make_image("amd64"), make_image("arm64"))
    index = make_index(*children)
    assert push_index(harbor.pusher, "proj/app", "v1", children, index).status_code == 201
    signed = children[which].digest
    signature = make_cosign_signature(signed)
    assert harbor.pusher.push("proj/app", cosign_tag(signed), signature).status_code == 201
    return index, children, signed
