"""tagguard.commands.checks: where push's digest comes from, which references are read, and
each check command end to end against the offline example files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tagguard.commands import checks, cli
from tagguard.errors import InputError
from tests.builders import rule_json
from tests.conftest import API, API_DIGEST, OFFLINE, OTHER


def test_one_digest_source_at_most() -> None:
    with pytest.raises(InputError, match="not with --digest and --from"):
        checks._push_digest(OTHER, None, None, "docker.io/library/x:1")


def test_a_given_digest_is_validated() -> None:
    assert checks._push_digest(OTHER, None, None, None) == OTHER
    with pytest.raises(InputError):
        checks._push_digest("sha256:short", None, None, None)


def test_from_alone_is_resolved_later() -> None:
    assert checks._push_digest(None, None, None, "docker.io/library/x:1") is None


def test_a_metadata_file_gives_the_digest(tmp_path: Path) -> None:
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"containerimage.digest": OTHER}))
    assert checks._push_digest(None, None, str(metadata), None) == OTHER


def test_references_from_the_arguments_the_variable_and_the_file_once_each(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = tmp_path / "refs.txt"
    listed.write_text("a.example/p/r:2\na.example/p/r:3\n")
    monkeypatch.setenv("TAGS", "a.example/p/r:1\na.example/p/r:2")
    found = checks._all_references(["a.example/p/r:1"], "TAGS", str(listed))
    assert found == ["a.example/p/r:1", "a.example/p/r:2", "a.example/p/r:3"]


def test_an_unset_variable_and_no_references_are_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TAGGUARD_NOT_SET_HERE", raising=False)
    with pytest.raises(InputError, match="the variable is not set"):
        checks._all_references([], "TAGGUARD_NOT_SET_HERE", None)
    with pytest.raises(InputError, match="no references to check"):
        checks._all_references([], None, None)


def _invoke(*args: str) -> tuple[int, str]:
    # Not standalone: the command's return value is its exit code (as tagguard.cli runs it).
    result = CliRunner().invoke(
        cli, [*args, *OFFLINE], catch_exceptions=False, standalone_mode=False
    )
    return result.return_value, result.output


@pytest.mark.parametrize(
    ("args", "code", "verdict"),
    [
        (["push", f"{API}:v1.4.0", "--digest", OTHER], 1, "block"),
        (["push", f"{API}:v1.4.0", "--digest", API_DIGEST], 0, "skip"),
        (["push", f"{API}:v9.9.9", "--digest", OTHER], 0, "allow"),
        (["retag", "harbor.example.com/platform/web:v2.0.0", f"{API}:v1.4.0"], 1, "block"),
        (["delete", f"{API}:v1.4.0"], 1, "block"),
        (["copy", f"{API}:v1.4.0", "harbor.example.com/platform/web"], 0, "allow"),
    ],
    ids=lambda v: " ".join(v[:1]) if isinstance(v, list) else None,
)
def test_each_check_command_offline(args: list[str], code: int, verdict: str) -> None:
    exit_code, output = _invoke(*args)
    assert exit_code == code, output
    assert output.startswith(verdict), output


def test_a_copy_from_another_harbor_is_refused_before_any_state_is_read() -> None:
    """The source's repository is in no state file (nor would it be read from a live
    Harbor): the refusal is the copy's own, not a missing-repository one."""
    with pytest.raises(InputError, match="reads the source from the same Harbor"):
        CliRunner().invoke(
            cli,
            [
                "copy",
                "other.example.com/platform/api:v1.4.0",
                "harbor.example.com/platform/x",
                *OFFLINE,
            ],
            catch_exceptions=False,
            standalone_mode=False,
        )


@pytest.mark.parametrize("flag", ["--metadata-file", "--refs-file"])
def test_an_empty_digest_or_reference_file_name_names_its_flag(flag: str) -> None:
    # `--metadata-file "$META"` with META unset: the file layer can only say '' is empty.
    with pytest.raises(InputError, match=rf"^{flag}: an empty file name"):
        CliRunner().invoke(
            cli,
            ["push", API, "--digest", OTHER, flag, "", *OFFLINE],
            catch_exceptions=False,
            standalone_mode=False,
        )


def _signed_child(tmp_path: Path) -> tuple[str, ...]:
    """Files for an index (v1) over two images, the second signed already, under a rule
    that makes every tag immutable: its sha256-<hex>.sig tag included."""
    index, child, other, signature = (f"sha256:{c * 64}" for c in "1234")
    artifacts = [
        {"digest": index, "tags": ["v1"], "references": [child, other]},
        {"digest": child},
        {"digest": other},
        {"digest": signature, "tags": [f"sha256-{'3' * 64}.sig"]},
    ]
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"h.io/p/app": {"artifacts": artifacts}}))
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([rule_json(1, tag="**")]))
    return ("--rules-file", str(rules), "--state-file", str(state))


def test_sign_recursive_blocks_on_a_childs_immutable_signature(tmp_path: Path) -> None:
    # cosign sign --recursive pushes the signature of each image the index lists; Harbor
    # refuses the push onto the second image's existing, immutable .sig tag (pushmf.go).
    files = _signed_child(tmp_path)
    code, output = _run("sign", "--recursive", "h.io/p/app:v1", *files)
    assert code == 1, output
    assert [line.split()[0] for line in output.splitlines()[:3]] == ["allow", "allow", "block"]
    assert "--digest" not in output  # which --recursive does not take
    assert _run("sign", "h.io/p/app:v1", *files)[0] == 0  # the index's signature alone


def test_sign_recursive_takes_no_signature_digest(tmp_path: Path) -> None:
    files = _signed_child(tmp_path)
    with pytest.raises(InputError, match="leave out --digest with --recursive"):
        _run("sign", "-r", "h.io/p/app:v1", "--digest", f"sha256:{'9' * 64}", *files)


def test_sign_recursive_from_its_variable_is_named_as_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Set in the pipeline's variables, not typed: "leave out --digest with --recursive"
    # named a flag nowhere on the command line.
    files = _signed_child(tmp_path)
    monkeypatch.setenv("TAGGUARD_RECURSIVE", "1")
    with pytest.raises(InputError, match=r"leave out --digest with TAGGUARD_RECURSIVE$"):
        _run("sign", "h.io/p/app:v1", "--digest", f"sha256:{'9' * 64}", *files)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, args, catch_exceptions=False, standalone_mode=False)
    return result.return_value, result.output
