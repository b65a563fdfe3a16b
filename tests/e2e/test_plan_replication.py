"""The plan's two replicate forms in the pair matrix, held to two real test Harbors.

The source Harbor (the `harbor` fixture: proj/app) holds two push-based policies into the
destination Harbor (project `mirror`): both replicate proj/app's focus tag into
mirror/app, one with `override: true`, one without. tests/harbor_server/replication.py,
read from Harbor's Go code independently of tagguard, is their executor. A plan of two
steps (A, B) is checked with `tagguard plan --format json`, then executed for real, in
order (test_plan_matrix.run_and_execute), and each verdict is held to the outcome:

* `replicate: {from: S/proj/app:T, to: D/mirror/app:T}` (crane copy) as a write: allow ->
  the tag holds the source's image; block -> 412 and no change; skip -> it held it already;
* `replicate: {policy: N, source: S}` per destination reference, as test_replication.py
  does: allow -> pushed; skip -> same digest, or kept (`override: false`) with a
  `replication-stale` warning; block -> 412 PRECONDITION and the reference unchanged.

The other step is each kind of the plain matrix, where it makes B depend on A: on the
destination (a push, retag, copy into or out of mirror/app, the three deletes, a
signature) and, before a replication, on the source (what is replicated changes). A
signature of the source image travels with the policy run as an accessory, under its own
tag (adapter/harbor/v2 client.go `getAccessoryArts`): onto the destination's immutable
`sha256-*` signature of the same image (v1), or new there, where it then locks the
replicated image against an artifact delete (latest: the source's image is signed before
the plan). Every replicate form also follows every other.

The destination has its own admin: tagguard reads both Harbors with the docker config a
pipeline logged into both with, as the executor reads the destination.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Harbor
from tests.e2e.test_plan_matrix import (
    COPY,
    DELETE_BY_DIGEST,
    DELETE_BY_TAG,
    DELETE_TAG,
    KINDS,
    PUSH,
    PUSH_UNKNOWN,
    REPLICATE_COPY,
    REPLICATE_POLICY,
    RETAG,
    SIGN,
    Destination,
    Images,
    Op,
    Snapshot,
    check_policy_step,
    push_whole,
    run_and_execute,
)
from tests.harbor_server.harbor import HarborState, running_harbor
from tests.harbor_server.images import (
    Pusher,
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
)
from tests.harbor_server.registry import Registry
from tests.harbor_server.replication import NO_OVERRIDE, PUSHED, install
from tests.harbor_server.users import ADMIN

DEST_ADMIN = ("admin", "mirror-admin-pw")
SOURCE = "proj/app"
TARGET = "mirror/app"
OTHER = "mirror/other"  # the destination's second repository: copies go in and out
OVERRIDE, KEEP = 1, 2  # the two policies' ids

X = make_image("replication-x")  # both: v1 (immutable, the same image on both sides)
T = make_image("replication-t")  # source v3
T2 = make_image("replication-t2")  # destination v3 (immutable, another image)
Y = make_image("replication-y")  # source latest
Z = make_image("replication-z")  # destination latest (mutable, another image)
V = make_image("replication-v")  # source v2 (absent from the destination)
E = make_image("replication-e")  # destination edge
W1, W2, W3, U = (make_image(f"replication-other-{n}") for n in ("1", "2", "3", "u"))
NEW = make_image("replication-new")
DEST_SIGNATURE = make_cosign_signature(X.digest, seed="destination")
SOURCE_SIGNATURE = make_cosign_signature(Y.digest, seed="source-start")

SOURCE_START = {"v1": X, "edge": X, "latest": Y, "v2": V, "v3": T}
TARGET_START = {"v1": X, "v3": T2, "latest": Z, "edge": E}
OTHER_START = {"v1": W1, "v2": W2, "v3": W3, "latest": U, "edge": U}
# The focus tag, on both sides: the same image (immutable), another image (immutable),
# another image (mutable), absent from the destination (immutable once written).
FOCUS = ("v1", "v3", "latest", "v2")

# The step kinds of a pair: a replicate form, or a plain kind on one side.
REPLICATES = (REPLICATE_COPY, "replicate-policy", "replicate-policy-keep")
ON_SOURCE = (PUSH, RETAG, DELETE_TAG, DELETE_BY_TAG)  # what changes what is replicated


@pytest.fixture
def dest(harbor: Harbor, registry: Registry, tmp_path: Path) -> Iterator[Destination]:
    """The destination Harbor, the source's executor installed, and a docker config with
    both Harbors' credentials; tagguard is given no other credential."""
    state = HarborState()
    state.add_user(*DEST_ADMIN, admin=True)
    state.add_project("mirror")
    with running_harbor(registry.url, state) as (url, started):
        target = Harbor(url, started, Pusher(url, DEST_ADMIN), harbor.monkeypatch)
        docker = tmp_path / "docker-both"
        docker.mkdir()
        logins = {harbor.host: ADMIN, target.host: DEST_ADMIN}
        auths = {host: {"username": u, "password": p} for host, (u, p) in logins.items()}
        (docker / "config.json").write_text(json.dumps({"auths": auths}))
        harbor.monkeypatch.setenv("DOCKER_CONFIG", str(docker))
        harbor.credentials = None
        yield Destination(target, install(harbor.state, harbor.url, DEST_ADMIN))


