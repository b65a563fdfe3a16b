"""tagguard's replication verdicts held to the test Harbor's real replication.

Two test Harbors on one registry: the source, where the policy lives and where
tests/harbor_server/replication.py (an executor read from Harbor's Go code, independently of
tagguard's core) is installed, and the destination. For each scenario tagguard predicts
(`tagguard replicate --policy N --source HOST --format json`), then the policy is run for
real (`POST /api/v2.0/replication/executions` on the source) and every verdict must match
what happened to its destination reference:

* allow -> the reference was pushed (and the destination now holds the source's digest);
* skip  -> skipped: the same digest, or another digest with `override: false` (then with a
  `replication-stale` warning naming the reference);
* block -> the write was refused with 412 PRECONDITION and the task failed.

And nothing else was written: the references tagguard decided are exactly those the
execution wrote or skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.builders import rule_json
from tests.e2e.conftest import Harbor, Run
from tests.harbor_server.harbor import HarborState, running_harbor
from tests.harbor_server.images import (
    Pusher,
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
    push_index,
)
from tests.harbor_server.registry import Registry
from tests.harbor_server.replication import NO_OVERRIDE, PUSHED, SAME, install
from tests.harbor_server.users import ADMIN

DESTINATION_ADMIN = ("admin", "dest-pw")
API = "/api/v2.0"


@dataclass
class Pair:
    source: Harbor
    dest_url: str
    dest: HarborState
    dest_pusher: Pusher
    results: list[dict[str, Any]]
    policies: int = 0
    runs: list[tuple[Run, dict[str, Any]]] = field(default_factory=list)

    @property
    def dest_host(self) -> str:
        return self.dest_url.split("://", 1)[1]

    def dest_rule(self, project: str, tag: str, repo: str = "**") -> None:
        data = rule_json(0, repo, tag)
        data.pop("id")
        self.dest.add_rule(project, data)

    def policy(self, **fields: Any) -> int:
        """A push-based policy into the destination (GET /replication/policies/{id}'s shape):
        everything under proj/ into `mirror/<last segment>`, override on, unless `fields`
        say otherwise."""
        self.policies += 1
        policy: dict[str, Any] = {
            "id": self.policies,
            "name": f"policy-{self.policies}",
            "src_registry": None,
            "dest_registry": {
                "id": 1,
                "url": self.dest_url,
                "name": "destination",
                "type": "harbor",
                "insecure": True,
            },
            "dest_namespace": "mirror",
            "dest_namespace_replace_count": -1,
            "filters": [{"type": "name", "value": "proj/**"}],
            "trigger": {"type": "manual"},
            "override": True,
            "enabled": True,
            "replicate_deletion": False,
        }
        policy.update(fields)
        self.source.state.policies[self.policies] = policy
        return self.policies

    def predict(self, policy_id: int) -> Run:
        return self.source.tagguard(
            "replicate",
            "--policy",
            str(policy_id),
            "--source",
            self.source.host,
            "--format",
            "json",
        )

    def start(self, policy_id: int) -> requests.Response:
        return requests.post(
            f"{self.source.url}{API}/replication/executions",
            json={"policy_id": policy_id},
            auth=ADMIN,
            timeout=60,
        )

    def replicate(self, policy_id: int) -> dict[str, Any]:
        answer = self.start(policy_id)
        assert answer.status_code == 201, (answer.status_code, answer.text)
        execution = int(answer.headers["Location"].rsplit("/", 1)[1])
        return self.results[execution - 1]

    def check(self, policy_id: int) -> tuple[Run, dict[str, Any]]:
        """Predicts, replicates, and holds every verdict to the real outcome."""
        run = self.predict(policy_id)
        assert run.code in (0, 1), run.err
        result = self.replicate(policy_id)
        assert_verdicts_match(self, run, result)
        return run, result


def assert_verdicts_match(pair: Pair, run: Run, result: dict[str, Any]) -> None:
    """Each destination reference's verdicts, in order, against its writes, in order (a
    reference two source repositories write has two of each)."""
    decided: dict[str, list[str]] = {}
    for decision in run.json["decisions"]:
        reference = decision["reference"].split("/", 1)[1]
        decided.setdefault(reference, []).append(decision["decision"])
    happened: dict[str, list[tuple[str, str]]] = {}
    for write in result["writes"]:
        separator = "@" if write["reference"].startswith("sha256:") else ":"
        reference = f"{write['repository']}{separator}{write['reference']}"
        happened.setdefault(reference, []).append((write["outcome"], write["digest"]))
    assert {r: len(v) for r, v in decided.items()} == {r: len(v) for r, v in happened.items()}
    stale = " ".join(w["message"] for w in run.json["warnings"] if w["code"] == "replication-stale")
    for reference, verdicts in decided.items():
        for number, (verdict, (outcome, digest)) in enumerate(
            zip(verdicts, happened[reference], strict=True), start=1
        ):
            assert_one(pair, reference, verdict, outcome, stale)
            if verdict == "allow" and number == len(verdicts):
                assert _held(pair, reference) == digest, reference
    blocked = any("block" in v for v in decided.values())
    assert run.code == (1 if blocked else 0)
    assert result["status"] == ("Failed" if blocked else "Succeed")


def assert_one(pair: Pair, reference: str, verdict: str, outcome: str, stale: str) -> None:
    if verdict == "allow":
        assert outcome == PUSHED, (reference, outcome)
    elif verdict == "skip":
        assert outcome in (SAME, NO_OVERRIDE), (reference, outcome)
        if outcome == NO_OVERRIDE:
            assert f"{pair.dest_host}/{reference}" in stale, (reference, stale)
    else:
        assert verdict == "block"
        assert outcome.startswith("failed: 412 PRECONDITION"), (reference, outcome)


def _held(pair: Pair, reference: str) -> str | None:
    """The digest the destination holds under a tag (a digest reference: itself, if held)."""
    if "@" in reference:
        repository, _, digest = reference.partition("@")
        return pair.dest_pusher.head_digest(repository, digest)
    repository, _, tag = reference.partition(":")
    return pair.dest_pusher.head_digest(repository, tag)


@pytest.fixture
def pair(harbor: Harbor, registry: Registry, tmp_path: Path) -> Iterator[Pair]:
    """The source is the usual test Harbor (projects proj, other, 123); the destination
    has the project `mirror` and its own admin, whose credentials tagguard finds in a
    docker config (as a pipeline would) and the executor uses."""
    state = HarborState()
    state.add_user(*DESTINATION_ADMIN, admin=True)
    state.add_project("mirror")
    with running_harbor(registry.url, state) as (dest_url, dest):
        docker = tmp_path / "docker-destination"
        docker.mkdir()
        user, password = DESTINATION_ADMIN
        auths = {dest_url.split("://")[1]: {"username": user, "password": password}}
        (docker / "config.json").write_text(json.dumps({"auths": auths}))
        harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
        results = install(harbor.state, harbor.url, DESTINATION_ADMIN)
        yield Pair(harbor, dest_url, dest, Pusher(dest_url, DESTINATION_ADMIN), results)


def destination_writes(pair: Pair) -> list[tuple[str, str]]:
    return [entry for entry in pair.dest.requests_to("") if entry[0] in ("PUT", "POST")]


# -- (i) two source repositories onto one destination tag ----------------------------------


@pytest.mark.parametrize("override", [True, False])
def test_two_repositories_onto_one_tag_the_second_meets_the_first(
    pair: Pair, override: bool
) -> None:
    """dest_namespace_replace_count -1 keeps only the last segment (flow/stage.go
    `replaceNamespace`): proj/a/app and proj/b/app both land in mirror/app. The first
    writes v1, immutable there; the second meets it (transfer.go `copyArtifact`): refused
    with 412 when overriding, else skipped with a warning. SEMANTICS.md section 5."""
    pair.dest_rule("mirror", "v*")
    pair.source.push("proj/a/app:v1")
    pair.source.push("proj/b/app:v1")
    shared = pair.source.push("proj/a/app:latest")
    pair.source.push("proj/b/app:latest", shared)
    run, result = pair.check(pair.policy(override=override))
    verdicts = [(d["reference"].split("/", 1)[1], d["decision"]) for d in run.json["decisions"]]
    assert sorted(verdicts) == sorted(
        [
            ("mirror/app:latest", "allow"),
            ("mirror/app:v1", "allow"),
            ("mirror/app:latest", "skip"),  # the same digest the first wrote
            ("mirror/app:v1", "block" if override else "skip"),
        ]
    )
    # the outcomes map keeps the last write of a reference: the second repository's
    assert result["outcomes"]["mirror/app:v1"] == (
        "failed: 412 PRECONDITION Failed to process request due to 'app:v1' configured "
        "as immutable."
        if override
        else NO_OVERRIDE
    )
    assert next(w["outcome"] for w in result["writes"] if w["reference"] == "v1") == PUSHED


# -- (ii) a re-signed image: the old signature's tag is immutable there ---------------------


@pytest.mark.parametrize("override", [True, False])
def test_a_re_signed_image_fails_on_the_immutable_signature_tag(pair: Pair, override: bool) -> None:
    """The destination holds the same image under v1 and an older cosign signature under
    `sha256-<hex>.sig`, made immutable by a rule `sha256-*`. Harbor-to-Harbor replication
    carries accessories with their own tags (adapter/harbor/v2 client.go
    `getAccessoryArts`), so the new signature is pushed onto the old one's tag: 412 and a
    failed task although the image itself is skipped as the same digest."""
    pair.dest_rule("mirror", "sha256-*")
    image = pair.source.push("proj/app:v1")
    new_signature = make_cosign_signature(image.digest)
    signed = pair.source.pusher.push("proj/app", cosign_tag(image.digest), new_signature)
    assert signed.status_code == 201
    assert pair.dest_pusher.push("mirror/app", "v1", image).status_code == 201
    old_signature = make_cosign_signature(image.digest)
    assert (
        pair.dest_pusher.push("mirror/app", cosign_tag(image.digest), old_signature).status_code
        == 201
    )
    run, result = pair.check(pair.policy(override=override))
    signature_ref = f"mirror/app:{cosign_tag(image.digest)}"
    assert result["outcomes"]["mirror/app:v1"] == SAME
    verdicts = {d["reference"].split("/", 1)[1]: d["decision"] for d in run.json["decisions"]}
    assert verdicts == {"mirror/app:v1": "skip", signature_ref: "block" if override else "skip"}
    assert [w["accessory"] for w in result["writes"]] == [False, True]
    assert pair.dest_pusher.head_digest("mirror/app", cosign_tag(image.digest)) == (
        old_signature.digest
    )


# -- (iii) an empty tag filter with `excludes` --------------------------------------------


def test_an_empty_tag_filter_with_excludes_selects_everything(pair: Pair) -> None:
    """filter/artifact.go `artifactTagFilter.Filter`: an empty pattern returns every
    artifact whatever the decoration; an untagged artifact is replicated by digest."""
    pair.dest_rule("mirror", "v*")
    pair.source.push("proj/app:v1")
    pair.source.push("proj/app:dev")
    untagged = make_image()
    assert pair.source.pusher.push("proj/app", untagged.digest, untagged).status_code == 201
    pair.dest_pusher.push("mirror/app", "v1", make_image())
    pair.dest_pusher.push("mirror/app", "dev", make_image())  # mutable: overwritten
    filters = [
        {"type": "name", "value": "proj/**"},
        {"type": "tag", "value": "", "decoration": "excludes"},
    ]
    run, result = pair.check(pair.policy(filters=filters))
    verdicts = {d["reference"].split("/", 1)[1]: d["decision"] for d in run.json["decisions"]}
    assert verdicts == {
        "mirror/app:v1": "block",
        "mirror/app:dev": "allow",
        f"mirror/app@{untagged.digest}": "allow",
    }
    assert result["outcomes"][f"mirror/app@{untagged.digest}"] == PUSHED


# -- (iv) a label filter with a list of labels --------------------------------------------


def test_a_label_filter_selects_artifacts_carrying_every_label(pair: Pair) -> None:
    """filter/artifact.go `artifactLabelFilter`: an artifact is selected when it carries
    every label of the list (the policy's value is a []string)."""
    both = pair.source.push("proj/app:v1")
    pair.source.push("proj/app:v2")
    pair.source.push("proj/app:v3")
    pair.source.push("proj/api:v1")
    for label in ("release", "prod"):
        pair.source.state.add_label("proj", "app", "v1", label)
        pair.source.state.add_label("proj", "api", "v1", label)
    pair.source.state.add_label("proj", "app", "v2", "release")
    pair.source.push("proj/app:v1-again", both)  # a second tag on the labelled artifact
    filters = [
        {"type": "name", "value": "proj/**"},
        {"type": "label", "value": ["release", "prod"], "decoration": "matches"},
    ]
    run, result = pair.check(pair.policy(filters=filters))
    assert set(result["outcomes"]) == {"mirror/app:v1", "mirror/app:v1-again", "mirror/api:v1"}
    assert run.verdicts() == ["allow"] * 3


# -- (v) a destination project that does not exist -----------------------------------------


def test_a_missing_destination_project_is_created_and_every_tag_allowed(pair: Pair) -> None:
    """base/adapter.go `PrepareForPush` creates each destination project that the list
    query does not find (`POST /projects`), with no immutability rules: every write is
    accepted. tagguard warns `project-created`."""
    pair.source.rule("proj", tag="v*")  # the source's rules say nothing of the destination
    pair.source.push("proj/app:v1")
    pair.source.push("proj/team/api:v2")
    assert "fresh" not in pair.dest.projects
    run, result = pair.check(pair.policy(dest_namespace="fresh"))
    assert run.verdicts() == ["allow", "allow"]
    created = [w for w in run.json["warnings"] if w["code"] == "project-created"]
    assert len(created) == 1
    assert "fresh" in created[0]["message"]
    assert result["created_projects"] == ["fresh"]
    assert "fresh" in pair.dest.projects
    assert not pair.dest.projects["fresh"].public  # the source project is private
    assert ("POST", f"{API}/projects") in pair.dest.requests_to(API)


# -- (vi) a proxy-cache destination project --------------------------------------------------


def test_a_proxy_cache_destination_project_is_skipped(pair: Pair) -> None:
    """`PrepareForPush` marks the resources bound for a project with a `registry_id` as
    skipped: the task writes nothing. tagguard decides nothing there and warns."""
    pair.dest.add_project("hub", registry_id=4)
    pair.source.push("proj/app:v1")
    run, result = pair.check(pair.policy(dest_namespace="hub"))
    assert run.json["decisions"] == []
    skipped = [w for w in run.json["warnings"] if w["code"] == "proxy-cache-skipped"]
    assert len(skipped) == 1
    assert "hub" in skipped[0]["message"]
    assert [t["status"] for t in result["tasks"]] == ["Skipped"]
    assert result["outcomes"] == {}
    assert destination_writes(pair) == []
    assert not [key for key in pair.dest.artifacts if key[0] == "hub"]


# -- (vii) a disabled policy -----------------------------------------------------------------


def test_a_disabled_policy_is_refused_by_both(pair: Pair) -> None:
    """controller/replication/execution.go `Start`: a disabled policy is refused with 412
    before any execution exists. tagguard cannot predict a run that never starts: exit 2
    with one plain sentence."""
    pair.source.push("proj/app:v1")
    policy_id = pair.policy(enabled=False)
    run = pair.predict(policy_id)
    assert run.code == 2
    assert run.undecided()["code"] == "state", run.err  # no run to predict
    message = run.err.strip()
    assert "\n" not in message
    assert "Traceback" not in message
    assert f"policy {policy_id}" in message
    assert "disabled" in message
    answer = pair.start(policy_id)
    assert answer.status_code == 412
    assert answer.json()["errors"][0] == {
        "code": "PRECONDITION",
        "message": f"the policy {policy_id} is disabled",
    }
    assert pair.results == []
    assert destination_writes(pair) == []


# -- (viii) an image index with a tagged child -------------------------------------------------


def test_an_index_with_a_tagged_child_replicates_the_child_under_its_own_tag(
    pair: Pair,
) -> None:
    """The artifact list holds the index and its tagged child (the untagged child only
    travels inside the index: `copyArtifact` pushes children by digest, never checked).
    The child's own tag meets an immutable tag on another digest: 412, while the index's
    tag is written."""
    pair.dest_rule("mirror", "v1*")
    tagged, untagged = make_image(), make_image()
    index = make_index(tagged, untagged)
    answer = push_index(pair.source.pusher, "proj/app", "v1", (tagged, untagged), index)
    assert answer.status_code == 201
    pair.source.push("proj/app:v1-amd64", tagged)
    assert pair.dest_pusher.push("mirror/app", "v1-amd64", make_image()).status_code == 201
    run, _ = pair.check(pair.policy())
    verdicts = {d["reference"].split("/", 1)[1]: d["decision"] for d in run.json["decisions"]}
    assert verdicts == {"mirror/app:v1": "allow", "mirror/app:v1-amd64": "block"}
    assert pair.dest_pusher.head_digest("mirror/app", "v1") == index.digest
    for child in (tagged, untagged):  # both children went in by digest with the index
        assert child.digest in pair.dest.artifacts[("mirror", "app")]


def test_an_index_already_there_is_skipped_with_its_children(pair: Pair) -> None:
    pair.dest_rule("mirror", "v1*")
    children = (make_image(), make_image())
    index = make_index(*children)
    assert push_index(pair.source.pusher, "proj/app", "v1", children, index).status_code == 201
    pair.source.push("proj/app:v1-arm64", children[1])
    assert push_index(pair.dest_pusher, "mirror/app", "v1", children, index).status_code == 201
    pair.dest_pusher.push("mirror/app", "v1-arm64", children[1])
    run, result = pair.check(pair.policy())
    assert run.verdicts() == ["skip", "skip"]
    assert set(result["outcomes"].values()) == {SAME}


# -- what a run costs in requests (docs/performance.md) --------------------------------------


def test_a_policy_check_reads_each_list_once_and_each_accessory_once(pair: Pair) -> None:
    signed = pair.source.push("proj/app:v1")
    pair.source.push("proj/app:v2")
    pair.source.push("proj/app:v3")
    signature = make_cosign_signature(signed.digest)
    answer = pair.source.pusher.push("proj/app", cosign_tag(signed.digest), signature)
    assert answer.status_code == 201
    policy = pair.policy()
    pair.source.state.log.clear()
    run = pair.predict(policy)
    assert run.code == 0, run.err
    asked = sorted(path.split("?")[0] for _, path in pair.source.state.requests_to(API))
    assert asked == sorted(
        [
            f"{API}/replication/policies/{policy}",
            f"{API}/repositories",
            f"{API}/projects/proj/repositories/app/artifacts",
            f"{API}/projects/proj/repositories/app/artifacts/"
            + signature.digest.replace(":", "%3A"),
            f"{API}/systeminfo",
        ]
    )


def test_a_push_an_event_based_policy_replays_onto_an_immutable_tag(pair: Pair) -> None:
    # event/handler.go starts an event-based policy at once on a push; the destination then
    # checks the replayed PUT like any other.
    pair.dest_rule("mirror", "v*")
    assert pair.dest_pusher.push("mirror/app", "v1", make_image()).status_code == 201
    policy = pair.policy(trigger={"type": "event_based"})
    image = make_image()
    ref = pair.source.ref("proj/app:v1")
    plain = pair.source.tagguard("push", ref, "--digest", image.digest, "--format", "json")
    assert plain.verdicts() == ["allow"], plain.err
    assert plain.json["warnings"] == []  # off by default: no policy request
    warned = pair.source.tagguard(
        "push", ref, "--digest", image.digest, "--replication-policies", "auto", "--format", "json"
    )
    assert warned.code == 0, warned.err
    assert [w["code"] for w in warned.json["warnings"]] == ["replication-refused"]
    assert warned.json["warnings"][0]["reference"] == f"{pair.dest_host}/mirror/app:v1"
    pair.source.push("proj/app:v1", image)
    result = pair.replicate(policy)  # the run the push's event starts
    assert result["outcomes"]["mirror/app:v1"].startswith("failed: 412")


def test_a_copy_an_event_based_policy_replays_names_only_the_newest_pushed_tag(
    pair: Pair,
) -> None:
    # copyDeeply (src/controller/artifact/controller.go, v2.15.2) fires one push event per
    # artifact it ensures, naming option.Tags[0]: the source's tags listed newest push first
    # (tag model GetDefaultSorts). The artifact carries v1, then v2 pushed later; the
    # destination holds both on another image, immutable: only v2 is ever replayed.
    pair.dest_rule("mirror", "v*")
    for tag in ("v1", "v2"):
        assert pair.dest_pusher.push("mirror/copy", tag, make_image()).status_code == 201
    image = pair.source.push("proj/app:v1")
    time.sleep(0.01)  # the test Harbor's push times have millisecond precision
    pair.source.push("proj/app:v2", image)
    pair.policy(trigger={"type": "event_based"})
    warned = pair.source.tagguard(
        "copy",
        pair.source.ref("proj/app:v1"),
        pair.source.ref("proj/copy"),
        "--replication-policies",
        "auto",
        "--format",
        "json",
    )
    assert warned.code == 0, warned.err
    assert sorted(warned.verdicts()) == ["allow", "allow"]
    refused = [
        w["reference"] for w in warned.json["warnings"] if w["code"] == "replication-refused"
    ]
    assert refused == [f"{pair.dest_host}/mirror/copy:v2"]
    copied = requests.post(
        f"{pair.source.url}{API}/projects/proj/repositories/copy/artifacts",
        params={"from": "proj/app:v1"},
        auth=ADMIN,
        timeout=60,
    )
    assert copied.status_code == 201, copied.text
    # The event's run: the artifact under its one tag (the test Harbor fires no events, so
    # a policy filtered to that resource stands for it).
    event = pair.policy(
        filters=[{"type": "name", "value": "proj/copy"}, {"type": "tag", "value": "v2"}]
    )
    assert pair.replicate(event)["outcomes"]["mirror/copy:v2"].startswith("failed: 412")


def test_the_destination_harbor_takes_credentials_from_a_variable(
    pair: Pair, tmp_path: Path
) -> None:
    # --credentials HOST=ENVVAR reaches the replication's destination without a docker config.
    pair.source.push("proj/app:v1")
    policy = pair.policy()
    empty = tmp_path / "no-docker"
    empty.mkdir()
    pair.source.monkeypatch.setenv("DOCKER_CONFIG", str(empty))
    refused = pair.predict(policy)
    assert refused.code == 2  # the destination asks for credentials, and none are given
    user, password = DESTINATION_ADMIN
    pair.source.monkeypatch.setenv("MIRROR_AUTH", f"{user}:{password}")
    run = pair.source.tagguard(
        "replicate",
        "--policy",
        str(policy),
        "--source",
        pair.source.host,
        "--credentials",
        f"{pair.dest_host}=MIRROR_AUTH",
        "--format",
        "json",
    )
    assert run.verdicts() == ["allow"], run.err
    assert password not in run.out + run.err


# -- what a replication's manifest PUTs link in the destination --------------------------------


def plan_on_both(pair: Pair, plan: Path) -> Run:
    """`tagguard plan` reading both Harbors, each with its own admin from the docker config
    (the fixture's holds only the destination's)."""
    config = plan.parent / "docker-destination" / "config.json"
    logins = json.loads(config.read_text())
    user, password = ADMIN
    logins["auths"][pair.source.host] = {"username": user, "password": password}
    config.write_text(json.dumps(logins))
    return pair.source.tagguard("plan", str(plan), "--format", "json", credentials=None)


@pytest.mark.parametrize("indexed", [False, True], ids=["image", "index-child"])
def test_a_replicated_manifest_takes_the_signature_its_destination_kept(
    pair: Pair, tmp_path: Path, indexed: bool
) -> None:
    # The signature reached mirror/app before its image (cosign records it by the subject's
    # digest all the same). The policy run PUTs the image - for an index, each child by
    # digest first - through the destination's /v2/ (the Harbor adapter's PushManifest), so
    # the subject middleware (src/server/middleware/subject/subject.go, v2.15.2) links the
    # kept signature to it; deleting v1 then deletes that signature as a root, whose tag the
    # destination holds immutable: 412.
    pair.dest_rule("mirror", "sha256-*")
    child = make_image()
    if indexed:
        index = make_index(child)
        assert push_index(pair.source.pusher, "proj/app", "v1", (child,), index).status_code == 201
    else:
        pair.source.push("proj/app:v1", child)
    signature = make_cosign_signature(child.digest)
    answer = pair.dest_pusher.push("mirror/app", cosign_tag(child.digest), signature)
    assert answer.status_code == 201
    policy = pair.policy()
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - {{replicate: {{policy: {policy}, source: {pair.source.host}}}}}\n"
        f"  - {{delete: {pair.dest_host}/mirror/app:v1, artifact: true}}\n"
    )
    run = plan_on_both(pair, plan)
    assert run.verdicts() == ["allow", "block"], run.err
    assert cosign_tag(child.digest) in run.json["decisions"][1]["reason"]
    assert pair.replicate(policy)["status"] == "Succeed"
    url = f"{pair.dest_url}{API}/projects/mirror/repositories/app/artifacts/v1"
    answer = requests.delete(url, auth=DESTINATION_ADMIN, timeout=10)
    assert answer.status_code == 412, answer.text


