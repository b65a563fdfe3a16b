"""The error family: one-line messages, exit 2, and which failures are worth a retry."""

from __future__ import annotations

import pytest

from tagguard.errors import (
    AuthError,
    BadReferenceError,
    FileError,
    InputError,
    PatternError,
    RemoteError,
    RulesError,
    StateError,
    TagguardError,
)


@pytest.mark.parametrize(
    "kind",
    [
        TagguardError,
        InputError,
        BadReferenceError,
        FileError,
        RulesError,
        PatternError,
        StateError,
        RemoteError,
        AuthError,
    ],
)
def test_every_error_is_one_line_and_undecided(kind: type[TagguardError]) -> None:
    error = kind("reading p/app:v1:\n  harbor.test answered\t500\r\n")
    assert error.message == "reading p/app:v1: harbor.test answered 500"
    assert str(error) == error.message
    assert error.exit_code == 2
    assert isinstance(error, TagguardError)


def test_only_a_failure_marked_retryable_is_retried() -> None:
    assert RemoteError("reset", retryable=True).retryable
    assert not RemoteError("answered 500").retryable
    assert not AuthError("refused (401)").retryable


def test_refused_credentials_are_remote_errors_and_bad_input_is_not() -> None:
    assert issubclass(AuthError, RemoteError)
    assert issubclass(BadReferenceError, InputError)
    assert issubclass(FileError, InputError)
    assert issubclass(RulesError, InputError)
    assert not issubclass(RemoteError, InputError)
