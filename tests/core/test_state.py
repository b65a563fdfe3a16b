"""Where the checks read rules and state: the offline source, its tables and `questions`."""

from __future__ import annotations

import pytest

from tagguard.core.reference import parse_reference
from tagguard.core.rules import parse_rules
from tagguard.core.state import (
    COSIGN,
    Accessory,
    ArtifactInfo,
    OfflineSources,
    RepositoryState,
    RulesTable,
    Sources,
    StateTable,
    TagInfo,
    cosign_subject,
    questions,
)
from tagguard.errors import StateError
from tests.builders import rule_json

A, B = (f"sha256:{c * 64}" for c in "ab")
SIG = f"sha256-{'a' * 64}.sig"
RULES = parse_rules([rule_json(1, tag="v*")], "rules")


def offline() -> OfflineSources:
    state = StateTable({"h.io/p/app": RepositoryState.from_tags({"v1": A, SIG: B})})
    return OfflineSources(RulesTable(shared=RULES), state)


def test_offline_sources_carry_the_whole_protocol() -> None:
    sources: Sources = offline()  # mypy checks every method of the protocol is there
    sources.prefetch([("h.io", "p")], {("h.io", "p/app"): {"v1"}})
    sources.settle()
    sources.close()
    sources.close()  # closing twice is allowed
    found = sources.artifact("h.io", "p/app", "v1")
    assert found is not None
    assert found.digest == A


def test_offline_sources_answer_from_their_tables() -> None:
    sources = offline()
    assert sources.rules("h.io", "p").rules == RULES
    assert sources.digest("h.io", "p/app", "v1") == A
    assert sources.digest("h.io", "p/app", "v9") is None
    assert sources.harbor_version("h.io") is None
    assert not sources.live
    assert not sources.proposed_rules
    assert sources.guards("anywhere.io")


def test_a_repository_missing_from_the_state_fails_closed() -> None:
    with pytest.raises(StateError, match=r"does not list repository .h\.io/p/web."):
        offline().artifact("h.io", "p/web", "v1")


def test_rules_per_project_refuse_an_unlisted_project() -> None:
    table = RulesTable(by_project={"p": RULES}, origin="rules.json")
    assert table.for_project("p") == RULES
    with pytest.raises(StateError, match=r"rules.json has no rules for project 'q'"):
        table.for_project("q")


def test_a_signature_tag_links_to_its_subject() -> None:
    assert cosign_subject(SIG) == A
    assert cosign_subject(f"sha256-{'a' * 64}_sig") == A  # Harbor's unescaped dot
    assert cosign_subject("v1") is None
    state = RepositoryState.from_tags({"v1": A, SIG: B})
    found = state.find("v1")
    assert found is not None
    assert found.accessories == (Accessory(B, COSIGN),)


def test_a_signature_without_its_subject_links_nothing() -> None:
    state = RepositoryState.from_tags({SIG: B})
    assert all(not a.accessories for a in state.artifacts)


def test_index_children_know_their_parents() -> None:
    state = RepositoryState((ArtifactInfo(A, (TagInfo("v1"),), children=(B,)), ArtifactInfo(B)))
    assert state.parents(B) == (A,)
    assert state.parents(A) == ()


def test_many_tags_are_found_by_index_as_by_scan() -> None:
    tags = (*tuple(TagInfo(f"t{i}") for i in range(20)), TagInfo("t3", True))
    artifact = ArtifactInfo(A, tags)
    assert artifact.tag("t3") == TagInfo("t3")  # the first of a repeated name
    assert artifact.tag("t19") == TagInfo("t19")
    assert artifact.tag("nope") is None


def test_questions_leave_out_what_no_harbor_answers() -> None:
    refs = [
        parse_reference("h.io/p/app:v1"),
        parse_reference(f"h.io/p/app@{A}"),
        parse_reference("h.io/q/web:v2"),
        parse_reference("docker.io/library/alpine:3", harbor=False),
    ]
    projects, tags = questions(refs)
    assert projects == [("h.io", "p"), ("h.io", "q")]
    assert tags == {("h.io", "p/app"): {"v1"}, ("h.io", "q/web"): {"v2"}}


def test_questions_come_in_the_order_they_are_first_needed() -> None:
    refs = [
        parse_reference("h.io/z/last:v1"),
        parse_reference("h.io/a/first:v1"),
        parse_reference("h.io/z/last:v2"),
        parse_reference("h.io/m/middle:v1"),
        parse_reference("h.io/a/again:v1"),
    ]
    projects, tags = questions(refs)
    assert projects == [("h.io", "z"), ("h.io", "a"), ("h.io", "m")]
    assert list(tags) == [
        ("h.io", "z/last"),
        ("h.io", "a/first"),
        ("h.io", "m/middle"),
        ("h.io", "a/again"),
    ]
    assert tags[("h.io", "z/last")] == {"v1", "v2"}
