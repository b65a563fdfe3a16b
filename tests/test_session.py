"""A run's session: each question asked of the sources once, Harbor's version asked only
when the rules need it, the operations' own checks (a retag target needs a tag, a sign
needs a digest), a project a replication creates, and a copy's destination tags asked
together."""

from __future__ import annotations

import pytest

from tagguard.core import glob
from tagguard.core.decide import Operation, Verdict
from tagguard.core.state import ArtifactInfo, ProjectRules, RepositoryState, TagInfo
from tagguard.errors import InputError, StateError
from tagguard.session import Session
from tests.sessions import A, B, Harbor, Offline, ref, session


class Counting(Harbor):
    """A live Harbor that counts the rules, artifact and version questions."""

    calls: list[tuple[str, str]]
    version: str | None

    def __init__(self, state: dict[str, RepositoryState], version: str | None = None) -> None:
        super().__init__(state)
        object.__setattr__(self, "calls", [])
        object.__setattr__(self, "version", version)

    def rules(self, registry: str, project: str) -> ProjectRules:
        self.calls.append(("rules", project))
        return super().rules(registry, project)

    def artifact(self, registry: str, repository: str, reference: str) -> ArtifactInfo | None:
        self.calls.append(("artifact", reference))
        return super().artifact(registry, repository, reference)

    def harbor_version(self, registry: str) -> str | None:
        self.calls.append(("version", registry))
        return self.version


def test_each_question_is_asked_once_across_operations() -> None:
    sources = Counting({"h.io/p/app": RepositoryState.from_tags({"v1": A})})
    run = Session(sources)
    run.push([ref("h.io/p/app:v1"), ref("h.io/p/app:v2")], B)
    run.push([ref("h.io/p/app:v1")], B)
    calls = sources.calls
    assert sorted(calls) == sorted(set(calls))
    assert ("rules", "p") in calls


def test_harbor_is_asked_its_version_only_when_the_globs_differ_on_a_rule() -> None:
    plain = Counting({"h.io/p/app": RepositoryState()})
    Session(plain).push([ref("h.io/p/app:v1")], A)
    assert ("version", "h.io") not in plain.calls
    run = Session(plain)
    assert run.glob_for("h.io") == glob.NEWEST
    assert [w.code for w in run.report.warnings] == ["version-unknown"]


def test_a_forced_glob_asks_no_version() -> None:
    sources = Counting({"h.io/p/app": RepositoryState()})
    run = Session(sources, glob.V1_1_1)
    assert run.glob_for("h.io") == glob.V1_1_1
    assert sources.calls == []


def test_unreadable_rules_are_warned_about_once() -> None:
    class Hidden(Offline):
        def rules(self, registry: str, project: str) -> ProjectRules:
            return ProjectRules(None, "403 Forbidden")

    run = Session(Hidden({"h.io/p/app": RepositoryState()}), glob.NEWEST)
    run.push([ref("h.io/p/app:v1"), ref("h.io/p/app:v2")], A)
    assert [w.code for w in run.report.warnings] == ["rules-unavailable"]
    assert "403 Forbidden" in run.report.warnings[0].message


def test_a_retag_target_needs_a_tag() -> None:
    with pytest.raises(InputError, match="needs a tag"):
        session().retag(ref("h.io/p/app:v1"), [ref(f"h.io/q/app@{A}", None)])


def test_a_retag_writes_the_source_digest_as_its_operation() -> None:
    (decision,) = session().retag(
        ref("h.io/p/app:dev"), [ref("h.io/q/app:v1")], Operation.REPLICATE
    )
    assert (decision.operation, decision.new_digest) == (Operation.REPLICATE, B)


def test_a_sign_pushes_the_signature_tag_of_the_image() -> None:
    (decision,) = session().sign([ref("h.io/p/app:v1")])
    assert decision.tag == f"sha256-{A.removeprefix('sha256:')}.sig"
    with pytest.raises(StateError, match="does not exist"):
        session().sign([ref("h.io/p/app:missing")])


def test_a_copy_destination_is_a_repository() -> None:
    with pytest.raises(InputError, match="is a repository"):
        session().copy(ref("h.io/p/app:v1"), ref("h.io/q/app:v1"))


def test_a_project_a_replication_creates_has_no_rules_and_holds_nothing() -> None:
    sources = Counting({"dr.io/new/app": RepositoryState.from_tags({"v1": A})})
    run = Session(sources, glob.NEWEST)
    run.create_project("dr.io", "new")
    (decision,) = run.push([ref("dr.io/new/app:v1")], B)
    # The state says v1 holds A, but the project does not exist yet: nothing is asked.
    assert (decision.decision, decision.current_digest) == (Verdict.ALLOW, None)
    assert sources.calls == []


def test_a_copy_asks_for_its_destination_tags_together() -> None:
    state = {
        "h.io/p/app": RepositoryState((ArtifactInfo(A, (TagInfo("v1"), TagInfo("latest"))),)),
        "h.io/q/app": RepositoryState(),
    }
    sources = Offline(state)
    Session(sources, glob.NEWEST).copy(ref("h.io/p/app:v1"), ref("h.io/q/app", None))
    assert sources.asked == [{("h.io", "q/app"): {"v1", "latest"}}]
