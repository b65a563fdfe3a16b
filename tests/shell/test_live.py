"""The live sources' request planning, against a fake Harbor client that counts requests.

What the fake answers follows Harbor's API: the artifact list leaves out accessories and
untagged index children (`setBaseQuery` / `setAccessoryQuery`, src/pkg/artifact/dao/dao.go),
while a GET by tag or digest finds any artifact."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import pytest

from tagguard.core.rules import parse_rules
from tagguard.core.state import COSIGN, Accessory, ArtifactInfo, ProjectRules, TagInfo
from tagguard.errors import RemoteError
from tagguard.shell.harbor import RulesPage
from tagguard.shell.live import LiveSources
from tests.builders import rule_json

A, B, S = (f"sha256:{c * 64}" for c in "ab5")
SIG = f"sha256-{'a' * 64}.sig"
_T = TypeVar("_T")


def art(digest: str, *tags: str, **fields: object) -> ArtifactInfo:
    return ArtifactInfo(digest, tuple(TagInfo(t, False) for t in tags), **fields)  # type: ignore[arg-type]


class Unread:
    """HarborClient's `*_unread` questions, made of a fake's own: the request (and any
    failure a fake injects into it) happens at once, on the asking thread; the reading
    is handed back, as the real client's is, and says which thread it ran on."""

    def __init__(self) -> None:
        self.readers: list[str] = []

    def _later(self, found: _T) -> Callable[[], _T]:
        def read() -> _T:
            self.readers.append(threading.current_thread().name)
            return found

        return read

    def artifact_unread(
        self, project: str, repository: str, reference: str
    ) -> Callable[[], ArtifactInfo | None]:
        return self._later(self.artifact(project, repository, reference))  # type: ignore[attr-defined]

    def artifacts_page_unread(
        self, project: str, repository: str, page: int
    ) -> tuple[int | None, Callable[[], tuple[list[ArtifactInfo], int | None]]]:
        found = self.artifacts_page(project, repository, page)  # type: ignore[attr-defined]
        return found[1], self._later(found)

    def rules_page_unread(
        self, project: str, page: int
    ) -> tuple[int | None, Callable[[], RulesPage | None]]:
        found = self.rules_page(project, page)  # type: ignore[attr-defined]
        return (found.total if found is not None else None), self._later(found)


class FakeHarbor(Unread):
    host = "h.io"

    def __init__(self, artifacts: Sequence[ArtifactInfo], accessories: Sequence[str] = ()) -> None:
        super().__init__()
        self.all = list(artifacts)
        self.hidden = set(accessories)  # digests the list leaves out
        self.requests: list[tuple[str, str]] = []

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        self.requests.append(("get", reference))
        for found in self.all:
            if found.digest == reference or found.tag(reference) is not None:
                return found
        return None

    def artifacts(self, project: str, repository: str) -> list[ArtifactInfo]:
        self.requests.append(("list", repository))
        return [a for a in self.all if a.digest not in self.hidden]

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        self.requests.append(("page", str(page)))
        listed = [a for a in self.all if a.digest not in self.hidden]
        return listed[(page - 1) * 100 : page * 100], len(listed)


def live(client: FakeHarbor) -> LiveSources:
    return LiveSources({"h.io": client}, registry=None)  # type: ignore[dict-item,arg-type]


def signed() -> FakeHarbor:
    return FakeHarbor(
        [art(A, "v1", "v2", accessories=(Accessory(S, COSIGN),)), art(S, SIG)], accessories=[S]
    )


def test_a_signature_tag_left_out_of_the_list_is_still_found() -> None:
    client = signed()
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", SIG, "new"}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", SIG) is not None
    assert sources.artifact("h.io", "p/app", "v1") is not None
    assert sources.artifact("h.io", "p/app", "new") is None
    # One list page, then the missing tags: a signature's tag is read by tag, since its
    # accessory may have no subject among the repository's artifacts.
    assert client.requests == [("page", "1"), ("get", "new"), ("get", SIG)]


def test_a_digest_the_list_leaves_out_is_asked_for() -> None:
    client = signed()
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v2"}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", S) is not None  # an accessory, not in the list
    assert client.requests == [("page", "1"), ("get", S)]


