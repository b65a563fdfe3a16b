"""The version every JSON document tagguard prints starts with.

Its own module because three reporters write JSON (reports, `explain`, `lint`) and the
report writer also prints the empty `explain` and `lint` documents of a failed run: each
imports this, and none has to import another to number its output.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 1


def versioned(data: dict[str, Any]) -> dict[str, Any]:
    """`data` with schema_version as its first key."""
    return {"schema_version": SCHEMA_VERSION, **data}
