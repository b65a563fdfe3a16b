"""The glob against the Go library's own test vectors, and its bounds."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core import glob
from tagguard.errors import PatternError, PatternTooComplexError, TagguardError
from tests.conftest import load_vectors
from tests.glob_reference import count_states, naive_match

PATTERN_VECTORS = load_vectors("patterns.jsonl")
CASES = [
    pytest.param(
        v["pattern"],
        v["input"],
        version,
        v[version],
        id=f"{version}:{v['pattern']!r}~{v['input']!r}",
    )
    for v in PATTERN_VECTORS
    for version in glob.VERSIONS
    if version in v
]


def answer(function: Callable[..., object], *args: object) -> object:
    """The function's result, or the project error it raised (anything else propagates)."""
    try:
        return function(*args)
    except TagguardError as error:
        return error


def outcome(pattern: str, name: str, version: str) -> dict[str, bool]:
    try:
        return {"match": glob.harbor_match(pattern, name, version), "error": False}
    except PatternError:
        return {"match": False, "error": True}


def test_every_vector_file_line_is_used() -> None:
    assert len(PATTERN_VECTORS) == 230
    assert len(CASES) > len(PATTERN_VECTORS)


@pytest.mark.parametrize(("pattern", "name", "version", "expected"), CASES)
def test_vector(pattern: str, name: str, version: str, expected: dict[str, Any]) -> None:
    assert outcome(pattern, name, version) == {
        "match": expected["match"],
        "error": expected["error"],
    }


@pytest.mark.parametrize(
    ("pattern", "name", "version", "expected"),
    [
        # The v1.3.4 quirk: a star never hands an empty rest to an optional brace group.
        ("v*{,-beta}", "v1", glob.V1_3_4, False),
        ("v*{,-beta}", "v1-beta", glob.V1_3_4, True),
        # `{a,a/b}` vs `a`: a match that leaves a continuation is no match in v1.3.4.
        ("{a,a/b}", "a", glob.V1_3_4, False),
        # '[^]' is a class of nothing, negated: it matches any one rune.
        ("[^]", "q", glob.V1_3_4, True),
        # v1.1.1 ignores errors inside a star's scan.
        ("*[", "abc", glob.V1_1_1, False),
    ],
)
def test_known_corners(pattern: str, name: str, version: str, expected: bool) -> None:
    assert glob.doublestar_match(pattern, name, version) is expected


def test_an_escaped_replacement_character_is_a_pattern_error_as_in_go() -> None:
    # Go sees RuneError after the backslash and reports ErrBadPattern.
    with pytest.raises(PatternError):
        glob.doublestar_match("a\\\ufffd", "a\ufffd", glob.V1_3_4)


# Surrogates as Python's json.loads leaves them (JSON `\ud800` escapes). Expected values
# came from sending each pair as a json.dumps line to doublestar.Match, built from the
# library's v1.1.1 and v1.3.4 tags with go1.19: Go's encoding/json reads a lone surrogate
# escape as one U+FFFD and a high-low pair as the rune it spells, as Harbor's API does.
# tagguard once made three U+FFFD of each lone surrogate (its UTF-8 bytes, one by one).
SURROGATE_CASES = [
    ("???", "\ud800", False),  # one rune, not three
    ("?", "\ud800", True),
    ("?", "\ud83d\ude00", True),  # the pair is one rune, U+1F600
    ("\U0001f600", "\ud83d\ude00", True),
    ("??", "\ude00\ud83d", True),  # low before high: two lone halves, two runes
    ("[\ud800]", "\ufffd", True),  # in a pattern too
    ("*\ud800", "a\ufffd", True),
]


@pytest.mark.parametrize("version", glob.VERSIONS)
@pytest.mark.parametrize(("pattern", "name", "expected"), SURROGATE_CASES)
def test_lone_surrogates_are_one_replacement_rune_as_go_json_reads_them(
    pattern: str, name: str, expected: bool, version: str
) -> None:
    assert glob.doublestar_match(pattern, name, version) is expected


def test_lazy_errors_only_where_matching_reaches() -> None:
    assert glob.doublestar_match("abc[", "xyz") is False
    with pytest.raises(PatternError):
        glob.doublestar_match("abc[", "abcd")


