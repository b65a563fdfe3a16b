"""The users and projects every test Harbor starts with: shared by the e2e fixtures and
`python -m tests.harbor_server`, which must start without pytest (a `make demo` virtualenv
has tagguard alone)."""

from __future__ import annotations

from tests.harbor_server.harbor import HarborState

ADMIN = ("admin", "Harbor12345")
DEVELOPER = ("dev", "dev-password")
ROBOT = ("robot$proj+ci", "robot-secret")


def harbor_state() -> HarborState:
    """The users and projects every test Harbor starts with."""
    state = HarborState()
    state.add_user(*ADMIN, admin=True)
    state.add_user(*DEVELOPER)
    state.add_user(*ROBOT, permissions={"proj:artifact:read", "proj:repository:pull"})
    for name in ("proj", "other", "123"):
        state.add_project(name, members={"dev": "developer"})
    return state
