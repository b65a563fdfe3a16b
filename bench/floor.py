"""The request budget and the fewest rounds of requests any strategy needs, for bench/run.

A Harbor list (a project's rules, a repository's artifacts) comes in pages of 100; how many
pages there are is known only from the first page's `X-Total-Count`, so the pages after the
first can start only once it has answered. A repository's tags can instead be asked one
request each, all at once. With `width` requests in flight, a round is one latency.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PAGE = 100
# Above this many repositories with a real choice (pages or per-tag requests), the floor
# takes the fewer requests for each instead of trying every combination (2^n schedules).
EXHAUSTIVE = 12


@dataclass(frozen=True)
class Repository:
    tags: int  # tags checked
    pages: int  # pages of its artifact list


def rule_pages(rules: int) -> int:
    """Requests for one project's rules: one even when it has none."""
    return max(1, math.ceil(rules / PAGE))


def budget(rules: Iterable[int], repositories: Iterable[Repository]) -> int:
    """Σ projects ceil(rules / 100) + Σ repositories min(tags checked, artifact pages)."""
    return sum(rule_pages(n) for n in rules) + sum(min(r.tags, r.pages) for r in repositories)


def schedule_rounds(lists: Sequence[int], singles: int, width: int) -> int:
    """Rounds to read `lists` (each a paged list: its first page, then the rest) and
    `singles` independent requests, `width` at a time. First pages go first, the longest
    lists' before the others' (what unblocks the most work), then whatever is ready: the
    highest-level-first order, optimal for this two-level forest of unit-time jobs."""
    firsts = sorted((n for n in lists if n > 0), reverse=True)
    ready_singles = singles
    released = 0  # pages after the first, their first page answered
    rounds = 0
    while firsts or ready_singles or released:
        rounds += 1
        slots = width
        taken, firsts = firsts[:slots], firsts[slots:]
        slots -= len(taken)
        from_released = min(slots, released)
        released -= from_released
        slots -= from_released
        ready_singles -= min(slots, ready_singles)
        released += sum(n - 1 for n in taken)  # asked from the next round on
    return rounds


def fewest_rounds(rules: Sequence[int], repositories: Sequence[Repository], width: int) -> int:
    """The fewest rounds any strategy needs at `width`: every project's rule pages, and for
    each repository either its artifact pages or one request per checked tag, whichever
    gives the fewest rounds overall (all combinations tried when there are few)."""
    lists = [rule_pages(n) for n in rules]
    singles = 0
    choices: list[Repository] = []
    for repository in repositories:
        if repository.tags <= 1 or repository.pages <= 1:
            singles += 1  # one request answers it either way
        else:
            choices.append(repository)
    if len(choices) > EXHAUSTIVE:
        paged = [r.pages for r in choices if r.pages < r.tags]
        per_tag = sum(r.tags for r in choices if r.pages >= r.tags)
        return schedule_rounds(lists + paged, singles + per_tag, width)
    best: int | None = None
    for picks in itertools.product((True, False), repeat=len(choices)):
        paged = [r.pages for r, by_page in zip(choices, picks, strict=True) if by_page]
        per_tag = sum(r.tags for r, by_page in zip(choices, picks, strict=True) if not by_page)
        rounds = schedule_rounds(lists + paged, singles + per_tag, width)
        best = rounds if best is None else min(best, rounds)
    assert best is not None
    return best
