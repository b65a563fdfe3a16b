"""Reads of the live sources that must not turn an unknown into "absent" (fail closed), nor
escape as anything but a RemoteError, whatever order the pool's answers come in.

The fake follows Harbor's API as tests/shell/test_live.py's does: the artifact list leaves
out accessories and untagged index children (`setAccessoryQuery` / `setBaseQuery`,
src/pkg/artifact/dao/dao.go), a GET by tag or digest finds any artifact, and a listed item
names only its own accessories (an accessory's accessories are on the accessory)."""

from __future__ import annotations

from tests.shell.test_live import RulesHarbor, live


def test_rules_of_many_pages_read_without_prefetch_are_put_together() -> None:
    # A project no plan named (a replication's destination): its rules are read when
    # needed, and their pages after the first go to the pool like a prefetched project's.
    client = RulesHarbor()
    client.barrier.reset()
    sources = live(client)
    found = sources.rules("h.io", "p").rules
    assert found is not None
    assert len(found) == 250
