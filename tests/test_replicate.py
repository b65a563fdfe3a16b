"""Replication through a session: what a push-based policy writes into its destination
Harbor (created projects, proxy caches, immutable tags, two repositories racing), and the
writes of a run that an event-based policy replays onto a tag that refuses them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from tagguard.core import glob
from tagguard.core.decide import Operation, Verdict
from tagguard.core.replication import Policy
from tagguard.core.report import Report
from tagguard.core.rules import parse_rules
from tagguard.core.state import (
    COSIGN,
    Accessory,
    ArtifactInfo,
    RepositoryState,
    RulesTable,
    TagInfo,
    cosign_tag,
)
from tagguard.errors import InputError, StateError
from tagguard.replicate import Replication
from tagguard.session import Session
from tests.builders import rule_json
from tests.sessions import DESTINATION, A, B, C, Harbor, policy, ref, session

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


# Checked against Harbor v2.15.2's transfer.go, compiled with in-memory registries for its
# source and destination (a differential run of random sources and destinations):
# `copyArtifact` HEADs every reference in the destination before it PUTs anything, a digest
# as a tag, and `copyContent` PUTs what an index references before the index itself.
def test_a_reference_by_digest_the_destination_holds_is_skipped() -> None:
    # Untagged A is in the destination already: HEAD finds it on its digest, no PUT (the
    # same skip as a tag on its digest). Untagged B is not: PUT by digest, never checked.
    source = RepositoryState((ArtifactInfo(A), ArtifactInfo(B)))
    state = {"h.io/p/app": source, f"{DESTINATION}/p/app": RepositoryState((ArtifactInfo(A),))}
    decisions = Replication(live(Harbor(state, [policy()]))).policy("h.io", 4)
    assert [(d.reference, d.decision, d.current_digest) for d in decisions] == [
        (f"{DESTINATION}/p/app@{A}", Verdict.SKIP, A),
        (f"{DESTINATION}/p/app@{B}", Verdict.ALLOW, None),
    ]


def test_the_children_of_a_refused_index_stay_in_the_destination() -> None:
    # Index A (v1) references C; the destination's v1 is immutable, on B. copyContent PUTs C
    # by digest (accepted), then the PUT of A as v1 gets 412: C stays there, untagged.
    source = RepositoryState((ArtifactInfo(A, (TagInfo("v1"),), children=(C,)), ArtifactInfo(C)))
    state = {"h.io/p/app": source, f"{DESTINATION}/p/app": RepositoryState.from_tags({"v1": B})}
    run = live(Harbor(state, [policy()]))
    [refused] = Replication(run).policy("h.io", 4)
    assert refused.decision is Verdict.BLOCK
    assert run.world.node((DESTINATION, "p/app"), C) is not None
    assert run.world.digest_of((DESTINATION, "p/app"), "v1") == B


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


def test_a_policy_asks_the_destination_everything_before_its_first_write() -> None:
    # Each write's destination tag, whether the destination holds its manifest, and the
    # signature it may keep for it (linked by the subject middleware: World._with_kept) were
    # asked one after another as the writes were decided, a round trip each; asked ahead,
    # a live Harbor answers them together.
    state = {**SOURCE, f"{DESTINATION}/p/app": RepositoryState.from_tags({"v9": C})}
    sources = Harbor(state, [policy()])
    Replication(live(sources)).policy("h.io", 4)
    assert sources.asked[0] == {
        (DESTINATION, "p/app"): {"v1", "dev", A, B, cosign_tag(A), cosign_tag(B)}
    }
    assert sources.project_questions == [(DESTINATION, "p")]


def test_a_policy_asks_the_destination_about_an_index_s_children_before_its_first_write() -> None:
    # transfer.go `copyArtifact` PUTs each manifest an index references by digest ahead of
    # the index, so whether the destination holds child C, and the signature it may keep
    # for C, are read there too (World._with_kept): asked ahead with the index's own.
    index = RepositoryState((ArtifactInfo(A, (TagInfo("dev"),), children=(C,)), ArtifactInfo(C)))
    state = {"h.io/p/app": index, f"{DESTINATION}/p/app": RepositoryState.from_tags({"v9": B})}
    sources = Listing(state, [policy()])
    Replication(live(sources)).policy("h.io", 4)
    assert A not in sources.unasked  # the index's own, asked ahead already
    assert C not in sources.unasked
    assert cosign_tag(C) not in sources.unasked


@pytest.mark.parametrize("proxies", [set(), {"p"}])
def test_a_project_harbor_creates_or_skips_is_asked_nothing_ahead(proxies: set[str]) -> None:
    # Created with no rules, or a proxy cache Harbor skips: nothing there to read.
    state = {**SOURCE, f"{DESTINATION}/p/other": RepositoryState()} if proxies else SOURCE
    sources = Harbor(state, [policy()], proxies=proxies)
    Replication(live(sources)).policy("h.io", 4)
    assert all(DESTINATION not in {r for r, _ in asked} for asked in sources.asked)
    assert sources.project_questions == [(DESTINATION, "p")]


class Listing(Harbor):
    """A Harbor that records each call for artifact lists, and each read of an artifact
    that was not asked ahead before it."""

    lists: list[list[str]]
    unasked: list[str]

    def __init__(self, state: dict[str, RepositoryState], policies: list[Policy]) -> None:
        super().__init__(state, policies)
        object.__setattr__(self, "lists", [])
        object.__setattr__(self, "unasked", [])

    def artifact_lists(
        self, registry: str, repositories: Sequence[str]
    ) -> dict[str, list[ArtifactInfo]]:
        self.lists.append(sorted(repositories))
        return {r: Harbor.artifacts(self, registry, r) for r in repositories}

    def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]:
        self.lists.append([repository])
        return super().artifacts(registry, repository)

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        if not any(reference in asked.get((registry, repository), ()) for asked in self.asked):
            self.unasked.append(reference)
        return super().artifact(registry, repository, reference)


def test_a_policy_reads_its_repositories_and_their_accessories_together() -> None:
    # Each selected repository's list, then each artifact's accessories, were read one
    # after another: a round trip each, on the source's side of a policy check.
    state = {
        "h.io/p/app": signed_source(),
        "h.io/p/api": RepositoryState.from_tags({"v1": B}),
        "h.io/p/web": RepositoryState.from_tags({"v1": C}),
    }
    sources = Listing(state, [policy()])
    Replication(live(sources)).policy("h.io", 4)
    assert sources.lists == [["p/api", "p/app", "p/web"]]
    assert S1 not in sources.unasked


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


# Harbor's delete-artifact event (handleDeleteArtifact in
# src/controller/event/handler/replication/replication.go, v2.15.2) names every tag of the
# deleted artifact; the policy's tag filters only decide whether the policy runs
# (filter.DoFilterResources in getRelatedPolicies), not which tags go. The
# destination then deletes, for each of them it holds, the whole artifact that tag names,
# by digest (transfer.go `delete` -> registry client DeleteManifest), through deleteDeeply.
DELETING = policy(
    trigger={"type": "event_based", "trigger_settings": {"cron": ""}}, replicate_deletion=True
)


def replayed_delete(state: dict[str, RepositoryState], target: str, events: object) -> list[str]:
    run = live(Harbor(state, [events]))  # type: ignore[list-item]
    report = Report()
    report.extend(run.delete([ref(target, default_tag=None)], artifact=True))
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW]
    Replication(run).events(report)
    return [w.reference or "" for w in report.warnings if w.code == "replication-refused"]


def test_a_replayed_artifact_delete_meets_every_tag_the_artifact_had() -> None:
    # Deleting the artifact by its tag dev sends rc too: the destination's rc names B,
    # whose v5 is immutable there, so the replayed delete is refused.
    state = {
        "h.io/p/app": RepositoryState.from_tags({"dev": A, "rc": A}),
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"rc": B, "v5": B}),
    }
    assert replayed_delete(state, "h.io/p/app:dev", DELETING) == [f"{DESTINATION}/p/app:rc"]


def test_a_replayed_artifact_delete_goes_through_the_tags_newest_first() -> None:
    # deleteDeeply puts the artifact's tags into its delete event as populateTags lists
    # them (src/controller/artifact/controller.go; the tag model's GetDefaultSorts in
    # src/pkg/tag/model/tag/model.go: PushTime, then ID, both descending), and transfer.go
    # `delete` stops at the first destination error. Both of the destination's artifacts
    # carry an immutable tag: only the newest tag's delete (rc, not dev) is replayed.
    dated = (TagInfo("dev", push_time=JAN), TagInfo("rc", push_time=MAR))
    state = {
        "h.io/p/app": RepositoryState((ArtifactInfo(A, dated),)),
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"dev": B, "v5": B, "rc": C, "v6": C}),
    }
    assert replayed_delete(state, "h.io/p/app:dev", DELETING) == [f"{DESTINATION}/p/app:rc"]


def replayed_delete_codes(
    state: dict[str, RepositoryState], target: str, proxies: tuple[str, ...] = ()
) -> list[str]:
    run = live(Harbor(state, [DELETING], proxies=proxies))
    report = Report()
    report.extend(run.delete([ref(target, default_tag=None)], artifact=True))
    Replication(run).events(report)
    return [w.code for w in report.warnings]


# The deletion flow (src/controller/replication/flow/deletion.go `Run`, v2.15.2) never calls
# prepareForPush: a destination project is neither created nor skipped as a proxy cache.
def test_a_replayed_delete_into_a_missing_destination_project_finds_nothing() -> None:
    state = {"h.io/p/app": RepositoryState.from_tags({"dev": A})}
    assert replayed_delete_codes(state, "h.io/p/app:dev") == []


def test_a_replayed_delete_reaches_a_proxy_cache_project() -> None:
    state = {
        "h.io/p/app": RepositoryState.from_tags({"dev": A}),
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"dev": A, "v5": A}),
    }
    codes = replayed_delete_codes(state, "h.io/p/app:dev", proxies=("p",))
    assert codes == ["replication-refused"]


def test_a_delete_by_digest_is_replayed_with_the_artifacts_tags() -> None:
    state = {
        "h.io/p/app": RepositoryState.from_tags({"dev": A, "rc": A}),
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"rc": B, "v5": B}),
    }
    assert replayed_delete(state, f"h.io/p/app@{A}", DELETING) == [f"{DESTINATION}/p/app:rc"]


@pytest.mark.parametrize(("pattern", "refused"), [("dev", [f"{DESTINATION}/p/app:rc"]), ("v*", [])])
def test_a_tag_filter_only_decides_whether_the_delete_is_replayed(
    pattern: str, refused: list[str]
) -> None:
    # getRelatedPolicies (src/controller/event/handler/replication/event/handler.go) filters
    # the event's resource only to pick the policies; `Handle` starts each with the resource
    # as it came, so a filter matching dev still sends rc.
    state = {
        "h.io/p/app": RepositoryState.from_tags({"dev": A, "rc": A}),
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"rc": B, "v5": B}),
    }
    filtered = policy(
        trigger={"type": "event_based", "trigger_settings": {"cron": ""}},
        replicate_deletion=True,
        filters=[{"type": "tag", "value": pattern}],
    )
    assert replayed_delete(state, "h.io/p/app:dev", filtered) == refused


# Deleting an artifact also deletes its hard accessories, each "as a root" when no index
# references it (deleteDeeply in src/controller/artifact/controller.go, v2.15.2), and
# deleteDeeply fires a DeleteArtifactEventMetadata for every root it deletes: one event per
# such accessory, carrying the accessory's own digest and tags (a cosign
# `sha256-<hex>.sig`), before the artifact's own. Untagged index children are deleted with
# isRoot false and fire none, but their accessories are roots again. Each event is filtered
# on its own (getRelatedPolicies) and replayed as its own execution: the destination HEADs
# each tag and deletes the artifact it names by digest (transfer.go `delete`).
SIG_A = f"sha256-{A.removeprefix('sha256:')}.sig"
SIG_C = f"sha256-{C.removeprefix('sha256:')}.sig"
S1, S2 = (f"sha256:{c * 64}" for c in "de")
# The destination's project `mirror` makes signatures immutable, the source's `p` does not
# (rules `v*` only), so the source delete itself is allowed.
SPLIT_RULES = RulesTable(
    by_project={
        "p": parse_rules([rule_json(1, tag="v*")], "rules"),
        "mirror": parse_rules([rule_json(2, tag="sha256-*")], "rules"),
    }
)


def mirrored(**changes: object) -> object:
    return policy(
        trigger={"type": "event_based", "trigger_settings": {"cron": ""}},
        replicate_deletion=True,
        dest_namespace="mirror",
        **changes,
    )


def signed_source() -> RepositoryState:
    return RepositoryState(
        (
            ArtifactInfo(A, (TagInfo("dev"),), accessories=(Accessory(S1, COSIGN),)),
            ArtifactInfo(S1, (TagInfo(SIG_A),)),
        )
    )


def replayed_split(state: dict[str, RepositoryState], target: str, events: object) -> list[str]:
    sources = Harbor(state, [events])  # type: ignore[list-item]
    object.__setattr__(sources, "rules_table", SPLIT_RULES)
    run = live(sources)
    report = Report()
    report.extend(run.delete([ref(target, default_tag=None)], artifact=True))
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW]
    Replication(run).events(report)
    return [w.reference or "" for w in report.warnings if w.code == "replication-refused"]


@pytest.mark.parametrize(
    ("filters", "refused"),
    [
        # No filter: the signature's own event is replayed; the destination holds the
        # signature (under its immutable tag) but not dev, so only that event is refused.
        ([], [f"{DESTINATION}/mirror/app:{SIG_A}"]),
        # A tag filter matching dev only: the signature's event (tags sha256-...sig) is not
        # selected, and dev's replay finds nothing to delete.
        ([{"type": "tag", "value": "dev"}], []),
    ],
)
def test_a_deleted_signature_fires_its_own_replayed_delete(
    filters: list[dict[str, str]], refused: list[str]
) -> None:
    state = {
        "h.io/p/app": signed_source(),
        f"{DESTINATION}/mirror/app": RepositoryState(
            (
                ArtifactInfo(A, (TagInfo("v1"),), accessories=(Accessory(S1, COSIGN),)),
                ArtifactInfo(S1, (TagInfo(SIG_A),)),
            )
        ),
    }
    assert replayed_split(state, "h.io/p/app:dev", mirrored(filters=filters)) == refused


def test_the_accessory_of_an_untagged_child_fires_a_delete_but_the_child_does_not() -> None:
    # Index B (dev) references untagged C, signed by S2. Deleting B deletes C (no event: not
    # a root) and S2 (a root: its own event). The destination holds C referenced by another
    # index, so a replayed delete of C would be refused; S2's replay is refused by its tag.
    state = {
        "h.io/p/app": RepositoryState(
            (
                ArtifactInfo(B, (TagInfo("dev"),), children=(C,)),
                ArtifactInfo(C, accessories=(Accessory(S2, COSIGN),)),
                ArtifactInfo(S2, (TagInfo(SIG_C),)),
            )
        ),
        f"{DESTINATION}/mirror/app": RepositoryState(
            (
                ArtifactInfo(A, (TagInfo("v1"),), children=(C,)),
                ArtifactInfo(C, accessories=(Accessory(S2, COSIGN),)),
                ArtifactInfo(S2, (TagInfo(SIG_C),)),
            )
        ),
    }
    assert replayed_split(state, "h.io/p/app:dev", mirrored()) == [
        f"{DESTINATION}/mirror/app:{SIG_C}"
    ]


# Harbor's copy (`copyDeeply`, src/controller/artifact/controller.go, v2.15.2) ends each
# copied artifact with the artifact controller's `Ensure`, which fires ONE push event whose
# tag is `option.Tags[0]` (`PushArtifactEventMetadata.Resolve`,
# src/controller/event/metadata/artifact.go, names only that one) - even for a root the
# destination held already (copyDeeply's `goto ensureArt`). The tags come from the source
# artifact as the tag manager lists them: `GetDefaultSorts` (src/pkg/tag/model/tag/model.go)
# orders them by PushTime, newest first, so the event names the most recently pushed tag.
EVENTS = policy(trigger={"type": "event_based", "trigger_settings": {"cron": ""}})
JAN, FEB, MAR = (datetime(2024, m, 1, tzinfo=UTC) for m in (1, 2, 3))


def pushed_at(digest: str, **times: datetime | None) -> RepositoryState:
    """One artifact whose tags carry the push times Harbor reports (None: unknown)."""
    tags = tuple(TagInfo(name, push_time=at) for name, at in times.items())
    return RepositoryState((ArtifactInfo(digest, tags),))


def replayed_copy(
    state: dict[str, RepositoryState], before: tuple[str, ...] = ()
) -> tuple[list[Verdict], list[str]]:
    """Copies h.io/p/app:v1 into h.io/p/copy (after pushing A under each of `before`): the
    copy's verdicts, and the destination references the replayed events are refused on."""
    run = live(Harbor({"h.io/p/copy": RepositoryState(), **state}, [EVENTS]))
    report = Report()
    for tag in before:
        report.extend(run.push([ref(f"h.io/p/app:{tag}")], A))
    copied = run.copy(ref("h.io/p/app:v1"), ref("h.io/p/copy", default_tag=None))
    report.extend(copied)
    Replication(run).events(report)
    refused = [w.reference or "" for w in report.warnings if w.code == "replication-refused"]
    return [d.decision for d in copied], refused


