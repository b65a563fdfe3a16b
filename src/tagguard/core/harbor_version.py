"""What depends on a Harbor's version, from its version string: which doublestar release
it links, and how it deletes an artifact's accessories.

Harbor 2.11 and later, 2.10.3+ and 2.9.5+ link doublestar v1.3.4; every older release
links v1.1.1. Before 2.11.0 `deleteDeeply` deletes every accessory as a root (see
`HarborVersion.deletes_accessories_as_roots`). `GET /api/v2.0/systeminfo` reports versions such as `v2.11.0-abc123`, or, from Harbor
2.13.0 on, nothing to an anonymous caller: `AT_LEAST_2_13` stands for that answer.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from tagguard.core.record import record
from tagguard.errors import InputError

# Compiled when a version is first read (the re module keeps it), as this module is
# imported by every live run before its first request, and most runs read no version.
# ASCII digits, at most nine to a part: int() refuses more than 4300 digits with an error of
# its own, and `\d` also takes other scripts' digits, which no Harbor writes.
_VERSION = r"^v?([0-9]{1,9})\.([0-9]{1,9})(?:\.([0-9]{1,9}))?(?:[-+][0-9A-Za-z.+-]*)?$"

# (major, minor) -> first patch release of that minor that links v1.3.4.
_BACKPORTS = MappingProxyType({(2, 9): 5, (2, 10): 3})
_FIRST_WITH_NEW_GLOB = (2, 11)
# The first release whose deleteDeeply asks whether an accessory is an index's child.
_FIRST_WITH_CHILD_ACCESSORIES = (2, 11, 0)

# What `HarborClient.version()` reports when Harbor answers an anonymous caller without its
# version. Harbor 2.13.0 moved `harbor_version` into the part of the answer only
# authenticated callers get (goharbor/harbor#21672: `convertInfo` in
# src/server/v2.0/handler/systeminfo.go sets it from `d.Protected`); every release before it
# sends the version to everyone. The hidden version is therefore at least 2.13.0, and every
# release from 2.11 on links v1.3.4: the lower bound picks the glob exactly. It is a bound,
# not a release, hence a string no release has.
AT_LEAST_2_13 = ">=2.13"
_AT_LEAST_2_13_AS_VERSION = (2, 13, 0)


@record(order=True)
class HarborVersion:
    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def glob_version(self) -> str:
        # The rule matcher, loaded once rules are matched: tagguard.shell.harbor imports this
        # module before a live run's first request (tagguard.check).
        from tagguard.core import glob

        minor = (self.major, self.minor)
        if minor >= _FIRST_WITH_NEW_GLOB:
            return glob.V1_3_4
        first_patch = _BACKPORTS.get(minor)
        if first_patch is not None and self.patch >= first_patch:
            return glob.V1_3_4
        return glob.V1_1_1

    @property
    def deletes_accessories_as_roots(self) -> bool:
        """Whether deleting an artifact deletes each of its hard accessories as a root, so
        that an accessory an index references (a signature the referrers tag schema's index
        `sha256-<hex>` lists) fails the whole delete: "the deleting artifact is referenced
        by others" (src/controller/artifact/controller.go `deleteDeeply`, up to v2.10.3).
        From v2.11.0 (goharbor/harbor#20073) such an accessory is no root: it is kept, and
        the delete goes on without it. The same releases delete an index's child that is an
        accessory without its accessory record, whose foreign key then fails the delete."""
        return (self.major, self.minor, self.patch) < _FIRST_WITH_CHILD_ACCESSORIES


def parse_harbor_version(text: str) -> HarborVersion:
    """`2.10.1`, `v2.11.0-abc123`, `v2.9` -> HarborVersion; `AT_LEAST_2_13` -> 2.13.0, the
    lowest release it can be; anything else is an InputError."""
    if text.strip() == AT_LEAST_2_13:
        return HarborVersion(*_AT_LEAST_2_13_AS_VERSION)
    found = re.match(_VERSION, text.strip())
    if not found:
        raise InputError(
            f"Harbor version {text!r} is not a version such as 2.10.1 or v2.11.0-abc123"
        )
    major, minor, patch = found.groups()
    return HarborVersion(int(major), int(minor), int(patch or 0))


def glob_version_for(harbor_version: str | None) -> str:
    """The doublestar release for a Harbor version string; the newest when none is given."""
    if harbor_version is None:
        from tagguard.core import glob  # see HarborVersion.glob_version

        return glob.NEWEST
    return parse_harbor_version(harbor_version).glob_version


def deletes_accessories_as_roots(harbor_version: str | None) -> bool:
    """`HarborVersion.deletes_accessories_as_roots` for a version string; as the newest
    release (False) when none is given, like the glob."""
    if harbor_version is None:
        return False
    return parse_harbor_version(harbor_version).deletes_accessories_as_roots
