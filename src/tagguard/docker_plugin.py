"""`docker tagguard ...`: a docker CLI plugin that checks every tag before docker writes it.

docker runs it as `docker-tagguard [docker's global flags] tagguard ARGS...`; `docker_args`
reads that command line as docker does. The images a command writes are checked in one
check-layer session (`tagguard.check.check_images`, sources built as the `tagguard` CLI builds
them), one line per reference goes to stderr, and only then is the real docker command run,
with the same global flags. A block runs nothing and exits 1; an undecided check exits 2.

It never runs itself again, whatever the input: every docker it starts (`tagguard.docker_cli`)
carries `TAGGUARD_IN_DOCKER_PLUGIN`, and a plugin that finds it set answers with one line and
runs nothing (docker can route a command back to a plugin: a `builder` alias, a plugin's help).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

from tagguard import __version__
from tagguard.cli import exit_with
from tagguard.core.record import record, replace
from tagguard.core.reference import Reference, parse_reference, validate_digest
from tagguard.core.sanitize import Redactor, printable
from tagguard.docker_args import DIGEST_OPTION, Invocation, Kind, parse
from tagguard.docker_cli import MARKER, Docker, docker_command
from tagguard.errors import InputError, TagguardError

# The check layer (tagguard.app, tagguard.check, tagguard.commands) is imported only when a
# command is checked: docker asks every plugin for its metadata when it lists them.
if TYPE_CHECKING:
    from tagguard.core.report import Report
    from tagguard.options import Options

METADATA = MappingProxyType(
    {
        "SchemaVersion": "0.1.0",
        "Vendor": "tagguard",
        "Version": __version__,
        "ShortDescription": "Check Harbor tag immutability before docker pushes or tags",
        "URL": "https://github.com/tagguard/tagguard",
    }
)
COMMANDS = ("push", "tag", "image", "build", "buildx", "manifest", "plugin")

HELP = f"""\
Usage:  docker [OPTIONS] tagguard COMMAND

Check Harbor tag immutability before docker writes a tag, then run the docker command.

Checked commands (docker's own options and global flags are kept):
  push [OPTIONS] IMAGE[:TAG]...       each image, then pushed one by one (skips left out)
  push --all-tags REPOSITORY          every local tag of REPOSITORY (docker image ls)
  image push ...                      the same
  tag SOURCE TARGET, image tag ...    TARGET, with SOURCE's image
  build --push -t TAG ... PATH        every tag the build pushes (also image build,
  buildx build --push -t TAG ...      builder build, --output type=registry or
                                      type=image,push=true)
  buildx imagetools create -t TAG ... every tag it creates
  manifest push LIST                  the tag LIST is pushed to
  plugin push PLUGIN[:TAG]            the tag the plugin is pushed to

Anything else goes to docker untouched, but these are refused: a buildx bake that
builds, compose push, publish and build --push (what they push is in their file),
and trust sign (it may push the image first).

Options:
  --{DIGEST_OPTION} sha256:...        the digest of the image written (lets an identical
                                      re-push be skipped); default: docker's RepoDigests
  -h, --help                          this help

Exit status: docker's own; 1 if a tag is blocked (nothing is run); 2 if tagguard could not
decide. tagguard's settings are tagguard push's, from its TAGGUARD_<OPTION> variables and
tagguard.toml (e.g. TAGGUARD_HARBOR_URL, TAGGUARD_PLAIN_HTTP, TAGGUARD_TIMEOUT), with
TAGGUARD_USERNAME/TAGGUARD_PASSWORD; other credentials from docker's config (--config DIR
included). Its output is its own lines: TAGGUARD_FORMAT and TAGGUARD_REPORT do not apply.
"""


def program() -> None:
    """The `docker-tagguard` program: `main`, with the start-up choices of every entry point."""
    exit_with(main)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["docker-cli-plugin-metadata"]:
        # Answered always, marker or not: docker asks every plugin this when it lists them,
        # and it never runs docker.
        print(json.dumps(dict(METADATA)))
        return 0
    if os.environ.get(MARKER):
        print(
            f"tagguard: error: docker ran the tagguard plugin from inside itself ({MARKER} is "
            "set), so it stops here rather than loop; run the docker command without tagguard",
            file=sys.stderr,
        )
        return 2
    redactor = Redactor()  # the run's secrets, hidden in all it prints
    try:
        invocation = parse(args)
        return run(invocation, Docker(docker_command(), invocation.docker_globals), redactor)
    except TagguardError as error:
        print(f"tagguard: error: {printable(redactor.redact(error.message))}", file=sys.stderr)
        return error.exit_code
    except Exception as error:  # a bug: exit 2 in one redacted line, never docker's 1
        from tagguard.commands.run import internal_error  # on a bug's path only

        print(
            f"tagguard: internal error: {internal_error(error, redactor.redact, 'please report it')}",
            file=sys.stderr,
        )
        return 2


def run(invocation: Invocation, docker: Docker, redactor: Redactor) -> int:
    if invocation.kind is Kind.HELP:
        sys.stdout.write(HELP)
        return 0
    if invocation.kind is Kind.COMPLETE:
        sys.stdout.write(complete(invocation.words))
        return 0
    if invocation.kind is Kind.PASS:
        return docker.run(invocation.command)
    if invocation.config is not None:
        # docker's --config DIR is where its credentials are: tagguard reads them there too.
        os.environ["DOCKER_CONFIG"] = invocation.config
    if invocation.kind is Kind.PUSH:
        return push(invocation, docker, redactor)
    if invocation.kind is Kind.TAG:
        return tag(invocation, docker, redactor)
    return write(invocation, docker, redactor)


def complete(words: Sequence[str]) -> str:
    """cobra's completion answer (`__complete`): candidates, then `:4` (no file names)."""
    if len(words) <= 1:
        typed = words[0] if words else ""
        return "".join(f"{c}\n" for c in COMMANDS if c.startswith(typed)) + ":4\n"
    return ":4\n"


