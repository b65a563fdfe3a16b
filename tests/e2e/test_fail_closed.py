"""Fail closed: for each way the state can be unknown, the verdict is block or exit 2, never
allow, unless --on-error warn was given (then exit 0 with an "undecided" warning and no
verdict that could be mistaken for a check).

Each case is a write that a healthy Harbor would *allow* (v2 does not exist, or build-1 is
mutable), so an unknown turned into "allow" would pass unnoticed; the table proves it is not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.e2e.conftest import Harbor
from tests.harbor_server.harbor import Fault, hang, status
from tests.harbor_server.images import make_image
from tests.harbor_server.registry import free_port
from tests.harbor_server.users import DEVELOPER


@dataclass(frozen=True)
class Unknown:
    name: str
    arrange: Callable[[Harbor], None]
    args: Callable[[Harbor], list[str]]
    outcome: str  # "block" or "undecided"
    healthy_allows: bool = True  # False: the input itself is what is unknown


def _push(tag: str) -> Callable[[Harbor], list[str]]:
    return lambda h: ["push", h.ref(f"proj/app:{tag}"), "--digest", make_image().digest]


def _fault(path: str, action: Callable[..., None] | None = None) -> Callable[[Harbor], None]:
    injected = action or status(500)
    return lambda h: h.state.faults.append(Fault(path, injected, method="GET"))


def _flip(h: Harbor) -> None:
    h.state.flip_immutable = True  # Harbor's flag and the rules disagree


def _as_developer(h: Harbor) -> None:
    h.credentials = DEVELOPER
    h.state.faults.append(Fault(r"/artifacts/build-1\?", status(500), method="GET"))


CASES = [
    Unknown("rules unreadable", _fault(r"/immutabletagrules"), _push("v2"), "undecided"),
    Unknown("tag state unreadable", _fault(r"/artifacts/build-1\?"), _push("build-1"), "undecided"),
    Unknown(
        "tag state never answers",
        _fault(r"/artifacts/build-1\?", hang),
        _push("build-1"),
        "undecided",
    ),
    Unknown(
        "Harbor's version unreadable when it matters",
        _fault(r"/systeminfo"),
        _push("v2"),
        "undecided",
    ),
    Unknown("the rules and Harbor's flag disagree", _flip, _push("build-1"), "block"),
    Unknown("no rules for a developer and no state", _as_developer, _push("build-1"), "undecided"),
    Unknown(
        "a retag source that does not exist",
        lambda h: None,
        lambda h: ["retag", h.ref("proj/app:nosuch"), h.ref("proj/app:v2")],
        "undecided",
        healthy_allows=False,
    ),
    Unknown(
        "a Harbor that cannot be reached",
        lambda h: None,
        lambda h: ["push", f"127.0.0.1:{free_port()}/proj/app:v2", "--digest", make_image().digest],
        "undecided",
        healthy_allows=False,
    ),
]


def _arrange(harbor: Harbor, case: Unknown) -> None:
    # '{app,tools/x}' reads differently under Harbor's two globs: its version matters.
    harbor.rule("proj", repo="{app,tools/x}", tag="v*")
    harbor.push("proj/app:v1")
    harbor.push("proj/app:build-1")
    if case.healthy_allows:  # the same write, before anything goes wrong, is allowed
        healthy = harbor.tagguard(*case.args(harbor), "--format", "json")
        assert (healthy.code, healthy.verdicts()) == (0, ["allow"]), healthy.err
    case.arrange(harbor)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_unknown_state_never_allows(harbor: Harbor, case: Unknown) -> None:
    _arrange(harbor, case)
    run = harbor.tagguard(
        *case.args(harbor), "--format", "json", "--timeout", "0.5", "--deadline", "3"
    )
    if case.outcome == "block":
        assert run.code == 1, run.err
        assert run.verdicts() == ["block"]
    else:
        assert run.code == 2, run.out
        assert run.undecided()["code"] in ("remote", "auth", "state"), run.err
        assert run.err.count("\n") == 1


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.outcome == "undecided"], ids=lambda c: c.name
)
def test_on_error_warn_goes_on_without_a_verdict(harbor: Harbor, case: Unknown) -> None:
    _arrange(harbor, case)
    run = harbor.tagguard(
        *case.args(harbor),
        "--on-error",
        "warn",
        "--format",
        "json",
        "--timeout",
        "0.5",
        "--deadline",
        "3",
    )
    assert run.code == 0, run.err
    assert run.json["decisions"] == []
    assert [w["code"] for w in run.json["warnings"]] == ["undecided"]
