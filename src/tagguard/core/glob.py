"""Harbor's glob: bmatcuk/doublestar v1, separator '/', in the two releases Harbor has linked.

Harbor >= 2.11 (and 2.10.3, 2.9.5) links v1.3.4; older releases link v1.1.1. The two
differ in ways that change verdicts (braces holding '/', nested and empty alternatives,
trailing '/', which errors surface), so both are reproduced here, quirks included:

* errors are lazy: a malformed part of a pattern raises only when matching reaches it;
* v1.1.1 splits the pattern on every '/', even inside braces, so `{a/b,c}` is an error;
* v1.3.4 never lets a `*` match an empty rest before a brace group (`v*{,-beta}` misses `v1`);
* `[!a]` is not negation, `**` is a globstar only as a whole segment and never in braces.

Go strings are bytes decoded rune by rune; v1.1.1 even steps through names with a fixed
byte width after a `*`. To be exact for any input the matchers work on UTF-8 bytes and
decode runes the way Go's utf8.DecodeRuneInString does.

A literal port backtracks exponentially (`*a*a*a*a*a*a*b`). Every recursive step here is
a pure function of (pattern, name suffix), so results are memoised per top-level match
and a star's scan reuses the scans that start later in the name: the work is bounded by
the number of distinct (pattern suffix, name suffix) pairs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Final

from tagguard.errors import PatternError, PatternTooComplexError

V1_1_1: Final = "v1.1.1"
V1_3_4: Final = "v1.3.4"
VERSIONS: Final = (V1_1_1, V1_3_4)
NEWEST: Final = V1_3_4

_RUNE_ERROR: Final = 0xFFFD
_SLASH: Final = 0x2F  # /
_BACKSLASH: Final = 0x5C  # \
_STAR: Final = 0x2A  # *
_QUESTION: Final = 0x3F  # ?
_LBRACKET: Final = 0x5B  # [
_RBRACKET: Final = 0x5D  # ]
_LBRACE: Final = 0x7B  # {
_RBRACE: Final = 0x7D  # }
_COMMA: Final = 0x2C  # ,
_CARET: Final = 0x5E  # ^
_DASH: Final = 0x2D  # -
_DOUBLESTAR: Final = b"**"

# The length of the UTF-8 sequence each lead byte opens (a table indexed by the byte, so
# nothing module-level can change); 0 where none is valid: that decodes as RuneError with
# width 1, as in Go.
_SEQ_LEN: Final = bytes(
    2 if 0xC2 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if 0xF0 <= lead < 0xF5 else 0
    for lead in range(256)
)

# Marks a memoised PatternError (errors are results too: they are deterministic).
_ERROR: Final = object()


def _decode(b: bytes, i: int) -> tuple[int, int]:
    """Go's utf8.DecodeRuneInString(b[i:]): (rune, width); (RuneError, 0) at the end."""
    if i >= len(b):
        return _RUNE_ERROR, 0
    lead = b[i]
    if lead < 0x80:
        return lead, 1
    width = _SEQ_LEN[lead]
    if width == 0 or i + width > len(b):
        return _RUNE_ERROR, 1
    try:
        return ord(b[i : i + width].decode("utf-8")), width
    except UnicodeDecodeError:
        return _RUNE_ERROR, 1


def _runes(b: bytes) -> list[int]:
    """Go's []rune(string): invalid bytes become RuneError one by one."""
    out: list[int] = []
    i = 0
    while i < len(b):
        r, w = _decode(b, i)
        out.append(r)
        i += w
    return out


def _index_unescaped(s: bytes, byte: int) -> int:
    """indexRuneWithEscaping: first `byte` not directly preceded by a backslash.

    Only the one preceding byte is looked at, as in the library: `\\\\}` counts as escaped.
    """
    start = 0
    while True:
        end = s.find(byte, start)
        if end == -1:
            return -1
        if end > 0 and s[end - 1] == _BACKSLASH:
            start = end + 1
            continue
        return end


