"""A live run's outcome does not depend on the order Harbor's answers come back in.

tagguard asks ahead, on a pool, and decides as answers arrive; thousands of pipelines run
it, so a verdict, an output byte or a request count that moved with network timing would
be a flaky pipeline. Each test here forces the answers into opposite orders with the test
Harbor's per-request `delay` (fixed, or drawn from a seed and the request alone, so a
failure replays), and the runs must be identical: exit code,
output, and the requests the server saw.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import Harbor, Run
from tests.e2e.test_replication import Pair, pair  # noqa: F401 (the fixture)
from tests.harbor_server.harbor import HarborState
from tests.harbor_server.images import (
    OCI_MANIFEST,
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
    push_index,
)


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


def seeded(seed: int) -> Callable[[str, str], float]:
    """Each request's delay, 0 to 20 ms, chosen by the seed and its path alone: one seed
    replays one order of answers, another seed another."""
    return lambda method, path: random.Random(f"{seed} {method} {path}").uniform(0, 0.02)


def _signed_index_and_a_big_repository(harbor: Harbor) -> None:
    """proj/app:v1 an index over two images, one signed; proj/app:v2 and :latest a signed
    image; proj/big 150 artifacts (two list pages) in the database alone, tagged v1.0.N and
    b-N; other/app:v1. v* and signature tags are immutable in proj, every tag in other."""
    harbor.rule("proj", tag="v*")
    harbor.rule("proj", tag="sha256-*")
    harbor.rule("other", tag="**")
    children = (make_image("amd64"), make_image("arm64"))
    index = make_index(*children)
    assert push_index(harbor.pusher, "proj/app", "v1", children, index).status_code == 201
    plain = harbor.push("proj/app:v2")
    harbor.push("proj/app:latest", plain)
    for digest in (children[0].digest, plain.digest):
        signature = make_cosign_signature(digest)
        assert harbor.pusher.push("proj/app", cosign_tag(digest), signature).status_code == 201
    harbor.push("other/app:v1")
    key = ("proj", "big")
    harbor.state.artifacts[key], harbor.state.tags[key] = {}, {}
    for i in range(150):
        digest = make_image(f"big-{i}").digest
        harbor.state.artifacts[key][digest] = OCI_MANIFEST
        harbor.state.node(key, digest)  # ids in push order: the list's sort=id order
        harbor.state.tags[key].update({f"v1.0.{i}": digest, f"b-{i}": digest})


def test_a_mixed_plan_decides_the_same_whatever_order_the_answers_come_in(
    harbor: Harbor, tmp_path: Path
) -> None:
    # Every kind of operation, over two projects, a signed index and a repository of two
    # list pages whose checked tags are on both: four orders of answers (seeded), each at
    # another --concurrency, must give one output and one set of requests.
    _signed_index_and_a_big_repository(harbor)
    ref = harbor.ref
    plan = tmp_path / "plan.yml"
    plan.write_text(
        "operations:\n"
        f"  - push: [{ref('proj/app:v3')}, {ref('proj/app:dev')}, {ref('other/app:v2')}]\n"
        f"    digest: {make_image('new').digest}\n"
        f"  - retag: {{from: {ref('proj/app:v1')}, to: [{ref('other/app:v5')}]}}\n"
        f"  - copy: {{from: {ref('proj/app:v2')}, to: {ref('other/copied')}}}\n"
        f"  - sign: {ref('proj/app:v1')}\n"
        "    recursive: true\n"
        f"  - delete: {ref('proj/app:latest')}\n"
        f"  - delete: {ref('proj/app:v2')}\n"
        "    artifact: true\n"
        f"  - push: [{ref('proj/big:v1.0.5')}, {ref('proj/big:v1.0.120')}, {ref('proj/big:n')}]\n"
        f"    digest: {make_image('other').digest}\n"
        f"  - delete: {ref('proj/big:b-140')}\n"
    )
    args = ("plan", str(plan), "--format", "json", "--concurrency")
    orders = enumerate((1, 8, 2, 64))
    runs = [run_ordered(harbor, [harbor.state], seeded(s), *args, str(c)) for s, c in orders]
    (first, asked), *others = runs
    assert first.code == 1, first.err
    assert sorted(set(first.verdicts())) == ["allow", "block"]
    for run, requests in others:
        assert (run.code, run.out, run.err) == (first.code, first.out, first.err)
        assert requests == asked
