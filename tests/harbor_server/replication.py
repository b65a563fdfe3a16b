"""The test Harbor's replication executor: a push-based policy run as Harbor runs one.

Written from Harbor's Go code (goharbor/harbor main), deliberately without tagguard's own
src/tagguard/core/replication.py, so that end-to-end tests compare tagguard's prediction
with an independent reading of Harbor:

* start: src/controller/replication/execution.go `Start` refuses a disabled policy (412
  PRECONDITION "the policy <id> is disabled") before any execution exists;
* fetch: src/pkg/reg/adapter/harbor/v2 `FetchArtifacts` -> `listRepositories` (name filters)
  -> `client.listArtifacts` (the artifact list: tagged artifacts and those no index
  references, no accessories; each followed by its accessories depth first, then the
  accessories of each index child, every accessory carrying its subject's tags and labels)
  -> src/pkg/reg/filter/artifact.go (label and tag filters, in the policy's order). A
  pattern error anywhere fails the whole execution before anything is written;
* names: flow/stage.go `replaceNamespace`; `PrepareForPush` (base/adapter.go) lists the
  destination projects in one query (`GET /projects?q=name={'a' 'b'}`), creates each that
  is missing (`POST /projects`, public as the AND of its source projects' `public`; 409
  counts as created) and skips repositories whose destination project is a proxy cache
  (`registry_id` set); the created projects are in the result's `created_projects`;
* tasks: one per repository, run here one after the other (Harbor runs them concurrently);
  transfer/image/transfer.go `convert` lists each artifact's tags (its digest when it has
  none), `copy` runs `copyArtifact` for each and fails the task at the end if any failed:
  the destination already has the digest -> skip; another digest and override false ->
  skip with a warning; else copy the children (by digest) and blobs, then PUT the manifest
  by the reference: the destination's own middleware answers 412 for an immutable tag.

The source is read through its own /v2/ API (as Harbor's jobservice reads its core) with
the credentials of a system admin of `source_state`; the destination with
`credentials_for_destination`. Executions are synchronous here: the result is complete
when `execute` (or the `POST /replication/executions` it serves) returns.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests

from tagguard.core.glob import doublestar_match
from tagguard.core.harbor_version import glob_version_for
from tagguard.errors import PatternError
from tests.harbor_server.graph import HarborError

if TYPE_CHECKING:
    from tests.harbor_server.harbor import HarborState

# src/pkg/registry/client.go `accepts`: what Harbor's registry client asks a manifest as.
ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
MANIFEST_TYPES = frozenset(ACCEPT.split(", "))
FOREIGN_LAYER = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
TIMEOUT = 30

SUCCEED = "Succeed"
FAILED = "Failed"
PUSHED = "pushed"
SAME = "skipped: same"
NO_OVERRIDE = "skipped: no override"


class _RunFailed(Exception):
    """The execution fails before any task (fetch, names, prepare): nothing is written."""


@dataclass
class _Artifact:
    """model.Artifact as listArtifacts builds it (plus `accessory`, for the result)."""

    digest: str
    tags: list[str]
    labels: list[str]
    is_acc: bool = False
    parent_tags: list[str] = field(default_factory=list)
    accessory: bool = False


@dataclass
class _Resource:
    source: str
    artifacts: list[_Artifact]
    destination: str = ""
    skip: bool = False
    public: bool = False  # the source project's metadata `public` (FetchArtifacts)


def install(
    source_state: HarborState, source_base_url: str, credentials_for_destination: tuple[str, str]
) -> list[dict[str, Any]]:
    """Makes `source_state.replicate` run policies with `execute`; returns the list each
    execution's result is appended to (execution id n is results[n - 1])."""
    results: list[dict[str, Any]] = []

    def replicate(policy_id: int) -> int:
        policy = source_state.policies[policy_id]
        results.append(execute(source_state, source_base_url, policy, credentials_for_destination))
        return len(results)

    source_state.replicate = replicate
    return results