def _split_unescaped(path: bytes, sep: int, keep_empty_end: bool) -> list[bytes]:
    """splitPathOnSeparator. v1.3.4 keeps an empty last part after a trailing separator;
    v1.1.1 drops it (which is why `a/b/` matches `a/b` there)."""
    if path.count(sep) == 0:
        return [path]
    parts: list[bytes] = []
    start = 0
    ended_on_sep = False
    while start < len(path):
        end = _index_unescaped(path[start:], sep)
        if end == -1:
            ended_on_sep = False
            end = len(path)
        else:
            ended_on_sep = True
            end += start
        parts.append(path[start:end])
        start = end + 1
    if keep_empty_end and ended_on_sep:
        parts.append(b"")
    return parts


def _class_matches(members: list[int], rune: int) -> bool:
    """A `[...]` body (without brackets, non-empty) against one rune; raises on bad syntax.

    The whole body is scanned before answering, so a bad range later in the class is an
    error even when an earlier member already matched.
    """
    negated = members[0] == _CARET
    i = 1 if negated else 0
    hit = False
    count = len(members)
    while i < count:
        low = members[i]
        if low == _DASH:
            raise PatternError("'-' must follow a character in a [...] class")
        i += 1
        if low == _BACKSLASH:
            if i >= count:
                raise PatternError("a [...] class ends with '\\'")
            low = members[i]
            i += 1
        high = low
        if i < count and members[i] == _DASH:
            i += 1
            if i >= count:
                raise PatternError("a range in a [...] class has no upper bound")
            high = members[i]
            if high == _DASH:
                raise PatternError("a range in a [...] class ends with '-'")
            i += 1
            if high == _BACKSLASH:
                if i >= count:
                    raise PatternError("a [...] class ends with '\\'")
                high = members[i]
                i += 1
        if low <= rune <= high:
            hit = True
    return hit != negated


def _match_class_at(pattern: bytes, p: int, rune: int) -> int | None:
    """Matches the class opening just before `p`; returns the index after `]`, or None."""
    end = _index_unescaped(pattern[p:], _RBRACKET)
    if end == -1:
        raise PatternError("'[' is never closed")
    end += p
    members = _runes(pattern[p:end])
    if not members:
        raise PatternError("'[]' is an empty class")
    return end + 1 if _class_matches(members, rune) else None


class _Memo:
    """Per-match caches. `states` counts the distinct sub-problems solved (the work bound).

    With `enabled=False` nothing is remembered: the matcher then is the plain recursive
    algorithm, which the tests use to show that memoisation changes no answer.
    """

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.cache: dict[tuple[object, ...], object] = {}

    @property
    def states(self) -> int:
        return len(self.cache)

    def run(self, key: tuple[object, ...], compute: Callable[[], object]) -> object:
        if not self.enabled:
            try:
                return compute()
            except PatternError:
                raise PatternError("syntax error in pattern") from None
        if key in self.cache:
            value = self.cache[key]
        else:
            try:
                value = compute()
            except PatternError:
                value = _ERROR
            self.cache[key] = value
        if value is _ERROR:
            raise PatternError("syntax error in pattern")
        return value


# ----------------------------------------------------------------------------- v1.3.4


def _split_alternatives(s: bytes) -> tuple[list[bytes], int]:
    """Splits `a,b{c,d},e}rest` (after the opening brace) at top-level commas.

    Returns the alternatives and the index just past the closing brace, or -1 if the
    brace is never closed. Nested braces and backslash escapes are respected.
    """
    options: list[bytes] = []
    i = 0
    depth = 1
    escaped = False
    start = 0
    while depth > 0:
        if i >= len(s):
            return [], -1
        r, w = _decode(s, i)
        if escaped:
            escaped = False
        elif r == _BACKSLASH:
            escaped = True
        elif r == _LBRACE:
            depth += 1
        elif r == _RBRACE:
            depth -= 1
        elif r == _COMMA and depth == 1:
            options.append(s[start:i])
            start = i + w
        i += w
    options.append(s[start : i - 1])
    return options, i


