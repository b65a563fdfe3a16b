"""Image references as docker reads them, and Harbor's naming rules."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core.reference import (
    _DOMAIN_COMPONENT,
    _HOST_NAME,
    _parse_in_parts,
    _parse_usual,
    is_digest,
    parse_reference,
    validate_digest,
)
from tagguard.errors import BadReferenceError, TagguardError

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "registry", "repository", "tag", "digest"),
    [
        ("harbor.example.com/proj/app:1.0", "harbor.example.com", "proj/app", "1.0", None),
        ("harbor.example.com/proj/team/app", "harbor.example.com", "proj/team/app", "latest", None),
        ("localhost/proj/app:v1", "localhost", "proj/app", "v1", None),
        ("localhost:5000/proj/app:v1", "localhost:5000", "proj/app", "v1", None),
        ("127.0.0.1:8080/123/app:1", "127.0.0.1:8080", "123/app", "1", None),
        ("[::1]:5000/proj/app:1", "[::1]:5000", "proj/app", "1", None),
        ("Harbor.Example.com/proj/app:1", "harbor.example.com", "proj/app", "1", None),
        (f"h.io/proj/app@{DIGEST}", "h.io", "proj/app", None, DIGEST),
        (f"h.io/proj/app:1.0@{DIGEST}", "h.io", "proj/app", "1.0", DIGEST),
        ("h.io/proj/a__b/c-d.e:_x", "h.io", "proj/a__b/c-d.e", "_x", None),
    ],
)
def test_valid_references(
    text: str, registry: str, repository: str, tag: str | None, digest: str | None
) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == (
        registry,
        repository,
        tag,
        digest,
    )
    assert ref.original == text


def test_parts_of_a_harbor_repository() -> None:
    ref = parse_reference("h.io/proj/team/app:1")
    assert ref.project == "proj"
    assert ref.repository_in_project == "team/app"
    assert ref.repository_key == "h.io/proj/team/app"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("proj/app:1", "names no registry host"),
        ("app", "names no registry host"),
        ("h.io/app:1", "has no project"),
        ("h.io/Proj/app:1", "must be lower-case"),
        ("h.io/proj/app:", "the tag is empty"),
        ("h.io/proj/app:-x", "must start with a letter, digit or '_'"),
        ("h.io/proj/app:a+b", "contains '+'"),
        # A git tag such as rel/1.0 as the image's tag. Before: "repository path segment
        # 'app:rel' contains ':'", a fault the reader had not made.
        ("h.io/proj/app:rel/1.0", "tag 'rel/1.0' contains '/'; tags use letters"),
        ("h.io/proj/app:x/y", "tag 'x/y' contains '/'"),
        ("h.io/proj/app:rel/1.0:rc", "tag 'rel/1.0:rc' contains '/'"),
        ("h.io/proj/app:" + "a" * 129, "over the limit of 128"),
        ("h.io/proj//app", "empty segment"),
        ("h.io/proj/app/", "empty segment"),
        ("h.io/proj/-app", "must start and end with a letter or digit"),
        ("h.io/pr__oj/app", "is not a Harbor project name"),
        ("h.io/proj/app@sha256:abc", "has 64 hex digits"),
        ("h.io/proj/app@md5:abc", "is not a digest"),
        ("h.io/proj/app@" + DIGEST + "@x", "more than one '@'"),
        ("h.io:99999/proj/app", "is not a port number"),
        ("h_x.io/proj/app", "is not a valid host name"),
        ("[zz]/proj/app", "not a valid [IPv6] address"),
        ("h.io/proj/app 1", "white space"),
        ("h.io/proj/ap\u00e9", "characters no image reference may hold"),
        ("h.io/" + "a/" * 130 + "a", "over docker's limit of 255"),
    ],
)
def test_invalid_references_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(BadReferenceError, match=message.replace("[", r"\[").replace("+", r"\+")):
        parse_reference(text)


def test_digests_are_lowercase_hex_of_the_right_length() -> None:
    assert validate_digest(DIGEST, "x") == DIGEST
    with pytest.raises(BadReferenceError):
        validate_digest("sha256:" + "A" * 64, "x")


def _accepted(text: str) -> bool:
    try:
        validate_digest(text, "x")
    except BadReferenceError:
        return False
    return True


@settings(max_examples=400)
@given(
    st.one_of(
        st.from_regex(r"(sha256|sha384|sha512|md5|SHA256):[0-9a-fA-F]{0,130}", fullmatch=True),
        st.sampled_from([DIGEST, "sha384:" + "b" * 96, "sha512:" + "c" * 128, "sha256:", ""]),
        st.text(max_size=80),
    )
)
def test_is_digest_accepts_what_validate_digest_accepts(text: str) -> None:
    """The artifact reader's quick check (no message composed) and the validator agree."""
    assert is_digest(text) == _accepted(text)


