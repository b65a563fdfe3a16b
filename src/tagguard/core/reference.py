"""Image references, parsed as docker parses them, and checked against Harbor's naming.

Grammar (distribution/reference):

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [ domain "/" ] path-component { "/" path-component }
    domain     := host [ ":" port ]          host: DNS name, IPv4, or [IPv6]
    component  := [a-z0-9]+ { ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ }
    tag        := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
    digest     := algorithm ":" hex

Like docker, the first path segment is a registry host only if it contains '.' or ':',
is `localhost`, or has an upper-case letter; otherwise the name would be on Docker Hub,
which is no Harbor, so tagguard refuses it. A Harbor repository is `project/rest`: at
least two path segments, and the project obeys Harbor's stricter project-name rule.
Every error says exactly which part is wrong and why.

Where any registry's names are accepted (`harbor=False`, e.g. a retag's source), Docker
Hub names are normalised as docker normalises them (distribution/reference normalize.go,
`ParseNormalizedNamed` and `splitDockerDomain`): no host means `docker.io`, the legacy host
`index.docker.io` is `docker.io`, and a one-segment name there is an official image under
`library/`. So `nginx`, `docker.io/nginx` and `index.docker.io/library/nginx` are one
repository, `docker.io/library/nginx`; the text as written stays in `original`. A Harbor
reference (`harbor=True`) names its host and project, so of this only the legacy host's
renaming applies to it: `index.docker.io/p/app` is `docker.io/p/app`, as docker writes it.
"""

from __future__ import annotations

import re
from types import MappingProxyType

from tagguard.core.record import record
from tagguard.errors import BadReferenceError

# reference.go's RepositoryNameTotalLengthMax, counted on the repository path (Docker Hub's
# `library/` included, the host not), as distribution/reference v0.6.0 (the docker CLI's)
# counts it and Harbor's registry checks a repository. docker/distribution v2.8 counted the
# host too.
NAME_TOTAL_LENGTH_MAX = 255
TAG_LENGTH_MAX = 128
PROJECT_LENGTH_MAX = 255
DOCKER_HUB = "docker.io"
# normalize.go: legacyDefaultDomain and officialRepoPrefix.
_LEGACY_DOCKER_HUB = "index.docker.io"
_OFFICIAL_PREFIX = "library/"

