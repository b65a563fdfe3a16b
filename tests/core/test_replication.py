"""Replication policies: parsing, selection and writes, each as Harbor's Go code does it.

Sources (goharbor/harbor, main): src/pkg/reg/filter/{artifact,repository,resource}.go,
src/pkg/reg/adapter/harbor/v2/{adapter,client}.go, src/pkg/reg/adapter/harbor/base/adapter.go,
src/pkg/reg/model/policy.go, src/controller/replication/{execution.go,model/model.go,
flow/stage.go,transfer/image/transfer.go}, src/controller/event/handler/replication/event/
handler.go, src/server/v2.0/handler/replication.go.
"""

from __future__ import annotations

from typing import Any

import pytest

from tagguard.core import glob
from tagguard.core.replication import (
    EVENT_BASED,
    MANUAL,
    SCHEDULED,
    Outcome,
    Policy,
    Write,
    outcome,
    parse_policy,
)
from tagguard.core.state import COSIGN, Accessory, ArtifactInfo, TagInfo
from tagguard.errors import InputError, PatternError, RemoteError, StateError
from tests.builders import policy_json

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
C = "sha256:" + "c" * 64
SIG = "sha256:" + "5" * 64
SIG2 = "sha256:" + "6" * 64
SBOM = "sha256:" + "7" * 64
CHILD = "sha256:" + "8" * 64
CHILD_SIG = "sha256:" + "9" * 64
NEW = glob.V1_3_4
OLD = glob.V1_1_1


def sig_tag(digest: str) -> str:
    return digest.replace(":", "-") + ".sig"


def art(
    digest: str,
    *tags: str,
    labels: tuple[str, ...] = (),
    accessories: tuple[str, ...] = (),
    children: tuple[str, ...] = (),
) -> ArtifactInfo:
    return ArtifactInfo(
        digest,
        tuple(TagInfo(t) for t in tags),
        children=children,
        accessories=tuple(Accessory(d, COSIGN) for d in accessories),
        labels=labels,
    )


def policy(*filters: dict[str, Any], **changes: Any) -> Policy:
    return parse_policy(policy_json(filters=list(filters), **changes), "test policy")


def name(value: str) -> dict[str, Any]:
    return {"type": "name", "value": value}


def tag(value: str, decoration: str | None = None) -> dict[str, Any]:
    return {"type": "tag", "value": value, **({"decoration": decoration} if decoration else {})}


def label(*names: str, decoration: str | None = None) -> dict[str, Any]:
    return {
        "type": "label",
        "value": list(names),
        **({"decoration": decoration} if decoration else {}),
    }


def selected(
    p: Policy, repository: str, artifacts: list[ArtifactInfo], version: str = NEW
) -> dict[str, tuple[str, ...]]:
    return {
        a.digest: tuple(t.name for t in a.tags) for a in p.select(repository, artifacts, version)
    }


# -- parsing ------------------------------------------------------------------------------------


def test_parse_reads_everything_that_changes_a_run() -> None:
    p = parse_policy(
        policy_json(
            filters=[
                name("proj/**"),
                tag("v*", "excludes"),
                label("prod", "qa"),
                {"type": "resource", "value": "image"},
            ],
            trigger={"type": "event_based"},
            deletion=True,
            replicate_deletion=True,
            override=False,
            enabled=True,
            dest_namespace="mirror",
            dest_namespace_replace_count=1,
        ),
        "policy 4",
    )
    assert p.id == 4
    assert p.source_registry_url is None  # src_registry id 0: the local Harbor, push-based
    assert p.destination_url == "https://dr.example.com"
    assert p.destination_host == "dr.example.com"
    assert p.destination_insecure is True
    assert p.destination_is_harbor
    assert p.event_based
    assert p.trigger == EVENT_BASED
    assert p.replicates_deletion
    assert p.override is False
    assert (p.dest_namespace, p.replace_count) == ("mirror", 1)
    assert [(f.type, f.value, f.decoration) for f in p.filters] == [
        ("name", "proj/**", "matches"),
        ("tag", "v*", "excludes"),
        ("label", ("prod", "qa"), "matches"),  # a label filter's value is a list of names
        ("resource", "image", "matches"),
    ]
    assert p.unsupported_filters() == ()


