"""A run's session: each question asked of the sources once across operations, Harbor's
version asked only when the rules need it, the operations' own checks (a retag target needs
a tag, a sign needs a digest), and a copy's destination tags asked together. What the
session's answers do alone is tests/test_answers.py's."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.decide import Operation, Verdict
from tagguard.core.rules import Rule, parse_rules
from tagguard.core.state import (
    COSIGN,
    Accessory,
    ArtifactInfo,
    OfflineSources,
    ProjectRules,
    RepositoryState,
    RulesTable,
    StateTable,
    TagInfo,
)
from tagguard.errors import InputError, StateError
from tagguard.session import Session
from tests.builders import rule_json
from tests.sessions import A, B, C, Counting, Offline, ref, session


def test_each_question_is_asked_once_across_operations() -> None:
    sources = Counting({"h.io/p/app": RepositoryState.from_tags({"v1": A})})
    run = Session(sources)
    run.push([ref("h.io/p/app:v1"), ref("h.io/p/app:v2")], B)
    run.push([ref("h.io/p/app:v1")], B)
    calls = sources.calls
    assert sorted(calls) == sorted(set(calls))
    assert ("rules", "p") in calls


def test_harbor_is_asked_its_version_only_when_the_globs_differ_on_a_rule() -> None:
    # "v*" selects the same tags under both doublestar releases Harbor has linked.
    plain = Counting({"h.io/p/app": RepositoryState()})
    Session(plain).push([ref("h.io/p/app:v1")], A)
    assert ("version", "h.io") not in plain.calls

    # doublestar v1.1.1 drops the empty option of "v{1,}": the tag "v" parts the releases.
    class Braces(Counting):
        def rules(self, registry: str, project: str) -> ProjectRules:
            return ProjectRules(parse_rules([rule_json(1, tag="v{1,}")], "rules"))

    braces = Braces({"h.io/p/app": RepositoryState()}, version="v2.10.2")
    (decision,) = Session(braces).push([ref("h.io/p/app:v")], A)
    assert ("version", "h.io") in braces.calls
    assert decision.immutable is False  # Harbor 2.10.2 links v1.1.1: "v" is not selected


def test_harbor_is_asked_its_version_by_a_delete_only_for_an_accessory_an_index_lists() -> None:
    # Only there do releases differ (deleteDeeply before v2.11.0 refuses the delete).
    signature, index = (f"sha256:{c * 64}" for c in "67")
    signed = ArtifactInfo(A, (TagInfo("v1"),), accessories=(Accessory(signature, COSIGN),))
    plain = Counting({"h.io/p/app": RepositoryState((signed, ArtifactInfo(signature)))})
    Session(plain).delete([ref("h.io/p/app:v1")], artifact=True)
    assert ("version", "h.io") not in plain.calls

    listed = ArtifactInfo(index, (TagInfo(f"sha256-{'a' * 64}"),), children=(signature,))
    state = RepositoryState((signed, ArtifactInfo(signature), listed))
    old = Counting({"h.io/p/app": state}, version="v2.10.3-d3b8f0a8")
    (decision,) = Session(old).delete([ref("h.io/p/app:v1")], artifact=True)
    assert old.calls.count(("version", "h.io")) == 1
    assert decision.decision is Verdict.BLOCK


def test_a_delete_asks_no_version_for_an_index_whose_children_are_no_accessories() -> None:
    # A multi-platform image: its children are deleted alike on every release.
    index = ArtifactInfo(A, (TagInfo("dev"),), children=(B, C))
    plain = Counting({"h.io/p/app": RepositoryState((index, ArtifactInfo(B), ArtifactInfo(C)))})
    (decision,) = Session(plain).delete([ref("h.io/p/app:dev")], artifact=True)
    assert ("version", "h.io") not in plain.calls
    assert decision.decision is Verdict.ALLOW


def test_a_retag_target_needs_a_tag() -> None:
    with pytest.raises(InputError, match="needs a tag"):
        session().retag(ref("h.io/p/app:v1"), [ref(f"h.io/q/app@{A}", None)])


def test_a_retag_writes_the_source_digest_as_its_operation() -> None:
    (decision,) = session().retag(
        ref("h.io/p/app:dev"), [ref("h.io/q/app:v1")], Operation.REPLICATE
    )
    assert (decision.operation, decision.new_digest) == (Operation.REPLICATE, B)


def test_a_sign_pushes_the_signature_tag_of_the_image() -> None:
    (decision,) = session().sign([ref("h.io/p/app:v1")])
    assert decision.tag == f"sha256-{A.removeprefix('sha256:')}.sig"
    with pytest.raises(StateError, match="does not exist"):
        session().sign([ref("h.io/p/app:missing")])


def test_a_copy_destination_is_a_repository() -> None:
    with pytest.raises(InputError, match="is a repository"):
        session().copy(ref("h.io/p/app:v1"), ref("h.io/q/app:v1"))


def test_a_copy_asks_for_its_destination_tags_together() -> None:
    state = {
        "h.io/p/app": RepositoryState((ArtifactInfo(A, (TagInfo("v1"), TagInfo("latest"))),)),
        "h.io/q/app": RepositoryState(),
    }
    sources = Offline(state)
    Session(sources, glob.NEWEST).copy(ref("h.io/p/app:v1"), ref("h.io/q/app", None))
    assert sources.asked == [{("h.io", "q/app"): {"v1", "latest"}}]


def test_a_retag_elsewhere_asks_about_its_own_image_not_every_other_pushed() -> None:
    # Whether the retagged image was pushed in the run unread is a question about it alone;
    # the other images the run pushed to its repository need no read until a delete there.
    sources = Counting({"h.io/p/app": RepositoryState(), "h.io/q/app": RepositoryState()})
    run = Session(sources, glob.NEWEST)
    run.push([ref("h.io/p/app:a")], A)
    run.push([ref("h.io/p/app:b")], B)
    run.retag(ref("h.io/p/app:a"), [ref("h.io/q/app:a")])
    assert ("artifact", B) not in sources.calls


def test_a_retag_elsewhere_asks_for_the_index_children_together() -> None:
    # The index's children go along with it (each is read for what it references): asked
    # ahead in one plan, so a live source reads them concurrently.
    children = (A, B)
    index = "sha256:" + "1" * 64
    state = {
        "h.io/p/app": RepositoryState(
            (ArtifactInfo(index, (TagInfo("v1"),), children=children), *map(ArtifactInfo, children))
        ),
        "h.io/q/app": RepositoryState(),
    }
    sources = Offline(state)
    Session(sources, glob.NEWEST).retag(ref("h.io/p/app:v1"), [ref("h.io/q/app:v1")])
    assert {("h.io", "p/app"): set(children)} in sources.asked


# cosign sign --recursive (sigstore/cosign cmd/cosign/cli/sign/sign.go: walk.SignedEntity,
# which is mutate.Map in pkg/oci/mutate/map.go) signs the index first, then each manifest it
# lists in its order, a nested index before its own children, each under its own tag
# sha256-<hex>.sig. Harbor checks each of those pushes like any other push by tag
# (src/server/middleware/immutable/pushmf.go, v2.15.2): an existing immutable tag is 412.
INDEX, NESTED = (f"sha256:{c * 64}" for c in "12")
EVERY_TAG = parse_rules([rule_json(1, tag="**")], "rules")


def _signing(state: dict[str, RepositoryState], rules: tuple[Rule, ...] = EVERY_TAG) -> Session:
    return Session(OfflineSources(RulesTable(shared=rules), StateTable(state)), glob.NEWEST)


def _signature(digest: str) -> str:
    return f"sha256-{digest.removeprefix('sha256:')}.sig"


def _index_state(*extra: ArtifactInfo) -> dict[str, RepositoryState]:
    """h.io/p/app: index v1 over A and the nested index NESTED (over B and C)."""
    artifacts = (
        ArtifactInfo(INDEX, (TagInfo("v1"),), children=(A, NESTED)),
        ArtifactInfo(A),
        ArtifactInfo(NESTED, children=(B, C)),
        ArtifactInfo(B),
        ArtifactInfo(C),
        *extra,
    )
    return {"h.io/p/app": RepositoryState(artifacts)}


def test_a_recursive_sign_pushes_each_signature_in_cosigns_order() -> None:
    decisions = _signing(_index_state()).sign([ref("h.io/p/app:v1")], recursive=True)
    signed = [INDEX, A, NESTED, B, C]  # pre-order: an index before its children
    assert [d.tag for d in decisions] == [_signature(d) for d in signed]
    assert {d.decision for d in decisions} == {Verdict.ALLOW}
    assert {d.from_reference for d in decisions} == {"h.io/p/app:v1"}


def test_a_recursive_sign_meets_a_childs_immutable_signature() -> None:
    # B was signed before: its .sig tag exists and "**" holds it immutable, so Harbor
    # answers cosign's push onto it with 412.
    old = "sha256:" + "d" * 64
    state = _index_state(ArtifactInfo(old, (TagInfo(_signature(B)),)))
    decisions = _signing(state).sign([ref("h.io/p/app:v1")], recursive=True)
    verdicts = {d.tag: d.decision for d in decisions}
    assert verdicts[_signature(B)] is Verdict.BLOCK
    assert verdicts[_signature(INDEX)] is Verdict.ALLOW
    # Its reason says why, without asking for a digest --recursive does not take (nor
    # weighing a re-push against a move: Harbor refuses both).
    [blocked] = [d for d in decisions if d.tag == _signature(B)]
    assert blocked.reason.endswith(
        "makes it immutable: cosign's push writes that signature tag again, and Harbor refuses it"
    )
    assert "digest" not in blocked.reason.partition("makes it immutable")[2]
    # Without --recursive cosign pushes the index's signature alone.
    (alone,) = _signing(state).sign([ref("h.io/p/app:v1")])
    assert alone.decision is Verdict.ALLOW


def test_each_signature_push_sees_the_earlier_ones() -> None:
    # An image two nested indexes both list is signed twice (map.go visits each
    # descriptor): the second push meets the tag the first one created, immutable.
    other = "sha256:" + "3" * 64
    state = {
        "h.io/p/app": RepositoryState(
            (
                ArtifactInfo(INDEX, (TagInfo("v1"),), children=(NESTED, other)),
                ArtifactInfo(NESTED, children=(A,)),
                ArtifactInfo(other, children=(A,)),
                ArtifactInfo(A),
            )
        )
    }
    decisions = _signing(state).sign([ref("h.io/p/app:v1")], recursive=True)
    on_a = [d.decision for d in decisions if d.tag == _signature(A)]
    assert on_a == [Verdict.ALLOW, Verdict.BLOCK]


def test_a_recursive_sign_asks_for_every_signature_tag_together() -> None:
    sources = Offline(_index_state())
    Session(sources, glob.NEWEST).sign([ref("h.io/p/app:v1")], recursive=True)
    signatures = {_signature(d) for d in (INDEX, A, NESTED, B, C)}
    assert {("h.io", "p/app"): signatures} in sources.asked


def test_a_recursive_sign_of_an_image_pushed_unread_is_in_doubt() -> None:
    # The run pushes the index by tag: its manifest, and so the images cosign would sign
    # with it, are unknown here; one of them may carry an immutable signature already.
    run = _signing({"h.io/p/app": RepositoryState()})
    run.push([ref("h.io/p/app:v2")], INDEX)
    (decision,) = run.sign([ref("h.io/p/app:v2")], recursive=True)
    assert decision.decision is Verdict.BLOCK
    assert "cannot be known" in decision.reason
    assert "in-doubt" in [n.code for n in decision.notes]
    # Refused, it writes nothing: a second signing is the same doubt, not a 412.
    (again,) = run.sign([ref("h.io/p/app:v2")], recursive=True)
    assert "in-doubt" in [n.code for n in again.notes]
    # Without a rule no tag can be refused, whatever the index references.
    free = _signing({"h.io/p/app": RepositoryState()}, rules=())
    free.push([ref("h.io/p/app:v2")], INDEX)
    (allowed,) = free.sign([ref("h.io/p/app:v2")], recursive=True)
    assert allowed.decision is Verdict.ALLOW


@pytest.mark.parametrize(
    ("pattern", "doubted"),
    [
        ("v*", False),  # no signature tag begins with v: the rule cannot lock one
        ("release-*", False),
        ("sha256-*", True),
        ("sha*", True),
        ("s*.sig", True),
        ("*", True),
        ("{v*,sha256-*}", True),  # begins with a brace: may
        ("[sv]*", True),  # begins with a class: may
    ],
)
def test_a_recursive_sign_is_in_doubt_only_where_a_rule_may_lock_a_signature(
    pattern: str, doubted: bool
) -> None:
    # The signatures' tags are `sha256-<hex>.sig` (cosign's): where every enabled rule's tag
    # pattern begins with text none of them begins with, Harbor refuses none of the pushes
    # (pushmf.go handlePush: only an existing tag a rule makes immutable), whatever images
    # the unread index references; blocking it was a false doubt.
    run = _signing(
        {"h.io/p/app": RepositoryState()},
        rules=parse_rules([rule_json(1, tag="**", disabled=True), rule_json(2, tag=pattern)], "r"),
    )
    run.push([ref("h.io/p/app:v2")], INDEX)
    (decision,) = run.sign([ref("h.io/p/app:v2")], recursive=True)
    assert (decision.decision is Verdict.BLOCK) is doubted
    assert ("in-doubt" in [n.code for n in decision.notes]) is doubted


def test_a_recursive_sign_takes_no_signature_digest() -> None:
    with pytest.raises(InputError, match="--recursive"):
        _signing(_index_state()).sign([ref("h.io/p/app:v1")], A, recursive=True)
