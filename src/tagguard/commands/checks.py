"""The commands that check writes to a registry: push, copy, retag, delete, sign, impact.

Each fills its Options (tagguard.commands.context), parses its references, and hands a
check to the composition root (tagguard.app), whose report tagguard.output prints (both
through tagguard.commands.checking, which tagguard.commands.plans shares).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import click

from tagguard.check import (
    check_copy,
    check_delete,
    check_impact,
    check_push,
    check_retag,
    check_sign,
)
from tagguard.commands import context
from tagguard.commands.checking import finish, parse_references
from tagguard.commands.flags import (
    common_options,
    env_option,
    from_reference,
    impact_options,
    reference_lists,
)
from tagguard.core.reference import parse_reference, validate_digest
from tagguard.core.state import one_signature
from tagguard.errors import InputError
from tagguard.options import check_file_names
from tagguard.output import check_reports_read_nothing


@click.command()
@click.argument("references", nargs=-1)
@env_option(
    "--digest",
    metavar="sha256:...",
    help="Digest of the image being pushed; lets identical re-runs be skipped.",
)
@env_option(
    "--oci-layout",
    metavar="DIR[:REF]",
    help="Take the digest from an OCI image layout's index.json (REF: its ref.name annotation).",
)
@env_option(
    "--metadata-file",
    type=click.Path(dir_okay=False),
    help="Take the digest from `docker buildx build --metadata-file` output.",
)
@from_reference("Take the digest of REF, in any registry (the image being promoted).")
@reference_lists
@common_options
def push(
    references: tuple[str, ...],
    digest: str | None,
    oci_layout: str | None,
    metadata_file: str | None,
    from_ref: str | None,
    refs_env: str | None,
    refs_file: str | None,
    **given: Any,
) -> int:
    """Check pushing one image to each REFERENCE (host/project/repo:tag)."""
    options = context.options(**given)
    reads = {"--metadata-file": metadata_file, "--refs-file": refs_file}
    check_file_names(reads)
    if oci_layout:
        from tagguard.shell.digests import layout_index  # a digest file's only

        reads[f"--oci-layout {oci_layout}"] = layout_index(oci_layout)
    check_reports_read_nothing(options.reports, reads)
    new = _push_digest(digest, oci_layout, metadata_file, from_ref)
    (source,) = parse_references([from_ref], harbor=False) if from_ref else (None,)
    targets = parse_references(_all_references(references, refs_env, refs_file))

    return finish(
        options,
        targets,
        [source] if source else [],
        lambda sources, globs: check_push(sources, globs, targets, new, source=source),
    )


@click.command()
@click.argument("source")
@click.argument("destination")
@common_options
def copy(source: str, destination: str, **given: Any) -> int:
    """Check Harbor's copy of SOURCE into the repository DESTINATION (every tag it carries).

    This is Harbor's copy API (the UI's "copy"/retag): one immutable tag in DESTINATION on
    another digest fails the whole copy.
    """
    options = context.options(**given)
    (parsed_source,) = parse_references((source,))
    target = parse_reference(destination, default_tag=None)
    # A deciding module (see tagguard.check), imported for this check alone.
    from tagguard.core.operations import check_copy_within_one_harbor

    check_copy_within_one_harbor(parsed_source, target)

    return finish(
        options,
        [target, parsed_source],
        [],
        lambda sources, globs: check_copy(sources, globs, parsed_source, target),
    )


@click.command()
@click.argument("source")
@click.argument("targets", nargs=-1, required=True)
@common_options
def retag(source: str, targets: tuple[str, ...], **given: Any) -> int:
    """Check writing each TARGET tag from the image SOURCE points at (SOURCE may be in any registry)."""
    options = context.options(**given)
    (parsed_source,) = parse_references((source,), harbor=False)
    parsed = parse_references(targets)

    return finish(
        options,
        parsed,
        [parsed_source],
        lambda sources, globs: check_retag(sources, globs, parsed_source, parsed),
    )


@click.command()
@click.argument("references", nargs=-1, required=True)
@env_option(
    "--artifact",
    is_flag=True,
    help="Delete the whole artifact (every tag on it), not only the tag.",
)
@common_options
def delete(references: tuple[str, ...], artifact: bool, **given: Any) -> int:
    """Check deleting each tag (or, with --artifact or a reference by digest alone, each
    artifact)."""
    options = context.options(**given)
    targets = parse_references(references)

    return finish(
        options,
        targets,
        [],
        lambda sources, globs: check_delete(sources, globs, targets, artifact=artifact),
    )


@click.command()
@click.argument("references", nargs=-1, required=True)
@env_option(
    "--digest",
    metavar="D",
    variable="TAGGUARD_SIGNATURE_DIGEST",  # not TAGGUARD_DIGEST: another digest than push's
    help="The signature manifest's digest, when known: re-pushing the identical signature is then a skip.",
)
@env_option(
    "--recursive",
    "-r",
    is_flag=True,
    help="cosign sign --recursive: also each image an index references (nested ones too).",
)
@common_options
def sign(references: tuple[str, ...], digest: str | None, recursive: bool, **given: Any) -> int:
    """Check signing each image with cosign by tag: the push of tag sha256-<hex>.sig.

    Harbor checks that push like any other: a rule that makes sha256-*.sig tags immutable
    (a catch-all ** does) refuses signing an image again. With --recursive, each image an
    index references gets its own signature push, checked in cosign's order.
    """
    options = context.options(**given)
    if digest is not None:
        validate_digest(digest, "--digest")
        if recursive:
            ctx = click.get_current_context()
            raise InputError(
                one_signature(
                    context.given_by(ctx, "digest", "--digest"),
                    context.given_by(ctx, "recursive", "--recursive"),
                )
            )
    targets = parse_references(references)

    return finish(
        options,
        targets,
        [],
        lambda sources, globs: check_sign(sources, globs, targets, digest, recursive=recursive),
    )


@click.command()
@click.argument("repositories", nargs=-1, required=True)
@impact_options
def impact(repositories: tuple[str, ...], **given: Any) -> int:
    """List the existing tags of each REPOSITORY whose immutability --rules-file would change.

    Harbor's own flag for each tag (from the rules in force) is set against the proposed
    rules; each difference, either way, is a rules-change warning. Exit 0.
    """
    options = context.options(**given)
    parsed = parse_references(repositories, default_tag=None)

    # The repositories stand as targets: their hosts are the Harbors to ask, and the
    # docker config is asked for each host as the references write it.
    return finish(options, parsed, [], lambda sources, globs: check_impact(sources, globs, parsed))


def _push_digest(
    digest: str | None, oci_layout: str | None, metadata_file: str | None, from_ref: str | None
) -> str | None:
    """The new image's digest from whichever single source was given (--from: later)."""
    given = [
        name
        for name, value in (
            ("--digest", digest),
            ("--oci-layout", oci_layout),
            ("--metadata-file", metadata_file),
            ("--from", from_ref),
        )
        if value
    ]
    if len(given) > 1:
        raise InputError(f"give the new digest one way, not with {' and '.join(given)}")
    if digest is not None:
        return validate_digest(digest, "--digest")
    # The file readers come with a file to read: a push given --digest reads none.
    from tagguard.shell.digests import digest_from_metadata_file, digest_from_oci_layout

    if oci_layout is not None:
        return digest_from_oci_layout(oci_layout)
    if metadata_file is not None:
        return digest_from_metadata_file(metadata_file)
    return None


def _all_references(
    arguments: Sequence[str], refs_env: str | None, refs_file: str | None
) -> list[str]:
    found = list(arguments)
    if refs_env is not None:
        from tagguard.shell.digests import references_from_text  # with a list to read only

        value = os.environ.get(refs_env)
        if value is None:
            raise InputError(f"--refs-from-env {refs_env}: the variable is not set")
        found.extend(references_from_text(value, f"${refs_env}"))
    if refs_file is not None:
        from tagguard.shell.digests import references_from_file  # with a list to read only

        found.extend(references_from_file(refs_file))
    if not found:
        raise InputError(
            "no references to check: give them as arguments, --refs-from-env or --refs-file"
        )
    return list(dict.fromkeys(found))
