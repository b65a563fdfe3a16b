"""Example names for a pattern: what its author most likely meant it to match.

`lint` cannot ask a person what a rule was for, so it reads the pattern the way people
read globs (every `{a,b}` alternative, `*` as "anything in a segment", `**` as "any
depth", `[a-z]` as one of its members) and writes out a few names that reading says should
match. Running Harbor's real matcher on them shows, with a concrete name, where Harbor
disagrees: a quirk, a version difference, a pattern error that fails open.

Only names that can exist are kept: valid tags for tag patterns, valid repository paths
(without the project) for repository patterns.

`error_probes` writes names for the opposite purpose: names that drive Harbor's matcher
*into* each malformed part of a pattern, read the way each doublestar release reads it, so
a lazy pattern error that some real name triggers is always found (see its docstring).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Iterator
from functools import partial
from typing import TypeVar

from tagguard.core import glob
from tagguard.core.record import record
from tagguard.errors import PatternError

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_REPO = re.compile(
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
)

MAX_EXPANSIONS = 96
COMMON_TAGS = ("latest", "1.0", "1.0.0", "v1.2.3", "main", "dev", "release-1.10", "1.0-rc1", "x")
COMMON_REPOSITORIES = ("app", "team/app", "a/b/c", "redis", "x")


def is_valid_name(name: str, slot: str) -> bool:
    return bool((_TAG if slot == "tag" else _REPO).fullmatch(name))


def intended_names(pattern: str, slot: str) -> list[str]:
    """Names the pattern reads as matching, valid for the slot, at most MAX_EXPANSIONS."""
    out: list[str] = []
    for name in _expand(pattern, depth=0):
        if is_valid_name(name, slot) and name not in out:
            out.append(name)
        if len(out) >= MAX_EXPANSIONS:
            break
    return out


def probe_names(pattern: str, slot: str) -> list[str]:
    """Intended names, near misses around them, and common names: inputs to test with."""
    intended = intended_names(pattern, slot)
    candidates: list[str] = list(intended)
    for name in intended:
        candidates.extend((name + "x", "x" + name, name[:-1], name + "/x", name + "0"))
    # A pattern ending in '/' reads as no valid name, but v1.1.1 drops that '/' (`team/`
    # matches `team`) and v1.3.4 does not: the name without it tells the releases apart.
    candidates.extend(
        name.rstrip("/")
        for name in _expand(pattern, depth=0)[:MAX_EXPANSIONS]
        if name.endswith("/")
    )
    candidates.extend(COMMON_TAGS if slot == "tag" else COMMON_REPOSITORIES)
    seen: list[str] = []
    for name in candidates:
        if name and is_valid_name(name, slot) and name not in seen:
            seen.append(name)
    return seen


def _expand(pattern: str, depth: int) -> list[str]:
    if depth > 8:
        return [pattern]
    pieces = _pieces(pattern, depth)
    results = [""]
    for choices in pieces:
        results = [a + b for a, b in itertools.product(results, choices)][: MAX_EXPANSIONS * 4]
    return results


def _pieces(pattern: str, depth: int) -> list[list[str]]:
    """Splits a pattern into alternatives per position, read the way people read globs."""
    pieces: list[list[str]] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            pieces.append([pattern[i + 1]] if i + 1 < len(pattern) else [""])
            i += 2
        elif ch == "*":
            starts = i == 0 or pattern[i - 1] == "/"
            ends = i + 2 == len(pattern) or pattern[i + 2 : i + 3] == "/"
            if pattern[i : i + 2] == "**" and starts and ends:
                if pattern[i + 2 : i + 3] == "/":
                    # '**/' reads as "any depth, including none": it may vanish with its '/'.
                    pieces.append(["", "x/", "x/y/"])
                    i += 3
                else:
                    pieces.append(["", "x", "x/y"])
                    i += 2
            elif pattern[i : i + 2] == "**":
                pieces.append(["", "x"])
                i += 2
            else:
                pieces.append(["", "x1"])
                i += 1
        elif ch == "?":
            pieces.append(["x"])
            i += 1
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                # Unclosed: people meant something here; a name character reaches it.
                pieces.append(["", "x"])
                i += 1
                continue
            pieces.append(_class_examples(pattern[i + 1 : end]))
            i = end + 1
        elif ch == "{":
            group = glob.brace_group(pattern, i)
            if group is None:
                pieces.append(["", "x"])
                i += 1
                continue
            options, end = group
            pieces.append([e for option in options for e in _expand(option, depth + 1)])
            i = end
        else:
            pieces.append([ch])
            i += 1
    return pieces


def _class_examples(body: str) -> list[str]:
    members = body[1:] if body.startswith("^") else body
    if body.startswith("^"):
        # A negated class reads as "anything else": a character it really accepts (read
        # by the matcher, so that `[^a-z]` is not read as holding the 'x' its range covers).
        return [c for c in ("x", "0", "a", "X", "_", ".", "-") if _accepts(body, c)][:1] or ["x"]
    if len(members) >= 3 and members[1] == "-":
        return [members[0], members[2]]
    return [members[0]] if members else ["x"]


def _accepts(body: str, char: str) -> bool:
    """Whether the class `[body]` accepts `char`; for a malformed one, whether the
    character is missing from its text."""
    try:
        return glob._class_matches(glob._runes(glob._go_bytes(body)), ord(char))
    except PatternError:
        return char not in body[1:]


# ----------------------------------------------------------------------------- errors

# Each malformed part raises as soon as matching reaches it with the name not yet used
# up, whatever that name character is; v1.3.4 also raises for an unclosed '{' met just as
# a name part ends. So a name that leads matching to the part and then either stops or
# goes on by one character reaches the error.
_REACH_TAILS = (b"", b"x")
# Characters tried for a `[...]` class: a name character has to pass it to go further.
_CLASS_TRIES = b"xa0Z_.-"
MAX_ERROR_PROBES = 256
# Steps (walk calls) per release: each '*' doubles the paths, so a long pattern of stars
# would otherwise be walked for hours. The walk goes depth first, so the first path into
# each malformed part is written out long before this runs out.
MAX_WALK_STEPS = 20_000
_MAX_DEPTH = 64


def error_probes(pattern: str, slot: str) -> list[str]:
    """Names, valid for the slot, that lead each doublestar release to a malformed part.

    The pattern is walked the way each release's matcher walks it (v1.3.4 one rune at a
    time across '/', splicing each `{...}` alternative into the rest; v1.1.1 segment by
    segment, braces closed by the first '}'), writing down a name that the walk's path
    matches: a literal as itself, `?` and `*` as a character or nothing, a class as a
    member. Where the walk meets a malformed part (an unclosed `[` or `{`, a bad class,
    a trailing `\\`) the name so far, alone and followed by one more character, is a probe.
    Parts the matcher can never report are not walked into: v1.1.1 ignores errors after a
    `*` in the same segment, both releases ignore them after a `**` segment.

    These are candidates: the caller runs the real matcher on them. A walk path may be
    overtaken by another (an earlier alternative that matches first), so every path is
    written out, up to MAX_ERROR_PROBES names per release, in at most MAX_WALK_STEPS
    steps (a long run of stars has more paths than any run can take).
    """
    raw = glob._go_bytes(pattern)
    names: list[str] = []
    for walker in (_Walk134(raw), _Walk111(raw)):
        for name in walker.probes():
            text = name.decode("utf-8", "replace")
            if is_valid_name(text, slot) and text not in names:
                names.append(text)
    return names


@record(frozen=False)
class _Budget:
    left: int = MAX_ERROR_PROBES
    steps: int = MAX_WALK_STEPS

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0

    def step(self) -> bool:
        """One more walk call; False once the walk has taken MAX_WALK_STEPS."""
        self.steps -= 1
        return self.steps >= 0


def _rune(pattern: bytes, p: int) -> tuple[int, int]:
    return glob._decode(pattern, p)


def _class_end(pattern: bytes, p: int) -> int:
    """Index just past the `]` of the class opening at p, or -1 if it is never closed."""
    end = glob._index_unescaped(pattern[p + 1 :], glob._RBRACKET)
    return -1 if end == -1 else p + 1 + end + 1


def _class_passes(pattern: bytes, p: int) -> tuple[int, list[bytes]] | None:
    """A well-formed class at p: (index past it, name characters it accepts); None if the
    class is malformed (the matcher raises on reaching it)."""
    end = _class_end(pattern, p)
    if end == -1:
        return None
    members = glob._runes(pattern[p + 1 : end - 1])
    if not members:
        return None
    tries = sorted(
        {m for m in members if 0 < m < 0x80} | set(_CLASS_TRIES), key=_name_character_rank
    )
    try:
        accepted = [bytes([rune]) for rune in tries if glob._class_matches(members, rune)]
    except PatternError:
        return None
    return end, accepted[:3]


def _name_character_rank(rune: int) -> tuple[int, int]:
    """Characters every name may hold first (a class member such as '}' or '*' leads to
    no valid name), then those only tags may hold, then the rest."""
    char = chr(rune)
    if char.islower() or char.isdigit():
        return 0, rune
    if char.isupper() or char in "._-":
        return 1, rune
    return 2, rune


_Probe = TypeVar("_Probe")


def _one_character(pattern: bytes, p: int) -> tuple[int, list[bytes]] | None:
    """The element at p that stands for one name character (an escape, '?', a class, a
    literal rune): (index past it, the characters a probe name may hold there, at most
    three), or None if the matcher raises on reaching it (a trailing '\\', a malformed
    class). No characters: no name gets past it."""
    r, w = _rune(pattern, p)
    if r == glob._BACKSLASH:
        if p + w >= len(pattern):
            return None
        ew = _rune(pattern, p + w)[1]
        return p + w + ew, [pattern[p + w : p + w + ew]]
    if r == glob._QUESTION:
        return p + w, [b"x"]
    if r == glob._LBRACKET:
        return _class_passes(pattern, p)
    return p + w, [pattern[p : p + w]]


def _take_character(
    pattern: bytes,
    p: int,
    name: bytes,
    reach: Callable[[bytes], Iterator[_Probe]],
    branch: Callable[[bytes, bytes], Iterator[_Probe]],
) -> Generator[_Probe, None, tuple[bytes, int] | None]:
    """Both walkers' step over one name character: the probes of a malformed element
    (`reach`), a `branch` walk (rest of the pattern, name so far) for each character but
    the first, then the walk's own name and position with the first; None where the walk
    ends."""
    step = _one_character(pattern, p)
    if step is None:
        yield from reach(name)
        return None
    end, chars = step
    for char in chars[1:]:
        yield from branch(pattern[end:], name + char)
    if not chars:
        return None
    return name + chars[0], end


class _Walk134:
    """doublestar v1.3.4's path through a pattern, one rune at a time (`_Matcher134`)."""

    def __init__(self, pattern: bytes) -> None:
        self.pattern = pattern
        self.budget = _Budget()

    def probes(self) -> Iterator[bytes]:
        yield from self.walk(self.pattern, b"", segment_start=True, depth=0)

    def reach(self, name: bytes) -> Iterator[bytes]:
        for tail in _REACH_TAILS:
            if self.budget.spend():
                yield name + tail

    def walk(self, pattern: bytes, name: bytes, segment_start: bool, depth: int) -> Iterator[bytes]:
        if not self.budget.step():
            return
        p = 0
        while p < len(pattern) and depth < _MAX_DEPTH and self.budget.left > 0:
            if segment_start:
                slash = glob._index_unescaped(pattern[p:], glob._SLASH)
                head = pattern[p:] if slash == -1 else pattern[p : p + slash]
                if head == glob._DOUBLESTAR:
                    return  # a whole-segment globstar: errors after it are ignored
            segment_start = False
            r, w = _rune(pattern, p)
            if r == glob._SLASH:
                name += b"/"
                p += w
                segment_start = True
            elif r == glob._STAR:
                rest = pattern[p + w :]
                yield from self.walk(rest, name + b"x", False, depth + 1)
                p += w  # and on, the star matching nothing
            elif r == glob._LBRACE:
                if _ends_badly(pattern[p:]):
                    # A name part that ends here leaves the matcher this segment's rest, cut
                    # at the next '/' (even one inside these braces): it errs on that piece.
                    yield from self.reach(name)
                options, end = glob._split_alternatives(pattern[p + w :])
                if end == -1:
                    yield from self.reach(name)
                    return
                rest = pattern[p + w + end :]
                for option in options:
                    yield from self.walk(option + rest, name, False, depth + 1)
                return
            else:
                walk_on = partial(self.walk, segment_start=False, depth=depth + 1)
                taken = yield from _take_character(pattern, p, name, self.reach, walk_on)
                if taken is None:
                    return
                name, p = taken