components = st.from_regex(r"[a-z0-9]{1,5}([._-][a-z0-9]{1,5}){0,2}", fullmatch=True)
projects = st.from_regex(r"[a-z0-9]{1,5}([._-][a-z0-9]{1,5}){0,1}", fullmatch=True)
tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
hosts = st.sampled_from(
    ["h.io", "localhost:5000", "127.0.0.1", "registry.example.com:443", "[::1]"]
)


@settings(max_examples=300)
@given(host=hosts, project=projects, rest=st.lists(components, min_size=1, max_size=3), tag=tags)
def test_round_trip(host: str, project: str, rest: list[str], tag: str) -> None:
    text = f"{host}/{project}/{'/'.join(rest)}:{tag}"
    ref = parse_reference(text)
    assert str(ref) == text.replace(host, host.lower())
    assert parse_reference(str(ref)) == parse_reference(str(ref))
    assert ref.tag == tag
    assert ref.repository == f"{project}/{'/'.join(rest)}"


@settings(max_examples=500)
@given(st.text(max_size=80))
def test_any_text_parses_or_raises_our_error(text: str) -> None:
    try:
        result: object = parse_reference(text)
    except TagguardError as error:
        result = error.message
    assert not isinstance(result, str) or "\n" not in result


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("ab.:/@-_[]0Z")), max_size=40))
def test_reference_shaped_noise_parses_or_raises_our_error(text: str) -> None:
    try:
        ref = parse_reference(text)
    except TagguardError:
        return
    assert "/" in ref.repository


# Docker Hub names, normalised as docker does. Cases from distribution/reference's
# normalize_test.go (TestNormalizedSplitHostname, TestParseRepositoryInfo,
# TestParseAnyReference), where ParseNormalizedNamed gives (Domain, Path).
@pytest.mark.parametrize(
    ("text", "registry", "repository"),
    [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
        ("fooo/bar", "docker.io", "fooo/bar"),
        ("index.docker.io/fooo/bar", "docker.io", "fooo/bar"),
        ("ubuntu", "docker.io", "library/ubuntu"),
        ("library/ubuntu", "docker.io", "library/ubuntu"),
        ("index.docker.io/library/ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base"),
        ("store/foo/bar", "docker.io", "store/foo/bar"),
        ("127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase"),
        ("example.com:8000/private/moonbase", "example.com:8000", "private/moonbase"),
        ("index.docker.io/debian", "docker.io", "library/debian"),
        ("redis", "docker.io", "library/redis"),
        ("dmcgowan/myapp", "docker.io", "dmcgowan/myapp"),
        # TestValidateReferenceName: 64 hex digits are a name once a host is given.
        ("docker.io/" + "1a3f5e7d9c1b3a5f" * 4, "docker.io", "library/" + "1a3f5e7d9c1b3a5f" * 4),
    ],
)
def test_docker_hub_names_are_normalised_as_docker_does(
    text: str, registry: str, repository: str
) -> None:
    ref = parse_reference(text, harbor=False)
    assert (ref.registry, ref.repository) == (registry, repository)
    assert ref.original == text
    # Normalising is idempotent: the normalised name parses to itself.
    again = parse_reference(str(ref), harbor=False)
    assert (again.registry, again.repository) == (registry, repository)