# Patterns only the part-by-part parse uses (a reference `_USUAL` does not read) are kept as
# source and compiled by `re` on their first use: a live run never needs them, and compiling
# them cost it ~0.4 ms before its first request. The ones every reference or tag meets are
# compiled here.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_PROJECT = r"[a-z0-9]+(?:[._-][a-z0-9]+)*"
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DOMAIN_COMPONENT = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
# A host name is dot-separated domain components: no component holds a dot, so one match of
# the whole is exactly every component matching.
_HOST_NAME = rf"{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*"
# A reference as they are usually written, `host[:port]/project/path[:tag][@sha256:hex]`,
# every part well-formed, in one match: a plan or a refs file holds thousands of them, and
# the parse part by part costs several times as much. It accepts only what that parse
# accepts and reads the same parts (the tests hold the two to it); anything else, valid or
# not (an IPv6 host, a sha512 digest, a Docker Hub name, any mistake), takes that parse,
# which names what is wrong.
_USUAL = re.compile(
    rf"(?P<registry>{_HOST_NAME}(?::(?P<port>[0-9]+))?)"
    rf"/(?P<path>{_PROJECT}(?:/{_COMPONENT})+)"
    rf"(?::(?P<tag>{_TAG.pattern}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)
# regexp.go's ipv6address: hex digits and colons only. Docker refuses a zone (`%eth0`) and
# an embedded IPv4 address (`::ffff:1.2.3.4`), so a reference holding one can never be pushed.
_IPV6 = r"\[[0-9A-Fa-f:]+\]"
_PORT = r"[0-9]+"
_DIGEST_HEX = MappingProxyType({"sha256": 64, "sha384": 96, "sha512": 128})
_DIGEST = re.compile(r"(sha256|sha384|sha512):([0-9a-f]+)")
# normalize.go refuses a bare 64-hex name: it would read as an image id, not a repository.
_IDENTIFIER = r"[a-f0-9]{64}"


@record
class Reference:
    """A parsed image reference. `repository` is the full `project/rest` path."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None
    original: str

    @property
    def project(self) -> str:
        return self.repository.split("/", 1)[0]

    @property
    def repository_in_project(self) -> str:
        """The repository without its project: what Harbor's rule patterns see."""
        return self.repository.split("/", 1)[1]

    @property
    def written_registry(self) -> str:
        """The host as `original` spells it (`MyHost.io`, where `registry` is `myhost.io`):
        the key docker looks the host up under in its config (distribution/reference keeps
        a host's case). `registry` where the text names none (Docker Hub's `nginx`), or
        names it otherwise (`index.docker.io`, which docker too reads as docker.io)."""
        first, slash, _ = self.original.partition("/")
        return first if slash and first.lower() == self.registry else self.registry

    @property
    def repository_key(self) -> str:
        """`registry/project/repository`, the key of a state file."""
        return f"{self.registry}/{self.repository}"

    def with_tag(self, tag: str) -> Reference:
        """The same repository at `tag`, written out as its own reference."""
        return Reference(
            self.registry, self.repository, tag, None, f"{self.registry}/{self.repository}:{tag}"
        )

    def __str__(self) -> str:
        text = f"{self.registry}/{self.repository}"
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def parse_reference(
    text: str, *, default_tag: str | None = "latest", harbor: bool = True
) -> Reference:
    """Parses `host[:port]/project/repo[:tag][@digest]`; raises BadReferenceError.

    With neither tag nor digest the tag is `default_tag`, as docker assumes `latest`.
    `harbor=False` accepts any registry's names, as docker does (a name without a host is
    on Docker Hub, `nginx` is `docker.io/library/nginx`): for a retag's source.
    """
    usual = _parse_usual(text, default_tag, harbor)
    return usual if usual is not None else _parse_in_parts(text, default_tag, harbor)


def _parse_usual(text: str, default_tag: str | None, harbor: bool) -> Reference | None:
    """The reference, if `_USUAL` reads it and what a match cannot check holds (docker's
    name length, a first segment docker takes for a host, the port's range, no Docker Hub
    name to normalise); None to leave it to `_parse_in_parts`."""
    found = _USUAL.fullmatch(text)
    if found is None:
        return None
    registry, port, path, tag, digest = found.group("registry", "port", "path", "tag", "digest")
    if (
        len(path) > NAME_TOTAL_LENGTH_MAX
        or not _looks_like_host(registry)
        or (port is not None and not 0 < int(port) < 65536)
        or registry == _LEGACY_DOCKER_HUB
    ):
        return None
    if tag is None and digest is None:
        tag = default_tag
    return Reference(registry.lower(), path, tag, digest, text)


def _parse_in_parts(text: str, default_tag: str | None, harbor: bool) -> Reference:
    """parse_reference's reading of any text: each part split off and checked in turn, the
    first fault found raised."""
    where = f"reference {_shown(text)!r}"
    if not text:
        raise BadReferenceError(f"{where} is empty")
    # Splitting at white space (str.isspace's characters) leaves a non-empty text whole only
    # if it holds none: one pass in C instead of a Python call per character.
    if text.split() != [text]:
        raise BadReferenceError(f"{where} contains white space")
    if not text.isascii() or not text.isprintable():
        raise BadReferenceError(f"{where} contains characters no image reference may hold")
    _refuse_scheme(text, where)
    _refuse_user_part(text, where)
    if not harbor and re.fullmatch(_IDENTIFIER, text):
        raise BadReferenceError(
            f"{where} is 64 hex digits, which docker reads as an image id, not a repository"
        )
    remainder, digest = _split_digest(text, where)
    name, tag = _split_tag(remainder, where)
    registry, path = _split_registry(name, where) if harbor else _split_any_registry(name, where)
    if len(path) > NAME_TOTAL_LENGTH_MAX:
        raise BadReferenceError(
            f"{where}: the repository path is {len(path)} characters long, "
            f"over docker's limit of {NAME_TOTAL_LENGTH_MAX}"
        )
    _check_path(path, where, tag)
    if harbor:
        _check_harbor_path(path, where, registry, tag)
    if tag is None and digest is None:
        tag = default_tag
    return Reference(registry.lower(), path, tag, digest, text)


def validate_digest(text: str, where: str) -> str:
    """`sha256:<64 lowercase hex>` (or sha384/sha512); returns it unchanged."""
    found = _DIGEST.fullmatch(text)
    if not found:
        raise BadReferenceError(
            f"{where}: {text!r} is not a digest such as sha256:<64 lowercase hex digits>"
        )
    algorithm, hex_part = found.groups()
    if len(hex_part) != _DIGEST_HEX[algorithm]:
        raise BadReferenceError(
            f"{where}: a {algorithm} digest has {_DIGEST_HEX[algorithm]} hex digits, "
            f"{text!r} has {len(hex_part)}"
        )
    return text


def is_digest(text: str) -> bool:
    """Whether `validate_digest` accepts `text`, without composing the message it would
    raise: an artifact list holds a digest per artifact, accessory and child."""
    found = _DIGEST.fullmatch(text)
    return found is not None and len(found.group(2)) == _DIGEST_HEX[found.group(1)]


def validate_tag(tag: str, where: str) -> str:
    if not tag:
        raise BadReferenceError(f"{where}: the tag is empty")
    if len(tag) > TAG_LENGTH_MAX:
        raise BadReferenceError(
            f"{where}: tag is {len(tag)} characters long, over the limit of {TAG_LENGTH_MAX}"
        )
    if not _TAG.fullmatch(tag):
        bad = next((ch for ch in tag if not (ch.isascii() and (ch.isalnum() or ch in "_.-"))), None)
        if bad is not None:
            raise BadReferenceError(
                f"{where}: tag {tag!r} contains {bad!r}; tags use letters, digits, '_', '.' and '-'"
            )
        raise BadReferenceError(f"{where}: tag {tag!r} must start with a letter, digit or '_'")
    return tag


def validate_project(project: str, where: str) -> str:
    if len(project) > PROJECT_LENGTH_MAX:
        raise BadReferenceError(f"{where}: project name is over {PROJECT_LENGTH_MAX} characters")
    if not re.fullmatch(_PROJECT, project):
        raise BadReferenceError(
            f"{where}: {project!r} is not a Harbor project name (lower-case letters and digits, "
            "with single '.', '_' or '-' between them)"
        )
    return project


def _refuse_scheme(text: str, where: str) -> None:
    """`http://harbor/p/app:1` is a URL, not a reference: docker takes no scheme, and
    read as one the `//` would make the host `http` with an empty port."""
    scheme, sep, rest = text.partition("://")
    if sep and scheme and scheme.replace("+", "").isalpha():
        plain = (
            " and add --plain-http if the registry serves plain HTTP" if scheme == "http" else ""
        )
        raise BadReferenceError(
            f"{where} starts with {scheme}://, but an image reference has no scheme: "
            f"write {rest[_user_part_end(rest, after_scheme=True) :]!r}{plain}"
        )


# In an image reference an `@` comes only before the digest, `algorithm ":" encoded` (the
# OCI grammar, read loosely here: a digest spelt wrong is another message's business). Any
# other `@` can only end a user part written into the text (`user:token@harbor/p/app:1`,
# perhaps after a scheme), and what stands before it must reach no message or log. A
# `host:port` fits the grammar too, but no digest's encoded part is a port's 1-5 digits:
# `user:token@harbor:5000` is a user part. (This pattern and the next are the part-by-part
# parse's and its messages': kept as source, as the ones at the top.)
_DIGEST_LIKE = r"[A-Za-z0-9]+(?:[+._-][A-Za-z0-9]+)*:(?![0-9]{1,5}\Z)[A-Za-z0-9=_-]*"
# What may stand before a reference's first `/`: a host, perhaps with a port (or a path
# component, which holds no `:`). `bob:to/ken@h.io` starts with none: the `@` ends a user
# part whose token holds a `/`.
_HOST_LIKE = r"(?:[^:\[]*|\[[^\]]*\])(?::[0-9]{1,5})?"


def _user_part_end(text: str, *, after_scheme: bool = False) -> int:
    """Where a user part written into `text` ends, just past its `@`; 0 if it has none.

    The rightmost `@` that no digest follows and that stands before the host: text after
    it holds a `/` (the host's path), or none stands before it (`user:pw@host`), or what
    stands before its first `/` is no host (`user:to/ken@host`), or the text came after a
    scheme (`https://user:pw@host`, where nothing else can hold an `@`).
    A `h.io/p/app@latest` keeps its `@`: a digest written wrong, shown as written."""
    at = len(text)
    while (at := text.rfind("@", 0, at)) != -1:
        before, after = text[:at], text[at + 1 :]
        if re.fullmatch(_DIGEST_LIKE, after):
            continue
        first, slash, _ = before.partition("/")
        if after_scheme or "/" in after or not slash or _not_a_host(first):
            return at + 1
    return 0


def _not_a_host(first: str) -> bool:
    """Whether `first`, what stands before a text's first `/`, can be no host (with its
    port): `bob:to` can't. One holding an `@` is left to that `@`: an earlier user part."""
    return "@" not in first and not re.fullmatch(_HOST_LIKE, first)


def _shown(text: str) -> str:
    """`text` as a message may quote it: a user part written into it (see `_user_part_end`)
    shown as `<hidden>`."""
    scheme, sep, rest = text.partition("://")
    prefix, body = (scheme + sep, rest) if sep else ("", text)
    end = _user_part_end(body, after_scheme=bool(sep))
    return f"{prefix}<hidden>@{body[end:]}" if end else text


def _refuse_user_part(text: str, where: str) -> None:
    """`user:token@harbor/p/app:1`: credentials belong in the settings, not the reference
    (docker refuses the text as a reference too). Said only where a path follows the `@`;
    `bob:pw@h.io` or `app@latest` may as well be a digest written wrong, and are told so
    (with what comes before the `@` hidden all the same)."""
    end = _user_part_end(text)
    if end and "/" in text[end:]:
        raise BadReferenceError(
            f"{where} holds a user name or password before its host, which no image "
            f"reference has: write {text[end:]!r} and give the credentials as "
            "TAGGUARD_USERNAME and TAGGUARD_PASSWORD (or --username and --password-stdin)"
        )


def _suffix(tag: str | None) -> str:
    return f":{tag}" if tag is not None else ""


def _split_digest(text: str, where: str) -> tuple[str, str | None]:
    if "@" not in text:
        return text, None
    remainder, _, digest = text.partition("@")
    if "@" in digest:
        raise BadReferenceError(f"{where} has more than one '@'")
    if not remainder:
        raise BadReferenceError(f"{where} has a digest but no name")
    return remainder, validate_digest(digest, where)


def _split_tag(text: str, where: str) -> tuple[str, str | None]:
    colon = text.rfind(":")
    if colon == -1 or "/" in text[colon + 1 :]:
        return text, None  # no colon, or it is the registry's port
    name, tag = text[:colon], text[colon + 1 :]
    return name, validate_tag(tag, where)


def _looks_like_host(first: str) -> bool:
    """splitDockerDomain's test: is the first path segment a registry host?

    A leading '[' counts too, so that a malformed IPv6 host is named as such.
    """
    return (
        "." in first
        or ":" in first
        or first == "localhost"
        or first != first.lower()
        or first.startswith("[")
    )


def _split_registry(name: str, where: str) -> tuple[str, str]:
    first, slash, rest = name.partition("/")
    if not slash or not _looks_like_host(first):
        raise BadReferenceError(
            f"{where} names no registry host, so docker would use Docker Hub; "
            "write the Harbor host first, e.g. harbor.example.com/project/app:1.0"
        )
    _check_host(first, where)
    # normalize.go's splitDockerDomain names the legacy host docker.io whatever follows it:
    # docker writes `index.docker.io/p/app` to docker.io/p/app.
    return (DOCKER_HUB if first == _LEGACY_DOCKER_HUB else first), rest


def _split_any_registry(name: str, where: str) -> tuple[str, str]:
    """splitDockerDomain: the host, or Docker Hub, with Docker Hub's names normalised.

    Docker compares the host case-sensitively, so `Index.docker.io` stays a host of its own.
    """
    first, slash, rest = name.partition("/")
    if slash and _looks_like_host(first):
        _check_host(first, where)
        domain, path = first, rest
    else:
        domain, path = DOCKER_HUB, name
    if domain == _LEGACY_DOCKER_HUB:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in path:
        path = _OFFICIAL_PREFIX + path
    return domain, path


def _check_host(host: str, where: str) -> None:
    hostname, port = host, None
    if host.startswith("["):
        end = host.find("]")
        hostname, after = host[: end + 1], host[end + 1 :]
        if end == -1 or not re.fullmatch(_IPV6, hostname):
            raise BadReferenceError(
                f"{where}: registry host {host!r} is not a valid [IPv6] address"
            )
        if after:
            if not after.startswith(":"):
                raise BadReferenceError(
                    f"{where}: unexpected {after!r} after registry host {hostname!r}"
                )
            port = after[1:]
    elif ":" in host:
        hostname, _, port = host.partition(":")
        if not re.fullmatch(_HOST_NAME, hostname):
            raise BadReferenceError(f"{where}: registry host {hostname!r} is not a valid host name")
    elif not re.fullmatch(_HOST_NAME, hostname):
        raise BadReferenceError(f"{where}: registry host {hostname!r} is not a valid host name")
    if port is not None and (not re.fullmatch(_PORT, port) or not 0 < int(port) < 65536):
        raise BadReferenceError(f"{where}: registry port {port!r} is not a port number (1-65535)")


def _check_path(path: str, where: str, tag: str | None = None) -> None:
    segments = path.split("/")
    for position, segment in enumerate(segments):
        if not segment:
            raise BadReferenceError(
                f"{where}: the repository path has an empty segment ('//' or a trailing '/')"
            )
        if not re.fullmatch(_COMPONENT, segment):
            if ":" in segment and position < len(segments) - 1:
                # `app:rel/1.0`: a tag holding '/', as a git tag such as rel/1.0 used as the
                # image's tag makes; the ':' then sits in the path, which is not the fault.
                meant = path.partition(":")[2] + (f":{tag}" if tag is not None else "")
                raise BadReferenceError(
                    f"{where}: tag {meant!r} contains '/'; tags use letters, digits, '_', '.' "
                    "and '-'"
                )
            raise BadReferenceError(f"{where}: {_explain_component(segment)}")


def _check_harbor_path(path: str, where: str, registry: str, tag: str | None) -> None:
    """A Harbor repository is `project/rest`, the project named as Harbor names projects."""
    project, slash, _ = path.partition("/")
    if not slash:
        example = f"{registry}/library/{path}{_suffix(tag)}"
        raise BadReferenceError(
            f"{where}: a Harbor repository is <project>/<name>, but {path!r} has no project; "
            f"write the project after the host, e.g. {example}"
        )
    validate_project(project, where)


def _explain_component(segment: str) -> str:
    if segment != segment.lower():
        return f"repository path segment {segment!r} must be lower-case"
    bad = next((ch for ch in segment if not (ch.isascii() and (ch.isalnum() or ch in "._-"))), None)
    if bad is not None:
        return f"repository path segment {segment!r} contains {bad!r}"
    return (
        f"repository path segment {segment!r} must start and end with a letter or digit, "
        "with only '.', '_', '__' or dashes between them"
    )
