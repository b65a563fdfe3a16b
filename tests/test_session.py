"""A run's session: each question asked of the sources once across operations, Harbor's
version asked only when the rules need it, the operations' own checks (a retag target needs
a tag, a sign needs a digest), and a copy's destination tags asked together. What the
session's answers do alone is tests/test_answers.py's."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.decide import Operation
from tagguard.core.rules import parse_rules
from tagguard.core.state import ArtifactInfo, ProjectRules, RepositoryState, TagInfo
from tagguard.errors import InputError, StateError
from tagguard.session import Session
from tests.builders import rule_json
from tests.sessions import A, B, Counting, Offline, ref, session


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