# The destination Harbor holds every tag on another image, immutable there (v*): whichever
# tag an event names is refused.
MIRROR = {f"{DESTINATION}/p/copy": RepositoryState.from_tags({"v1": B, "v2": B, "v3": B})}


def test_a_copy_replays_only_the_newest_pushed_tag_of_the_artifact() -> None:
    state = {"h.io/p/app": pushed_at(A, v1=JAN, v2=FEB), **MIRROR}
    verdicts, refused = replayed_copy(state)
    assert verdicts == [Verdict.ALLOW, Verdict.ALLOW]
    assert refused == [f"{DESTINATION}/p/copy:v2"]


def test_the_event_tag_follows_push_time_not_the_tag_name() -> None:
    state = {"h.io/p/app": pushed_at(A, v1=MAR, v2=FEB), **MIRROR}
    assert replayed_copy(state)[1] == [f"{DESTINATION}/p/copy:v1"]


def test_a_root_already_copied_still_fires_its_event_with_its_newest_tag() -> None:
    # h.io/p/copy holds A under v2 already: Harbor's tag Ensure leaves v2 as it is (skip),
    # yet the root's Ensure still fires its event, and that event names v2.
    state = {
        "h.io/p/app": pushed_at(A, v1=JAN, v2=FEB),
        "h.io/p/copy": RepositoryState.from_tags({"v2": A}),
        **MIRROR,
    }
    verdicts, refused = replayed_copy(state)
    assert sorted(verdicts) == sorted([Verdict.ALLOW, Verdict.SKIP])
    assert refused == [f"{DESTINATION}/p/copy:v2"]


