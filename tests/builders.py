"""Small builders for the JSON Harbor's API returns, shared by the tests."""

from __future__ import annotations

from typing import Any


def rule_json(
    rule_id: int,
    repo: str = "**",
    tag: str = "**",
    *,
    repo_decoration: str = "repoMatches",
    tag_decoration: str = "matches",
    tag_kind: str = "doublestar",
    **extra: Any,
) -> dict[str, Any]:
    """One immutability rule as `GET .../immutabletagrules` returns it."""
    data: dict[str, Any] = {
        "id": rule_id,
        "scope_selectors": {
            "repository": [{"kind": "doublestar", "decoration": repo_decoration, "pattern": repo}]
        },
        "tag_selectors": [{"kind": tag_kind, "decoration": tag_decoration, "pattern": tag}],
    }
    data.update(extra)
    return data


# Patterns that make a naive backtracking matcher exponential; none matches the names
# `huge_rule_set` checks, and none raises a pattern error there.
PATHOLOGICAL_PATTERNS = (
    "*a*a*a*a*a*a*a*a*a*a*b",
    "{a,b}*{a,b}*{a,b}*{a,b}*{a,b}*{a,b}*c",
    "**/" * 20 + "x",
    "[!a-z]*{x,y,z}?**",
    "{ab,{ab,{ab,{ab,{ab,{ab,c}}}}}}*{a,b}" * 4 + "c",
)
LONG_PATTERN = "*a" * 5000 + "b"


def huge_rule_set(
    rules: int, repositories: int, tags: int, digest: str
) -> tuple[dict[str, Any], dict[str, dict[str, str]], list[str]]:
    """A rules file, a state file and references for a project with `rules` rules.

    Rule 1 has a 10 kB pattern, rules 2..rules-1 pathological ones; none of them matches.
    The last rule (by id) makes tags starting with `v` immutable. Rules are listed in
    reverse id order, since Harbor orders them by id, not by position. Half the tags start
    with `v`; every tag exists, at `digest`, in long, deep repository names.
    """
    listed = [rule_json(1, LONG_PATTERN, LONG_PATTERN)]
    listed += [
        rule_json(i, PATHOLOGICAL_PATTERNS[i % 5], PATHOLOGICAL_PATTERNS[(i + 2) % 5])
        for i in range(2, rules)
    ]
    listed.append(rule_json(rules, "**", "v*"))
    state: dict[str, dict[str, str]] = {}
    refs: list[str] = []
    for r in range(repositories):
        repository = "h.io/p/" + "/".join(["ab"] * 30) + f"-{r}"
        state[repository] = {}
        for t in range(tags):
            tag = ("v" if t % 2 else "x") + "ab" * 60 + str(t)
            state[repository][tag] = digest
            refs.append(f"{repository}:{tag}")
    return {"p": listed[::-1]}, state, refs


def policy_json(**changes: Any) -> dict[str, Any]:
    """A push-based policy shaped as GET /replication/policies/{id} answers (swagger
    ReplicationPolicy; convertReplicationPolicy fills src_registry with the local registry,
    id 0, type harbor)."""
    data: dict[str, Any] = {
        "id": 4,
        "name": "to-dr",
        "src_registry": {"id": 0, "name": "Local", "type": "harbor", "url": "http://core:8080"},
        "dest_registry": {
            "id": 2,
            "name": "dr",
            "type": "harbor",
            "url": "https://dr.example.com/",
            "insecure": True,
            "credential": {"type": "basic", "access_key": "admin", "access_secret": "*****"},
        },
        "dest_namespace": "",
        "dest_namespace_replace_count": -1,
        "filters": [],
        "trigger": {"type": "manual", "trigger_settings": {"cron": ""}},
        "deletion": False,
        "replicate_deletion": False,
        "override": True,
        "enabled": True,
        "speed": -1,
        "copy_by_chunk": False,
    }
    data.update(changes)
    return data
