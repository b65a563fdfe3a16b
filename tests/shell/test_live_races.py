"""Reads of the live sources that must not turn an unknown into "absent" (fail closed), nor
escape as anything but a RemoteError, whatever order the pool's answers come in.

The fake follows Harbor's API as tests/shell/test_live.py's does: the artifact list leaves
out accessories and untagged index children (`setAccessoryQuery` / `setBaseQuery`,
src/pkg/artifact/dao/dao.go), a GET by tag or digest finds any artifact, and a listed item
names only its own accessories (an accessory's accessories are on the accessory)."""

from __future__ import annotations

import threading

import pytest

from tagguard.core.state import COSIGN, Accessory, ArtifactInfo
from tagguard.errors import RemoteError
from tests.shell.test_live import A, B, FakeHarbor, RulesHarbor, art, live

C, D = (f"sha256:{c * 64}" for c in "cd")


def sig_of(digest: str) -> str:
    return f"sha256-{digest.removeprefix('sha256:')}.sig"


def test_rules_of_many_pages_read_without_prefetch_are_put_together() -> None:
    # A project no plan named (a replication's destination): its rules are read when
    # needed, and their pages after the first go to the pool like a prefetched project's.
    client = RulesHarbor()
    client.barrier.reset()
    sources = live(client)
    found = sources.rules("h.io", "p").rules
    assert found is not None
    assert len(found) == 250


def test_a_signature_on_an_accessorys_accessory_is_not_read_as_absent() -> None:
    # A (tagged) has an SBOM C; C is signed by D (`sha256-<C>.sig`). The list names A and
    # A's accessory C only; D is on C, so reading the list's accessories does not find it.
    client = FakeHarbor(
        [
            art(A, "v1", accessories=(Accessory(C, "subject.accessory"),)),
            art(C, accessories=(Accessory(D, COSIGN),)),
            art(D, sig_of(C)),
        ],
        accessories=[C, D],
    )
    sources = live(client)
    # Three missing tags against one accessory: the accessory is read, not the tags.
    sources.prefetch([], {("h.io", "p/app"): {"v1", sig_of(C), "new", "other"}})
    sources.settle()
    found = sources.artifact("h.io", "p/app", sig_of(C))
    assert found is not None
    assert found.digest == D
    assert sources.artifact("h.io", "p/app", "new") is None


def test_a_signature_of_an_untagged_child_is_not_read_as_absent() -> None:
    # `cosign sign --recursive` signs each platform manifest: the child B is untagged (not
    # listed) and its signature C, an accessory, is in no list item.
    client = FakeHarbor(
        [
            art(A, "v1", children=(B,)),
            art(B, accessories=(Accessory(C, COSIGN),)),
            art(C, sig_of(B)),
        ],
        accessories=[B, C],
    )
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", sig_of(B)}})
    sources.settle()
    found = sources.artifact("h.io", "p/app", sig_of(B))
    assert found is not None
    assert found.digest == C


def test_a_repository_with_unread_accessories_is_not_taken_as_whole() -> None:
    # Every asked tag is on the list, so its accessories are not read; a tag asked later
    # (a copy's destination tags, a second plan step) may still be on one of them.
    client = FakeHarbor(
        [art(A, "v1", "v2", accessories=(Accessory(C, COSIGN),)), art(C, sig_of(A))],
        accessories=[C],
    )
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v2"}})
    sources.settle()
    found = sources.artifact("h.io", "p/app", sig_of(A))
    assert found is not None
    assert found.digest == C


class FailingHarbor(FakeHarbor):
    """Fails every request for one reference or page, as a Harbor that went away would."""

    def __init__(self, artifacts: list[ArtifactInfo], failing: str) -> None:
        super().__init__(artifacts)
        self.failing = failing

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        if reference == self.failing:
            raise RemoteError(f"reading {reference} failed")
        return super().artifact(project, repository, reference)

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        if f"page {page}" == self.failing:
            raise RemoteError(f"page {page} failed")
        return super().artifacts_page(project, repository, page)


def many(count: int) -> list[ArtifactInfo]:
    return [art(f"sha256:{i:064x}", f"t{i}") for i in range(count)]


