"""Probe names: lint's pattern-error finding agrees with Harbor's matcher on every name.

The property: for a pattern, lint reports a pattern error exactly when some name Harbor
could see makes `tagguard.core.glob` raise for it. "Some name" is checked by brute force
over every short name built from the pattern's own literal characters (plus one character
it lacks), which is where a lazy error can be reached at all; a flagged pattern must come
with an example name that really raises.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tagguard.core import glob
from tagguard.core.lint import Finding, lint_rules
from tagguard.core.probes import error_probes, is_valid_name
from tagguard.core.rules import REPOSITORY_SCOPE, parse_rules
from tagguard.errors import PatternError
from tests.builders import rule_json

ATOMS = ["a", "b", ".", "-", "*", "**", "?", "[", "]", "{", "}", ",", "\\", "/"]
BRUTE_FORCE_LENGTH = 4


def raises(pattern: str, name: str, version: str) -> bool:
    try:
        glob.harbor_match(pattern, name, version)
    except PatternError:
        return True
    return False


def brute_force_names(pattern: str, slot: str) -> Iterator[str]:
    """Every valid name up to BRUTE_FORCE_LENGTH over the pattern's literal characters,
    'x' (a character the pattern does not name) and, for repositories, '/'."""
    alphabet = {ch for ch in pattern if ch.isalnum() or ch in "._-"} | {"x"}
    if slot == REPOSITORY_SCOPE:
        alphabet.add("/")
    for length in range(1, BRUTE_FORCE_LENGTH + 1):
        for chars in itertools.product(sorted(alphabet), repeat=length):
            name = "".join(chars)
            if is_valid_name(name, slot):
                yield name


def pattern_error(pattern: str, slot: str, version: str) -> Finding | None:
    selectors = {"repo": pattern, "tag": "**"} if slot == REPOSITORY_SCOPE else {"tag": pattern}
    rules = parse_rules([rule_json(1, **selectors)], "rules")
    found = [f for f in lint_rules(rules, version, "proj") if f.code == "pattern-error"]
    assert len(found) <= 1
    return found[0] if found else None


@settings(max_examples=500, deadline=None)
@given(
    atoms=st.lists(st.sampled_from(ATOMS), max_size=10),
    slot=st.sampled_from(["tag", REPOSITORY_SCOPE]),
    version=st.sampled_from(glob.VERSIONS),
)
@example(atoms=["r", "c", "{", "1", ",", "2"], slot="tag", version=glob.V1_3_4)
@example(atoms=["r", "c", "{", "1", ",", "2"], slot="tag", version=glob.V1_1_1)
# Found by a longer random search: a class whose first members ('}', '*') are no name
# characters must still be passed with one that is ('b').
@example(atoms=["[}},b}^]", "[a-"], slot=REPOSITORY_SCOPE, version=glob.V1_1_1)
@example(atoms=["[**.b/]", "[a-[[a-1/1"], slot=REPOSITORY_SCOPE, version=glob.V1_3_4)
# Found by the random search: v1.3.4 asks isZeroLengthPattern of the segment's rest, cut at
# the '/' inside '{/}', when tag 'a' ends before the brace; the walk spliced the brace only.
@example(atoms=["*", "a", "{", "/", "}"], slot="tag", version=glob.V1_3_4)
def test_lint_flags_a_pattern_exactly_when_some_name_makes_it_raise(
    atoms: list[str], slot: str, version: str
) -> None:
    pattern = "".join(atoms)
    finding = pattern_error(pattern, slot, version)
    if finding is not None:
        assert finding.example is not None
        assert is_valid_name(finding.example, slot)
        assert raises(pattern, finding.example, version), finding.message
    else:
        erring = next(
            (n for n in brute_force_names(pattern, slot) if raises(pattern, n, version)), None
        )
        assert erring is None, f"lint calls {pattern!r} clean, but {slot} {erring!r} raises"


# ----------------------------------------------------------------------------- the walk


@pytest.mark.parametrize(
    ("pattern", "slot", "reaching"),
    [
        # Literal prefix, then the unclosed brace: v1.3.4 errs already at its end ('rc'),
        # both releases with one more character ('rcx').
        ("rc{1,2", "tag", {"rc", "rcx"}),
        # The bad class sits inside an alternative: the walk takes that alternative.
        ("{a,b[}", "tag", {"bx"}),
        # v1.1.1 cuts '{b/c}' at the '/': its brace is never closed there.
        ("a{b/c}", "tag", {"ax"}),
        # A later segment: the name must match the first one and go on past the '/'.
        ("team/v[", REPOSITORY_SCOPE, {"team/vx"}),
    ],
)
def test_error_probes_walk_into_the_malformed_part(
    pattern: str, slot: str, reaching: set[str]
) -> None:
    probes = error_probes(pattern, slot)
    assert reaching <= set(probes)
    assert all(is_valid_name(name, slot) for name in probes)
    assert any(raises(pattern, name, v) for name in reaching for v in glob.VERSIONS)


def test_errors_no_name_can_reach_get_no_probe() -> None:
    # After a whole-segment '**' both releases ignore errors: nothing to walk into.
    assert error_probes("x/**/[", REPOSITORY_SCOPE) == []