def _can_match_empty(pattern: bytes) -> bool:
    """isZeroLengthPattern: can this rest of a segment match nothing at all?"""
    if pattern in (b"", b"*", _DOUBLESTAR):
        return True
    r, w = _decode(pattern, 0)
    if r == _LBRACE:
        options, end = _split_alternatives(pattern[w:])
        if end == -1:
            raise PatternError("'{' is never closed")
        if not _can_match_empty(pattern[w + end :]):
            return False
        return any(_can_match_empty(option) for option in options)
    return False


Continuations = tuple[bytes, ...]


class _Matcher134:
    """doublestar v1.3.4: the pattern is consumed segment by segment against name parts.

    `_segment` answers None (no match) or the pattern rests still to be matched against
    the following name parts; an empty tuple means "matched, nothing left".
    """

    def __init__(self, memoize: bool = True) -> None:
        self.memo = _Memo(memoize)

    def match(self, pattern: bytes, name: bytes) -> bool:
        parts = tuple(_split_unescaped(name, _SLASH, keep_empty_end=True))
        return self._parts(pattern, parts, 0)

    def _parts(self, pattern: bytes, parts: tuple[bytes, ...], k: int) -> bool:
        result = self.memo.run(
            ("parts", pattern, k), lambda: self._parts_uncached(pattern, parts, k)
        )
        return result is True

    def _parts_uncached(self, pattern: bytes, parts: tuple[bytes, ...], k: int) -> bool:
        left = len(parts) - k
        if not pattern and left == 1 and parts[k] == b"":
            return True
        slash = _index_unescaped(pattern, _SLASH)
        last = slash == -1
        head = pattern if last else pattern[:slash]
        if head == _DOUBLESTAR:
            if last:
                return True
            rest = pattern[slash + 1 :]
            for start in range(k, len(parts)):
                # The library ignores errors met while trying each start of a globstar.
                try:
                    if self._parts(rest, parts, start):
                        return True
                except PatternError:
                    pass
            return False
        rests = self._segment(pattern, parts[k])
        if rests is None:
            return False
        if not rests and left == 1:
            return True
        if left > 1:
            for rest in rests:
                if self._parts(rest, parts, k + 1):
                    return True
        return False

    def _segment(self, pattern: bytes, name: bytes) -> Continuations | None:
        value = self.memo.run(("seg", pattern, name), lambda: self._segment_uncached(pattern, name))
        assert value is None or isinstance(value, tuple)
        return value

    def _segment_uncached(self, pattern: bytes, name: bytes) -> Continuations | None:
        p = n = 0
        while p < len(pattern) and n < len(name):
            pr, pw = _decode(pattern, p)
            nr, nw = _decode(name, n)
            if pr == _SLASH:
                # The name part ended in the pattern's eyes but not in fact.
                return None
            if pr == _BACKSLASH:
                p += pw
                pr, pw = _decode(pattern, p)
                if pr == _RUNE_ERROR:
                    raise PatternError("'\\' escapes nothing")
                if pr != nr:
                    return None
                p += pw
                n += nw
            elif pr == _STAR:
                p += pw
                if p >= len(pattern):
                    return ()
                after, aw = _decode(pattern, p)
                if after == _SLASH:
                    return (pattern[p + aw :],)
                return self._star(pattern[p:], name, n)
            elif pr == _LBRACKET:
                after_class = _match_class_at(pattern, p + pw, nr)
                if after_class is None:
                    return None
                p = after_class
                n += nw
            elif pr == _LBRACE:
                return self._alternatives(pattern, p + pw, name[n:])
            elif pr in (_QUESTION, nr):
                p += pw
                n += nw
            else:
                return None
        if n < len(name):
            return None
        if p >= len(pattern):
            return ()
        rest = pattern[p:]
        slash = _index_unescaped(rest, _SLASH)
        if _can_match_empty(rest if slash == -1 else rest[:slash]):
            return () if slash == -1 else (rest[slash + 1 :],)
        return None

    def _alternatives(self, pattern: bytes, p: int, name: bytes) -> Continuations | None:
        options, end = _split_alternatives(pattern[p:])
        if end == -1:
            raise PatternError("'{' is never closed")
        rest = pattern[p + end :]
        found = False
        collected: list[bytes] = []
        for option in options:
            rests = self._segment(option + rest, name)
            if rests is not None:
                found = True
                collected.extend(rests)
        return tuple(collected) if found else None

    def _star(self, rest: bytes, name: bytes, n: int) -> Continuations | None:
        """A `*` tries the rest at every later position, never at the very end of the part.

        The first position that matches *or errs* decides. Scans starting later in the same
        name are shared, so a star costs one pass over the name per pattern rest.
        """
        visited: list[tuple[object, ...]] = []
        result: object = None
        while n < len(name):
            key: tuple[object, ...] = ("star", rest, name[n:])
            if self.memo.enabled and key in self.memo.cache:
                result = self.memo.cache[key]
                break
            visited.append(key)
            try:
                rests = self._segment(rest, name[n:])
            except PatternError:
                result = _ERROR
                break
            if rests is not None:
                result = rests
                break
            n += _decode(name, n)[1]
        if self.memo.enabled:
            for key in visited:
                self.memo.cache[key] = result
        if result is _ERROR:
            raise PatternError("syntax error in pattern")
        assert result is None or isinstance(result, tuple)
        return result


