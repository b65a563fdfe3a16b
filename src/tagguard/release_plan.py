"""A release plan, checked through one session: its operations in order, each seeing what
the earlier allowed ones write or delete (`tagguard plan`; the plan itself is parsed by
`core.plan`)."""

from __future__ import annotations

from tagguard.core.decide import Decision, Operation
from tagguard.core.plan import (
    Copy,
    Delete,
    DigestFile,
    Plan,
    PlanOperation,
    Push,
    Replicate,
    ReplicatePolicy,
    Retag,
    Sign,
)
from tagguard.core.record import replace
from tagguard.core.reference import Reference
from tagguard.errors import InputError, StateError
from tagguard.replicate import Replication
from tagguard.session import Session


def run_plan(session: Session, plan: Plan, default_source: str | None) -> None:
    """Every operation of `plan` into the session's report, in order. Each decision carries
    the file and line its operation was declared on. `default_source` is the Harbor holding
    the replication policies whose step names none."""
    # One for the whole plan: a destination project is asked about once, however many
    # replicate steps write into it.
    replication = Replication(session)
    record = session.report.record
    for operation in plan.operations:
        origin = (plan.file, operation.line)
        try:
            decisions = _run(session, replication, operation, default_source, plan.file)
        except (InputError, StateError) as error:
            # What the step asks cannot be checked (a source an earlier step deleted, an
            # image whose digest is unknown): say which step, as a plan's parse errors do.
            # A failure to read Harbor is the run's, not the step's: it goes on as it is.
            raise type(error)(f"{plan.file}:{operation.line}: {error.message}") from None
        for decision in decisions:
            record(replace(decision, origin=origin))


def _run(
    session: Session,
    replication: Replication,
    operation: PlanOperation,
    default_source: str | None,
    file: str,
) -> list[Decision]:
    match operation:
        case Push():
            return _push(session, operation, file)
        case Delete():
            return session.delete(operation.targets, artifact=operation.artifact)
        case Sign():
            return session.sign(
                operation.targets,
                operation.digest,
                where=f"{file}:{operation.line}",
                recursive=operation.recursive,
            )
        case Copy():
            return session.copy(operation.source, operation.destination)
        case ReplicatePolicy():
            host = operation.source_host or default_source
            if host is None:
                raise InputError(
                    f"replicate needs the Harbor holding policy {operation.policy} (source: HOST)"
                )
            return replication.policy(host, operation.policy)
        case Replicate():
            return session.retag(operation.source, operation.targets, Operation.REPLICATE)
        case Retag():
            return session.retag(operation.source, operation.targets, Operation.RETAG)


def _push(session: Session, push: Push, file: str) -> list[Decision]:
    image = push.image
    if isinstance(image, DigestFile):  # the shell reads these first (`resolve_digest_files`)
        raise InputError(f"the digest in {image.kind} {image.path} was not read")
    if isinstance(image, Reference):
        return session.push(push.targets, None, image)
    return session.push(push.targets, image, unknown=f"the image pushed at {file}:{push.line}")
