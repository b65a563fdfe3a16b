"""Replication through a session: what a push-based policy writes into its destination
Harbor (created projects, proxy caches, immutable tags, two repositories racing), and the
writes of a run that an event-based policy replays onto a tag that refuses them."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.decide import Operation, Verdict
from tagguard.core.report import Report
from tagguard.core.state import RepositoryState
from tagguard.errors import InputError, StateError
from tagguard.replicate import Replication
from tagguard.session import Session
from tests.sessions import DESTINATION, A, B, Harbor, policy, ref, session

SOURCE = {"h.io/p/app": RepositoryState.from_tags({"v1": A, "dev": B})}


def live(sources: Harbor) -> Session:
    """A session whose Harbors link the newest glob (so none is asked its version)."""
    return Session(sources, glob.NEWEST)


def codes(run: Session) -> list[str]:
    return [w.code for w in run.report.warnings]


def test_a_policy_writes_each_tag_into_a_project_harbor_creates() -> None:
    sources = Harbor(SOURCE, [policy()])
    run = live(sources)
    decisions = Replication(run).policy("h.io", 4)
    written = sorted((d.reference, d.operation, d.decision, d.new_digest) for d in decisions)
    assert written == [
        (f"{DESTINATION}/p/app:dev", Operation.REPLICATE, Verdict.ALLOW, B),
        (f"{DESTINATION}/p/app:v1", Operation.REPLICATE, Verdict.ALLOW, A),
    ]
    assert "project-created" in codes(run)
    assert sources.project_questions == [(DESTINATION, "p")]  # once, for both tags
    assert sources.reached == [(DESTINATION, "https://dr.example.com")]


def test_an_immutable_destination_tag_refuses_another_image() -> None:
    state = {**SOURCE, f"{DESTINATION}/p/app": RepositoryState.from_tags({"v1": B})}
    run = live(Harbor(state, [policy()]))
    decisions = {d.reference: d.decision for d in Replication(run).policy("h.io", 4)}
    assert decisions[f"{DESTINATION}/p/app:v1"] is Verdict.BLOCK
    assert decisions[f"{DESTINATION}/p/app:dev"] is Verdict.ALLOW
    assert "project-created" not in codes(run)


def test_without_override_a_changed_tag_keeps_its_image_and_says_so() -> None:
    state = {**SOURCE, f"{DESTINATION}/p/app": RepositoryState.from_tags({"dev": A})}
    run = live(Harbor(state, [policy(override=False)]))
    decisions = {d.reference: d.decision for d in Replication(run).policy("h.io", 4)}
    assert decisions[f"{DESTINATION}/p/app:dev"] is Verdict.SKIP
    assert "replication-stale" in codes(run)


def test_a_proxy_cache_project_receives_nothing() -> None:
    state = {**SOURCE, f"{DESTINATION}/p/other": RepositoryState()}
    run = live(Harbor(state, [policy()], proxies={"p"}))
    assert Replication(run).policy("h.io", 4) == []
    assert codes(run) == ["proxy-cache-skipped"]


def test_two_repositories_writing_one_tag_are_a_race() -> None:
    state = {
        "h.io/a/app": RepositoryState.from_tags({"v1": A}),
        "h.io/b/app": RepositoryState.from_tags({"v1": B}),
        f"{DESTINATION}/flat/app": RepositoryState(),
    }
    # Namespace "flat", every path component but the last replaced: both land in flat/app.
    flat = policy(dest_namespace="flat", dest_namespace_replace_count=1)
    run = live(Harbor(state, [flat]))
    Replication(run).policy("h.io", 4)
    assert "replication-race" in codes(run)


def test_a_pull_based_policy_is_refused() -> None:
    pulling = policy(src_registry={"id": 3, "type": "docker-hub", "url": "https://hub.docker.com"})
    with pytest.raises(InputError, match=r"pulls from https://hub\.docker\.com"):
        Replication(live(Harbor(SOURCE, [pulling]))).policy("h.io", 4)


def test_a_disabled_policy_cannot_be_decided() -> None:
    with pytest.raises(StateError):
        Replication(live(Harbor(SOURCE, [policy(enabled=False)]))).policy("h.io", 4)


def test_an_event_based_policy_replays_a_push_onto_a_tag_that_refuses_it() -> None:
    state = {**SOURCE, f"{DESTINATION}/p/app": RepositoryState.from_tags({"v9": B})}
    events = policy(trigger={"type": "event_based", "trigger_settings": {"cron": ""}})
    run = live(Harbor(state, [events]))
    report = Report()
    report.extend(run.push([ref("h.io/p/app:v9"), ref("h.io/p/app:latest")], A))
    Replication(run).events(report)
    refused = [w for w in report.warnings if w.code == "replication-refused"]
    assert [w.reference for w in refused] == [f"{DESTINATION}/p/app:v9"]


def test_a_manual_policy_replays_nothing() -> None:
    state = {**SOURCE, f"{DESTINATION}/p/app": RepositoryState.from_tags({"v9": B})}
    run = live(Harbor(state, [policy()]))
    report = Report()
    report.extend(run.push([ref("h.io/p/app:v9")], A))
    Replication(run).events(report)
    assert report.warnings == []


def test_offline_sources_replay_no_replication_events() -> None:
    run = session()
    report = Report()
    report.extend(run.push([ref("h.io/p/app:v8")], A))
    Replication(run).events(report)
    assert report.warnings == []