def set_up(
    harbor: Harbor, dest: Destination, images: Images, focus: str, steps: tuple[str, str]
) -> None:
    """Rules: `v*` and `sha256-*` on the destination (signature tags immutable), only
    `sha256-*` on the source, so that a step there can change what is replicated. The
    policies copy proj/app's focus tag (and what travels with its artifact) into
    mirror/app. Only the tags the two steps can reach are pushed (each push costs the
    matrix time): the focus tag, a retag's source tag, the copy's repository."""
    target = dest.harbor
    target.rule("mirror", tag="v*")
    for side, project in ((harbor, "proj"), (target, "mirror")):
        side.rule(project, tag="sha256-*")
    retag_source = "edge" if focus == "latest" else "latest"
    wanted = [(harbor, SOURCE, focus, SOURCE_START)]
    if "source:retag" in steps:
        wanted.append((harbor, SOURCE, "edge", SOURCE_START))
    # The retag source always: without a tag mirror/app would not exist, and the test
    # Harbor answers its artifact list 404 where Harbor answers [] (handler/artifact.go
    # `ListArtifacts` looks no repository up).
    wanted += [(target, TARGET, focus, TARGET_START), (target, TARGET, retag_source, TARGET_START)]
    if "dest:copy" in steps:  # U carries latest and edge: a copy takes both
        wanted += [(target, OTHER, t, OTHER_START) for t in {focus, "edge"} & {focus, "latest"}]
    for side, repo, tag, start in wanted:
        if tag in start:
            side.push(f"{repo}:{tag}", images.add(start[tag]))
    if focus == "v1":  # the destination's X is signed; the signature tag is immutable
        target.push(f"{TARGET}:{cosign_tag(X.digest)}", images.add(DEST_SIGNATURE))
    if focus == "latest":  # the source's Y is signed: a policy run carries the signature
        harbor.push(f"{SOURCE}:{cosign_tag(Y.digest)}", images.add(SOURCE_SIGNATURE))
    for policy_id, override in ((OVERRIDE, True), (KEEP, False)):
        harbor.state.policies[policy_id] = policy(policy_id, target.url, focus, override)


def policy(policy_id: int, dest_url: str, focus: str, override: bool) -> dict[str, Any]:
    """GET /replication/policies/{id}'s shape: proj/app's `focus` into mirror/app."""
    return {
        "id": policy_id,
        "name": f"mirror-{focus}-{'override' if override else 'keep'}",
        "src_registry": None,
        "dest_registry": {
            "id": 1,
            "url": dest_url,
            "name": "destination",
            "type": "harbor",
            "insecure": True,
        },
        "dest_namespace": "mirror",
        "dest_namespace_replace_count": -1,
        "filters": [
            {"type": "name", "value": SOURCE},
            {"type": "tag", "value": focus, "decoration": "matches"},
        ],
        "trigger": {"type": "manual"},
        "override": override,
        "enabled": True,
        "replicate_deletion": False,
    }


def replicate_op(kind: str, focus: str) -> Op:
    if kind == REPLICATE_COPY:
        return Op(REPLICATE_COPY, TARGET, focus, source=focus, source_repo=SOURCE)
    policy_id = KEEP if kind.endswith("-keep") else OVERRIDE
    return Op(REPLICATE_POLICY, TARGET, focus, source_repo=SOURCE, policy=policy_id)


