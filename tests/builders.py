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
