"""Harbor's operations on whole artifacts, as its controllers run them, over in-memory state.

Each expected verdict is read from Harbor's code (goharbor/harbor, v2.15):
* push: `src/server/middleware/immutable/pushmf.go` refuses a PUT by tag onto an existing
  immutable tag, even of the same digest; a new tag is always accepted;
* delete of an artifact: `deleteDeeply` in `src/controller/artifact/controller.go` deletes
  hard accessories (their tags through `tag.Controller.DeleteTags`, which checks
  immutability), then untagged children no other index references, then the artifact's
  own tags, all in one transaction (`Delete` wraps it in `orm.WithTransaction`); a root
  another artifact references is refused;
* copy: `copyDeeply` copies each child not yet in the destination (with its own tags,
  whatever the "only copy the tags of outermost artifact" comment says: `ensureArt` runs for
  every level), then accessories with their tags, then the root; `tag.Controller.Ensure`
  refuses an immutable tag on another artifact; the whole copy is one transaction
  (`src/server/v2.0/handler/artifact.go` `CopyArtifact` runs under the transaction
  middleware);
* cosign: `src/server/middleware/cosign/cosign.go` links `sha256-<hex>.sig` to its subject.

Many of these were answered `allow` or `skip` before the world model: the test names say
which bullet of the issue on whole artifacts each one is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from tagguard.check import (
    check_copy,
    check_delete,
    check_plan,
    check_push,
    check_replication,
    check_retag,
    event_replication,
)
from tagguard.core import glob
from tagguard.core.decide import Decision, Operation, Verdict
from tagguard.core.plan import (
    Copy,
    Delete,
    DigestFile,
    Plan,
    PlanOperation,
    Push,
    ReplicatePolicy,
    Retag,
    Sign,
)
from tagguard.core.record import replace
from tagguard.core.reference import parse_reference
from tagguard.core.replication import Policy, parse_policy
from tagguard.core.rules import parse_rules
from tagguard.core.state import (
    COSIGN,
    Accessory,
    ArtifactInfo,
    OfflineSources,
    ProjectInfo,
    RepositoryState,
    RulesTable,
    StateTable,
    TagInfo,
)
from tagguard.errors import InputError, StateError
from tagguard.session import Session
from tests.builders import rule_json

A, B, C, D, X = (f"sha256:{c * 64}" for c in "abcdx")
SIG_A = f"sha256-{'a' * 64}.sig"
S = "sha256:" + "5" * 64  # the signature manifest of A
N_INDEX = "sha256:" + "9" * 64  # an accessory of A that is an index (a nydus image index)


def art(digest: str, *tags: str, **fields: Any) -> ArtifactInfo:
    return ArtifactInfo(digest, tuple(TagInfo(t) for t in tags), **fields)


def sources(
    rules: Sequence[dict[str, Any]] | Mapping[str, Sequence[dict[str, Any]]],
    state: Mapping[str, Sequence[ArtifactInfo]],
) -> OfflineSources:
    table = (
        RulesTable(by_project={p: parse_rules(r, p) for p, r in rules.items()})
        if isinstance(rules, Mapping)
        else RulesTable(shared=parse_rules(list(rules), "rules"))
    )
    return OfflineSources(
        table, StateTable({k: RepositoryState(tuple(v)) for k, v in state.items()})
    )


def ref(text: str):  # type: ignore[no-untyped-def]
    return parse_reference(text, default_tag=None)


def plan(*operations: PlanOperation) -> Plan:
    return Plan("release.yml", operations)


def verdicts(decisions: Sequence[Decision]) -> list[tuple[str, str]]:
    return [(d.reference.split("/", 1)[1], d.decision.value) for d in decisions]


IMMUTABLE_V = [rule_json(1, tag="v*")]


# -- plans: each operation sees what the earlier ones did ------------------------------------


@pytest.mark.parametrize("by_digest", [False, True])
def test_a_push_after_deleting_its_artifact_recreates_the_tag(by_digest: bool) -> None:
    # Bullet 1: the delete removes every tag of the artifact; pushing v1 again is a new tag
    # (allow), not a re-push of what is there (skip, which would leave the tag missing).
    src = sources(IMMUTABLE_V, {"h.io/p/app": [art(A, "dev", "rc")]})
    target = ref(f"h.io/p/app@{A}") if by_digest else ref("h.io/p/app:dev")
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Delete(1, (target,), artifact=True),
            Push(2, (ref("h.io/p/app:rc"),), A),
        ),
    )
    assert verdicts(report.decisions)[1] == ("p/app:rc", "allow")
    assert report.decisions[1].current_digest is None


def test_a_push_without_digest_is_remembered_by_the_plan() -> None:
    # Bullet 2: the first push creates v1 with an unknown digest; Harbor refuses the second
    # push onto the now existing immutable v1, whatever its digest.
    src = sources(IMMUTABLE_V, {"h.io/p/app": []})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v1"),)),
            Push(2, (ref("h.io/p/app:v1"),), A),
        ),
    )
    assert verdicts(report.decisions) == [("p/app:v1", "allow"), ("p/app:v1", "block")]
    assert "release.yml:1" in report.decisions[1].reason
    assert [n.code for n in report.decisions[1].notes] == ["unknown-digest"]


def test_a_copy_of_an_artifact_pushed_without_digest_is_not_judged_from_the_old_one() -> None:
    # Bullet 2: the push moves the mutable `latest` onto an image of unknown digest; copying
    # `latest` then copies that image, whose tags and presence in prod cannot be known.
    src = sources(
        {"p": [], "prod": IMMUTABLE_V},
        {"h.io/p/app": [art(A, "latest")], "h.io/prod/app": [art(A, "v1")]},
    )
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:latest"),)),
            Copy(2, ref("h.io/p/app:latest"), ref("h.io/prod/app")),
        ),
    )
    copy = report.decisions[1:]
    assert [d.decision for d in copy] == [Verdict.BLOCK]
    assert "unknown digest" in copy[0].reason


def test_a_blocked_copy_changes_nothing_for_later_operations() -> None:
    # Bullet 3: the copy of A (tags a1, v1) is refused whole because v1 is immutable on B in
    # prod; a1 therefore does not exist there, and pushing A to it is needed (allow), where
    # the copy counted as done made it look already written (skip).
    src = sources(
        [rule_json(1, tag="**")],
        {"h.io/p/app": [art(A, "a1", "v1")], "h.io/prod/app": [art(B, "v1")]},
    )
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Copy(1, ref("h.io/p/app:a1"), ref("h.io/prod/app")),
            Push(2, (ref("h.io/prod/app:a1"),), A),
        ),
    )
    assert verdicts(report.decisions) == [
        ("prod/app:a1", "allow"),
        ("prod/app:v1", "block"),
        ("prod/app:a1", "allow"),
    ]
    assert [w.code for w in report.warnings] == ["copy-fails-whole"]
    # The copy's a1 is `allow` as Harbor's check of that tag alone says, but not written:
    # a parser of the JSON sees it by its note, not only in the reason's text.
    copied, refused, pushed = report.decisions
    assert [n.code for n in copied.notes] == ["not-written"]
    assert "refuses the whole copy for tag v1" in copied.notes[0].message
    assert "not-written" not in [n.code for n in (*refused.notes, *pushed.notes)]


def test_an_allowed_copy_is_seen_by_later_operations() -> None:
    src = sources([rule_json(1, tag="**")], {"h.io/p/app": [art(A, "v1")], "h.io/prod/app": []})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Copy(1, ref("h.io/p/app:v1"), ref("h.io/prod/app")),
            Delete(2, (ref("h.io/prod/app:v1"),)),
        ),
    )
    assert verdicts(report.decisions) == [("prod/app:v1", "allow"), ("prod/app:v1", "block")]


# -- copy of an index: its children's tags go too ---------------------------------------------


def index_state(prod: Sequence[ArtifactInfo]) -> dict[str, Sequence[ArtifactInfo]]:
    return {
        "h.io/p/app": [art(A, "v2", children=(C, D)), art(C, "v2-amd64"), art(D)],
        "h.io/prod/app": prod,
    }


def test_copying_an_index_ensures_its_childrens_tags() -> None:
    # Bullet 4: child C carries v2-amd64, immutable in prod on another artifact: copyDeeply
    # copies C first with its tag, Ensure refuses it, and the whole copy fails.
    src = sources([rule_json(1, tag="v*")], index_state([art(B, "v2-amd64")]))
    report = check_copy(src, glob.NEWEST, ref("h.io/p/app:v2"), ref("h.io/prod/app"))
    assert verdicts(report.decisions) == [("prod/app:v2-amd64", "block"), ("prod/app:v2", "allow")]
    assert [n.code for n in report.decisions[0].notes] == ["carried"]
    assert report.exit_code == 1


def test_a_child_already_in_the_destination_is_skipped_with_its_tags() -> None:
    # copyDeeply: "the child artifact already exists under the destination repository, skip"
    src = sources([rule_json(1, tag="v*")], index_state([art(C), art(B, "v2-amd64")]))
    report = check_copy(src, glob.NEWEST, ref("h.io/p/app:v2"), ref("h.io/prod/app"))
    assert verdicts(report.decisions) == [("prod/app:v2", "allow")]


def test_a_root_already_in_the_destination_only_gets_its_tags() -> None:
    src = sources([rule_json(1, tag="v*")], index_state([art(A, "old"), art(B, "v2-amd64")]))
    report = check_copy(src, glob.NEWEST, ref("h.io/p/app:v2"), ref("h.io/prod/app"))
    assert verdicts(report.decisions) == [("prod/app:v2", "allow")]


def test_copy_between_two_registries_is_refused_with_a_reason() -> None:
    src = sources([], {"h.io/p/app": [art(A, "v1")], "g.io/p/app": []})
    with pytest.raises(InputError, match="reads the source from the same Harbor"):
        check_copy(src, glob.NEWEST, ref("h.io/p/app:v1"), ref("g.io/p/app"))


def test_copy_from_a_digest_that_does_not_exist_fails_closed() -> None:
    src = sources([], {"h.io/p/app": [art(A, "v1")], "h.io/prod/app": []})
    with pytest.raises(StateError, match="does not exist"):
        check_copy(src, glob.NEWEST, ref(f"h.io/p/app@{B}"), ref("h.io/prod/app"))


def test_copy_carries_accessories_with_their_tags() -> None:
    signed = [art(A, "v1", accessories=(Accessory(S, COSIGN),)), art(S, SIG_A)]
    src = sources(
        [rule_json(1, tag="sha256-*")],
        {"h.io/p/app": signed, "h.io/prod/app": [art(B, SIG_A)]},
    )
    report = check_copy(src, glob.NEWEST, ref("h.io/p/app:v1"), ref("h.io/prod/app"))
    assert verdicts(report.decisions) == [(f"prod/app:{SIG_A}", "block"), ("prod/app:v1", "allow")]


def test_copying_a_signature_on_its_own_is_refused() -> None:
    # Harbor's CopyArtifact (src/server/v2.0/handler/artifact.go, v2.15.2) looks the source
    # up among accessories (accMgr.List by ArtifactID) and, for a hard one (every accessory
    # kind Harbor ships), answers DENIED "the operation isn't supported for an artifact
    # accessory" before copyDeeply: the signature's tag is never created in prod.
    signed = [art(A, "v1", accessories=(Accessory(S, COSIGN),)), art(S, SIG_A)]
    src = sources([], {"h.io/p/app": signed, "h.io/prod/app": []})
    report = check_copy(src, glob.NEWEST, ref(f"h.io/p/app:{SIG_A}"), ref("h.io/prod/app"))
    assert verdicts(report.decisions) == [(f"prod/app:{SIG_A}", "block")]
    assert "accessory" in report.decisions[0].reason
    assert report.exit_code == 1


def test_copying_an_untagged_accessory_by_digest_is_refused() -> None:
    # The same check in CopyArtifact holds for an SBOM or attestation reached by digest.
    state = {
        "h.io/p/app": [art(A, "v1", accessories=(Accessory(D, "subject.accessory"),)), art(D)],
        "h.io/prod/app": [],
    }
    report = check_copy(
        sources([], state), glob.NEWEST, ref(f"h.io/p/app@{D}"), ref("h.io/prod/app")
    )
    assert [d.decision for d in report.decisions] == [Verdict.BLOCK]
    assert "accessory" in report.decisions[0].reason


def test_a_signature_linked_by_its_tag_alone_is_an_accessory_too() -> None:
    # Harbor's cosign middleware (src/server/middleware/cosign/cosign.go) links the PUT of
    # sha256-<hex>.sig to the subject: the flat form of a state names no accessory at all.
    src = sources([], {"h.io/p/app": [art(A, "v1"), art(S, SIG_A)], "h.io/prod/app": []})
    report = check_copy(src, glob.NEWEST, ref(f"h.io/p/app:{SIG_A}"), ref("h.io/prod/app"))
    assert [d.decision for d in report.decisions] == [Verdict.BLOCK]


def test_a_signature_whose_subject_is_absent_is_an_accessory_all_the_same() -> None:
    # cosign.go records the accessory keyed by the subject's digest even when no such
    # artifact exists ("the subject of the signature doesn't exist" is only logged), so
    # CopyArtifact finds it and refuses.
    src = sources([], {"h.io/p/app": [art(S, SIG_A)], "h.io/prod/app": []})
    report = check_copy(src, glob.NEWEST, ref(f"h.io/p/app:{SIG_A}"), ref("h.io/prod/app"))
    assert verdicts(report.decisions) == [(f"prod/app:{SIG_A}", "block")]


class ListedAsHarbor(OfflineSources):
    """A live source's listing: Harbor's list (`notacc` leaves accessories out) and what its
    items reach; `orphans` are accessories whose subject is absent, which nothing reaches."""

    orphans: frozenset[str] = frozenset()

    def listing(self, registry: str, repository: str) -> Sequence[ArtifactInfo]:
        every = super().listing(registry, repository)
        return tuple(a for a in every if a.digest not in self.orphans)


@pytest.mark.parametrize(
    ("source", "tags"), [(f"h.io/p/app@{D}", ()), ("h.io/p/app:sbom", ("sbom",))]
)
def test_a_referrer_whose_subject_is_absent_is_an_accessory_all_the_same(
    source: str, tags: tuple[str, ...]
) -> None:
    # src/server/middleware/subject/subject.go (`Middleware`, v2.15.2) creates the accessory
    # row of a manifest with an OCI `subject` even when the subject is not in the repository
    # (SubArtifactID stays 0): the artifact list (src/pkg/artifact/dao/dao.go `notacc`)
    # leaves it out and no artifact names it, yet CopyArtifact finds the row by ArtifactID
    # and answers DENIED.
    state = {"h.io/p/app": [art(A, "v1"), art(D, *tags)], "h.io/prod/app": []}
    src = ListedAsHarbor(sources([], state).rules_table, sources([], state).state_table)
    src.orphans = frozenset({D})
    report = check_copy(src, glob.NEWEST, ref(source), ref("h.io/prod/app"))
    assert [d.decision for d in report.decisions] == [Verdict.BLOCK]
    assert "accessory" in report.decisions[0].reason
    # Everything the listing reaches is copied as before.
    report = check_copy(src, glob.NEWEST, ref("h.io/p/app:v1"), ref("h.io/prod/app"))
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW]


# -- delete of an artifact: its accessories and untagged children go with it ------------------


def test_deleting_an_artifact_deletes_its_cosign_signature_through_the_check() -> None:
    # Bullet 5: A's own tag is mutable, but its signature's tag is immutable: refused whole.
    src = sources(
        [rule_json(1, tag="sha256-*.sig")],
        {"h.io/p/app": [art(A, "dev"), art(S, SIG_A)]},  # linked by the tag convention
    )
    report = check_delete(src, glob.NEWEST, [ref("h.io/p/app:dev")], artifact=True)
    assert verdicts(report.decisions) == [("p/app:dev", "block")]
    assert f"tag {SIG_A} of its cosign signature" in report.decisions[0].reason


def test_deleting_an_index_meets_the_accessories_of_its_untagged_children() -> None:
    child_sig = f"sha256-{'c' * 64}.sig"
    state = {
        "h.io/p/app": [
            art(A, "dev", children=(C,)),
            art(C, accessories=(Accessory(S, COSIGN),)),
            art(S, child_sig),
        ]
    }
    src = sources([rule_json(1, tag="sha256-*")], state)
    report = check_delete(src, glob.NEWEST, [ref("h.io/p/app:dev")], artifact=True)
    assert report.decisions[0].decision is Verdict.BLOCK
    assert child_sig in report.decisions[0].reason


def test_a_tagged_child_is_kept_so_its_tags_do_not_block() -> None:
    # deleteDeeply: "the child artifact is referenced by some tags, skip"
    state = {"h.io/p/app": [art(A, "dev", children=(C,)), art(C, "v1")]}
    src = sources(IMMUTABLE_V, state)
    report = check_delete(src, glob.NEWEST, [ref("h.io/p/app:dev")], artifact=True)
    assert verdicts(report.decisions) == [("p/app:dev", "allow")]


# deleteDeeply deletes the root's tags as populateTags lists them (tag model
# `GetDefaultSorts`, src/pkg/tag/model/tag/model.go: PushTime, then ID, both descending),
# through tag controller `DeleteTags`, which stops at the first immutable one and names it in
# its 412 ("the tag %s configured as immutable, cannot be deleted"). v1 and v2 are both
# immutable; v2 was pushed last.
JAN, FEB = (datetime(2024, m, 1, tzinfo=UTC) for m in (1, 2))


def _first_refused(artifact: ArtifactInfo, *pushes: str) -> str:
    """The reason deleting h.io/p/app@A gives, after the run pushed A under `pushes`."""
    src = sources(IMMUTABLE_V, {"h.io/p/app": [artifact]})
    operations = [Push(n, (ref(f"h.io/p/app:{t}"),), A) for n, t in enumerate(pushes, 1)]
    delete = Delete(len(pushes) + 1, (ref(f"h.io/p/app@{A}"),), artifact=True)
    report = check_plan(src, glob.NEWEST, plan(*operations, delete))
    assert report.decisions[-1].decision is Verdict.BLOCK
    return report.decisions[-1].reason


def test_a_delete_names_the_immutable_tag_harbor_deletes_first_the_newest() -> None:
    dated = ArtifactInfo(A, (TagInfo("v1", push_time=JAN), TagInfo("v2", push_time=FEB)))
    assert "deletes tag v2, which is immutable" in _first_refused(dated)


def test_a_delete_names_the_first_tag_of_harbor_s_own_list() -> None:
    # An artifact answer lists the tags in Harbor's order: equal times cannot say more.
    listed = ArtifactInfo(
        A, (TagInfo("v2", push_time=JAN), TagInfo("v1", push_time=JAN)), tags_in_harbor_order=True
    )
    assert "deletes tag v2, which is immutable" in _first_refused(listed)


def test_a_delete_names_the_tag_the_run_pushed_last_first() -> None:
    # Pushed in the run, so after everything Harbor reported: newest of all.
    dated = ArtifactInfo(A, (TagInfo("v1", push_time=FEB),))
    assert "deletes tag v3, which is immutable" in _first_refused(dated, "v2", "v3")


# An index A referencing C directly and through a nested index B (C's only other parent).
# deleteDeeply deletes each reference row before it recurses into the child
# (`c.artMgr.DeleteReference(ctx, reference.ID)`), so whichever way round A's references
# come, the last visit finds C referenced by nothing and deletes it with its accessories.
# Found by running Harbor v2.15.2's deleteDeeply over in-memory managers (both orders of A's
# references refused the immutable case, and deleted S in the mutable one).
SIG_C = f"sha256-{'c' * 64}.sig"


def _nested_share(children: tuple[str, ...]) -> dict[str, list[ArtifactInfo]]:
    return {
        "h.io/p/app": [
            art(A, "dev", children=children),
            art(B, children=(C,)),
            art(C, accessories=(Accessory(S, COSIGN),)),
            art(S, SIG_C),
        ]
    }


@pytest.mark.parametrize("children", [(B, C), (C, B)])
def test_a_child_shared_with_a_nested_index_goes_with_the_index(
    children: tuple[str, ...],
) -> None:
    src = sources([rule_json(1, tag="sha256-*.sig")], _nested_share(children))
    report = check_delete(src, glob.NEWEST, [ref("h.io/p/app:dev")], artifact=True)
    assert verdicts(report.decisions) == [("p/app:dev", "block")]
    assert SIG_C in report.decisions[0].reason


@pytest.mark.parametrize("children", [(B, C), (C, B)])
def test_a_child_shared_with_a_nested_index_fires_its_signatures_delete(
    children: tuple[str, ...],
) -> None:
    # The mutable case: Harbor deletes S as a root (one delete event of its own).
    src = sources([], _nested_share(children))
    report = check_delete(src, glob.NEWEST, [ref("h.io/p/app:dev")], artifact=True)
    assert verdicts(report.decisions) == [("p/app:dev", "allow")]
    assert report.decisions[0].deleted_accessories == ((S, (SIG_C,)),)


def test_deleting_a_child_of_an_index_is_refused() -> None:
    state = {"h.io/p/app": [art(A, "dev", children=(C,)), art(C)]}
    src = sources([], state)
    report = check_delete(src, glob.NEWEST, [ref(f"h.io/p/app@{C}")], artifact=True)
    assert report.decisions[0].decision is Verdict.BLOCK
    assert "child of index" in report.decisions[0].reason


# A signature that is A's accessory and, at once, a child of the index an OCI 1.1 client
# left under the referrers tag schema's tag `sha256-<hex of A>` (goharbor/harbor#20377
# draws it for notation; #20092 is the delete it broke on v2.10.0).
NOTATION = "sha256:" + "6" * 64
REFERRERS = "sha256:" + "7" * 64
SIGNED_WITH_FALLBACK = {
    "h.io/p/app": [
        art(A, "v1", accessories=(Accessory(NOTATION, "signature.notation"),)),
        art(NOTATION),
        art(REFERRERS, f"sha256-{'a' * 64}", children=(NOTATION,)),
    ]
}


@pytest.mark.parametrize(
    ("version", "verdict"),
    [("2.8.6", "block"), ("2.9.5", "block"), ("2.10.3", "block"), ("2.11.0", "allow")],
)
def test_an_accessory_an_index_references_fails_the_delete_before_2_11(
    version: str, verdict: str
) -> None:
    # deleteDeeply, src/controller/artifact/controller.go. Up to v2.10.3 each hard accessory
    # is deleted as a root (`c.deleteDeeply(ctx, acc.GetData().ArtifactID, true, true)`), and
    # a root that an index references fails the whole delete ("the deleting artifact is
    # referenced by others", 412 VIOLATE_FOREIGN_KEY_CONSTRAINT). From v2.11.0 it is a root
    # only when no index references it; otherwise deleteDeeply skips it and A goes alone.
    src = replace(sources([], SIGNED_WITH_FALLBACK), version=version)
    report = check_delete(src, glob.NEWEST, [ref("h.io/p/app:v1")], artifact=True)
    assert verdicts(report.decisions) == [("p/app:v1", verdict)]
    if verdict == "block":
        reason = report.decisions[0].reason
        assert f"accessory {NOTATION[:19]}" in reason
        assert f"child of index {REFERRERS[:19]}" in reason


@pytest.mark.parametrize(
    ("version", "verdict"), [("2.8.6", "block"), ("2.10.3", "block"), ("2.11.0", "allow")]
)
def test_deleting_the_index_that_lists_an_accessory_fails_before_2_11(
    version: str, verdict: str
) -> None:
    # The other half of the same change (goharbor/harbor#20073, in v2.11.0): up to v2.10.3
    # deleteDeeply visits an index's child with isAccessory false
    # (`c.deleteDeeply(ctx, reference.ChildID, false, false)`), so the child's
    # artifact_accessory row stays, and deleting the child violates that row's foreign key
    # (artifact_accessory.artifact_id REFERENCES artifact(id), 0080_2.5.0_schema.up.sql):
    # "the artifact N is referenced by other resources", the whole delete rolled back - as
    # #20092 reports for the referrers index on v2.10.0. From v2.11.0 the child is looked up
    # among the accessories (`accessoryMgr.List`) and its record deleted first.
    src = replace(sources([], SIGNED_WITH_FALLBACK), version=version)
    index = ref(f"h.io/p/app:sha256-{'a' * 64}")
    report = check_delete(src, glob.NEWEST, [index], artifact=True)
    assert verdicts(report.decisions) == [(f"p/app:sha256-{'a' * 64}", verdict)]
    if verdict == "block":
        reason = report.decisions[0].reason
        assert f"child {NOTATION[:19]}" in reason
        assert f"accessory of {A[:19]}" in reason


def test_a_plan_deletes_the_signature_with_its_subject() -> None:
    state = {"h.io/p/app": [art(A, "dev"), art(S, SIG_A)]}
    src = sources([], state)
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Delete(1, (ref("h.io/p/app:dev"),), artifact=True),
            Delete(2, (ref(f"h.io/p/app:{SIG_A}"),)),
        ),
    )
    # The signature went with A: deleting its tag then finds nothing.
    assert "does not exist" in report.decisions[1].reason


def test_deleting_by_digest_when_an_earlier_push_has_an_unknown_digest() -> None:
    # If the image pushed without a digest is A, deleting A meets the immutable v9: that
    # cannot be known, so the delete blocks and says why.
    src = sources(IMMUTABLE_V, {"h.io/p/app": [art(A, "dev")]})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v9"),)),
            Delete(2, (ref(f"h.io/p/app@{A}"),), artifact=True),
        ),
    )
    assert verdicts(report.decisions) == [("p/app:v9", "allow"), (f"p/app@{A}", "block")]
    assert "give that push its digest" in report.decisions[1].reason


# -- signing ------------------------------------------------------------------------------


def test_signing_again_is_refused_when_signature_tags_are_immutable() -> None:
    # goharbor/harbor#17332: a catch-all rule makes `sha256-<hex>.sig` immutable.
    src = sources([rule_json(1, tag="**")], {"h.io/p/app": [art(A, "v1"), art(S, SIG_A)]})
    session = Session(src, glob.NEWEST)
    first = session.sign([ref("h.io/p/app:v1")])
    assert verdicts(first) == [(f"p/app:{SIG_A}", "block")]
    unsigned = Session(sources([rule_json(1, tag="**")], {"h.io/p/app": [art(A, "v1")]}))
    assert verdicts(unsigned.sign([ref("h.io/p/app:v1")])) == [(f"p/app:{SIG_A}", "allow")]


# -- replication: artifact by artifact, each write seeing the previous ------------------------


class ReplicatingSources(OfflineSources):
    """Offline sources that also answer what a policy check asks a live Harbor."""

    policies_: dict[int, Policy]  # by id
    missing: set[str]

    def __init__(
        self, base: OfflineSources, policy: dict[str, Any], missing: set[str] | None = None
    ) -> None:
        super().__init__(base.rules_table, base.state_table)
        object.__setattr__(self, "policies_", {int(policy["id"]): parse_policy(policy, "policy")})
        object.__setattr__(self, "missing", missing or set())

    def policy(self, registry: str, policy_id: int) -> Policy:
        return self.policies_[policy_id]

    def repositories(self, registry: str) -> list[str]:
        return sorted(
            key.split("/", 1)[1]
            for key in self.state_table.repositories
            if key.startswith(f"{registry}/")
        )

    def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]:
        return list(self.state_table.repository(f"{registry}/{repository}").artifacts)

    def artifact_lists(
        self, registry: str, repositories: Sequence[str]
    ) -> dict[str, list[ArtifactInfo]]:
        return {r: self.artifacts(registry, r) for r in repositories}

    def add_harbor(self, host: str, url: str) -> None:
        return None

    def project(self, registry: str, name: str) -> ProjectInfo | None:
        return None if name in self.missing else ProjectInfo(proxy_cache=name == "cache")

    def policies(self, registry: str) -> list[Policy] | None:
        return list(self.policies_.values()) if registry == "h.io" else None


def policy_json(**fields: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "name": "to-mirror",
        "enabled": True,
        "override": True,
        "dest_registry": {"id": 1, "url": "https://m.io", "type": "harbor"},
        "dest_namespace": "mirror",
        "dest_namespace_replace_count": -1,
        "filters": [{"type": "name", "value": "p/**"}],
        "trigger": {"type": "manual"},
        **fields,
    }


def test_two_source_repositories_that_map_to_one_destination_tag() -> None:
    # dest_namespace_replace_count -1 keeps only the last segment: p/a/app and p/b/app both
    # land in mirror/app. The second copy meets the v1 the first one wrote (immutable).
    base = sources(
        {"p": [], "mirror": IMMUTABLE_V},
        {"h.io/p/a/app": [art(A, "v1")], "h.io/p/b/app": [art(B, "v1")], "m.io/mirror/app": []},
    )
    report = check_replication(ReplicatingSources(base, policy_json()), None, "h.io", 7)
    assert verdicts(report.decisions) == [("mirror/app:v1", "allow"), ("mirror/app:v1", "block")]
    # Harbor runs the two tasks concurrently: which one is refused is not fixed.
    assert [w.code for w in report.warnings] == ["replication-race"]


def test_a_replication_in_a_plan_sees_the_tags_earlier_steps_created() -> None:
    base = sources(
        {"p": [], "mirror": IMMUTABLE_V}, {"h.io/p/app": [], "m.io/mirror/app": [art(B, "v1")]}
    )
    src = ReplicatingSources(base, policy_json())
    report = check_plan(
        src,
        None,
        plan(
            Push(1, (ref("h.io/p/app:v1"),), A),
            ReplicatePolicy(2, 7, "h.io"),
        ),
    )
    assert verdicts(report.decisions) == [("p/app:v1", "allow"), ("mirror/app:v1", "block")]


def test_replication_carries_the_signature_with_its_own_tag() -> None:
    # A re-signed image: the destination holds an older signature under the same .sig tag,
    # immutable there; the task fails on it (412) although v1 itself is the same digest.
    base = sources(
        {"p": [], "mirror": [rule_json(1, tag="sha256-*")]},
        {
            "h.io/p/app": [art(A, "v1"), art(S, SIG_A)],
            "m.io/mirror/app": [art(A, "v1"), art(B, SIG_A)],
        },
    )
    report = check_replication(ReplicatingSources(base, policy_json()), None, "h.io", 7)
    assert verdicts(report.decisions) == [
        ("mirror/app:v1", "skip"),
        (f"mirror/app:{SIG_A}", "block"),
    ]
    assert [n.code for n in report.decisions[1].notes][-1] == "accessory"


def test_an_empty_tag_pattern_selects_everything_whatever_its_decoration() -> None:
    base = sources({"p": [], "mirror": []}, {"h.io/p/app": [art(A, "v1")], "m.io/mirror/app": []})
    filters = [{"type": "tag", "value": "", "decoration": "excludes"}]
    report = check_replication(
        ReplicatingSources(base, policy_json(filters=filters)), None, "h.io", 7
    )
    assert verdicts(report.decisions) == [("mirror/app:v1", "allow")]


def test_a_label_filter_keeps_the_artifacts_with_every_label() -> None:
    state = {
        "h.io/p/app": [art(A, "v1", labels=("prod", "ok")), art(B, "v2", labels=("prod",))],
        "m.io/mirror/app": [],
    }
    base = sources({"p": [], "mirror": []}, state)
    filters = [{"type": "label", "value": ["prod", "ok"], "decoration": "matches"}]
    report = check_replication(
        ReplicatingSources(base, policy_json(filters=filters)), None, "h.io", 7
    )
    assert verdicts(report.decisions) == [("mirror/app:v1", "allow")]


def test_a_destination_project_that_does_not_exist_is_created_without_rules() -> None:
    base = sources({"p": [], "mirror": IMMUTABLE_V}, {"h.io/p/app": [art(A, "v1")]})
    src = ReplicatingSources(base, policy_json(), missing={"mirror"})
    report = check_replication(src, None, "h.io", 7)
    assert verdicts(report.decisions) == [("mirror/app:v1", "allow")]
    assert [w.code for w in report.warnings] == ["project-created"]


def test_a_proxy_cache_destination_is_skipped() -> None:
    base = sources({"p": [], "cache": []}, {"h.io/p/app": [art(A, "v1")]})
    src = ReplicatingSources(base, policy_json(dest_namespace="cache"))
    report = check_replication(src, None, "h.io", 7)
    assert report.decisions == []
    assert [w.code for w in report.warnings] == ["proxy-cache-skipped"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"enabled": False}, "Harbor refuses to start it"),
        ({"dest_registry": {"id": 1, "url": "https://d.io", "type": "docker-hub"}}, "not a Harbor"),
    ],
)
def test_policies_that_write_nothing_predictable_are_said_plainly(
    fields: dict[str, Any], words: str
) -> None:
    base = sources({"p": []}, {"h.io/p/app": [art(A, "v1")]})
    with pytest.raises(StateError, match=words):
        check_replication(ReplicatingSources(base, policy_json(**fields)), None, "h.io", 7)


# -- event-based policies replay source writes at once ---------------------------------------


def event_sources(**fields: Any) -> ReplicatingSources:
    base = sources(
        {"p": [], "mirror": IMMUTABLE_V},
        {"h.io/p/app": [art(A, "v2")], "m.io/mirror/app": [art(B, "v2"), art(C, "v3")]},
    )
    return ReplicatingSources(base, policy_json(trigger={"type": "event_based"}, **fields))


def test_a_push_an_event_based_policy_replays_onto_an_immutable_tag_is_warned_of() -> None:
    src = event_sources()
    report = check_push(src, None, [ref("h.io/p/app:v3")], D)
    assert verdicts(report.decisions) == [("p/app:v3", "allow")]
    event_replication(src, None, report)
    assert [w.code for w in report.warnings] == ["replication-refused"]
    assert report.warnings[0].reference == "m.io/mirror/app:v3"


def test_a_delete_is_replayed_only_when_the_policy_replicates_deletion() -> None:
    quiet = event_sources()
    report = check_delete(quiet, None, [ref("h.io/p/app:v2")], artifact=False)
    event_replication(quiet, None, report)
    assert report.warnings == []
    loud = event_sources(replicate_deletion=True)
    report = check_delete(loud, None, [ref("h.io/p/app:v2")], artifact=False)
    event_replication(loud, None, report)
    assert [w.code for w in report.warnings] == ["replication-refused"]


def test_a_manual_policy_replays_nothing() -> None:
    base = sources(
        {"p": [], "mirror": IMMUTABLE_V}, {"h.io/p/app": [], "m.io/mirror/app": [art(B, "v3")]}
    )
    src = ReplicatingSources(base, policy_json())
    report = check_push(src, None, [ref("h.io/p/app:v3")], D)
    event_replication(src, None, report)
    assert report.warnings == []


@pytest.mark.parametrize("operation", [Operation.RETAG, Operation.REPLICATE])
def test_a_source_digest_that_does_not_exist_fails_closed(operation: Operation) -> None:
    # Before, a source given by digest was taken on trust: the write looked allowed.
    src = sources([], {"h.io/p/app": [art(A, "v1")]})
    with pytest.raises(StateError, match="does not exist"):
        check_retag(src, None, ref(f"h.io/p/app@{B}"), [ref("h.io/p/app:v2")], operation=operation)


def test_a_push_without_digest_beside_a_reference_by_digest() -> None:
    # The reference by digest names its own digest; the other targets' digest is unknown.
    src = sources(IMMUTABLE_V, {"h.io/p/app": [art(A, "v1")]})
    report = check_push(src, None, [ref("h.io/p/app:v2"), ref(f"h.io/p/app:v1@{A}")], None)
    assert verdicts(report.decisions) == [("p/app:v2", "allow"), (f"p/app:v1@{A}", "skip")]


# -- what the property test against the server found -----------------------------------------


def test_a_delete_by_digest_after_a_push_without_digest_is_blocked() -> None:
    # The pushed image may be the digest deleted: Harbor then meets the immutable v2.
    src = sources(IMMUTABLE_V, {"h.io/p/app": []})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),)),
            Delete(2, (ref(f"h.io/p/app@{A}"),), artifact=True),
        ),
    )
    assert verdicts(report.decisions)[1] == (f"p/app@{A}", "block")


def test_an_artifact_deleted_and_pushed_again_carries_its_new_tag() -> None:
    src = sources(IMMUTABLE_V, {"h.io/p/app": [art(A, "latest")]})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Delete(1, (ref("h.io/p/app:latest"),), artifact=True),
            Push(2, (ref("h.io/p/app:v2"),), A),
            Delete(3, (ref("h.io/p/app:v2"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow", "block"]


def test_a_signature_pushed_before_its_subject_is_deleted_with_it() -> None:
    # cosign.go keeps the accessory row by the subject's digest even when the subject is not
    # there yet; deleting the subject later deletes the signature, through the check.
    src = sources([rule_json(1, tag="sha256-*")], {"h.io/p/app": []})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Push(1, (ref(f"h.io/p/app:{SIG_A}"),), S),
            Push(2, (ref("h.io/p/app:dev"),), A),
            Delete(3, (ref("h.io/p/app:dev"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow", "block"]


def test_a_child_of_an_index_pushed_in_the_run_may_not_be_deleted() -> None:
    src = sources([], {"h.io/p/app": []})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),), A),
            Delete(2, (ref(f"h.io/p/app@{C}"),), artifact=True),
        ),
    )
    assert verdicts(report.decisions)[1] == (f"p/app@{C}", "block")
    assert "may be a child of it" in report.decisions[1].reason


@pytest.mark.parametrize("pushed_by_digest_first", [False, True])
def test_deleting_after_pushing_an_image_harbor_does_not_hold_yet(
    pushed_by_digest_first: bool,
) -> None:
    # `docker buildx imagetools create -t app:v2 app:v1 ...` makes an index of images already
    # there: deleting one of them is then refused. Only an image Harbor (or the state) holds
    # says what it references; the README's flow pushes by digest first, and then it is known.
    stored = [art(B, "v1"), *([art(A)] if pushed_by_digest_first else [])]
    src = sources([], {"h.io/p/app": stored})
    report = check_plan(
        src,
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),), A),
            Delete(2, (ref("h.io/p/app:v1"),), artifact=True),
        ),
    )
    expected = "allow" if pushed_by_digest_first else "block"
    assert [d.decision.value for d in report.decisions] == ["allow", expected]
    if not pushed_by_digest_first:
        assert "push it by digest first" in report.decisions[1].reason


def test_a_push_whose_digest_file_was_never_read_is_refused() -> None:
    pushed = Push(3, (ref("h.io/p/app:v2"),), DigestFile("oci-layout", "out"))
    with pytest.raises(
        InputError, match=r"release.yml:3: the digest in oci-layout out was not read"
    ):
        check_plan(sources(IMMUTABLE_V, {"h.io/p/app": []}), None, plan(pushed))


def test_a_retag_into_another_repository_brings_the_index_children_along() -> None:
    # An index is accepted only once its children are in the repository: Harbor's
    # abstractIndexMetadata (src/controller/artifact/abstractor.go, v2.15.2) looks each one
    # up there ("make sure the child artifact exist") and records the reference, so crane
    # and skopeo push them by digest first. deleteDeeply then refuses to delete a child the
    # index references ("the deleting artifact is referenced by others", 412 per
    # src/lib/http/error.go). Before, prod held no C in tagguard's view: "allow".
    state = {"h.io/p/app": [art(A, "v1", children=(C,)), art(C)], "h.io/prod/app": []}
    report = check_plan(
        sources([], state),
        glob.NEWEST,
        plan(
            Retag(1, ref("h.io/p/app:v1"), (ref("h.io/prod/app:v1"),)),
            Delete(2, (ref(f"h.io/prod/app@{C}"),), artifact=True),
            Delete(3, (ref("h.io/prod/app:v1"),), artifact=True),
            Delete(4, (ref(f"h.io/prod/app@{C}"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "block", "allow", "allow"]
    assert "child of index" in report.decisions[1].reason
    # deleteDeeply takes the untagged child along with its index: nothing is left to delete.
    assert "does not exist" in report.decisions[3].reason


def test_a_push_from_a_harbor_image_is_known_whole_at_its_target() -> None:
    # `push: ... from:` an index tagguard reads in Harbor writes that index (and, as above,
    # its children) into prod: what it references is known, so a delete of an unrelated
    # artifact is Harbor's plain allow (deleteDeeply meets only B's mutable tag), not the
    # doubt kept for an image whose manifest tagguard has not read; the child is refused.
    state = {
        "h.io/p/app": [art(A, "v1", children=(C,)), art(C)],
        "h.io/prod/app": [art(B, "old")],
    }
    report = check_plan(
        sources([], state),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/prod/app:v1"),), ref("h.io/p/app:v1")),
            Delete(2, (ref(f"h.io/prod/app@{B}"),), artifact=True),
            Delete(3, (ref(f"h.io/prod/app@{C}"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow", "block"]
    assert "child of index" in report.decisions[2].reason


@pytest.mark.parametrize("deleted_first", [False, True])
def test_an_image_pushed_by_digest_in_the_run_references_what_its_manifest_says(
    deleted_first: bool,
) -> None:
    # A manifest PUT by digest is never checked for immutability, but it records what its
    # index references all the same (abstractIndexMetadata, src/controller/artifact/
    # abstractor.go, v2.15.2), and deleteDeeply refuses to delete a referenced child (412).
    # tagguard has not read that manifest: as for a push by tag, a delete it may touch is
    # a doubt. Before, a push by digest counted as an image that references nothing:
    # re-pushing index A, whose untagged child C went with it and came back for the push,
    # left deleting C "allow" though Harbor refuses it.
    stored = [art(A, "dev", children=(C,)), art(C)] if deleted_first else [art(C, "v1")]
    steps: list[PlanOperation] = [
        Push(2, (ref(f"h.io/p/app@{A}"),), A),
        Delete(3, (ref(f"h.io/p/app@{C}"),), artifact=True),
    ]
    if deleted_first:
        steps.insert(0, Delete(1, (ref("h.io/p/app:dev"),), artifact=True))
    report = check_plan(sources([], {"h.io/p/app": stored}), glob.NEWEST, plan(*steps))
    assert [d.decision.value for d in report.decisions][-2:] == ["allow", "block"]
    assert "push it by digest first" in report.decisions[-1].reason


# -- more plans over indexes and accessories (hand-derived from v2.15.2, exactness audit) --------

SIG_C = f"sha256-{'c' * 64}.sig"


def test_a_shared_child_goes_with_the_last_index_that_references_it() -> None:
    # deleteDeeply drops A's reference to C first, then skips C, which B still references:
    # C's immutable signature is not met. Once A is gone, deleting B takes C along, and
    # C's signature is deleted as a root, through the tag check: refused.
    state = {
        "h.io/p/app": [
            art(A, "dev", children=(C,)),
            art(B, "dev2", children=(C,)),
            art(C, accessories=(Accessory(S, COSIGN),)),
            art(S, SIG_C),
        ]
    }
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(
            Delete(1, (ref("h.io/p/app:dev"),), artifact=True),
            Delete(2, (ref("h.io/p/app:dev2"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "block"]
    assert SIG_C in report.decisions[1].reason


@pytest.mark.parametrize("index_tag", ["v1", "dev"])
def test_a_tagged_child_outlives_its_index_only_when_the_index_delete_succeeds(
    index_tag: str,
) -> None:
    # Index A carries v1 (immutable: its delete is refused whole and A keeps referencing C,
    # so deleting C is refused as referenced) or dev (deleted; C is kept for its own tag,
    # and deleting C then meets that tag, v1-amd64, immutable).
    state = {"h.io/p/app": [art(A, index_tag, children=(C,)), art(C, "v1-amd64")]}
    report = check_plan(
        sources(IMMUTABLE_V, state),
        glob.NEWEST,
        plan(
            Delete(1, (ref(f"h.io/p/app:{index_tag}"),), artifact=True),
            Delete(2, (ref(f"h.io/p/app@{C}"),), artifact=True),
        ),
    )
    first = "block" if index_tag == "v1" else "allow"
    assert [d.decision.value for d in report.decisions] == [first, "block"]
    why = "child of index" if index_tag == "v1" else "v1-amd64"
    assert why in report.decisions[1].reason


def test_a_signature_of_an_untagged_child_pushed_in_the_run_blocks_the_index_delete() -> None:
    # cosign.go links the PUT of sha256-<C hex>.sig to C; deleteDeeply of A deletes its
    # untagged child C and, with it, C's signature as a root: its immutable tag refuses all.
    state = {"h.io/p/app": [art(A, "dev", children=(C,)), art(C)]}
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(
            Push(1, (ref(f"h.io/p/app:{SIG_C}"),), S),
            Delete(2, (ref("h.io/p/app:dev"),), artifact=True),
        ),
    )
    assert verdicts(report.decisions) == [(f"p/app:{SIG_C}", "allow"), ("p/app:dev", "block")]


def test_a_signature_signed_in_the_run_goes_through_the_subjects_delete() -> None:
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], {"h.io/p/app": [art(A, "dev")]}),
        glob.NEWEST,
        plan(
            Sign(1, (ref("h.io/p/app:dev"),), S),
            Delete(2, (ref("h.io/p/app:dev"),), artifact=True),
        ),
    )
    assert verdicts(report.decisions) == [(f"p/app:{SIG_A}", "allow"), ("p/app:dev", "block")]
    assert f"tag {SIG_A} of its cosign signature" in report.decisions[1].reason


def test_a_refused_copy_rolls_back_the_tag_its_child_moved() -> None:
    # copyDeeply ensures child C's tag amd first (mutable: moved off B), then the root's v2,
    # immutable on X: 412, and the transaction rolls back the move too. amd is still on B,
    # so pushing B to it is a re-push (skip), not a move back (allow).
    state = {
        "h.io/p/app": [art(A, "v2", children=(C,)), art(C, "amd")],
        "h.io/prod/app": [art(B, "amd"), art(X, "v2")],
    }
    report = check_plan(
        sources(IMMUTABLE_V, state),
        glob.NEWEST,
        plan(
            Copy(1, ref("h.io/p/app:v2"), ref("h.io/prod/app")),
            Push(2, (ref("h.io/prod/app:amd"),), B),
        ),
    )
    assert verdicts(report.decisions) == [
        ("prod/app:amd", "allow"),
        ("prod/app:v2", "block"),
        ("prod/app:amd", "skip"),
    ]


def test_each_target_of_a_retag_is_a_request_of_its_own() -> None:
    # Two manifest PUTs: pushmf.go refuses v1 (immutable, on B) and not v2, which is written;
    # deleting dev's artifact then meets v2, immutable from then on.
    state = {"h.io/p/app": [art(A, "dev"), art(B, "v1")]}
    report = check_plan(
        sources(IMMUTABLE_V, state),
        glob.NEWEST,
        plan(
            Retag(1, ref("h.io/p/app:dev"), (ref("h.io/p/app:v1"), ref("h.io/p/app:v2"))),
            Delete(2, (ref("h.io/p/app:dev"),), artifact=True),
        ),
    )
    assert verdicts(report.decisions) == [
        ("p/app:v1", "block"),
        ("p/app:v2", "allow"),
        ("p/app:dev", "block"),
    ]
    assert "tag v2" in report.decisions[2].reason


def test_a_copied_index_shares_a_child_the_destination_holds() -> None:
    # C is in prod already, referenced by B: copyDeeply skips it and records A's reference.
    # Deleting A keeps C (B references it); deleting B then takes C and C's signature along.
    state = {
        "h.io/p/app": [art(A, "dev", children=(C,)), art(C)],
        "h.io/prod/app": [
            art(B, "old", children=(C,)),
            art(C, accessories=(Accessory(S, COSIGN),)),
            art(S, SIG_C),
        ],
    }
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(
            Copy(1, ref("h.io/p/app:dev"), ref("h.io/prod/app")),
            Delete(2, (ref("h.io/prod/app:dev"),), artifact=True),
            Delete(3, (ref("h.io/prod/app:old"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow", "block"]


def test_a_retag_of_an_index_of_indexes_brings_every_level_along() -> None:
    # abstractIndexMetadata asks for each level's children in the repository: the
    # grandchild D is there too, referenced by C.
    state = {
        "h.io/p/app": [art(A, "v1", children=(C,)), art(C, children=(D,)), art(D)],
        "h.io/prod/app": [],
    }
    report = check_plan(
        sources([], state),
        glob.NEWEST,
        plan(
            Retag(1, ref("h.io/p/app:v1"), (ref("h.io/prod/app:v1"),)),
            Delete(2, (ref(f"h.io/prod/app@{D}"),), artifact=True),
        ),
    )
    assert verdicts(report.decisions)[1] == (f"prod/app@{D}", "block")
    assert "child of index" in report.decisions[1].reason


# A manifest PUT answered 201 runs Harbor's subject middleware (src/server/middleware/subject/
# subject.go `Middleware`, v2.15.2: "check if images is a Subject artifact"): the accessories
# the repository keeps for that digest (SubjectArtifactDigest, recorded by the cosign
# middleware even while the subject is absent) are linked to the new artifact
# (SubArtifactID), so populateAccessories lists them and deleteDeeply deletes them with it.
# A retag of an index PUTs each child by digest, then the index: each meets the signatures
# waiting for it. Harbor's copy API does not: regCli.Copy writes to the registry directly,
# past the middlewares, and Ensure links only the source's accessories.

SIGNED_C_WAITS_IN_PROD = {
    "h.io/p/app": [art(A, "v1", children=(C,)), art(C)],
    # S, tagged sha256-<C>.sig, was pushed to prod while C was not there
    "h.io/prod/app": [art(S, SIG_C)],
}


@pytest.mark.parametrize(
    "carry",
    [
        Retag(1, ref("h.io/p/app:v1"), (ref("h.io/prod/app:v1"),)),
        Push(1, (ref("h.io/prod/app:v1"),), ref("h.io/p/app:v1")),
    ],
    ids=["retag", "push-from"],
)
def test_a_carried_child_takes_the_signature_its_repository_kept_for_it(
    carry: PlanOperation,
) -> None:
    # The retag PUTs C into prod: S joins it. Deleting A then deletes its untagged child C
    # and C's accessory S as a root (deleteDeeply), whose tag sha256-<C>.sig is immutable:
    # 412. tagguard carried C without it: "allow".
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], SIGNED_C_WAITS_IN_PROD),
        glob.NEWEST,
        plan(carry, Delete(2, (ref("h.io/prod/app:v1"),), artifact=True)),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "block"]
    assert SIG_C in report.decisions[1].reason


def test_a_carried_child_takes_a_signature_an_earlier_step_wrote_before_it() -> None:
    # The signature is promoted first (crane copy of its tag), its subject C after, as the
    # index's child: Harbor links S to C when C is PUT, as above.
    state = {
        "h.io/p/app": [
            art(A, "v1", children=(C,)),
            art(C, accessories=(Accessory(S, COSIGN),)),
            art(S, SIG_C),
        ],
        "h.io/prod/app": [],
    }
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(
            Retag(1, ref(f"h.io/p/app:{SIG_C}"), (ref(f"h.io/prod/app:{SIG_C}"),)),
            Retag(2, ref("h.io/p/app:v1"), (ref("h.io/prod/app:v1"),)),
            Delete(3, (ref("h.io/prod/app:v1"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow", "block"]
    assert SIG_C in report.decisions[2].reason


def test_a_harbor_copy_of_an_index_links_no_signature_its_destination_kept() -> None:
    # copyDeeply copies C with regCli.Copy, past the subject middleware, and Ensure links
    # only C's accessories in the source (none): S stays unlinked, and deleting A deletes C
    # alone. Harbor accepts it.
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], SIGNED_C_WAITS_IN_PROD),
        glob.NEWEST,
        plan(
            Copy(1, ref("h.io/p/app:v1"), ref("h.io/prod/app")),
            Delete(2, (ref("h.io/prod/app:v1"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow"]


@pytest.mark.parametrize("by_digest", [False, True])
def test_deleting_an_image_pushed_in_the_run_doubts_what_it_references(by_digest: bool) -> None:
    # If A (pushed in the run, its manifest unread) is an index over the stored, untagged C,
    # deleteDeeply deletes C with it and C's signature as a root, whose sha256-* tag is
    # immutable: 412. If A is a plain image Harbor deletes it. Which one cannot be known, so
    # the delete blocks and says why; before, it was "allow" from A's own tags alone.
    state = {"h.io/p/app": [art(C, accessories=(Accessory(S, COSIGN),)), art(S, SIG_C)]}
    target = ref(f"h.io/p/app@{A}") if by_digest else ref("h.io/p/app:v2")
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(Push(1, (target,), A), Delete(2, (target,), artifact=True)),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "block"]
    assert "its untagged children" in report.decisions[1].reason
    # Advice a pipeline can follow: the push is usually a step of the same job.
    assert "check this step on its own once the push has run" in report.decisions[1].reason


@pytest.mark.parametrize(
    "carry",
    [
        Retag(2, ref("h.io/p/app:v2"), (ref("h.io/prod/app:v2"),)),
        Copy(2, ref("h.io/p/app:v2"), ref("h.io/prod/app")),
    ],
    ids=["retag", "copy"],
)
def test_an_image_pushed_in_the_run_stays_unread_where_it_is_carried(carry: PlanOperation) -> None:
    # A was pushed by tag in the run: its manifest is unread, so it may be an index over C,
    # which prod holds untagged with an immutable signature. A retag writes A to prod (its
    # children first), and copyDeeply copies what A's manifest references first: either way
    # C becomes A's child there, and deleting A deletes C and C's signature (412). Carried
    # as a known image without children, the delete was allowed.
    state = {
        "h.io/p/app": [],
        "h.io/prod/app": [art(C, accessories=(Accessory(S, COSIGN),)), art(S, SIG_C)],
    }
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),), A),
            carry,
            Delete(3, (ref("h.io/prod/app:v2"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow", "block"]
    assert "its untagged children" in report.decisions[2].reason


def test_deleting_an_image_pushed_in_the_run_where_no_rule_is_enabled_is_harbors_allow() -> None:
    # Whatever A references, deleteDeeply's only refusals are a tag the immutability check
    # finds immutable (none can be: the project has no enabled rule) and a parent index
    # (nothing the run wrote or Harbor holds can reference A). A push then a delete of the
    # same image is accepted; the doubt is for projects where a child's accessory tag may
    # be immutable.
    state = {"h.io/p/app": [art(C, accessories=(Accessory(S, COSIGN),)), art(S, SIG_C)]}
    disabled = {**rule_json(1, tag="**"), "disabled": True}
    report = check_plan(
        sources([disabled], state),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:tmp"),), A),
            Delete(2, (ref("h.io/p/app:tmp"),), artifact=True),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow"]


# -- copy of an image pushed in the run, its manifest unread -----------------------------------
# copyDeeply (src/controller/artifact/controller.go, v2.15.2) copies each child of an index
# not yet in the destination, with that child's own tags and accessories; tag.Controller.
# Ensure (src/controller/tag/controller.go) refuses an immutable tag on another artifact
# (412), and the whole copy with it. An index's children are in its own repository
# (abstractIndexMetadata, src/controller/artifact/abstractor.go, looks each one up there).


def pushed_then_copied(prod: Sequence[ArtifactInfo], stored: Sequence[ArtifactInfo]) -> Any:
    state = {"h.io/p/app": stored, "h.io/prod/app": prod}
    return check_plan(
        sources({"p": [], "prod": IMMUTABLE_V}, state),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),), A),
            Copy(2, ref("h.io/p/app:v2"), ref("h.io/prod/app")),
        ),
    )


PLATFORMS = [art(C, "v2-amd64"), art(D, "v2-arm64")]


def test_copying_an_unread_push_may_carry_a_child_onto_an_immutable_tag() -> None:
    # `docker manifest create app:v2 app:v2-amd64 app:v2-arm64` makes A an index over C and
    # D. prod holds v2-amd64 (immutable) on B: copyDeeply copies C with v2-amd64, Ensure
    # refuses to move it (412), so nothing is copied. Whether A is such an index is not
    # known (its manifest is unread): a doubt, not allow.
    report = pushed_then_copied([art(B, "v2-amd64")], PLATFORMS)
    assert verdicts(report.decisions) == [("p/app:v2", "allow"), ("prod/app:v2", "block")]
    reason = report.decisions[1].reason
    assert "cannot be known" in reason
    assert "v2-amd64" in reason
    assert "push it by digest first" in reason


def test_a_source_whose_tags_the_destination_holds_on_the_same_images_is_allowed() -> None:
    # prod holds C already (with v2-amd64): copyDeeply skips a child the destination holds,
    # tags and all, so whatever A references, no tag moves.
    report = pushed_then_copied([art(C, "v2-amd64")], PLATFORMS)
    assert verdicts(report.decisions) == [("p/app:v2", "allow"), ("prod/app:v2", "allow")]


def test_a_destination_tag_of_another_name_is_no_reason_to_doubt() -> None:
    # The README's flow: push, then copy to prod. prod's immutable tags are none that an
    # artifact of p/app carries (v1 is only in prod), so no child of A can move one.
    report = pushed_then_copied([art(B, "v1")], [art(C, "rc-1")])
    assert verdicts(report.decisions) == [("p/app:v2", "allow"), ("prod/app:v2", "allow")]


def test_a_mutable_destination_tag_a_child_moves_is_allowed() -> None:
    # Ensure moves a mutable tag onto the copied child without a word.
    state = {"h.io/p/app": [art(C, "dev-amd64")], "h.io/prod/app": [art(B, "dev-amd64")]}
    report = check_plan(
        sources({"p": [], "prod": IMMUTABLE_V}, state),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),), A),
            Copy(2, ref("h.io/p/app:v2"), ref("h.io/prod/app")),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow"]


def test_the_signature_of_a_possible_child_is_carried_too() -> None:
    # copyDeeply copies a child's accessories with their tags: C's signature S carries
    # sha256-<C>.sig, immutable in prod (rule sha256-*) on another signature, B.
    stored = [art(C, accessories=(Accessory(S, COSIGN),)), art(S, SIG_C)]
    state = {"h.io/p/app": stored, "h.io/prod/app": [art(B, SIG_C)]}
    report = check_plan(
        sources({"p": [], "prod": [rule_json(1, tag="sha256-*")]}, state),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),), A),
            Copy(2, ref("h.io/p/app:v2"), ref("h.io/prod/app")),
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "block"]
    assert SIG_C in report.decisions[1].reason


def test_an_index_harbor_holds_is_judged_from_its_children_not_doubted() -> None:
    # Pushed by digest before the check, A is read: its children are known, and only C's
    # v2-amd64 is carried (the exact verdict of test_copying_an_index_ensures_its_childrens_tags).
    stored = [art(A, children=(C,)), *PLATFORMS]
    report = pushed_then_copied([art(B, "v2-arm64")], stored)
    assert verdicts(report.decisions) == [
        ("p/app:v2", "allow"),
        ("prod/app:v2-amd64", "allow"),
        ("prod/app:v2", "allow"),
    ]


# -- a doubt is told apart from a refusal ------------------------------------------------------
# A block on what tagguard cannot know (an unread push, an unknown digest) carried no note: a
# pipeline reading the JSON could tell it from Harbor's own refusal of an immutable tag only
# by rule_id and immutable being null, which an unknown-rule refusal shares. Each now says so.


def codes(decision: Decision) -> list[str]:
    return [n.code for n in decision.notes]


def test_a_delete_after_an_unread_push_is_a_doubt_in_its_notes() -> None:
    state = {"h.io/p/app": [art(C, accessories=(Accessory(S, COSIGN),)), art(S, SIG_C)]}
    target = ref("h.io/p/app:v2")
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(Push(1, (target,), A), Delete(2, (target,), artifact=True)),
    )
    blocked = report.decisions[1]
    assert (blocked.decision, blocked.rule_id, blocked.immutable) == (Verdict.BLOCK, None, None)
    assert "in-doubt" in codes(blocked)


def test_a_copy_that_may_carry_a_child_onto_an_immutable_tag_is_a_doubt_in_its_notes() -> None:
    report = pushed_then_copied([art(B, "v2-amd64")], PLATFORMS)
    assert report.decisions[1].decision is Verdict.BLOCK
    assert "in-doubt" in codes(report.decisions[1])


def test_deleting_a_digest_an_unread_push_may_reference_is_a_doubt_in_its_notes() -> None:
    # A digest neither Harbor nor the state holds, after an unread push: it may be A's child.
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], {"h.io/p/app": []}),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:v2"),), A), Delete(2, (ref(f"h.io/p/app@{C}"),), artifact=True)
        ),
    )
    assert report.decisions[1].decision is Verdict.BLOCK
    assert "in-doubt" in codes(report.decisions[1])


def test_harbors_own_refusal_of_an_immutable_tag_is_no_doubt() -> None:
    state = {"h.io/p/app": [art(B, "v2")]}
    report = check_plan(
        sources([rule_json(1, tag="v*")], state),
        glob.NEWEST,
        plan(Push(1, (ref("h.io/p/app:v2"),), A), Delete(2, (ref("h.io/p/app:v2"),))),
    )
    assert [d.decision for d in report.decisions] == [Verdict.BLOCK, Verdict.BLOCK]
    assert all("in-doubt" not in codes(d) for d in report.decisions)


@pytest.mark.parametrize("tag", ["dev", "v1"])
def test_a_tag_delete_naming_an_artifact_the_tag_is_not_on_is_refused_as_input(tag: str) -> None:
    # handler/artifact.go `DeleteTag` reads the artifact the reference names
    # (`GetByReference`), then looks for the tag among *its* tags: "tag ... attached to
    # artifact ... not found" (404), and nothing is deleted, whether the tag is mutable
    # (dev) or immutable (v1) where it really is. Neither "Harbor deletes it" nor "Harbor
    # refuses to delete it" (412) is what happens: the reference is wrong, as for --artifact.
    state = {"h.io/p/app": [art(A, "dev", "v1", children=(C,)), art(C, "c1")]}
    src = sources(IMMUTABLE_V, state)
    with pytest.raises(InputError, match=f"tag {tag} is not on artifact {C}"):
        check_delete(src, glob.NEWEST, [ref(f"h.io/p/app:{tag}@{C}")], artifact=False)


def test_a_tag_delete_naming_the_artifact_the_tag_is_on_is_judged_by_the_tag() -> None:
    # The same call with the right digest: `tag.Controller.Delete` checks the tag alone.
    state = {"h.io/p/app": [art(A, "dev", "v1")]}
    report = check_delete(
        sources(IMMUTABLE_V, state),
        glob.NEWEST,
        [ref(f"h.io/p/app:dev@{A}"), ref(f"h.io/p/app:v1@{A}")],
        artifact=False,
    )
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW, Verdict.BLOCK]


def test_a_copy_blocked_only_in_doubt_is_not_said_to_fail_whole() -> None:
    # v1's immutability is in doubt (rules: v* immutable; Harbor's flag: mutable): tagguard
    # blocks it failing closed, and Harbor may accept it, and with it x1. Neither x1's
    # note nor the warning may then say Harbor refuses the copy and x1 is not written.
    from tests.sessions import A, B, session
    from tests.sessions import ref as harbor_ref

    run = session(
        {
            "h.io/p/app": RepositoryState((ArtifactInfo(A, (TagInfo("v1"), TagInfo("x1"))),)),
            "h.io/q/app": RepositoryState((ArtifactInfo(B, (TagInfo("v1", immutable=False),)),)),
        }
    )
    v1, x1 = run.copy(harbor_ref("h.io/p/app:v1"), harbor_ref("h.io/q/app", default_tag=None))
    assert (v1.decision, x1.decision) == (Verdict.BLOCK, Verdict.ALLOW)
    assert "in-doubt" in [n.code for n in v1.notes]
    assert "not-written" not in [n.code for n in x1.notes]
    assert "not written" not in x1.reason
    assert "if Harbor refuses tag v1" in x1.reason
    [warning] = run.report.warnings
    assert "is immutable there" not in warning.message
    assert "in doubt" in warning.message


@pytest.mark.parametrize("kind", ["retag", "copy"])
def test_an_image_pushed_in_the_run_stays_when_its_only_tag_moves_on(kind: str) -> None:
    # Found by a differential run against Harbor v2.15.2's own code (handlePush, artifact and
    # tag controllers' Ensure, copyDeeply, compiled with in-memory managers): tag.Controller
    # `Ensure` moves an existing mutable tag by updating its artifact id, and nothing deletes
    # the artifact it leaves, so A is still in the repository, untagged, and a later retag or
    # copy of it by digest is done. tagguard forgot A once dev moved (its only tag) and
    # called the source missing (exit 2).
    state: dict[str, list[ArtifactInfo]] = {"h.io/p/app": [], "h.io/prod/app": []}
    later: PlanOperation = (
        Retag(3, ref(f"h.io/p/app@{A}"), (ref("h.io/p/app:v1"),))
        if kind == "retag"
        else Copy(3, ref(f"h.io/p/app@{A}"), ref("h.io/prod/app"))
    )
    report = check_plan(
        sources(IMMUTABLE_V, state),
        glob.NEWEST,
        plan(
            Push(1, (ref("h.io/p/app:dev"),), A),
            Push(2, (ref("h.io/p/app:dev"),), B),
            later,
        ),
    )
    assert [d.decision.value for d in report.decisions] == ["allow", "allow", "allow"]


@pytest.mark.parametrize("then", ["copy-the-signature", "copy-its-subject"])
def test_a_signature_tag_a_copy_writes_links_nothing(then: str) -> None:
    # Found by a differential run against Harbor v2.15.2's own code. S is A's cosign
    # signature in p/app and also a child of index I. Copying I copies S as a child, with
    # its tag sha256-<A>.sig (copyDeeply's ensureArt), but through the copy API: cosign.go is
    # a registry middleware (a manifest PUT by tag), so no accessory row links S to A in
    # stage. There S is then a plain artifact, which CopyArtifact copies (its accessory check
    # finds no row) into an empty qa, and A retagged there has no signature for a copy to carry onto the
    # immutable sha256-<A>.sig of Z in prod. tagguard linked S to A from the tag: it refused
    # the first copy as an accessory's and the second for the carried signature tag.
    state = {
        "h.io/p/app": [
            art(A, accessories=(Accessory(S, COSIGN),)),
            art(S, SIG_A),
            art(C, "i1", children=(S,)),
        ],
        "h.io/p/stage": [],
        "h.io/p/prod": [art(D, SIG_A)],
        "h.io/p/qa": [],
    }
    later: tuple[PlanOperation, ...] = (
        (Copy(2, ref(f"h.io/p/stage@{S}"), ref("h.io/p/qa")),)
        if then == "copy-the-signature"
        else (
            Retag(2, ref(f"h.io/p/app@{A}"), (ref("h.io/p/stage:v1"),)),
            Copy(3, ref("h.io/p/stage:v1"), ref("h.io/p/prod")),
        )
    )
    report = check_plan(
        sources([rule_json(1, tag="sha256-*")], state),
        glob.NEWEST,
        plan(Copy(1, ref("h.io/p/app:i1"), ref("h.io/p/stage")), *later),
    )
    assert [d.decision.value for d in report.decisions if d.decision is Verdict.BLOCK] == []


@pytest.mark.parametrize(("prod", "expected"), [([], "block"), ([art(C)], "allow")])
def test_copying_an_index_accessory_with_a_child_the_destination_lacks_fails(
    prod: list[ArtifactInfo], expected: str
) -> None:
    # Found by a differential run against Harbor v2.15.2's own code. copyDeeply passes one
    # accessory list down its whole walk and appends each accessory to it before copying it
    # (its artifact id still 0 until that copy returns); copying the accessory N, an index,
    # first copies its child C, whose Ensure gets that list and records N with artifact id
    # 0. artifact_accessory.artifact_id references artifact(id): the database refuses it, a
    # foreign-key error that src/lib/http/error.go answers 412, and the copy's transaction
    # rolls back. A child prod already holds is skipped before its Ensure: then it works.
    state = {
        "h.io/p/app": [
            art(A, "v1", accessories=(Accessory(N_INDEX, "accelerator.nydus"),)),
            art(N_INDEX, children=(C,)),
            art(C),
        ],
        "h.io/p/prod": prod,
    }
    report = check_copy(sources([], state), glob.NEWEST, ref("h.io/p/app:v1"), ref("h.io/p/prod"))
    decisions = report.decisions
    assert [d.decision.value for d in decisions] == [expected]
    if expected == "block":
        assert "artifact_accessory" in decisions[0].reason
