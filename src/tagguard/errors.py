"""The one error family tagguard raises for its users.

Every error carries a single-line message that names the input at fault and, where
there is one, what to do about it. The CLI prints that line and exits 2 ("the guard
could not decide"); it never prints a traceback unless --debug is given.
"""

from __future__ import annotations


class TagguardError(Exception):
    """Root of every error meant for a person to read."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        # Messages are one line by contract: CI logs and annotations are line-based.
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self.args[0])


class InputError(TagguardError):
    """A reference, option, or file given by the user is not acceptable."""


class BadReferenceError(InputError):
    """An image reference or Harbor name is malformed."""


class FileError(InputError):
    """A rules, state or plan file cannot be read or does not have the expected shape."""


class RulesError(InputError):
    """A set of immutability rules is not shaped as Harbor returns them."""


class PatternError(TagguardError):
    """A doublestar pattern is malformed at the point matching reached.

    This is the Go library's ErrBadPattern. Harbor does not report it: it treats the tag
    as mutable and stops evaluating rules, so this error is a *result* the rule engine
    records, not a reason for tagguard to stop.
    """


class PatternTooComplexError(TagguardError):
    """A pattern nests so deeply that evaluating it exactly would exhaust the stack."""


class StateError(TagguardError):
    """The current state of a tag cannot be known, so no safe verdict exists."""


class RemoteError(TagguardError):
    """A registry or Harbor could not be read: network, TLS, HTTP status, malformed answer.

    `retryable` marks failures worth another attempt (connection reset, timeout).
    """

    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class AuthError(RemoteError):
    """The registry or Harbor refused the credentials (or asked for some and had none)."""
