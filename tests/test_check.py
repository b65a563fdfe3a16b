"""The checks, end to end over offline sources (no files: tables built in memory)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping

import pytest

from tagguard.check import Image, check_delete, check_images, check_push, check_retag, explain
from tagguard.core import glob
from tagguard.core.decide import Verdict
from tagguard.core.reference import parse_reference
from tagguard.core.rules import parse_rules
from tagguard.core.state import (
    ArtifactInfo,
    OfflineSources,
    ProjectRules,
    RepositoryState,
    RulesTable,
    StateTable,
)
from tagguard.errors import InputError, StateError
from tests.builders import rule_json

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
RULES = parse_rules([rule_json(1, tag="v*")], "rules")


class CountingSources(OfflineSources):
    """Offline sources that count how often each question is asked."""

    calls: list[tuple[str, ...]]

    def __init__(self, rules: RulesTable, state: StateTable) -> None:
        super().__init__(rules, state)
        object.__setattr__(self, "calls", [])

    def rules(self, registry: str, project: str) -> ProjectRules:
        self.calls.append(("rules", registry, project))
        return super().rules(registry, project)

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        self.calls.append(("artifact", registry, repository, reference))
        return super().artifact(registry, repository, reference)


def sources() -> CountingSources:
    state = StateTable(
        {
            "h.io/p/app": RepositoryState.from_tags({"v1": A, "latest": A, "dev": B}),
            "h.io/p/web": RepositoryState(),
        }
    )
    return CountingSources(RulesTable(shared=RULES), state)


def refs(*texts: str):  # type: ignore[no-untyped-def]
    return [parse_reference(t) for t in texts]


def test_push_asks_each_question_once_per_run() -> None:
    src = sources()
    report = check_push(
        src, glob.NEWEST, refs("h.io/p/app:v1", "h.io/p/app:latest", "h.io/p/app:v2"), A
    )
    assert [d.decision for d in report.decisions] == [Verdict.SKIP, Verdict.SKIP, Verdict.ALLOW]
    # v1's answer names its artifact by every tag on it, latest included: not asked again.
    assert src.calls == [
        ("artifact", "h.io", "p/app", "v1"),
        ("rules", "h.io", "p"),
        ("artifact", "h.io", "p/app", "v2"),
    ]
    assert report.exit_code == 0


def test_push_conflicting_digests_is_input_error() -> None:
    # The digest may come from --oci-layout, --metadata-file, --from or a plan's digest:
    # the message said "--digest gives" whichever it was.
    with pytest.raises(InputError, match=r"but the image's digest given is sha256:a+; give one"):
        check_push(sources(), glob.NEWEST, refs(f"h.io/p/app:v1@{B}"), A)


def test_unknown_repository_fails_closed() -> None:
    with pytest.raises(StateError, match=r"does not list repository 'h\.io/p/other'"):
        check_push(sources(), glob.NEWEST, refs("h.io/p/other:v1"), A)


def test_retag_uses_the_source_digest() -> None:
    report = check_retag(
        sources(),
        glob.NEWEST,
        parse_reference("h.io/p/app:dev"),
        refs("h.io/p/app:v1", "h.io/p/web:v1"),
    )
    assert [d.decision for d in report.decisions] == [Verdict.BLOCK, Verdict.ALLOW]
    assert report.decisions[0].new_digest == B
    assert report.decisions[0].from_reference == "h.io/p/app:dev"
    assert report.exit_code == 1


def test_retag_from_a_missing_source_cannot_be_decided() -> None:
    with pytest.raises(StateError, match="does not exist"):
        check_retag(
            sources(), glob.NEWEST, parse_reference("h.io/p/app:nope"), refs("h.io/p/web:v1")
        )


def test_retag_target_needs_a_tag() -> None:
    with pytest.raises(InputError, match="needs a tag"):
        check_retag(
            sources(), glob.NEWEST, parse_reference("h.io/p/app:dev"), refs(f"h.io/p/web@{A}")
        )


def test_delete_tags_and_artifacts() -> None:
    report = check_delete(
        sources(),
        glob.NEWEST,
        refs("h.io/p/app:latest", "h.io/p/app:v1", f"h.io/p/app@{B}"),
        artifact=False,
    )
    assert [d.decision for d in report.decisions] == [Verdict.ALLOW, Verdict.BLOCK, Verdict.ALLOW]
    whole = check_delete(sources(), glob.NEWEST, refs("h.io/p/app:latest"), artifact=True)
    # latest shares digest A with v1, which is immutable.
    assert whole.decisions[0].decision is Verdict.BLOCK
    assert "deletes tag v1, which is immutable" in whole.decisions[0].reason


def test_delete_artifact_with_mismatched_tag_and_digest() -> None:
    with pytest.raises(InputError, match="is not on artifact"):
        check_delete(sources(), glob.NEWEST, refs(f"h.io/p/app:v1@{B}"), artifact=True)


def test_explain_needs_a_tag_and_reports_the_rule() -> None:
    explained = explain(sources(), glob.NEWEST, parse_reference("h.io/p/app:v9"))
    assert explained.evaluation is not None
    assert explained.evaluation.rule_id == 1
    assert explained.facts is not None
    assert explained.facts.current is None
    with pytest.raises(InputError, match="names no tag"):
        explain(sources(), glob.NEWEST, parse_reference(f"h.io/p/app@{A}"))


def test_rules_per_project_must_name_the_project() -> None:
    table = RulesTable(by_project={"p": RULES}, origin="rules.json")
    assert table.for_project("p") == RULES
    with pytest.raises(StateError, match="has no rules for project 'q'"):
        table.for_project("q")


class AskingSources(CountingSources):
    """Counting sources that record each plan of questions told ahead."""

    asked: list[tuple[set[tuple[str, str]], dict[tuple[str, str], set[str]]]]

    def __init__(self, rules: RulesTable, state: StateTable) -> None:
        super().__init__(rules, state)
        object.__setattr__(self, "asked", [])

    def prefetch(
        self, projects: Iterable[tuple[str, str]], tags: Mapping[tuple[str, str], set[str]]
    ) -> None:
        self.asked.append((set(projects), {k: set(v) for k, v in tags.items()}))


def asking() -> AskingSources:
    base = sources()
    return AskingSources(base.rules_table, base.state_table)


def test_each_check_asks_its_questions_ahead_once() -> None:
    src = asking()
    check_push(src, glob.NEWEST, refs("h.io/p/app:v1", "h.io/p/web:v2"), A)
    assert src.asked == [
        ({("h.io", "p")}, {("h.io", "p/app"): {"v1"}, ("h.io", "p/web"): {"v2"}}),
    ]
    src = asking()
    check_images(
        src,
        glob.NEWEST,
        [
            Image(tuple(refs("h.io/p/app:v1")), A, "one"),
            Image(tuple(refs("h.io/p/web:v2")), None, "two"),
        ],
    )
    assert src.asked == [
        ({("h.io", "p")}, {("h.io", "p/app"): {"v1"}, ("h.io", "p/web"): {"v2"}}),
    ]


def test_several_images_share_one_session() -> None:
    src = sources()
    report = check_images(
        src,
        glob.NEWEST,
        [
            Image(tuple(refs("h.io/p/app:v1")), B, "one"),
            Image(tuple(refs("h.io/p/app:v9")), None, "two"),
        ],
    )
    assert [d.decision for d in report.decisions] == [Verdict.BLOCK, Verdict.ALLOW]
    assert src.calls.count(("rules", "h.io", "p")) == 1


ORDER = """
import sys
from tagguard.check import check_push
from tagguard.core.reference import parse_reference
from tagguard.core.rules import parse_rules
from tagguard.core.state import OfflineSources, RepositoryState, RulesTable, StateTable

DECIDING = (
    "tagguard.session",
    "tagguard.answers",
    "tagguard.core.decide",
    "tagguard.core.operations",
)


class Sources(OfflineSources):
    def prefetch(self, projects, tags):
        print(sorted(name for name in DECIDING if name in sys.modules))


state = StateTable({"h.io/p/app": RepositoryState()})
check_push(Sources(RulesTable(shared=()), state), None, [parse_reference("h.io/p/app:v1")], None)
print(sorted(name for name in DECIDING if name in sys.modules))
"""


def test_questions_go_out_before_the_deciding_modules_are_imported() -> None:
    # Their loading then overlaps a live Harbor's first answers (docs/performance.md).
    done = subprocess.run([sys.executable, "-c", ORDER], capture_output=True, text=True, check=True)
    before, after = done.stdout.splitlines()
    assert before == "[]"
    deciding = ["tagguard.session", "tagguard.answers", "tagguard.core.decide"]
    assert after == str(sorted([*deciding, "tagguard.core.operations"]))