def source_op(kind: str, focus: str, images: Images) -> Op:
    """A plain kind on the source tag, before a replication reads it."""
    if kind == PUSH:
        return Op(PUSH, SOURCE, focus, images.add(NEW))
    if kind == RETAG:
        return Op(RETAG, SOURCE, focus, source="edge", source_repo=SOURCE)
    if kind == SIGN:
        subject = SOURCE_START[focus]
        signature = make_cosign_signature(subject.digest, seed="source")
        return Op(SIGN, SOURCE, cosign_tag(subject.digest), images.add(signature))
    assert kind in (DELETE_TAG, DELETE_BY_TAG)
    return Op(kind, SOURCE, focus)


def dest_op(kind: str, focus: str, after_replication: bool, images: Images) -> Op:
    """A plain kind on the destination tag: before a replication it changes what the
    replication meets; after one it acts on what the replication left (a push writes the
    replicated image again, a signature signs it)."""
    replicated = SOURCE_START[focus] if after_replication else None
    if kind == PUSH:
        return Op(PUSH, TARGET, focus, images.add(replicated or NEW))
    if kind == PUSH_UNKNOWN:
        return Op(PUSH_UNKNOWN, TARGET, focus, images.add(make_image()))
    if kind == RETAG:
        source = "edge" if focus == "latest" else "latest"
        return Op(RETAG, TARGET, focus, source=source, source_repo=TARGET)
    if kind == COPY:
        if not after_replication:  # into mirror/app: every tag the image carries there
            return Op(COPY, OTHER, focus, dest=TARGET)
        return Op(COPY, TARGET, focus, dest=OTHER)
    if kind in (DELETE_TAG, DELETE_BY_TAG):
        return Op(kind, TARGET, focus)
    subject = replicated or TARGET_START.get(focus) or V
    if kind == DELETE_BY_DIGEST:
        return Op(DELETE_BY_DIGEST, TARGET, digest=subject.digest)
    assert kind == SIGN
    signature = make_cosign_signature(subject.digest, seed="destination-again")
    return Op(SIGN, TARGET, cosign_tag(subject.digest), images.add(signature))


def _cases() -> Iterator[Any]:
    pairs: list[tuple[str, str]] = []
    for replicate in REPLICATES:
        pairs += [(f"dest:{kind}", replicate) for kind in KINDS if kind != SIGN]
        pairs += [(f"source:{kind}", replicate) for kind in (*ON_SOURCE, SIGN)]
        pairs += [(replicate, f"dest:{kind}") for kind in KINDS]
        pairs += [(replicate, other) for other in REPLICATES]
    for focus in FOCUS:
        for first, second in pairs:
            yield pytest.param(focus, first, second, id=f"{focus}:{first}>{second}")


def make_step(step: str, focus: str, first: Op | None, images: Images) -> Op:
    if step in REPLICATES:
        return replicate_op(step, focus)
    side, _, kind = step.partition(":")
    if side == "source":
        return source_op(kind, focus, images)
    after = first is not None and first.kind in (REPLICATE_COPY, REPLICATE_POLICY)
    return dest_op(kind, focus, after, images)


@pytest.mark.parametrize(("focus", "first", "second"), list(_cases()))
def test_replication_pair_verdicts_match_the_servers(
    harbor: Harbor, dest: Destination, tmp_path: Path, focus: str, first: str, second: str
) -> None:
    images = Images()
    set_up(harbor, dest, images, focus, (first, second))
    a = make_step(first, focus, None, images)
    b = make_step(second, focus, a, images)
    outcome = run_and_execute(harbor, images, [a, b], tmp_path / "plan.yml", dest)
    assert outcome.problems == []


# -- the matrix's telling cases, with their exact outcomes ---------------------------------


