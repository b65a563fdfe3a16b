"""The world of artifacts: what a tag names and which tags an artifact carries, as the run's
changes leave them, and that asking costs no walk over an artifact's every tag."""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core.state import ArtifactInfo, RepositoryState, TagInfo
from tagguard.core.world import Change, Digest, Node, RepoKey, Unknown, World

REPO: RepoKey = ("h.io", "p/app")
DIGESTS = [f"sha256:{c * 64}" for c in "abcd"]
TAGS = [f"t{i}" for i in range(8)]


class CountedTags(tuple[TagInfo, ...]):
    """An artifact's tags that count how often they are walked through."""

    walks = 0

    def __iter__(self) -> Iterator[TagInfo]:
        CountedTags.walks += 1
        return super().__iter__()


class Reads:
    """A reader over one repository's state, as a session's cached reads are."""

    def __init__(self, state: RepositoryState) -> None:
        self.state = state

    def artifact(self, repo: RepoKey, reference: str) -> ArtifactInfo | None:
        return self.state.find(reference) if repo == REPO else None

    def parents(self, repo: RepoKey, digest: str) -> tuple[str, ...]:
        return self.state.parents(digest)

    def subjects(self, repo: RepoKey, digest: str) -> tuple[str, ...]:
        return self.state.subjects(digest)

    def listing(self, repo: RepoKey) -> tuple[ArtifactInfo, ...]:
        return self.state.artifacts if repo == REPO else ()


def big_artifact(tags: int) -> ArtifactInfo:
    return ArtifactInfo(DIGESTS[0], CountedTags(TagInfo(f"v{i}", i % 2 == 0) for i in range(tags)))


def test_an_artifacts_tags_are_walked_once_however_often_they_are_asked() -> None:
    """1,000 questions about an artifact carrying 10,000 tags: its tags are walked a fixed
    number of times (indexing them, listing them), not once per question."""
    artifact = big_artifact(10_000)
    world = World(Reads(RepositoryState((artifact,))))
    CountedTags.walks = 0
    for i in range(0, 10_000, 10):
        flag = world.stored_flag(REPO, f"v{i}")
        assert flag is not None
        assert flag.immutable is True
        assert len(world.tags_on(REPO, DIGESTS[0])) == 10_000
    assert CountedTags.walks <= 3


def test_a_changed_artifact_is_listed_afresh() -> None:
    world = World(Reads(RepositoryState((big_artifact(20),))))
    assert "v3" in world.tags_on(REPO, DIGESTS[0])
    world.apply([Change(REPO, tag="v3", digest=DIGESTS[1])])
    assert "v3" not in world.tags_on(REPO, DIGESTS[0])
    assert world.tags_on(REPO, DIGESTS[1]) == ("v3",)
    world.apply([Change(REPO, drop=DIGESTS[0])])
    assert world.tags_on(REPO, DIGESTS[0]) == ()
    assert world.digest_of(REPO, "v4") is None


def test_an_artifacts_flag_is_found_by_name_whatever_its_size() -> None:
    small = ArtifactInfo(DIGESTS[0], (TagInfo("a", True), TagInfo("a", False)))
    large = ArtifactInfo(DIGESTS[1], tuple(TagInfo(f"x{i}", i == 7) for i in range(50)))
    assert small.tag("a") == TagInfo("a", True)  # the first of a repeated name
    assert large.tag("x7") == TagInfo("x7", True)
    assert large.tag("x8") == TagInfo("x8", False)
    assert large.tag("y") is None
    assert large == ArtifactInfo(DIGESTS[1], large.tags)  # the index is no part of the value


changes = st.lists(
    st.one_of(
        st.builds(
            lambda tag, digest: Change(REPO, tag=tag, digest=digest),
            st.sampled_from(TAGS),
            st.none() | st.sampled_from(DIGESTS) | st.just(Unknown("a push")),
        ),
        st.builds(lambda digest: Change(REPO, drop=digest), st.sampled_from(DIGESTS)),
        st.builds(lambda digest: Change(REPO, node=Node(digest)), st.sampled_from(DIGESTS)),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    stored=st.dictionaries(st.sampled_from(TAGS), st.sampled_from(DIGESTS[:3]), max_size=6),
    steps=st.lists(changes, max_size=5),
)
def test_the_tags_on_an_artifact_are_the_tags_that_name_it(
    stored: dict[str, str], steps: list[list[Change]]
) -> None:
    """Whatever the run changes, and however often it asked before: an artifact's tags are
    exactly the tags whose name resolves to it now."""
    world = World(Reads(RepositoryState.from_tags(stored)))
    every: list[Digest] = [*DIGESTS, Unknown("a push")]
    for step in [[], *steps]:
        world.apply(step)
        for digest in every:
            expected = tuple(sorted(t for t in TAGS if world.digest_of(REPO, t) == digest))
            assert world.tags_on(REPO, digest) == expected