def test_spellings_of_one_docker_hub_image_are_one_reference() -> None:
    # normalize_test.go TestParseRepositoryInfo: familiar, full and ambiguous names agree.
    spellings = ("ubuntu:22.04", "docker.io/ubuntu:22.04", "index.docker.io/library/ubuntu:22.04")
    parsed = {str(parse_reference(text, harbor=False)) for text in spellings}
    assert parsed == {"docker.io/library/ubuntu:22.04"}
    # busybox:latest@digest keeps both tag and digest (TestParseReferenceWithTagAndDigest).
    ref = parse_reference(f"busybox:latest@{DIGEST}", harbor=False)
    assert str(ref) == f"docker.io/library/busybox:latest@{DIGEST}"


@pytest.mark.parametrize(
    "text",
    [
        # normalize_test.go TestValidateReferenceName / TestValidateRemoteName invalid names.
        "docker/Docker",
        "-docker",
        "-docker/docker",
        "docker///docker",
        "docker.io/docker/Docker",
        "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
        "docker-/docker",
        "____/____",
        "dock..er/docker",
        "docker/",
    ],
)
def test_names_docker_refuses_are_refused(text: str) -> None:
    with pytest.raises(BadReferenceError):
        parse_reference(text, harbor=False)


def test_harbor_references_are_not_given_docker_hub_names() -> None:
    # Only a non-Harbor reference may omit its host; a Harbor one still needs a project.
    with pytest.raises(BadReferenceError, match="has no project"):
        parse_reference("docker.io/nginx:1")
    with pytest.raises(BadReferenceError, match="names no registry host"):
        parse_reference("nginx:1")


@pytest.mark.parametrize("harbor", [True, False])
@pytest.mark.parametrize(
    ("text", "written", "plain"),
    [
        ("http://harbor.example.com/p/app:1", "harbor.example.com/p/app:1", True),
        ("https://h.io:8443/p/app", "h.io:8443/p/app", False),
        ("docker://h.io/p/app:1", "h.io/p/app:1", False),
    ],
)
def test_a_url_is_refused_for_its_scheme_not_its_port(
    text: str, written: str, plain: bool, harbor: bool
) -> None:
    # Read as a name, "http:" would be a host with an empty port; the fault is the scheme.
    with pytest.raises(BadReferenceError) as raised:
        parse_reference(text, harbor=harbor)
    message = raised.value.message
    assert "has no scheme" in message
    assert f"write {written!r}" in message
    assert "port" not in message
    assert ("--plain-http" in message) is plain


@pytest.mark.parametrize(
    ("text", "example"),
    [
        ("h.io/app:1", "h.io/library/app:1"),
        ("harbor.example.com:8443/api", "harbor.example.com:8443/library/api"),
    ],
)
def test_a_missing_project_is_shown_on_the_reference_itself(text: str, example: str) -> None:
    with pytest.raises(BadReferenceError) as raised:
        parse_reference(text)
    assert "{host}" not in raised.value.message
    assert raised.value.message.endswith(f"e.g. {example}")


# -- the one-match reading of usual references, and the checks that replaced per-part walks --

# Every character str.isspace counts as white space: Unicode's space separators and the
# characters of bidirectional class WS, B or S (so the ASCII separators \x1c-\x1f too).
WHITE_SPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]


def test_splitting_at_white_space_finds_exactly_what_isspace_finds() -> None:
    # parse_reference asks `text.split() != [text]` where it asked whether any character is
    # white space: the same question for every character there is.
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        assert (char.split() != [char]) == char.isspace(), hex(code)


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from([*WHITE_SPACE, "a", "/", ":", "\u200b", "é"]), min_size=1))
def test_splitting_at_white_space_agrees_on_any_text(text: str) -> None:
    assert (text.split() != [text]) == any(char.isspace() for char in text)


