"""tagguard's verdict against what the Harbor-compatible server then actually does.

For a matrix of rule sets, repositories, tag states and operations, each case runs the CLI
against the live server, then performs the operation for real (a manifest PUT through /v2/
to the real registry, or Harbor's delete APIs) and checks the outcome matches the verdict:
allow -> accepted, block -> 412 PRECONDITION, skip -> the digest is already there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.builders import rule_json
from tests.e2e.conftest import Harbor
from tests.harbor_server.images import Image, make_image

RULE_SETS: dict[str, list[dict[str, Any]]] = {
    "no rules": [],
    "releases everywhere": [rule_json(1, "**", "v*")],
    "nested team/** only": [rule_json(1, "team/**", "**")],
    "project name in pattern (never matches)": [rule_json(1, "proj/**", "**")],
    "disabled": [rule_json(1, "**", "**", disabled=True)],
    "broken rule masks a later one": [rule_json(1, "**", "v1.["), rule_json(2, "**", "**")],
    "excludes dev tags": [rule_json(1, "**", "dev-*", tag_decoration="excludes")],
    "twelve rules, the eleventh matches": [rule_json(i, f"nothing-{i}", "**") for i in range(1, 11)]
    + [rule_json(11, "**", "v1*"), rule_json(12, "nothing-12", "**")],
    "label kind fails open": [
        rule_json(1, "**", "x", tag_kind="label", tag_decoration="withLabels"),
        rule_json(2, "**", "**"),
    ],
}
REPOSITORIES = ["proj/app", "proj/team/app", "123/app", "proj/team/a/b"]
TAGS = ["v1.0", "dev-1"]
STATES = ["absent", "same digest", "other digest"]


@dataclass(frozen=True)
class Case:
    rules: str
    repository: str
    tag: str
    state: str

    def __str__(self) -> str:
        return f"{self.rules}|{self.repository}:{self.tag}|{self.state}"


CASES = [
    Case(rules, repository, tag, state)
    for rules in RULE_SETS
    for repository in REPOSITORIES[:2]
    for tag in TAGS
    for state in STATES
] + [
    Case(rules, repository, "v1.0", state)
    for rules in ("releases everywhere", "nested team/** only")
    for repository in REPOSITORIES[2:]
    for state in STATES
]


def setup(harbor: Harbor, case: Case, existing: Image | None = None) -> tuple[str, str, str | None]:
    """Creates the rules and the tag's current state (`existing`, or a new image); returns
    (project, reference, digest a push of the same image would carry)."""
    project = case.repository.partition("/")[0]
    for rule in RULE_SETS[case.rules]:
        data = dict(rule)
        data.pop("id")
        harbor.state.add_rule(project, data)
    # The repository always exists (another tag), so "absent" is a missing tag, not repo.
    harbor.push(f"{case.repository}:unrelated-base")
    ref = harbor.ref(f"{case.repository}:{case.tag}")
    if case.state == "absent":
        return project, ref, make_image().digest
    existing = harbor.push(f"{case.repository}:{case.tag}", existing)
    if case.state == "same digest":
        return project, ref, existing.digest
    return project, ref, make_image().digest


@pytest.mark.parametrize("case", CASES, ids=str)
def test_push_verdict_is_what_harbor_enforces(harbor: Harbor, case: Case) -> None:
    _, ref, _ = setup(harbor, case)
    image = make_image()
    current = harbor.pusher.head_digest(case.repository, case.tag)
    new = current if case.state == "same digest" else image.digest
    run = harbor.tagguard("push", ref, "--digest", new or image.digest, "--format", "json")
    assert run.code in (0, 1), run.err
    (decision,) = run.json["decisions"]
    verdict = decision["decision"]
    if verdict == "skip":
        assert harbor.pusher.head_digest(case.repository, case.tag) == new
        return
    answer = harbor.pusher.push(case.repository, case.tag, image)
    if verdict == "allow":
        assert answer.status_code == 201, answer.text
    else:
        assert verdict == "block"
        assert answer.status_code == 412
        assert (
            f"'{case.repository.partition('/')[2]}:{case.tag}' configured as immutable"
            in answer.text
        )


@pytest.mark.parametrize("case", [c for c in CASES if c.state != "same digest"], ids=str)
def test_delete_tag_verdict_is_what_harbor_enforces(harbor: Harbor, case: Case) -> None:
    project, ref, _ = setup(harbor, case)
    run = harbor.tagguard("delete", ref, "--format", "json")
    assert run.code in (0, 1), run.err
    verdict = run.json["decisions"][0]["decision"]
    rest = case.repository.partition("/")[2].replace("/", "%252F")
    url = f"{harbor.url}/api/v2.0/projects/{project}/repositories/{rest}/artifacts/{case.tag}/tags/{case.tag}"
    answer = harbor.pusher.session.delete(url, timeout=10)
    if case.state == "absent":
        assert (verdict, answer.status_code) == ("allow", 404)
    elif verdict == "allow":
        assert answer.status_code == 200, answer.text
    else:
        assert (verdict, answer.status_code) == ("block", 412)


@pytest.mark.parametrize("case", [c for c in CASES if c.state == "other digest"], ids=str)
def test_delete_artifact_verdict_is_what_harbor_enforces(harbor: Harbor, case: Case) -> None:
    _, ref, _ = setup(harbor, case)
    digest = harbor.pusher.head_digest(case.repository, case.tag)
    harbor.push(f"{case.repository}:also-here", _same(harbor, case.repository, case.tag))
    run = harbor.tagguard("delete", "--artifact", ref, "--format", "json")
    assert run.code in (0, 1), run.err
    verdict = run.json["decisions"][0]["decision"]
    answer = harbor.pusher.session.delete(
        f"{harbor.url}/v2/{case.repository}/manifests/{digest}", timeout=10
    )
    assert answer.status_code == (202 if verdict == "allow" else 412), (verdict, answer.text)


@pytest.mark.parametrize("case", [c for c in CASES if c.repository == "proj/team/app"], ids=str)
def test_retag_verdict_is_what_harbor_enforces(harbor: Harbor, case: Case) -> None:
    source = harbor.push("other/source:build-7")
    _, ref, _ = setup(harbor, case, source if case.state == "same digest" else None)
    run = harbor.tagguard("retag", harbor.ref("other/source:build-7"), ref, "--format", "json")
    assert run.code in (0, 1), run.err
    (decision,) = run.json["decisions"]
    assert decision["new_digest"] == source.digest
    if decision["decision"] == "skip":
        assert harbor.pusher.head_digest(case.repository, case.tag) == source.digest
        return
    # A retag is a PUT of the source's manifest bytes under the new tag (crane tag, skopeo copy).
    answer = harbor.pusher.push(case.repository, case.tag, source)
    assert answer.status_code == (201 if decision["decision"] == "allow" else 412), decision


def _same(harbor: Harbor, repository: str, tag: str):  # type: ignore[no-untyped-def]
    """The image object for what `repository:tag` holds now (re-made from its manifest)."""
    from tests.harbor_server.images import OCI_MANIFEST, Image

    answer = harbor.pusher.session.get(
        f"{harbor.url}/v2/{repository}/manifests/{tag}",
        headers={"Accept": OCI_MANIFEST},
        timeout=10,
    )
    assert answer.status_code == 200
    return Image(answer.content, OCI_MANIFEST, ())


def test_the_matrix_exercises_every_verdict(harbor: Harbor) -> None:
    """Guards the matrix itself: it must contain blocks, skips and allows, not one kind."""
    seen: set[str] = set()
    for case in (Case("releases everywhere", "proj/app", "v1.0", s) for s in STATES):
        fresh_project = f"m{len(seen)}-{STATES.index(case.state)}"
        harbor.state.add_project(fresh_project)
        moved = Case(case.rules, f"{fresh_project}/app", case.tag, case.state)
        _, ref, new = setup(harbor, moved)
        run = harbor.tagguard("push", ref, "--digest", new or "", "--format", "json")
        seen.add(run.json["decisions"][0]["decision"])
    assert seen == {"allow", "skip", "block"}
