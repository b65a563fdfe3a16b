"""Harbor replication policies: which artifacts and tags a run writes, and where.

Read from Harbor's source (main, unchanged in substance since v2.8):

* a policy as the API returns it (`GET /api/v2.0/replication/policies/{id}`, built by
  `convertReplicationPolicy` in src/server/v2.0/handler/replication.go);
* selection: src/pkg/reg/adapter/harbor/v2 (`FetchArtifacts`, `client.listArtifacts`,
  `getAccessoryArts`) feeding src/pkg/reg/filter (`DoFilterRepositories`,
  `DoFilterArtifacts`); the glob is util.Match (src/pkg/reg/util/pattern.go): an empty
  pattern matches everything, else bmatcuk/doublestar v1, the one go.mod pins, so the same
  release as the immutability matcher's (`harbor_match` with the source Harbor's version);
* writes: src/controller/replication/transfer/image/transfer.go (`convert`, `copy`,
  `copyArtifact`), destination names: `replaceNamespace` in flow/stage.go;
* starting: `controller.Start` in src/controller/replication/execution.go refuses a disabled
  policy; events: src/controller/event/handler/replication/event/handler.go.

A push-based policy (no source registry: the source is the Harbor that holds the policy)
selects repositories by its `name` filters (doublestar on the full `project/repo`; a name
filter has no decoration), artifacts and tags by its `tag` and `label` filters, and writes
each selected tag into the destination under a name mapped by `dest_namespace` and
`dest_namespace_replace_count`. A `resource` filter changes nothing a Harbor source selects.
A malformed pattern fails the whole execution before anything is written.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Final, TypeVar
from urllib.parse import urlsplit

from tagguard.core.glob import harbor_match
from tagguard.core.record import record, replace
from tagguard.core.state import ArtifactInfo
from tagguard.errors import InputError, PatternError, RemoteError, StateError

_T = TypeVar("_T")

NAME: Final = "name"
TAG: Final = "tag"
LABEL: Final = "label"
RESOURCE: Final = "resource"
MATCHES: Final = "matches"
EXCLUDES: Final = "excludes"
MANUAL: Final = "manual"
SCHEDULED: Final = "scheduled"
EVENT_BASED: Final = "event_based"
HARBOR: Final = "harbor"

_FILTER_TYPES: Final = (NAME, TAG, LABEL, RESOURCE)
_TRIGGERS: Final = (MANUAL, SCHEDULED, EVENT_BASED)
_INT8: Final = range(-128, 128)  # dest_namespace_replace_count is an int8 in Harbor's model
# What Go's strings.TrimSpace trims (unicode.IsSpace): str.strip() would also take
# U+001C..U+001F, which Go keeps.
_GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)


class FilterPatternError(PatternError):
    """A policy filter's pattern is malformed for the name it was matched with. `detail`
    says which; what fails with it depends on who matched (a run, or the event handler)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{detail}; Harbor fails the whole execution and replicates nothing")
        self.detail = " ".join(detail.split())


@record
class Filter:
    """One policy filter. `pattern` is the value of a name, tag or resource filter; `labels`
    the value (a list of label names) of a label filter."""

    type: str
    pattern: str = ""
    labels: tuple[str, ...] = ()
    # Harbor's filters test `== "excludes"`; everything else (absent, "matches") matches.
    decoration: str = MATCHES

    @property
    def value(self) -> str | tuple[str, ...]:
        return self.labels if self.type == LABEL else self.pattern

    @property
    def excludes(self) -> bool:
        return self.decoration == EXCLUDES


@record
class Registry:
    """A policy's source or destination registry (`id` 0 is the Harbor holding the policy)."""

    id: int
    type: str
    url: str
    insecure: bool = False


@record
class Write:
    """One reference Harbor's transfer copies into the destination, in order."""

    repository: str  # destination `project/repo`
    reference: str  # the tag, or the digest for an artifact replicated without tags
    digest: str
    accessory: bool  # an accessory (signature, SBOM...) copied with its subject

    @property
    def tag(self) -> str | None:
        return None if self.reference == self.digest else self.reference


class Outcome(enum.Enum):
    """What transfer.go's `copyArtifact` does with one reference in the destination."""

    PUSH = "push"  # absent, or present elsewhere with override: the manifest PUT goes out
    SAME = "same"  # already on this digest: skipped
    KEPT = "kept"  # on another digest and override is false: skipped with a warning


