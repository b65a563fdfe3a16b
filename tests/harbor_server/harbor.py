"""The Harbor-compatible server: the API paths tagguard uses, shaped as swagger.yaml says,
with Harbor's behaviours, in front of a real distribution registry.

Like Harbor, it keeps its own database of artifacts and tags (filled by the manifest PUTs
it proxies) and treats it as the truth for tags; blobs and manifests live in the registry.
Harbor's behaviours reproduced:

* repository names double URL-encoded in API paths; a single-encoded '/' misses the route
  (go-swagger's 404 shape, not Harbor's NOT_FOUND);
* `X-Is-Resource-Name`; an all-digit project is otherwise read as an id;
* paging: `page`, `page_size` (default 10, above 100 answers 422, 0 or less: all),
  `X-Total-Count`, `Link` (lib/orm `QuerySetter`, handler/base.go `Links`);
* 401 without credentials on private projects; 403 on the rules for developers, guests and
  robots without `immutable-tag:list`;
* tags' `immutable` only with `with_immutable_status=true`, computed by Harbor's matcher;
* /v2/: Bearer challenges to `/service/token` (service `harbor-registry`), Basic accepted;
  a manifest PUT onto an existing immutable tag and a DELETE of an artifact carrying one
  answer 412 PRECONDITION with Harbor's messages;
* whole artifacts (graph.py): an index's children, accessories linked by the cosign and
  subject middlewares, labels; artifact GET/list with `references`, `with_accessory`,
  `with_label`, the list without accessories and in push-time order or `sort`;
* delete and copy as `deleteDeeply` / `copyDeeply` in one transaction that a refusal rolls
  back entirely, registry writes applied only after the database part succeeded;
* rule pages read in an unstable row order without `sort` (`rule_rng`);
* tag rows with ids from one sequence and push times (`TagRow`); the tag list in
  `sort` order, else push time then id, descending;
* pull policies (412 PROJECTPOLICYVIOLATION), `GET /projects/{p}`, `HEAD /projects`,
  `POST /projects` (ProjectReq), `GET /projects` with `q=name={'a' 'b'}` (what
  replication's `PrepareForPush` asks), and `POST /replication/executions`, which calls
  `HarborState.replicate`.

Immutability here is computed with tagguard's own port of Harbor's matcher (which the
vector tests hold to Harbor's); `flip_immutable` makes the server's flag disagree, to test
tagguard's cross-check. Latency and faults can be injected for the fault tests.
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import re
import secrets
import socket
import ssl
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlsplit

import requests

from tagguard.core.harbor_version import glob_version_for
from tagguard.core.rules import RuleSet, parse_rules
from tests.harbor_server.graph import (
    COSIGN,
    MANIFEST_TYPES,
    NOTATION,
    Child,
    HarborError,
    Link,
    Manifest,
    Node,
    cosign_subject,
    now,
    parse_sort,
    read_manifest,
    sha256_digest,
)

API = "/api/v2.0"
SERVICE = "harbor-registry"
ROLES_THAT_LIST_RULES = {"projectAdmin", "maintainer"}
ROLES_THAT_PUSH = {"projectAdmin", "maintainer", "developer"}
ROLES_THAT_DELETE = {"projectAdmin", "maintainer"}
MANIFEST_ROUTE = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
BLOB_ROUTE = re.compile(r"^/v2/(?P<name>.+)/blobs/(?P<rest>.+)$")
Key = tuple[str, str]  # (project, repository inside the project)
V = TypeVar("V")


@dataclass
class User:
    name: str
    password: str
    admin: bool = False
    # For robots: Harbor permissions such as "immutable-tag:list", per project.
    permissions: set[str] = field(default_factory=set)


@dataclass
class Project:
    name: str
    id: int
    public: bool = False
    members: dict[str, str] = field(default_factory=dict)  # user -> role
    rules: list[dict[str, Any]] = field(default_factory=list)
    # A proxy-cache project's upstream registry (Project.registry_id); None for others.
    registry_id: int | None = None
    # Pull policies that answer a manifest GET/HEAD with 412 PROJECTPOLICYVIOLATION:
    # metadata enable_content_trust_cosign (unsigned images), prevent_vul with a severity.
    content_trust_cosign: bool = False
    prevent_vulnerable: str | None = None
    creation_time: str = field(default_factory=now)


@dataclass
class TagRow:
    """A row of `tag` (src/pkg/tag/model/tag/model.go) beside the name -> digest map:
    its id from the table's sequence and its push time, which `Ensure` renews when it
    moves the tag onto another artifact (src/controller/tag/controller.go)."""

    id: int
    push_time: str = field(default_factory=now)


@dataclass
class Fault:
    """Replaces the answer to matching requests. `times` counts down; None is forever."""

    path: str  # regex searched in the raw request path
    action: Callable[[Handler], None]
    method: str | None = None
    times: int | None = None


@dataclass
class HarborState:
    version: str = "v2.11.0-test"
    users: dict[str, User] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    # (project, repository in project) -> tag -> digest, and -> digest -> media type
    tags: dict[Key, dict[str, str]] = field(default_factory=dict)
    artifacts: dict[Key, dict[str, str]] = field(default_factory=dict)
    # The rest of the artifact graph: digest -> row (id, size, children, labels), and the
    # accessory rows of each repository. Label name -> label id.
    nodes: dict[Key, dict[str, Node]] = field(default_factory=dict)
    links: dict[Key, list[Link]] = field(default_factory=dict)
    label_ids: dict[str, int] = field(default_factory=dict)
    next_artifact_id: int = 1
    next_link_id: int = 1
    # The tag rows of each repository (tag name -> row), made on first sight for tags a
    # test or the benchmark put into `tags` directly; ids come from one sequence, as in
    # Harbor's `tag` table, so no two tags ever share one.
    tag_rows: dict[Key, dict[str, TagRow]] = field(default_factory=dict)
    next_tag_id: int = 1
    # The row order of a rule list read without `sort` (Postgres gives none without ORDER
    # BY): shuffled by this generator on each request; seed it to replay an order, or set
    # None for id order.
    rule_rng: random.Random | None = field(default_factory=random.Random)
    # POST /replication/executions calls this with the policy id; it returns the
    # execution id or raises HarborError (filled by tests/harbor_server/replication.py).
    replicate: Callable[[int], int] | None = None
    # The registry behind (set by running_harbor), for copies and deletes.
    backend: str = ""
    backend_session: requests.Session = field(default_factory=requests.Session)
    tokens: dict[str, str | None] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    policies: dict[int, dict[str, Any]] = field(default_factory=dict)
    latency: float = 0.0
    # Off by default: each request's own extra delay in seconds, from its method and raw
    # path (called outside the lock, after `latency`). Tests that jitter answers or force
    # the order they come back in (tests/e2e/test_determinism.py) set it.
    delay: Callable[[str, str], float] | None = None
    # The benchmark's data does not change while it measures: memoising the API's answers
    # keeps this fixture's own Python time out of what both clients are charged.
    cache_answers: bool = False
    answers: dict[tuple[str, str], tuple[int, bytes, dict[str, str], str | None]] = field(
        default_factory=dict
    )
    flip_immutable: bool = False
    log: list[tuple[str, str]] = field(default_factory=list)
    # When each request of `log` arrived (time.perf_counter): the benchmark's phase times.
    arrivals: list[float] = field(default_factory=list)
    # (path, scheme) of every request that carried an Authorization header: what a
    # server other than the credential's own must never see.
    authorizations: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    next_rule_id: int = 1
    _parsed: dict[str, tuple[object, Any]] = field(default_factory=dict)

    # -- set-up helpers for tests -------------------------------------------------------

    def add_user(
        self, name: str, password: str, *, admin: bool = False, permissions: set[str] | None = None
    ) -> User:
        user = User(name, password, admin, permissions or set())
        self.users[name] = user
        return user

    def add_project(
        self,
        name: str,
        *,
        public: bool = False,
        members: dict[str, str] | None = None,
        registry_id: int | None = None,
    ) -> Project:
        """`registry_id` makes a proxy-cache project of that upstream registry."""
        project = Project(
            name, len(self.projects) + 1, public, dict(members or {}), registry_id=registry_id
        )
        self.projects[name] = project
        return project

    def add_rule(self, project: str, rule: dict[str, Any]) -> int:
        with self.lock:
            stored = dict(rule)
            stored.setdefault("id", self.next_rule_id)
            self.next_rule_id = max(self.next_rule_id, int(stored["id"])) + 1
            stored.setdefault("priority", 0)
            stored.setdefault("disabled", False)
            stored.setdefault("action", "immutable")
            stored.setdefault("template", "immutable_template")
            self.projects[project].rules.append(stored)
            self._parsed.pop(project, None)
            return int(stored["id"])

    def requests_to(self, prefix: str = "") -> list[tuple[str, str]]:
        with self.lock:
            return [entry for entry in self.log if entry[1].startswith(prefix)]

    # -- Harbor's semantics -------------------------------------------------------------

    def immutable(self, project: str, repository: str, tag: str) -> bool:
        """What Harbor enforces for the tag (remembered until the rules or version change)."""
        raw = self.projects[project].rules
        version = (id(raw), len(raw), self.version)
        if self._parsed.get(project, (None,))[0] != version:
            self._parsed[project] = (version, (RuleSet(parse_rules(raw, "server rules")), {}))
        rules, answers = self._parsed[project][1]
        key = (repository, tag)
        if key not in answers:
            glob = glob_version_for(self.version)
            answers[key] = rules.evaluate(f"{project}/{repository}", tag, glob).immutable
        return bool(answers[key])

    def flag(self, project: str, repository: str, tag: str) -> bool:
        """What the API reports as the tag's `immutable` (flipped on request, for tests)."""
        return self.immutable(project, repository, tag) != self.flip_immutable

    def project_by_name_or_id(self, value: str, by_name: bool) -> Project | None:
        if not by_name and value.isdigit():
            return next((p for p in self.projects.values() if p.id == int(value)), None)
        return self.projects.get(value)

    def role(self, user: User | None, project: Project) -> str | None:
        if user is None:
            return None
        if user.admin:
            return "projectAdmin"
        return project.members.get(user.name)

    def may(self, user: User | None, project: Project, action: str) -> bool:
        if user is not None and user.name.startswith("robot$"):
            return f"{project.name}:{action}" in user.permissions
        role = self.role(user, project)
        if action in ("artifact:read", "repository:pull"):
            return project.public or role is not None
        if action == "immutable-tag:list":
            return role in ROLES_THAT_LIST_RULES
        if action == "repository:push":
            return role in ROLES_THAT_PUSH
        if action == "artifact:delete":
            return role in ROLES_THAT_DELETE
        return False

    # -- the artifact graph ----------------------------------------------------------------

    def node(self, key: Key, digest: str) -> Node:
        """The artifact row of `digest` (made on first use for artifacts a test or the
        benchmark put into `artifacts` directly)."""
        nodes = self.nodes.setdefault(key, {})
        if digest not in nodes:
            nodes[digest] = Node(self._artifact_id(), self.artifacts[key][digest])
        return nodes[digest]

    def _artifact_id(self) -> int:
        # A database sequence: ids are never reused, not even after a rollback.
        self.next_artifact_id += 1
        return self.next_artifact_id - 1

    def tags_of(self, key: Key, digest: str) -> list[str]:
        return sorted(t for t, d in self.tags.get(key, {}).items() if d == digest)

    def listed_tags(self, key: Key, digest: str) -> list[str]:
        """The artifact's tags as the artifact controller's `populateTags` lists them: the
        tag model's default sorts (src/pkg/tag/model/tag/model.go `GetDefaultSorts`), push
        time then id, both descending. deleteDeeply deletes a root's tags in this order, an
        artifact answer shows them so, and a copy ensures them so."""
        return sorted(
            self.tags_of(key, digest),
            key=lambda n: (self.tag_row(key, n).push_time, self.tag_row(key, n).id),
            reverse=True,
        )

    def tag_row(self, key: Key, name: str) -> TagRow:
        """The row of tag `name` in the repository (made on first use)."""
        rows = self.tag_rows.setdefault(key, {})
        if name not in rows:
            rows[name] = TagRow(self._tag_id())
        return rows[name]

    def _tag_id(self) -> int:
        # A database sequence, like the artifacts': never reused.
        self.next_tag_id += 1
        return self.next_tag_id - 1

    def _set_tag(self, key: Key, tag: str, digest: str) -> None:
        """Points `tag` at `digest`: a new tag gets a new row, a moved one keeps its id and
        gets a new push time (tag controller `Ensure`); a tag left in place is untouched."""
        tags = self.tags.setdefault(key, {})
        if tags.get(tag) == digest:
            return
        rows = self.tag_rows.setdefault(key, {})
        if tag in tags and tag in rows:
            rows[tag].push_time = now()
        else:
            rows[tag] = TagRow(self._tag_id())
        tags[tag] = digest

    def parents_of(self, key: Key, digest: str) -> list[str]:
        """The artifacts whose references name `digest` as a child (`ListReferences` by ChildID)."""
        nodes = self.nodes.get(key, {})
        return [
            d
            for d in self.artifacts.get(key, {})
            if d in nodes and any(c.digest == digest for c in nodes[d].children)
        ]

    def accessories_of(self, key: Key, digest: str) -> list[Link]:
        """artifact controller `populateAccessories`: the rows whose subject_artifact_id is
        the artifact's id (a signature pushed before its subject counts once it is linked)."""
        if digest not in self.artifacts.get(key, {}):
            return []
        node_id = self.node(key, digest).id
        return sorted(
            (link for link in self.links.get(key, []) if link.subject_id == node_id),
            key=lambda link: link.id,
        )

    def is_accessory(self, key: Key, digest: str) -> bool:
        return any(link.digest == digest for link in self.links.get(key, []))

    def add_label(self, project: str, repository: str, reference: str, name: str) -> None:
        """Attaches the label `name` to an artifact (by tag or digest), as the label API would."""
        with self.lock:
            key = (project, repository)
            digest = self.tags.get(key, {}).get(reference, reference)
            self.label_ids.setdefault(name, len(self.label_ids) + 1)
            labels = self.node(key, digest).labels
            if name not in labels:
                labels.append(name)

    def record_push(
        self,
        project: str,
        repository: str,
        digest: str,
        media_type: str,
        body: bytes,
        tag: str | None,
    ) -> None:
        """What a manifest PUT the registry accepted leaves in Harbor's database:
        `putManifest` (src/server/registry/manifest.go) ensures the artifact and the tag, the
        index abstractor records its children, then the cosign middleware
        (middleware/cosign/cosign.go) and the subject middleware (middleware/subject/subject.go)
        link accessories, the latter also linking earlier accessories to a subject that
        arrives after them."""
        key = (project, repository)
        manifest = read_manifest(body)
        with self.lock:
            artifacts = self.artifacts.setdefault(key, {})
            if digest not in artifacts:  # ensureArtifact: an existing row stays as it is
                artifacts[digest] = media_type
                self._create_node(key, digest, media_type, manifest)
            node = self.node(key, digest)
            if tag is not None:
                self._set_tag(key, tag, digest)
            path = f"/v2/{project}/{repository}/manifests/{tag}"
            signed = cosign_subject(path, manifest) if tag is not None else None
            if signed is not None:
                self._link(key, digest, signed, COSIGN, node.size)
            if manifest.subject is not None and manifest.subject_kind is not None:
                self._link(key, digest, manifest.subject, manifest.subject_kind, node.size)
            for link in self.links.get(key, []):
                if link.subject_digest == digest:
                    link.subject_id = node.id

    def _create_node(self, key: Key, digest: str, media_type: str, manifest: Manifest) -> Node:
        nodes = self.nodes.setdefault(key, {})
        size = manifest.size
        for child in manifest.children:  # index.go Abstract: the children's sizes add up
            if child.digest in self.artifacts.get(key, {}):
                size += self.node(key, child.digest).size
        nodes[digest] = Node(
            self._artifact_id(), media_type, size, children=list(manifest.children)
        )
        return nodes[digest]

    def _link(self, key: Key, digest: str, subject: str, kind: str, size: int) -> None:
        links = self.links.setdefault(key, [])
        # UNIQUE (artifact_id, subject_artifact_digest): a conflict is ignored by both middlewares
        if any(link.digest == digest and link.subject_digest == subject for link in links):
            return
        subject_id = self.node(key, subject).id if subject in self.artifacts.get(key, {}) else 0
        links.append(Link(self.next_link_id, digest, subject, subject_id, kind, size))
        self.next_link_id += 1

    @contextlib.contextmanager
    def transaction(self, *keys: Key) -> Iterator[None]:
        """One database transaction over these repositories: a HarborError (or any other
        failure) inside restores their tags, artifacts, references, accessories and labels.
        Sequences (ids) move on, as Postgres sequences do."""
        with self.lock:
            for key in keys:  # every tag has its row before the snapshot: ids stay put
                for tag in self.tags.get(key, {}):
                    self.tag_row(key, tag)
            saved = {
                key: copy.deepcopy(
                    (
                        self.tags.get(key),
                        self.artifacts.get(key),
                        self.nodes.get(key),
                        self.links.get(key),
                        self.tag_rows.get(key),
                    )
                )
                for key in keys
            }
            try:
                yield
            except BaseException:
                for key, (tags, artifacts, nodes, links, rows) in saved.items():
                    _restore(self.tags, key, tags)
                    _restore(self.artifacts, key, artifacts)
                    _restore(self.nodes, key, nodes)
                    _restore(self.links, key, links)
                    _restore(self.tag_rows, key, rows)
                raise

    # -- tag controller (src/controller/tag/controller.go) --------------------------------

    def delete_tag(self, key: Key, tag: str) -> None:
        """`Delete`: an immutable tag is refused with 412, else removed."""
        if self.immutable(key[0], key[1], tag):
            raise HarborError(
                412, "PRECONDITION", f"the tag {tag} configured as immutable, cannot be deleted"
            )
        del self.tags[key][tag]
        self.tag_rows.get(key, {}).pop(tag, None)  # a tag made again later is a new row

    def ensure_tag(self, key: Key, digest: str, tag: str) -> None:
        """`Ensure`: absent -> created; on this artifact -> left; on another artifact ->
        412 when immutable, else moved."""
        current = self.tags.get(key, {}).get(tag)
        if current == digest:
            return
        if current is not None and self.immutable(key[0], key[1], tag):
            raise HarborError(
                412, "PRECONDITION", f"the tag {tag} configured as immutable, cannot be updated"
            )
        self._set_tag(key, tag, digest)

    # -- artifact controller (src/controller/artifact/controller.go) ----------------------

    def delete_artifact(self, project: str, repository: str, digest: str) -> list[str]:
        """`Delete`: `deleteDeeply` in one transaction; the registry deletes (by digest) only
        once it has succeeded. Returns the digests deleted, root last."""
        key = (project, repository)
        deleted: list[str] = []
        with self.transaction(key):
            self._delete_deeply(key, digest, True, self.is_accessory(key, digest), deleted)
        for gone in deleted:
            self._backend("DELETE", f"/v2/{project}/{repository}/manifests/{gone}")
        return deleted

    def _delete_deeply(
        self, key: Key, digest: str, is_root: bool, is_accessory: bool, deleted: list[str]
    ) -> None:
        if digest not in self.artifacts.get(key, {}):
            if is_root:
                raise HarborError(
                    404, "NOT_FOUND", f"artifact {key[0]}/{key[1]}@{digest} not found"
                )
            return
        tags = self.listed_tags(key, digest)
        if not is_root and tags:  # a child that carries tags of its own stays
            return
        if self.parents_of(key, digest):
            if is_root:
                raise HarborError(
                    412,
                    "VIOLATE_FOREIGN_KEY_CONSTRAINT",
                    "the deleting artifact is referenced by others",
                )
            return  # a child another index references stays
        node = self.node(key, digest)
        accessories = self.accessories_of(key, digest)  # read before any row goes
        if is_accessory:  # DeleteAccessories(ArtifactID, Digest): its own accessory row
            self.links[key] = [link for link in self.links.get(key, []) if link.digest != digest]
        for link in accessories:  # every accessory type Harbor ships is a hard reference
            root = not self.parents_of(key, link.digest)
            self._delete_deeply(key, link.digest, root, True, deleted)
        for child in list(node.children):
            node.children.remove(child)  # DeleteReference, then the child
            self._delete_deeply(
                key, child.digest, False, self.is_accessory(key, child.digest), deleted
            )
        if is_root:
            for tag in tags:  # tag controller DeleteTags: each through the immutability check
                self.delete_tag(key, tag)
        del self.artifacts[key][digest]
        self.nodes[key].pop(digest, None)  # with its labels (RemoveAllFrom)
        deleted.append(digest)

    def copy_artifact(self, source: Key, digest: str, destination: Key) -> int:
        """`Copy`: `copyDeeply` in one transaction (the API handler wraps it in one); the
        registry copies (blob mounts and manifest PUTs, children first) run once the
        database part has succeeded, so a refusal leaves nothing behind. Returns the
        destination artifact's id."""
        copies: list[str] = []
        with self.transaction(destination):
            artifact_id = self._copy_deeply(source, digest, destination, True, False, [], copies)
            for copied in copies:
                self._backend_copy(source, copied, destination)
        return artifact_id

    def _copy_deeply(
        self,
        source: Key,
        digest: str,
        destination: Key,
        is_root: bool,
        is_accessory: bool,
        accessories: list[dict[str, Any]],
        copies: list[str],
    ) -> int:
        if digest not in self.artifacts.get(source, {}):
            raise HarborError(
                404, "NOT_FOUND", f"artifact {source[0]}/{source[1]}@{digest} not found"
            )
        node = self.node(source, digest)
        tags = self.listed_tags(source, digest)
        # an accessory is read without its own accessories (Option{WithTag: true})
        links = [] if is_accessory else self.accessories_of(source, digest)
        if digest in self.artifacts.get(destination, {}):
            if not is_root:  # a child already there is skipped
                return self.node(destination, digest).id
            # the root already there: only its tags are ensured (goto ensureArt)
        else:
            for child in node.children:
                self._copy_deeply(
                    source, child.digest, destination, False, False, accessories, copies
                )
            for link in links:
                if any(other.subject_digest == link.digest for other in self.links.get(source, [])):
                    # the accessory's own accessories: copied as a root with a list of its own
                    self._copy_deeply(source, link.digest, destination, True, False, [], copies)
                entry: dict[str, Any] = {
                    "digest": link.digest,
                    "kind": link.kind,
                    "size": link.size,
                }
                accessories.append(entry)
                entry["id"] = self._copy_deeply(
                    source, link.digest, destination, False, True, accessories, copies
                )
            copies.append(digest)
        return self._ensure(destination, digest, node, tags, [] if is_accessory else accessories)

    def _ensure(
        self,
        key: Key,
        digest: str,
        source: Node,
        tags: list[str],
        accessories: list[dict[str, Any]],
    ) -> int:
        """artifact controller `Ensure`: the row (with its references to the children
        already copied), each tag through the tag controller's `Ensure`, then each
        accessory row (accessory manager `Ensure`: skipped when the accessory artifact
        already has one)."""
        artifacts = self.artifacts.setdefault(key, {})
        if digest not in artifacts:
            artifacts[digest] = source.media_type
            self.nodes.setdefault(key, {})[digest] = Node(
                self._artifact_id(),
                source.media_type,
                source.size,
                children=copy.deepcopy(source.children),
            )
        node = self.node(key, digest)
        for tag in tags:
            self.ensure_tag(key, digest, tag)
        links = self.links.setdefault(key, [])
        for entry in accessories:
            # An accessory still being copied has no id yet (Harbor passes 0 there); it is
            # linked when its own copy returns to the artifact that listed it.
            if "id" not in entry or any(link.digest == entry["digest"] for link in links):
                continue
            links.append(
                Link(
                    self.next_link_id,
                    entry["digest"],
                    digest,
                    node.id,
                    entry["kind"],
                    entry["size"],
                )
            )
            self.next_link_id += 1
        return node.id

    # -- the registry behind ------------------------------------------------------------

    def _backend(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.backend_session.request(method, f"{self.backend}{path}", timeout=30, **kwargs)

    def _backend_copy(self, source: Key, digest: str, destination: Key) -> None:
        """registry client `Copy` (src/pkg/registry/client.go) for one manifest: mount its
        blobs from the source repository, then PUT it by digest. Its child manifests were
        copied before it."""
        src, dst = "/".join(source), "/".join(destination)
        answer = self._backend(
            "GET",
            f"/v2/{src}/manifests/{digest}",
            headers={"Accept": ", ".join(sorted(MANIFEST_TYPES))},
        )
        if answer.status_code != 200:
            raise HarborError(500, "UNKNOWN", f"the registry has no manifest {src}@{digest}")
        for descriptor in read_manifest(answer.content).references:
            if descriptor.get("mediaType") in MANIFEST_TYPES or not descriptor.get("digest"):
                continue
            self._backend(
                "POST", f"/v2/{dst}/blobs/uploads/?mount={descriptor['digest']}&from={src}"
            )
        put = self._backend(
            "PUT",
            f"/v2/{dst}/manifests/{digest}",
            data=answer.content,
            headers={"Content-Type": answer.headers.get("Content-Type", "")},
        )
        if put.status_code != 201:
            raise HarborError(
                500, "UNKNOWN", f"the registry refused the copy of {digest}: {put.status_code}"
            )


def _project_request(body: bytes) -> tuple[str, bool, int | None] | str:
    """(name, public, registry_id) of a ProjectReq (swagger.yaml), or why it is refused."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return "the request body is not JSON"
    if not isinstance(data, dict):
        return "the request body is not a ProjectReq"
    name = data.get("project_name")
    if not isinstance(name, str) or not name or len(name) > 255:
        return "project_name in body is required (at most 255 characters)"
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        return "metadata in body must be an object"
    public = metadata.get("public") or ""
    if not public and isinstance(data.get("public"), bool):
        public = "true" if data["public"] else "false"
    public = public or "false"
    if public not in ("true", "false"):
        return f"metadata.public should only be 'true' or 'false', but got: '{public}'"
    registry_id = data.get("registry_id")
    if registry_id is not None and (not isinstance(registry_id, int) or registry_id <= 0):
        return f"{registry_id} is invalid value of registry_id, it should be geater than 0"
    return name, public == "true", registry_id


def _query_keywords(query: str) -> dict[str, tuple[str, list[str]]] | None:
    """lib/q `Build`'s keywords: `k=v` exact, `k=~v` fuzzy, `k={a b}` any of (quotes
    stripped); None for a malformed query."""
    keywords: dict[str, tuple[str, list[str]]] = {}
    for item in query.split(",") if query else ():
        key, equals, value = item.partition("=")
        if not equals or not key or not value:
            return None
        if value.startswith("~"):
            keywords[key] = ("fuzzy", [value[1:]])
        elif value.startswith("{"):
            if not value.endswith("}"):
                return None
            words = [w.strip().strip("\"'") for w in value[1:-1].split(" ")]
            keywords[key] = ("any", [w for w in words if w])
        else:
            keywords[key] = ("exact", [value])
    return keywords


def _project_selected(project: Project, keywords: dict[str, tuple[str, list[str]]]) -> bool:
    for key, (kind, values) in keywords.items():
        value = project.name if key == "name" else str(getattr(project, key, ""))
        if kind == "fuzzy" and values[0] not in value:
            return False
        if kind in ("exact", "any") and value not in values:
            return False
    return True


def _at_least_2_13(version: str) -> bool:
    found = re.match(r"v?(\d+)\.(\d+)", version)
    return found is None or (int(found[1]), int(found[2])) >= (2, 13)


_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}


def _is_digest(reference: str) -> bool:
    """go-digest `Parse` (what `GetByReference` tries first): a registered algorithm and
    its length of lowercase hex; anything else, `sha256:abc` included, is a tag."""
    algorithm, colon, hexpart = reference.partition(":")
    length = _DIGEST_HEX.get(algorithm)
    return bool(colon) and length == len(hexpart) and re.fullmatch("[a-f0-9]+", hexpart) is not None


def _restore(table: dict[Key, V], key: Key, value: V | None) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver listens with a backlog of 5: a client opening 8 connections at once (the
    # default --concurrency) then has a SYN dropped now and again, retried by the kernel a
    # second later, which put 1 s stalls into timings. Harbor's nginx listens with 511.
    request_queue_size = 511

    def __init__(
        self,
        address: tuple[str, int],
        state: HarborState,
        backend: str,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(address, Handler)
        self.state = state
        self.backend = backend
        self.stopping = threading.Event()
        self.session = requests.Session()
        self.scheme = "http"
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host!s}:{port}"


class Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every answer on loopback.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- plumbing ------------------------------------------------------------------------

    @property
    def state(self) -> HarborState:
        return self.server.state

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        authorization = self.headers.get("Authorization")
        with self.state.lock:
            self.state.log.append((method, self.path))
            self.state.arrivals.append(time.perf_counter())
            if authorization:
                self.state.authorizations.append((self.path, authorization.split(" ", 1)[0]))
        if self.state.latency:
            time.sleep(self.state.latency)
        if self.state.delay is not None:
            time.sleep(self.state.delay(method, self.path))
        if self._fault(method):
            return
        self._memo: tuple[str, str] | None = None
        if self.state.cache_answers and method == "GET" and self.path.startswith(API + "/"):
            self._memo = (self.path, self.headers.get("Authorization", ""))
            cached = self.state.answers.get(self._memo)
            if cached is not None:
                self._write(*cached)
                return
        raw_path, _, query = self.path.partition("?")
        self.query = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        self.raw_query = query
        try:
            if raw_path.startswith(API + "/"):
                self._api(method, raw_path)
            elif raw_path == "/service/token":
                self._token()
            elif raw_path == "/v2/" or raw_path.startswith("/v2/"):
                self._registry(method, raw_path)
            else:
                self._swagger_404(raw_path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _fault(self, method: str) -> bool:
        with self.state.lock:
            for fault in self.state.faults:
                if fault.method not in (None, method) or not re.search(fault.path, self.path):
                    continue
                if fault.times is not None:
                    if fault.times <= 0:
                        continue
                    fault.times -= 1
                break
            else:
                return False
        self._drain()
        fault.action(self)
        return True

    def _drain(self) -> bytes:
        """The request body, whether sized or chunked (skopeo streams blobs chunked)."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            parts: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str | None = "application/json",
    ) -> None:
        memo = getattr(self, "_memo", None)
        if memo is not None and status == 200:
            with self.state.lock:
                self.state.answers[memo] = (status, body, dict(headers or {}), content_type)
        self._write(status, body, headers or {}, content_type)

    def _write(
        self, status: int, body: bytes, headers: dict[str, str], content_type: str | None
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self.send(status, json.dumps(data).encode(), headers)

    def error(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_json(status, {"errors": [{"code": code, "message": message}]}, headers)

    def _swagger_404(self, path: str) -> None:
        # go-swagger's answer for a path no route matches: not Harbor's NOT_FOUND shape.
        self.send_json(404, {"code": 404, "message": f"path {path} was not found"})

    def user(self) -> User | None:
        """The authenticated user, None for anonymous; False-y after sending 401 on bad credentials."""
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "basic":
            import base64

            try:
                name, _, password = base64.b64decode(value).decode().partition(":")
            except ValueError:
                raise _Unauthorized from None
            user = self.state.users.get(name)
            if user is None or user.password != password:
                raise _Unauthorized
            return user
        if scheme.lower() == "bearer":
            if value not in self.state.tokens:
                raise _Unauthorized
            owner = self.state.tokens[value]
            return self.state.users.get(owner) if owner else None
        return None

    # -- API -----------------------------------------------------------------------------

    def _api(self, method: str, raw_path: str) -> None:
        path = unquote(raw_path)[len(API) :]
        segments = path.strip("/").split("/")
        try:
            user = self.user()
        except _Unauthorized:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        if segments == ["systeminfo"] and method == "GET":
            info: dict[str, Any] = {
                "auth_mode": "db_auth",
                "registry_url": urlsplit(self.server.url).netloc,
            }
            # controller/systeminfo `GetInfo`: harbor_version is protected info (authenticated
            # callers only) from v2.13.0; every earlier release sends it to everyone.
            if user is not None or not _at_least_2_13(self.state.version):
                info["harbor_version"] = self.state.version
            self.send_json(200, info)
            return
        if segments[:2] == ["replication", "policies"] and len(segments) == 3 and method == "GET":
            self._get_policy(user, segments[2])
            return
        if segments == ["replication", "policies"] and method == "GET":
            self._list_policies(user)
            return
        if segments == ["repositories"] and method == "GET":
            self._list_all_repositories(user)
            return
        if segments == ["replication", "executions"] and method == "POST":
            self._start_replication(user)
            return
        if segments == ["projects"] and method == "HEAD":
            self._head_project(user)
            return
        if segments == ["projects"] and method == "POST":
            self._create_project(user)
            return
        if segments == ["projects"] and method == "GET":
            self._list_projects(user)
            return
        if len(segments) == 2 and segments[0] == "projects" and method == "GET":
            self._get_project(user, segments[1])
            return
        if len(segments) < 2 or segments[0] != "projects":
            self._swagger_404(raw_path)
            return
        rest = segments[2:]
        # Only the routes whose parameter is project_name_or_id read an all-digit name as an
        # id; the repository and artifact routes always take a name.
        by_name = self.headers.get("X-Is-Resource-Name", "").lower() == "true" or rest[:1] != [
            "immutabletagrules"
        ]
        project = self.state.project_by_name_or_id(segments[1], by_name)
        routes: list[tuple[str, int, Callable[[Project, User | None, list[str]], None]]] = [
            ("GET", 1, self._list_rules),
            ("POST", 1, self._create_rule),
            ("GET", 2, self._get_repository),
            ("GET", 3, self._list_artifacts),
            ("POST", 3, self._copy_artifact),
            ("GET", 4, self._get_artifact),
            ("DELETE", 4, self._delete_artifact),
            ("GET", 5, self._list_tags),
            ("DELETE", 6, self._delete_tag),
        ]
        for route_method, length, handler in routes:
            if method == route_method and len(rest) == length and self._shape(rest):
                if project is None:
                    project = self._absent_project(user, segments[1], rest)
                    if project is None:
                        return
                if user is None and not project.public:
                    self.error(401, "UNAUTHORIZED", "unauthorized")
                    return
                handler(project, user, rest)
                return
        self._swagger_404(raw_path)

    def _absent_project(self, user: User | None, name: str, rest: list[str]) -> Project | None:
        """A project that does not exist, as Harbor's handlers meet it: `RequireProjectAccess`
        (handler/base.go) looks the name up, finds none and checks project id 0, which only a
        system admin's evaluator allows (common/security/local/context.go `Can`): anonymous
        401, anyone else 403. A system admin goes on into the handler: the rule routes and
        CopyArtifact look the project up again (404 "project <name> not found", project
        dao `GetByName`); the repository and artifact routes never do, and answer as for a
        repository that does not exist (artifact controller `getByTag`/`getByDigest`,
        ListArtifacts' empty list). None once an answer is sent, else a stand-in with no row
        behind it."""
        if user is None:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return None
        if not user.admin:
            self.error(403, "FORBIDDEN", "forbidden")
            return None
        if rest[0] == "immutabletagrules" or self.command == "POST":
            self.error(404, "NOT_FOUND", f"project {name} not found")
            return None
        return Project(name, 0)

    def _get_policy(self, user: User | None, policy_id: str) -> None:
        if user is None:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        if not user.admin:
            self.error(403, "FORBIDDEN", "forbidden")
            return
        policy = self.state.policies.get(int(policy_id)) if policy_id.isdigit() else None
        if policy is None:
            self.error(404, "NOT_FOUND", f"policy {policy_id} not found")
            return
        self.send_json(200, policy)

    def _list_policies(self, user: User | None) -> None:
        """handler/replication.go `ListReplicationPolicies`: system-level access (the
        replication-policy resource), paged, ordered by id with `sort=id`."""
        if user is None:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        if not user.admin:
            self.error(403, "FORBIDDEN", "forbidden")
            return
        policies = [self.state.policies[i] for i in sorted(self.state.policies)]
        self._send_page(policies, self.path.partition("?")[0])

    def _start_replication(self, user: User | None) -> None:
        """handler/replication.go `StartReplication`: system access, the policy must exist
        (404) and be enabled (execution.go `Start`: 412), then an execution starts
        (201, Location .../executions/<id>). The executor is `state.replicate`."""
        body = self._drain()
        if user is None:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        if not user.admin:
            self.error(403, "FORBIDDEN", "forbidden")
            return
        try:
            data = json.loads(body or b"{}")
            policy_id = data["policy_id"]
            if not isinstance(policy_id, int) or isinstance(policy_id, bool):
                raise TypeError(policy_id)
        except (ValueError, KeyError, TypeError):
            self.error(400, "BAD_REQUEST", "execution: policy_id must be an integer")
            return
        policy = self.state.policies.get(policy_id)
        if policy is None:
            self.error(404, "NOT_FOUND", f"policy {policy_id} not found")
            return
        if policy.get("enabled") is False:
            self.error(412, "PRECONDITION", f"the policy {policy_id} is disabled")
            return
        if self.state.replicate is None:
            self.error(500, "UNKNOWN", "internal server error")
            return
        try:
            execution = self.state.replicate(policy_id)
        except HarborError as refused:
            self.error(refused.status, refused.code, refused.message)
            return
        self.send(201, b"", {"Location": f"{API}/replication/executions/{execution}"})

    def _head_project(self, user: User | None) -> None:
        """handler/project.go `HeadProject`: authenticated callers only; 200 or 404."""
        if user is None:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        name = self.query.get("project_name")
        if name is None:
            self.error(422, "UNPROCESSABLE_ENTITY", "project_name in query is required")
            return
        if name not in self.state.projects:
            self.error(404, "NOT_FOUND", f"project {name} not found")
            return
        self.send(200, b"")

    def _create_project(self, user: User | None) -> None:
        """handler/project.go `CreateProject` with a ProjectReq body: authenticated callers
        (project creation open to everyone, Harbor's default), robots only at system
        level, a proxy cache (`registry_id`) only by a system admin; `metadata.public`
        defaults to "false" (the deprecated `public` fills it) and must be "true" or
        "false"; the project DAO's unique name answers 409 CONFLICT. 201 with Location
        `/api/v2.0/projects/<id>` (or `/<name>` with X-Resource-Name-In-Location)."""
        body = self._drain()
        if user is None:
            self.error(401, "UNAUTHORIZED", "unauthorized")
            return
        if user.name.startswith("robot$"):
            self.error(403, "FORBIDDEN", "Only system level robot can create project")
            return
        request = _project_request(body)
        if isinstance(request, str):
            self.error(400, "BAD_REQUEST", request)
            return
        name, public, registry_id = request
        if registry_id is not None and not user.admin:
            self.error(403, "FORBIDDEN", "Only system admin can create proxy cache project")
            return
        with self.state.lock:
            if name in self.state.projects:
                self.error(409, "CONFLICT", f"The project named {name} already exists")
                return
            project = self.state.add_project(name, public=public, registry_id=registry_id)
            if not user.admin:  # the creator owns it (project controller `Create`)
                project.members[user.name] = "projectAdmin"
        in_location = self.headers.get("X-Resource-Name-In-Location", "").lower() == "true"
        self.send(201, b"", {"Location": f"{API}/projects/{name if in_location else project.id}"})

    def _list_projects(self, user: User | None) -> None:
        """handler/project.go `ListProjects`: the projects the caller may see (all for a
        system admin; else the public ones and its own), filtered by `q` (`name=v`,
        `name=~v`, `name={'a' 'b'}` as lib/q `Build` parses it) or the `name` parameter,
        ordered by name, paged."""
        query = self.query.get("q", "")
        keywords = _query_keywords(query)
        if keywords is None:
            self.error(400, "BAD_REQUEST", f"invalid query {query}")
            return
        if "name" in self.query:
            keywords["name"] = ("exact", [self.query["name"]])
        with self.state.lock:
            visible = [
                p
                for p in self.state.projects.values()
                if (user is not None and user.admin)
                or p.public
                or self.state.role(user, p) is not None
            ]
            chosen = [p for p in visible if _project_selected(p, keywords)]
            items = [self._project_json(p, user) for p in sorted(chosen, key=lambda p: p.name)]
        self._send_page(items, self.path.partition("?")[0])

    def _get_project(self, user: User | None, value: str) -> None:
        """handler/project.go `GetProject`: project read access (RequireProjectAccess: a
        project that does not exist is 403/401 to all but a system admin), then
        model/project.go `ToSwagger`."""
        by_name = self.headers.get("X-Is-Resource-Name", "").lower() == "true"
        project = self.state.project_by_name_or_id(value, by_name)
        readable = project is not None and self.state.may(user, project, "artifact:read")
        if not readable and not (user is not None and user.admin):
            if user is None:
                self.error(401, "UNAUTHORIZED", "unauthorized")
            else:
                self.error(403, "FORBIDDEN", "forbidden")
            return
        if project is None:
            self.error(404, "NOT_FOUND", f"project {value} not found")
            return
        self.send_json(200, self._project_json(project, user))

    def _project_json(self, project: Project, user: User | None) -> dict[str, Any]:
        metadata = {"public": "true" if project.public else "false"}
        if project.content_trust_cosign:
            metadata["enable_content_trust_cosign"] = "true"
        if project.prevent_vulnerable is not None:
            metadata["prevent_vul"] = "true"
            metadata["severity"] = project.prevent_vulnerable
        repositories = sum(1 for (p, _) in self.state.artifacts if p == project.name)
        data: dict[str, Any] = {
            "project_id": project.id,
            "owner_id": 1,
            "owner_name": "admin",
            "name": project.name,
            "creation_time": project.creation_time,
            "update_time": project.creation_time,
            "repo_count": repositories,
            "metadata": metadata,
            "cve_allowlist": {
                "id": 0,
                "project_id": project.id,
                "items": [],
                "creation_time": "0001-01-01T00:00:00.000Z",
                "update_time": "0001-01-01T00:00:00.000Z",
            },
        }
        if project.registry_id is not None:
            data["registry_id"] = project.registry_id
        role = self.state.role(user, project)
        if role is not None:
            role_id = {"projectAdmin": 1, "developer": 2, "guest": 3, "maintainer": 4}.get(role, 3)
            data["current_user_role_id"] = role_id
            data["current_user_role_ids"] = [role_id]
        return data

    def _list_all_repositories(self, user: User | None) -> None:
        names = sorted(
            f"{project}/{repository}"
            for (project, repository) in self.state.artifacts
            if self.state.may(user, self.state.projects[project], "artifact:read")
        )
        items = [
            {
                "id": i + 1,
                "project_id": self.state.projects[n.split("/")[0]].id,
                "name": n,
                "artifact_count": 1,
                "pull_count": 0,
            }
            for i, n in enumerate(names)
        ]
        self._send_page(items, self.path.partition("?")[0])

    def _copy_artifact(self, project: Project, user: User | None, rest: list[str]) -> None:
        """handler/artifact.go `CopyArtifact` -> artifact controller `Copy` (`copyDeeply`):
        the source artifact with its children, accessories and every tag each carries, in
        one transaction; one immutable tag met on another artifact fails all of it."""
        if not self.state.may(user, project, "repository:push"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        source = self.query.get("from", "")
        name, _, reference = source.rpartition("@") if "@" in source else source.rpartition(":")
        src_project, _, src_repository = name.partition("/")
        if src_project not in self.state.projects:
            self.error(404, "NOT_FOUND", f"project {src_project} not found")
            return
        digest = self._resolve(self.state.projects[src_project], src_repository, reference)
        if digest is None:
            self.error(404, "NOT_FOUND", f"artifact {source} not found")
            return
        if self.state.is_accessory((src_project, src_repository), digest):
            # CopyArtifact lists the accessory rows of the source itself (ArtifactID) and
            # refuses a hard one, which every kind Harbor ships is, before copying anything.
            self.error(403, "DENIED", "the operation isn't supported for an artifact accessory")
            return
        repository = self._repository_name(rest[1])
        try:
            self.state.copy_artifact(
                (src_project, src_repository), digest, (project.name, repository)
            )
        except HarborError as refused:
            self.error(refused.status, refused.code, refused.message)
            return
        location = f"{API}/projects/{project.name}/repositories/{quote(quote(repository, safe=''), safe='')}/artifacts/{digest}"
        self.send(201, b"", {"Location": location})

    @staticmethod
    def _shape(rest: list[str]) -> bool:
        expected = [
            "immutabletagrules",
            None,
            "repositories",
            None,
            "artifacts",
            None,
            "tags",
            None,
        ]
        if rest[0] == "immutabletagrules":
            return len(rest) == 1
        return (
            all(e is None or e == r for e, r in zip(expected[2:], rest, strict=False))
            and rest[0] == "repositories"
        )

    def _page(self) -> tuple[int, int] | None:
        """`page` and `page_size` as go-swagger binds them (swagger.yaml: defaults 1 and 10,
        page_size at most 100, no minimum on either): a value that is no integer or a
        page_size above 100 fails the binding, which Harbor's lib/http `apiError` answers
        422 UNPROCESSABLE_ENTITY with go-openapi's composite message."""
        try:
            page = int(self.query.get("page", "1"))
            size = int(self.query.get("page_size", "10"))
        except ValueError:
            self.error(
                422,
                "UNPROCESSABLE_ENTITY",
                "validation failure list:\npage and page_size in query must be of type int64",
            )
            return None
        if size > 100:
            self.error(
                422,
                "UNPROCESSABLE_ENTITY",
                "validation failure list:\npage_size in query should be less than or equal to 100",
            )
            return None
        return page, size

    def _send_page(
        self,
        items: list[Any],
        base_path: str,
        within_page: Callable[[list[Any]], list[Any]] | None = None,
    ) -> None:
        paging = self._page()
        if paging is None:
            return
        page, size = paging
        # lib/orm `QuerySetter`: LIMIT only for a page_size above 0 (0 or less: every row),
        # OFFSET only for a page above 0 (page 0 is the first page).
        chunk = items
        if size > 0:
            start = size * (page - 1) if page > 0 else 0
            chunk = items[start : start + size]
        if within_page is not None:
            chunk = within_page(chunk)
        total = len(items)
        # handler/base.go `Links`: none for page_size 0; "prev" only while the page before
        # still holds items; "next" while page_size * page < total (negative sizes included).
        links = []
        if size != 0:
            if page > 1 and (page - 1) * size < total:
                links.append(f'<{self._page_link(base_path, page - 1, size)}>; rel="prev"')
            if size * page < total:
                links.append(f'<{self._page_link(base_path, page + 1, size)}>; rel="next"')
        headers = {"X-Total-Count": str(total)}
        if links:
            headers["Link"] = " , ".join(links)
        self.send_json(200, chunk, headers)

    def _page_link(self, base_path: str, page: int, size: int) -> str:
        """handler/base.go `Links`: the request URL with page and page_size set, its query
        re-encoded by Go's `url.Values.Encode` (keys sorted) and then unescaped whole."""
        values: dict[str, list[str]] = {}
        for key, value in parse_qsl(self.raw_query, keep_blank_values=True):
            values.setdefault(key, []).append(value)
        values["page"] = [str(page)]
        values["page_size"] = [str(size)]
        query = "&".join(f"{key}={value}" for key in sorted(values) for value in values[key])
        return f"{base_path}?{query}"

    def _list_rules(self, project: Project, user: User | None, rest: list[str]) -> None:
        # handler/immutable.go ListImmuRules -> base.go RequireProjectAccess: who may not
        # list is refused with 401 when anonymous (a public project included), else 403.
        if not self.state.may(user, project, "immutable-tag:list"):
            if user is None:
                self.error(401, "UNAUTHORIZED", "unauthorized")
            else:
                self.error(403, "FORBIDDEN", "forbidden")
            return
        self._send_page(
            self._rule_rows(project.rules),
            self.path.partition("?")[0],
            within_page=lambda page: sorted(page, key=lambda r: int(r.get("id", 0))),
        )

    def _rule_rows(self, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The rows as the database hands them to a page (SEMANTICS.md section 4): the
        model `ImmutableRule` (src/pkg/immutable/dao/model/rule.go) has no default sort, so
        without a `sort` Postgres may return any order on each request; the rule manager
        (src/pkg/immutable/manager.go `ListImmutableRules`) then sorts only the page by id.
        `sort` keys are the model's fields (lib/orm `setSorts` ignores unknown ones)."""
        rows = sorted(rules, key=lambda r: int(r.get("id", 0)))
        with self.state.lock:
            if self.state.rule_rng is not None:
                self.state.rule_rng.shuffle(rows)
        fields: dict[str, Callable[[dict[str, Any]], Any]] = {
            "id": lambda r: int(r.get("id", 0)),
            "disabled": lambda r: bool(r.get("disabled")),
            "project_id": lambda r: 0,
            "tag_filter": lambda r: json.dumps(r, sort_keys=True),
        }
        fields |= {"ID": fields["id"], "Disabled": fields["disabled"]}
        fields |= {"ProjectID": fields["project_id"], "TagFilter": fields["tag_filter"]}
        for name, descending in reversed(parse_sort(self.query.get("sort", ""))):
            if name in fields:  # stable sorts, last key first: ties keep the row order
                rows.sort(key=fields[name], reverse=descending)
        return rows

    def _create_rule(self, project: Project, user: User | None, rest: list[str]) -> None:
        if self.state.role(user, project) not in ROLES_THAT_LIST_RULES:
            self.error(403, "FORBIDDEN", "forbidden")
            return
        body = json.loads(self._drain() or b"{}")
        body.pop("id", None)
        body["disabled"] = False  # POST always stores a rule enabled
        rule_id = self.state.add_rule(project.name, body)
        self.send(
            201, b"", {"Location": f"{API}/projects/{project.name}/immutabletagrules/{rule_id}"}
        )

    def _repository_name(self, segment: str) -> str:
        return unquote(segment)  # the second decoding of Harbor's double encoding

    def _get_repository(self, project: Project, user: User | None, rest: list[str]) -> None:
        repository = self._repository_name(rest[1])
        key = (project.name, repository)
        if key not in self.state.artifacts:
            self.error(404, "NOT_FOUND", f"repository {project.name}/{repository} not found")
            return
        self.send_json(
            200,
            {
                "id": abs(hash(key)) % 100000,
                "project_id": project.id,
                "name": f"{project.name}/{repository}",
                "artifact_count": len(self.state.artifacts[key]),
                "pull_count": 0,
            },
        )

    def _artifact_json(
        self,
        project: Project,
        repository: str,
        digest: str,
        with_status: bool,
    ) -> dict[str, Any]:
        """artifact controller `assembleArtifact` + handler/model/artifact.go `ToSwagger`:
        `references` always (the artifact manager assembles them), tags with `with_tag`
        (default true), labels with `with_label`, accessories with `with_accessory`."""
        key = (project.name, repository)
        node = self.state.node(key, digest)
        # populateTags's order: the one a copy's event takes its one tag from.
        # Every tag, single artifact or list item alike: `populateTags` lists them with no
        # page size, and GetArtifact never reads its page/page_size parameters.
        names = self.state.listed_tags(key, digest)
        data: dict[str, Any] = {
            "id": node.id,
            "type": "IMAGE",
            "media_type": node.media_type,
            "manifest_media_type": node.media_type,
            "project_id": project.id,
            "repository_name": f"{project.name}/{repository}",
            "digest": digest,
            "size": node.size,
            "push_time": node.push_time,
        }
        if self.query.get("with_tag", "true") != "false":
            data["tags"] = [self._tag_json(project, repository, n, with_status) for n in names]
        references = [self._reference_json(key, node, child) for child in node.children]
        if references:  # go-swagger omits an empty array
            data["references"] = references
        if self.query.get("with_label") == "true" and node.labels:
            data["labels"] = [self._label_json(name) for name in node.labels]
        if self.query.get("with_accessory") == "true":
            accessories = self.state.accessories_of(key, digest)
            if accessories:
                data["accessories"] = [self._accessory_json(key, link) for link in accessories]
        return data

    def _reference_json(self, key: Key, parent: Node, child: Child) -> dict[str, Any]:
        """handler/model/artifact.go `Reference.ToSwagger`."""
        present = child.digest in self.state.artifacts.get(key, {})
        data: dict[str, Any] = {
            "parent_id": parent.id,
            "child_id": self.state.node(key, child.digest).id if present else 0,
            "child_digest": child.digest,
        }
        if isinstance(child.platform, dict):
            data["platform"] = {
                k: v
                for k, v in child.platform.items()
                if k in ("architecture", "os", "variant", "os.version", "os.features")
            }
        return data

    def _accessory_json(self, key: Key, link: Link) -> dict[str, Any]:
        """handler/model/accessory.go `ToSwagger`."""
        present = link.digest in self.state.artifacts.get(key, {})
        return {
            "id": link.id,
            "artifact_id": self.state.node(key, link.digest).id if present else 0,
            "subject_artifact_id": link.subject_id,
            "subject_artifact_repo": "/".join(key),
            "subject_artifact_digest": link.subject_digest,
            "size": link.size,
            "digest": link.digest,
            "type": link.kind,
            "icon": "",
            "creation_time": link.created,
        }

    def _label_json(self, name: str) -> dict[str, Any]:
        """handler/model/label.go `ToSwagger` of a global label."""
        return {
            "id": self.state.label_ids.get(name, 0),
            "name": name,
            "description": "",
            "color": "",
            "scope": "g",
            "project_id": 0,
            "creation_time": "2026-11-27T00:00:00.000Z",
            "update_time": "2026-11-27T00:00:00.000Z",
        }

    def _tag_json(
        self, project: Project, repository: str, name: str, with_status: bool
    ) -> dict[str, Any]:
        key = (project.name, repository)
        digest = self.state.tags.get(key, {}).get(name)
        present = digest is not None and digest in self.state.artifacts.get(key, {})
        row = self.state.tag_row(key, name)
        return {
            "id": row.id,
            "repository_id": 1,
            "artifact_id": self.state.node(key, digest).id if present and digest else 0,
            "name": name,
            "push_time": row.push_time,
            "immutable": self.state.flag(project.name, repository, name) if with_status else False,
        }

    def _resolve(self, project: Project, repository: str, reference: str) -> str | None:
        key = (project.name, repository)
        if _is_digest(reference):
            return reference if reference in self.state.artifacts.get(key, {}) else None
        return self.state.tags.get(key, {}).get(reference)

    def _find(self, project: Project, user: User | None, rest: list[str]) -> tuple[str, str] | None:
        repository, reference = self._repository_name(rest[1]), rest[3]
        if not self.state.may(user, project, "artifact:read"):
            self.error(403, "FORBIDDEN", "forbidden")
            return None
        # artifact controller `GetByReference`: a reference that parses as a digest is
        # looked up by repository name and digest alone (`getByDigest`); any other is a tag,
        # whose repository is looked up first (`getByTag`: "repository ... not found").
        by_digest = _is_digest(reference)
        if not by_digest and (project.name, repository) not in self.state.artifacts:
            self.error(404, "NOT_FOUND", f"repository {project.name}/{repository} not found")
            return None
        digest = self._resolve(project, repository, reference)
        if digest is None:
            shown = f"@{reference}" if by_digest else f":{reference}"
            self.error(404, "NOT_FOUND", f"artifact {project.name}/{repository}{shown} not found")
            return None
        return repository, digest

    def _get_artifact(self, project: Project, user: User | None, rest: list[str]) -> None:
        found = self._find(project, user, rest)
        if found is None:
            return
        # go-swagger still binds (and validates) the page and page_size swagger declares on
        # getArtifact; handler/artifact.go `GetArtifact` then never uses them.
        if self._page() is None:
            return
        repository, digest = found
        with_status = self.query.get("with_immutable_status") == "true"
        with self.state.lock:
            data = self._artifact_json(project, repository, digest, with_status)
        self.send_json(200, data)

    def _list_artifacts(self, project: Project, user: User | None, rest: list[str]) -> None:
        """handler/artifact.go `ListArtifacts` over the artifact DAO's `List`
        (src/pkg/artifact/dao/dao.go): the base filter keeps tagged artifacts and those no
        index references (`both`), the accessory filter drops every accessory (`notacc`),
        and the order is `sort` or the model's default, push time then id, descending."""
        repository = self._repository_name(rest[1])
        key = (project.name, repository)
        if not self.state.may(user, project, "artifact:read"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        if key not in self.state.artifacts:
            # ListArtifacts counts and lists by RepositoryName: a repository with no rows
            # is an empty list, not a 404.
            self._send_page([], self.path.partition("?")[0])
            return
        query = self.query.get("q", "")
        wanted = None
        if query.startswith("tags="):
            wanted = query[len("tags=") :]
            if wanted.startswith("{") or wanted.startswith("("):
                self.error(400, "BAD_REQUEST", f"invalid query {query}")
                return
        with_status = self.query.get("with_immutable_status") == "true"
        with self.state.lock:
            digests = [
                d
                for d in self.state.artifacts[key]
                if (self.state.tags_of(key, d) or not self.state.parents_of(key, d))
                and not self.state.is_accessory(key, d)
                and (wanted is None or self.state.tags[key].get(wanted) == d)
            ]
            rows = self._artifact_order(key, digests)
            items = [self._artifact_json(project, repository, d, with_status) for d in rows]
        self._send_page(items, self.path.partition("?")[0])

    def _artifact_order(self, key: Key, digests: list[str]) -> list[str]:
        """ORDER BY the `sort` keys the model has (lib/orm `setSorts`), else the default
        `GetDefaultSorts` of src/pkg/artifact/dao/model.go: PushTime desc, ID desc."""
        fields: dict[str, Callable[[str], Any]] = {
            "id": lambda d: self.state.node(key, d).id,
            "push_time": lambda d: self.state.node(key, d).push_time,
            "digest": lambda d: d,
            "size": lambda d: self.state.node(key, d).size,
            "media_type": lambda d: self.state.node(key, d).media_type,
        }
        fields |= {"ID": fields["id"], "PushTime": fields["push_time"], "Digest": fields["digest"]}
        fields |= {"Size": fields["size"], "MediaType": fields["media_type"]}
        sorts = [(n, desc) for n, desc in parse_sort(self.query.get("sort", "")) if n in fields]
        if not sorts:
            sorts = [("push_time", True), ("id", True)]
        rows = sorted(digests, key=fields["id"])
        for name, descending in reversed(sorts):
            rows.sort(key=fields[name], reverse=descending)
        return rows

    def _list_tags(self, project: Project, user: User | None, rest: list[str]) -> None:
        found = self._find(project, user, rest)
        if found is None:
            return
        repository, digest = found
        with_status = self.query.get("with_immutable_status") == "true"
        with self.state.lock:
            names = self._tag_order((project.name, repository), digest)
            items = [self._tag_json(project, repository, n, with_status) for n in names]
        self._send_page(items, self.path.partition("?")[0])

    def _tag_order(self, key: Key, digest: str) -> list[str]:
        """handler/artifact.go `ListTags` -> tag DAO `List`: ORDER BY the `sort` keys the
        model has (lib/orm `setSorts` drops others), else `GetDefaultSorts` of
        src/pkg/tag/model/tag/model.go: PushTime desc, ID desc."""
        state = self.state
        fields: dict[str, Callable[[str], Any]] = {
            "id": lambda n: state.tag_row(key, n).id,
            "push_time": lambda n: state.tag_row(key, n).push_time,
            "name": lambda n: n,
            "artifact_id": lambda n: state.node(key, digest).id,
            "repository_id": lambda n: 1,
        }
        fields |= {"ID": fields["id"], "PushTime": fields["push_time"], "Name": fields["name"]}
        fields |= {"ArtifactID": fields["artifact_id"], "RepositoryID": fields["repository_id"]}
        sorts = [(n, desc) for n, desc in parse_sort(self.query.get("sort", "")) if n in fields]
        if not sorts:
            sorts = [("push_time", True), ("id", True)]
        rows = sorted(state.tags_of(key, digest), key=fields["id"])
        for name, descending in reversed(sorts):
            rows.sort(key=fields[name], reverse=descending)
        return rows

    def _delete_artifact(self, project: Project, user: User | None, rest: list[str]) -> None:
        """handler/artifact.go `DeleteArtifact` -> artifact controller `Delete`."""
        if not self.state.may(user, project, "artifact:delete"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        found = self._find(project, user, rest)
        if found is None:
            return
        repository, digest = found
        try:
            self.state.delete_artifact(project.name, repository, digest)
        except HarborError as refused:
            self.error(refused.status, refused.code, refused.message)
            return
        self.send(200)

    def _delete_tag(self, project: Project, user: User | None, rest: list[str]) -> None:
        if not self.state.may(user, project, "artifact:delete"):
            self.error(403, "FORBIDDEN", "forbidden")
            return
        found = self._find(project, user, rest[:4])
        if found is None:
            return
        repository, digest = found
        tag = rest[5]
        key = (project.name, repository)
        with self.state.lock:
            if self.state.tags[key].get(tag) != digest:
                self.error(404, "NOT_FOUND", f"tag {tag} not found")
                return
            try:
                self.state.delete_tag(key, tag)
            except HarborError as refused:
                self.error(refused.status, refused.code, refused.message)
                return
        self.send(200)

    # -- token service -------------------------------------------------------------------

    def _token(self) -> None:
        try:
            user = self.user()
        except _Unauthorized:
            self.error(401, "UNAUTHORIZED", "invalid credentials")
            return
        token = secrets.token_urlsafe(24)
        with self.state.lock:
            self.state.tokens[token] = user.name if user else None
        self.send_json(
            200,
            {
                "token": token,
                "access_token": token,
                "expires_in": 1800,
                "issued_at": "2026-11-27T00:00:00Z",
            },
        )

    # -- registry (/v2/) -----------------------------------------------------------------

    def _challenge(self, scope: str) -> dict[str, str]:
        realm = f"{self.server.url}/service/token"
        return {
            "WWW-Authenticate": f'Bearer realm="{realm}",service="{SERVICE}",scope="{scope}"',
            "Docker-Distribution-API-Version": "registry/2.0",
        }

    def _registry(self, method: str, raw_path: str) -> None:
        path = unquote(raw_path)
        name = ""
        found = MANIFEST_ROUTE.match(path) or BLOB_ROUTE.match(path)
        if found is None and path.startswith("/v2/") and "/blobs/uploads" in path:
            name = path[len("/v2/") : path.index("/blobs/uploads")]
        elif found is not None:
            name = found.group("name")
        action = "push" if method in ("PUT", "POST", "PATCH", "DELETE") else "pull"
        scope = f"repository:{name}:{action}" if name else "registry:catalog:*"
        try:
            user = self.user()
        except _Unauthorized:
            self.error(401, "UNAUTHORIZED", "authentication required", self._challenge(scope))
            return
        if path == "/v2/":
            if user is None:
                self.error(401, "UNAUTHORIZED", "authentication required", self._challenge(scope))
            else:
                self.send_json(200, {}, {"Docker-Distribution-API-Version": "registry/2.0"})
            return
        # middleware/v2auth/auth.go `check`, in its order. A pull without an Authorization
        # header is sent to the token service whatever the project (public or absent): the
        # CLI's HEAD must see 401 (goharbor/harbor#11271).
        sent = bool(self.headers.get("Authorization"))
        if name and not sent and method in ("GET", "HEAD"):
            self.error(401, "UNAUTHORIZED", "authentication required", self._challenge(scope))
            return
        project_name, _, repository = name.partition("/")
        project = self.state.projects.get(project_name)
        if project is None or not repository:
            # `projectID` fails, and the middleware answers 401 with an empty challenge.
            self.error(
                401,
                "UNAUTHORIZED",
                f"project {project_name} not found",
                {"WWW-Authenticate": "", "Docker-Distribution-API-Version": "registry/2.0"},
            )
            return
        needed = {"pull": "repository:pull", "push": "repository:push"}[action]
        if method == "DELETE":
            needed = "artifact:delete"
        if not self.state.may(user, project, needed):
            # Always 401, never 403; `getChallenge`: Basic once an Authorization was sent.
            challenge = (
                {
                    "WWW-Authenticate": 'Basic realm="harbor"',
                    "Docker-Distribution-API-Version": "registry/2.0",
                }
                if sent
                else self._challenge(scope)
            )
            self.error(
                401,
                "UNAUTHORIZED",
                f"unauthorized to access repository: {name}, action: {action}",
                challenge,
            )
            return
        manifest = MANIFEST_ROUTE.match(path)
        if manifest is not None:
            self._manifest(method, project, repository, manifest.group("ref"))
        else:
            self._proxy(method, raw_path)

    def _manifest(self, method: str, project: Project, repository: str, reference: str) -> None:
        key = (project.name, repository)
        by_digest = reference.startswith("sha256:")
        if method in ("GET", "HEAD"):
            digest = reference if by_digest else self.state.tags.get(key, {}).get(reference)
            if digest is None or digest not in self.state.artifacts.get(key, {}):
                self.error(404, "MANIFEST_UNKNOWN", f"manifest unknown: {reference}")
                return
            violation = self._pull_policy(project, key, digest)
            if violation is not None:
                self.error(412, "PROJECTPOLICYVIOLATION", violation)
                return
            self._proxy(method, f"/v2/{project.name}/{repository}/manifests/{digest}")
            return
        if method == "PUT":
            self._put_manifest(project, repository, reference, by_digest)
            return
        if method == "DELETE":
            # registry/manifest.go `deleteManifest`: by digest only, then artifact `Delete`
            if not by_digest:
                self.error(400, "UNSUPPORTED", "deleting a manifest by tag is not supported")
                return
            if reference not in self.state.artifacts.get(key, {}):
                self.error(404, "MANIFEST_UNKNOWN", f"manifest unknown: {reference}")
                return
            try:
                self.state.delete_artifact(project.name, repository, reference)
            except HarborError as refused:
                self.error(refused.status, refused.code, refused.message)
                return
            self.send(202, content_type=None)
            return
        self.error(405, "UNSUPPORTED", "method not allowed")

    def _put_manifest(
        self, project: Project, repository: str, reference: str, by_digest: bool
    ) -> None:
        """The PUT chain of src/server/registry/route.go: the immutable middleware
        (pushmf.go) refuses a tag that exists and is immutable, even for the same digest;
        `putManifest` stores the manifest in the registry by digest (the tag lives only in
        Harbor's database) and ensures artifact and tag; the cosign and subject middlewares
        then link accessories (`HarborState.record_push`)."""
        key = (project.name, repository)
        body = self._drain()
        if (
            not by_digest
            and self.state.tags.get(key, {}).get(reference) is not None
            and self.state.immutable(project.name, repository, reference)
        ):
            self.error(
                412,
                "PRECONDITION",
                f"Failed to process request due to '{repository}:{reference}' configured as immutable.",
            )
            return
        digest = reference if by_digest else sha256_digest(body)
        media_type = self.headers.get("Content-Type", "")
        answer = self.server.session.put(
            f"{self.server.backend}/v2/{project.name}/{repository}/manifests/{digest}",
            data=body,
            headers={"Content-Type": media_type},
            timeout=30,
        )
        if answer.status_code == 201:
            digest = answer.headers.get("Docker-Content-Digest", digest)
            self.state.record_push(
                project.name, repository, digest, media_type, body, None if by_digest else reference
            )
        self._relay(answer)

    def _pull_policy(self, project: Project, key: Key, digest: str) -> str | None:
        """The pull middlewares of a manifest GET/HEAD, in route order: contenttrust
        (contentrust.go `ContentTrust`: a cosign-enforcing project needs a signature.cosign
        accessory) then vulnerable (vulnerable.go: with no scanner there is no report, so a
        scannable image is refused). util.go `SkipPolicyChecking`: a pull by cosign or
        notation with push access, or of an artifact that is itself a signature, passes."""
        if not project.content_trust_cosign and project.prevent_vulnerable is None:
            return None
        agent = self.headers.get("User-Agent", "")
        pusher = self.state.may(self._user_or_none(), project, "repository:push")
        if pusher and ("cosign" in agent or "notation" in agent):
            return None
        with self.state.lock:
            own = [link for link in self.state.links.get(key, []) if link.digest == digest]
            if own and own[0].kind in (COSIGN, NOTATION):
                return None
            kinds = {link.kind for link in self.state.accessories_of(key, digest)}
        if project.content_trust_cosign and COSIGN not in kinds:
            return "The image is not signed by cosign."
        if project.prevent_vulnerable is not None:
            return (
                "current image without vulnerability scanning cannot be pulled due to configured "
                f'policy in \'Prevent images with vulnerability severity of "{project.prevent_vulnerable}" '
                "or higher from running.' To continue with pull, please contact your project "
                "administrator for help."
            )
        return None

    def _user_or_none(self) -> User | None:
        try:
            return self.user()
        except _Unauthorized:
            return None

    def _proxy(self, method: str, raw_path: str) -> None:
        body = self._drain() if method in ("PUT", "POST", "PATCH") else None
        query = f"?{self.raw_query}" if self.raw_query else ""
        # A header may come as several lines (skopeo sends one Accept line per media type):
        # each is passed on, joined as RFC 9110 section 5.3 allows. Keeping only the last
        # Accept line made distribution refuse OCI manifests to skopeo.
        headers = {
            name: ", ".join(values)
            for name in ("Accept", "Content-Type", "Content-Range")
            if (values := self.headers.get_all(name))
        }
        answer = self.server.session.request(
            method,
            f"{self.server.backend}{raw_path}{query}",
            data=body,
            headers=headers,
            timeout=30,
            allow_redirects=False,
        )
        self._relay(answer)

    def _relay(self, answer: requests.Response) -> None:
        self.send_response(answer.status_code)
        body = answer.content
        for key, value in answer.headers.items():
            if key.lower() in (
                "content-length",
                "transfer-encoding",
                "connection",
                "date",
                "server",
            ):
                continue
            if key.lower() == "location":  # the backend's URLs are ours to the client
                value = value.replace(self.server.backend, self.server.url)  # noqa: PLW2901
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Unauthorized(Exception):
    pass


# -- faults ----------------------------------------------------------------------------------


def status(code: int, headers: dict[str, str] | None = None) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.error(code, "INJECTED", f"injected {code}", headers)

    return act


def raw(body: bytes, content_type: str | None, code: int = 200) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.send(code, body, content_type=content_type)

    return act


def echo_authorization(handler: Handler) -> None:
    """A broken or hostile server's 500 that quotes the Authorization header it was sent."""
    sent = handler.headers.get("Authorization", "none")
    handler.error(500, "INTERNAL", f"boom, you sent {sent}")


def hang(handler: Handler) -> None:
    """Accepts the request and never answers (until the server stops)."""
    handler.server.stopping.wait(300)
    handler.close_connection = True


def truncated(handler: Handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    handler.wfile.write(b'{"digest": "sha256:')
    handler.wfile.flush()
    handler.close_connection = True


def reset(handler: Handler) -> None:
    """Closes the connection with a TCP reset, no answer."""
    handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.close()


def huge(size: int) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(size))
        handler.end_headers()
        if handler.command == "HEAD":
            return  # the size is announced; a HEAD answer has no body to send
        chunk = b" " * 65536
        sent = 0
        with contextlib.suppress(OSError):
            while sent < size:
                piece = chunk[: min(len(chunk), size - sent)]
                handler.wfile.write(piece)
                sent += len(piece)
        handler.close_connection = True

    return act


def redirect(location: str) -> Callable[[Handler], None]:
    def act(handler: Handler) -> None:
        handler.send(302, b"", {"Location": location}, content_type=None)

    return act


def to_https(handler: Handler) -> None:
    """Sends the client to the same URL over https, which this server does not speak: the
    TLS handshake then fails at exactly this point."""
    location = f"https://{handler.headers.get('Host', '')}{handler.path}"
    handler.send(302, b"", {"Location": location}, content_type=None)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 that no trust store knows, made by the openssl CLI."""
    cert, key = directory / "harbor.crt", directory / "harbor.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=tagguard test harbor",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@contextlib.contextmanager
def running_harbor(
    backend: str,
    state: HarborState | None = None,
    tls: tuple[Path, Path] | None = None,
    address: str = "127.0.0.1",
) -> Iterator[tuple[str, HarborState]]:
    """Serves `state` on a free port of `address` in front of the registry at `backend`;
    over https when `tls` names a certificate and its key. Another loopback address
    (127.0.0.2) stands for another host."""
    state = state or HarborState()
    state.backend = backend
    context = None
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
    server = _Server((address, 0), state, backend, context)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield server.url, state
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        server.session.close()
        thread.join(timeout=10)
