"""Harbor's v2.0 API, the three questions tagguard asks it.

* `rules(project)`: `GET /projects/{p}/immutabletagrules`, every page. The project is
  sent by name with `X-Is-Resource-Name: true`, else an all-digit name is read as an id.
  403 (developers, guests, robots without `immutable-tag:list`) is an answer, not a failure:
  the verdicts then rest on Harbor's own flag.
* `artifact(project, repository, reference)`: `GET .../repositories/{r}/artifacts/{ref}`
  with `with_tag` and `with_immutable_status`, the repository double URL-encoded. A 404 means
  "absent" only when it is Harbor's NOT_FOUND for that artifact or repository; any other 404
  (a route Harbor does not have, a project that does not exist) is an error, so a
  mis-encoded request can never pass for an absent tag.
* `version()`: `GET /systeminfo` for `harbor_version`, which picks the glob.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from tagguard.core.reference import validate_digest
from tagguard.core.rules import parse_rules
from tagguard.core.sanitize import printable
from tagguard.core.state import ArtifactInfo, ProjectRules, TagInfo
from tagguard.errors import AuthError, RemoteError, TagguardError
from tagguard.shell.credentials import Credential
from tagguard.shell.http import Answer, Http, is_count

API = "/api/v2.0"
PAGE_SIZE = 100  # Harbor's maximum; 101 answers 422
MAX_PAGES = 1000
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


def encode_repository(repository: str) -> str:
    """Harbor wants '/' in repository names encoded twice: team/app -> team%252Fapp."""
    return quote(quote(repository, safe=""), safe="")


@dataclass
class HarborClient:
    http: Http
    base_url: str  # e.g. https://harbor.example.com (no trailing slash)
    credential: Credential | None = None

    @property
    def host(self) -> str:
        return self.base_url.split("://", 1)[1]

    # -- questions ---------------------------------------------------------------------

    def version(self) -> str | None:
        answer = self._get(f"{API}/systeminfo", "reading Harbor's version")
        data = self._json(answer, "reading Harbor's version")
        version = data.get("harbor_version") if isinstance(data, dict) else None
        return version if isinstance(version, str) and version else None

    def rules(self, project: str) -> ProjectRules:
        what = f"reading the immutability rules of project {project!r}"
        path: str | None = (
            f"{API}/projects/{quote(project, safe='')}/immutabletagrules?page=1&page_size={PAGE_SIZE}"
        )
        items: list[Any] = []
        total: int | None = None
        for _ in range(MAX_PAGES):
            assert path is not None
            answer = self._get(
                path, what, headers={"X-Is-Resource-Name": "true"}, allow_statuses=(403,)
            )
            if answer.status == 403:
                return ProjectRules(
                    None, f"the credentials may not list the rules of project {project!r} (403)"
                )
            page = self._json(answer, what)
            if not isinstance(page, list):
                raise RemoteError(
                    f"{what}: {self.host} answered with something other than a list of rules"
                )
            items.extend(page)
            total = _int_header(answer, "x-total-count", total)
            path = self._next(answer, what)
            if path is None or not page or (total is not None and len(items) >= total):
                break
        else:
            raise RemoteError(f"{what}: {self.host} kept paging past {MAX_PAGES} pages")
        if total is not None and len(items) < total:
            raise RemoteError(f"{what}: {self.host} said {total} rules but sent {len(items)}")
        try:
            return ProjectRules(
                parse_rules(items, f"rules of project {project!r} from {self.host}")
            )
        except TagguardError as error:
            raise RemoteError(error.message) from None

    def artifact(self, project: str, repository: str, reference: str) -> ArtifactInfo | None:
        """`repository` is the name inside the project (`team/app` of `proj/team/app`)."""
        what = (
            f"reading {project}/{repository}:{reference}"
            if ":" not in reference
            else f"reading {project}/{repository}@{reference}"
        )
        path = (
            f"{API}/projects/{quote(project, safe='')}/repositories/{encode_repository(repository)}"
            f"/artifacts/{quote(reference, safe='')}"
            f"?with_tag=true&with_immutable_status=true&page_size={PAGE_SIZE}"
        )
        answer = self._get(path, what, allow_statuses=(404,))
        if answer.status == 404:
            if _is_absent(answer, project):
                return None
            raise RemoteError(f"{what}: {self.host} answered 404 {_error_text(answer)}")
        data = self._json(answer, what)
        digest, tags = _artifact_fields(data, what, self.host)
        if len(tags) >= PAGE_SIZE:
            tags = self._all_tags(project, repository, digest, what)
        return ArtifactInfo(digest, tags)

    def policy(self, policy_id: int) -> Any:
        """The raw replication policy (reading it needs system-level access)."""
        what = f"reading replication policy {policy_id}"
        answer = self._get(f"{API}/replication/policies/{policy_id}", what, allow_statuses=(404,))
        if answer.status == 404:
            raise RemoteError(f"{what}: {self.host} has no replication policy {policy_id}")
        return self._json(answer, what)

    def repositories(self) -> list[str]:
        """Every repository the credentials may see, as full `project/repo` names."""
        what = "listing repositories"
        names: list[str] = []
        for page in self._pages(f"{API}/repositories?page=1&page_size={PAGE_SIZE}", what):
            for item in page:
                if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                    raise RemoteError(f"{what}: {self.host} sent a repository without a name")
                names.append(item["name"])
        return names

    def artifacts(self, project: str, repository: str) -> list[ArtifactInfo]:
        """Every artifact of `project/repository` with all its tags and their flags."""
        what = f"listing the artifacts of {project}/{repository}"
        base = f"{API}/projects/{quote(project, safe='')}/repositories/{encode_repository(repository)}/artifacts"
        query = f"?with_tag=true&with_immutable_status=true&page=1&page_size={PAGE_SIZE}"
        found: list[ArtifactInfo] = []
        for page in self._pages(base + query, what):
            for item in page:
                digest, tags = _artifact_fields(item, what, self.host)
                if len(tags) >= 10:  # a list answer may cut an artifact's tags short
                    tags = self._all_tags(project, repository, digest, what)
                found.append(ArtifactInfo(digest, tags))
        return found

    def artifacts_page(
        self, project: str, repository: str, page: int
    ) -> tuple[list[ArtifactInfo], int | None]:
        """One page (100) of a repository's artifacts with their tags and flags, and the
        artifact count Harbor reports (X-Total-Count). An absent repository has none."""
        what = f"listing the artifacts of {project}/{repository}"
        path = (
            f"{API}/projects/{quote(project, safe='')}/repositories/{encode_repository(repository)}"
            f"/artifacts?with_tag=true&with_immutable_status=true&page={page}&page_size={PAGE_SIZE}"
        )
        answer = self._get(path, what, allow_statuses=(404,))
        if answer.status == 404:
            if _is_absent(answer, project):
                return [], 0
            raise RemoteError(f"{what}: {self.host} answered 404 {_error_text(answer)}")
        items = self._json(answer, what)
        if not isinstance(items, list):
            raise RemoteError(f"{what}: {self.host} answered with something other than a list")
        found = []
        for item in items:
            digest, tags = _artifact_fields(item, what, self.host)
            if len(tags) >= 10:  # a list answer may cut an artifact's tags short
                tags = self._all_tags(project, repository, digest, what)
            found.append(ArtifactInfo(digest, tags))
        return found, _int_header(answer, "x-total-count", None)

    def _all_tags(
        self, project: str, repository: str, digest: str, what: str
    ) -> tuple[TagInfo, ...]:
        """Every tag of an artifact with more tags than one artifact answer carries."""
        path = (
            f"{API}/projects/{quote(project, safe='')}/repositories/{encode_repository(repository)}"
            f"/artifacts/{quote(digest, safe='')}/tags?with_immutable_status=true&page=1&page_size={PAGE_SIZE}"
        )
        return tuple(
            _tag_info(item, what, self.host) for page in self._pages(path, what) for item in page
        )

    def _pages(self, first: str, what: str) -> list[list[Any]]:
        """Every page of a list answer, following Link rel="next"."""
        path: str | None = first
        pages: list[list[Any]] = []
        for _ in range(MAX_PAGES):
            assert path is not None
            answer = self._get(path, what)
            page = self._json(answer, what)
            if not isinstance(page, list):
                raise RemoteError(f"{what}: {self.host} answered with something other than a list")
            pages.append(page)
            path = self._next(answer, what)
            if path is None or not page:
                return pages
        raise RemoteError(f"{what}: {self.host} kept paging past {MAX_PAGES} pages")

    # -- plumbing ------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        what: str,
        *,
        headers: dict[str, str] | None = None,
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
        raise RemoteError(
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
        target, base = urlsplit(self._url(path)), urlsplit(self.base_url)
        if (target.scheme, target.netloc) != (base.scheme, base.netloc):
            raise RemoteError(
                f"{what}: {self.host} sent a next-page link to {printable(path)!r}, "
                f"outside {self.base_url}"
            )
        return path

    def _json(self, answer: Answer, what: str) -> Any:
        content_type = (answer.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            shown = content_type or "no content type"
            raise RemoteError(
                f"{what}: {self.host} answered with {shown}, not JSON: is {self.base_url} a Harbor?"
            )
        try:
            return json.loads(answer.body)
        except (ValueError, RecursionError):
            raise RemoteError(f"{what}: {self.host} answered with malformed JSON") from None


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
    found = _NEXT_LINK.search(link)
    return found.group(1) if found else None


def _errors(answer: Answer) -> list[dict[str, Any]]:
    try:
        data = json.loads(answer.body)
    except ValueError:
        return []
    errors = data.get("errors") if isinstance(data, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def _error_text(answer: Answer) -> str:
    errors = _errors(answer)
    if errors:
        first = errors[0]
        return f"{first.get('code', '')}: {first.get('message', '')}"[:300]
    return ""


def _is_absent(answer: Answer, project: str) -> bool:
    """Harbor's NOT_FOUND for the artifact (or for its repository): the tag does not exist.
    A project that does not exist, or a 404 that is not Harbor's error shape, is not that."""
    for error in _errors(answer):
        if error.get("code") != "NOT_FOUND":
            continue
        message = str(error.get("message", ""))
        if message.startswith(("artifact ", "repository ")) and message.endswith("not found"):
            return True
    return False


def _artifact_fields(data: Any, what: str, host: str) -> tuple[str, tuple[TagInfo, ...]]:
    if not isinstance(data, dict):
        raise RemoteError(f"{what}: {host} answered with something other than an artifact")
    digest = data.get("digest")
    if not isinstance(digest, str):
        raise RemoteError(f"{what}: {host}'s artifact has no digest")
    try:
        validate_digest(digest, f"{what}: {host}'s artifact")
    except TagguardError as error:
        raise RemoteError(error.message) from None
    raw_tags = data.get("tags") or []
    if not isinstance(raw_tags, list):
        raise RemoteError(f"{what}: {host}'s artifact tags are not a list")
    return digest, tuple(_tag_info(item, what, host) for item in raw_tags)


def _tag_info(item: Any, what: str, host: str) -> TagInfo:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise RemoteError(f"{what}: {host} sent a tag without a name")
    immutable = item.get("immutable")
    if not isinstance(immutable, bool):
        # Without with_immutable_status Harbor says false for every tag: never trust absence.
        raise RemoteError(
            f"{what}: {host} did not report whether tag {item['name']!r} is immutable"
        )
    return TagInfo(item["name"], immutable)
