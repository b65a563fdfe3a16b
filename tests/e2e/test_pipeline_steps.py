"""How pipelines really release: digest sources, copies, replications, reference lists.
Each verdict is checked against what the server then does with the real operation."""

from __future__ import annotations

import json
from pathlib import Path

import requests

from tests.e2e.conftest import Harbor
from tests.harbor_server.harbor import HarborState, running_harbor
from tests.harbor_server.images import (
    Image,
    Pusher,
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
    push_index,
    write_oci_layout,
)
from tests.harbor_server.registry import Registry
from tests.harbor_server.users import ADMIN


def test_digest_from_an_oci_layout(harbor: Harbor, tmp_path: Path) -> None:
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/app:v1")
    write_oci_layout(str(tmp_path / "same"), image, "release")
    write_oci_layout(str(tmp_path / "new"), make_image(), "release")
    same = harbor.tagguard(
        "push",
        harbor.ref("proj/app:v1"),
        "--oci-layout",
        f"{tmp_path / 'same'}:release",
        "--format",
        "json",
    )
    assert same.verdicts() == ["skip"]
    moved = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--oci-layout", str(tmp_path / "new"), "--format", "json"
    )
    assert moved.verdicts() == ["block"]
    missing = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--oci-layout", f"{tmp_path / 'new'}:nope"
    )
    assert missing.code == 2
    assert "no manifest is named 'nope'" in missing.err


def test_digest_of_a_multi_platform_build_is_the_index(harbor: Harbor, tmp_path: Path) -> None:
    harbor.rule("proj", tag="v*")
    children = (make_image(), make_image())
    index = make_index(*children)
    assert push_index(harbor.pusher, "proj/app", "v1", children, index).status_code == 201
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"containerimage.digest": index.digest, "image.name": "x"}))
    same = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--metadata-file", str(metadata), "--format", "json"
    )
    assert same.verdicts() == ["skip"]
    assert same.json["decisions"][0]["current_digest"] == index.digest
    other = (make_image(), make_image())
    metadata.write_text(json.dumps({"containerimage.digest": make_index(*other).digest}))
    moved = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--metadata-file", str(metadata))
    assert moved.code == 1
    assert push_index(harbor.pusher, "proj/app", "v1", other, make_index(*other)).status_code == 412


def test_digest_from_an_image_in_another_registry(harbor: Harbor, registry: Registry) -> None:
    image = make_image()
    assert Pusher(registry.url).push("ci/app", "build-42", image).status_code == 201
    harbor.rule("proj", tag="v*")
    harbor.push("proj/app:v1", image)
    source = f"{registry.url.split('://')[1]}/ci/app:build-42"
    run = harbor.tagguard(
        "push",
        harbor.ref("proj/app:v1"),
        harbor.ref("proj/app:v2"),
        "--from",
        source,
        "--format",
        "json",
    )
    assert run.verdicts() == ["skip", "allow"]
    assert run.json["decisions"][1]["from_reference"] == source


