"""A release plan through one session: each operation checked as its kind, in order, each
decision carrying its line; the steps that cannot run say why."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.decide import Operation, Verdict
from tagguard.core.plan import (
    Copy,
    Delete,
    DigestFile,
    Plan,
    Push,
    Replicate,
    ReplicatePolicy,
    Retag,
    Sign,
)
from tagguard.core.rules import parse_rules
from tagguard.core.state import (
    ArtifactInfo,
    OfflineSources,
    RepositoryState,
    RulesTable,
    StateTable,
    TagInfo,
)
from tagguard.errors import InputError, StateError
from tagguard.release_plan import run_plan
from tagguard.session import Session
from tests.builders import rule_json
from tests.sessions import DESTINATION, A, B, Harbor, policy, ref, session


def test_each_plan_operation_is_checked_as_its_kind() -> None:
    run = session()
    plan = Plan(
        "release.yml",
        (
            Push(1, (ref("h.io/p/app:v2"),), A),
            Retag(2, ref("h.io/p/app:dev"), (ref("h.io/p/app:v3"),)),
            Replicate(3, ref("h.io/p/app:dev"), (ref("h.io/q/app:v3"),)),
            Sign(4, (ref("h.io/p/app:v1"),)),
            Copy(5, ref("h.io/p/app:v1"), ref("h.io/q/app", None)),
            Delete(6, (ref("h.io/p/app:dev"),)),
            Delete(7, (ref(f"h.io/p/app@{B}"),), artifact=True),
        ),
    )
    run_plan(run, plan, None)
    # The copy writes both tags of v1's image (v2 was pushed onto it at line 1).
    operations = list(dict.fromkeys((d.origin, d.operation) for d in run.report.decisions))
    assert operations == [
        (("release.yml", 1), Operation.PUSH),
        (("release.yml", 2), Operation.RETAG),
        (("release.yml", 3), Operation.REPLICATE),
        (("release.yml", 4), Operation.SIGN),
        (("release.yml", 5), Operation.COPY),
        (("release.yml", 6), Operation.DELETE),
        (("release.yml", 7), Operation.DELETE_ARTIFACT),
    ]
    assert run.report.decisions[1].new_digest == B  # the retag wrote dev's image


def test_a_later_operation_sees_what_an_earlier_one_wrote() -> None:
    run = session()
    plan = Plan(
        "release.yml",
        (Push(1, (ref("h.io/q/app:v7"),), A), Push(2, (ref("h.io/q/app:v7"),), B)),
    )
    run_plan(run, plan, None)
    verdicts = [(d.origin, d.decision) for d in run.report.decisions]
    assert verdicts == [(("release.yml", 1), Verdict.ALLOW), (("release.yml", 2), Verdict.BLOCK)]


def test_a_policy_without_a_source_harbor_is_an_input_error() -> None:
    with pytest.raises(
        InputError, match=r"^release\.yml:4: replicate needs the Harbor holding policy 9"
    ):
        run_plan(session(), Plan("release.yml", (ReplicatePolicy(4, 9),)), None)


def test_a_policy_is_read_from_a_live_harbor_only() -> None:
    with pytest.raises(InputError, match="read from a live Harbor, not from files"):
        run_plan(session(), Plan("release.yml", (ReplicatePolicy(4, 9),)), "h.io")


def test_a_policy_step_names_its_harbor_or_takes_the_default() -> None:
    sources = Harbor(
        {"h.io/p/app": RepositoryState.from_tags({"v1": A}), "other.io/p/app": RepositoryState()},
        [policy()],
    )
    run = Session(sources, glob.NEWEST)
    steps = (ReplicatePolicy(1, 4, "h.io"), ReplicatePolicy(2, 4))
    run_plan(run, Plan("release.yml", steps), "other.io")
    # Line 1 replicates h.io's v1; line 2 reads the policy from other.io, whose repository
    # is empty. The destination project was asked about once, for the whole plan.
    written = [(d.origin, d.reference) for d in run.report.decisions]
    assert written == [(("release.yml", 1), f"{DESTINATION}/p/app:v1")]
    assert sources.project_questions == [(DESTINATION, "p")]


def test_a_digest_file_must_be_read_before_the_check() -> None:
    pushed = Push(2, (ref("h.io/p/app:v2"),), DigestFile("metadata-file", "meta.json"))
    with pytest.raises(InputError, match=r"release\.yml:2: the digest in metadata-file meta\.json"):
        run_plan(session(), Plan("release.yml", (pushed,)), None)


def test_a_push_from_another_image_writes_its_digest() -> None:
    run = session()
    push = Push(1, (ref("h.io/q/app:v1"),), ref("h.io/p/app:dev"))
    run_plan(run, Plan("release.yml", (push,)), None)
    (decision,) = run.report.decisions
    assert (decision.decision, decision.new_digest) == (Verdict.ALLOW, B)


def test_a_push_of_an_unknown_image_names_its_line() -> None:
    run = session()
    run_plan(run, Plan("release.yml", (Push(3, (ref("h.io/q/app:v1"),), None),)), None)
    (decision,) = run.report.decisions
    assert [n.code for n in decision.notes] == ["unknown-digest"]
    assert "the image pushed at release.yml:3" in decision.notes[0].message


def test_a_second_signing_in_a_plan_is_a_new_signature_and_harbor_refuses_it() -> None:
    """Two `sign` steps of one image, neither with the signature's digest, under a rule that
    makes every tag immutable (`**`). cosign adds each signature to the `sha256-<hex>.sig`
    manifest, so the second signing PUTs that tag with another digest, and Harbor's
    immutable middleware refuses a PUT onto an existing immutable tag whatever its digest
    (src/server/middleware/immutable/pushmf.go; goharbor#17332): the second step is a block.
    It was a skip: both steps' unknown digests were "the signature of h.io/p/app:v1", equal."""
    state = {"h.io/p/app": RepositoryState.from_tags({"v1": A})}
    sources = OfflineSources(
        RulesTable(shared=parse_rules([rule_json(1, tag="**")], "rules")), StateTable(state)
    )
    run = Session(sources, glob.NEWEST)
    signing = (ref("h.io/p/app:v1"),)
    run_plan(run, Plan("release.yml", (Sign(4, signing), Sign(5, signing))), None)
    first, second = run.report.decisions
    assert first.tag == second.tag == f"sha256-{'a' * 64}.sig"
    assert (first.origin, first.decision) == (("release.yml", 4), Verdict.ALLOW)
    assert (second.origin, second.decision) == (("release.yml", 5), Verdict.BLOCK)
    assert "an earlier step writes it" in second.reason


def test_a_recursive_sign_step_signs_each_image_of_the_index() -> None:
    """`recursive: true` is cosign sign --recursive: after the index's signature, the
    signature of each image it references, each a push Harbor checks (pushmf.go, v2.15.2).
    A plan that signs the index, then signs it recursively, meets the index's own
    signature tag again: immutable under `**`, so the second step is a block."""
    index = "sha256:" + "1" * 64
    artifacts = (ArtifactInfo(index, (TagInfo("v1"),), children=(A, B)), *map(ArtifactInfo, (A, B)))
    sources = OfflineSources(
        RulesTable(shared=parse_rules([rule_json(1, tag="**")], "rules")),
        StateTable({"h.io/p/app": RepositoryState(artifacts)}),
    )
    run = Session(sources, glob.NEWEST)
    signing = (ref("h.io/p/app:v1"),)
    run_plan(run, Plan("release.yml", (Sign(4, signing), Sign(5, signing, recursive=True))), None)
    tags = [(d.origin[1], d.tag, d.decision) for d in run.report.decisions if d.origin]
    signature = {d: f"sha256-{d.removeprefix('sha256:')}.sig" for d in (index, A, B)}
    assert tags == [
        (4, signature[index], Verdict.ALLOW),
        (5, signature[index], Verdict.BLOCK),
        (5, signature[A], Verdict.ALLOW),
        (5, signature[B], Verdict.ALLOW),
    ]


def test_a_copy_carries_a_signature_an_earlier_step_pushed_without_its_digest() -> None:
    """copyDeeply copies the artifact's accessories with their tags
    (src/controller/artifact/controller.go), a cosign signature too, whatever tagguard was
    told of its digest. The destination holds that `.sig` tag already, immutable, on an
    image which may or may not be the one signed at line 2: Harbor refuses the copy if it
    is another, so no write is safe. The signature was left out and the copy allowed."""
    sig = f"sha256-{'a' * 64}.sig"
    state = {
        "h.io/p/app": RepositoryState.from_tags({"v1": A}),
        "h.io/p/other": RepositoryState.from_tags({sig: B}),
    }
    sources = OfflineSources(
        RulesTable(shared=parse_rules([rule_json(1, tag="**")], "rules")), StateTable(state)
    )
    run = Session(sources, glob.NEWEST)
    plan = Plan(
        "release.yml",
        (
            Sign(2, (ref("h.io/p/app:v1"),)),
            Copy(3, ref("h.io/p/app:v1"), ref("h.io/p/other", None)),
        ),
    )
    run_plan(run, plan, None)
    copied = {d.tag: d for d in run.report.decisions if d.origin == ("release.yml", 3)}
    assert set(copied) == {"v1", sig}
    assert copied[sig].decision is Verdict.BLOCK
    assert "cannot be known" in copied[sig].reason
    notes = {n.code: n.message for n in copied[sig].notes}
    assert notes["carried"] == "the tag of its cosign signature (whose digest is unknown)"
    assert list(notes) == ["unknown-digest", "in-doubt", "carried"]  # a doubt, not a refusal
    assert copied["v1"].decision is Verdict.ALLOW
    assert [w.code for w in run.report.warnings] == ["copy-fails-whole"]
    assert run.report.exit_code == 1


def test_a_step_that_cannot_be_checked_names_its_line() -> None:
    """A retag whose source an earlier step deleted: "source ... does not exist" did not
    say which of the plan's steps it was about."""
    plan = Plan(
        "release.yml",
        (
            Delete(3, (ref("h.io/p/app:dev"),)),
            Retag(7, ref("h.io/p/app:dev"), (ref("h.io/q/app:v9"),)),
        ),
    )
    with pytest.raises(StateError, match=r"^release\.yml:7: source 'h\.io/p/app:dev' does not"):
        run_plan(session(), plan, None)
