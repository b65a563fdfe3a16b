"""The checks behind each command: references in, a Report out.

They read rules and state only through a `Sources` object (files offline, Harbor live),
evaluate Harbor's rules, and let `core.decide` give the verdicts. Each project's rules
and each repository's tags are asked for once per run, however many references share them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tagguard.core.decide import (
    Decision,
    Operation,
    decide_delete_artifact,
    decide_delete_tag,
    decide_write,
)
from tagguard.core.reference import Reference
from tagguard.core.report import Report
from tagguard.core.rules import Evaluation, Rule, evaluate
from tagguard.core.state import Sources
from tagguard.errors import InputError, StateError


@dataclass
class _Memo:
    """Remembers what the sources said, so each question is asked once per run."""

    sources: Sources
    glob_version: str
    _rules: dict[tuple[str, str], tuple[Rule, ...]] = field(default_factory=dict)
    _tags: dict[tuple[str, str], Mapping[str, str]] = field(default_factory=dict)

    def rules(self, ref: Reference) -> tuple[Rule, ...]:
        key = (ref.registry, ref.project)
        if key not in self._rules:
            self._rules[key] = self.sources.rules(*key)
        return self._rules[key]

    def tags(self, ref: Reference) -> Mapping[str, str]:
        key = (ref.registry, ref.repository)
        if key not in self._tags:
            self._tags[key] = self.sources.tags(*key)
        return self._tags[key]

    def evaluate(self, ref: Reference, tag: str) -> Evaluation:
        return evaluate(self.rules(ref), ref.repository, tag, self.glob_version)


def check_push(
    sources: Sources, glob_version: str, targets: Sequence[Reference], digest: str | None
) -> Report:
    """Pushing one image (`digest`, None if unknown) to every target reference."""
    memo = _Memo(sources, glob_version)
    report = Report()
    for target in targets:
        new = _new_digest(target, digest)
        report.record(_write(memo, Operation.PUSH, target, new))
    return report


def check_retag(
    sources: Sources, glob_version: str, source: Reference, targets: Sequence[Reference]
) -> Report:
    """Writing every target tag from the digest `source` points at."""
    memo = _Memo(sources, glob_version)
    new = source.digest or _current_digest(memo, source)
    report = Report()
    for target in targets:
        if target.tag is None:
            raise InputError(f"retag target {target.original!r} needs a tag, not only a digest")
        report.record(_write(memo, Operation.RETAG, target, new, source=source))
    return report


def check_delete(
    sources: Sources, glob_version: str, targets: Sequence[Reference], *, artifact: bool
) -> Report:
    """Deleting tags, or (artifact=True, or a reference by digest) whole artifacts."""
    memo = _Memo(sources, glob_version)
    report = Report()
    for target in targets:
        if artifact or target.tag is None:
            report.record(_delete_artifact(memo, target))
        else:
            assert target.tag is not None
            current = memo.tags(target).get(target.tag)
            report.record(decide_delete_tag(target, memo.evaluate(target, target.tag), current))
    return report


def explain(sources: Sources, glob_version: str, target: Reference) -> Evaluation:
    """Harbor's evaluation of the target's tag, rule by rule."""
    if target.tag is None:
        raise InputError(f"{target.original!r} names no tag; explain needs one, e.g. :1.0")
    return _Memo(sources, glob_version).evaluate(target, target.tag)


def _new_digest(target: Reference, digest: str | None) -> str | None:
    if digest is not None and target.digest is not None and digest != target.digest:
        raise InputError(
            f"reference {target.original!r} names digest {target.digest} but --digest "
            f"gives {digest}; give one of them"
        )
    return digest or target.digest


def _write(
    memo: _Memo,
    operation: Operation,
    target: Reference,
    new: str | None,
    *,
    source: Reference | None = None,
) -> Decision:
    if target.tag is None:
        return decide_write(operation, target, None, None, new, source=source)
    current = memo.tags(target).get(target.tag)
    evaluation = memo.evaluate(target, target.tag)
    return decide_write(operation, target, evaluation, current, new, source=source)


def _current_digest(memo: _Memo, ref: Reference) -> str:
    assert ref.tag is not None
    digest = memo.tags(ref).get(ref.tag)
    if digest is None:
        raise StateError(f"source {ref.original!r} does not exist, so there is no image to retag")
    return digest


def _delete_artifact(memo: _Memo, target: Reference) -> Decision:
    tags = memo.tags(target)
    digest = target.digest
    if digest is None:
        assert target.tag is not None
        digest = tags.get(target.tag)
    elif target.tag is not None and tags.get(target.tag) not in (None, digest):
        raise InputError(
            f"reference {target.original!r}: tag {target.tag} points at {tags[target.tag]}, "
            f"not {digest}"
        )
    # Only tags can lock an artifact: one that no tag points at is deletable whatever it is.
    carried = sorted(tag for tag, d in tags.items() if d == digest) if digest else []
    evaluations = [memo.evaluate(target, tag) for tag in carried]
    return decide_delete_artifact(target, digest, evaluations)
