"""Reads of the live sources that must not turn an unknown into "absent" (fail closed), nor
escape as anything but a RemoteError, whatever order the pool's answers come in.

The fake follows Harbor's API as tests/shell/test_live.py's does: the artifact list leaves
out accessories and untagged index children (`setAccessoryQuery` / `setBaseQuery`,
src/pkg/artifact/dao/dao.go), a GET by tag or digest finds any artifact, and a listed item
names only its own accessories (an accessory's accessories are on the accessory)."""

from __future__ import annotations

from tagguard.core.state import COSIGN, Accessory
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