# ----------------------------------------------------------------------------- v1.1.1


class _Matcher111:
    """doublestar v1.1.1: pattern and name are both split on every '/' first."""

    def __init__(self, memoize: bool = True) -> None:
        self.memo = _Memo(memoize)

    def match(self, pattern: bytes, name: bytes) -> bool:
        pattern_parts = tuple(_split_unescaped(pattern, _SLASH, keep_empty_end=False))
        name_parts = tuple(_split_unescaped(name, _SLASH, keep_empty_end=False))
        return self._parts(pattern_parts, name_parts, 0, 0)

    def _parts(self, pp: tuple[bytes, ...], nn: tuple[bytes, ...], i: int, j: int) -> bool:
        result = self.memo.run(("parts", i, j), lambda: self._parts_uncached(pp, nn, i, j))
        return result is True

    def _parts_uncached(self, pp: tuple[bytes, ...], nn: tuple[bytes, ...], i: int, j: int) -> bool:
        if i >= len(pp) or j >= len(nn):
            return i >= len(pp) and j >= len(nn)
        while i < len(pp) and j < len(nn):
            if pp[i] == _DOUBLESTAR:
                i += 1
                if i >= len(pp):
                    return True
                for start in range(j, len(nn)):
                    try:
                        if self._parts(pp, nn, i, start):
                            return True
                    except PatternError:
                        pass
                return False
            if not self._segment(pp[i], nn[j]):
                return False
            i += 1
            j += 1
        return i >= len(pp) and j >= len(nn)

    def _segment(self, pattern: bytes, name: bytes) -> bool:
        result = self.memo.run(
            ("seg", pattern, name), lambda: self._segment_uncached(pattern, name)
        )
        return result is True

    def _segment_uncached(self, pattern: bytes, name: bytes) -> bool:
        if not pattern:
            return not name
        if not name and pattern != b"*":
            return False
        p = n = 0
        while p < len(pattern) and n < len(name):
            pr, pw = _decode(pattern, p)
            nr, nw = _decode(name, n)
            if pr == _BACKSLASH:
                p += pw
                pr, pw = _decode(pattern, p)
                if pr == _RUNE_ERROR:
                    raise PatternError("'\\' escapes nothing")
                if pr != nr:
                    return False
                p += pw
                n += nw
            elif pr == _STAR:
                p += pw
                if p >= len(pattern):
                    return True
                # v1.1.1 keeps the width of the rune under the star for every step.
                return self._star(pattern[p:], name, n, nw)
            elif pr == _LBRACKET:
                after_class = _match_class_at(pattern, p + pw, nr)
                if after_class is None:
                    return False
                p = after_class
                n += nw
            elif pr == _LBRACE:
                p += pw
                end = _index_unescaped(pattern[p:], _RBRACE)
                if end == -1:
                    raise PatternError("'{' is never closed (v1.1.1 also splits braces at '/')")
                end += p
                options = _split_unescaped(pattern[p:end], _COMMA, keep_empty_end=False)
                rest = pattern[end + 1 :]
                return any(self._segment(option + rest, name[n:]) for option in options)
            elif pr in (_QUESTION, nr):
                p += pw
                n += nw
            else:
                return False
        if p >= len(pattern) and n >= len(name):
            return True
        rest = pattern[p:]
        # Go's `a && b || c`: a trailing `**` matches even with name left (never reached
        # with name left, since the loop only stops early when the pattern is used up).
        return (n >= len(name) and rest == b"*") or rest == _DOUBLESTAR

    def _star(self, rest: bytes, name: bytes, n: int, step: int) -> bool:
        visited: list[tuple[object, ...]] = []
        result = False
        while n < len(name):
            key: tuple[object, ...] = ("star", rest, name[n:], step)
            if self.memo.enabled and key in self.memo.cache:
                result = self.memo.cache[key] is True
                break
            visited.append(key)
            try:
                if self._segment(rest, name[n:]):
                    result = True
                    break
            except PatternError:
                pass  # the library ignores errors inside a star's scan
            n += step
        if self.memo.enabled:
            for key in visited:
                self.memo.cache[key] = result
        return result