def outcome(current_digest: str | None, digest: str, *, override: bool) -> Outcome:
    """transfer.go `copyArtifact`: HEAD the destination reference; same digest -> skip;
    another digest and `override` false -> skip (a warning, the task still succeeds);
    otherwise PUT the manifest (an immutable tag then answers 412 and fails the task)."""
    if current_digest is None:
        return Outcome.PUSH
    if current_digest == digest:
        return Outcome.SAME
    return Outcome.PUSH if override else Outcome.KEPT


@record
class _Entry:
    """One element of the list `client.listArtifacts` builds (model.Artifact): a listed
    artifact, or one of its accessories, which carries its subject's tags (`parent_tags`)
    and labels for matching. `is_acc` is Harbor's IsAcc, lost when a tag filter copies the
    entry; `accessory` remembers what the entry is."""

    digest: str
    tags: tuple[str, ...]
    labels: tuple[str, ...]
    is_acc: bool = False
    parent_tags: tuple[str, ...] = ()
    accessory: bool = False


@record
class Policy:
    id: int
    name: str
    source: Registry | None  # None or id 0: push-based, the source is this Harbor
    destination: Registry | None
    dest_namespace: str
    replace_count: int
    override: bool
    enabled: bool
    filters: tuple[Filter, ...]
    trigger: str = MANUAL
    replicate_deletion: bool = False

    # -- what the policy is -----------------------------------------------------------------

    @property
    def source_registry_url(self) -> str | None:
        """None for a push-based policy; the remote source's URL for a pull-based one."""
        return self.source.url if self.source is not None and self.source.id else None

    @property
    def destination_url(self) -> str:
        return self.destination.url if self.destination is not None else ""

    @property
    def destination_insecure(self) -> bool:
        return self.destination.insecure if self.destination is not None else False

    @property
    def destination_host(self) -> str:
        return urlsplit(self.destination_url).netloc.lower()

    @property
    def destination_is_harbor(self) -> bool:
        return self.destination is not None and self.destination.type == HARBOR

    @property
    def event_based(self) -> bool:
        return self.trigger == EVENT_BASED

    @property
    def replicates_deletion(self) -> bool:
        return self.replicate_deletion

    def refusal(self) -> str | None:
        """Why no run of this policy writes anything, or None."""
        if not self.enabled:
            # execution.go controller.Start: `if !policy.Enabled` -> PreconditionCode
            # "the policy %d is disabled", before any execution exists; event handlers
            # only list enabled policies, and a disabled policy loses its schedule.
            return (
                f"replication policy {self.id} ({self.name}) is disabled: Harbor refuses to "
                "start it, by hand, on schedule or on an event, so it writes nothing"
            )
        return None

    def unsupported_destination(self) -> str | None:
        """Why tagguard cannot predict the destination's answers, or None."""
        if self.destination is None or not self.destination.url:
            return f"replication policy {self.id} ({self.name}) names no destination registry"
        if not self.destination_is_harbor:
            kind = self.destination.type or "untyped"
            return (
                f"replication policy {self.id} ({self.name}) replicates to a {kind} registry "
                f"({self.destination.url}), not a Harbor: what it refuses is not Harbor's tag "
                "immutability, so tagguard cannot predict it"
            )
        return None

    def unsupported_filters(self) -> tuple[Filter, ...]:
        """Filters of a type Harbor's selection ignores (so does tagguard): none from a
        Harbor that validated the policy."""
        return tuple(f for f in self.filters if f.type not in _FILTER_TYPES)

    # -- selection ------------------------------------------------------------------------

    def listed_projects(self) -> tuple[str, ...] | None:
        """The projects Harbor lists for a run, or None for all of them. base/adapter.go
        `ListProjects`: when the project part of the first name filter is a literal (or one
        `{a,b}` group) only those projects are read; if none exists, all are. Filtering by
        the full name follows either way, so this only spares requests."""
        pattern = next((f.pattern for f in self.filters if f.type == NAME), "")
        if not pattern:
            return None
        names = _specific_component(pattern.split("/")[0])
        return None if names is None else tuple(n.strip(_GO_SPACE) for n in names)

    def selects_repository(self, name: str, glob_version: str) -> bool:
        """filter/repository.go `repositoryNameFilter`: every name filter must match the full
        `project/repo`; its decoration is ignored (model.Filter.Validate refuses one)."""
        return all(
            self._match(f, f.pattern, name, glob_version) for f in self.filters if f.type == NAME
        )

    def select(
        self, repository: str, artifacts: Sequence[ArtifactInfo], glob_version: str
    ) -> list[ArtifactInfo]:
        """The artifacts of `repository` (as the artifact list gives them: no accessories, no
        untagged index children) a run replicates, each with only the tags it replicates; one
        left with no tags goes by digest. Raises PatternError where Harbor's run fails.

        An artifact the filters drop is still returned, whole, when its accessories may
        outlive it (`_accessories_may_outlive`): `writes` then gives what Harbor writes of
        it, maybe only accessories, maybe nothing, or raises where their tags fail the run."""
        if not self.selects_repository(repository, glob_version):
            return []
        selected = []
        for artifact in artifacts:
            root = _Entry(artifact.digest, tuple(t.name for t in artifact.tags), artifact.labels)
            kept = self._filter_artifacts([root], glob_version)
            if kept:
                names = set(kept[0].tags)
                selected.append(
                    replace(artifact, tags=tuple(t for t in artifact.tags if t.name in names))
                )
            elif self._accessories_may_outlive(artifact, root, glob_version):
                selected.append(artifact)
        return selected

    def _accessories_may_outlive(
        self, artifact: ArtifactInfo, root: _Entry, glob_version: str
    ) -> bool:
        """Whether an accessory of `artifact` (or of an index child) may be kept though the
        artifact is not. listArtifacts filters accessories in the same list; up to the first
        tag filter with a pattern they share the artifact's fate (matched by its tags, with
        its labels), but the copy that filter keeps is matched by its OWN tags from then on
        (artifact.go artifactTagFilter.Filter), so a later tag filter may keep it, or fail
        the run on one of them, after dropping the artifact. Only its labels are known here:
        the accessories' tags are read for the artifacts `select` returns."""
        if not (artifact.accessories or artifact.children):
            return False
        first = next((i for i, f in enumerate(self.filters) if f.type == TAG and f.pattern), None)
        if first is None:
            return False
        head, later = self.filters[: first + 1], self.filters[first + 1 :]
        second = next((i for i, f in enumerate(later) if f.type == TAG and f.pattern), None)
        if second is None:
            return False
        if not self._filter_artifacts([root], glob_version, filters=head):
            return False
        # The label filters before the next tag filter decide whether an accessory reaches
        # it; those after it cannot spare the run an error that filter raises.
        return all(_label_filter(f, [root]) for f in later[:second] if f.type == LABEL)

    def writes(
        self,
        repository: str,
        artifact: ArtifactInfo,
        related: Mapping[str, ArtifactInfo],
        glob_version: str,
    ) -> list[Write]:
        """The ordered writes a run performs for one listed artifact of `repository` (as
        read, or as `select` returned it: the answer is the same), into the destination.

        `related` maps the digest of every accessory, recursively, and of every index child
        to that artifact as `GET .../artifacts/{digest}?with_tag=true&with_accessory=true`
        gives it (its own tags and accessories): what `client.listArtifacts` reads.

        Order (transfer.go `convert`): the artifact's selected tags, then each accessory
        depth first (an accessory's accessories follow it), then the accessories of each
        index child, each with its OWN tags (a cosign `sha256-<hex>.sig`), or by digest when
        it has none. Index children themselves are pushed by digest inside the artifact's
        copy (never refused) and are not listed. Empty if the policy does not select it.
        """
        if not self.selects_repository(repository, glob_version):
            return []
        kept = self._filter_artifacts(_entries(artifact, related), glob_version)
        if not kept:
            # FetchArtifacts drops a repository left with no artifact before its destination
            # name is made (assembleDestinationResources), so a bad count fails nothing here.
            return []
        target = self.destination_name(repository)
        return [
            Write(target, reference, entry.digest, entry.accessory)
            for entry in kept
            for reference in (entry.tags or (entry.digest,))
        ]

    def event_writes(
        self, repository: str, artifact: ArtifactInfo, glob_version: str
    ) -> list[Write]:
        """What pushing `artifact` (with `artifact.tags` the tags of that push, and
        `artifact.labels` the labels its event carries: none for a push, the artifact's for
        a delete) to `repository` of the source makes this policy write at once, if anything.

        event/handler.go `getRelatedPolicies`: enabled, event-based, push-based policies
        whose filters select the pushed artifact (matched as an ordinary artifact, even a
        signature pushed by tag); `Handle` then starts the run with the event's resource
        as it came, so every tag of the push goes, by digest if none, without accessories.
        """
        if not self.selects_event(repository, artifact, glob_version):
            return []
        return self.writes_of_event(repository, artifact)

    def writes_of_event(self, repository: str, artifact: ArtifactInfo) -> list[Write]:
        """What the execution of an event this policy selects (`selects_event`) writes: every
        tag of the event, by digest if none, under the destination name (InputError when
        Harbor cannot make it: replaceNamespace fails that execution)."""
        target = self.destination_name(repository)
        references = tuple(t.name for t in artifact.tags) or (artifact.digest,)
        return [Write(target, r, artifact.digest, False) for r in references]

    @property
    def listens(self) -> bool:
        """Whether the event handler considers this policy at all (getRelatedPolicies:
        enabled, with the local Harbor as its source, event-based)."""
        return self.enabled and self.event_based and self.source_registry_url is None

    def selects_event(
        self, repository: str, artifact: ArtifactInfo, glob_version: str, *, deleted: bool = False
    ) -> bool:
        """getRelatedPolicies for one event: a listening policy (replicating deletion, for a
        delete event) whose filters select the event's resource (DoFilterResources). A
        malformed pattern raises FilterPatternError: the handler then returns the error and
        starts no policy at all for that event."""
        if not self.listens or (deleted and not self.replicate_deletion):
            return False
        entry = _Entry(artifact.digest, tuple(t.name for t in artifact.tags), artifact.labels)
        return self.selects_repository(repository, glob_version) and bool(
            self._filter_artifacts([entry], glob_version)
        )

    def selects_tag(self, tag: str, glob_version: str) -> bool:
        """Whether the tag filters keep `tag` of an artifact (kept for callers that go tag by
        tag; `select` is exact for whole artifacts)."""
        entry = _Entry("", (tag,), ())
        kept = self._filter_artifacts([entry], glob_version, labels=False)
        return bool(kept) and tag in kept[0].tags

    def destination_name(self, name: str) -> str:
        """Where `project/repo` lands in the destination (flow/stage.go `replaceNamespace`):

        * no namespace: the name is unchanged;
        * count -1 (the default, "legacy"): `namespace/<last segment>`;
        * count N >= 0: the first N segments are replaced (`a/b/c`, ns `n`: 0 -> `n/a/b/c`,
          1 -> `n/b/c`, 2 -> `n/c`); more than the segments before the last one is an error
          that fails the whole execution.
        """
        namespace = self.dest_namespace.strip("/")
        if not namespace:
            return name
        segments = name.split("/")
        if self.replace_count < 0:
            return f"{namespace}/{segments[-1]}"
        if self.replace_count >= len(segments):
            raise InputError(
                f"replication policy {self.id}: dest_namespace_replace_count {self.replace_count} "
                f"leaves nothing of repository {name!r} ({len(segments)} segments), so Harbor "
                "fails the whole execution"
            )
        return "/".join([namespace, *segments[self.replace_count :]])

    # -- Harbor's artifact filters ----------------------------------------------------------

    def _filter_artifacts(
        self,
        entries: list[_Entry],
        glob_version: str,
        *,
        labels: bool = True,
        filters: Sequence[Filter] | None = None,
    ) -> list[_Entry]:
        """filter/artifact.go `ArtifactFilters.Filter`: each label and tag filter in the
        policy's order (or of `filters`, some of them), on what the previous ones kept."""
        for flt in self.filters if filters is None else filters:
            if flt.type == LABEL and labels:
                entries = _label_filter(flt, entries)
            elif flt.type == TAG:
                entries = self._tag_filter(flt, entries, glob_version)
        return entries

    def _tag_filter(self, flt: Filter, entries: list[_Entry], glob_version: str) -> list[_Entry]:
        """artifact.go `artifactTagFilter.Filter`."""
        if not flt.pattern:
            return entries  # whatever the decoration
        kept = []
        for entry in entries:
            # An accessory is matched by its subject's tags.
            matching = entry.parent_tags if entry.is_acc else entry.tags
            if not matching:
                # Untagged: matched as the empty name, and kept as it is.
                if self._match(flt, flt.pattern, "", glob_version) != flt.excludes:
                    kept.append(entry)
                continue
            chosen = tuple(
                t
                for t in matching
                if self._match(flt, flt.pattern, t, glob_version) != flt.excludes
            )
            if not chosen:
                continue
            # The copy Harbor makes drops IsAcc and ParentTags: a later tag filter matches an
            # accessory by its own tags, like any artifact.
            tags = entry.tags if entry.is_acc else chosen
            kept.append(_Entry(entry.digest, tags, entry.labels, accessory=entry.accessory))
        return kept

    def _match(self, flt: Filter, pattern: str, name: str, glob_version: str) -> bool:
        try:
            return harbor_match(pattern, name, glob_version)
        except PatternError as error:
            raise FilterPatternError(
                f"replication policy {self.id}: its {flt.type} filter {pattern!r} is malformed "
                f"for {name!r} ({error.message})"
            ) from None