def test_a_pull_based_policy_names_its_remote_source() -> None:
    p = parse_policy(
        policy_json(src_registry={"id": 3, "type": "docker-hub", "url": "https://hub.docker.com"}),
        "p",
    )
    assert p.source_registry_url == "https://hub.docker.com"


@pytest.mark.parametrize(
    ("trigger", "expected"),
    [
        (None, MANUAL),
        ({"type": "manual"}, MANUAL),
        ({"type": "scheduled", "trigger_settings": {"cron": "0 0 * * * *"}}, SCHEDULED),
        ({"type": "event_based"}, EVENT_BASED),
    ],
)
def test_trigger_types(trigger: dict[str, Any] | None, expected: str) -> None:
    # model.go parseTrigger: no trigger stored -> nil (a policy only started by hand);
    # the event handler looks only for `"type":"event_based"`.
    p = parse_policy(policy_json(trigger=trigger), "p")
    assert p.trigger == expected
    assert p.event_based == (expected == EVENT_BASED)


def test_absent_booleans_are_false_and_absent_count_is_legacy() -> None:
    # go-swagger omits false booleans (`omitempty` unless x-omitempty: false): a disabled
    # policy's JSON has no `enabled`. dest_namespace_replace_count is x-isnullable: absent
    # means the legacy -1.
    data = policy_json()
    for key in (
        "enabled",
        "override",
        "deletion",
        "replicate_deletion",
        "dest_namespace_replace_count",
    ):
        del data[key]
    p = parse_policy(data, "p")
    assert (p.enabled, p.override, p.replicates_deletion, p.replace_count) == (
        False,
        False,
        False,
        -1,
    )


def test_either_deletion_field_turns_deletion_on() -> None:
    # swagger: `deletion` is the deprecated name of `replicate_deletion`; the API fills both.
    assert parse_policy(
        policy_json(deletion=True, replicate_deletion=None), "p"
    ).replicates_deletion
    assert parse_policy(
        policy_json(deletion=None, replicate_deletion=True), "p"
    ).replicates_deletion


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"filters": [{"type": "label", "value": "prod"}]}, "not a list of label names"),
        ({"filters": [{"type": "label", "value": ["prod", 3]}]}, "not a list of label names"),
        ({"filters": [{"type": "tag", "value": ["v*"]}]}, "is not a string"),
        ({"filters": [{"type": "name", "value": None}]}, "is not a string"),
        (
            {"filters": [{"type": "tag", "value": "v*", "decoration": "not"}]},
            "neither matches nor excludes",
        ),
        ({"filters": "v*"}, "not a list"),
        ({"filters": ["v*"]}, "not an object"),
        ({"trigger": {"type": "hourly"}}, "trigger type"),
        ({"trigger": "manual"}, "trigger"),
        ({"enabled": "yes"}, "enabled"),
        ({"override": 1}, "override"),
        ({"id": "4"}, "id"),
        ({"dest_namespace_replace_count": 300}, "int8"),
        ({"dest_namespace_replace_count": "1"}, "dest_namespace_replace_count"),
        ({"dest_registry": ["x"]}, "dest_registry"),
        ({"dest_registry": {"id": 2, "type": "harbor", "url": 5}}, "url"),
        # The destination's host is read from it: was an internal error (Invalid IPv6 URL).
        ({"dest_registry": {"id": 2, "type": "harbor", "url": "https://[dr"}}, "url"),
        ({"dest_registry": {"id": 2, "type": "harbor", "url": "https://dr:x"}}, "url"),
    ],
)
def test_malformed_policies_are_one_line_remote_errors(
    changes: dict[str, Any], fragment: str
) -> None:
    # model.Filter.Validate: name/tag/resource values are strings, label values string
    # slices, decorations matches/excludes; Policy.Validate: the three trigger types.
    with pytest.raises(RemoteError) as raised:
        parse_policy(policy_json(**changes), "policy 4 from harbor.example.com")
    message = raised.value.message
    assert message.startswith("policy 4 from harbor.example.com: malformed replication policy")
    assert fragment in message
    assert "\n" not in message