def test_empty_pattern_is_harbors_match_all_not_the_librarys() -> None:
    assert glob.harbor_match("", "any/thing") is True
    assert glob.doublestar_match("", "any/thing") is False


def test_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown doublestar version"):
        glob.doublestar_match("a", "a", "v9")


@pytest.mark.parametrize("version", glob.VERSIONS)
def test_work_is_polynomial_on_the_backtracking_killer(version: str) -> None:
    # A naive port explores ~C(128, 10) paths here; the memoised one visits each
    # (pattern rest, name rest) pair once: about (pattern length) x (name length).
    pattern = "*a*a*a*a*a*a*a*a*a*a*b"
    name = "a" * 128
    assert glob.doublestar_match(pattern, name, version) is False
    assert count_states(pattern, name, version) <= 3 * (len(pattern) + 1) * (len(name) + 1)


@pytest.mark.parametrize("version", glob.VERSIONS)
def test_deep_nesting_is_our_error_not_a_crash(version: str) -> None:
    pattern = "{" * 3000 + "a" + "}" * 3000
    # A bool, PatternError or PatternTooComplexError: never a RecursionError.
    assert isinstance(answer(glob.doublestar_match, pattern, "a", version), (bool, TagguardError))


# -- properties --------------------------------------------------------------------------

