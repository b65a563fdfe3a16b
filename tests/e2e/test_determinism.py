"""A live run's outcome does not depend on the order Harbor's answers come back in.

tagguard asks ahead, on a pool, and decides as answers arrive; thousands of pipelines run
it, so a verdict, an output byte or a request count that moved with network timing would
be a flaky pipeline. Each test here forces the answers into opposite orders with the test
Harbor's per-request `delay` (no randomness), and the runs must be identical: exit code,
output, and the requests the server saw.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import Harbor, Run
from tests.e2e.test_replication import Pair, pair  # noqa: F401 (the fixture)
from tests.harbor_server.harbor import HarborState
from tests.harbor_server.images import make_image, make_index, push_index


def first_slow(pattern: str, seconds: float) -> Callable[[str, str], float]:
    """A delay for the first request whose path contains `pattern`, none for the others."""
    seen: list[str] = []
    lock = threading.Lock()

    def delay(method: str, path: str) -> float:
        with lock:
            if pattern in path and not seen:
                seen.append(path)
                return seconds
        return 0.0

    return delay


def run_ordered(
    harbor: Harbor,
    states: list[HarborState],
    delay: Callable[[str, str], float] | None,
    *args: str,
) -> tuple[Run, Counter[tuple[str, str]]]:
    for state in states:
        state.log.clear()
    states[0].delay = delay
    try:
        run = harbor.tagguard(*args)
    finally:
        states[0].delay = None
    return run, Counter(entry for state in states for entry in state.log)


def test_a_policy_step_asks_the_same_whether_the_plans_listing_came_first_or_not(
    pair: Pair,  # noqa: F811
    tmp_path: Path,
) -> None:
    # The plan's pushes into proj/app are asked ahead (two tags: its artifact list); the
    # policy step before them lists proj/app itself and then asks the index's children by
    # digest. Whether a child counted as known must not hang on whether the list asked
    # ahead had answered yet: a slow first answer cost two requests more (the children
    # read again by digest), a fast one none.
    source = pair.source
    children = (make_image("amd64"), make_image("arm64"))
    index = make_index(*children)
    assert push_index(source.pusher, "proj/app", "v1", children, index).status_code == 201
    for child, tag in zip(children, ("v1-amd64", "v1-arm64"), strict=True):
        source.push(f"proj/app:{tag}", child)
    policy = pair.policy()
    plan = tmp_path / "plan.yml"
    new = make_image("new").digest
    plan.write_text(
        "operations:\n"
        f"  - replicate: {{policy: {policy}, source: {source.host}}}\n"
        f"  - push: [{source.ref('proj/app:x')}, {source.ref('proj/app:y')}]\n"
        f"    digest: {new}\n"
    )
    states = [source.state, pair.dest]
    args = ("plan", str(plan), "--format", "json")
    fast, fast_requests = run_ordered(source, states, None, *args)
    slow, slow_requests = run_ordered(
        source, states, first_slow("/repositories/app/artifacts?", 0.5), *args
    )
    assert fast.code == 0, fast.err
    assert (slow.code, slow.out, slow.err) == (fast.code, fast.out, fast.err)
    assert slow_requests == fast_requests