# ----------------------------------------------------------------------------- API


def _go_bytes(text: str) -> bytes:
    """UTF-8 bytes as Go would hold them after its encoding/json read the same string:
    each lone surrogate (JSON `\\ud800`) becomes one U+FFFD, a high one followed by a low
    one becomes the rune the pair spells.

    A UTF-16 round trip does exactly that; a UTF-8 one would turn a lone surrogate's three
    bytes into three U+FFFD, three runes where Harbor has one (`???` would match `\\ud800`).
    """
    if text.isascii():
        return text.encode("ascii")
    utf16 = text.encode("utf-16-le", "surrogatepass")
    return utf16.decode("utf-16-le", "replace").encode("utf-8")


def _new_matcher(version: str, memoize: bool = True) -> _Matcher111 | _Matcher134:
    if version == V1_3_4:
        return _Matcher134(memoize)
    if version == V1_1_1:
        return _Matcher111(memoize)
    raise ValueError(f"unknown doublestar version {version!r}")


_SHOWN = 60  # characters of a pattern too deep to evaluate that its message shows


@functools.lru_cache(maxsize=65536)
def _cached(version: str, pattern: str, name: str) -> bool | None:
    """True/False, or None for a pattern error (lru_cache does not cache exceptions)."""
    matcher = _new_matcher(version)
    try:
        return matcher.match(_go_bytes(pattern), _go_bytes(name))
    except PatternError:
        return None
    except RecursionError:
        # Such a pattern runs to kilobytes: its start finds the rule, the line stays short.
        shown = pattern if len(pattern) <= _SHOWN else pattern[:_SHOWN] + "..."
        raise PatternTooComplexError(
            f"pattern {shown!r} ({len(pattern)} characters) nests too deeply to evaluate "
            "exactly; simplify the rule that holds it"
        ) from None


def doublestar_match(pattern: str, name: str, version: str = NEWEST) -> bool:
    """The library's Match(pattern, name) exactly; raises PatternError for ErrBadPattern."""
    segments = _star_segments(pattern)
    if segments is not None and version in VERSIONS and plain_name(name):
        return _stars_match(segments, name)
    result = _cached(version, pattern, name)
    if result is None:
        raise PatternError(f"syntax error in pattern {pattern!r} (doublestar {version})")
    return result


