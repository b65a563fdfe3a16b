"""The commands that check many writes at once: a release plan, and a replication (a
policy's every destination tag, or explicit pairs)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import click

from tagguard.check import check_plan, check_replication, check_retag
from tagguard.commands import context
from tagguard.commands.checking import finish, parse_references
from tagguard.commands.flags import common_options, env_option, from_reference, policy_source
from tagguard.core.state import Sources
from tagguard.errors import InputError
from tagguard.options import Options
from tagguard.output import check_reports_read_nothing
from tagguard.shell.urls import normalise_host, registry_host

if TYPE_CHECKING:
    from tagguard.core.report import Report


@click.command()
@env_option(
    "--policy",
    "policy_id",
    type=int,
    metavar="ID",
    help="A replication policy of the Harbor given by --source (or --harbor-url).",
)
@policy_source("The registry host of the Harbor holding the policy.")
@from_reference("An explicit pair: the image (any registry) ...")
@env_option(
    "--to",
    "to_refs",
    metavar="REF",
    multiple=True,
    help="... copied to this Harbor tag (crane copy, skopeo copy).",
)
@common_options
def replicate(
    policy_id: int | None,
    source_host: str | None,
    from_ref: str | None,
    to_refs: tuple[str, ...],
    **given: Any,
) -> int:
    """Check a replication: a Harbor policy's every destination tag, or explicit --from/--to pairs.

    With --policy: same digest -> skip; another digest and the policy does not override ->
    skip with a warning (Harbor leaves the old image there without a word); another digest,
    override, immutable -> block (the replication task fails).
    """
    options = context.options(**given)
    if policy_id is not None and (from_ref is not None or to_refs):
        raise InputError(
            "replicate takes --policy ID or --from REF with --to REF, not both: a policy "
            "names its own sources and destinations"
        )
    if policy_id is None and from_ref is None:
        raise InputError("replicate needs either --policy ID or --from REF with --to REF")
    if from_ref is not None:
        if not to_refs:
            raise InputError("replicate --from needs at least one --to REF")
        from tagguard.core.decide import Operation  # a deciding module: see tagguard.check

        (source,) = parse_references((from_ref,), harbor=False)
        targets = parse_references(to_refs)

        def pairs(sources: Sources, globs: str | None) -> Report:
            return check_retag(sources, globs, source, targets, operation=Operation.REPLICATE)

        return finish(options, targets, [source], pairs)
    assert policy_id is not None
    policy = policy_id
    host = _policy_host(source_host, options)
    return finish(
        options,
        [],
        [],
        lambda sources, globs: check_replication(sources, globs, host, policy),
        hosts=[host],
    )


def _policy_host(source_host: str | None, options: Options) -> str:
    if source_host:
        return registry_host(source_host, "--source")
    shared = options.harbor_urls.shared
    if shared is not None:
        return normalise_host(shared)
    raise InputError(
        "replicate --policy needs the Harbor holding the policy: --source HOST (or one --harbor-url URL)"
    )


@click.command()
@click.argument("plan_file", metavar="FILE")
@policy_source("The Harbor holding replication policies that name no `source:`.")
@common_options
def plan(plan_file: str, source_host: str | None, **given: Any) -> int:
    """Check every operation of a release plan (YAML) before any of them runs.

    Each verdict names the file and line its operation was declared on; `${VAR}` comes
    from the environment. See the README for the format, and the JSON Schema shipped as
    tagguard/schemas/plan.schema.json.
    """
    options = context.options(**given)
    default = registry_host(source_host, "--source") if source_host else None  # before I/O
    # Only this command reads a plan: tagguard.core.plan's frozen types (one per operation)
    # would cost every other command ~3 ms of start-up (an offline push, measured paired).
    from tagguard.shell.plan_file import (
        digest_files,
        load_plan,
        plan_environment,
        resolve_digest_files,
    )

    # `${VAR}` may name the password, and the plan is read before any credential is: a
    # message quoting the substituted text must hide it already.
    context.redactor().keep(os.environ.get("TAGGUARD_PASSWORD"))
    read = load_plan(plan_file, plan_environment(os.environ))
    check_reports_read_nothing(options.reports, {"the plan file": plan_file, **digest_files(read)})
    loaded = resolve_digest_files(read)
    hosts = [*([default] if default else []), *loaded.policy_hosts()]
    return finish(
        options,
        loaded.harbor_references(),
        loaded.source_references(),
        lambda sources, globs: check_plan(sources, globs, loaded, default),
        hosts=hosts,
    )


def plan_usage(arguments: list[str]) -> object:
    """Reads `tagguard plan ARGUMENTS` as the command will, raising its usage error (what
    install-git-hook stores must not fail on every push)."""
    return plan.make_context("tagguard plan", arguments)
