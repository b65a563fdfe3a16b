"""A run's session: a plan's operations dispatched by their type, impact's and replication's
preconditions, and a copy's destination tags asked for ahead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
from tagguard.core.reference import parse_reference
from tagguard.core.report import Report
from tagguard.core.rules import parse_rules
from tagguard.core.state import (
    ArtifactInfo,
    OfflineSources,
    RepositoryState,
    RulesTable,
    StateTable,
    TagInfo,
)
from tagguard.errors import InputError
from tagguard.session import Session
from tests.builders import rule_json

A, B = (f"sha256:{c * 64}" for c in "ab")
RULES = parse_rules([rule_json(1, tag="v*")], "rules")


class Offline(OfflineSources):
    """Offline sources that record what is asked ahead."""

    asked: list[dict[tuple[str, str], set[str]]]

    def __init__(self, state: Mapping[str, RepositoryState]) -> None:
        super().__init__(RulesTable(shared=RULES), StateTable(state))
        object.__setattr__(self, "asked", [])

    def prefetch(
        self, projects: Iterable[tuple[str, str]], tags: Mapping[tuple[str, str], set[str]]
    ) -> None:
        self.asked.append(dict(tags))


def ref(text: str, default_tag: str | None = "latest"):  # type: ignore[no-untyped-def]
    return parse_reference(text, harbor=True, default_tag=default_tag)


def session() -> Session:
    state = {
        "h.io/p/app": RepositoryState.from_tags({"v1": A, "dev": B}),
        "h.io/q/app": RepositoryState(),
    }
    return Session(Offline(state), glob.NEWEST)


def test_each_plan_operation_is_checked_as_its_kind() -> None:
    run = session()
    run.plan(
        Plan(
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
        ),
        None,
    )
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


def test_a_policy_without_a_source_harbor_is_an_input_error() -> None:
    with pytest.raises(InputError, match="line 4: replicate needs the Harbor holding policy 9"):
        session().plan(Plan("release.yml", (ReplicatePolicy(4, 9),)), None)


def test_a_policy_is_read_from_a_live_harbor_only() -> None:
    with pytest.raises(InputError, match="read from a live Harbor, not from files"):
        session().plan(Plan("release.yml", (ReplicatePolicy(4, 9),)), "h.io")


def test_a_digest_file_must_be_read_before_the_check() -> None:
    pushed = Push(2, (ref("h.io/p/app:v2"),), DigestFile("metadata-file", "meta.json"))
    with pytest.raises(InputError, match=r"release\.yml:2: the digest in metadata-file meta\.json"):
        session().plan(Plan("release.yml", (pushed,)), None)


def test_a_push_from_another_image_writes_its_digest() -> None:
    run = session()
    run.plan(Plan("release.yml", (Push(1, (ref("h.io/q/app:v1"),), ref("h.io/p/app:dev")),)), None)
    (decision,) = run.report.decisions
    assert (decision.decision, decision.new_digest) == (Verdict.ALLOW, B)


def test_impact_needs_a_proposal_against_a_live_harbor() -> None:
    with pytest.raises(InputError, match="impact compares a rules file"):
        session().impact([ref("h.io/p/app", None)])


def test_offline_sources_replay_no_replication_events() -> None:
    run = session()
    report = Report()
    run.push([ref("h.io/p/app:v9")], A)
    report.extend(run.push([ref("h.io/p/app:v8")], A))
    run.replicate_events(report)
    assert report.warnings == []


def test_a_copy_asks_for_its_destination_tags_together() -> None:
    state = {
        "h.io/p/app": RepositoryState((ArtifactInfo(A, (TagInfo("v1"), TagInfo("latest"))),)),
        "h.io/q/app": RepositoryState(),
    }
    sources = Offline(state)
    Session(sources, glob.NEWEST).copy(ref("h.io/p/app:v1"), ref("h.io/q/app", None))
    assert sources.asked == [{("h.io", "q/app"): {"v1", "latest"}}]