@pytest.mark.parametrize("space", WHITE_SPACE)
def test_any_white_space_anywhere_is_named_as_such(space: str) -> None:
    for text in (f"{space}h.io/p/app:1", f"h.io/p/{space}app:1", f"h.io/p/app:1{space}", space):
        with pytest.raises(BadReferenceError, match=r"contains white space$"):
            parse_reference(text)


@settings(max_examples=500)
@given(st.text(alphabet=st.sampled_from(list("aZ0-._:")), max_size=20))
def test_a_host_name_is_checked_whole_as_it_was_label_by_label(host: str) -> None:
    by_label = all(re.fullmatch(_DOMAIN_COMPONENT, label) for label in host.split("."))
    assert bool(re.fullmatch(_HOST_NAME, host)) is by_label


# Texts shaped like references, each part well-formed or a near miss: a host without a dot,
# ports out of range, Docker Hub's legacy host, segments Harbor or docker refuse, tags of
# 128 and 129 characters, digests of other algorithms or lengths, names over 255. About one
# in ten is read in one match.
HOSTS = st.sampled_from(
    ["h.io", "H.io", "localhost", "LOCALHOST", "team", "127.0.0.1", "h.io:5000", "h.io:0",
     "h.io:65535", "h.io:65536", "h.io:00080", "a-b.c", "-a.b", "a..b", "[::1]:5000",
     "index.docker.io", "Index.docker.io", "docker.io", "h_x.io", "http:"]
)  # fmt: skip
SEGMENTS = st.sampled_from(
    ["p", "app", "a.b", "a_b", "a__b", "a___b", "a--b", "a-", "-a", "A", "", "lib.rary", "x9"]
)
TAGS = st.sampled_from([None, "1", "v1.0", "_x", "-x", "", "a+b", "a" * 128, "a" * 129])
DIGESTS = st.none() | st.sampled_from(
    ["sha256:" + "a" * 64, "sha256:" + "A" * 64, "sha256:" + "a" * 63,
     "sha384:" + "c" * 96, "sha512:" + "b" * 128]
)  # fmt: skip


@st.composite
def reference_texts(draw: st.DrawFn) -> str:
    text = "/".join([draw(HOSTS), *draw(st.lists(SEGMENTS, min_size=1, max_size=4))])
    if draw(st.integers(0, 3)) == 0:
        text += "/" + "a" * draw(st.integers(200, 260))  # around docker's 255-character name
    tag, digest = draw(TAGS), draw(DIGESTS)
    return text + (f":{tag}" if tag is not None else "") + (f"@{digest}" if digest else "")


@settings(max_examples=1500)
@given(
    text=reference_texts() | st.text(alphabet=st.sampled_from(list("ab.:/@-_[]0Z")), max_size=40),
    harbor=st.booleans(),
    default_tag=st.sampled_from(["latest", None]),
)
def test_the_one_match_reads_only_what_the_parse_in_parts_reads_the_same(
    text: str, harbor: bool, default_tag: str | None
) -> None:
    usual = _parse_usual(text, default_tag, harbor)
    if usual is not None:
        assert _parse_in_parts(text, default_tag, harbor) == usual


@pytest.mark.parametrize(
    "text",
    [
        "harbor.example.com/proj/app:1.0",
        "127.0.0.1:38080/team1/repo-3:v1.0.17",
        "localhost/proj/team/app",
        f"h.io/proj/app:1.0@{DIGEST}",
        "Harbor.Example.com:8443/proj/a__b:v1",
    ],
)
def test_usual_references_are_read_in_one_match(text: str) -> None:
    # The point of the one match: the references plans and refs files are made of take it.
    assert _parse_usual(text, "latest", True) == parse_reference(text)