def test_unknown_push_times_replay_every_tag_that_could_be_the_newest() -> None:
    # Without push times (a flat state, or Harbor leaving them out) which tag Harbor lists
    # first cannot be known: each candidate is replayed, so no refusal is missed.
    state = {"h.io/p/app": pushed_at(A, v1=None, v2=JAN, v3=FEB), **MIRROR}
    assert sorted(replayed_copy(state)[1]) == [
        f"{DESTINATION}/p/copy:v1",
        f"{DESTINATION}/p/copy:v3",
    ]


def test_a_tag_the_run_pushed_before_the_copy_is_the_newest() -> None:
    # The run's push of v3 happens after every push Harbor recorded.
    state = {
        "h.io/p/app": pushed_at(A, v1=JAN, v2=FEB),
        f"{DESTINATION}/p/app": RepositoryState(),
        **MIRROR,
    }
    verdicts, refused = replayed_copy(state, before=("v3",))
    assert len(verdicts) == 3
    assert f"{DESTINATION}/p/copy:v2" not in refused
    assert refused[-1:] == [f"{DESTINATION}/p/copy:v3"]


def test_a_copy_harbor_refuses_whole_fires_no_event() -> None:
    # h.io/p/copy holds v1 on B, immutable: the copy's transaction fails, no Ensure
    # completes, and no event is published for v2 either.
    state = {
        "h.io/p/app": pushed_at(A, v1=JAN, v2=FEB),
        "h.io/p/copy": RepositoryState.from_tags({"v1": B}),
        **MIRROR,
    }
    verdicts, refused = replayed_copy(state)
    assert Verdict.BLOCK in verdicts
    assert refused == []