PATTERN_ALPHABET = st.sampled_from(list("ab/*?[]{},!^-\\.x☺"))
NAME_ALPHABET = st.sampled_from(list("ab/x.-☺"))
patterns = st.lists(PATTERN_ALPHABET, max_size=10).map("".join)
names = st.lists(NAME_ALPHABET, max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(pattern=patterns, name=names, version=st.sampled_from(glob.VERSIONS))
def test_memoisation_changes_no_answer(pattern: str, name: str, version: str) -> None:
    """The bounded matcher answers exactly as the plain recursive algorithm."""
    try:
        expected: object = naive_match(pattern, name, version)
    except PatternError:
        expected = PatternError
    try:
        got: object = glob.doublestar_match(pattern, name, version)
    except PatternError:
        got = PatternError
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(
    pattern=st.text(max_size=24), name=st.text(max_size=24), version=st.sampled_from(glob.VERSIONS)
)
def test_any_text_gives_a_bool_or_our_error(pattern: str, name: str, version: str) -> None:
    assert isinstance(answer(glob.harbor_match, pattern, name, version), (bool, TagguardError))


@settings(max_examples=200, deadline=None)
@given(name=st.from_regex(r"[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,3}", fullmatch=True))
def test_globstar_and_literal_agree_across_versions(name: str) -> None:
    for version in glob.VERSIONS:
        assert glob.doublestar_match("**", name, version)
        assert glob.doublestar_match(name, name, version)
        assert glob.doublestar_match("*", name, version) == ("/" not in name)


# -- the two releases: which patterns may answer differently -------------------------------

# Pieces a pattern is built from: plain ones, and each thing the releases read differently
# (SEMANTICS.md section 2, and the two matchers above). A pattern holds at most one odd
# piece, so that the one odd thing decides whether it may differ, and is checked.
PLAIN_TOKENS = st.sampled_from(
    ["a", "b", "a", "b", ".", "-", "*", "**", "?", "/", "[ab]", "[!a]", "[^a]", "[a-c]",
     "[\\]]", "☺", "{a,b}", "{a,b*}", "{ab,b?}", "\\*", "}", ","]
)  # fmt: skip
ODD_TOKENS = st.sampled_from(
    ["{,a}", "{a,}", "{*,a}", "{**,b}", "{a/b,c}", "{a,{b,c}}", "{**/a,b}", "{a\\,b}", "{a,[b]}",
     "\\/", "\\", "[", "]", "{", "[]", "[a-]", "[/]", "/", "//", "\\\ufffd",
     # after a star: v1.3.4 stops at the first error of its scan, v1.1.1 goes on
     "*[", "*{", "*\\", "*[]", "*[a-]", "*\\\ufffd", "*{,a}", "*{a,{b,c}}"]
)  # fmt: skip


@st.composite
def token_patterns(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(PLAIN_TOKENS, min_size=1, max_size=5))
    odd = draw(st.none() | ODD_TOKENS)
    if odd is not None:
        tokens.insert(draw(st.integers(0, len(tokens))), odd)
    return "".join(tokens)


def _every_name(alphabet: str, lengths: range) -> list[str]:
    return ["".join(chars) for n in lengths for chars in itertools.product(alphabet, repeat=n)]


# Every short plain name the tokens can spell, rather than random ones: a difference shows
# on one exact name (`a{,b}` only on `a`), which random names rarely hit.
SHORT = _every_name("ab.", range(1, 3))
PLAIN_NAMES = (
    _every_name("ab.-", range(1, 4))
    + [f"{x}/{y}" for x in SHORT for y in SHORT]
    + [f"{x}/{y}/{z}" for x in "ab" for y in "ab" for z in "ab"]
)


@pytest.mark.parametrize(
    "vector",
    [v for v in PATTERN_VECTORS if glob.V1_1_1 in v and v[glob.V1_1_1] != v[glob.V1_3_4]],
    ids=lambda v: f"{v['pattern']!r}~{v['input']!r}",
)
def test_every_pattern_the_vectors_show_differing_is_flagged(vector: dict[str, Any]) -> None:
    assert glob.may_differ(vector["pattern"])


def test_the_vectors_differ_somewhere_and_agree_elsewhere() -> None:
    """Guards the test above against an empty selection, and `may_differ` against always
    saying True: patterns that mean the same are recognised as such."""
    both = [v for v in PATTERN_VECTORS if glob.V1_1_1 in v]
    assert sum(v[glob.V1_1_1] != v[glob.V1_3_4] for v in both) >= 10
    same = [v["pattern"] for v in both if not glob.may_differ(v["pattern"])]
    assert len(same) >= 20


@pytest.mark.parametrize(
    "pattern",
    ["", "**", "v*", "release-**", "v[0-9]*.*.*", "{a,b}*{a,b}*c", "[!a-z]*{x,y,z}?**",
     "**/" * 20 + "x", "*a" * 50 + "b", "team/*", "x/**/y", "\\*", "a}b,c"],
)  # fmt: skip
def test_plain_patterns_mean_the_same_under_both(pattern: str) -> None:
    assert not glob.may_differ(pattern)


@pytest.mark.parametrize(
    "pattern",
    ["a{,bc}", "{v{1,2},x}", "{a/b,c}", "a/b/", "/a", "a//b", "*[", "*{", "[a-]", "[]", "a\\",
     "{**,x}", "{*,x}", "a\\/b", "[a/b]", "{a\\,b}", "{[a],b}", "v*{,-beta}", "*\\\ufffd"],
)  # fmt: skip
def test_what_the_releases_read_differently_is_flagged(pattern: str) -> None:
    assert glob.may_differ(pattern)


@settings(max_examples=200, deadline=None)
@given(pattern=token_patterns())
def test_a_pattern_said_to_mean_the_same_does_on_every_plain_name(pattern: str) -> None:
    if glob.may_differ(pattern):
        return
    for name in PLAIN_NAMES:
        assert outcome(pattern, name, glob.V1_1_1) == outcome(pattern, name, glob.V1_3_4), name


def test_the_names_tried_are_plain() -> None:
    assert len(PLAIN_NAMES) > 200
    assert all(glob.plain_name(name) for name in PLAIN_NAMES)


@pytest.mark.parametrize(
    ("name", "plain"),
    [("v1.0", True), ("team/app", True), ("a_b-c.d/e", True), ("a/", False), ("/a", False),
     ("a//b", False), ("", False), ("é", False), ("a\\b", False), ("a*", False)],
)  # fmt: skip
def test_plain_names(name: str, plain: bool) -> None:
    assert glob.plain_name(name) is plain


def test_names_that_are_not_plain_do_tell_the_releases_apart() -> None:
    # Why `may_differ` speaks for plain names only: v1.1.1 drops a trailing empty segment
    # and steps through a name by the width of its first rune after a star.
    assert outcome("*", "a/", glob.V1_1_1) != outcome("*", "a/", glob.V1_3_4)
    assert outcome("*b", "éab", glob.V1_1_1) != outcome("*b", "éab", glob.V1_3_4)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab{},\\/[]*")), max_size=12))
def test_brace_group_is_the_matchers_own_reading(pattern: str) -> None:
    """The brace scanner lint and the probes use is v1.3.4's: an unclosed `{` is exactly
    one the matcher raises for when a name reaches it as the pattern's first character."""
    text = "{" + pattern
    group = glob.brace_group(text, 0)
    try:
        glob.harbor_match(text, "x", glob.V1_3_4)
        raised = False
    except PatternError:
        raised = True
    if group is None:
        assert raised
    else:
        options, end = group
        assert text[end - 1] == "}"
        assert ",".join(options) == text[1 : end - 1]


def test_a_pattern_too_deep_to_evaluate_is_told_in_a_short_line() -> None:
    # Its message quoted the whole pattern: twelve kilobytes on the one error line.
    deep = "{a," * 3000 + "}" * 3000
    with pytest.raises(PatternTooComplexError) as raised:
        glob.doublestar_match(deep, "a")
    message = str(raised.value)
    assert len(message) < 200
    assert message.startswith("pattern '{a,{a,")
    assert f"({len(deep)} characters)" in message


# -- the shortcut for patterns of stars and plain text -----------------------------------


STAR_PATTERNS = [p for p in _every_name("ab*/", range(1, 6)) if glob._star_segments(p)]
STAR_NAMES = [n for n in _every_name("ab/.", range(1, 5)) if glob.plain_name(n)]


@pytest.mark.parametrize("version", glob.VERSIONS)
def test_the_shortcut_answers_as_the_port_on_every_short_pattern_and_name(version: str) -> None:
    # Every pattern of up to five characters the shortcut takes, against every plain name of
    # up to four: a misplaced piece, a missed segment count or a star let across a '/' shows
    # on some short pair.
    assert len(STAR_PATTERNS) > 500
    assert len(STAR_NAMES) > 100
    for pattern in STAR_PATTERNS:
        for name in STAR_NAMES:
            expected = naive_match(pattern, name, version)
            assert glob.doublestar_match(pattern, name, version) is expected, (pattern, name)


@settings(max_examples=400, deadline=None)
@given(
    pattern=st.from_regex(r"[ab.*-]{1,6}(/[ab.*-]{1,6}){0,2}", fullmatch=True),
    name=st.from_regex(r"[ab.-]{1,10}(/[ab.-]{1,10}){0,2}", fullmatch=True),
    version=st.sampled_from(glob.VERSIONS),
)
def test_the_shortcut_answers_as_the_port_on_longer_ones(
    pattern: str, name: str, version: str
) -> None:
    assert glob.doublestar_match(pattern, name, version) is naive_match(pattern, name, version)


@pytest.mark.parametrize(
    ("pattern", "taken"),
    [("v*", True), ("release-*", True), ("team/*", True), ("*-rc.*", True), ("latest", True),
     ("**", False), ("v**", False), ("team/**/x", False), ("v?", False), ("v[0-9]*", False),
     ("{a,b}", False), ("v\\*", False), ("/a", False), ("a/", False), ("a//b", False),
     ("", False), ("v*é", False), ("v:*", False)],
)  # fmt: skip
def test_the_shortcut_takes_stars_and_plain_text_only(pattern: str, taken: bool) -> None:
    assert (glob._star_segments(pattern) is not None) is taken


def test_a_name_that_is_not_plain_goes_to_the_port() -> None:
    # `*` on `a/`: v1.1.1 drops the empty segment, v1.3.4 does not; the shortcut would say
    # no for both.
    assert glob.doublestar_match("*", "a/", glob.V1_1_1) is True
    assert glob.doublestar_match("*", "a/", glob.V1_3_4) is False


def test_the_shortcut_remembers_no_name() -> None:
    # Why it exists: the port's cache of (release, pattern, name) grew by one entry per tag
    # checked, 50,000 of them in a check of 50,000 tags.
    glob._cached.cache_clear()
    names = [f"v1.{i}" for i in range(1000)] + [f"build-{i}" for i in range(1000)]
    answers = [glob.harbor_match("v*", name, glob.V1_3_4) for name in names]
    assert answers == [True] * 1000 + [False] * 1000
    assert glob._cached.cache_info().currsize == 0
    assert glob.harbor_match("v?*", "v1.0", glob.V1_3_4) is True  # and the port still does
    assert glob._cached.cache_info().currsize == 1