def test_a_failed_page_no_read_needed_fails_the_run_at_settle() -> None:
    # The later pages are a stage run by whoever waits for the repository: when no check
    # read reaches it, settle must, or the failure would go unseen (exit 0 or 1).
    client = FailingHarbor(many(350), failing="page 3")
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {f"t{i}" for i in range(300, 320)}})
    with pytest.raises(RemoteError, match="page 3"):
        sources.settle()
    sources.close()


def test_a_failed_tag_request_of_a_stage_raises_from_the_read() -> None:
    client = FailingHarbor(many(900), failing="t800")
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"t0", "t500", "t800"}})
    with pytest.raises(RemoteError, match="t800"):
        sources.artifact("h.io", "p/app", "t0")
    # Read again (a library caller going on): asked anew, never taken as absent.
    with pytest.raises(RemoteError, match="t800"):
        sources.artifact("h.io", "p/app", "t800")
    sources.close()


class GatedHarbor(FakeHarbor):
    """Holds every list page until the test opens the gate: the first plan's request is
    still in flight when the second plan is made."""

    def __init__(self, artifacts: list[ArtifactInfo]) -> None:
        super().__init__(artifacts)
        self.gate = threading.Event()

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        assert self.gate.wait(10)
        return super().artifacts_page(project, repository, page)


def test_a_second_plan_builds_on_the_first_still_in_flight() -> None:
    client = GatedHarbor([art(A, "v1", "v2"), art(B, "v3")])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v2"}})
    threading.Timer(0.05, client.gate.set).start()
    sources.prefetch([], {("h.io", "p/app"): {"v3", "v9"}})  # waits for the first's list
    sources.settle()
    assert sources.artifact("h.io", "p/app", "v3") == art(B, "v3")
    assert sources.artifact("h.io", "p/app", "v9") is None
    assert client.requests == [("page", "1")]  # the whole list answered both plans


@pytest.mark.parametrize("list_first", [True, False])
def test_a_digest_asked_while_the_list_is_in_flight_costs_what_it_costs_after(
    list_first: bool,
) -> None:
    # A plan asks two tags of p/app ahead (its list); a later step asks the listed digest
    # B (a policy's index child) before anything read p/app. Whether B is asked again
    # must not hang on whether the list had answered: the list answers it, either way.
    client = GatedHarbor([art(A, "v1", "v2", children=(B,)), art(B, "v1-amd64")])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v2"}})
    if list_first:  # the list answered, and (a moment later) kept by its worker
        client.gate.set()
        while ("page", "1") not in client.requests:
            threading.Event().wait(0.001)
        threading.Event().wait(0.1)
    else:
        threading.Timer(0.05, client.gate.set).start()
    sources.prefetch([], {("h.io", "p/app"): {B}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", B) == art(B, "v1-amd64")
    assert client.requests == [("page", "1")]


def test_reads_after_settle_get_a_pool_of_their_own_that_close_lets_go() -> None:
    before = set(threading.enumerate())
    client = FakeHarbor(many(350))
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"t0", "t1"}})
    sources.settle()
    assert len(sources.artifacts("h.io", "p/app")) == 350  # pages 2 to 4 on a new pool
    sources.close()
    for worker in set(threading.enumerate()) - before:
        worker.join(timeout=10)
        assert not worker.is_alive()


class SlowDigests(FakeHarbor):
    """Holds every GET by digest until the test opens the gate: a digest asked ahead is
    still in flight when a structure question reaches it."""

    def __init__(self, artifacts: list[ArtifactInfo], accessories: list[str]) -> None:
        super().__init__(artifacts, accessories)
        self.gate = threading.Event()

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        if ":" in reference:
            assert self.gate.wait(10)
        return super().artifact(project, repository, reference)


def test_a_digest_asked_ahead_is_not_asked_again_while_in_flight() -> None:
    # A copy of the index A asks its untagged child B ahead (`Session._gather`), then
    # whether A is an accessory, which reads every artifact of the repository: B's answer
    # is on its way, and is waited for rather than asked a second time.
    client = SlowDigests([art(A, "v1", children=(B,)), art(B)], accessories=[B])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", B}})
    threading.Timer(0.05, client.gate.set).start()
    assert sources.subjects("h.io", "p/app", A) == ()
    assert sources.parents("h.io", "p/app", B) == (A,)
    sources.settle()
    assert client.requests.count(("get", B)) == 1