def _label_filter(flt: Filter, entries: list[_Entry]) -> list[_Entry]:
    """artifact.go `artifactLabelFilter.Filter`: `matches` keeps the entries carrying every
    listed label, `excludes` the others; an empty list keeps everything. An accessory
    carries its subject's labels."""
    if not flt.labels:
        return entries
    wanted = set(flt.labels)
    return [e for e in entries if wanted.issubset(e.labels) != flt.excludes]


def _entries(artifact: ArtifactInfo, related: Mapping[str, ArtifactInfo]) -> list[_Entry]:
    """v2/client.go `listArtifacts`: the artifact, its accessories depth first
    (`getAccessoryArts`), then the accessories of each child it references. Every accessory
    is matched by the listed artifact's tags and labels."""
    parent_tags = tuple(t.name for t in artifact.tags)
    entries = [_Entry(artifact.digest, parent_tags, artifact.labels)]
    seen: set[str] = {artifact.digest}

    def accessories_of(owner: ArtifactInfo) -> None:
        for accessory in owner.accessories:
            info = _related(related, accessory.digest, owner.digest, "accessory")
            if info.digest in seen:
                raise StateError(f"accessory {info.digest} of {owner.digest} is its own ancestor")
            seen.add(info.digest)
            entries.append(
                _Entry(
                    info.digest,
                    tuple(t.name for t in info.tags),
                    artifact.labels,
                    is_acc=True,
                    parent_tags=parent_tags,
                    accessory=True,
                )
            )
            accessories_of(info)

    accessories_of(artifact)
    for child in artifact.children:
        accessories_of(_related(related, child, artifact.digest, "child"))
    return entries


