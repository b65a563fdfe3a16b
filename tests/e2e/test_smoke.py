from __future__ import annotations

from tests.e2e.conftest import Harbor
from tests.harbor_server.images import make_image


def test_push_allow_skip_block(harbor: Harbor) -> None:
    harbor.rule("proj", tag="v*")
    image = harbor.push("proj/team/app:v1")
    other = make_image()
    run = harbor.tagguard(
        "push",
        harbor.ref("proj/team/app:v1"),
        harbor.ref("proj/team/app:v2"),
        "--digest",
        image.digest,
        "--format",
        "json",
    )
    assert run.code == 0, run.err
    assert run.verdicts() == ["skip", "allow"]
    run = harbor.tagguard(
        "push", harbor.ref("proj/team/app:v1"), "--digest", other.digest, "--format", "json"
    )
    assert run.code == 1, run.err
    assert run.verdicts() == ["block"]
    refused = harbor.pusher.push("proj/team/app", "v1", other)
    assert refused.status_code == 412
    assert "configured as immutable" in refused.text