def execute(
    source_state: HarborState,
    source_base_url: str,
    policy: dict[str, Any],
    credentials_for_destination: tuple[str, str],
) -> dict[str, Any]:
    """Runs the push-based `policy` (shaped as GET /replication/policies/{id} answers) from
    `source_state` to its destination Harbor. Raises HarborError 412 for a disabled policy.

    Returns {"policy_id", "status": "Succeed"|"Failed", "status_text", "tasks": [{"source",
    "destination", "status", "references"}], "writes": [{"repository", "reference",
    "digest", "accessory", "outcome"}] in order, "outcomes": {"dest/repo:tag" or
    "dest/repo@digest": outcome}, "warnings": [...], "created_projects": [...]}; an
    outcome is "pushed", "skipped: same", "skipped: no override" or
    "failed: <status> <code> <message>"."""
    policy_id = policy.get("id", 0)
    # Go's zero value: a policy JSON without `enabled` (go-swagger omits false) is disabled.
    if not policy.get("enabled", False):
        raise HarborError(412, "PRECONDITION", f"the policy {policy_id} is disabled")
    result: dict[str, Any] = {
        "policy_id": policy_id,
        "status": SUCCEED,
        "status_text": "",
        "tasks": [],
        "writes": [],
        "outcomes": {},
        "warnings": [],
        "created_projects": [],
    }
    try:
        run = _Run(source_state, source_base_url, policy, credentials_for_destination)
        resources = run.fetch()
        if not resources:
            result["status_text"] = "no resources need to be replicated"
            return result
        result["created_projects"] = run.name_and_prepare(resources)
    except _RunFailed as failure:
        result.update(status=FAILED, status_text=str(failure))
        return result
    for resource in resources:
        run.transfer(resource, result)
    if any(task["status"] == FAILED for task in result["tasks"]):
        result["status"] = FAILED
    return result