def _related(
    related: Mapping[str, ArtifactInfo], digest: str, owner: str, kind: str
) -> ArtifactInfo:
    info = related.get(digest)
    if info is None:
        raise StateError(
            f"{kind} {digest} of artifact {owner} was not read, so its tags are unknown"
        )
    return info


def _specific_component(component: str) -> list[str] | None:
    """util/pattern.go `IsSpecificPathComponent`: the names a pattern component stands for
    when it is a literal or holds one `{...}` group, else None."""
    if not component or any(c in component for c in "*?[\\]^/"):
        return None
    if not any(c in component for c in "{},"):
        return [component]
    start, end = component.find("{"), component.rfind("}")
    if component.count("{") > 1 or start == -1 or end == -1 or start > end:
        return None
    prefix, suffix = component[:start], component[end + 1 :]
    return [prefix + part + suffix for part in component[start + 1 : end].split(",")]


# -- parsing ----------------------------------------------------------------------------------


class _Malformed(Exception):
    """Why a policy document is not one Harbor returns; becomes a one-line RemoteError."""


def parse_policy(data: object, where: str) -> Policy:
    """A policy as `GET /api/v2.0/replication/policies/{id}` returns it (swagger
    ReplicationPolicy). Raises RemoteError, one line, for anything Harbor would not store."""
    if not isinstance(data, Mapping):
        raise RemoteError(f"{where}: not a replication policy object")
    try:
        return Policy(
            id=_int(data.get("id", 0), "id"),
            name=_str(data.get("name"), "name"),
            source=_registry(data.get("src_registry"), "src_registry"),
            destination=_registry(data.get("dest_registry"), "dest_registry"),
            dest_namespace=_str(data.get("dest_namespace"), "dest_namespace"),
            replace_count=_replace_count(data.get("dest_namespace_replace_count")),
            override=_bool(data.get("override"), "override"),
            enabled=_bool(data.get("enabled"), "enabled"),
            filters=_filters(data.get("filters")),
            trigger=_trigger(data.get("trigger")),
            # The API fills both; `deletion` is the deprecated name of the same field.
            replicate_deletion=_bool(data.get("replicate_deletion"), "replicate_deletion")
            or _bool(data.get("deletion"), "deletion"),
        )
    except _Malformed as error:
        raise RemoteError(f"{where}: malformed replication policy ({error})") from None