def test_a_repository_without_accessories_is_answered_from_one_page() -> None:
    client = FakeHarbor([art(A, "v1"), art(B, "v2")])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v3"}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", "v3") is None
    assert sources.artifact("h.io", "p/app", "other") is None
    assert client.requests == [("page", "1")]


def test_which_index_references_an_artifact_is_read_from_the_list_once() -> None:
    client = FakeHarbor([art(A, "v1", children=(B,)), art(B)], accessories=[B])
    sources = live(client)
    assert sources.parents("h.io", "p/app", B) == (A,)
    assert sources.parents("h.io", "p/app", A) == ()
    # The unlisted child is read too (it may be an index itself), once.
    assert client.requests == [("page", "1"), ("get", B)]


def test_a_list_read_for_tags_answers_which_index_references_an_artifact() -> None:
    client = FakeHarbor([art(A, "v1", children=(B,)), art(B), art(S, "v2")], accessories=[B])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v2"}})
    sources.settle()
    assert sources.parents("h.io", "p/app", B) == (A,)
    assert client.requests == [("page", "1"), ("get", B)]  # the list once, its unlisted child


class BigHarbor(FakeHarbor):
    """A repository of many pages whose page requests after the first must all be in flight
    at once to pass a barrier: a sequential reader would wait there until it breaks."""

    def __init__(self, count: int, together: int) -> None:
        digests = [f"sha256:{i:064x}" for i in range(count)]
        super().__init__([art(d, f"t{i}") for i, d in enumerate(digests)])
        self.barrier = threading.Barrier(together, timeout=10)

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        if page > 1:
            self.barrier.wait()  # raises BrokenBarrierError unless the others come too
        return super().artifacts_page(project, repository, page)

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        self.barrier.wait()
        return super().artifact(project, repository, reference)


def test_the_remaining_pages_of_a_big_repository_are_asked_at_once() -> None:
    # 350 artifacts: 4 pages; 20 tags beyond the first page. Per tag: 3 rounds of 8; the
    # 3 remaining pages: 1 round. All three pages must be in flight together.
    client = BigHarbor(350, together=3)
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {f"t{i}" for i in range(300, 320)}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", "t310") is not None
    assert sorted(client.requests) == [("page", "1"), ("page", "2"), ("page", "3"), ("page", "4")]


def test_a_whole_list_read_for_a_copy_or_a_delete_asks_its_pages_at_once() -> None:
    # 350 artifacts: the first page says 4 pages, and the 3 after it must be in flight
    # together (a Link-following reader asks one after another: the barrier breaks).
    client = BigHarbor(350, together=3)
    sources = live(client)  # nothing prefetched: the pool is made for the list
    assert sources.subjects("h.io", "p/app", "sha256:" + "f" * 64) == ()
    assert len(sources.artifacts("h.io", "p/app")) == 350
    assert client.requests.count(("page", "1")) == 2  # artifacts() reads anew
    assert set(client.requests) == {("page", str(p)) for p in range(1, 5)}


def test_a_few_missing_tags_of_a_big_repository_are_asked_at_once() -> None:
    # 900 artifacts: 9 pages; 2 tags beyond the first: 2 requests in 1 round beat 8 pages.
    client = BigHarbor(900, together=2)
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"t0", "t500", "t800"}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", "t800") is not None
    assert sorted(client.requests) == [("get", "t500"), ("get", "t800"), ("page", "1")]


class RulesHarbor(FakeHarbor):
    """A project with 250 rules: pages 2 and 3 must be in flight together."""

    def __init__(self) -> None:
        super().__init__([])
        self.rules = [rule_json(i, tag=f"v{i}") for i in range(1, 251)]
        self.barrier = threading.Barrier(2, timeout=10)

    def rules_page(self, project: str, page: int) -> RulesPage | None:
        self.requests.append(("rules", str(page)))
        if page > 1:
            self.barrier.wait()
        items = self.rules[(page - 1) * 100 : page * 100]
        return RulesPage(items, len(self.rules), (page - 1) * 100, None)

    def rules_from(self, project: str, pages: Sequence[RulesPage]) -> ProjectRules:
        return ProjectRules(parse_rules([r for page in pages for r in page.items], "rules"))

    def rules_forbidden(self) -> str:
        return "forbidden"