def test_not_an_object() -> None:
    with pytest.raises(RemoteError, match="not a replication policy object"):
        parse_policy([1], "p")


# -- repositories -------------------------------------------------------------------------------


def test_name_filters_match_the_full_project_slash_repo() -> None:
    # filter/repository.go repositoryNameFilter: util.Match(pattern, repository.Name), the
    # name the v2 client lists: `project/repo`.
    p = policy(name("proj/*"))
    assert p.selects_repository("proj/app", NEW)
    assert not p.selects_repository("proj/team/app", NEW)  # `*` stops at '/'
    assert not p.selects_repository("other/app", NEW)
    assert policy(name("proj/**")).selects_repository("proj/team/app", NEW)


def test_a_name_filter_has_no_decoration() -> None:
    # repositoryNameFilter has no decoration field: `excludes` (refused by Validate) is ignored.
    p = policy({"type": "name", "value": "proj/**", "decoration": "excludes"})
    assert p.selects_repository("proj/app", NEW)
    assert not p.selects_repository("other/app", NEW)


def test_a_name_filter_without_the_project_part_selects_nothing() -> None:
    # util.Match(pattern, "proj/app"): a bare repository name never equals a full name, and
    # `*` does not cross '/'; only a pattern spanning the project part selects it.
    assert not policy(name("app")).selects_repository("proj/app", NEW)
    assert not policy(name("*")).selects_repository("proj/app", NEW)
    assert policy(name("*/app")).selects_repository("proj/app", NEW)
    assert policy(name("**")).selects_repository("proj/team/app", NEW)


def test_every_name_filter_must_match() -> None:
    # RepositoryFilters.Filter chains the filters.
    p = policy(name("proj/**"), name("**/app"))
    assert p.selects_repository("proj/x/app", NEW)
    assert not p.selects_repository("proj/x/web", NEW)
    assert p.select("proj/x/web", [art(A, "v1")], NEW) == []


def test_an_empty_name_filter_selects_every_repository() -> None:
    assert policy(name("")).selects_repository("any/thing", NEW)


@pytest.mark.parametrize(
    ("pattern", "projects"),
    [
        ("proj/**", ("proj",)),
        ("{a,b}/**", ("a", "b")),
        ("{a, b}/x", ("a", "b")),  # names trimmed
        # strings.TrimSpace trims what unicode.IsSpace calls space (U+3000 is, U+001C is not
        # for Go, though Python's str.strip takes it): Harbor v2.15.2's compiled
        # ListProjects asks GetProject for "\x1ca\x1c" (differential run).
        ("{\u3000a\u2009,b}/x", ("a", "b")),
        ("{\x1ca\x1c,b}/x", ("\x1ca\x1c", "b")),
        ("x{a,b}y/**", ("xay", "xby")),
        ("p*/**", None),
        ("{a,{b}}/**", None),
        ("", None),
    ],
)
def test_listed_projects(pattern: str, projects: tuple[str, ...] | None) -> None:
    # base/adapter.go ListProjects with util.IsSpecificPathComponent on the first segment.
    assert policy(name(pattern)).listed_projects() == projects


# -- artifacts and tags -------------------------------------------------------------------------


def test_a_tag_filter_keeps_only_the_matching_tags() -> None:
    # artifact.go artifactTagFilter: "only replicate the matched tags"; an artifact with
    # none left is dropped.
    arts = [art(A, "v1", "latest"), art(B, "dev")]
    assert selected(policy(tag("v*")), "proj/app", arts) == {A: ("v1",)}
    assert selected(policy(tag("v*", "excludes")), "proj/app", arts) == {
        A: ("latest",),
        B: ("dev",),
    }


