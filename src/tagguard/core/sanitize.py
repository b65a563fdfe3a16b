"""Making untrusted text safe to print."""

from __future__ import annotations


def printable(text: str) -> str:
    """Escapes control characters. Rule patterns and error details can come from a registry
    or a file; printed raw they could move the cursor, recolour a terminal or forge lines."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


# The secrets this process holds (passwords, identity and registry tokens), registered where
# they are read or received. Everything tagguard prints or writes passes through `redact`: a
# registry that echoes a credential back in an error message or a rule must not get it into a
# public CI log.
_SECRETS: set[str] = set()
REDACTED = "***"


def keep_secret(value: str | None) -> None:
    """Registers a secret so that `redact` hides it. Very short values are not registered:
    hiding every `a` in a report would say more about the secret than it hides."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """`text` with every registered secret replaced by ***."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text
