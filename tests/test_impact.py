"""A rules change against a live Harbor's flags: each tag whose immutability would change,
both ways, and only those; an accessory's tag included."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.report import Impact
from tagguard.core.state import COSIGN, Accessory, ArtifactInfo, RepositoryState, TagInfo
from tagguard.errors import InputError
from tagguard.impact import impact
from tagguard.session import Session
from tests.sessions import A, B, C, Harbor, ref, session

# The proposed rules make v* immutable.
FLAGGED = RepositoryState(
    (
        ArtifactInfo(A, (TagInfo("v1", immutable=False), TagInfo("v2", immutable=True))),
        ArtifactInfo(B, (TagInfo("dev", immutable=True), TagInfo("edge", immutable=False))),
    )
)


def changed(state: RepositoryState) -> list[str]:
    run = Session(Harbor({"h.io/p/app": state}, proposed=True), glob.NEWEST)
    impact(run, [ref("h.io/p/app", None)])
    assert {w.code for w in run.report.warnings} == {"rules-change"}
    return sorted(w.reference or "" for w in run.report.warnings)


def test_each_tag_whose_immutability_changes_is_named_both_ways() -> None:
    assert changed(FLAGGED) == ["h.io/p/app:dev", "h.io/p/app:v1"]


def test_an_accessory_tag_left_out_of_the_list_is_read() -> None:
    signature = ArtifactInfo(C, (TagInfo("v1.sig", immutable=False),))
    signed = ArtifactInfo(A, (TagInfo("v1", immutable=True),), accessories=(Accessory(C, COSIGN),))
    state = RepositoryState((signed, signature))

    class Listing(Harbor):
        def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]:
            return [signed]  # as Harbor's list: without the accessory

    run = Session(Listing({"h.io/p/app": state}, proposed=True), glob.NEWEST)
    impact(run, [ref("h.io/p/app", None)])
    assert [w.reference for w in run.report.warnings if w.code == "rules-change"] == [
        "h.io/p/app:v1.sig"
    ]


def test_impact_needs_a_proposal_against_a_live_harbor() -> None:
    with pytest.raises(InputError, match="impact compares a rules file"):
        impact(session(), [ref("h.io/p/app", None)])
    with pytest.raises(InputError, match="impact compares a rules file"):
        impact(Session(Harbor({}, proposed=False)), [ref("h.io/p/app", None)])


def test_impact_takes_repositories_without_a_tag() -> None:
    with pytest.raises(InputError, match="without a tag"):
        impact(Session(Harbor({"h.io/p/app": FLAGGED}, proposed=True)), [ref("h.io/p/app:v1")])


def test_the_report_counts_the_tags_read_and_which_way_each_changes() -> None:
    # v1 (mutable today, v* in the proposal) becomes immutable, dev (immutable today, no
    # proposed rule matches it) becomes mutable; v2 and edge stay as they are. The summary
    # said "0 blocked, 0 skipped, 0 allowed": impact decides no write.
    run = Session(Harbor({"h.io/p/app": FLAGGED}, proposed=True), glob.NEWEST)
    impact(run, [ref("h.io/p/app", None)])
    assert run.report.impact == Impact(tags=4, immutable=1, mutable=1)