@pytest.mark.parametrize("decoration", ["matches", "excludes", None])
def test_an_empty_tag_pattern_selects_everything_whatever_the_decoration(
    decoration: str | None,
) -> None:
    # artifactTagFilter.Filter: `if len(a.pattern) == 0 { return artifacts, nil }`.
    arts = [art(A, "v1", "latest"), art(B)]
    assert selected(policy(tag("", decoration)), "proj/app", arts) == {A: ("v1", "latest"), B: ()}


@pytest.mark.parametrize(
    ("flt", "chosen"),
    [
        (tag("v*"), False),
        (tag("*"), True),
        (tag("**"), True),
        (tag("v*", "excludes"), True),  # an untagged artifact goes with `excludes`
        (tag("*", "excludes"), False),
    ],
)
def test_an_untagged_artifact_is_matched_as_the_empty_name(
    flt: dict[str, Any], chosen: bool
) -> None:
    # artifactTagFilter.Filter, "untagged artifact": util.Match(pattern, "").
    result = selected(policy(flt), "proj/app", [art(A)])
    assert result == ({A: ()} if chosen else {})


def test_untagged_artifacts_go_by_digest() -> None:
    # transfer.go convert: an artifact with no tags is copied by its digest.
    p = policy()
    assert p.writes("proj/app", art(A), {}, NEW) == [Write("proj/app", A, A, False)]
    assert p.writes("proj/app", art(A), {}, NEW)[0].tag is None


def test_a_label_filter_keeps_artifacts_carrying_all_its_labels() -> None:
    # artifactLabelFilter: "Only the artifact contains all labels defined in the filter".
    arts = [art(A, "1", labels=("prod", "qa")), art(B, "2", labels=("prod",)), art(C, "3")]
    assert set(selected(policy(label("prod", "qa")), "p/a", arts)) == {A}
    assert set(selected(policy(label("prod", "qa", decoration="excludes")), "p/a", arts)) == {B, C}
    assert set(selected(policy(label()), "p/a", arts)) == {A, B, C}  # no labels: all
    # A label filter keeps every tag.
    assert selected(policy(label("prod")), "p/a", [art(A, "1", "2", labels=("prod",))]) == {
        A: ("1", "2")
    }


def test_a_resource_filter_selects_nothing_away() -> None:
    # BuildArtifactFilters has no case for `resource`: a Harbor source ignores it.
    arts = [art(A, "v1"), art(B)]
    assert selected(policy({"type": "resource", "value": "image"}), "p/a", arts) == {
        A: ("v1",),
        B: (),
    }


def test_filters_chain_in_the_policys_order() -> None:
    p = policy(tag("v*"), tag("*-rc*", "excludes"), label("prod"))
    arts = [art(A, "v1", "v2-rc1", "x", labels=("prod",)), art(B, "v3")]
    assert selected(p, "p/a", arts) == {A: ("v1",)}


def test_the_filters_use_the_source_harbors_doublestar_release() -> None:
    # util.Match is bmatcuk/doublestar v1 as go.mod pins it, the immutability matcher's too:
    # v1.1.1 ignores an empty alternative where v1.3.4 honours it, and errs on '/' in braces.
    p = policy(tag("{v1,v2}{,-rc}"))
    assert selected(p, "p/a", [art(A, "v1")], NEW) == {A: ("v1",)}
    assert selected(p, "p/a", [art(A, "v1")], OLD) == {}
    assert policy(name("proj/{a/b,c}")).selects_repository("proj/a/b", NEW)
    with pytest.raises(PatternError):
        policy(name("proj/{a/b,c}")).selects_repository("proj/a/b", OLD)


def test_a_malformed_pattern_fails_the_whole_run() -> None:
    # util.Match returns doublestar's ErrBadPattern; DoFilterArtifacts returns it and
    # FetchArtifacts, then the copy flow, fail: the execution fails, no task is created.
    with pytest.raises(
        PatternError, match=r"replication policy 4: its tag filter 'v\[' .*replicates nothing"
    ):
        policy(tag("v[")).select("p/a", [art(A, "v1")], NEW)
    with pytest.raises(PatternError, match="name filter"):
        policy(name("p/[")).select("p/a", [art(A, "v1")], NEW)