class _Run:
    def __init__(
        self,
        state: HarborState,
        source_url: str,
        policy: dict[str, Any],
        credentials: tuple[str, str],
    ) -> None:
        self.state = state
        self.policy = policy
        self.glob = glob_version_for(state.version)
        self.filters = _filters(policy)
        source = policy.get("src_registry") or {}
        if source.get("id"):
            raise _RunFailed("pull-based policies are not run by the test Harbor")
        destination = policy.get("dest_registry") or {}
        if destination.get("type") != "harbor" or not destination.get("url"):
            raise _RunFailed(f"the destination {destination.get('url')!r} is not a Harbor")
        admin = next((u for u in state.users.values() if u.admin), None)
        if admin is None:
            raise _RunFailed("the source Harbor has no system admin to read it as")
        self.source_url = source_url.rstrip("/")
        self.source = requests.Session()
        self.source.auth = (admin.name, admin.password)
        self.dest_url = str(destination["url"]).rstrip("/")
        self.dest = requests.Session()
        self.dest.auth = credentials
        self.dest.verify = not destination.get("insecure", False)
        self.override = bool(policy.get("override", False))

    # -- fetch: FetchArtifacts and the filters -------------------------------------------------

    def fetch(self) -> list[_Resource]:
        # The state is read under its lock, then released: the HTTP requests below go to
        # the servers' handler threads, which take it.
        with self.state.lock:
            repositories = sorted(self.state.artifacts)
            listed = []
            for project, repository in repositories:
                name = f"{project}/{repository}"
                if not all(self._match(p, name) for kind, p, _ in self.filters if kind == "name"):
                    continue
                public = self.state.projects[project].public
                listed.append(
                    _Resource(name, self._list_artifacts((project, repository)), public=public)
                )
        resources = []
        for resource in listed:
            resource.artifacts = self._filter_artifacts(resource.artifacts)
            if resource.artifacts:
                resources.append(resource)
        return resources

    def _list_artifacts(self, key: tuple[str, str]) -> list[_Artifact]:
        state = self.state
        rows = [
            d
            for d in state.artifacts[key]
            if (state.tags_of(key, d) or not state.parents_of(key, d))
            and not state.is_accessory(key, d)
        ]
        # The artifact list's default order (artifact/dao/model.go): push time, id, descending.
        rows.sort(key=lambda d: (state.node(key, d).push_time, state.node(key, d).id), reverse=True)
        listed = []
        for digest in rows:
            node = state.node(key, digest)
            tags = state.tags_of(key, digest)
            listed.append(_Artifact(digest, tags, list(node.labels)))
            self._accessories(key, digest, tags, list(node.labels), listed, set())
            for child in node.children:
                self._accessories(key, child.digest, tags, list(node.labels), listed, set())
        return listed

    def _accessories(
        self,
        key: tuple[str, str],
        digest: str,
        parent_tags: list[str],
        labels: list[str],
        out: list[_Artifact],
        seen: set[str],
    ) -> None:
        """client.go `getAccessoryArts`: each accessory, then its own accessories."""
        for link in self.state.accessories_of(key, digest):
            if link.digest in seen:
                continue
            seen.add(link.digest)
            out.append(
                _Artifact(
                    link.digest,
                    self.state.tags_of(key, link.digest),
                    list(labels),
                    is_acc=True,
                    parent_tags=list(parent_tags),
                    accessory=True,
                )
            )
            self._accessories(key, link.digest, parent_tags, labels, out, seen)

    def _filter_artifacts(self, artifacts: list[_Artifact]) -> list[_Artifact]:
        for kind, value, decoration in self.filters:
            if kind == "label":
                artifacts = _by_labels(artifacts, value, decoration == "excludes")
            elif kind == "tag":
                artifacts = self._by_tag(artifacts, value, decoration == "excludes")
        return artifacts

    def _by_tag(self, artifacts: list[_Artifact], pattern: str, excludes: bool) -> list[_Artifact]:
        """artifactTagFilter.Filter."""
        if pattern == "":
            return artifacts
        out = []
        for artifact in artifacts:
            names = artifact.parent_tags if artifact.is_acc else artifact.tags
            if not names:
                if self._match(pattern, "") is not excludes:
                    out.append(artifact)
                continue
            matched = [n for n in names if self._match(pattern, n) is not excludes]
            if matched:
                out.append(
                    _Artifact(
                        artifact.digest,
                        artifact.tags if artifact.is_acc else matched,
                        artifact.labels,
                        accessory=artifact.accessory,
                    )
                )
        return out

    def _match(self, pattern: str, name: str) -> bool:
        """util.Match: an empty pattern matches everything, else doublestar."""
        if pattern == "":
            return True
        try:
            return doublestar_match(pattern, name, self.glob)
        except PatternError as error:
            raise _RunFailed(f"failed to fetch artifacts: {error.message}") from None

    # -- names and PrepareForPush --------------------------------------------------------------

    def name_and_prepare(self, resources: list[_Resource]) -> list[str]:
        """The destination names, then `PrepareForPush`; returns the projects it created."""
        namespace = str(self.policy.get("dest_namespace") or "")
        count = self.policy.get("dest_namespace_replace_count")
        for resource in resources:
            resource.destination = _replace_namespace(
                resource.source, namespace, -1 if count is None else int(count)
            )
        return self._prepare_for_push(resources)

    def _prepare_for_push(self, resources: list[_Resource]) -> list[str]:
        """base/adapter.go `PrepareForPush`: one project per first path segment, `public`
        merged with AND (`mergeMetadata`); existing ones read by one list query, missing
        ones created (409 is fine), repositories bound for a proxy cache skipped."""
        public: dict[str, bool] = {}
        for resource in resources:
            project = resource.destination.split("/")[0]
            public[project] = public.get(project, True) and resource.public
        existing = self._list_projects(sorted(public))
        created = []
        for project in sorted(set(public) - set(existing)):
            answer = self.dest.post(
                f"{self.dest_url}/api/v2.0/projects",
                json={
                    "project_name": project,
                    "metadata": {"public": "true" if public[project] else "false"},
                },
                timeout=TIMEOUT,
            )
            if answer.status_code == 201:
                created.append(project)
            elif answer.status_code != 409:
                raise _RunFailed(
                    "failed to do the prepare work for pushing/uploading resources: "
                    f"create project {project}: {_error(answer)}"
                )
        for resource in resources:
            resource.skip = existing.get(resource.destination.split("/")[0], False)
        return created

    def _list_projects(self, names: list[str]) -> dict[str, bool]:
        """client.go `ListProjectsWithQuery` (every page): name -> whether it is a proxy
        cache. Names are quoted so that an all-digit one stays a string."""
        query = "name={" + " ".join(f"'{name}'" for name in names) + "}"
        url: str | None = f"{self.dest_url}/api/v2.0/projects"
        params: dict[str, str] | None = {"q": query, "with_detail": "false"}
        found: dict[str, bool] = {}
        while url is not None:
            answer = self.dest.get(url, params=params, timeout=TIMEOUT)
            if answer.status_code != 200:
                raise _RunFailed(
                    "failed to do the prepare work for pushing/uploading resources: "
                    f"list projects with query {query}: {_error(answer)}"
                )
            for item in answer.json():
                found[str(item["name"])] = bool(item.get("registry_id"))
            following = answer.links.get("next", {}).get("url")
            url = self.dest_url + following if following else None
            params = None
        return found

    # -- tasks: transfer.go --------------------------------------------------------------------

    def transfer(self, resource: _Resource, result: dict[str, Any]) -> None:
        references = [
            (reference, artifact)
            for artifact in resource.artifacts
            for reference in (artifact.tags or [artifact.digest])
        ]
        task: dict[str, Any] = {
            "source": resource.source,
            "destination": resource.destination,
            "references": [r for r, _ in references],
            "status": SUCCEED,
        }
        result["tasks"].append(task)
        if resource.skip:
            task["status"] = "Skipped"
            result["warnings"].append(
                f"skip create replication task because of dest limitation: {resource.destination}"
            )
            return
        for reference, artifact in references:
            outcome = self._copy_reference(resource, reference, result)
            separator = "@" if reference.startswith("sha256:") else ":"
            result["outcomes"][f"{resource.destination}{separator}{reference}"] = outcome
            result["writes"].append(
                {
                    "repository": resource.destination,
                    "reference": reference,
                    "digest": artifact.digest,
                    "accessory": artifact.accessory,
                    "outcome": outcome,
                }
            )
            if outcome.startswith("failed"):
                task["status"] = FAILED

    def _copy_reference(self, resource: _Resource, reference: str, result: dict[str, Any]) -> str:
        try:
            return self._copy_artifact(
                resource.source, reference, resource.destination, self.override, result
            )
        except _CopyFailed as failure:
            return f"failed: {failure}"
        except requests.RequestException as error:
            return f"failed: {type(error).__name__}"

    def _copy_artifact(
        self, src: str, reference: str, dst: str, override: bool, result: dict[str, Any]
    ) -> str:
        """transfer.go `copyArtifact`."""
        body, media_type, digest = self._pull_manifest(src, reference)
        current = self._head(dst, reference)
        if current is not None:
            if current == digest:
                return SAME
            if not override:
                result["warnings"].append(
                    f"the same name artifact {dst}:{reference} exists on the destination "
                    'registry, but the "override" is set to false, skip'
                )
                return NO_OVERRIDE
        for descriptor in _references(body):
            kind = descriptor.get("mediaType", "")
            child = str(descriptor.get("digest", ""))
            if kind in MANIFEST_TYPES:
                # "as using digest as the reference, so set the override to true directly"
                # (a child's failure raises, and fails this reference with it)
                self._copy_artifact(src, child, dst, True, result)
            elif kind != FOREIGN_LAYER:
                self._copy_blob(src, dst, child)
        put = self.dest.put(
            f"{self.dest_url}/v2/{dst}/manifests/{reference}",
            data=body,
            headers={"Content-Type": media_type},
            timeout=TIMEOUT,
        )
        if put.status_code != 201:
            raise _CopyFailed(_error(put))
        return PUSHED

    def _pull_manifest(self, repository: str, reference: str) -> tuple[bytes, str, str]:
        answer = self.source.get(
            f"{self.source_url}/v2/{repository}/manifests/{reference}",
            headers={"Accept": ACCEPT},
            timeout=TIMEOUT,
        )
        if answer.status_code != 200:
            raise _CopyFailed(_error(answer))
        body = answer.content
        media_type = answer.headers.get("Content-Type") or json.loads(body).get("mediaType", "")
        digest = answer.headers.get("Docker-Content-Digest") or _sha256(body)
        return body, media_type, digest

    def _head(self, repository: str, reference: str) -> str | None:
        """The registry client's `ManifestExist`: the digest, None on 404."""
        answer = self.dest.head(
            f"{self.dest_url}/v2/{repository}/manifests/{reference}",
            headers={"Accept": ACCEPT},
            timeout=TIMEOUT,
        )
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise _CopyFailed(_error(answer))
        return answer.headers.get("Docker-Content-Digest", "")

    def _copy_blob(self, src: str, dst: str, digest: str) -> None:
        """`copyBlob`: nothing when the destination has it, else pull and push it whole."""
        exists = self.dest.head(f"{self.dest_url}/v2/{dst}/blobs/{digest}", timeout=TIMEOUT)
        if exists.status_code == 200:
            return
        blob = self.source.get(f"{self.source_url}/v2/{src}/blobs/{digest}", timeout=TIMEOUT)
        if blob.status_code != 200:
            raise _CopyFailed(_error(blob))
        start = self.dest.post(f"{self.dest_url}/v2/{dst}/blobs/uploads/", timeout=TIMEOUT)
        if start.status_code != 202:
            raise _CopyFailed(_error(start))
        location = start.headers.get("Location", "")
        if location.startswith("/"):
            location = self.dest_url + location
        joiner = "&" if "?" in location else "?"
        done = self.dest.put(
            f"{location}{joiner}digest={digest}",
            data=blob.content,
            headers={"Content-Type": "application/octet-stream"},
            timeout=TIMEOUT,
        )
        if done.status_code != 201:
            raise _CopyFailed(_error(done))


