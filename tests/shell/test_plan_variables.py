"""tagguard.shell.plan_variables: `${NAME}` and `${NAME:-default}` in a string's text.

Both plan readers call it (tests/shell/test_plan_yaml.py and test_plan_block.py check
them through their own trees); these tests call it directly."""

from __future__ import annotations

import pytest

from tagguard.core.plan import PlanError
from tagguard.shell.plan_variables import substitute


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("h.io/p/app:${V}", "h.io/p/app:1.2"),
        ("${EMPTY:-fallback}", "fallback"),  # set but empty: the default
        ("${UNSET:-}", ""),
        ("${V}-${V:-x}-${UNSET:-y}", "1.2-1.2-y"),
        ("$V and ${V", None),  # `$V` is text; the unclosed form is an error below
        ("no variable", "no variable"),
    ],
)
def test_variables_are_replaced_from_the_environment(text: str, expected: str | None) -> None:
    env = {"V": "1.2", "EMPTY": ""}
    if expected is None:
        with pytest.raises(PlanError, match=r"^plan.yml:3: '\$\{V' is not a variable"):
            substitute(text, "plan.yml", env, 3)
    else:
        assert substitute(text, "plan.yml", env, 3) == expected


def test_an_unset_variable_without_a_default_is_named_at_the_line_given() -> None:
    with pytest.raises(PlanError) as raised:
        substitute("a-${TAG}-${OTHER}", "release.yml", {}, 7)
    assert raised.value.message == (
        "release.yml:7: ${TAG} is not set (write ${TAG:-default} for a default)"
    )


def test_a_value_is_text_and_never_read_for_variables_again() -> None:
    assert substitute("${A}", "plan.yml", {"A": "${B}", "B": "no"}, 1) == "${B}"