def test_selects_tag_tag_by_tag() -> None:
    p = policy(tag("v*"), label("prod"))
    assert p.selects_tag("v1", NEW)
    assert not p.selects_tag("dev", NEW)
    assert policy(tag("", "excludes")).selects_tag("dev", NEW)


# -- writes -------------------------------------------------------------------------------------


def signed(
    digest: str, *tags: str, labels: tuple[str, ...] = ()
) -> tuple[ArtifactInfo, dict[str, ArtifactInfo]]:
    subject = art(digest, *tags, labels=labels, accessories=(SIG,))
    return subject, {SIG: art(SIG, sig_tag(digest))}


def test_writes_are_the_tags_then_each_accessory_with_its_own_tags() -> None:
    # v2/client.go listArtifacts appends the artifact, then getAccessoryArts; transfer.go
    # convert takes each entry's tags in that order.
    subject, related = signed(A, "v1", "latest")
    assert policy().writes("proj/app", subject, related, NEW) == [
        Write("proj/app", "v1", A, False),
        Write("proj/app", "latest", A, False),
        Write("proj/app", sig_tag(A), SIG, True),
    ]


def test_an_accessory_is_selected_by_its_subjects_tags_not_its_own() -> None:
    # artifactTagFilter: "for accessory artifact, use the parent tags to match", then
    # `Tags: artifact.Tags // use its own tags to replicate`.
    subject, related = signed(A, "v1", "dev")
    writes = policy(tag("v*")).writes("proj/app", subject, related, NEW)
    assert [(w.reference, w.accessory) for w in writes] == [("v1", False), (sig_tag(A), True)]
    assert policy(tag("x*")).writes("proj/app", subject, related, NEW) == []


def test_a_second_tag_filter_matches_an_accessory_by_its_own_tags() -> None:
    # The copy artifactTagFilter makes of a kept accessory has no IsAcc/ParentTags, so the
    # next tag filter treats it as an ordinary artifact with tags `sha256-<hex>.sig`.
    subject, related = signed(A, "v1")
    kept = policy(tag("v*"), tag("*.sig", "excludes")).writes("p/a", subject, related, NEW)
    assert [w.reference for w in kept] == ["v1"]
    both = policy(tag("v*"), tag("*-rc", "excludes")).writes("p/a", subject, related, NEW)
    assert [w.reference for w in both] == ["v1", sig_tag(A)]


def run_writes(
    p: Policy, repository: str, artifacts: list[ArtifactInfo], related: dict[str, ArtifactInfo]
) -> list[tuple[str, str]]:
    """What a run writes of one repository, composed as replicate.py composes it: `select`,
    then `writes` of each artifact it returns."""
    return [
        (w.reference, w.digest)
        for a in p.select(repository, artifacts, NEW)
        for w in p.writes(repository, a, related, NEW)
    ]


def test_an_accessory_outlives_its_subject_dropped_by_a_later_tag_filter() -> None:
    # Differential against Harbor v2.15.2's compiled filter/artifact.go: DoFilterArtifacts
    # on listArtifacts' list [A (v1), SIG (IsAcc, parent v1)] with tag filters `v*` then
    # `*.sig` keeps only SIG, with its own tag: the first filter's copy of SIG has no IsAcc,
    # the second matches it by `sha256-<hex>.sig` and drops A (v1). Was: select dropped A,
    # so its signature was never looked at and the write was missed.
    subject, related = signed(A, "v1")
    p = policy(tag("v*"), tag("*.sig"))
    assert run_writes(p, "proj/app", [subject], related) == [(sig_tag(A), SIG)]
    # The same without accessories: nothing (Go: an empty list).
    assert p.select("proj/app", [art(A, "v1")], NEW) == []


