from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.harbor_version import (
    AT_LEAST_2_13,
    HarborVersion,
    deletes_accessories_as_roots,
    glob_version_for,
    parse_harbor_version,
)
from tagguard.errors import InputError


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2.8.4", glob.V1_1_1),
        ("2.9.4", glob.V1_1_1),
        ("2.9.5", glob.V1_3_4),
        ("2.10.0", glob.V1_1_1),
        ("2.10.1", glob.V1_1_1),
        ("v2.10.2-7e1e1ab6", glob.V1_1_1),
        ("2.10.3", glob.V1_3_4),
        ("v2.11.0-abc123", glob.V1_3_4),
        ("2.15", glob.V1_3_4),
        ("3.0.0", glob.V1_3_4),
        ("1.10.0", glob.V1_1_1),
    ],
)
def test_version_picks_the_glob_harbor_links(version: str, expected: str) -> None:
    assert glob_version_for(version) == expected


def test_no_version_means_newest() -> None:
    assert glob_version_for(None) == glob.NEWEST


@pytest.mark.parametrize("bad", ["", "latest", "2", "v2.x.1", "2.10.1 beta", "two.ten"])
def test_bad_versions_are_input_errors(bad: str) -> None:
    with pytest.raises(InputError, match="is not a version"):
        parse_harbor_version(bad)


def test_a_hidden_version_is_read_as_at_least_2_13() -> None:
    """An anonymous systeminfo answer without `harbor_version` comes from Harbor >= 2.13
    (src/server/v2.0/handler/systeminfo.go, `convertInfo`: the version is protected info
    from v2.13.0), and every release from 2.11 links v1.3.4."""
    assert parse_harbor_version(AT_LEAST_2_13) == HarborVersion(2, 13, 0)
    assert glob_version_for(AT_LEAST_2_13) == glob.V1_3_4
    # Only this bound is read: a lower bound below 2.11 (or 2.10.3) would not pick one glob.
    with pytest.raises(InputError):
        parse_harbor_version(">=2.10")


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        # src/controller/artifact/controller.go `deleteDeeply`, hard accessories loop:
        # v2.8.6 .. v2.10.3 call it with isRoot true for every accessory; v2.11.0 passes
        # `len(parents) == 0` instead (goharbor/harbor#20073, never backported to 2.10.x).
        ("2.8.6", True),
        ("2.9.5", True),
        ("v2.10.3-abc123", True),
        ("2.11.0", False),
        ("2.15.2", False),
        (AT_LEAST_2_13, False),
        (None, False),  # unknown: the newest release, as for the glob
    ],
)
def test_releases_before_2_11_delete_every_accessory_as_a_root(
    version: str | None, expected: bool
) -> None:
    assert deletes_accessories_as_roots(version) is expected
