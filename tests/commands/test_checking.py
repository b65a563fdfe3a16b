"""tagguard.commands.checking: the references a command reads, and its check run and
printed, as every checking command ends."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest

from tagguard.check import check_push
from tagguard.commands.checking import finish, parse_references
from tagguard.core.sanitize import Redactor
from tagguard.errors import BadReferenceError, StateError
from tagguard.options import Options
from tagguard.reporters import FILES
from tests.conftest import API, API_DIGEST, OTHER, RULES, STATE


def test_a_reference_is_parsed_with_the_default_tag() -> None:
    (parsed,) = parse_references([f"{API}"])
    assert parsed.tag == "latest"
    with pytest.raises(BadReferenceError):
        parse_references(["not a reference"])


def test_a_source_outside_harbor_may_be_any_registry() -> None:
    # --from and retag's SOURCE: docker's own reading, Docker Hub included.
    (source,) = parse_references(["alpine:3"], harbor=False)
    assert source.registry == "docker.io"
    with pytest.raises(BadReferenceError):
        parse_references(["alpine:3"])  # a Harbor target must name its host


def test_a_repository_keeps_no_tag_when_none_is_the_default() -> None:
    (repository,) = parse_references([API], default_tag=None)
    assert repository.tag is None


@pytest.mark.parametrize(
    ("digest", "code", "verdict"),
    [(OTHER, 1, "block"), (API_DIGEST, 0, "skip")],
)
def test_finish_prints_the_check_and_returns_its_exit_code(
    digest: str, code: int, verdict: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # examples/: v1.4.0 is an immutable tag on API_DIGEST, so another digest is refused.
    options = Options(rules_file=RULES, state_file=STATE)
    targets = parse_references([f"{API}:v1.4.0"])
    with click.Context(click.Command("push"), obj=Redactor()):
        found = finish(options, targets, [], lambda s, g: check_push(s, g, targets, digest))
    assert found == code
    assert capsys.readouterr().out.startswith(verdict)


def test_an_undecided_check_replaces_every_report_a_previous_run_left(
    tmp_path: Path,
) -> None:
    # A report path is usually reused run after run (a CI artifact, a pre-commit hook). A
    # run that cannot decide must not leave the last run's verdicts there for a reader to
    # take as this run's: every report says why it could not decide; json and sarif as its
    # --format json or sarif output does (output.schema.json: `--report json=PATH` writes
    # what --format json prints).
    stale = {name: tmp_path / f"r.{name}" for name in FILES}
    for path in stale.values():
        path.write_text('{"decisions": [{"decision": "stale-allow"}]}\n', encoding="utf-8")
    reports = {name: str(path) for name, path in stale.items()}
    options = Options(rules_file=RULES, state_file=STATE, reports=reports)
    targets = parse_references(["harbor.example.com/platform/absent:v1"])  # not in STATE
    with click.Context(click.Command("push"), obj=Redactor()), pytest.raises(StateError):
        finish(options, targets, [], lambda s, g: check_push(s, g, targets, OTHER))
    for name, path in stale.items():
        written = path.read_text(encoding="utf-8")
        assert "stale-allow" not in written, name
        assert "absent" in written, name  # the error's message names the repository
    written = json.loads(stale["json"].read_text(encoding="utf-8"))
    assert written["decisions"] == []
    assert written["error"]["code"] == "state"
    assert "absent" in written["error"]["message"]
    (run,) = json.loads(stale["sarif"].read_text(encoding="utf-8"))["runs"]
    assert run["results"] == []
    assert run["invocations"][0]["executionSuccessful"] is False
    assert "TAGGUARD_ERROR=state\n" in stale["dotenv"].read_text(encoding="utf-8")
