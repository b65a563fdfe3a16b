"""Harbor's v2.0 API, the questions tagguard asks it.

* `rules(project)`: `GET /projects/{p}/immutabletagrules`, every page. The project is
  sent by name with `X-Is-Resource-Name: true`, else an all-digit name is read as an id.
  403 (developers, guests, robots without `immutable-tag:list`) is an answer, not a failure,
  and so is 401 to a request without credentials (Harbor's answer to anonymous access, a
  public project's included): the verdicts then rest on Harbor's own flag.
* `artifact(project, repository, reference)`: `GET .../repositories/{r}/artifacts/{ref}`,
  the repository double URL-encoded, for the whole artifact in one request: its tags with
  Harbor's `immutable` flag, an index's children, its accessories and its labels. A 404
  means "absent" only when it is Harbor's NOT_FOUND for that artifact or repository; any
  other 404 (a route Harbor does not have, a project that does not exist) is an error, so a
  mis-encoded request can never pass for an absent tag.
* `artifacts(project, repository)` / `artifacts_page(...)`: the repository's artifact list,
  each artifact as whole as `artifact` gives it.
* `project(name)`: whether a project exists and is a proxy cache.
* `version()`: `GET /systeminfo` for `harbor_version`, which picks the glob.

Every list is read in ascending id order and read whole or not at all: Harbor pages with
LIMIT/OFFSET, and a list without a stable order (the rules have none) or ordered by push
time (artifacts, tags, repositories by default) can repeat one item and skip another between
pages. tagguard therefore sends `sort=id` and checks that no id comes twice and that the ids
add up to `X-Total-Count`, which must not change between pages; otherwise it fails (exit 2).

A 412 on a read is never immutability: Harbor's vulnerability and signature middlewares
refuse a pull with code PROJECTPOLICYVIOLATION, which `policy_refusal` words as such.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

from tagguard.core.harbor_version import AT_LEAST_2_13
from tagguard.core.record import record
from tagguard.core.reference import is_digest, validate_digest
from tagguard.core.sanitize import printable, shortened
from tagguard.core.state import Accessory, ArtifactInfo, ProjectInfo, ProjectRules, TagInfo
from tagguard.errors import AuthError, RemoteError, TagguardError
from tagguard.shell.credentials import Credential
from tagguard.shell.http import Answer, Http, is_count

if TYPE_CHECKING:
    from tagguard.core.replication import Policy
    from tagguard.core.rules import Rule

API = "/api/v2.0"
PAGE_SIZE = 100  # Harbor's maximum; 101 answers 422
MAX_PAGES = 1000
_NEXT_LINK = r'<([^>]+)>\s*;\s*rel="next"'  # compiled on a first Link (the re module keeps it)
_BY_NAME = MappingProxyType({"X-Is-Resource-Name": "true"})
# The whole artifact in the one answer. The API's declared defaults (swagger.yaml, bound
# before the handler's `option` in src/server/v2.0/handler/artifact.go reads them) are
# with_tag true, with_accessory and with_label false; all are sent so that no default
# decides. Without with_immutable_status every tag's `immutable` is false.
# An index's `references` need no option: the artifact manager's `assemble`
# (src/pkg/artifact/manager.go) fills them for every index it returns, listed or single.
_WHOLE = "with_tag=true&with_immutable_status=true&with_accessory=true&with_label=true"
# Ascending id on every list. Each route below takes `sort` (swagger.yaml: ListImmuRules,
# listArtifacts, listTags, listAllRepositories; their handlers pass it to BuildQuery). A key
# Harbor's model does not know is dropped without an error (`setSorts`, src/lib/orm/query.go)
# and the default order comes back, so each key is the model's own id column:
_SORT_RULES = "sort=id"  # ImmutableRule.ID, column(id); the model has no default order
_SORT_ARTIFACTS = "sort=id"  # Artifact.ID, column(id); default: push_time desc, id desc
_SORT_TAGS = "sort=id"  # Tag.ID, column(id); default: push_time desc, id desc
# RepoRecord's id column is `repository_id` (src/pkg/repository/model/model.go): `sort=id`
# would be dropped and creation time desc used. The answer calls the same value `id`.
_SORT_REPOSITORIES = "sort=repository_id"
_SORT_POLICIES = "sort=id"  # ReplicationPolicy.ID, column(id)

# An artifact answer with this many tags or more has its tags read again from the artifact's
# own tag list (one more request, paged and checked). Harbor itself cuts nothing: its
# `populateTags` (src/controller/artifact/controller.go) lists every tag of the artifact with
# no page size, for a single artifact and for each item of a list alike, and beego's row
# limit is off (`orm.DefaultRowsLimit = -1` in src/common/dao/base.go, v1.10 to v2.15). The one
# cut a server could make is by the `page_size` swagger declares on getArtifact (Harbor's
# handler ignores it): tagguard sends PAGE_SIZE, so only an answer that reaches it can be a
# cut page. Below it, an answer is whole and a list page costs its one request.
SUSPECT_TAG_COUNT = PAGE_SIZE


def encode_repository(repository: str) -> str:
    """Harbor wants '/' in repository names encoded twice: team/app -> team%252Fapp."""
    return quote(quote(repository, safe=""), safe="")


@record
class _Page:
    """One page of a list answer: its items, and its X-Total-Count (None if it sent none)."""

    items: list[Any]
    total: int | None


@record
class RulesPage:
    """One page of a project's rules as Harbor sent them, its X-Total-Count, and the rules
    read from it by the thread that fetched it, so that reading overlaps the pages still in
    flight: read as the page starting at `start` (where the full pages before it end), or
    None when the page would not read (the whole list is then read again, in order, so that
    the first problem is named as it would be otherwise)."""

    items: list[Any]
    total: int | None
    start: int
    rules: tuple[Rule, ...] | None


@record
class _Listing:
    """Every item of a paged list, and the X-Total-Count its pages agreed on (None if they
    sent none)."""

    items: tuple[Any, ...]
    total: int | None


@record(frozen=False)
class HarborClient:
    http: Http
    base_url: str  # e.g. https://harbor.example.com (no trailing slash)
    credential: Credential | None = None

    @property
    def host(self) -> str:
        return self.base_url.split("://", 1)[1]

    # -- questions ---------------------------------------------------------------------

    def version(self) -> str | None:
        """Harbor's version string (`v2.11.0-abc123`); `AT_LEAST_2_13` when an anonymous
        answer lacks it; None when it cannot be told.

        From v2.13.0 Harbor sends `harbor_version` only to an authenticated caller
        (`GetSystemInfo` sets WithProtectedInfo only when `sc.IsAuthenticated()`,
        src/server/v2.0/handler/systeminfo.go); every older release sends it to everyone. So
        an anonymous answer that is Harbor's (it carries `auth_mode`, which every release
        sends to everyone) and lacks the version comes from Harbor >= 2.13. An authenticated
        answer without it says nothing (a proxy may have stripped it): unknown."""
        what = "reading Harbor's version"
        data = self._json(self._get(f"{API}/systeminfo", what), what)
        if not isinstance(data, dict):
            return None
        version = data.get("harbor_version")
        if isinstance(version, str) and version:
            return version
        if self.credential is None and isinstance(data.get("auth_mode"), str):
            return AT_LEAST_2_13
        return None

    def rules(self, project: str) -> ProjectRules:
        """Every rule of the project, its pages asked by number one after another: the
        same `rules_page` and `rules_from` a caller uses to ask the pages after the first
        at once. A 403 on any page is the answer, and no later page is asked."""
        first = self.rules_page(project, 1)
        if first is None:
            return ProjectRules(None, self.rules_forbidden())
        pages = [first]
        for number in range(2, rule_pages(first.total) + 1):
            page = self.rules_page(project, number)
            if page is None:
                return ProjectRules(None, self.rules_forbidden())
            pages.append(page)
        return self.rules_from(project, pages)

    def rules_page(self, project: str, page: int) -> RulesPage | None:
        """One page (100) of the project's rules as Harbor sends them, its X-Total-Count
        and the rules read from it (`RulesPage`); None when the credentials may not list
        them (403; 401 without credentials)."""
        return self.rules_page_unread(project, page)[1]()

    def rules_page_unread(
        self, project: str, page: int
    ) -> tuple[int | None, Callable[[], RulesPage | None]]:
        """`rules_page`'s request alone: the count its answer declares (`declared_count`),
        to plan the next requests by, and the call that reads the answer as `rules_page`
        does, raising what it raises."""
        what = f"reading the immutability rules of project {project!r}"
        path = (
            f"{_project_path(project)}/immutabletagrules?{_SORT_RULES}"
            f"&page={page}&page_size={PAGE_SIZE}"
        )
        # handler/immutable.go ListImmuRules -> base.go RequireProjectAccess: a caller who
        # may not list is refused with 401 when not authenticated, 403 otherwise. A 401 to
        # credentials stays an error (wrong ones), and so does one to anonymous access to a
        # project it may not read: the artifact reads then fail too.
        refused = self._refusals()
        answer = self._get(path, what, headers=_BY_NAME, allow_statuses=refused)
        return declared_count(answer), partial(self._read_rules_page, answer, what, project, page)

    def _read_rules_page(
        self, answer: Answer, what: str, project: str, page: int
    ) -> RulesPage | None:
        if answer.status in self._refusals():
            return None
        read = self._page(answer, what)
        # Every page the count makes is asked at once (`rule_pages`).
        self._check_countable(read.total, what, "rules")
        start = (page - 1) * PAGE_SIZE
        # The rule reader (and with it the rule matcher) is loaded by the first thread that
        # reads a page of rules, not before the first request (tagguard.check).
        from tagguard.core.rules import parse_rules

        try:
            rules: tuple[Rule, ...] | None = parse_rules(
                read.items, self._rules_source(project), start
            )
        except TagguardError:
            rules = None  # `rules_from` reads the list again and names the problem
        return RulesPage(read.items, read.total, start, rules)

    def rules_from(self, project: str, pages: Sequence[RulesPage]) -> ProjectRules:
        """The rules of pages read apart: one count on every page, no rule twice, as many as
        counted (else the list changed while it was read: exit 2, never a guess)."""
        what = f"reading the immutability rules of project {project!r}"
        totals = [page.total for page in pages]
        for before, after in itertools.pairwise(totals):
            self._check_same_count(before, after, what)
        rules = _rules_as_read(pages)
        if rules is None:
            from tagguard.core.rules import parse_rules  # see rules_page

            items = [item for page in pages for item in page.items]
            try:
                rules = parse_rules(items, self._rules_source(project))
            except TagguardError as error:
                raise RemoteError(error.message) from None
        self._check_whole([rule.id for rule in rules], totals[0], what, "rule")
        return ProjectRules(rules)

    def _rules_source(self, project: str) -> str:
        return f"rules of project {project!r} from {self.host}"

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        """The whole artifact `reference` (a tag or digest) names, in one request; None if
        it does not exist. `repository` is the name inside the project (`team/app` of
        `proj/team/app`).

        Harbor's answer lists each accessory by digest and type only, without its tags: an
        accessory's tags (e.g. a cosign `sha256-<hex>.sig`) are read with
        `artifact(project, repository, accessory.digest)`, one request each."""
        return self.artifact_unread(project, repository, reference)()

    def artifact_unread(
        self, project: str, repository: str, reference: str
    ) -> Callable[[], ArtifactInfo | None]:
        """`artifact`'s request alone: the call that reads its answer as `artifact` does
        (which may ask for the rest of an artifact's tags), raising what it raises."""
        what = (
            f"reading {project}/{repository}:{reference}"
            if ":" not in reference
            else f"reading {project}/{repository}@{reference}"
        )
        # page_size: see SUSPECT_TAG_COUNT.
        path = (
            f"{_artifacts_path(project, repository)}/{quote(reference, safe='')}"
            f"?{_WHOLE}&page_size={PAGE_SIZE}"
        )
        answer = self._get(path, what, allow_statuses=(404,))
        return partial(self._read_artifact, answer, what, project, repository)

    def _read_artifact(
        self, answer: Answer, what: str, project: str, repository: str
    ) -> ArtifactInfo | None:
        if answer.status == 404:
            if _is_absent(answer):
                return None
            raise self._unexpected(answer, what)
        found = _artifact_info(self._json(answer, what), what, self.host)
        return self._with_every_tag(found, project, repository, what)

    def artifacts(self, project: str, repository: str) -> list[ArtifactInfo]:
        """Every artifact of `project/repository` that Harbor lists, whole (see
        `artifact`), every page.

        Harbor's list leaves out every accessory, tagged or not (`setAccessoryQuery`,
        src/pkg/artifact/dao/dao.go), and every untagged child of an index (`setBaseQuery`):
        a `sha256-<hex>.sig` tag lives on an accessory, so it is in no list item. Such
        artifacts appear only by digest, in their subject's `accessories` or their index's
        `children`; `artifact(project, repository, digest)` reads one, with its tags."""
        what = _listing_artifacts(project, repository)
        first = f"{_artifacts_path(project, repository)}?{_list_query(1)}"
        listing = self._list(first, what)

        def whole(ids: list[int]) -> None:
            self._check_whole(ids, listing.total, what, "artifact")

        return self._whole_artifacts(listing.items, whole, project, repository, what)

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        """One page (PAGE_SIZE, ascending id) of a repository's artifacts, whole (see
        `artifact`), and the artifact count Harbor reports (X-Total-Count, always given).
        An absent repository has none. Accessories and untagged children are in no page
        (see `artifacts`). The page must hold exactly its share of the count;
        pages read by separate calls can still overlap or miss an artifact if the list
        changes in between: `check_pages` checks them together."""
        return self.artifacts_page_unread(project, repository, page)[1]()

    def artifacts_page_unread(
        self, project: str, repository: str, page: int
    ) -> tuple[int | None, Callable[[], tuple[list[ArtifactInfo], int | None]]]:
        """`artifacts_page`'s request alone: the count its answer declares
        (`declared_count`), to plan the next requests by, and the call that reads the
        answer as `artifacts_page` does, raising what it raises."""
        what = _listing_artifacts(project, repository)
        path = f"{_artifacts_path(project, repository)}?{_list_query(page)}"
        answer = self._get(path, what, allow_statuses=(404,))
        read = partial(self._read_artifacts_page, answer, what, project, repository, page)
        return declared_count(answer), read

    def _read_artifacts_page(
        self, answer: Answer, what: str, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        if answer.status == 404:
            if _is_absent(answer):
                return [], 0
            raise self._unexpected(answer, what)
        read = self._page(answer, what)
        total = read.total
        if total is None:
            raise RemoteError(f"{what}: {self.host} did not say how many artifacts there are")
        # The live sources ask every page the count makes at once (`LiveSources.artifacts`).
        self._check_countable(total, what, "artifacts")
        share = max(0, min(PAGE_SIZE, total - (page - 1) * PAGE_SIZE))

        def its_share(ids: list[int]) -> None:
            self._check_unique(ids, what, "artifact")
            if len(ids) != share:
                raise RemoteError(
                    f"{what}: {self.host} said {total} artifacts, so page {page} holds {share}, "
                    f"but it sent {len(ids)}"
                )

        return self._whole_artifacts(read.items, its_share, project, repository, what), total

    def project(self, name: str) -> ProjectInfo | None:
        """The project `name`, None if Harbor says it does not exist. One request.

        Harbor answers 404 only to a caller who could read any project (a system admin):
        its permission check runs first and, for a project that does not exist, refuses
        everyone else (403, or 401 when anonymous; `HasProjectPermission`,
        src/server/v2.0/handler/base.go). Those refusals are AuthErrors, as elsewhere."""
        what = f"reading project {name!r}"
        answer = self._get(_project_path(name), what, headers=_BY_NAME, allow_statuses=(404,))
        if answer.status == 404:
            if _is_absent_project(answer):
                return None
            raise self._unexpected(answer, what)
        data = self._json(answer, what)
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            raise RemoteError(f"{what}: {self.host} answered with something other than a project")
        if data["name"] != name:
            # An all-digit name read as an id would answer another project: never use it.
            raise RemoteError(
                f"{what}: {self.host} answered with project {printable(data['name'])!r}"
            )
        registry_id = data.get("registry_id")
        if registry_id is None:
            registry_id = 0
        if not isinstance(registry_id, int) or isinstance(registry_id, bool):
            raise RemoteError(f"{what}: {self.host}'s project has a registry_id that is no number")
        return ProjectInfo(proxy_cache=registry_id > 0)

    def policy(self, policy_id: int) -> Policy:
        """A replication policy, read whole (reading it needs system-level access)."""
        what = f"reading replication policy {policy_id}"
        answer = self._get(f"{API}/replication/policies/{policy_id}", what, allow_statuses=(404,))
        if answer.status == 404:
            raise RemoteError(f"{what}: {self.host} has no replication policy {policy_id}")
        where = f"replication policy {policy_id} from {self.host}"
        from tagguard.core.replication import parse_policy  # a replication check's only

        return parse_policy(self._json(answer, what), where)

    def policies(self) -> list[Policy] | None:
        """Every replication policy; None when the credentials may not list them
        (listing policies needs system-level access: 403, or no credentials at all)."""
        if self.credential is None:
            return None
        what = "listing replication policies"
        first = f"{API}/replication/policies?{_SORT_POLICIES}&page=1&page_size={PAGE_SIZE}"
        listing = self._pages(first, what, forbidden_is_an_answer=True)
        if listing is None:
            return None
        ids = [item.get("id") if isinstance(item, dict) else None for item in listing.items]
        if not all(isinstance(i, int) for i in ids):
            raise RemoteError(f"{what}: {self.host} sent a policy without an id")
        self._check_whole(
            [int(i) for i in ids if isinstance(i, int)], listing.total, what, "policy", "policies"
        )
        from tagguard.core.replication import parse_policy  # a replication check's only

        return [parse_policy(p, f"a replication policy from {self.host}") for p in listing.items]

    def repositories(self) -> list[str]:
        """Every repository the credentials may see, as full `project/repo` names."""
        what = "listing repositories"
        first = f"{API}/repositories?{_SORT_REPOSITORIES}&page=1&page_size={PAGE_SIZE}"
        listing = self._list(first, what)
        names: list[str] = []
        ids: list[int] = []
        for item in listing.items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise RemoteError(f"{what}: {self.host} sent a repository without a name")
            ids.append(_item_id(item, what, self.host, "repository"))
            names.append(item["name"])
        self._check_whole(ids, listing.total, what, "repository", "repositories")
        return names

    # -- whole artifacts -------------------------------------------------------------------

    def _whole_artifacts(
        self,
        items: Iterable[Any],
        check: Callable[[list[int]], None],
        project: str,
        repository: str,
        what: str,
    ) -> list[ArtifactInfo]:
        """The artifacts of a list answer's items, each with every tag, once `check` has
        passed their ids (a whole list's count, or one page's share of it)."""
        ids: list[int] = []
        found: list[ArtifactInfo] = []
        host = self.host
        for item in items:
            found.append(_artifact_info(item, what, host))
            ids.append(_item_id(item, what, host, "artifact"))
        check(ids)
        return [self._with_every_tag(a, project, repository, what) for a in found]

    def _with_every_tag(
        self, artifact: ArtifactInfo, project: str, repository: str, what: str
    ) -> ArtifactInfo:
        if len(artifact.tags) < SUSPECT_TAG_COUNT:
            return artifact
        path = (
            f"{_artifacts_path(project, repository)}/{quote(artifact.digest, safe='')}/tags"
            f"?with_immutable_status=true&{_SORT_TAGS}&page=1&page_size={PAGE_SIZE}"
        )
        listing = self._list(path, what)
        tags = tuple(_tag_info(item, what, self.host) for item in listing.items)
        ids = [_item_id(item, what, self.host, "tag") for item in listing.items]
        self._check_whole(ids, listing.total, what, "tag")
        return ArtifactInfo(
            artifact.digest, tags, artifact.children, artifact.accessories, artifact.labels
        )

    # -- paging ----------------------------------------------------------------------------

    def _list(self, first: str, what: str) -> _Listing:
        listing = self._pages(first, what)
        assert listing is not None  # None only answers forbidden_is_an_answer
        return listing

    def _pages(
        self,
        first: str,
        what: str,
        *,
        headers: Mapping[str, str] | None = None,
        forbidden_is_an_answer: bool = False,
    ) -> _Listing | None:
        """Every page of a list answer, following Link rel="next"; None for a 403 when
        `forbidden_is_an_answer`. Every page must report the same X-Total-Count: a count
        that moves means the list changed under the reading, and pages can then repeat or
        skip an item."""
        path: str | None = first
        allowed = (403,) if forbidden_is_an_answer else ()
        items: list[Any] = []
        total: int | None = None
        for number in range(1, MAX_PAGES + 1):
            assert path is not None
            answer = self._get(path, what, headers=headers, allow_statuses=allowed)
            if answer.status == 403:
                return None
            read = self._page(answer, what)
            if number > 1:
                self._check_same_count(total, read.total, what)
            total = read.total
            items.extend(read.items)
            path = self._next(answer, what)
            if path is None or not read.items:
                return _Listing(tuple(items), total)
        raise RemoteError(f"{what}: {self.host} kept paging past {MAX_PAGES} pages")

    def _page(self, answer: Answer, what: str) -> _Page:
        """The items and X-Total-Count of one page of a list (a 200 answer): every list is
        read page by page through here."""
        items = self._json(answer, what)
        if not isinstance(items, list):
            raise RemoteError(f"{what}: {self.host} answered with something other than a list")
        return _Page(items, _int_header(answer, "x-total-count", None))

    def _check_countable(self, total: int | None, what: str, nouns: str) -> None:
        """A count of more than MAX_PAGES pages is refused on the first page: every page it
        makes is asked at once, so a count that is a lie would have tagguard plan more
        requests than it could ever make (and it computes, so no deadline stops it)."""
        if total is not None and total > MAX_PAGES * PAGE_SIZE:
            raise RemoteError(
                f"{what}: {self.host} counts {total} {nouns}, more than the {MAX_PAGES} "
                f"pages of {PAGE_SIZE} tagguard reads"
            )

    def _check_same_count(self, before: int | None, after: int | None, what: str) -> None:
        """Pages of one list must report one X-Total-Count: a count that moves means the
        list changed under the reading, and pages can then repeat or skip an item."""
        if after != before:
            raise RemoteError(
                f"{what}: {self.host}'s count went from {before} to {after} between pages: "
                "the list changed while tagguard read it"
            )

    def _check_whole(
        self, ids: list[int], total: int | None, what: str, noun: str, nouns: str = ""
    ) -> None:
        """No id twice, and as many as Harbor counted: else the pages overlapped or missed
        something, and any verdict built on them would be a guess."""
        nouns = nouns or f"{noun}s"
        if total is None:
            raise RemoteError(f"{what}: {self.host} did not say how many {nouns} there are")
        self._check_unique(ids, what, noun)
        if len(ids) != total:
            raise RemoteError(f"{what}: {self.host} said {total} {nouns} but sent {len(ids)}")

    def _check_unique(self, ids: list[int], what: str, noun: str) -> None:
        seen: set[int] = set()
        for item_id in ids:
            if item_id in seen:
                raise RemoteError(
                    f"{what}: {self.host} sent {noun} id {item_id} twice: "
                    "its pages overlapped, so another may be missing"
                )
            seen.add(item_id)

    def rules_forbidden(self) -> str:
        """Why the rules are unreadable, and what would let them be read, without
        parentheses: the reason ends up inside a decision's own.

        Harbor lets the projectAdmin and maintainer roles list immutability rules
        (src/common/rbac/project/rbac_role.go, `ResourceImmutableTag`/`ActionList`); a robot
        needs that permission in its own list (src/common/rbac/const.go)."""
        who = self.credential.username if self.credential else "anonymous access"
        if who.startswith("robot"):
            may = "a robot may list only with the immutable-tag list permission"
        else:
            may = "only a maintainer or project admin may list"
        if self.credential is None:  # 401 from Harbor itself (RequireProjectAccess)
            return f"Harbor lets no anonymous access list the project's immutability rules: {may}"
        return f"Harbor answers 403 to {who} for the project's immutability rules, which {may}"

    def _refusals(self) -> tuple[int, ...]:
        """The statuses that say "these credentials may not list the rules"."""
        return (403,) if self.credential else (401, 403)

    # -- plumbing ------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        what: str,
        *,
        headers: Mapping[str, str] | None = None,
        allow_statuses: tuple[int, ...] = (),
    ) -> Answer:
        url = self._url(path)
        sent = {"Accept": "application/json", **(headers or {})}
        auth = self.credential.basic_header() if self.credential else None
        answer = self.http.request("GET", url, headers=sent, auth_header=auth, what=what)
        if answer.status == 200 or answer.status in allow_statuses:
            return answer
        if answer.status == 401:
            who = f"the credentials of {self.credential}" if self.credential else "anonymous access"
            raise AuthError(
                f"{what}: {self.host} refused {who} (401); give credentials that may read it"
            )
        if answer.status == 403:
            raise AuthError(
                f"{what}: {self.host} forbids it for {self.credential or 'anonymous access'} (403)"
            )
        refusal = policy_refusal(answer, what, self.host)
        if refusal is not None:
            raise refusal
        raise self._unexpected(answer, what)

    def _unexpected(self, answer: Answer, what: str) -> RemoteError:
        """An answer none of the cases above expects (e.g. a 404 that is not Harbor's
        NOT_FOUND for what was asked): its status and Harbor's first error, if any."""
        return RemoteError(
            f"{what}: {self.host} answered {answer.status} {_error_text(answer)}".rstrip()
        )

    def _url(self, path: str) -> str:
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def _next(self, answer: Answer, what: str) -> str | None:
        """The next page's path. A Link to another scheme, host or port is refused: the
        credentials go with every page, and Harbor's links are always its own paths."""
        path = _next_link(answer)
        if path is None:
            return None
        base = urlsplit(self.base_url)
        try:
            target = urlsplit(self._url(path))
        except ValueError:  # an open `[`: no URL at all, so not Harbor's own
            target = urlsplit("")
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise RemoteError(
                f"{what}: {self.host} sent a next-page link to {printable(path)!r}, "
                f"outside {self.base_url}"
            )
        return path

    def _json(self, answer: Answer, what: str) -> Any:
        given = (answer.header("content-type") or "").split(";")[0].strip()
        content_type = given.lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            # As sent, not lowercased: the redactor finds a secret quoted in it only as is.
            shown = shortened(printable(given), 100) or "no content type"
            raise RemoteError(
                f"{what}: {self.host} answered with {shown}, not JSON: is {self.base_url} a Harbor?"
            )
        try:
            return json.loads(answer.body)
        except (ValueError, RecursionError):
            raise RemoteError(f"{what}: {self.host} answered with malformed JSON") from None


def check_pages(
    pages: Iterable[tuple[list[ArtifactInfo], int | None]], what: str, host: str
) -> None:
    """Pages of one repository read by separate `artifacts_page` calls, taken together: the
    same count on each, no artifact twice (a digest is unique in a repository), and as many
    as counted. A RemoteError otherwise: the list changed between the calls."""
    totals: set[int | None] = set()
    digests: set[str] = set()
    count = 0
    for artifacts, total in pages:
        totals.add(total)
        for artifact in artifacts:
            if artifact.digest in digests:
                raise RemoteError(
                    f"{what}: {host} listed {artifact.digest} on two pages: the list changed "
                    "while tagguard read it"
                )
            digests.add(artifact.digest)
            count += 1
    if len(totals) > 1 or None in totals:
        raise RemoteError(f"{what}: {host}'s artifact count changed while tagguard read it")
    if totals and count != next(iter(totals)):
        raise RemoteError(
            f"{what}: {host} said {next(iter(totals))} artifacts but its pages held {count}"
        )


def policy_refusal(answer: Answer, what: str, host: str) -> RemoteError | None:
    """The error for a read Harbor refuses under the project's policy, None for any other
    answer. Harbor's registry middlewares refuse a manifest GET/HEAD with 412 and code
    PROJECTPOLICYVIOLATION when the project prevents vulnerable images from being pulled
    (src/server/middleware/vulnerable/vulnerable.go, e.g. "current image with 3
    vulnerabilities cannot be pulled due to configured policy ...") or requires a cosign or
    notation signature (src/server/middleware/contenttrust/contentrust.go, "The image is not
    signed by cosign."). The status alone says nothing: the immutability refusal of a write
    is 412 too (code PRECONDITION)."""
    if answer.status != 412:
        return None
    for error in _errors(answer):
        if error.get("code") != "PROJECTPOLICYVIOLATION":
            continue
        said = shortened(printable(str(error.get("message") or "")).strip(), 300)
        return RemoteError(
            f"{what}: {host} refuses to serve the image because the project's policy forbids "
            "pulling it (it blocks vulnerable or unsigned images)" + (f": {said}" if said else "")
        )
    return None


def _project_path(project: str) -> str:
    return f"{API}/projects/{quote(project, safe='')}"


def _artifacts_path(project: str, repository: str) -> str:
    return f"{_project_path(project)}/repositories/{encode_repository(repository)}/artifacts"


def _listing_artifacts(project: str, repository: str) -> str:
    return f"listing the artifacts of {project}/{repository}"


def _list_query(page: int) -> str:
    return f"{_WHOLE}&{_SORT_ARTIFACTS}&page={page}&page_size={PAGE_SIZE}"


def _rules_as_read(pages: Sequence[RulesPage]) -> tuple[Rule, ...] | None:
    """The rules the pages' threads read, when every page read and each started where the
    pages before it ended (the indexes the rules hold, and name in errors, are then the
    list's); else None."""
    rules: list[Rule] = []
    for page in pages:
        if page.rules is None or page.start != len(rules):
            return None
        rules.extend(page.rules)
    return tuple(rules)


def declared_count(answer: Answer) -> int | None:
    """The X-Total-Count of a list page answered 200, if it is a count; else None (no
    count, or an answer that is not a page: its reading says what is wrong)."""
    if answer.status != 200:
        return None
    try:
        return _int_header(answer, "x-total-count", None)
    except RemoteError:
        return None


def rule_pages(total: int | None) -> int:
    """How many pages of 100 a count of rules takes (at least the first)."""
    return max(1, math.ceil((total or 0) / PAGE_SIZE))


def _int_header(answer: Answer, name: str, previous: int | None) -> int | None:
    value = answer.header(name)
    if value is None:
        return previous
    if not is_count(value.strip()):
        raise RemoteError(f"{name} header {value!r} from {answer.url.split('/')[2]} is not a count")
    return int(value)


def _next_link(answer: Answer) -> str | None:
    link = answer.header("link")
    if not link:
        return None
    found = re.search(_NEXT_LINK, link)
    return found.group(1) if found else None


def _errors(answer: Answer) -> list[dict[str, Any]]:
    try:
        data = json.loads(answer.body)
    except (ValueError, RecursionError):
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _error_text(answer: Answer) -> str:
    errors = _errors(answer)
    if errors:
        first = errors[0]
        return shortened(f"{first.get('code', '')}: {first.get('message', '')}", 300)
    return ""


def _not_found_messages(answer: Answer) -> list[str]:
    return [str(e.get("message", "")) for e in _errors(answer) if e.get("code") == "NOT_FOUND"]


def _is_absent(answer: Answer) -> bool:
    """Harbor's NOT_FOUND for the artifact (or for its repository): the tag does not exist.
    A project that does not exist, or a 404 that is not Harbor's error shape, is not that."""
    return any(
        m.startswith(("artifact ", "repository ")) and m.endswith("not found")
        for m in _not_found_messages(answer)
    )


def _is_absent_project(answer: Answer) -> bool:
    """Harbor's NOT_FOUND for a project: "project <name> not found" (`GetByName`,
    src/pkg/project/dao/dao.go)."""
    return any(
        m.startswith("project ") and m.endswith("not found") for m in _not_found_messages(answer)
    )


def _item_id(item: Any, what: str, host: str, noun: str) -> int:
    value = item.get("id") if isinstance(item, dict) else None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RemoteError(f"{what}: {host} sent a {noun} without an id")
    return value


# Where a digest is, in an error: formatted with the host only when one is raised (an
# artifact list holds a digest per artifact, child and accessory).
_OF_ARTIFACT = "{host}'s artifact"
_OF_REFERENCE = "a reference of {host}'s artifact"
_OF_ACCESSORY = "an accessory of {host}'s artifact"


def _digest(value: Any, what: str, host: str, place: str) -> str:
    if isinstance(value, str) and is_digest(value):
        return value
    where = place.format(host=host)
    if not isinstance(value, str):
        raise RemoteError(f"{what}: {where} has no digest")
    try:
        return validate_digest(value, f"{what}: {where}")
    except TagguardError as error:
        raise RemoteError(error.message) from None


def _list_field(data: dict[str, Any], key: str, what: str, host: str) -> list[Any]:
    """A list field of an artifact; absent and null are empty, as Go omits or nulls them."""
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise RemoteError(f"{what}: {host}'s artifact {key} are not a list")
    return value


def _artifact_info(data: Any, what: str, host: str) -> ArtifactInfo:
    """The whole artifact of one answer (single or list item). Most artifacts have no
    children, accessories or labels: those fields cost a look each."""
    if not isinstance(data, dict):
        raise RemoteError(f"{what}: {host} answered with something other than an artifact")
    digest = _digest(data.get("digest"), what, host, _OF_ARTIFACT)
    tags = tuple([_tag_info(item, what, host) for item in _list_field(data, "tags", what, host)])
    references = _list_field(data, "references", what, host)
    children = _children(references, what, host) if references else ()
    listed = _list_field(data, "accessories", what, host)
    accessories = _accessories(listed, what, host) if listed else ()
    labelled = _list_field(data, "labels", what, host)
    labels = _labels(labelled, what, host) if labelled else ()
    # populateTags (src/controller/artifact/controller.go) lists the tags with the tag
    # model's default sorts, as copyDeeply's source is read: the answer's order is Harbor's.
    return ArtifactInfo(digest, tags, children, accessories, labels, tags_in_harbor_order=True)


def _children(references: list[Any], what: str, host: str) -> tuple[str, ...]:
    children: list[str] = []
    for item in references:
        value = item.get("child_digest") if isinstance(item, dict) else None
        children.append(_digest(value, what, host, _OF_REFERENCE))
    return tuple(dict.fromkeys(children))


def _accessories(listed: list[Any], what: str, host: str) -> tuple[Accessory, ...]:
    accessories: list[Accessory] = []
    for item in listed:
        value = item.get("digest") if isinstance(item, dict) else None
        accessory = _digest(value, what, host, _OF_ACCESSORY)
        kind = item.get("type")
        if not isinstance(kind, str) or not kind:
            raise RemoteError(f"{what}: {host} sent accessory {accessory} without a type")
        accessories.append(Accessory(accessory, kind))
    return tuple(dict.fromkeys(accessories))


def _labels(labelled: list[Any], what: str, host: str) -> tuple[str, ...]:
    labels: list[str] = []
    for item in labelled:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise RemoteError(f"{what}: {host} sent a label without a name")
        labels.append(item["name"])
    return tuple(dict.fromkeys(labels))


def _tag_info(item: Any, what: str, host: str) -> TagInfo:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise RemoteError(f"{what}: {host} sent a tag without a name")
    immutable = item.get("immutable")
    if not isinstance(immutable, bool):
        # Without with_immutable_status Harbor says false for every tag: never trust absence.
        raise RemoteError(
            f"{what}: {host} did not report whether tag {item['name']!r} is immutable"
        )
    return TagInfo(item["name"], immutable, _push_time(item.get("push_time")))


def _push_time(value: object) -> datetime | None:
    """A tag's `push_time` (swagger `Tag.push_time`, a date-time such as
    2024-03-05T10:11:12.345Z). Only which tag is newest rests on it, and an unknown time
    makes tagguard replay every tag that may be: so an absent or unreadable one is None,
    never an error."""
    if not isinstance(value, str):
        return None
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)