@pytest.mark.parametrize(("decoration", "replicated"), [("matches", []), ("excludes", ["v1"])])
def test_an_image_deleted_and_pushed_again_is_selected_by_no_label(
    pair: Pair, tmp_path: Path, decoration: str, replicated: list[str]
) -> None:
    # deleteDeeply removes the artifact's labels with it (labelMgr.RemoveAllFrom,
    # src/controller/artifact/controller.go, v2.15.2); pushed again, the image is a new
    # artifact without any, which the policy's label filter then reads.
    image = pair.source.push("proj/app:v1")
    pair.source.state.add_label("proj", "app", "v1", "prod")
    filters = [
        {"type": "name", "value": "proj/**"},
        {"type": "label", "value": ["prod"], "decoration": decoration},
    ]
    policy = pair.policy(filters=filters)
    plan = tmp_path / "release.yml"
    plan.write_text(
        "operations:\n"
        f"  - {{delete: {pair.source.ref('proj/app:v1')}, artifact: true}}\n"
        f"  - {{push: {pair.source.ref('proj/app:v1')}, digest: '{image.digest}'}}\n"
        f"  - {{replicate: {{policy: {policy}, source: {pair.source.host}}}}}\n"
    )
    run = plan_on_both(pair, plan)
    assert run.code == 0, run.err
    written = [d["reference"].rsplit(":", 1)[1] for d in run.json["decisions"][2:]]
    assert written == replicated
    # What the plan does, for real.
    url = f"{pair.source.url}{API}/projects/proj/repositories/app/artifacts/v1"
    assert requests.delete(url, auth=ADMIN, timeout=10).status_code == 200
    pair.source.push("proj/app:v1", image)
    result = pair.replicate(policy)
    assert sorted(r.rsplit(":", 1)[1] for r in result["outcomes"]) == replicated
