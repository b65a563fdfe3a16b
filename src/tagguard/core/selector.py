"""Harbor's selectors (`src/lib/selector`): which candidates a (kind, decoration, pattern)
selects.

Only the `doublestar` kind is registered in Harbor's selector index; asking for any other
kind, or a decoration it does not list, is an error, and so is a pattern error met while
matching. Harbor's immutability matcher turns every such error into "not immutable".

The selection loop is reproduced as Harbor wrote it, including that the value under test
and the exclude flag are carried from one candidate to the next, and that an empty value
(a namespace nobody set) is never selected by either `nsMatches` or `nsExcludes`.
"""

from __future__ import annotations

from tagguard.core.glob import harbor_match
from tagguard.core.record import record
from tagguard.errors import TagguardError

DOUBLESTAR = "doublestar"
MATCHES = "matches"
EXCLUDES = "excludes"
REPO_MATCHES = "repoMatches"
REPO_EXCLUDES = "repoExcludes"
NS_MATCHES = "nsMatches"
NS_EXCLUDES = "nsExcludes"
DECORATIONS = (MATCHES, EXCLUDES, REPO_MATCHES, REPO_EXCLUDES, NS_MATCHES, NS_EXCLUDES)
TAG_DECORATIONS = (MATCHES, EXCLUDES)
REPOSITORY_DECORATIONS = (REPO_MATCHES, REPO_EXCLUDES)
NAMESPACE_DECORATIONS = (NS_MATCHES, NS_EXCLUDES)


class SelectorError(TagguardError):
    """Harbor's selector index refuses the kind or decoration (index.Get's errors)."""


@record
class Candidate:
    """What Harbor matches: the repository *without* its project, and the tags."""

    repository: str
    tags: tuple[str, ...]
    namespace: str = ""


def check_selector(kind: str, decoration: str) -> None:
    """index.Get: raise for what Harbor's selector index would refuse."""
    if not kind or not decoration:
        raise SelectorError("empty selector kind or decoration")
    if kind != DOUBLESTAR:
        raise SelectorError(f"selector {kind} is not registered")
    if decoration not in DECORATIONS:
        raise SelectorError(f"decoration {decoration} of selector {kind} is not supported")


def default_untagged(decoration: str) -> bool:
    """doublestar.New with empty extras: untagged artifacts are kept unless `excludes`."""
    return decoration != EXCLUDES


# What every cosign signature tag (`sha256-<64 hex>.sig`) begins with, and the characters
# that end a doublestar pattern's literal beginning (in both releases Harbor links).
_SIGNATURE_TAG_START = "sha256-"
_GLOB_SPECIAL = frozenset("*?[{\\")


def may_select_signature_tag(kind: str, decoration: str, pattern: str) -> bool:
    """Whether a tag selector may select a cosign signature tag: False only where it cannot,
    a doublestar `matches` whose pattern begins with literal text no such tag begins with
    (`v*`, `release-*`; a literal character matches only itself). Anything else may: an
    `excludes`, an empty pattern (it matches everything), a pattern beginning with a
    wildcard, brace or class, a selector Harbor errors on."""
    if kind != DOUBLESTAR or decoration != MATCHES or not pattern:
        return True
    literal = []
    for char in pattern:
        if char in _GLOB_SPECIAL:
            break
        literal.append(char)
    head = "".join(literal)[: len(_SIGNATURE_TAG_START)]
    return _SIGNATURE_TAG_START.startswith(head)


def select(
    kind: str,
    decoration: str,
    pattern: str,
    candidates: tuple[Candidate, ...],
    *,
    untagged: bool,
    glob_version: str,
) -> tuple[Candidate, ...]:
    """The candidates Harbor's selector keeps. Raises SelectorError or PatternError."""
    check_selector(kind, decoration)
    selected: list[Candidate] = []
    value = ""
    excludes = False
    for candidate in candidates:
        if decoration == MATCHES:
            if _any_tag_matches(pattern, candidate, untagged, glob_version):
                selected.append(candidate)
        elif decoration == EXCLUDES:
            if _any_tag_escapes(pattern, candidate, untagged, glob_version):
                selected.append(candidate)
        elif decoration in REPOSITORY_DECORATIONS:
            value = candidate.repository
            excludes = excludes or decoration == REPO_EXCLUDES
        else:
            value = candidate.namespace
            excludes = excludes or decoration == NS_EXCLUDES
        if value and harbor_match(pattern, value, glob_version) != excludes:
            selected.append(candidate)
    return tuple(selected)


def _any_tag_matches(pattern: str, candidate: Candidate, untagged: bool, version: str) -> bool:
    if not candidate.tags:
        return untagged
    return any(harbor_match(pattern, tag, version) for tag in candidate.tags)


def _any_tag_escapes(pattern: str, candidate: Candidate, untagged: bool, version: str) -> bool:
    if not candidate.tags:
        return not untagged
    return any(not harbor_match(pattern, tag, version) for tag in candidate.tags)