def test_an_untagged_accessory_outlives_its_subject_by_digest() -> None:
    # Go, same functions: filters `v*`, `{,a}` on [A (v1), SBOM (IsAcc, parent v1, no tags)]
    # keep only SBOM (matched as "" by the second filter), which transfer.go copies by digest.
    subject = art(A, "v1", accessories=(SBOM,))
    p = policy(tag("v*"), tag("{,a}"))
    assert run_writes(p, "proj/app", [subject], {SBOM: art(SBOM)}) == [(SBOM, SBOM)]


def test_an_accessorys_own_tag_can_fail_the_run_after_its_subject_is_dropped() -> None:
    # Go: filters `v*`, `s[` on [A (v1), SIG (IsAcc, parent v1)]: doublestar v1.3.4 answers
    # Match("s[", "v1") false without error, but ErrBadPattern for SIG's own tag, so
    # DoFilterArtifacts fails (and with it FetchArtifacts and the execution); on [A] alone
    # it answers an empty list, no error.
    subject, related = signed(A, "v1")
    p = policy(tag("v*"), tag("s["))
    with pytest.raises(PatternError, match="its tag filter 's\\['"):
        run_writes(p, "proj/app", [subject], related)
    assert run_writes(p, "proj/app", [art(A, "v1")], {}) == []
    # Go: a label filter after `s[` drops A and SIG, but too late: the list still fails.
    with pytest.raises(PatternError):
        run_writes(policy(tag("v*"), tag("s["), label("prod")), "proj/app", [subject], related)


@pytest.mark.parametrize(
    "filters",
    [
        [tag("x*"), tag("*.sig")],  # the first tag filter drops SIG with A (parent tags)
        [tag("v*"), label("prod"), tag("*.sig")],  # SIG carries A's labels: none
        [tag("v*"), label("prod"), tag("s[")],  # ... so never reaches the bad pattern
        [tag("v*"), tag("*.sig"), tag("x*")],  # kept by its own tag, then dropped by it
        [tag(""), tag("*.sig")],  # an empty pattern returns the list as is, IsAcc and all
    ],
)
def test_an_accessory_shares_its_subjects_fate_until_the_first_tag_filter(
    filters: list[dict[str, Any]],
) -> None:
    # Go, same functions, list [A (v1), SIG (IsAcc, parent v1)]: each answers an empty list.
    subject, related = signed(A, "v1")
    assert run_writes(policy(*filters), "proj/app", [subject], related) == []


def test_writes_of_an_artifact_not_selected_need_no_destination_name() -> None:
    # FetchArtifacts leaves out a repository with no artifact left, so replaceNamespace
    # (Go: "contains only 1 path components ... flattening level is 2") never sees it; a
    # count too large for the name fails only when something is written.
    p = policy(tag("v1"), dest_namespace="n", dest_namespace_replace_count=2)
    assert p.writes("a/b", art(A, "dev"), {}, NEW) == []
    with pytest.raises(InputError, match="fails the whole execution"):
        p.writes("a/b", art(A, "v1"), {}, NEW)


def test_accessories_follow_their_subjects_labels() -> None:
    # getAccessoryArts: "set the labels belonging to the subject manifest to the accessories".
    subject, related = signed(A, "v1", labels=("prod",))
    assert len(policy(label("prod")).writes("p/a", subject, related, NEW)) == 2
    assert policy(label("prod", decoration="excludes")).writes("p/a", subject, related, NEW) == []


def test_an_untagged_accessory_goes_by_digest_and_nested_ones_depth_first() -> None:
    # getAccessoryArts recurses into each accessory's accessories right after it.
    subject = art(A, "v1", accessories=(SBOM, SIG2))
    related = {
        SBOM: art(SBOM, accessories=(SIG,)),  # an SBOM attached by digest, signed by tag
        SIG: art(SIG, sig_tag(SBOM)),
        SIG2: art(SIG2, sig_tag(A)),
    }
    writes = policy(tag("v*")).writes("proj/app", subject, related, NEW)
    assert [(w.reference, w.digest, w.accessory) for w in writes] == [
        ("v1", A, False),
        (SBOM, SBOM, True),
        (sig_tag(SBOM), SIG, True),
        (sig_tag(A), SIG2, True),
    ]