def harbor_match(pattern: str, name: str, version: str = NEWEST) -> bool:
    """Harbor's selector `match`: an empty pattern matches everything, else doublestar."""
    if not pattern:
        return True
    return doublestar_match(pattern, name, version)


# ----------------------------------------------------------------------------- shortcut

# A pattern of plain-name characters and single stars, in non-empty segments parted by
# single '/': nearly every rule Harbor is given (`v*`, `release-*`, `team/*`).
_STAR_PATTERN: Final = re.compile(r"[A-Za-z0-9_.*-]+(?:/[A-Za-z0-9_.*-]+)*")


@functools.lru_cache(maxsize=4096)
def _star_segments(pattern: str) -> tuple[tuple[str, ...], ...] | None:
    """For a pattern of plain-name characters and single stars (no `**`), in non-empty
    segments parted by single '/': each segment split at its stars; else None.

    On a `plain_name`, both releases read such a pattern alike and as `_stars_match` does:
    every '/' is a real separator, so the name must have one part per segment (there is no
    globstar); within a segment a star stands for any run of the part's characters (none
    is '/') and every other character for itself, one byte each. Nothing in it can err, and
    none of what sets the releases apart (braces, classes, escapes, empty segments, a
    trailing '/', runes wider than a byte) can occur. tests/core/test_glob.py checks this
    against the port, on every such pattern and plain name up to a length, under both.

    It matches without backtracking (each piece is looked for once), where the port builds
    a matcher, its memo and the UTF-8 bytes of both for every new name, and keeps the answer
    in its cache (a check of 50,000 tags asks 50,000 names)."""
    if "**" in pattern or _STAR_PATTERN.fullmatch(pattern) is None:
        return None
    return tuple(tuple(segment.split("*")) for segment in pattern.split("/"))


def _stars_match(segments: tuple[tuple[str, ...], ...], name: str) -> bool:
    parts = name.split("/")
    return len(parts) == len(segments) and all(map(_pieces_match, segments, parts))


def _pieces_match(pieces: tuple[str, ...], part: str) -> bool:
    """Whether `part` is the pieces with any runs between them: the first at its start,
    the last at its end, each one between at the first place it fits (the earliest place
    leaves the most room to the pieces after it, so if any placement fits, that one does)."""
    first = pieces[0]
    if len(pieces) == 1:
        return part == first
    last = pieces[-1]
    end = len(part) - len(last)
    if end < len(first) or not part.startswith(first) or not part.endswith(last):
        return False
    at = len(first)
    for piece in pieces[1:-1]:
        found = part.find(piece, at, end)
        if found == -1:
            return False
        at = found + len(piece)
    return True


# ----------------------------------------------------------------------------- braces


def brace_group(pattern: str, start: int) -> tuple[list[str], int] | None:
    """The `{...}` group opening at `pattern[start]`, read by the matcher's own scanner
    (v1.3.4's `_split_alternatives`: nesting and `\\` escapes respected).

    Returns its top-level alternatives and the index just past its `}`, or None when the
    brace is never closed. lint and the probes read braces only through this scanner (and
    `brace_spans`), so they cannot disagree with the matcher about where a group ends.
    """
    body = _text_bytes(pattern[start + 1 :])
    options, end = _split_alternatives(body)
    if end == -1:
        return None
    return [_bytes_text(option) for option in options], start + 1 + len(_bytes_text(body[:end]))


