"""tagguard.commands.plans: the Harbor holding replication policies, and the plan command
offline against the example plan."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tagguard.commands import cli, plans
from tagguard.errors import InputError
from tagguard.options import Options
from tagguard.shell.urls import parse_harbor_urls
from tests.conftest import EXAMPLES, OFFLINE


def test_the_policy_host_is_source_first_then_the_one_harbor_url() -> None:
    shared = Options(harbor_urls=parse_harbor_urls(("https://harbor.example.com:8443/",)))
    assert plans._policy_host("other.example.com", shared) == "other.example.com"
    assert plans._policy_host(None, shared) == "harbor.example.com:8443"


def test_no_policy_host_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--source HOST"):
        plans._policy_host(None, Options())
    with pytest.raises(InputError):
        plans._policy_host("not a host/with a path", Options())


def test_the_example_plan_blocks_offline() -> None:
    result = CliRunner().invoke(
        cli,
        ["plan", str(EXAMPLES / "release-plan.yml"), *OFFLINE],
        catch_exceptions=False,
        standalone_mode=False,
    )
    assert result.return_value == 1, result.output
    assert "release-plan.yml:83: block  harbor.example.com/legacy/app:2.0" in result.output


def test_plan_usage_raises_the_commands_usage_error() -> None:
    import click

    with pytest.raises(click.UsageError):
        plans.plan_usage([])
    assert plans.plan_usage(["plan.yml"]) is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "replicate needs either --policy ID or --from REF with --to REF"),
        (["--policy", "1", "--from", "h.io/p/a:1", "--to", "h.io/p/b:1"], "not both"),
        (["--policy", "1", "--to", "h.io/p/b:1"], "not both"),
        (["--from", "h.io/p/a:1"], "replicate --from needs at least one --to REF"),
    ],
)
def test_replicate_says_which_of_its_two_forms_is_missing_or_doubled(
    args: list[str], message: str
) -> None:
    """Both forms at once used to get "needs either ...", as if neither were given."""
    with pytest.raises(InputError, match=message):
        CliRunner().invoke(
            cli, ["replicate", *args, *OFFLINE], catch_exceptions=False, standalone_mode=False
        )


def test_a_step_reused_through_an_alias_is_reported_at_the_alias(tmp_path: Path) -> None:
    """The third step runs the first again: its verdict is the third step's (skip: the
    first wrote that digest), at the alias's line, not the anchor's."""
    moved = "sha256:" + "e" * 64
    plan = tmp_path / "plan.yml"
    plan.write_text(
        "operations:\n"  # 1
        "  - &release\n"  # 2
        "    push: harbor.example.com/platform/api:v1.9.9\n"  # 3
        f"    digest: {'sha256:' + 'd' * 64}\n"  # 4
        "  - push: harbor.example.com/platform/api:v1.9.9\n"  # 5
        f"    digest: {moved}\n"  # 6
        "  - *release\n"  # 7
    )
    result = CliRunner().invoke(
        cli, ["plan", str(plan), *OFFLINE], catch_exceptions=False, standalone_mode=False
    )
    assert result.return_value == 1, result.output
    verdicts = [line.split()[:2] for line in result.output.splitlines() if ".yml:" in line]
    assert verdicts == [
        [f"{plan}:2:", "allow"],
        [f"{plan}:5:", "block"],
        [f"{plan}:7:", "skip"],
    ]