def test_tags_pushed_at_the_same_time_are_all_replayed() -> None:
    # GetDefaultSorts breaks a PushTime tie by the tag's ID, but a state file's push times
    # (like the API's, cut to milliseconds) cannot tell a tie from two times a microsecond
    # apart, and a moved tag keeps its old, lower ID: from a state file both may be first.
    # (Read live, the artifact answer's own order of the tags says which; see
    # test_tags_equal_to_the_millisecond_are_ordered_as_harbor_lists_them below.)
    state = {"h.io/p/app": pushed_at(A, v1=FEB, v2=FEB, v3=JAN), **MIRROR}
    assert sorted(replayed_copy(state)[1]) == [
        f"{DESTINATION}/p/copy:v1",
        f"{DESTINATION}/p/copy:v2",
    ]


# Harbor's tag order is `ORDER BY push_time DESC, id DESC` over microsecond timestamps
# (GetDefaultSorts; lib/orm setSorts; the tag table's `push_time timestamp`), but its API
# writes push_time to the millisecond (go-openapi/strfmt DateTime, RFC3339Millis): tags
# equal in the answer may still differ in Harbor's order, and a tag moved later keeps its
# older, lower id (tag controller Ensure updates PushTime only). Their ids alone cannot tell
# which is first; the position Harbor lists them in can: populateTags lists an artifact's
# tags in that very order for the list and for copyDeeply's source alike.