# -- the commands -----------------------------------------------------------------------------


@record
class _Image:
    """Images pushed together: the same digest, or the same local image."""

    targets: list[Reference]
    digest: str | None
    label: str  # what the image is, when its digest is unknown


def push(invocation: Invocation, docker: Docker, redactor: Redactor) -> int:
    if invocation.all_tags:
        (repository,) = invocation.images
        named = parse_reference(repository, harbor=False, default_tag=None)
        if named.tag is not None or named.digest is not None:
            raise InputError(f"push --all-tags {repository}: tag can't be used with --all-tags/-a")
        images = docker.local_tags(repository)
        if not images:
            raise InputError(f"push --all-tags {repository}: docker has no local tag of it")
    else:
        images = list(dict.fromkeys(invocation.images))
    targets = [parse_reference(image) for image in images]
    groups: dict[str, _Image] = {}
    for target in targets:
        key, digest, label = _identity(target, invocation, docker)
        groups.setdefault(key, _Image([], digest, label)).targets.append(target)
    report = _check(list(groups.values()), targets, redactor)
    if report.blocked:
        return 1
    skipped = {d.reference for d in report.decisions if d.decision == "skip"}
    for target in targets:
        if target.original in skipped:
            continue  # the registry holds this image under this tag already
        code = docker.run([*invocation.verb, *invocation.push_options, target.original])
        if code != 0:
            return code
    return 0


def tag(invocation: Invocation, docker: Docker, redactor: Redactor) -> int:
    source, target = invocation.images
    source_ref = parse_reference(source, harbor=False)
    _, digest, label = _identity(source_ref, invocation, docker)
    destination = parse_reference(target)
    if _check([_Image([destination], digest, label)], [destination], redactor).blocked:
        return 1
    return docker.run(invocation.command)


def write(invocation: Invocation, docker: Docker, redactor: Redactor) -> int:
    targets = [parse_reference(image) for image in invocation.images]
    verb = " ".join(invocation.command[:2])
    image = _Image(targets, _given_digest(invocation), f"the image `docker {verb}` writes")
    if _check([image], targets, redactor).blocked:
        return 1
    return docker.run(invocation.command)


def _given_digest(invocation: Invocation) -> str | None:
    if invocation.digest is None:
        return None
    return validate_digest(invocation.digest, f"--{DIGEST_OPTION}")


def _identity(
    ref: Reference, invocation: Invocation, docker: Docker
) -> tuple[str, str | None, str]:
    """Which image `ref` names locally: (a key shared by references to one image, its registry
    digest if known, a label). The digest is docker's RepoDigest for the reference's own
    repository, except with --platform (one platform's manifest is pushed, not the one the
    RepoDigest names); --tagguard-digest overrides it."""
    given = _given_digest(invocation) or ref.digest
    if given is not None:
        return given, given, ""
    found = docker.local_image(ref.original)
    if found is None:
        return f"missing {ref.original}", None, f"the local image {ref.original}"
    image_id, repo_digests = found
    name = ref.original.split("@", 1)[0]
    if ref.tag is not None and name.endswith(f":{ref.tag}"):
        name = name[: -len(ref.tag) - 1]
    if invocation.platform is None:
        for entry in repo_digests:
            repository, _, digest = entry.partition("@")
            if repository == name and digest:
                return digest, digest, ""
    platform = f" ({invocation.platform})" if invocation.platform else ""
    return f"{image_id}{platform}", None, f"the local image {image_id[:19]}{platform}"


def _check(images: Sequence[_Image], targets: Sequence[Reference], redactor: Redactor) -> Report:
    """One session for every image of the command; one line per reference on stderr."""
    from tagguard.app import checked
    from tagguard.check import Image, check_images
    from tagguard.core.state import Sources

    def check(sources: Sources, globs: str | None) -> Report:
        pushed = [Image(tuple(i.targets), i.digest, i.label) for i in images]
        return check_images(sources, globs, pushed)

    with checked(_options(), targets, [], check, redactor=redactor) as report:
        sys.stderr.write("".join(f"{line}\n" for line in lines(report, redactor)))
        return report


def lines(report: Report, redactor: Redactor) -> list[str]:
    """The report, one line per reference and per warning, each made printable: rule text and
    registry messages are Harbor's, and raw ESC or newlines could forge a line. Advice to give
    the digest names the plugin's option: it takes --tagguard-digest, not the CLI's --digest."""
    from tagguard.core.decide import digest_advice

    cli_advice, advice = digest_advice(), digest_advice(f"--{DIGEST_OPTION}")

    def clean(text: str) -> str:
        return printable(redactor.redact(text))

    found = [
        f"tagguard: {d.decision.value:<5}  {clean(d.reference)}  "
        f"{clean(d.reason.replace(cli_advice, advice))}"
        for d in report.decisions
    ]
    found += [f"tagguard: warning: {clean(w.message)}" for w in report.warnings]
    return found


def _options() -> Options:
    """The `tagguard push` options as the CLI resolves them without a command line: every
    TAGGUARD_<OPTION> variable and tagguard.toml; the plugin prints its own lines."""
    from tagguard.commands import configured_options

    left_out = ("output_format", "reports")  # the plugin prints its own lines
    return replace(configured_options("push", left_out=left_out), color=False)


if __name__ == "__main__":
    program()