def test_references_from_docker_metadata_action(harbor: Harbor, tmp_path: Path) -> None:
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/app:v1.2.3")
    tags = "\n".join(harbor.ref(f"proj/app:{t}") for t in ("v1.2.3", "v1.2", "latest")) + "\n"
    harbor.monkeypatch.setenv("DOCKER_METADATA_OUTPUT_TAGS", tags)
    run = harbor.tagguard(
        "push",
        "--refs-from-env",
        "DOCKER_METADATA_OUTPUT_TAGS",
        "--digest",
        image.digest,
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    assert run.verdicts() == ["skip", "allow", "allow"]
    listed = tmp_path / "refs.txt"
    listed.write_text(tags)
    from_file = harbor.tagguard(
        "push", "--refs-file", str(listed), "--digest", make_image().digest, "--format", "json"
    )
    assert from_file.verdicts() == ["block", "allow", "allow"]


def _copy(harbor: Harbor, source: str, destination_repo: str) -> requests.Response:
    project, _, repository = destination_repo.partition("/")
    url = f"{harbor.url}/api/v2.0/projects/{project}/repositories/{repository.replace('/', '%252F')}/artifacts?from={source}"
    return requests.post(url, auth=ADMIN, timeout=10)


def test_copy_checks_every_tag_the_source_carries(harbor: Harbor) -> None:
    harbor.rule("proj", repo="dst", tag="v*")
    image = harbor.push("proj/src:v1")
    harbor.push("proj/src:latest", image)
    harbor.push("proj/dst:v1")  # another digest, immutable in dst
    run = harbor.tagguard(
        "copy", harbor.ref("proj/src:latest"), harbor.ref("proj/dst"), "--format", "json"
    )
    assert run.code == 1
    by_tag = {d["tag"]: d["decision"] for d in run.json["decisions"]}
    assert by_tag == {"latest": "allow", "v1": "block"}
    assert run.json["warnings"][0]["code"] == "copy-fails-whole"
    # latest alone Harbor would take, but the copy writes nothing: its reason says so
    # (it said "the copy creates it").
    (latest,) = [d for d in run.json["decisions"] if d["tag"] == "latest"]
    assert latest["reason"].endswith(
        "; but Harbor refuses the whole copy for tag v1, so it is not written"
    )
    refused = _copy(harbor, "proj/src:latest", "proj/dst")
    assert refused.status_code == 412
    assert "cannot be updated" in refused.text
    # Into a repository with nothing in the way, the same copy is allowed and succeeds.
    clean = harbor.tagguard(
        "copy", harbor.ref("proj/src:latest"), harbor.ref("proj/other"), "--format", "json"
    )
    assert clean.code == 0
    assert _copy(harbor, "proj/src:latest", "proj/other").status_code == 201
    again = harbor.tagguard(
        "copy", harbor.ref("proj/src:latest"), harbor.ref("proj/other"), "--format", "json"
    )
    assert again.verdicts() == ["skip", "skip"]
    assert _copy(harbor, "proj/src:latest", "proj/other").status_code == 201


def test_replicate_an_explicit_pair(harbor: Harbor, registry: Registry) -> None:
    image = make_image()
    assert Pusher(registry.url).push("upstream/app", "1.0", image).status_code == 201
    harbor.rule("proj", tag="1.*")
    harbor.push("proj/app:1.0")
    source = f"{registry.url.split('://')[1]}/upstream/app:1.0"
    run = harbor.tagguard(
        "replicate",
        "--from",
        source,
        "--to",
        harbor.ref("proj/app:1.0"),
        "--to",
        harbor.ref("proj/app:1.0-mirror"),
        "--format",
        "json",
    )
    assert run.code == 1
    assert run.verdicts() == ["block", "allow"]
    assert {d["operation"] for d in run.json["decisions"]} == {"replicate"}
    assert harbor.pusher.push("proj/app", "1.0", image).status_code == 412
    assert harbor.pusher.push("proj/app", "1.0-mirror", image).status_code == 201


def _replicate_for_real(
    source: Harbor, destination: Pusher, policy: dict[str, object]
) -> dict[str, str]:
    """What Harbor's replication does with each selected tag, done against the servers:
    skip the same digest, skip another digest unless override, else push (maybe 412)."""
    outcome: dict[str, str] = {}
    for (project, repository), tags in sorted(source.state.tags.items()):
        name = f"{project}/{repository}"
        if not name.startswith("proj/"):
            continue
        for tag, digest in sorted(tags.items()):
            if not tag.startswith("v"):
                continue
            target = f"mirror/{repository.split('/')[-1]}"
            current = destination.head_digest(target, tag)
            if current == digest:
                outcome[f"{target}:{tag}"] = "skipped: same"
            elif current is not None and not policy["override"]:
                outcome[f"{target}:{tag}"] = "skipped: no override"
            else:
                manifest = source.pusher.session.get(
                    f"{source.url}/v2/{name}/manifests/{digest}",
                    headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
                    timeout=10,
                )
                body = json.loads(manifest.content)
                blobs = tuple(
                    source.pusher.session.get(
                        f"{source.url}/v2/{name}/blobs/{b['digest']}", timeout=10
                    ).content
                    for b in [body["config"], *body["layers"]]
                )
                answer = destination.push(
                    target,
                    tag,
                    Image(manifest.content, "application/vnd.oci.image.manifest.v1+json", blobs),
                )
                outcome[f"{target}:{tag}"] = str(answer.status_code)
    return outcome


def test_a_replication_policy_between_two_harbors(
    harbor: Harbor, registry: Registry, tmp_path: Path
) -> None:
    destination_state = HarborState()
    destination_state.add_user("admin", "dest-pw", admin=True)
    destination_state.add_project("mirror")
    with running_harbor(registry.url, destination_state) as (dest_url, dest):
        dest_pusher = Pusher(dest_url, ("admin", "dest-pw"))
        dest.add_rule(
            "mirror",
            {
                "scope_selectors": {
                    "repository": [
                        {"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}
                    ]
                },
                "tag_selectors": [
                    {"kind": "doublestar", "decoration": "matches", "pattern": "v1*"}
                ],
            },
        )
        same, moved, fresh, stale = make_image(), make_image(), make_image(), make_image()
        harbor.push("proj/team/api:v1.0", same)
        harbor.push("proj/team/api:v1.1", moved)
        harbor.push("proj/web:v2.0", fresh)
        harbor.push("proj/web:dev", make_image())  # the tag filter leaves it out
        harbor.push("other/app:v1.0", make_image())  # the name filter leaves it out
        assert dest_pusher.push("mirror/api", "v1.0", same).status_code == 201
        assert (
            dest_pusher.push("mirror/api", "v1.1", make_image()).status_code == 201
        )  # immutable there
        assert dest_pusher.push("mirror/web", "v2.0", stale).status_code == 201  # mutable there
        for override in (True, False):
            policy = {
                "id": 7,
                "name": "to-mirror",
                "src_registry": None,
                "override": override,
                "enabled": True,
                "dest_registry": {
                    "id": 1,
                    "url": dest_url,
                    "name": "mirror",
                    "type": "harbor",
                    "insecure": True,
                },
                "dest_namespace": "mirror",
                "dest_namespace_replace_count": -1,
                "filters": [
                    {"type": "name", "value": "proj/**"},
                    {"type": "tag", "value": "v*", "decoration": "matches"},
                ],
                "trigger": {"type": "manual"},
                "replicate_deletion": False,
            }
            harbor.state.policies[7] = policy
            docker = tmp_path / f"docker-{override}"
            docker.mkdir()
            (docker / "config.json").write_text(
                json.dumps(
                    {
                        "auths": {
                            dest_url.split("://")[1]: {"username": "admin", "password": "dest-pw"}
                        }
                    }
                )
            )
            harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
            run = harbor.tagguard(
                "replicate", "--policy", "7", "--source", harbor.host, "--format", "json"
            )
            assert run.code == (1 if override else 0), run.err
            verdicts = {
                d["reference"].split("/", 1)[1]: d["decision"] for d in run.json["decisions"]
            }
            expected = {
                "mirror/api:v1.0": "skip",
                "mirror/api:v1.1": "block" if override else "skip",
                "mirror/web:v2.0": "allow" if override else "skip",
            }
            assert verdicts == expected
            if not override:
                stale_warnings = [
                    w for w in run.json["warnings"] if w["code"] == "replication-stale"
                ]
                assert len(stale_warnings) == 2
                real = _replicate_for_real(harbor, dest_pusher, policy)
                assert real == {
                    "mirror/api:v1.0": "skipped: same",
                    "mirror/api:v1.1": "skipped: no override",
                    "mirror/web:v2.0": "skipped: no override",
                }
        real = _replicate_for_real(harbor, dest_pusher, {**policy, "override": True})
        assert real == {
            "mirror/api:v1.0": "skipped: same",
            "mirror/api:v1.1": "412",
            "mirror/web:v2.0": "201",
        }


def test_reading_a_policy_needs_a_system_admin(harbor: Harbor) -> None:
    harbor.state.policies[3] = {
        "id": 3,
        "name": "p",
        "dest_registry": {"id": 1, "url": "http://127.0.0.1:1"},
    }
    run = harbor.tagguard(
        "replicate", "--policy", "3", "--source", harbor.host, credentials=("dev", "dev-password")
    )
    assert run.code == 2
    assert "403" in run.err


def test_a_plan_against_the_live_harbor_asks_each_question_once(
    harbor: Harbor, tmp_path: Path
) -> None:
    harbor.rule("proj", tag="v*")
    harbor.rule("other", tag="**")
    image = harbor.push("proj/app:v1")
    harbor.push("other/lib:1.0")
    fresh = make_image()
    layout = tmp_path / "build"
    write_oci_layout(str(layout), fresh, "app")
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - push: {harbor.ref('proj/app:v1')}\n    digest: {image.digest}\n"
        f"  - push: [{harbor.ref('proj/app:v2')}, {harbor.ref('proj/app:latest')}]\n    oci-layout: build:app\n"
        f"  - retag: {{from: {harbor.ref('proj/app:v2')}, to: {harbor.ref('proj/app:stable')}}}\n"
        f"  - copy: {{from: {harbor.ref('proj/app:v1')}, to: {harbor.ref('other/app')}}}\n"
        f"  - delete: {harbor.ref('other/lib:1.0')}\n"
        f"  - push: {harbor.ref('proj/app:v1')}\n    digest: {fresh.digest}\n"
    )
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    assert run.code == 1, run.err
    got = [
        (d["source"]["line"], d["reference"].split("/", 1)[1], d["decision"])
        for d in run.json["decisions"]
    ]
    assert got == [
        (2, "proj/app:v1", "skip"),
        (4, "proj/app:v2", "allow"),
        (4, "proj/app:latest", "allow"),
        (6, "proj/app:stable", "allow"),
        (7, "other/app:v1", "allow"),
        (8, "other/lib:1.0", "block"),
        (9, "proj/app:v1", "block"),
    ]
    rules_requests = harbor.state.requests_to("/api/v2.0/projects/")
    per_project = {path.split("/")[4] for _, path in rules_requests if "/immutabletagrules" in path}
    assert per_project == {"proj", "other"}
    assert len([p for _, p in rules_requests if "/immutabletagrules" in p]) == 2
    # Both projects' rules mean the same under either glob: Harbor's version is not needed.
    assert harbor.state.requests_to("/api/v2.0/systeminfo") == []
    # proj/app has four tags to check and few artifacts: one page of its list answers all;
    # other/lib has one: one artifact request. Nothing is asked twice.
    state = [
        p
        for _, p in harbor.state.requests_to("/api/v2.0/projects/")
        if "/immutabletagrules" not in p
    ]
    proj_app = [
        p.split("?")[0] for p in state if p.startswith("/api/v2.0/projects/proj/repositories/app/")
    ]
    assert proj_app == ["/api/v2.0/projects/proj/repositories/app/artifacts"]
    assert len(state) == len(set(state))


def test_a_plan_that_signs_an_image_twice_is_refused_the_second_signature(
    harbor: Harbor, tmp_path: Path
) -> None:
    """Under a rule over every tag, the first signing of an image creates its
    `sha256-<hex>.sig` tag and the second PUTs it again with another signature: Harbor
    answers 412. The plan said the second was a skip (both digests unknown, taken as one)."""
    harbor.rule("proj", tag="**")
    image = harbor.push("proj/app:1.0")
    plan = tmp_path / "release.yml"
    signing = f"  - sign: {harbor.ref('proj/app:1.0')}\n"
    plan.write_text("operations:\n" + signing * 2)
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    assert run.code == 1, run.err
    got = [(d["source"]["line"], d["tag"], d["decision"]) for d in run.json["decisions"]]
    assert got == [(2, cosign_tag(image.digest), "allow"), (3, cosign_tag(image.digest), "block")]
    # What the server does with the two signings, as cosign pushes them.
    for status in (201, 412):
        signature = make_cosign_signature(image.digest)
        answer = harbor.pusher.push("proj/app", cosign_tag(image.digest), signature)
        assert answer.status_code == status, (answer.status_code, answer.text)


def test_a_question_asked_ahead_that_fails_fails_the_plan_closed(
    harbor: Harbor, tmp_path: Path
) -> None:
    """State is asked for concurrently while the plan is decided: a repository whose list
    cannot be read stops the whole plan with exit 2, even after earlier verdicts."""
    from tests.harbor_server.harbor import Fault, status

    harbor.rule("proj", tag="v*")
    first = harbor.push("proj/app:v1")
    harbor.push("proj/lib:v1")
    harbor.state.faults.append(Fault(r"/repositories/lib/artifacts", status(500), method="GET"))
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - push: {harbor.ref('proj/app:v1')}\n    digest: {first.digest}\n"
        f"  - push: [{harbor.ref('proj/lib:v1')}, {harbor.ref('proj/lib:v2')}]\n"
        f"    digest: {first.digest}\n"
    )
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    assert run.code == 2, run.out
    # No partial report that a pipeline could mistake for a verdict: the JSON is the error.
    assert run.json["decisions"] == []
    assert run.json["summary"] == {"allow": 0, "skip": 0, "block": 0}
    assert run.json["error"]["code"] == "remote"
    assert "500" in run.json["error"]["message"]
    assert "500" in run.err
    assert "proj/lib" in run.err.replace("repositories/", "")