def test_the_pages_of_a_long_rule_list_are_asked_at_once() -> None:
    client = RulesHarbor()
    sources = live(client)
    sources.prefetch([("h.io", "p")], {})
    sources.settle()
    found = sources.rules("h.io", "p").rules
    assert found is not None
    assert len(found) == 250
    assert sorted(client.requests) == [("rules", "1"), ("rules", "2"), ("rules", "3")]


def test_a_long_rule_lists_pages_are_read_by_the_workers_that_fetched_them() -> None:
    # Each page's rules are read while the later pages are in flight: the first page's
    # reading says how many there are, so it cannot wait for the reader.
    client = RulesHarbor()
    sources = live(client)
    sources.prefetch([("h.io", "p")], {})
    sources.settle()
    assert len(client.readers) == 1
    assert client.readers[0] != threading.current_thread().name


class OneRuleHarbor(RulesHarbor):
    def __init__(self) -> None:
        super().__init__()
        self.rules = self.rules[:1]


def test_answers_that_plan_no_further_page_are_read_by_the_reader_not_a_worker() -> None:
    # A rule list of one page, a repository's list of one page, one tag's artifact: the
    # worker that asked goes on to the next request in the queue, and the thread waiting
    # for the answer reads it (a page's JSON and artifacts cost about what asking did).
    client = OneRuleHarbor()
    client.all = [art(A, "v1", "v2"), art(B, "v3")]
    sources = live(client)
    sources.prefetch([("h.io", "p")], {("h.io", "p/app"): {"v1", "v3"}, ("h.io", "p/one"): {"v2"}})
    found = sources.artifact("h.io", "p/app", "v3")
    assert found is not None
    assert found.digest == B
    assert sources.artifact("h.io", "p/one", "v2") is not None
    rules = sources.rules("h.io", "p").rules
    assert rules is not None
    assert len(rules) == 1
    sources.settle()
    assert sorted(client.requests) == [("get", "v2"), ("page", "1"), ("rules", "1")]
    assert client.readers == [threading.current_thread().name] * 3


class OrderHarbor(FakeHarbor):
    """Records which project's rules and which repository's list are asked, in order."""

    def __init__(self) -> None:
        super().__init__([art(A, "v1", "v2")])
        self.asked: list[str] = []

    def rules_page(self, project: str, page: int) -> RulesPage | None:
        self.asked.append(f"rules {project}")
        return RulesPage([], 0, 0, None)

    def rules_from(self, project: str, pages: Sequence[RulesPage]) -> ProjectRules:
        return ProjectRules(())

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        self.asked.append(f"tags {project}/{repository}")
        return super().artifacts_page(project, repository, page)


def test_questions_are_asked_in_the_order_the_check_needs_them() -> None:
    """One worker takes the jobs first in, first out: they reach the Harbor in the order
    they were submitted. A project's rules go just before its first repository's tags, so
    that the check's first decision waits for the first answers, not for the whole lot; a
    project whose rules only are asked comes after those."""
    client = OrderHarbor()
    sources = LiveSources({"h.io": client}, registry=None, concurrency=1)  # type: ignore[dict-item,arg-type]
    projects = [("h.io", "z"), ("h.io", "a"), ("h.io", "m"), ("h.io", "only-rules")]
    tags = {
        ("h.io", "z/last"): {"v1", "v2"},
        ("h.io", "a/first"): {"v1", "v2"},
        ("h.io", "m/middle"): {"v1", "v2"},
        ("h.io", "a/again"): {"v1", "v2"},
    }
    sources.prefetch(projects, tags)
    sources.settle()
    assert client.asked == [
        "rules z",
        "tags z/last",
        "rules a",
        "tags a/first",
        "rules m",
        "tags m/middle",
        "tags a/again",
        "rules only-rules",
    ]


def test_settle_lets_the_idle_workers_go_without_waiting_for_them() -> None:
    """settle does not join the workers (every job has answered); they still end, so a
    library caller is left no thread behind."""
    before = set(threading.enumerate())
    client = FakeHarbor([art(A, "v1", "v2")])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v2"}, ("h.io", "p/web"): {"v1", "v2"}})
    workers = set(threading.enumerate()) - before
    assert workers  # the pool ran the jobs in threads of its own
    sources.settle()
    assert sources.artifact("h.io", "p/app", "v1") is not None
    for worker in workers:
        worker.join(timeout=10)
        assert not worker.is_alive()