def test_a_source_signature_travels_onto_the_destination_signature(
    harbor: Harbor, dest: Destination, tmp_path: Path
) -> None:
    """The source signs X (v1); the policy then replicates v1 with the signature as an
    accessory under its own tag (adapter/harbor/v2/client.go `getAccessoryArts`). The
    destination holds X already (skipped as the same digest) and an older signature of X
    under the same `sha256-<hex>.sig` tag, immutable there: `copyArtifact`
    (controller/replication/transfer/image/transfer.go) overrides, and the PUT is refused
    with 412 (server/middleware/immutable/pushmf.go). tagguard must see the signature the
    plan's first step writes."""
    images = Images()
    steps = ("source:sign", "replicate-policy")
    set_up(harbor, dest, images, "v1", steps)
    ops = [make_step(steps[0], "v1", None, images), make_step(steps[1], "v1", None, images)]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml", dest)
    assert outcome.problems == []
    assert outcome.verdicts == [["allow"], ["skip", "block"]]
    writes = dest.executions[-1]["writes"]
    assert [(w["reference"], w["accessory"]) for w in writes] == [
        ("v1", False),
        (cosign_tag(X.digest), True),
    ]
    assert writes[1]["outcome"].startswith("failed: 412 PRECONDITION")
    assert dest.harbor.state.tags[("mirror", "app")][cosign_tag(X.digest)] == (
        DEST_SIGNATURE.digest
    )


@pytest.mark.parametrize(
    ("second", "verdict", "status"),
    [("dest:delete-artifact-by-tag", "block", 412), ("dest:delete-tag", "allow", 200)],
)
def test_a_replicated_signature_locks_the_replicated_image(
    harbor: Harbor, dest: Destination, tmp_path: Path, second: str, verdict: str, status: int
) -> None:
    """The policy writes the source's signed Y to the destination's mutable `latest`, and
    Y's signature beside it under its `sha256-<hex>.sig` tag, immutable there; the
    destination's cosign middleware links it to Y. Deleting Y through `latest` is then
    refused: `deleteDeeply` (src/controller/artifact/controller.go) deletes the accessory
    first, and the tag controller's `Delete` (src/controller/tag/controller.go) refuses
    its immutable tag. Deleting only the tag is accepted."""
    images = Images()
    steps = ("replicate-policy", second)
    set_up(harbor, dest, images, "latest", steps)
    a = make_step(steps[0], "latest", None, images)
    ops = [a, make_step(second, "latest", a, images)]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml", dest)
    assert outcome.problems == []
    assert outcome.verdicts == [["allow", "allow"], [verdict]]
    assert outcome.statuses == [201, status]
    signature = f"{TARGET}:{cosign_tag(Y.digest)}"
    assert dest.executions[-1]["outcomes"] == {f"{TARGET}:latest": PUSHED, signature: PUSHED}


def test_a_kept_destination_tag_is_skipped_with_a_stale_warning(
    harbor: Harbor, dest: Destination, tmp_path: Path
) -> None:
    """The plan pushes a new image to the destination's mutable `latest`, then a policy
    without override meets it: transfer.go `copyArtifact` skips ("the \"override\" is
    set to false, skip") and the destination keeps the pushed image."""
    images = Images()
    steps = ("dest:push", "replicate-policy-keep")
    set_up(harbor, dest, images, "latest", steps)
    ops = [
        make_step(steps[0], "latest", None, images),
        make_step(steps[1], "latest", None, images),
    ]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml", dest)
    assert outcome.problems == []
    assert outcome.verdicts == [["allow"], ["skip", "allow"]]  # Y's signature is new there
    assert dest.executions[-1]["outcomes"] == {
        f"{TARGET}:latest": NO_OVERRIDE,
        f"{TARGET}:{cosign_tag(Y.digest)}": PUSHED,
    }
    assert dest.harbor.state.tags[("mirror", "app")]["latest"] == NEW.digest


def test_a_tag_a_replication_creates_is_immutable_for_the_next_step(
    harbor: Harbor, dest: Destination, tmp_path: Path
) -> None:
    """`replicate: {from, to}` creates v2 on the destination, where rule `v*` makes it
    immutable from then on: deleting it in the next step is refused (the tag
    controller's `Delete`, src/controller/tag/controller.go)."""
    images = Images()
    steps = ("replicate-copy", "dest:delete-tag")
    set_up(harbor, dest, images, "v2", steps)
    a = make_step(steps[0], "v2", None, images)
    outcome = run_and_execute(
        harbor, images, [a, make_step(steps[1], "v2", a, images)], tmp_path / "plan.yml", dest
    )
    assert outcome.problems == []
    assert outcome.verdicts == [["allow"], ["block"]]
    assert outcome.statuses == [201, 412]


# -- counterexamples the replication pairs led to --------------------------------------------

CHILD, SIBLING = make_image("replication-child"), make_image("replication-sibling")
INDEX = make_index(CHILD, SIBLING)