class _CopyFailed(Exception):
    pass


def _filters(policy: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """(type, value, decoration) of each filter; the value types BuildArtifactFilters and
    BuildRepositoryFilters insist on (anything else fails the fetch)."""
    out = []
    for item in policy.get("filters") or []:
        kind, value = item.get("type"), item.get("value")
        decoration = item.get("decoration") or "matches"
        if kind in ("name", "tag") and not isinstance(value, str):
            raise _RunFailed(f"invalid filter value type for {kind} filter, expecting string")
        if kind == "label" and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise _RunFailed("invalid filter value type for label filter, expecting []string")
        out.append((str(kind), value, str(decoration)))
    return out


def _by_labels(artifacts: list[_Artifact], labels: list[str], excludes: bool) -> list[_Artifact]:
    """artifactLabelFilter.Filter: carrying every label (`excludes`: not every one)."""
    if not labels:
        return artifacts
    return [a for a in artifacts if all(name in a.labels for name in labels) is not excludes]


def _replace_namespace(repository: str, namespace: str, count: int) -> str:
    """flow/stage.go `replaceNamespace` (the destination Harbor needs at least two parts)."""
    if not namespace:
        return repository
    parts = repository.split("/")
    if count < 0:
        prefix = namespace
    elif count > len(parts) - 1:
        raise _RunFailed(
            f"the source repository {repository!r} contains only {len(parts) - 1} path "
            f"components excepting the last one, but the flattening level is {count}"
        )
    else:
        prefix = "/".join([namespace, *parts[count:-1]])
    return f"{prefix}/{parts[-1]}"


def _references(body: bytes) -> list[dict[str, Any]]:
    """distribution's `References()`: an index's manifests; a manifest's config, then layers."""
    data = json.loads(body)
    if "manifests" in data:
        return [m for m in data["manifests"] if isinstance(m, dict)]
    config = [data["config"]] if isinstance(data.get("config"), dict) else []
    return [*config, *[d for d in data.get("layers") or [] if isinstance(d, dict)]]


def _error(answer: requests.Response) -> str:
    code = ""
    message = answer.text[:200]
    try:
        first = answer.json()["errors"][0]
        code, message = str(first.get("code", "")), str(first.get("message", ""))
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        pass
    return " ".join(part for part in (str(answer.status_code), code, message) if part)


def _sha256(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()