def listed_in_harbor_order(digest: str, **times: datetime) -> RepositoryState:
    """One artifact whose tags are as Harbor's artifact answer lists them: its first is the
    tag a copy's event names."""
    tags = tuple(TagInfo(name, push_time=at) for name, at in times.items())
    return RepositoryState((ArtifactInfo(digest, tags, tags_in_harbor_order=True),))


def test_tags_equal_to_the_millisecond_are_ordered_as_harbor_lists_them() -> None:
    # v1 was moved onto A after v2 was pushed, in the same millisecond: Harbor lists v1
    # first, though v2 is newer by id and by name.
    state = {"h.io/p/app": listed_in_harbor_order(A, v1=FEB, v2=FEB, v3=JAN), **MIRROR}
    assert replayed_copy(state)[1] == [f"{DESTINATION}/p/copy:v1"]


def test_a_refused_copy_event_names_the_copy_not_one_of_its_tags() -> None:
    # The copy's first decision (tag v1) carries the events; the refusal is of v2's event.
    state = {"h.io/p/copy": RepositoryState(), "h.io/p/app": pushed_at(A, v1=JAN, v2=FEB)}
    run = live(Harbor({**state, **MIRROR}, [EVENTS]))
    report = Report()
    report.extend(run.copy(ref("h.io/p/app:v1"), ref("h.io/p/copy", default_tag=None)))
    Replication(run).events(report)
    [refused] = [w.message for w in report.warnings if w.code == "replication-refused"]
    assert "copying h.io/p/app:v1 into h.io/p/copy" in refused
    assert f"onto {DESTINATION}/p/copy:v2" in refused


# Labels: a delete event carries the deleted artifact's labels (deleteDeeply's
# DeleteArtifactEventMetadata and the DeleteTag handler's DeleteTagEventMetadata, both
# `Labels`; handleDeleteArtifact / handleDeleteTag in
# src/controller/event/handler/replication/replication.go, v2.15.2), and getRelatedPolicies
# runs the policy's label filters (filter.DoFilterResources -> artifactLabelFilter) on them.
# A push event carries none: `Ensure` fills PushArtifactEventMetadata without labels.
LABEL_SOURCE = RepositoryState((ArtifactInfo(A, (TagInfo("dev"),), labels=("prod",)),))
# The destination's dev names B, immutable there through v5: a replayed delete is refused.
LABEL_MIRROR = {f"{DESTINATION}/p/app": RepositoryState.from_tags({"dev": B, "v5": B})}


