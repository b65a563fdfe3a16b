"""Many live runs against a fake Harbor whose answers come after random delays and whose
requests fail at random: each read must give exactly what a single-threaded reader of the
same data gets (a GET by tag or digest finds any artifact; the list leaves out accessories
and untagged children, as Harbor's does: `setAccessoryQuery` / `setBaseQuery`,
src/pkg/artifact/dao/dao.go), or fail with a RemoteError (exit 2). Never another answer,
never another exception, never a hang.

Which request fails and how long each takes is drawn from the request itself and the
iteration's seed, so a failing iteration fails the same way again; only the threads'
interleaving varies."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import pytest

from tagguard.core.rules import parse_rules
from tagguard.core.state import COSIGN, Accessory, ArtifactInfo, ProjectRules, TagInfo
from tagguard.errors import RemoteError
from tagguard.shell.harbor import PAGE_SIZE, RulesPage
from tagguard.shell.live import LiveSources
from tests.builders import rule_json
from tests.shell.test_live import Unread

HOST = "h.io"
ITERATIONS = 120
HANG = 10.0  # seconds one run may take before it counts as hung (each takes milliseconds)


def sig_of(digest: str) -> str:
    return f"sha256-{digest.removeprefix('sha256:')}.sig"


class Repo:
    """One repository: every artifact (what GETs find) and the listed ones, in id order."""

    def __init__(self, artifacts: Sequence[ArtifactInfo], hidden: set[str]) -> None:
        self.all = list(artifacts)
        self.listed = [a for a in artifacts if a.digest not in hidden]
        self.by_ref: dict[str, ArtifactInfo] = {}
        for artifact in artifacts:
            self.by_ref[artifact.digest] = artifact
            for info in artifact.tags:
                self.by_ref.setdefault(info.name, artifact)

    def get(self, reference: str) -> ArtifactInfo | None:
        return self.by_ref.get(reference)


class Maker:
    """Builds repositories of each shape the live sources read differently."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0

    def digest(self) -> str:
        self.count += 1
        return f"sha256:{self.count:064x}"

    def repo(self) -> Repo:
        shape = self.rng.choice([self.plain, self.signed, self.index, self.big])
        return shape()

    def plain(self) -> Repo:
        n = self.rng.randint(0, 5)
        return Repo([_art(self.digest(), f"t{i}") for i in range(n)], set())

    def signed(self) -> Repo:
        """Signed artifacts, some signatures themselves holding an accessory (an SBOM's)."""
        artifacts: list[ArtifactInfo] = []
        hidden: set[str] = set()
        for i in range(self.rng.randint(1, 4)):
            subject, signature = self.digest(), self.digest()
            sbom, sbom_sig = self.digest(), self.digest()
            nested = self.rng.random() < 0.5
            artifacts.append(
                _art(
                    subject,
                    f"t{i}",
                    accessories=(Accessory(signature, COSIGN), Accessory(sbom, "x")),
                )
            )
            artifacts.append(_art(signature, sig_of(subject)))
            sbom_accessories = (Accessory(sbom_sig, COSIGN),) if nested else ()
            artifacts.append(_art(sbom, accessories=sbom_accessories))
            hidden |= {signature, sbom}
            if nested:
                artifacts.append(_art(sbom_sig, sig_of(sbom)))
                hidden.add(sbom_sig)
        return Repo(artifacts, hidden)

    def index(self) -> Repo:
        """An index of untagged children, each signed (cosign sign --recursive)."""
        children = [self.digest() for _ in range(self.rng.randint(1, 3))]
        top = self.digest()
        artifacts = [_art(top, "t0", children=tuple(children))]
        hidden: set[str] = set()
        for child in children:
            signature = self.digest()
            artifacts.append(_art(child, accessories=(Accessory(signature, COSIGN),)))
            artifacts.append(_art(signature, sig_of(child)))
            hidden |= {child, signature}
        return Repo(artifacts, hidden)

    def big(self) -> Repo:
        n = self.rng.randint(PAGE_SIZE - 5, 3 * PAGE_SIZE + 50)
        return Repo([_art(self.digest(), f"t{i}") for i in range(n)], set())