def _ends_badly(rest: bytes) -> bool:
    """Whether v1.3.4 errs when a name part ends where `rest` begins: it then asks whether
    the rest of the segment (up to the next unescaped '/') can match nothing
    (`glob._can_match_empty`, doublestar's isZeroLengthPattern), and a brace that '/' cuts
    open is an error there (`'a{/}'` against `a`)."""
    slash = glob._index_unescaped(rest, glob._SLASH)
    try:
        glob._can_match_empty(rest if slash == -1 else rest[:slash])
    except PatternError:
        return True
    return False


class _Walk111:
    """doublestar v1.1.1's path: pattern cut at every '/', then each segment alone
    (`_Matcher111`)."""

    def __init__(self, pattern: bytes) -> None:
        self.segments = glob._split_unescaped(pattern, glob._SLASH, keep_empty_end=False)
        self.budget = _Budget()

    def probes(self) -> Iterator[bytes]:
        prefixes = [b""]
        for index, segment in enumerate(self.segments):
            if segment == glob._DOUBLESTAR:
                return  # errors after a globstar segment are ignored
            join = b"/" if index else b""
            matched: list[bytes] = []
            for prefix in prefixes:
                for name, complete in self.walk(segment, b"", dead=False, depth=0):
                    if complete:
                        matched.append(prefix + join + name)
                    elif self.budget.spend():
                        yield prefix + join + name
            prefixes = matched[:16]
            if not prefixes:
                return

    def walk(
        self, segment: bytes, name: bytes, dead: bool, depth: int
    ) -> Iterator[tuple[bytes, bool]]:
        """(name, True) for names matching the whole segment; (name, False) for probes
        reaching a malformed part (never after a `*`: its scan swallows errors)."""

        if not self.budget.step():
            return

        def reach(at: bytes) -> Iterator[tuple[bytes, bool]]:
            if not dead:
                for tail in _REACH_TAILS:
                    yield at + tail, False

        p = 0
        while p < len(segment):
            if depth >= _MAX_DEPTH or self.budget.left <= 0:
                return
            r, w = _rune(segment, p)
            if r == glob._STAR:
                yield from self.walk(segment[p + w :], name + b"x", True, depth + 1)
                dead = True
                p += w
            elif r == glob._LBRACE:
                end = glob._index_unescaped(segment[p + w :], glob._RBRACE)
                if end == -1:
                    yield from reach(name)
                    return
                end += p + w
                body = segment[p + w : end]
                rest = segment[end + 1 :]
                for option in glob._split_unescaped(body, glob._COMMA, keep_empty_end=False):
                    yield from self.walk(option + rest, name, dead, depth + 1)
                return
            else:
                walk_on = partial(self.walk, dead=dead, depth=depth + 1)
                taken = yield from _take_character(segment, p, name, reach, walk_on)
                if taken is None:
                    return
                name, p = taken
        if name:
            yield name, True
