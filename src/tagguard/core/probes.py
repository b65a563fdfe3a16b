"""Example names for a pattern: what its author most likely meant it to match.

`lint` cannot ask a person what a rule was for, so it reads the pattern the way people
read globs (every `{a,b}` alternative, `*` as "anything in a segment", `**` as "any
depth", `[a-z]` as one of its members) and writes out a few names that reading says should
match. Running Harbor's real matcher on them shows, with a concrete name, where Harbor
disagrees: a quirk, a version difference, a pattern error that fails open.

Only names that can exist are kept: valid tags for tag patterns, valid repository paths
(without the project) for repository patterns.
"""

from __future__ import annotations

import itertools
import re

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
            end, options = _braces(pattern, i)
            if end == -1:
                pieces.append(["", "x"])
                i += 1
                continue
            pieces.append([e for option in options for e in _expand(option, depth + 1)])
            i = end
        else:
            pieces.append([ch])
            i += 1
    return pieces


def _class_examples(body: str) -> list[str]:
    members = body[1:] if body.startswith("^") else body
    if body.startswith("^"):
        return [c for c in ("x", "0", "a") if c not in members][:1] or ["x"]
    if len(members) >= 3 and members[1] == "-":
        return [members[0], members[2]]
    return [members[0]] if members else ["x"]


def _braces(pattern: str, start: int) -> tuple[int, list[str]]:
    depth = 0
    options: list[str] = []
    current = start + 1
    i = start
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                options.append(pattern[current:i])
                return i + 1, options
        elif ch == "," and depth == 1:
            options.append(pattern[current:i])
            current = i + 1
        i += 1
    return -1, []