def _art(digest: str, *tags: str, **fields: Any) -> ArtifactInfo:
    return ArtifactInfo(digest, tuple(TagInfo(t, False) for t in tags), **fields)


class ChaosHarbor(Unread):
    """A thread-safe fake Harbor client: each request sleeps, then may fail."""

    host = HOST

    def __init__(self, seed: int, repos: dict[str, Repo], rules: dict[str, list[Any]]) -> None:
        super().__init__()
        self.seed = seed
        self.repos = repos
        self.rules = rules
        self.failure_rate = random.Random(seed).choice([0.0, 0.02, 0.1])
        self.lock = threading.Lock()
        self.flying: Counter[tuple[object, ...]] = Counter()
        # Requests made while the very same one was in flight: its answer was on its way.
        self.twice: list[tuple[object, ...]] = []

    def _chaos(self, *request: object) -> None:
        with self.lock:
            if self.flying[request]:
                self.twice.append(request)
            self.flying[request] += 1
        try:
            rng = random.Random(f"{self.seed}:{request}")
            # Now and then a slow answer, so a later question finds an earlier one in flight.
            time.sleep(rng.random() * (0.005 if rng.random() < 0.1 else 0.001))
            if rng.random() < self.failure_rate:
                raise RemoteError(f"injected failure of {request}")
        finally:
            with self.lock:
                self.flying[request] -= 1

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        self._chaos("get", project, repository, reference)
        repo = self.repos.get(f"{project}/{repository}")
        return repo.get(reference) if repo else None

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        self._chaos("page", project, repository, page)
        repo = self.repos.get(f"{project}/{repository}")
        listed = repo.listed if repo else []
        return listed[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], len(listed)

    def rules_page(self, project: str, page: int) -> RulesPage | None:
        self._chaos("rules", project, page)
        items = self.rules[project][(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return RulesPage(items, len(self.rules[project]), (page - 1) * PAGE_SIZE, None)

    def rules_from(self, project: str, pages: Sequence[RulesPage]) -> ProjectRules:
        return ProjectRules(parse_rules([r for page in pages for r in page.items], "rules"))

    def rules_forbidden(self) -> str:
        return "forbidden"


def _world(seed: int) -> tuple[ChaosHarbor, dict[tuple[str, str], set[str]], list[str]]:
    rng = random.Random(seed)
    maker = Maker(rng)
    projects = [f"p{i}" for i in range(rng.randint(1, 3))]
    repos = {f"{rng.choice(projects)}/r{i}": maker.repo() for i in range(rng.randint(1, 6))}
    rules = {
        p: [rule_json(i, tag=f"v{i}") for i in range(1, rng.choice([0, 3, 150, 250]) + 1)]
        for p in projects
    }
    wanted = {(HOST, name): _wanted(rng, repo) for name, repo in repos.items()}
    return ChaosHarbor(seed, repos, rules), wanted, projects


def _wanted(rng: random.Random, repo: Repo) -> set[str]:
    """Tags a plan may ask: listed ones, signature tags, and some that do not exist; and
    digests the list leaves out (an index's children, a copy's accessories)."""
    tags = sorted({i.name for a in repo.all for i in a.tags})
    chosen = set(rng.sample(tags, min(len(tags), rng.randint(0, 12))))
    absent = {f"new{i}" for i in range(rng.randint(0, 3))}
    unlisted = sorted({a.digest for a in repo.all} - {a.digest for a in repo.listed})
    digests = set(rng.sample(unlisted, min(len(unlisted), rng.randint(0, 2))))
    return (chosen | absent | digests) or {"new"}


def _run(seed: int) -> None:
    """One run: a plan's prefetch, maybe a second (a copy's destination tags), reads in
    a random order, settle. Each answer is compared with the data; RemoteError ends it."""
    client, wanted, projects = _world(seed)
    rng = random.Random(seed + 1)
    sources = LiveSources(
        {HOST: client},  # type: ignore[dict-item]
        registry=None,  # type: ignore[arg-type]
        concurrency=rng.choice([1, 2, 8]),
    )
    reads = _reads(rng, client, wanted, projects, sources)
    try:
        sources.prefetch([(HOST, p) for p in projects if rng.random() < 0.8], wanted)
        for read in reads:
            read()
        sources.settle()
    except RemoteError:
        pass  # exit 2: fails closed
    finally:
        sources.close()
    assert not client.twice, "asked again while its answer was on its way"


def _reads(
    rng: random.Random,
    client: ChaosHarbor,
    wanted: dict[tuple[str, str], set[str]],
    projects: list[str],
    sources: LiveSources,
) -> list[Callable[[], None]]:
    reads: list[Callable[[], None]] = []
    for (_, name), tags in wanted.items():
        repo = client.repos[name]
        reads += [partial(_tag, sources, name, tag, repo) for tag in tags]
        later = {f"t{rng.randint(0, 3)}", *(sig_of(a.digest) for a in repo.all)}
        # Digests too, as a carried index's children and their kept signatures are asked
        # (`Session`): each is a GET of its own, possibly still in flight when a structure
        # question reads every artifact of the repository.
        later |= {a.digest for a in rng.sample(repo.all, min(3, len(repo.all)))}
        first = rng.choice([None, *sorted(later & {a.digest for a in repo.all})])
        reads.append(partial(_again, sources, name, later, repo, first))
        for artifact in rng.sample(repo.all, min(2, len(repo.all))):
            reads.append(partial(_structure, sources, name, artifact.digest, repo))
    reads += [partial(_rules, sources, client, project) for project in projects]
    rng.shuffle(reads)
    return reads


def _tag(sources: LiveSources, name: str, tag: str, repo: Repo) -> None:
    _same(sources.artifact(HOST, name, tag), repo.get(tag))


def _same(found: ArtifactInfo | None, truth: ArtifactInfo | None) -> None:
    assert found == truth


def _again(sources: LiveSources, name: str, tags: set[str], repo: Repo, first: str | None) -> None:
    """A second prefetch mid-run, as a copy's, then its tags read; maybe first, while they
    are in flight, who references one of its digests (a copy asks whether its source is an
    accessory, a delete whether an index references it)."""
    sources.prefetch([], {(HOST, name): tags})
    if first is not None:
        _structure(sources, name, first, repo)
    for tag in sorted(tags):
        _same(sources.artifact(HOST, name, tag), repo.get(tag))


def _structure(sources: LiveSources, name: str, digest: str, repo: Repo) -> None:
    # Harbor refuses deleting an artifact any artifact references, listed or not (an
    # untagged index nested in an index, an accessory): the truth is over all of them.
    assert sorted(sources.parents(HOST, name, digest)) == sorted(
        a.digest for a in repo.all if digest in a.children
    )
    assert sorted(sources.subjects(HOST, name, digest)) == sorted(
        a.digest for a in repo.all if any(x.digest == digest for x in a.accessories)
    )
    _same(sources.artifact(HOST, name, digest), repo.get(digest))


def _rules(sources: LiveSources, client: ChaosHarbor, project: str) -> None:
    found = sources.rules(HOST, project).rules
    assert found == parse_rules(client.rules[project], "rules")


def _bounded(seed: int) -> None:
    """Runs `_run` in a thread of its own: a run still going after HANG is hung."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            _run(seed)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(HANG)
    assert not thread.is_alive(), f"seed {seed}: the run hung"
    if errors:
        raise AssertionError(f"seed {seed}: {errors[0]!r}") from errors[0]


@pytest.mark.parametrize("block", range(4))
def test_concurrent_reads_answer_as_a_single_reader_or_fail_closed(block: int) -> None:
    for seed in range(block * ITERATIONS // 4, (block + 1) * ITERATIONS // 4):
        _bounded(seed)
