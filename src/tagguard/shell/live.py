"""Sources that read a live Harbor (rules, tags, version) and any registry (retag sources).

Rules and state may also come from files while the rest is live: a rules file then stands in
for the project's rules (to try a rule before adding it), a state file for the tags.

When a check knows everything it will ask (`prefetch`), the questions are planned and asked
concurrently (a bounded pool, one pooled HTTP session) while the check goes on: a read waits
only for the answer it needs, so deciding overlaps the network. One rules request per project, and per
repository whichever is fewer, one artifact request per tag or the repository's artifact
list, 100 to a page. A repository with one tag to check gets the single request; with more,
the first page of its list says how many artifacts there are, and the rest is fetched by
whichever way costs fewer requests from there.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from tagguard.core.record import field, record
from tagguard.core.state import (
    ArtifactInfo,
    ProjectInfo,
    ProjectRules,
    RulesTable,
    StateTable,
    cosign_subject,
)
from tagguard.errors import InputError
from tagguard.shell.harbor import PAGE_SIZE, HarborClient, RulesPage, check_pages, rule_pages
from tagguard.shell.registry import RegistryClient

if TYPE_CHECKING:
    from tagguard.core.replication import Policy

_T = TypeVar("_T")


@record(frozen=False)
class LiveSources:
    harbors: dict[str, HarborClient]  # registry host -> its Harbor API
    registry: RegistryClient
    rules_table: RulesTable | None = None
    state_table: StateTable | None = None
    live: bool = True
    # Makes a client for a Harbor found along the way (a replication's destination).
    connect: Callable[[str, str], HarborClient] | None = None
    concurrency: int = 8
    # --harbor-version: every Harbor of the run is taken to be that release, never asked.
    version: str | None = None
    _versions: dict[str, str | None] = field(default_factory=dict)
    _rules: dict[tuple[str, str], ProjectRules] = field(default_factory=dict)
    _artifacts: dict[tuple[str, str, str], ArtifactInfo | None] = field(default_factory=dict)
    # Repositories whose whole artifact list was read: any tag or digest not in it is absent.
    _complete: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    # Questions asked ahead and not yet waited for: ("rules", registry, project) or
    # ("tags", registry, repository) -> the request(s) in flight.
    _pending: dict[tuple[str, str, str], Future[None]] = field(default_factory=dict)
    _asked: dict[tuple[str, str, str], set[str]] = field(default_factory=dict)  # tags in flight
    _pool: ThreadPoolExecutor | None = None
    _listings: dict[tuple[str, str], list[ArtifactInfo]] = field(default_factory=dict)
    # The listings with every artifact they leave out read as well (`_every_artifact`).
    _everything: dict[tuple[str, str], list[ArtifactInfo]] = field(default_factory=dict)
    # Requests a first one led to, fanned out to the pool, and what to do with their answers.
    _followups: dict[tuple[str, str, str], list[tuple[list[Future[Any]], Callable[[], None]]]] = (
        field(default_factory=dict)
    )

    def add_harbor(self, host: str, url: str) -> None:
        """Reaches `host` at `url` unless --harbor-url already said where it is."""
        if host not in self.harbors:
            if self.connect is None:
                raise InputError(f"{host} is not a Harbor tagguard may connect to")
            self.harbors[host] = self.connect(host, url)

    # -- a replication's source ------------------------------------------------------------

    def policy(self, registry: str, policy_id: int) -> Policy:
        return self.harbor(registry).policy(policy_id)

    def project(self, registry: str, name: str) -> ProjectInfo | None:
        return self.harbor(registry).project(name)

    def policies(self, registry: str) -> list[Policy] | None:
        return self.harbor(registry).policies()

    def repositories(self, registry: str) -> list[str]:
        return self.harbor(registry).repositories()

    def artifacts(self, registry: str, repository: str) -> list[ArtifactInfo]:
        """Every artifact Harbor lists for the repository (see `artifact_lists`)."""
        return self.artifact_lists(registry, [repository])[repository]

    def artifact_lists(
        self, registry: str, repositories: Sequence[str]
    ) -> dict[str, list[ArtifactInfo]]:
        """Every artifact Harbor lists for each repository. A first page says how many
        there are; every repository's first page is asked at once, and each one's later
        pages as soon as its first has answered, all on the pool: a big repository (a
        copy's source, a replicated one), or a policy's many, cost rounds, not a request
        after a request. Runs on the reading thread, never in a worker (it waits for the
        pool's jobs)."""
        client = self.harbor(registry)
        names = [_project_and_rest(r) for r in repositories]
        firsts = self._fan_out(client.artifacts_page, [(p, rest, 1) for p, rest in names])
        read: dict[str, list[tuple[list[ArtifactInfo], int | None]]] = {}
        later: dict[str, list[Future[tuple[list[ArtifactInfo], int | None]]]] = {}
        for repository, (project, rest), future in zip(repositories, names, firsts, strict=True):
            read[repository] = [future.result()]
            pages = math.ceil((read[repository][0][1] or 0) / PAGE_SIZE)
            later[repository] = self._fan_out(
                client.artifacts_page, [(project, rest, p) for p in range(2, pages + 1)]
            )
        lists = {}
        for repository in repositories:
            pages_read = [*read[repository], *(f.result() for f in later[repository])]
            check_pages(pages_read, f"listing the artifacts of {repository}", client.host)
            lists[repository] = [artifact for page, _ in pages_read for artifact in page]
        return lists

    def harbor(self, registry: str) -> HarborClient:
        client = self.harbors.get(registry)
        if client is None:
            raise InputError(f"{registry} is not a Harbor tagguard was pointed at (--harbor-url)")
        return client

    def harbor_version(self, registry: str) -> str | None:
        if self.version is not None:
            return self.version
        if registry not in self._versions:
            self._versions[registry] = self.harbor(registry).version()
        return self._versions[registry]

    def rules(self, registry: str, project: str) -> ProjectRules:
        if self.rules_table is not None:
            return ProjectRules(self.rules_table.for_project(project))
        key = (registry, project)
        self._wait(("rules", registry, project))
        if key not in self._rules:
            self._fetch_rules(registry, project)
            # More than a page: the pages after the first are on the pool, put together
            # by the stage `_fetch_rules` left for this reader.
            self._wait(("rules", registry, project))
        return self._rules[key]

    def _fetch_rules(self, registry: str, project: str) -> None:
        """Runs in a pool worker: the first page of the rules. When it is the only page
        (or a refusal), the reader reads it: the worker goes on to the next request in the
        queue at once (see `_fetch_tags`). Otherwise the pages after it go to the pool at
        once, and each page's rules are read by the worker that fetched it, while later
        pages are in flight: only putting them together is left to the reader."""
        key = ("rules", registry, project)
        client = self.harbor(registry)
        count, read_first = client.rules_page_unread(project, 1)
        if count is None or count <= PAGE_SIZE:  # None: no count (one page) or a refusal
            self._then(key, [], partial(self._rules_of, registry, project, read_first, []))
            return
        first = read_first()  # refuses a count of more pages than are ever asked
        pages = [(project, p) for p in range(2, rule_pages(count) + 1)]
        more = self._fan_out(client.rules_page, pages)
        self._then(key, more, partial(self._rules_of, registry, project, lambda: first, more))

    def _rules_of(
        self,
        registry: str,
        project: str,
        read_first: Callable[[], RulesPage | None],
        more: list[Future[RulesPage | None]],
    ) -> None:
        """The project's rules from its pages, kept (a stage, run by the reader); None
        for a page is a refusal: the credentials may not list them."""
        client = self.harbor(registry)
        read = [read_first(), *(f.result() for f in more)]
        found = (
            ProjectRules(None, client.rules_forbidden())
            if any(page is None for page in read)
            else client.rules_from(project, [page for page in read if page is not None])
        )
        self._keep_rules(registry, project, found)

    def _keep_rules(self, registry: str, project: str, found: ProjectRules) -> None:
        with self._lock:
            self._rules[(registry, project)] = found

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        key = (registry, repository, reference)
        self._wait(("tags", registry, repository))
        if ":" in reference:
            self._wait(_digest_key(registry, repository, reference))
        if key in self._artifacts:
            return self._artifacts[key]
        if (registry, repository) in self._complete and _listable(reference):
            # Every tag of the repository is known; a digest may still be an accessory's or
            # an untagged child's, which Harbor's list leaves out.
            return None
        if self.state_table is not None:
            return self.state_table.artifact(f"{registry}/{repository}", reference)
        return self._read(registry, repository, reference)

    @property
    def proposed_rules(self) -> bool:
        return self.rules_table is not None

    def guards(self, registry: str) -> bool:
        return registry in self.harbors or self.state_table is not None

    def parents(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        """Which index of the repository references `digest`. Harbor answers this only by
        each artifact's `references`, and its list leaves out an untagged child, which may
        be an index itself (a nested index), and every accessory: so every artifact of the
        repository is read (`_every_artifact`), once per repository."""
        if self.state_table is not None:
            return self.state_table.repository(f"{registry}/{repository}").parents(digest)
        every = self._every_artifact(registry, repository)
        return tuple(a.digest for a in every if digest in a.children)

    def subjects(self, registry: str, repository: str, digest: str) -> tuple[str, ...]:
        """Which artifact lists `digest` among its accessories: like `parents`, from every
        artifact of the repository, the list's and those it leaves out (an untagged child's
        accessory, an accessory's own: a signature of a signature, an SBOM's attestation)."""
        if self.state_table is not None:
            return self.state_table.repository(f"{registry}/{repository}").subjects(digest)
        every = self._every_artifact(registry, repository)
        return tuple(a.digest for a in every if any(x.digest == digest for x in a.accessories))

    def _every_artifact(self, registry: str, repository: str) -> list[ArtifactInfo]:
        """The list, and every artifact it leaves out that a listed one reaches through its
        children and accessories, read by digest (those not read already), a round of
        concurrent requests per level. Only who references an artifact needs them: taking
        the list alone for the repository answered "nobody" for an image of a nested index,
        or an untagged child's accessory, and Harbor refuses its delete (or copy)."""
        key = (registry, repository)
        found = self._everything.get(key)
        if found is not None:
            return found
        self._wait(("tags", registry, repository))
        listed = self._listing(registry, repository)
        # None: referenced, but Harbor has no such artifact (it references nothing then).
        seen: dict[str, ArtifactInfo | None] = {a.digest: a for a in listed}
        project, _, rest = repository.partition("/")
        client = self.harbor(registry)
        unread = _reached(listed, seen)
        while unread:
            # A digest asked ahead (`prefetch`) may still be in flight: it is waited for,
            # not asked a second time.
            flying = [d for d in unread if _digest_key(registry, repository, d) in self._pending]
            asked = [d for d in unread if d not in flying and (*key, d) not in self._artifacts]
            futures = self._fan_out(client.artifact, [(project, rest, d) for d in asked])
            for digest in flying:
                self._wait(_digest_key(registry, repository, digest))
            read = dict(zip(asked, (f.result() for f in futures), strict=True))
            self._remember(registry, repository, read)
            level = {d: self._artifacts[(*key, d)] for d in unread}
            seen.update(level)
            unread = _reached((a for a in level.values() if a), seen)
        every = [a for a in seen.values() if a is not None]
        self._everything[key] = every
        return every

    def listing(self, registry: str, repository: str) -> list[ArtifactInfo]:
        """Every artifact the repository holds: its list and what the list leaves out,
        read as `parents` and `subjects` read them (once, each level's reads at once), so
        a walk of the repository (`World.held`) asks nothing one digest after another."""
        if self.state_table is not None:
            return list(self.state_table.repository(f"{registry}/{repository}").artifacts)
        return self._every_artifact(registry, repository)

    def _listing(self, registry: str, repository: str) -> list[ArtifactInfo]:
        key = (registry, repository)
        if key not in self._listings:
            self._listings[key] = self.artifacts(registry, repository)
        return self._listings[key]

    def digest(self, registry: str, repository: str, reference: str) -> str | None:
        if registry in self.harbors or self.state_table is not None:
            found = self.artifact(registry, repository, reference)
            return found.digest if found is not None else None
        return self.registry.digest(registry, repository, reference)

    # -- planned, concurrent reads -------------------------------------------------------

    def prefetch(
        self, projects: Iterable[tuple[str, str]], tags: Mapping[tuple[str, str], set[str]]
    ) -> None:
        """Starts asking, concurrently, every rules and state question a check will ask, and
        returns at once: each read then waits for its own answer, and a failed request raises
        from the read that needed it (or from `settle`), so the check still fails closed."""
        # Only the Harbors tagguard guards: a retag's source elsewhere is resolved on its own.
        projects = [key for key in projects if key[0] in self.harbors]
        asked = {key: wanted for key, wanted in tags.items() if key[0] in self.harbors}
        jobs: dict[tuple[str, str, str], Callable[[], None]] = {}
        tags = {key: {t for t in wanted if ":" not in t} for key, wanted in asked.items()}
        # In the order the check needs the answers: a project's rules just before its first
        # repository's tags (the pool is first in, first out). The check decides while later
        # answers are on their way, rather than after the last one.
        rules_of = set(projects)
        for registry, repository in tags:
            if (registry, project := repository.partition("/")[0]) in rules_of:
                self._ask_rules(registry, project, jobs)
            if self.state_table is None:
                self._ask_tags(registry, repository, tags[(registry, repository)], jobs)
        for registry, project in projects:
            self._ask_rules(registry, project, jobs)
        # A digest (an index's children, before a copy of the index) is a GET of its own: the
        # list leaves an untagged child out, so reading it first would cost a request more.
        for (registry, repository), wanted in asked.items():
            for digest in sorted(d for d in wanted if ":" in d):
                self._ask_digest(registry, repository, digest, jobs)
        if not jobs:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, self.concurrency))
        for key, job in jobs.items():
            self._pending[key] = self._pool.submit(job)
            if key[0] == "tags":
                self._asked[key] = set(tags[key[1:]])

    def _ask_rules(
        self, registry: str, project: str, jobs: dict[tuple[str, str, str], Callable[[], None]]
    ) -> None:
        key = ("rules", registry, project)
        asked = (registry, project) in self._rules or key in self._pending or key in jobs
        if self.rules_table is None and not asked:
            jobs[key] = partial(self._fetch_rules, registry, project)

    def _ask_digest(
        self,
        registry: str,
        repository: str,
        digest: str,
        jobs: dict[tuple[str, str, str], Callable[[], None]],
    ) -> None:
        key = _digest_key(registry, repository, digest)
        # The repository's tags asked ahead may be reading its list, which answers every
        # listed digest from a worker: waited for (as `_ask_tags` waits), so that whether
        # the digest is asked again does not hang on which answer came back first.
        self._wait(("tags", registry, repository))
        known = key in self._pending or (registry, repository, digest) in self._artifacts
        if self.state_table is None and not known:
            jobs[key] = partial(self._fetch_digest, registry, repository, digest)

    def _fetch_digest(self, registry: str, repository: str, digest: str) -> None:
        self._read(registry, repository, digest)  # a pool job: the answer is kept, not returned

    def _read(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        """One artifact by tag or digest, kept as every answer is: a later question ahead,
        or a walk of every artifact, then finds it read rather than asking it again. Runs
        on the reading thread or in a worker (a digest asked ahead)."""
        found = self.harbor(registry).artifact(*_project_and_rest(repository), reference)
        self._remember(registry, repository, {reference: found})
        return found

    def _ask_tags(
        self,
        registry: str,
        repository: str,
        wanted: set[str],
        jobs: dict[tuple[str, str, str], Callable[[], None]],
    ) -> None:
        key = ("tags", registry, repository)
        if key in self._pending and wanted <= self._asked[key]:
            return  # already on its way: the check waits for it when it reads
        self._wait(key)  # a second plan for a repository builds on the first's answers
        missing = {t for t in wanted if (registry, repository, t) not in self._artifacts}
        if (registry, repository) in self._complete:
            missing = {t for t in missing if not _listable(t)}  # the list answers the rest
        if missing:
            jobs[key] = partial(self._fetch_tags, registry, repository, missing)

    def settle(self) -> None:
        """Waits for every question asked ahead; the first failure, in a stable order,
        raises (fail closed, even for an answer no check read)."""
        for key in sorted(self._pending):
            self._wait(key)
        # Every job has answered: the idle workers are let go without joining them one by
        # one (0.6 ms at the end of every live run); each leaves once it sees the pool shut.
        self._shut(wait=False)

    def close(self) -> None:
        """Drops the questions not yet asked (after a failure) and lets the pool go, once
        the requests in flight have ended."""
        self._shut(wait=True)

    def _shut(self, *, wait: bool) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
            self._pool = None
        self._pending.clear()
        self._followups.clear()

    def _wait(self, key: tuple[str, str, str]) -> None:
        future = self._pending.get(key)
        if future is not None:
            future.result()  # re-raises the request's error
            del self._pending[key]
        while True:
            with self._lock:
                stages = self._followups.pop(key, [])
            if not stages:
                return
            for futures, finish in stages:
                for started in futures:
                    started.result()
                finish()  # may start a further stage (an accessory's tags)

    def _fetch_tags(self, registry: str, repository: str, wanted: set[str]) -> None:
        """Runs in a pool worker: the first request for a repository. Every request it leads
        to (the remaining pages, or the tags still missing) goes to the pool as a job of its
        own, so a big repository costs rounds, not a queue of requests in one worker.

        An answer whose count plans no further page (one tag's, or a list of one page) is
        read by the reader, as a stage, which asks whatever its reading still leads to (a
        tag on an accessory the list leaves out): the worker goes on to the next request in
        the queue at once. Reading a page of artifacts (its JSON, then each artifact) costs
        about as much CPU as asking for it, and under the interpreter lock every request
        still queued would wait for it, round after round."""
        project, _, rest = repository.partition("/")
        client = self.harbor(registry)
        key = ("tags", registry, repository)
        if len(wanted) == 1:
            (tag,) = wanted
            read = client.artifact_unread(project, rest, tag)
            self._then(key, [], partial(self._read_one, registry, repository, tag, read))
            return
        if (registry, repository) in self._complete:
            # Its list is read already: these are signatures' tags, which no list names.
            self._by_tags(registry, repository, sorted(wanted), {}, key)
            return
        count, read_first = client.artifacts_page_unread(project, rest, 1)
        if count is not None and count <= PAGE_SIZE:
            whole = partial(self._read_whole, registry, repository, wanted, read_first, key)
            self._then(key, [], whole)
            return
        first = read_first()  # an absent repository's, or a count of more pages
        artifacts, total = first
        pages = math.ceil((total or 0) / PAGE_SIZE) if total is not None else 1
        found = _by_tag(artifacts)
        remaining = sorted(t for t in wanted if t not in found)
        if pages <= 1:
            self._whole(registry, repository, wanted, artifacts, key)
        elif not remaining:
            self._remember(registry, repository, {t: found.get(t) for t in wanted})
        elif self._by_tags_is_cheaper(len(remaining), pages - 1):
            self._by_tags(registry, repository, remaining, {t: found.get(t) for t in wanted}, key)
        else:
            more = self._fan_out(
                client.artifacts_page, [(project, rest, p) for p in range(2, pages + 1)]
            )

            def assemble() -> None:
                read = [first, *(f.result() for f in more)]
                check_pages(read, f"listing the artifacts of {repository}", client.host)
                listed = [a for page, _ in read for a in page]
                self._whole(registry, repository, wanted, listed, key)

            self._then(key, more, assemble)

    def _read_one(
        self,
        registry: str,
        repository: str,
        tag: str,
        read: Callable[[], ArtifactInfo | None],
    ) -> None:
        self._remember(registry, repository, {tag: read()})

    def _read_whole(
        self,
        registry: str,
        repository: str,
        wanted: set[str],
        read: Callable[[], tuple[list[ArtifactInfo], int | None]],
        key: tuple[str, str, str],
    ) -> None:
        self._whole(registry, repository, wanted, read()[0], key)

    def _by_tags(
        self,
        registry: str,
        repository: str,
        tags: list[str],
        known: dict[str, ArtifactInfo | None],
        key: tuple[str, str, str],
    ) -> None:
        """`tags` asked one request each, all at once; kept with what is `known` once
        every one has answered (a stage run by whoever waits for `key`)."""
        project, _, rest = repository.partition("/")
        asked = self._fan_out(self.harbor(registry).artifact, [(project, rest, t) for t in tags])

        def finish() -> None:
            answers = dict(known)
            answers.update(zip(tags, (f.result() for f in asked), strict=True))
            self._remember(registry, repository, answers)

        self._then(key, asked, finish)

    def _whole(
        self,
        registry: str,
        repository: str,
        wanted: set[str],
        artifacts: list[ArtifactInfo],
        key: tuple[str, str, str],
    ) -> None:
        """The repository's whole list is read: it answers every tag on a listed artifact and
        every listed digest. Harbor's list leaves accessories out, and a signature's
        `sha256-<hex>.sig` tag is on one: a wanted tag the list does not name is read, or
        the list's accessories are, whichever is fewer. An untagged child is left out too,
        and its accessories (`cosign sign --recursive`) are named by no list item: then the
        missing tags are read. The repository is whole (a tag not in it is absent) only
        once every artifact that can carry a tag has been seen - but for a signature's tag:
        a signature whose subject is not in the repository (kept apart with
        COSIGN_REPOSITORY) is an accessory no artifact names, in no list and no count, so a
        `sha256-<hex>.sig` tag the list does not name is always read by tag."""
        with self._lock:
            self._listings[(registry, repository)] = list(artifacts)
        found = _by_tag(artifacts)
        answers: dict[str, ArtifactInfo | None] = {t: found.get(t) for t in wanted}
        answers.update(found)
        answers.update({a.digest: a for a in artifacts})
        accessories = sorted({x.digest for a in artifacts for x in a.accessories})
        listed = {a.digest for a in artifacts}
        unlisted = any(c not in listed for a in artifacts for c in a.children)
        missing = sorted(t for t in wanted if answers.get(t) is None)
        hidden = bool(accessories) or unlisted  # an artifact that may carry a tag, unlisted
        if not hidden:  # the list is whole: a tag it does not name is absent, but a signature's
            missing = [t for t in missing if not _listable(t)]
        if not missing:
            self._remember(registry, repository, answers)
            if not hidden:
                self._keep_complete(registry, repository)
            return
        project, _, rest = repository.partition("/")
        client = self.harbor(registry)
        signatures = not all(_listable(t) for t in missing)
        by_tag = unlisted or signatures or len(missing) <= len(accessories)
        reading = missing if by_tag else accessories
        asked = self._fan_out(client.artifact, [(project, rest, r) for r in reading])

        def finish() -> None:
            read = dict(zip(reading, (f.result() for f in asked), strict=True))
            answers.update(read)
            if by_tag:  # a GET by tag finds any artifact: each answer is final
                self._remember(registry, repository, answers)
                if not hidden:
                    self._keep_complete(registry, repository)
                return
            answers.update(_by_tag(a for a in read.values() if a))
            # An accessory's own accessories are left out of its answer's tags: a tag still
            # missing may be on one of them, so it stays unknown (read when needed).
            nested = any(a.accessories for a in read.values() if a)
            unknown = {t for t in missing if answers.get(t) is None} if nested else set()
            self._remember(
                registry, repository, {t: a for t, a in answers.items() if t not in unknown}
            )
            if not nested:
                self._keep_complete(registry, repository)

        self._then(key, asked, finish)

    def _keep_complete(self, registry: str, repository: str) -> None:
        with self._lock:
            self._complete.add((registry, repository))

    def _by_tags_is_cheaper(self, tags: int, pages: int) -> bool:
        """Per-tag requests or the remaining pages, all concurrent: fewer rounds wins, then
        fewer requests."""
        width = max(1, self.concurrency)
        return (math.ceil(tags / width), tags) <= (math.ceil(pages / width), pages)

    def _fan_out(
        self, request: Callable[..., _T], calls: list[tuple[Any, ...]]
    ) -> list[Future[_T]]:
        if calls and self._pool is None:  # a read after `settle`, or with nothing prefetched
            self._pool = ThreadPoolExecutor(max_workers=max(1, self.concurrency))
        return [self._pool.submit(request, *call) for call in calls] if self._pool else []

    def _then(
        self, key: tuple[str, str, str], futures: list[Future[Any]], finish: Callable[[], None]
    ) -> None:
        """What to do once `futures` have answered: run by the thread that waits for `key`
        (never by a worker, which must not wait for other jobs of its own pool)."""
        with self._lock:
            self._followups.setdefault(key, []).append((futures, finish))

    def _remember(
        self, registry: str, repository: str, answers: Mapping[str, ArtifactInfo | None]
    ) -> None:
        with self._lock:
            for tag, artifact in answers.items():
                self._artifacts[(registry, repository, tag)] = artifact


def _reached(artifacts: Iterable[ArtifactInfo], seen: Mapping[str, object]) -> list[str]:
    """The digests `artifacts` reference or carry (children, accessories) not yet `seen`."""
    reached = (d for a in artifacts for d in (*a.children, *(x.digest for x in a.accessories)))
    return sorted({d for d in reached if d not in seen})


def _digest_key(registry: str, repository: str, digest: str) -> tuple[str, str, str]:
    """The key of a digest asked ahead on its own (`_ask_digest`) in `_pending`."""
    return ("digest", registry, f"{repository}@{digest}")


def _listable(reference: str) -> bool:
    """Whether a list read whole can say that this tag is absent: not for a digest (an
    accessory or untagged child is in no list), nor for a cosign signature's tag (its
    accessory may have no subject in the repository, and no list item names it)."""
    return ":" not in reference and cosign_subject(reference) is None


def _by_tag(artifacts: Iterable[ArtifactInfo]) -> dict[str, ArtifactInfo | None]:
    return {info.name: artifact for artifact in artifacts for info in artifact.tags}


def _project_and_rest(repository: str) -> tuple[str, str]:
    """`p/app/api` as Harbor's artifact API names it: project `p`, repository `app/api`."""
    project, _, rest = repository.partition("/")
    return project, rest