def _filters(value: object) -> tuple[Filter, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise _Malformed(f"filters {value!r} is not a list")
    return tuple(_filter(item, i) for i, item in enumerate(value))


def _filter(item: object, index: int) -> Filter:
    """model.Filter.Validate: name, tag and resource filters hold a string, a label filter a
    list of strings; the decoration is absent, `matches` or `excludes`."""
    if not isinstance(item, Mapping):
        raise _Malformed(f"filter {index} is not an object")
    kind = _str(item.get("type"), f"filter {index} type")
    decoration = _str(item.get("decoration"), f"filter {index} decoration") or MATCHES
    if decoration not in (MATCHES, EXCLUDES):
        raise _Malformed(
            f"filter {index} decoration {decoration!r} is neither matches nor excludes"
        )
    value = item.get("value")
    if kind == LABEL:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Malformed(f"label filter {index} value {value!r} is not a list of label names")
        return Filter(kind, labels=tuple(value), decoration=decoration)
    if kind in (NAME, TAG, RESOURCE) and not isinstance(value, str):
        raise _Malformed(f"{kind} filter {index} value {value!r} is not a string")
    return Filter(kind, pattern=value if isinstance(value, str) else "", decoration=decoration)


def _trigger(value: object) -> str:
    """No trigger is a manual policy (the event handler looks for `"type":"event_based"`)."""
    if value is None:
        return MANUAL
    if not isinstance(value, Mapping):
        raise _Malformed(f"trigger {value!r} is not an object")
    kind = _str(value.get("type"), "trigger type") or MANUAL
    if kind not in _TRIGGERS:
        raise _Malformed(f"trigger type {kind!r} is not manual, scheduled or event_based")
    return kind


def _registry(value: object, field: str) -> Registry | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _Malformed(f"{field} is not an object")
    return Registry(
        id=_int(value.get("id", 0), f"{field} id"),
        type=_str(value.get("type"), f"{field} type"),
        url=_url(value.get("url"), f"{field} url"),
        insecure=_bool(value.get("insecure"), f"{field} insecure"),
    )


def _url(value: object, field: str) -> str:
    """A registry's URL, which the destination's host is read from: urlsplit must take it."""
    url = _str(value, field).rstrip("/")
    try:
        urlsplit(url).port  # noqa: B018 - read only when asked, and may be refused
    except ValueError:  # an open `[`, a port that is no number
        raise _Malformed(f"{field} {url!r} is not a URL") from None
    return url


def _replace_count(value: object) -> int:
    # x-isnullable: absent or null is the legacy mode, -1.
    count = -1 if value is None else _int(value, "dest_namespace_replace_count")
    if count not in _INT8:
        raise _Malformed(f"dest_namespace_replace_count {count} is not an int8")
    return count


def _int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Malformed(f"{field} {value!r} is not an integer")
    return value


def _str(value: object, field: str) -> str:
    return _or_zero(value, str, "", field, "a string")


def _bool(value: object, field: str) -> bool:
    return _or_zero(value, bool, False, field, "a boolean")


def _or_zero(value: object, kind: type[_T], zero: _T, field: str, noun: str) -> _T:
    """A field Go decodes into `kind`: absent or null is its zero value, any other type is
    refused."""
    if value is None:
        return zero
    if not isinstance(value, kind):
        raise _Malformed(f"{field} {value!r} is not {noun}")
    return value