def test_an_index_childs_accessories_come_after_the_index_s_and_the_child_is_not_written() -> None:
    # listArtifacts: "append the accessory of reference if it has", read with the index's
    # tags and labels; the child is pushed by digest inside copyArtifact (copyContent).
    index = art(A, "v1", accessories=(SIG,), children=(CHILD,))
    related = {
        SIG: art(SIG, sig_tag(A)),
        CHILD: art(CHILD, accessories=(CHILD_SIG,)),
        CHILD_SIG: art(CHILD_SIG, sig_tag(CHILD)),
    }
    writes = policy(tag("v*")).writes("proj/app", index, related, NEW)
    assert [w.reference for w in writes] == ["v1", sig_tag(A), sig_tag(CHILD)]
    assert CHILD not in {w.digest for w in writes}


def test_writes_land_under_the_destination_name() -> None:
    subject, related = signed(A, "v1")
    p = policy(dest_namespace="mirror", dest_namespace_replace_count=-1)
    assert {w.repository for w in p.writes("proj/team/app", subject, related, NEW)} == {
        "mirror/app"
    }


def test_writes_from_the_selected_artifact_are_the_same() -> None:
    # Selection is idempotent: the lead may pass what select returned.
    subject, related = signed(A, "v1", "v2-rc", "dev")
    p = policy(tag("v*"), tag("*-rc", "excludes"))
    [chosen] = p.select("p/a", [subject], NEW)
    assert p.writes("p/a", chosen, related, NEW) == p.writes("p/a", subject, related, NEW)
    assert [w.reference for w in p.writes("p/a", chosen, related, NEW)] == ["v1", sig_tag(A)]


def test_writes_of_an_unselected_repository_or_artifact_are_empty() -> None:
    subject, related = signed(A, "v1")
    assert policy(name("other/**")).writes("proj/app", subject, related, NEW) == []
    assert policy(tag("x")).writes("proj/app", subject, related, NEW) == []


def test_an_accessory_not_read_is_a_state_error() -> None:
    subject, _ = signed(A, "v1")
    with pytest.raises(StateError, match=f"accessory {SIG} of artifact {A} was not read"):
        policy().writes("proj/app", subject, {}, NEW)


# -- destination names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("namespace", "count", "expected"),
    [
        ("", -1, "a/b/c/image"),
        ("n", -1, "n/image"),
        ("n", 0, "n/a/b/c/image"),
        ("n", 1, "n/b/c/image"),
        ("n", 2, "n/c/image"),
        ("n", 3, "n/image"),
        # No namespace: the name is returned before the count is looked at, so even a count
        # beyond the name's components is no error.
        ("", 9, "a/b/c/image"),
        # A namespace of several components is one prefix (`namespace + "/" + rest`).
        ("x/y", -1, "x/y/image"),
        ("x/y", 1, "x/y/b/c/image"),
    ],
)
def test_destination_name(namespace: str, count: int, expected: str) -> None:
    # flow/stage.go replaceNamespace, the cases in its comment.
    p = policy(dest_namespace=namespace, dest_namespace_replace_count=count)
    assert p.destination_name("a/b/c/image") == expected


def test_a_replace_count_beyond_the_name_fails_the_execution() -> None:
    # replaceNamespace: "a/b/c/image ... replaceCount: 4 -> error".
    with pytest.raises(InputError, match="fails the whole execution"):
        policy(dest_namespace="n", dest_namespace_replace_count=4).destination_name("a/b/c/image")


# -- starting, events, destination, outcome ----------------------------------------------------


def test_a_disabled_policy_is_refused() -> None:
    # execution.go controller.Start: `if !policy.Enabled` -> "the policy %d is disabled".
    p = policy(enabled=False)
    reason = p.refusal()
    assert reason is not None
    assert "policy 4 (to-dr) is disabled" in reason
    assert "writes nothing" in reason
    assert policy().refusal() is None