# A user part written into a reference: `docker login` and TAGGUARD_USERNAME/PASSWORD are
# where credentials go, but a pipeline that builds `user:$TOKEN@host/...` from a URL it has
# must not get the token into its log through the message refusing it.
SECRET = "S3cretPW"
DIGEST_A = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    ("text", "shown", "written"),
    [
        (f"bob:{SECRET}@h.io/p/app:v1", "<hidden>@h.io/p/app:v1", "h.io/p/app:v1"),
        (f"{SECRET}@h.io/p/app:v1", "<hidden>@h.io/p/app:v1", "h.io/p/app:v1"),
        (f"bob:{SECRET}/x@h.io/p/app:v1", "<hidden>@h.io/p/app:v1", "h.io/p/app:v1"),
        (f"bob:{SECRET}@x@h.io/p/app@{DIGEST_A}", f"<hidden>@h.io/p/app@{DIGEST_A}", None),
        (f"bob:{SECRET}@h.io/p/app@latest", "<hidden>@h.io/p/app@latest", "h.io/p/app@latest"),
        (f"https://bob:{SECRET}@h.io/p/app:v1", "https://<hidden>@h.io/p/app:v1", "h.io/p/app:v1"),
        (f"https://bob:{SECRET}/x@h.io", "https://<hidden>@h.io", "h.io"),
    ],
)
@pytest.mark.parametrize("harbor", [True, False])
def test_a_user_part_in_a_reference_is_hidden_and_refused(
    text: str, shown: str, written: str | None, harbor: bool
) -> None:
    with pytest.raises(BadReferenceError) as raised:
        parse_reference(text, harbor=harbor)
    message = raised.value.message
    assert SECRET not in message
    assert "bob" not in message
    assert message.startswith(f"reference {shown!r}")
    if written is not None:
        assert f"write {written!r}" in message


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (f"bob:{SECRET}@h.io", "<hidden>@h.io"),
        (f"bob:{SECRET} x@h.io/p/a:1", "<hidden>@h.io/p/a:1"),
        # A token holding a `/`, and no path after the host: `bob:S3cret` cannot be a host
        # (its port is no number), so the `@` ends a user part.
        (f"bob:{SECRET}/x@h.io", "<hidden>@h.io"),
        (f"bob:{SECRET}/x@h.io:5000", "<hidden>@h.io:5000"),
    ],
)
def test_a_user_part_is_hidden_whatever_else_is_wrong(text: str, shown: str) -> None:
    # `bob:pw@h.io` reads as a name and a digest written wrong, a blank as white space:
    # those are the messages, and they quote the text without what the `@` ends.
    with pytest.raises(BadReferenceError) as raised:
        parse_reference(text)
    assert SECRET not in raised.value.message
    assert raised.value.message.startswith(f"reference {shown!r}")


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        ("h.io/p/app@latest", "'latest' is not a digest"),
        ("h.io:5000/p/app@latest", "'latest' is not a digest"),
        ("[::1]:5000/p/app@latest", "'latest' is not a digest"),
        ("[::1]/p/app@latest", "'latest' is not a digest"),
        (f"https://h.io/p/app@{DIGEST_A}", "has no scheme"),
        ("h.io/p/app@sha256:xyz", "'sha256:xyz' is not a digest"),
    ],
)
def test_an_at_before_a_digest_hides_nothing(text: str, fault: str) -> None:
    # The `@` a reference may hold comes after its path: a digest written wrong is shown as
    # written, and no user part is suspected.
    with pytest.raises(BadReferenceError) as raised:
        parse_reference(text)
    assert raised.value.message.startswith(f"reference {text!r}")
    assert fault in raised.value.message
    assert "<hidden>" not in raised.value.message


# -- held against distribution/reference v0.6.0 (the docker CLI's parser), by running it --
# The answers below are what its ParseNormalizedNamed gave for each text.


@pytest.mark.parametrize("harbor", [True, False])
@pytest.mark.parametrize(
    "text",
    [
        # regexp.go's ipv6address is `\[(?:[a-fA-F0-9:]+)\]`: a zone or an embedded IPv4
        # address is "invalid reference format". tagguard read both as hosts, so a reference
        # docker can never push got a verdict.
        "[fe80::1%eth0]:5000/p/app:v1",
        "[::ffff:127.0.0.1]:5000/p/app",
        "[fe80::1%25eth0]/p/app",
    ],
)
def test_an_ipv6_host_docker_refuses_is_refused(text: str, harbor: bool) -> None:
    with pytest.raises(BadReferenceError, match=r"not a valid \[IPv6\] address"):
        parse_reference(text, harbor=harbor)