def brace_spans(pattern: str) -> list[tuple[int, int]]:
    """(start, end) of each top-level `{...}` group, `end` at its `}`. An unclosed `{`
    spans to the end of the pattern: what follows it is no literal text either."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "{":
            group = brace_group(pattern, i)
            if group is None:
                spans.append((i, len(pattern)))
                break
            spans.append((i, group[1] - 1))
            i = group[1]
            continue
        i += 1
    return spans


def _text_bytes(text: str) -> bytes:
    # surrogatepass keeps every character (a JSON pattern may hold lone surrogates), so
    # that lengths convert back exactly; the scanner only cuts at ASCII bytes.
    return text.encode("utf-8", "surrogatepass")


def _bytes_text(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogatepass")


# ----------------------------------------------------------------------------- releases

# The names `may_differ` speaks for: what Harbor's patterns can be given. A tag
# ([A-Za-z0-9_][A-Za-z0-9_.-]*) and a repository without its project (lower-case
# components joined by single '/') both fit; an empty segment, a trailing '/', a backslash
# or a rune outside ASCII does not (v1.1.1 splits and steps through such names its own way).
_PLAIN_NAME: Final = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")

# Inside a brace group these make the releases parse the group differently: v1.1.1 splits
# the whole pattern at '/' first, closes a group at its first '}' (no nesting), and reads
# escapes by the one byte before them; a '[' or ']' could pair across the group's commas.
_BRACE_UNSAFE: Final = frozenset(b"{[]\\/")


def plain_name(name: str) -> bool:
    """Whether `name` is one `may_differ` speaks for (every real tag and repository is)."""
    return _PLAIN_NAME.fullmatch(name) is not None


@functools.lru_cache(maxsize=4096)
def may_differ(pattern: str) -> bool:
    """Whether Harbor's match of `pattern` (`harbor_match`) can answer differently under
    doublestar v1.1.1 and v1.3.4 - match, no match or pattern error - for some plain name.

    False is a promise: both releases give the same outcome for every `plain_name`. True
    is conservative: the pattern holds something the releases may read differently (a '/'
    that is not a plain separator, an empty segment, a trailing '/', a group nested, empty,
    made of stars or holding '/', '\\' or a class) or something that can err (the releases
    surface errors at different places: v1.1.1 ignores them inside a star's scan and stops
    at the first matching alternative, v1.3.4 does neither).

    Why the rest agrees: with every '/' a real separator, both split the pattern into the
    same segments and match them pairwise, `**` alike; within a segment both step the same
    tokens (one byte per step on an ASCII name); a simple brace group splits into the same
    options in both, none of which can match empty, so neither the end-of-name test nor
    the star-before-a-group quirk can tell them apart.
    """
    if not pattern:
        return False  # Harbor matches everything, whatever the release
    raw = _go_bytes(pattern)
    if raw.startswith(b"/") or raw.endswith(b"/") or b"//" in raw or b"\\/" in raw:
        return True
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte == _BACKSLASH:
            rune, width = _decode(raw, i + 1)
            if width == 0 or rune == _RUNE_ERROR:
                return True  # escapes nothing: an error where matching reaches it
            i += 1 + width
        elif byte == _LBRACKET:
            end = _index_unescaped(raw[i + 1 :], _RBRACKET)
            if end == -1 or _class_may_differ(raw[i + 1 : i + 1 + end]):
                return True
            i += end + 2
        elif byte == _LBRACE:
            end = raw.find(b"}", i + 1)
            if end == -1 or _group_may_differ(raw[i + 1 : end]):
                return True
            i = end + 1
        else:
            i += 1
    return False


def _class_may_differ(body: bytes) -> bool:
    """A class that can err (its errors do not depend on the rune: the whole body is read
    every time) or that holds a '/' (v1.1.1 cuts the class there)."""
    if not body or _SLASH in body:
        return True
    try:
        _class_matches(_runes(body), 0)
    except PatternError:
        return True
    return False


def _group_may_differ(body: bytes) -> bool:
    """A brace group other than `{a,b*,c?d}`: options of plain tokens, none empty or all
    stars (those can match nothing, which only v1.3.4 tries at the end of a name)."""
    if any(byte in _BRACE_UNSAFE for byte in body):
        return True
    return any(not option.strip(b"*") for option in body.split(b","))