def test_whose_accessory_an_artifact_is_is_read_from_the_list_once() -> None:
    # The list leaves accessories out but names each listed artifact's accessories
    # (with_accessory=true): a copy asks whether its source is one (Harbor refuses it then).
    client = FakeHarbor([art(A, "v1", accessories=(Accessory(S, COSIGN),)), art(S)], [S])
    sources = live(client)
    assert sources.subjects("h.io", "p/app", S) == (A,)
    assert sources.subjects("h.io", "p/app", A) == ()
    assert sources.parents("h.io", "p/app", S) == ()
    assert client.requests == [("page", "1"), ("get", S)]  # the accessory may carry its own


C, D = (f"sha256:{c * 64}" for c in "cd")


def test_an_image_of_an_index_nested_in_an_index_has_that_index_as_parent() -> None:
    # v1 -> C (an untagged index, left out of the list) -> B: Harbor refuses to delete B
    # ("the deleting artifact is referenced by others"); the list alone names no parent.
    client = FakeHarbor([art(A, "v1", children=(C,)), art(C, children=(B,)), art(B)], [C, B])
    sources = live(client)
    assert sources.parents("h.io", "p/app", B) == (C,)
    assert sources.parents("h.io", "p/app", C) == (A,)


def test_an_accessory_of_an_untagged_child_has_that_child_as_subject() -> None:
    # cosign sign --recursive (or a referrer pushed by digest): the child is unlisted, and
    # Harbor refuses to copy its accessory on its own.
    child = art(B, accessories=(Accessory(S, COSIGN),))
    client = FakeHarbor([art(A, "v1", children=(B,)), child, art(S)], [B, S])
    assert live(client).subjects("h.io", "p/app", S) == (B,)


def test_an_accessory_of_an_accessory_has_that_accessory_as_subject() -> None:
    signature = art(S, accessories=(Accessory(D, "x"),))
    client = FakeHarbor([art(A, "v1", accessories=(Accessory(S, COSIGN),)), signature, art(D)])
    client.hidden = {S, D}
    sources = live(client)
    assert sources.subjects("h.io", "p/app", D) == (S,)
    # Each level is read once, and an artifact read already is not asked again.
    assert sources.subjects("h.io", "p/app", S) == (A,)
    assert client.requests == [("page", "1"), ("get", S), ("get", D)]


def test_a_failed_read_of_an_unlisted_artifact_raises_and_is_no_answer() -> None:
    client = FakeHarbor([art(A, "v1", children=(B,)), art(B)], accessories=[B])

    def refuse(project: str, repository: str, reference: str) -> ArtifactInfo | None:
        raise RemoteError(f"reading {reference}: 500")

    client.artifact = refuse  # type: ignore[method-assign]
    sources = live(client)
    with pytest.raises(RemoteError):
        sources.parents("h.io", "p/app", B)


def test_a_signature_whose_subject_is_elsewhere_is_found_by_its_tag() -> None:
    # COSIGN_REPOSITORY: the signature's subject is in another repository, so no artifact
    # of this one names it, and Harbor's list (and its count) leave it out.
    client = FakeHarbor([art(S, SIG)], accessories=[S])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/sigs"): {SIG, "other"}})
    sources.settle()
    assert sources.artifact("h.io", "p/sigs", SIG) == art(S, SIG)
    assert sources.artifact("h.io", "p/sigs", "other") is None


def test_a_whole_list_answers_every_tag_but_a_signature_s() -> None:
    client = FakeHarbor([art(A, "v1"), art(B, "v2")])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "v3"}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", "v3") is None  # the list is whole for it
    assert sources.artifact("h.io", "p/app", SIG) is None  # asked: the list cannot say
    assert client.requests == [("page", "1"), ("get", SIG)]


