"""The verdicts against what a real client (skopeo) then gets from the server."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.conftest import Harbor
from tests.harbor_server.images import make_image, write_oci_layout
from tests.harbor_server.users import ADMIN


def skopeo_copy(
    harbor: Harbor, layout: Path, tag: str, destination: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--preserve-digests",
            f"oci:{layout}:{tag}",
            f"docker://{harbor.host}/{destination}",
            "--dest-tls-verify=false",
            "--dest-creds",
            f"{ADMIN[0]}:{ADMIN[1]}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_skopeo_push_matches_each_verdict(harbor: Harbor, tmp_path: Path) -> None:
    harbor.rule("proj", tag="v*")
    first, second = make_image(), make_image()
    write_oci_layout(str(tmp_path / "one"), first, "build")
    write_oci_layout(str(tmp_path / "two"), second, "build")
    assert skopeo_copy(harbor, tmp_path / "one", "build", "proj/app:v1").returncode == 0
    assert harbor.pusher.head_digest("proj/app", "v1") == first.digest

    allowed = harbor.tagguard("push", harbor.ref("proj/app:v2"), "--digest", first.digest)
    assert (allowed.code, allowed.out[:5]) == (0, "allow")
    assert skopeo_copy(harbor, tmp_path / "one", "build", "proj/app:v2").returncode == 0

    skipped = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", first.digest)
    assert (skipped.code, skipped.out[:4]) == (0, "skip")
    # Harbor refuses even the identical re-push: that is why the verdict is skip.
    again = skopeo_copy(harbor, tmp_path / "one", "build", "proj/app:v1")
    assert again.returncode != 0
    assert "412" in again.stderr or "immutable" in again.stderr

    blocked = harbor.tagguard("push", harbor.ref("proj/app:v1"), "--digest", second.digest)
    assert (blocked.code, blocked.out[:5]) == (1, "block")
    moved = skopeo_copy(harbor, tmp_path / "two", "build", "proj/app:v1")
    assert moved.returncode != 0
    assert harbor.pusher.head_digest("proj/app", "v1") == first.digest


def test_tls_to_a_plain_http_server_fails_closed_in_one_line(harbor: Harbor) -> None:
    run = harbor.tagguard(
        "push", harbor.ref("proj/app:v1"), "--harbor-url", harbor.url.replace("http://", "https://")
    )
    assert run.code == 2
    assert run.err.count("\n") == 1
    assert "TLS failed" in run.err
