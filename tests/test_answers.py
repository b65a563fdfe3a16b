"""What the sources answered in one run: each question asked once (an artifact read by tag
answers for its digest and other tags too), the warnings an answer calls for given once, the
glob a Harbor links asked only when wanted, and a project a replication creates asked
nothing about."""

from __future__ import annotations

from tagguard.answers import Answers
from tagguard.core import glob
from tagguard.core.report import Report
from tagguard.core.state import ArtifactInfo, ProjectRules, RepositoryState, TagInfo
from tests.sessions import A, B, Counting, Offline, ref

APP = ("h.io", "p/app")


def answers(sources: Offline, forced_glob: str | None = None) -> Answers:
    return Answers(sources, Report(), forced_glob)


class Registries(Counting):
    """Counts digest questions too (a registry outside the Harbors, asked for a source)."""

    def digest(self, registry: str, repository: str, reference: str) -> str | None:
        self.calls.append(("digest", reference))
        return None


def test_each_question_is_asked_once() -> None:
    state = {"h.io/p/app": RepositoryState.from_tags({"v1": A}), "h.io/p/web": RepositoryState()}
    sources = Registries(state)
    run = answers(sources)
    for _ in range(2):
        run.rules(ref("h.io/p/app:v1"))
        run.rules(ref("h.io/p/web:v1"))  # the same project: its rules are the project's
        assert run.artifact(APP, "v2") is None  # an absence is an answer too
        assert run.parents(APP, A) == ()
        assert run.digest("docker.io", "library/nginx", "1.27") is None
    assert sorted(sources.calls) == sorted(
        [("rules", "p"), ("artifact", "v2"), ("parents", A), ("digest", "1.27")]
    )


def test_an_artifact_answers_for_its_digest_and_each_of_its_tags() -> None:
    # Harbor's artifact API returns the artifact whole, with every tag on it.
    state = {"h.io/p/app": RepositoryState((ArtifactInfo(A, (TagInfo("v1"), TagInfo("v2"))),))}
    sources = Counting(state)
    run = answers(sources)
    found = run.artifact(APP, "v1")
    assert found is not None
    assert found.digest == A
    assert run.artifact(APP, A) is found
    assert run.artifact(APP, "v2") is found
    assert sources.calls == [("artifact", "v1")]


def test_a_listing_remembered_answers_for_what_it_lists_only() -> None:
    sources = Counting({"h.io/p/app": RepositoryState.from_tags({"v1": A, "v2": B})})
    run = answers(sources)
    run.remember(APP, [ArtifactInfo(A, (TagInfo("v1"),))])
    assert run.artifact(APP, "v1") is not None
    assert run.artifact(APP, A) is not None
    assert sources.calls == []
    assert run.artifact(APP, "v2") is not None  # not listed: asked
    assert sources.calls == [("artifact", "v2")]


def test_unreadable_rules_are_warned_about_once() -> None:
    class Hidden(Offline):
        def rules(self, registry: str, project: str) -> ProjectRules:
            return ProjectRules(None, "403 Forbidden")

    run = answers(Hidden({"h.io/p/app": RepositoryState()}))
    run.rules(ref("h.io/p/app:v1"))
    run.rules(ref("h.io/p/app:v2"))
    assert [w.code for w in run.report.warnings] == ["rules-unavailable"]
    assert "403 Forbidden" in run.report.warnings[0].message


def test_a_forced_glob_asks_no_version() -> None:
    sources = Counting({"h.io/p/app": RepositoryState()})
    run = answers(sources, glob.V1_1_1)
    assert run.known_glob("h.io") == glob.V1_1_1
    assert run.glob_for("h.io") == glob.V1_1_1
    assert sources.calls == []


def test_the_glob_follows_the_version_harbor_reports_asked_once() -> None:
    # Harbor 2.10.2 still links doublestar v1.1.1; the v1.3.4 backport came with 2.10.3.
    sources = Counting({"h.io/p/app": RepositoryState()}, version="v2.10.2-6bd5b4a2")
    run = answers(sources)
    assert run.known_glob("h.io") is None  # knowing it would cost a question
    assert run.glob_for("h.io") == run.glob_for("h.io") == glob.V1_1_1
    assert run.known_glob("h.io") == glob.V1_1_1
    assert sources.calls == [("version", "h.io")]
    assert run.report.warnings == []


def test_a_live_harbor_hiding_its_version_gets_the_newest_glob_and_one_warning() -> None:
    # Harbor 2.13 and later hide the version from an anonymous caller.
    run = answers(Counting({"h.io/p/app": RepositoryState()}))
    assert run.glob_for("h.io") == run.glob_for("h.io") == glob.NEWEST
    assert [w.code for w in run.report.warnings] == ["version-unknown"]
    # Files report no version either, but nobody could: nothing to warn about.
    offline = answers(Offline({"h.io/p/app": RepositoryState()}))
    assert offline.glob_for("h.io") == glob.NEWEST
    assert offline.report.warnings == []


def test_a_project_a_replication_creates_has_no_rules_and_holds_nothing() -> None:
    state = {
        "dr.io/new/app": RepositoryState.from_tags({"v1": A}),
        "dr.io/newer/app": RepositoryState.from_tags({"v1": A}),
    }
    sources = Counting(state)
    run = answers(sources)
    run.create_project("dr.io", "new")
    # The state says v1 holds A, but the project does not exist yet: nothing is asked.
    assert run.rules(ref("dr.io/new/app:v1")) == ProjectRules(())
    assert run.artifact(("dr.io", "new/app"), "v1") is None
    assert run.parents(("dr.io", "new/app"), A) == ()
    assert sources.calls == []
    # Only that project: one whose name merely starts the same is still read.
    assert run.artifact(("dr.io", "newer/app"), "v1") is not None