def test_a_whole_list_is_not_asked_again_for_tags_it_answers() -> None:
    # A plan that pushes a new tag and signs an unsigned image: the list (no accessories,
    # no untagged children) says "new" is absent; only the signature's tag is asked.
    client = FakeHarbor([art(A, "v1"), art(B, "v2")])
    sources = live(client)
    sources.prefetch([], {("h.io", "p/app"): {"v1", "new", SIG}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", "new") is None
    assert sources.artifact("h.io", "p/app", SIG) is None
    assert client.requests == [("page", "1"), ("get", SIG)]
    # A second plan (a copy's destination tags): the list is whole for every tag but a
    # signature's, and is not read again.
    other, third = (f"sha256-{c * 64}.sig" for c in "bc")
    sources.prefetch([], {("h.io", "p/app"): {"v2", "gone", other, third, SIG}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", "gone") is None
    assert sources.artifact("h.io", "p/app", other) is None
    assert sorted(client.requests[2:]) == [("get", other), ("get", third)]


class GatedHarbor(FakeHarbor):
    """Answers a GET by digest only once `width` of them are in flight together."""

    def __init__(self, artifacts: Sequence[ArtifactInfo], width: int) -> None:
        super().__init__(artifacts)
        self.gate = threading.Barrier(width, timeout=5)

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        if ":" in reference:
            self.gate.wait()  # BrokenBarrierError if the digests are asked one by one
        return super().artifact(project, repository, reference)


def test_digests_asked_ahead_are_read_together_without_the_list() -> None:
    # An index's untagged children, read before a copy of the index: Harbor's list leaves
    # them out, so each is a GET by digest, all in flight at once.
    client = GatedHarbor([art(A, "v1", children=(C, D)), art(C), art(D)], width=2)
    sources = LiveSources({"h.io": client}, registry=None, concurrency=4)  # type: ignore[dict-item,arg-type]
    sources.prefetch([], {("h.io", "p/app"): {C, D}})
    assert sources.artifact("h.io", "p/app", C) == art(C)
    assert sources.artifact("h.io", "p/app", D) == art(D)
    sources.settle()
    assert sorted(client.requests) == [("get", C), ("get", D)]


def test_a_listing_holds_what_the_list_leaves_out_read_together() -> None:
    # A copy of an image the run pushed unread walks every artifact of its repository
    # (World.held): the untagged children the list leaves out come with the listing, each
    # level's GETs in flight at once, not one after another on the reading thread.
    client = GatedHarbor([art(A, "v1", children=(C, D)), art(C), art(D)], width=2)
    client.hidden = {C, D}
    sources = LiveSources({"h.io": client}, registry=None, concurrency=4)  # type: ignore[dict-item,arg-type]
    assert sorted(a.digest for a in sources.listing("h.io", "p/app")) == sorted([A, C, D])
    assert sorted(client.requests) == [("get", C), ("get", D), ("page", "1")]


class GatedPages(FakeHarbor):
    """Answers a first page only once `width` of them are in flight together."""

    def __init__(self, artifacts: Sequence[ArtifactInfo], width: int) -> None:
        super().__init__(artifacts)
        self.gate = threading.Barrier(width, timeout=5)

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        if page == 1:
            self.gate.wait()  # BrokenBarrierError if the repositories are read one by one
        return super().artifacts_page(project, repository, page)


def test_the_lists_of_several_repositories_are_read_together() -> None:
    # A replication policy over many repositories read their lists one after another, a
    # round trip each (and more for a big one).
    many = [art(f"sha256:{i:064x}", f"v{i}") for i in range(150)]  # two pages each
    client = GatedPages(many, width=3)
    sources = LiveSources({"h.io": client}, registry=None, concurrency=6)  # type: ignore[dict-item,arg-type]
    lists = sources.artifact_lists("h.io", ["p/a", "p/b/c", "p/d"])
    assert lists == {"p/a": many, "p/b/c": many, "p/d": many}
    assert sorted(client.requests) == [("page", "1")] * 3 + [("page", "2")] * 3


def test_a_digest_read_on_its_own_is_not_asked_again() -> None:
    # An accessory read when first needed, then asked ahead with the rest of a level (a
    # policy's related artifacts): it was read a second time.
    client = signed()
    sources = live(client)
    assert sources.artifact("h.io", "p/app", S) == art(S, SIG)
    sources.prefetch([], {("h.io", "p/app"): {S}})
    sources.settle()
    assert sources.artifact("h.io", "p/app", S) == art(S, SIG)
    assert client.requests == [("get", S)]


def test_a_given_harbor_version_is_never_asked() -> None:
    # --harbor-version stands for every Harbor of the run: systeminfo is not read.
    class NoVersion:
        def version(self) -> str | None:
            raise AssertionError("systeminfo was asked")

    sources = LiveSources({"h.io": NoVersion()}, registry=None, version="2.10.3")  # type: ignore[dict-item,arg-type]
    assert sources.harbor_version("h.io") == "2.10.3"