def labelled(decoration: str) -> Policy:
    return policy(
        trigger={"type": "event_based", "trigger_settings": {"cron": ""}},
        replicate_deletion=True,
        filters=[{"type": "label", "value": ["prod"], "decoration": decoration}],
    )


@pytest.mark.parametrize(
    ("decoration", "refused"),
    [("matches", [f"{DESTINATION}/p/app:dev"]), ("excludes", [])],
)
def test_a_replayed_delete_is_selected_by_the_deleted_artifacts_labels(
    decoration: str, refused: list[str]
) -> None:
    state = {"h.io/p/app": LABEL_SOURCE, **LABEL_MIRROR}
    assert replayed_delete(state, "h.io/p/app:dev", labelled(decoration)) == refused


@pytest.mark.parametrize(("decoration", "replayed"), [("matches", False), ("excludes", True)])
def test_a_push_event_carries_no_labels_even_onto_a_labelled_artifact(
    decoration: str, replayed: bool
) -> None:
    # A new tag v9 on the labelled A: the push event has no labels, so `matches prod` never
    # selects it and `excludes prod` always does. The destination's v9 names B, immutable.
    state = {
        "h.io/p/app": LABEL_SOURCE,
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"v9": B}),
    }
    run = live(Harbor(state, [labelled(decoration)]))
    report = Report()
    report.extend(run.push([ref("h.io/p/app:v9")], A))
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW]
    Replication(run).events(report)
    refused = [w.reference for w in report.warnings if w.code == "replication-refused"]
    assert refused == ([f"{DESTINATION}/p/app:v9"] if replayed else [])


# A misconfigured event-based policy never changes what the run's own push does: Harbor
# answers the push, then its replication fails on its own. tagguard said so by failing the
# whole check (exit 2).
V9_MIRROR = {
    "h.io/p/app": RepositoryState.from_tags({"dev": A}),
    f"{DESTINATION}/p/app": RepositoryState.from_tags({"v9": B}),
}


def pushed_v9(*policies: Policy) -> Report:
    run = live(Harbor(V9_MIRROR, list(policies)))
    report = Report()
    report.extend(run.push([ref("h.io/p/app:v9")], A))
    Replication(run).events(report)
    return report


def test_a_destination_name_harbor_cannot_make_fails_only_that_execution() -> None:
    # flow/stage.go replaceNamespace: p/app has one component before its last, so a replace
    # count of 3 is an error; the copy flow returns it and Start's goroutine marks the
    # execution failed. The push was allowed and stays so; nothing is replayed.
    flattened = policy(
        trigger={"type": "event_based"}, dest_namespace="n", dest_namespace_replace_count=3
    )
    report = pushed_v9(flattened)
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW]
    [failed] = report.warnings
    assert failed.code == "replication-failed"
    assert "dest_namespace_replace_count 3" in failed.message
    assert "push of h.io/p/app:v9" in failed.message


def test_a_malformed_filter_fails_the_event_for_every_policy() -> None:
    # getRelatedPolicies (event/handler.go) returns DoFilterResources' error as soon as one
    # policy's pattern is malformed for the event, and `Handle` then starts no policy:
    # the sound policy (id 5), which alone would be refused on v9, replays nothing either.
    broken = policy(trigger={"type": "event_based"}, filters=[{"type": "tag", "value": "v["}])
    sound = policy(id=5, trigger={"type": "event_based"})
    assert [w.code for w in pushed_v9(sound).warnings] == ["replication-refused"]
    report = pushed_v9(sound, broken)
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW]
    [failed] = report.warnings
    assert failed.code == "replication-failed"
    assert "tag filter 'v['" in failed.message
    assert "starts no policy" in failed.message


def test_a_non_harbor_policy_still_fails_the_event_handler() -> None:
    # getRelatedPolicies filters every enabled, local, event-based policy, whatever its
    # destination; only then are executions started.
    broken = policy(
        trigger={"type": "event_based"},
        filters=[{"type": "tag", "value": "v["}],
        dest_registry={"id": 3, "type": "docker-hub", "url": "https://hub.docker.com"},
    )
    sound = policy(id=5, trigger={"type": "event_based"})
    assert [w.code for w in pushed_v9(sound, broken).warnings] == ["replication-failed"]


LOCAL = {"id": 0, "type": "harbor", "url": "http://core:8080"}