@pytest.mark.parametrize(
    ("text", "registry"),
    [("[::1]:5000/p/app", "[::1]:5000"), ("[FE80::1]/p/app", "[fe80::1]"), ("[::]/p/app", "[::]")],
)
def test_an_ipv6_host_docker_reads_is_read(text: str, registry: str) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.repository) == (registry, "p/app")


# reference.go's Parse (v0.6.0) limits the repository path to 255 characters, the host not
# counted ("repository name must not be more than 255 characters"); ParseNormalizedNamed
# counts a Docker Hub name with its `library/`. tagguard counted the text as written, host
# included: it refused harbor.example.com/p/<253 a> (path 255), which docker pushes, and
# read <248 a> as docker.io/library/<248 a> (path 256), which docker refuses.
LONG_HOST = "harbor.example.com:5000"


@pytest.mark.parametrize("harbor", [True, False])
def test_the_255_character_limit_is_on_the_path_not_the_host(harbor: bool) -> None:
    ref = parse_reference(f"{LONG_HOST}/p/{'a' * 253}:v1", harbor=harbor)
    assert (ref.registry, len(ref.repository), ref.tag) == (LONG_HOST, 255, "v1")
    with pytest.raises(BadReferenceError, match="path is 256 characters long, over docker's"):
        parse_reference(f"h.io/p/{'a' * 254}", harbor=harbor)


@pytest.mark.parametrize("prefix", ["", "docker.io/", "index.docker.io/"])
def test_the_limit_counts_docker_hubs_library_prefix(prefix: str) -> None:
    ref = parse_reference(prefix + "a" * 247, harbor=False)
    assert (ref.registry, ref.repository) == ("docker.io", "library/" + "a" * 247)
    with pytest.raises(BadReferenceError, match="path is 256 characters long"):
        parse_reference(prefix + "a" * 248, harbor=False)


@pytest.mark.parametrize(
    ("text", "repository", "tag"),
    [
        ("index.docker.io/p/app:v1", "p/app", "v1"),
        ("index.docker.io/p/team/app", "p/team/app", None),
    ],
)
def test_the_legacy_docker_hub_host_is_docker_io_in_a_harbor_reference_too(
    text: str, repository: str, tag: str | None
) -> None:
    # normalize.go's splitDockerDomain gives Domain "docker.io" for these: docker writes
    # there. tagguard kept "index.docker.io" where a Harbor reference was required, so its
    # verdict and its state file key were about a registry docker does not write to.
    ref = parse_reference(text, default_tag=None)
    assert (ref.registry, ref.repository, ref.tag) == ("docker.io", repository, tag)
    assert ref.repository_key == f"docker.io/{repository}"


@pytest.mark.parametrize(
    ("text", "harbor", "registry", "written"),
    [
        # distribution/reference keeps a domain's case, and docker asks its config under
        # it; tagguard knows the host lower-cased everywhere else.
        ("MyHost.Example:5000/p/r:t", True, "myhost.example:5000", "MyHost.Example:5000"),
        ("[::A]:5000/p/r", True, "[::a]:5000", "[::A]:5000"),
        ("DOCKER.IO/p/r", True, "docker.io", "DOCKER.IO"),
        # normalize.go renames only the legacy host spelt exactly so.
        ("index.docker.io/p/r", True, "docker.io", "docker.io"),
        ("Index.Docker.Io/p/r", False, "index.docker.io", "Index.Docker.Io"),
        # No host written: Docker Hub, as docker names it.
        ("nginx", False, "docker.io", "docker.io"),
        ("library/nginx", False, "docker.io", "docker.io"),
    ],
)
def test_the_host_is_kept_as_written_for_the_docker_config(
    text: str, harbor: bool, registry: str, written: str
) -> None:
    ref = parse_reference(text, harbor=harbor)
    assert (ref.registry, ref.written_registry) == (registry, written)