def test_a_non_harbor_destination_is_named() -> None:
    p = policy(dest_registry={"id": 2, "type": "docker-hub", "url": "https://hub.docker.com"})
    assert not p.destination_is_harbor
    reason = p.unsupported_destination()
    assert reason is not None
    assert "docker-hub" in reason
    assert "not a Harbor" in reason
    assert policy().unsupported_destination() is None
    assert "no destination" in (policy(dest_registry=None).unsupported_destination() or "")


def test_event_writes() -> None:
    # event/handler.go getRelatedPolicies: enabled, event_based, local source, the filters
    # select the event's resource; Handle starts the run with the event's resource unfiltered.
    pushed = art(A, "v1", labels=("prod",))
    event = {"trigger": {"type": "event_based"}}
    p = policy(name("proj/**"), tag("v*"), **event)
    assert p.event_writes("proj/app", pushed, NEW) == [Write("proj/app", "v1", A, False)]
    assert p.event_writes("other/app", pushed, NEW) == []
    assert p.event_writes("proj/app", art(A, "dev"), NEW) == []
    assert policy(tag("v*"), enabled=False, **event).event_writes("proj/app", pushed, NEW) == []
    assert policy(tag("v*")).event_writes("proj/app", pushed, NEW) == []  # manual
    # A signature pushed by tag is matched by its own tag, as an ordinary artifact.
    signature = art(SIG, sig_tag(A))
    assert p.event_writes("proj/app", signature, NEW) == []
    assert policy(**event).event_writes("proj/app", signature, NEW) == [
        Write("proj/app", sig_tag(A), SIG, False)
    ]


@pytest.mark.parametrize(
    ("current", "override", "expected"),
    [
        (None, False, Outcome.PUSH),
        (A, False, Outcome.SAME),
        (A, True, Outcome.SAME),
        (B, False, Outcome.KEPT),
        (B, True, Outcome.PUSH),
    ],
)
def test_outcome_per_reference(current: str | None, override: bool, expected: Outcome) -> None:
    # transfer.go copyArtifact: same digest -> skip; override false -> skip with a warning;
    # override true -> push.
    assert outcome(current, A, override=override) is expected


def test_an_index_childs_accessory_carries_the_index_labels() -> None:
    # listArtifacts passes the listed index's labels (artItem.Labels) to getAccessoryArts
    # for each child's accessories: the child's own labels never count.
    index = art(A, "v1", labels=("prod",), children=(CHILD,))
    related = {
        CHILD: art(CHILD, labels=("qa",), accessories=(CHILD_SIG,)),
        CHILD_SIG: art(CHILD_SIG, sig_tag(CHILD)),
    }
    prod = policy(label("prod")).writes("p/a", index, related, NEW)
    assert [w.reference for w in prod] == ["v1", sig_tag(CHILD)]
    assert policy(label("qa")).writes("p/a", index, related, NEW) == []


@pytest.mark.parametrize("changes", [{"speed": 1024}, {"copy_by_chunk": True}])
def test_transfer_settings_change_nothing_a_run_writes(changes: dict[str, Any]) -> None:
    # `speed` only throttles the blob copy and `copy_by_chunk` only splits it (transfer.go
    # copyContent -> copyBlobWithRetry / copyChunkWithRetry, v2.15.2); neither touches the
    # references copyArtifact writes.
    subject, related = signed(A, "v1")
    assert policy(**changes).writes("p/a", subject, related, NEW) == policy().writes(
        "p/a", subject, related, NEW
    )


@pytest.mark.parametrize("kind", ["image", "artifact"])
def test_a_resource_filter_selects_no_event_away(kind: str) -> None:
    # DoFilterResources builds only repository and artifact filters: a resource filter, of
    # either type, never drops an event (getRelatedPolicies).
    p = policy({"type": "resource", "value": kind}, trigger={"type": "event_based"})
    assert p.event_writes("proj/app", art(A, "v1"), NEW) == [Write("proj/app", "v1", A, False)]