@pytest.mark.parametrize(
    ("changes", "replayed"),
    [
        ({"trigger": {"type": "event_based"}}, True),
        # getRelatedPolicies skips a disabled policy, ...
        ({"trigger": {"type": "event_based"}, "enabled": False}, False),
        # ... a pull-based one (its source is a remote registry; events are local), ...
        (
            {
                "trigger": {"type": "event_based"},
                "src_registry": {"id": 3, "type": "harbor", "url": "https://up.example.com"},
                "dest_registry": LOCAL,
            },
            False,
        ),
        # ... one with no trigger or a non-event trigger, ...
        ({"trigger": None}, False),
        ({"trigger": {"type": "scheduled", "trigger_settings": {"cron": "0 0 * * * *"}}}, False),
        # ... but `deletion` only matters for delete events: pushes are still replayed.
        ({"trigger": {"type": "event_based"}, "replicate_deletion": True}, True),
    ],
)
def test_which_policies_the_push_event_starts(changes: dict[str, object], replayed: bool) -> None:
    # event/handler.go getRelatedPolicies, v2.15.2.
    refused = [w.reference for w in pushed_v9(policy(**changes)).warnings]
    assert refused == ([f"{DESTINATION}/p/app:v9"] if replayed else [])


def test_a_delete_event_starts_only_policies_replicating_deletion() -> None:
    # getRelatedPolicies: `resource.Deleted && !policy.ReplicateDeletion` -> skipped.
    state = {
        "h.io/p/app": RepositoryState.from_tags({"dev": A}),
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"dev": B, "v5": B}),
    }
    pushes_only = policy(trigger={"type": "event_based"}, replicate_deletion=False)
    assert replayed_delete(state, "h.io/p/app:dev", pushes_only) == []
    assert replayed_delete(state, "h.io/p/app:dev", DELETING) == [f"{DESTINATION}/p/app:dev"]


def test_an_event_policy_to_a_registry_that_is_no_harbor_is_not_replayed() -> None:
    # Harbor starts it, but what a docker-hub destination refuses is not tag immutability.
    elsewhere = policy(
        trigger={"type": "event_based"},
        dest_registry={"id": 3, "type": "docker-hub", "url": "https://hub.docker.com"},
    )
    assert pushed_v9(elsewhere).warnings == []


def test_a_malformed_policy_the_handler_never_filters_fails_nothing() -> None:
    # getRelatedPolicies checks enabled / source / trigger / deletion before it filters:
    # a disabled (or, for a delete, a non-deleting) broken policy is skipped first, so the
    # sound policy's replay still happens.
    broken = {"trigger": {"type": "event_based"}, "filters": [{"type": "tag", "value": "v["}]}
    sound = policy(id=5, trigger={"type": "event_based"}, replicate_deletion=True)
    report = pushed_v9(sound, policy(enabled=False, **broken))
    assert [w.code for w in report.warnings] == ["replication-refused"]
    # "d[" is malformed for dev (doublestar reaches the open class): replicating deletion,
    # the same policy fails the delete's handler.
    on_dev = {"trigger": {"type": "event_based"}, "filters": [{"type": "tag", "value": "d["}]}
    assert deleted_dev(sound, policy(**on_dev)) == ["replication-refused"]
    assert deleted_dev(sound, policy(replicate_deletion=True, **on_dev)) == ["replication-failed"]


def deleted_dev(*policies: Policy) -> list[str]:
    state = {
        "h.io/p/app": RepositoryState.from_tags({"dev": A}),
        f"{DESTINATION}/p/app": RepositoryState.from_tags({"dev": B, "v5": B}),
    }
    run = live(Harbor(state, list(policies)))
    report = Report()
    report.extend(run.delete([ref("h.io/p/app:dev", default_tag=None)], artifact=True))
    Replication(run).events(report)
    return [w.code for w in report.warnings]


# A replication writes into a destination Harbor through its registry API: the Harbor
# adapter's PushManifest (src/pkg/reg/adapter/native, registry client `PushManifest`, v2.15.2)
# PUTs /v2/<repo>/manifests/<ref> there, and that route runs the cosign and subject
# middlewares (src/server/registry/route.go). transfer.go `copyArtifact` PUTs each manifest an
# index references by digest (`copyContent`), then the index. The subject middleware
# (src/server/middleware/subject/subject.go `Middleware`) then links to each new artifact the
# accessory rows the destination repository keeps for its digest - a cosign signature whose
# `sha256-<hex>.sig` tag was pushed (or replicated by its own event) before its subject - so
# deleteDeeply deletes that signature with it, as a root, through its tag's check.
def kept_signature(digest: str, signature: str) -> RepositoryState:
    """A destination repository holding only `digest`'s cosign signature, not `digest`."""
    tag = f"sha256-{digest.removeprefix('sha256:')}.sig"
    return RepositoryState((ArtifactInfo(signature, (TagInfo(tag),)),))


def split_run(state: dict[str, RepositoryState], *policies: object) -> Session:
    sources = Harbor(state, list(policies))  # type: ignore[arg-type]
    object.__setattr__(sources, "rules_table", SPLIT_RULES)
    return live(sources)


