"""tagguard.options: every flag checked once, into one frozen value, before any I/O."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tagguard.core import glob
from tagguard.core.record import FrozenError
from tagguard.errors import InputError
from tagguard.options import Options, make_options


def options(command: str = "push", **values: Any) -> Options:
    given: dict[str, Any] = {"color": "never", "quiet": False, "verbose": False, **values}
    return make_options(command, given, env={"H_AUTH": "robot$ci:pw-1234"}, stream=io.StringIO())


def test_the_value_is_frozen_and_holds_typed_values(tmp_path: Path) -> None:
    found = options(
        harbor_urls=("h.io=http://127.0.0.1:1/", "https://shared.example"),
        reports=(f"json={tmp_path / 'r.json'}",),
        credentials=("H.io=H_AUTH",),
        harbor_version="2.5.0",
        rules_file="rules.json",
    )
    assert dict(found.harbor_urls.explicit) == {"h.io": "http://127.0.0.1:1"}
    assert found.harbor_urls.shared == "https://shared.example"
    assert dict(found.reports) == {"json": str(tmp_path / "r.json")}
    assert found.credentials["h.io"].username == "robot$ci"
    assert found.forced_glob == glob.V1_1_1  # 2.5.0's doublestar
    assert found.rules_file == "rules.json"
    assert not found.offline
    with pytest.raises(FrozenError):
        found.timeout = 1.0  # type: ignore[misc]


def test_no_harbor_version_lets_each_harbor_decide() -> None:
    assert options().forced_glob is None


def test_an_empty_harbor_version_is_not_given() -> None:
    # `--harbor-version "$HARBOR_VERSION"` with the variable unset: as before the version
    # reached the sources, each Harbor is asked. Passed on as "", it stood for a version
    # no live Harbor was asked for (newest glob, no version-unknown warning) and failed
    # only a delete, mid-run, that met an accessory an index lists.
    found = options(harbor_version="")
    assert (found.harbor_version, found.forced_glob) == (None, None)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"quiet": True, "verbose": True}, "--quiet and --verbose contradict each other"),
        ({"output_format": "sarif"}, "--format sarif: lint prints text or json"),
        ({"username": "u"}, "--username needs --password-stdin"),
        ({"password_stdin": True}, "--password-stdin needs --username"),
        ({"harbor_urls": ("h.io=https://h.io/api",)}, "without a path"),
        ({"harbor_urls": ("https://a", "https://b")}, "give one URL for all registries"),
        ({"reports": ("pdf=out.pdf",)}, "--report pdf=out.pdf: write NAME=PATH"),
        ({"credentials": ("h.io=UNSET",)}, "the variable UNSET is not set"),
        ({"harbor_version": "two"}, "is not a version"),
        # Python's int() refuses more than 4300 digits with a ValueError of its own.
        ({"harbor_version": "9" * 5000 + ".1"}, "is not a version"),
        # `--rules-file "$RULES"` with RULES unset: the run went live, silently.
        ({"rules_file": ""}, "--rules-file: an empty file name"),
        ({"state_file": "  "}, "--state-file: an empty file name"),
        # click's FloatRange(min=0.1) takes both: no timeout at all, or one no clock reaches.
        ({"timeout": float("inf")}, "--timeout: inf is not a number of seconds"),
        ({"deadline": float("nan")}, "--deadline: nan is not a number of seconds"),
    ],
)
def test_each_bad_flag_is_one_input_error(values: dict[str, Any], message: str) -> None:
    command = "lint" if "output_format" in values else "push"
    with pytest.raises(InputError, match=message):
        options(command, **values)


def test_a_bad_url_is_refused_even_offline() -> None:
    """Checked with the flags, not when (or whether) a Harbor is reached."""
    with pytest.raises(InputError, match="has no scheme"):
        options(rules_file="r.json", state_file="s.json", harbor_urls=("h.io",))


def test_how_a_value_was_given_is_the_callers_to_say() -> None:
    with pytest.raises(InputError, match=r"^TAGGUARD_FORMAT=sarif: explain prints text or json$"):
        make_options(
            "explain",
            {"color": "never", "quiet": False, "verbose": False, "output_format": "sarif"},
            env={},
            stream=io.StringIO(),
            given_as=lambda name, flag, value: f"TAGGUARD_FORMAT={value}",
        )


def test_colour_follows_the_choice_and_the_environment() -> None:
    assert options(color="always").color
    forced = make_options("push", {"color": "auto"}, env={"FORCE_COLOR": "1"}, stream=io.StringIO())
    assert forced.color
