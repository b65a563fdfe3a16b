"""Making untrusted text safe to print."""

from __future__ import annotations


def printable(text: str) -> str:
    """Escapes control characters. Rule patterns and error details can come from a registry
    or a file; printed raw they could move the cursor, recolour a terminal or forge lines."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