@pytest.mark.parametrize(
    "source",
    [
        RepositoryState((ArtifactInfo(A, (TagInfo("dev"),)),)),
        # An index: its child C is PUT by digest ahead of it, and takes the signature.
        RepositoryState((ArtifactInfo(A, (TagInfo("dev"),), children=(C,)), ArtifactInfo(C))),
    ],
    ids=["image", "index-child"],
)
def test_a_policy_run_links_the_signature_the_destination_kept(source: RepositoryState) -> None:
    signed = C if source.artifacts[0].children else A
    run = split_run(
        {"h.io/p/app": source, f"{DESTINATION}/mirror/app": kept_signature(signed, S1)},
        policy(dest_namespace="mirror"),
    )
    replicated = Replication(run).policy("h.io", 4)
    assert {d.decision for d in replicated} == {Verdict.ALLOW}
    [deleted] = run.delete([ref(f"{DESTINATION}/mirror/app:dev")], artifact=True)
    assert deleted.decision is Verdict.BLOCK
    assert f"sha256-{signed.removeprefix('sha256:')}.sig" in deleted.reason


def test_a_replayed_push_links_the_kept_signature_and_its_replayed_delete_is_refused() -> None:
    # The run tags A (held as rc) dev and deletes it: the push event's replay PUTs A into
    # mirror/app, where S1 waits for it; the delete event's replay then deletes A with S1,
    # whose tag is immutable there: 412, the replication task fails.
    source = RepositoryState.from_tags({"rc": A})
    run = split_run(
        {"h.io/p/app": source, f"{DESTINATION}/mirror/app": kept_signature(A, S1)}, mirrored()
    )
    report = Report()
    report.extend(run.push([ref("h.io/p/app:dev")], A))
    report.extend(run.delete([ref("h.io/p/app:dev")], artifact=True))
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW, Verdict.ALLOW]
    Replication(run).events(report)
    refused = [w for w in report.warnings if w.code == "replication-refused"]
    assert [w.reference for w in refused] == [f"{DESTINATION}/mirror/app:dev"]
    assert SIG_A in refused[0].message


# Labels belong to the artifact row: deleteDeeply removes them with it
# (src/controller/artifact/controller.go, v2.15.2: `c.labelMgr.RemoveAllFrom(ctx, id)` before
# `artMgr.Delete`), and a push of the same digest afterwards ensures a new row, which has
# none. The next delete event (DeleteTag's `artifact.AbstractLabelNames()` in
# src/server/v2.0/handler/artifact.go, deleteDeeply's `art.Labels`) and a policy run's
# artifact list then carry no labels, whatever the artifact had before the run.
RELABEL_RULES = RulesTable(
    by_project={
        "p": parse_rules([rule_json(1, tag="v*")], "rules"),
        "mirror": parse_rules([rule_json(2, tag="dev")], "rules"),
    }
)


def labels_policy(decoration: str, **changes: object) -> object:
    return policy(
        dest_namespace="mirror",
        filters=[{"type": "label", "value": ["prod"], "decoration": decoration}],
        **changes,
    )


def relabel_run(events: object) -> Session:
    # dev names the labelled A at the source; the destination's dev names B, immutable.
    state = {
        "h.io/p/app": LABEL_SOURCE,
        f"{DESTINATION}/mirror/app": RepositoryState.from_tags({"dev": B}),
    }
    sources = Harbor(state, [events])  # type: ignore[list-item]
    object.__setattr__(sources, "rules_table", RELABEL_RULES)
    return live(sources)


@pytest.mark.parametrize(
    ("decoration", "replayed"),
    [
        # Only the first delete carries prod: the tag delete after the re-push is not replayed.
        ("matches", ["delete-artifact"]),
        # The push and the tag delete carry no label: both are replayed, and refused.
        ("excludes", ["push", "delete"]),
    ],
)
def test_an_artifact_deleted_and_pushed_again_has_lost_its_labels(
    decoration: str, replayed: list[str]
) -> None:
    run = relabel_run(
        labels_policy(decoration, trigger={"type": "event_based"}, replicate_deletion=True)
    )
    report = Report()
    report.extend(run.delete([ref("h.io/p/app:dev")], artifact=True))
    report.extend(run.push([ref("h.io/p/app:dev")], A))
    report.extend(run.delete([ref("h.io/p/app:dev")], artifact=False))
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW] * 3
    Replication(run).events(report)
    refused = [w for w in report.warnings if w.code == "replication-refused"]
    assert [w.reference for w in refused] == [f"{DESTINATION}/mirror/app:dev"] * len(replayed)
    assert [w.message.split(" of h.io")[0].rsplit(" ", 1)[1] for w in refused] == replayed


@pytest.mark.parametrize(("decoration", "selected"), [("matches", False), ("excludes", True)])
def test_a_policy_run_selects_an_artifact_pushed_again_by_no_label(
    decoration: str, selected: bool
) -> None:
    run = relabel_run(labels_policy(decoration))
    run.delete([ref("h.io/p/app:dev")], artifact=True)
    run.push([ref("h.io/p/app:dev")], A)
    written = [d.reference for d in Replication(run).policy("h.io", 4)]
    assert written == ([f"{DESTINATION}/mirror/app:dev"] if selected else [])