@pytest.mark.parametrize("write", [REPLICATE_COPY, "replicate-policy", PUSH])
def test_a_stored_image_an_index_written_in_the_run_references_cannot_be_deleted(
    harbor: Harbor, dest: Destination, tmp_path: Path, write: str
) -> None:
    """The destination holds image C under its own tag `c1` before the plan. The first
    step writes an index whose children are C and another image to mirror/app:v9 (by
    `replicate: {from, to}`, by a policy run, or, to show the cause is not replication's,
    by a push with its digest): its children go first, by digest, and Harbor records the
    index's references (`artifact_reference`). The second step deletes C's artifact by
    `c1`. Harbor refuses: `deleteDeeply` (src/controller/artifact/controller.go) finds C
    referenced by the index and answers ViolateForeignKeyConstraintCode, "the deleting
    artifact is referenced by others", a 412 (src/lib/http/error.go `codeMap`). tagguard
    allows it ("none of the artifact's 1 tag(s) is immutable"): it reads C's parents as
    stored before the plan and does not count the index the run wrote, though for the
    policy it even reads the index's children (`tagguard.replicate`,
    `Replication._related`). It must block (or stop with exit 2)."""
    images = Images()
    set_up(harbor, dest, images, "v9", (write, "dest:delete-artifact-by-tag"))
    images.add(INDEX, (CHILD, SIBLING))
    assert push_whole(harbor, images, SOURCE, "v9", INDEX) == 201
    dest.harbor.push(f"{TARGET}:c1", CHILD)
    first = Op(PUSH, TARGET, "v9", INDEX) if write == PUSH else replicate_op(write, "v9")
    ops = [first, Op(DELETE_BY_TAG, TARGET, "c1")]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml", dest)
    assert outcome.statuses == [201, 412]
    if write == "replicate-policy":
        assert dest.executions[-1]["outcomes"] == {f"{TARGET}:v9": PUSHED}
    assert CHILD.digest in dest.harbor.state.artifacts[("mirror", "app")]
    assert outcome.problems == []


# -- the policy checker itself: it must catch a verdict the run contradicts ----------------


def _write(reference: str, digest: str, outcome: str) -> dict[str, Any]:
    return {
        "repository": TARGET,
        "reference": reference,
        "digest": digest,
        "accessory": False,
        "outcome": outcome,
    }


def _verdict(verdict: str, reference: str, reason: str = "") -> dict[str, Any]:
    return {"decision": verdict, "reference": f"d.example/{TARGET}:{reference}", "reason": reason}


def test_the_policy_checker_catches_verdicts_the_run_contradicts() -> None:
    op = replicate_op("replicate-policy", "latest")
    before = Snapshot({("mirror", "app"): {"latest": Z.digest}}, {("mirror", "app"): {Z.digest}})
    after = Snapshot(
        {("mirror", "app"): {"latest": Y.digest}}, {("mirror", "app"): {Z.digest, Y.digest}}
    )
    pushed = {"writes": [_write("latest", Y.digest, PUSHED)]}
    refused = {"writes": [_write("latest", Y.digest, "failed: 412 PRECONDITION immutable")]}
    kept = {"writes": [_write("latest", Y.digest, NO_OVERRIDE)]}
    stale = f"d.example/{TARGET}:latest keeps its old image"

    def problems(verdicts: list[dict[str, Any]], run: dict[str, Any] | None, **kw: Any) -> Any:
        return check_policy_step(
            op, verdicts, run, kw.get("stale", stale), before, kw.get("after", after)
        )

    assert not problems([_verdict("allow", "latest")], pushed)
    assert problems([_verdict("allow", "latest")], refused, after=before)  # allowed, refused
    assert problems([_verdict("allow", "latest")], pushed, after=before)  # not held after
    assert problems([_verdict("skip", "latest")], pushed)  # skipped, but written
    assert not problems([_verdict("skip", "latest")], kept, after=before)
    assert problems([_verdict("skip", "latest")], kept, after=before, stale="")  # no warning
    assert not problems([_verdict("block", "latest")], refused, after=before)
    assert problems([_verdict("block", "latest")], pushed)  # blocked, but written
    assert not problems([_verdict("block", "latest", "the unknown digest of x")], pushed)
    assert problems([], pushed)  # a write no verdict names
    assert problems([_verdict("allow", "latest"), _verdict("allow", "v9")], pushed)
    assert problems([_verdict("allow", "latest")], None)  # the run never started
