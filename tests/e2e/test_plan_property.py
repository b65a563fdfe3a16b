"""Random small release plans: tagguard's verdicts against what the test Harbor really does.

Hypothesis draws a small state (one or two repositories in two projects, a few images, an
image index whose child may carry a tag of its own, maybe a cosign signature), a few rules
from a pool that includes Harbor's quirks (`**`, `v*`, `sha256-*` that locks signature
tags, and the broken `rc{1,2` that errs lazily and fails open, stopping later rules), and
two to four operations of every plan kind. Each example starts a fresh server, asks
`tagguard plan --format json`, then executes the operations for real, in order
(test_plan_matrix.run_and_execute), and holds each verdict to the outcome:

* safety - no allow or skip where the server then refuses the write or the tag ends up
  missing;
* equality where the digest is known - block exactly when the server refuses.

Bounded for CI: 25 derandomized examples. `TAGGUARD_PLAN_EXAMPLES=500` searches deeper,
and `TAGGUARD_PLAN_RANDOM=1` with new random draws each run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import Harbor
from tests.e2e.test_plan_matrix import (
    COPY,
    DELETE_BY_DIGEST,
    DELETE_BY_TAG,
    DELETE_TAG,
    KINDS,
    PUSH,
    PUSH_UNKNOWN,
    RETAG,
    SIGN,
    Images,
    Op,
    push_whole,
    run_and_execute,
)
from tests.harbor_server.harbor import running_harbor
from tests.harbor_server.images import (
    Image,
    Pusher,
    cosign_tag,
    make_cosign_signature,
    make_image,
    make_index,
)
from tests.harbor_server.registry import Registry
from tests.harbor_server.users import ADMIN, harbor_state

REPOSITORIES = ("proj/app", "other/app")
TAGS = ("v1", "v2", "latest", "rc1", "dev")
# (repository pattern, tag pattern); all doublestar with the default decorations.
RULES = (
    ("**", "**"),
    ("**", "v*"),
    ("**", "sha256-*"),
    ("**", "rc{1,2"),  # unclosed brace: errs for tags that reach it (`rc1`), fails open
    ("app", "latest"),
    ("**", "{v,rc}*"),
)
PLAIN = tuple(make_image(f"property-{n}") for n in range(3))
CHILDREN = (make_image("property-child-0"), make_image("property-child-1"))
INDEX = make_index(*CHILDREN)
FRESH = tuple(make_image(f"property-fresh-{n}") for n in range(2))  # known, never in state
UNKNOWN = tuple(make_image(f"property-unknown-{n}") for n in range(2))  # pushed without digest
SUBJECTS = (*PLAIN, INDEX, *CHILDREN)


@dataclass(frozen=True)
class World:
    """A drawn start state: tags per repository, an optional signature, rules per project."""

    tags: tuple[tuple[str, str, Image], ...]  # (repository, tag, image)
    signed: tuple[str, Image] | None  # (repository, subject) signed with cosign
    rules: tuple[tuple[str, str, str], ...]  # (project, repository pattern, tag pattern)
    ops: tuple[Op, ...]

    def describe(self) -> str:
        lines = [f"  state {r}:{t} = {i.digest[:19]}" for r, t, i in self.tags]
        if self.signed is not None:
            lines.append(f"  signed {self.signed[0]}@{self.signed[1].digest[:19]}")
        lines += [f"  rule {p}: {r} / {t}" for p, r, t in self.rules]
        lines += [f"  op {op.describe()}" for op in self.ops]
        return "\n".join(lines)


@st.composite
def worlds(draw: st.DrawFn) -> World:
    repos = draw(st.lists(st.sampled_from(REPOSITORIES), min_size=1, max_size=2, unique=True))
    images = draw(st.lists(st.sampled_from((*PLAIN, INDEX)), min_size=1, max_size=3, unique=True))
    tags: list[tuple[str, str, Image]] = []
    for repo in repos:
        names = draw(st.lists(st.sampled_from(TAGS), min_size=1, max_size=3, unique=True))
        tags += [(repo, name, draw(st.sampled_from(images))) for name in names]
        if INDEX in images and draw(st.booleans()):
            tags.append((repo, "child", CHILDREN[0]))  # a child that carries its own tag
    signed = None
    if draw(st.booleans()):
        repo, _, image = draw(st.sampled_from(tags))
        signed = (repo, image)
    rules = tuple(
        (project, *draw(st.sampled_from(RULES)))
        for project in ("proj", "other")
        for _ in range(draw(st.integers(0, 2)))
    )
    ops = tuple(
        draw(operations(repos, tags)) for _ in range(draw(st.integers(min_value=2, max_value=4)))
    )
    return World(tuple(tags), signed, rules, ops)


@st.composite
def operations(draw: st.DrawFn, repos: list[str], tags: list[tuple[str, str, Image]]) -> Op:
    kind = draw(st.sampled_from(KINDS))
    repo = draw(st.sampled_from(repos))
    # Mostly tags the state has, sometimes a new one or one of another repository.
    tag = draw(st.sampled_from([t for r, t, _ in tags if r == repo] + ["v2", "rc1", "dev"]))
    if kind == PUSH:
        image = draw(st.sampled_from((*PLAIN, INDEX, *FRESH)))
        return Op(PUSH, repo, tag, image)
    if kind == PUSH_UNKNOWN:
        return Op(PUSH_UNKNOWN, repo, tag, draw(st.sampled_from(UNKNOWN)))
    if kind == RETAG:
        source_repo, source, _ = draw(st.sampled_from(tags))
        return Op(RETAG, repo, tag, source=source, source_repo=source_repo)
    if kind == COPY:
        source_repo, source, _ = draw(st.sampled_from(tags))
        dest = next(r for r in REPOSITORIES if r != source_repo)
        return Op(COPY, source_repo, source, dest=dest)
    if kind in (DELETE_TAG, DELETE_BY_TAG):
        return Op(kind, repo, tag)
    if kind == DELETE_BY_DIGEST:
        pool = (*SUBJECTS, *FRESH, *UNKNOWN)
        return Op(DELETE_BY_DIGEST, repo, digest=draw(st.sampled_from(pool)).digest)
    assert kind == SIGN
    subject = draw(st.sampled_from((*SUBJECTS, *FRESH, *UNKNOWN)))
    signature = make_cosign_signature(subject.digest, seed=str(draw(st.integers(0, 1))))
    return Op(SIGN, repo, cosign_tag(subject.digest), signature)


def all_images(world: World) -> Images:
    images = Images()
    for image in (*PLAIN, *CHILDREN, *FRESH, *UNKNOWN):
        images.add(image)
    images.add(INDEX, CHILDREN)
    for op in world.ops:
        if op.image is not None:
            images.add(op.image)
    return images


def set_up(harbor: Harbor, images: Images, world: World) -> None:
    """Pushes the state (every tag is new, so no rule refuses it), then adds the rules."""
    for repo, tag, image in world.tags:
        assert push_whole(harbor, images, repo, tag, image) == 201
    if world.signed is not None:
        repo, subject = world.signed
        signature = images.add(make_cosign_signature(subject.digest, seed="state"))
        assert push_whole(harbor, images, repo, cosign_tag(subject.digest), signature) == 201
    for project, repo_pattern, tag_pattern in world.rules:
        harbor.rule(project, repo_pattern, tag_pattern)


@contextlib.contextmanager
def fresh_harbor(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, folder: Path
) -> Iterator[Harbor]:
    """A new server per example (the `harbor` fixture is one per test), on the shared
    registry."""
    monkeypatch.setenv("DOCKER_CONFIG", str(folder / "docker"))
    with running_harbor(registry.url, harbor_state()) as (url, state):
        yield Harbor(url, state, Pusher(url, ADMIN), monkeypatch)


@settings(
    max_examples=int(os.environ.get("TAGGUARD_PLAN_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("TAGGUARD_PLAN_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_random_plans_match_the_server(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, world: World
) -> None:
    images = all_images(world)
    with fresh_harbor(registry, monkeypatch, tmp_path) as harbor:
        set_up(harbor, images, world)
        outcome = run_and_execute(harbor, images, world.ops, tmp_path / "plan.yml")
    assert outcome.problems == [], "\n" + world.describe()


def test_an_artifact_deleted_then_pushed_again_carries_its_new_tag(
    harbor: Harbor, tmp_path: Path
) -> None:
    """A counterexample the property found, shrunk by hand. The first step deletes image P
    (its only tag `latest`); the second pushes P again under `v2`, which rule `v*` makes
    immutable; the third deletes P by `v2`. Harbor's `putManifest`
    (src/server/registry/manifest.go) ensures a new artifact row for P and the tag on it,
    so `deleteDeeply` (src/controller/artifact/controller.go) meets `v2` and the tag
    controller's `Delete` (src/controller/tag/controller.go) refuses it: 412. tagguard must
    block the third step; it allowed it ("has no tags"), as if P were still deleted."""
    harbor.rule("proj", tag="v*")
    images = Images()
    image = images.add(PLAIN[0])
    harbor.push("proj/app:latest", image)
    ops = [
        Op(DELETE_BY_TAG, "proj/app", "latest"),
        Op(PUSH, "proj/app", "v2", image),
        Op(DELETE_BY_TAG, "proj/app", "v2"),
    ]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml")
    assert outcome.statuses == [200, 201, 412]
    assert outcome.problems == []


def test_a_signature_pushed_before_its_subject_is_deleted_with_it(
    harbor: Harbor, tmp_path: Path
) -> None:
    """A cosign signature pushed before its subject: the cosign middleware
    (src/server/middleware/cosign/cosign.go `SignatureMiddleware`) records the accessory
    with subject id 0, and when the subject arrives the subject middleware
    (src/server/middleware/subject/subject.go, "the client pushes the accessory ahead of
    the subject artifact") links it. Deleting the subject then deletes the signature as a
    root (`deleteDeeply`, src/controller/artifact/controller.go), whose tag rule
    `sha256-*` makes immutable: 412. tagguard allowed the delete: its world links a
    signature only to a subject that exists when the signature is pushed
    (core/world.py `World._link_signature`)."""
    harbor.rule("proj", tag="sha256-*")
    images = Images()
    harbor.push("proj/app:latest", images.add(PLAIN[0]))
    subject = images.add(FRESH[0])
    signature = images.add(make_cosign_signature(subject.digest, seed="early"))
    ops = [
        Op(SIGN, "proj/app", cosign_tag(subject.digest), signature),
        Op(PUSH, "proj/app", "dev", subject),
        Op(DELETE_BY_TAG, "proj/app", "dev"),
    ]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml")
    assert outcome.statuses == [201, 201, 412]
    assert outcome.problems == []


def test_an_index_pushed_in_the_run_keeps_its_children(harbor: Harbor, tmp_path: Path) -> None:
    """An image index pushed in the run brings its children: a client pushes them by digest
    first and `putManifest` records the index's references (src/controller/artifact/
    abstractor, `artifact_reference`). Deleting a child by digest is then refused:
    `deleteDeeply` (src/controller/artifact/controller.go) answers
    ViolateForeignKeyConstraintCode, "the deleting artifact is referenced by others", a 412
    (src/lib/http/error.go `codeMap`). tagguard allowed it ("the artifact does not exist"):
    a push by digest tells it nothing of children, so where an earlier step of the run may
    have brought the artifact it must not call it absent (block, or exit 2)."""
    images = Images()
    harbor.push("proj/app:latest", images.add(PLAIN[0]))
    images.add(INDEX, CHILDREN)
    ops = [
        Op(PUSH, "proj/app", "v2", INDEX),
        Op(DELETE_BY_DIGEST, "proj/app", digest=CHILDREN[0].digest),
    ]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml")
    assert outcome.statuses == [201, 412]
    assert outcome.problems == []
