"""Reference forms of the package's glob matchers, for tests and benchmarks only.

`naive_match` runs the same algorithm with no memoisation at all (exponential, the plain
recursive port the memoised one must agree with); `count_states` counts the sub-problems
one uncached match solves (a deterministic stand-in for wall-clock time)."""

from __future__ import annotations

import contextlib

from tagguard.core import glob
from tagguard.errors import PatternError


def count_states(pattern: str, name: str, version: str = glob.NEWEST) -> int:
    """How many distinct sub-problems one uncached match solves: the work bound."""
    matcher = glob._new_matcher(version)
    with contextlib.suppress(PatternError):
        matcher.match(glob._go_bytes(pattern), glob._go_bytes(name))
    return matcher.memo.states


def naive_match(pattern: str, name: str, version: str = glob.NEWEST) -> bool:
    """The same algorithm with no memoisation at all (exponential): a reference."""
    matcher = glob._new_matcher(version, memoize=False)
    return matcher.match(glob._go_bytes(pattern), glob._go_bytes(name))
