"""The published JSON contract, src/tagguard/schemas/output.schema.json (issue 13, item 4).

- the schema is a valid draft-07 schema (check-jsonschema's own metaschema check);
- every command's `--format json`, offline, is accepted by it: each operation a report can
  carry, explain and lint, and the object an exit 2 prints for each of them (`error`);
- its enums are the codes tagguard's source can produce (warnings, notes, operations, rule
  outcomes, error classes), read from the code, so a new code cannot go undocumented;
- it refuses what breaks the contract (a warning without one of its keys, an unknown
  operation, a verdict beside an error), so accepting is not vacuous;
- any report at all (hypothesis) is printed as a document the schema accepts, and reads back
  as the report.

tests/conftest.py's `output_json` is the helper every test that reads tagguard's JSON goes
through, and its session hook checks every document tagguard makes in process.
"""

from __future__ import annotations

import ast
import copy
import functools
import io
import json
import subprocess
import sys
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagguard import errors
from tagguard.cli import main
from tagguard.core.decide import Decision, Note, Operation, Verdict
from tagguard.core.lint import Level
from tagguard.core.report import Notice, Report
from tagguard.core.rules import StepOutcome
from tagguard.reporters import json as json_output
from tests.builders import rule_json
from tests.conftest import _BROKEN_JSON, OUTPUT_SCHEMA, ROOT, output_json

SCHEMA: dict[str, Any] = json.loads(OUTPUT_SCHEMA.read_text(encoding="utf-8"))
DEFINITIONS: dict[str, Any] = SCHEMA["definitions"]

A = "sha256:" + "a" * 64  # the image tagged v1 and latest, an index
CHILD = "sha256:" + "c" * 64  # its child, tagged v1-amd64
SIG = "sha256:" + "5" * 64  # its cosign signature
OTHER = "sha256:" + "0" * 64  # an image Harbor does not hold
STATE = {
    "h.io/p/app": {
        "artifacts": [
            {
                "digest": A,
                "tags": ["v1", "latest"],
                "references": [CHILD],
                "accessories": [{"digest": SIG, "type": "signature.cosign"}],
            },
            {"digest": CHILD, "tags": ["v1-amd64"]},
            {"digest": SIG, "tags": [f"sha256-{A[7:]}.sig"]},
        ]
    },
    "h.io/q/app": {},
}
RULES = {"p": [rule_json(1, "**", "v*")], "q": [rule_json(1, "**", "v*")]}
PLAN = (
    "operations:\n"
    f"  - push: h.io/p/app:v2\n    digest: {OTHER}\n"
    "  - retag: {from: h.io/p/app:v2, to: h.io/p/app:v1}\n"
    "  - delete: h.io/p/app:latest\n"
)


def enum(*path: str) -> set[Any]:
    node: Any = DEFINITIONS
    for key in path:
        node = node[key]
    return set(node["enum"])


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "rules.json").write_text(json.dumps(RULES))
    (tmp_path / "state.json").write_text(json.dumps(STATE))
    (tmp_path / "plan.yml").write_text(PLAN)
    (tmp_path / "broken.json").write_text(json.dumps([rule_json(7, "**", "[v")]))
    monkeypatch.chdir(tmp_path)
    for name in ("TAGGUARD_FORMAT", "TAGGUARD_CONFIG", "GITHUB_ACTIONS", "GITLAB_CI"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _id(value: object) -> str:
    if isinstance(value, (tuple, set)):
        return " ".join(value if isinstance(value, tuple) else sorted(value))
    return str(value)


def tagguard(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


OFFLINE = ("--rules-file", "rules.json", "--state-file", "state.json")

# (command line, exit code, the operations its decisions carry)
REPORTS = [
    (("push", "h.io/p/app:v1", "--digest", OTHER, *OFFLINE), 1, {"push"}),
    (("push", "h.io/p/app:latest", "h.io/p/app:v9", "--digest", A, *OFFLINE), 0, {"push"}),
    (("retag", "h.io/p/app:v1", "h.io/p/app:rc1", *OFFLINE), 0, {"retag"}),
    (("copy", "h.io/p/app:v1", "h.io/q/app", *OFFLINE), 0, {"copy"}),
    (("replicate", "--from", "h.io/p/app:v1", "--to", "h.io/q/app:v1", *OFFLINE), 0, None),
    (("delete", "h.io/p/app:latest", *OFFLINE), 0, {"delete"}),
    (("delete", "--artifact", "h.io/p/app:latest", *OFFLINE), 1, {"delete-artifact"}),
    (("sign", "h.io/p/app:v1", *OFFLINE), 0, {"sign"}),
    (("plan", "plan.yml", *OFFLINE), 1, {"push", "retag", "delete"}),
]


@pytest.mark.parametrize(("args", "exit_code", "operations"), REPORTS, ids=_id)
def test_each_commands_report_is_valid(
    files: Path, args: tuple[str, ...], exit_code: int, operations: set[str] | None
) -> None:
    code, out, err = tagguard(*args, "--format", "json")
    assert code == exit_code, err
    data = output_json(out)
    assert data["schema_version"] == 1
    assert "error" not in data
    assert data["decisions"], "a report that decides nothing shows little of the contract"
    if operations is not None:
        assert {d["operation"] for d in data["decisions"]} == operations
    for warning in data["warnings"]:
        assert list(warning) == list(json_output.NOTICE_KEYS)


def test_the_table_shows_every_operation_the_schema_lists(files: Path) -> None:
    """What the schema's operation enum promises is what the commands print: each of the
    seven is met in the table above (replicate's included), and no other exists."""
    seen = set()
    for args, _, _ in REPORTS:
        seen |= {
            d["operation"] for d in output_json(tagguard(*args, "--format", "json")[1])["decisions"]
        }
    assert seen == enum("decision", "properties", "operation") == {o.value for o in Operation}


def test_a_plan_decision_carries_its_source_and_a_copy_its_carried_tags(files: Path) -> None:
    plan = output_json(tagguard("plan", "plan.yml", *OFFLINE, "--format", "json")[1])
    assert [d["source"] for d in plan["decisions"]][:2] == [
        {"file": "plan.yml", "line": 2},
        {"file": "plan.yml", "line": 4},
    ]
    copied = output_json(
        tagguard("copy", "h.io/p/app:v1", "h.io/q/app", *OFFLINE, "--format", "json")[1]
    )
    notes = {n["code"] for d in copied["decisions"] for n in d.get("notes", ())}
    assert "carried" in notes  # v1-amd64 is on the index's child
    assert {d["from_reference"] for d in copied["decisions"]} == {"h.io/p/app:v1"}


def test_explain_and_lint_are_valid(files: Path) -> None:
    for args in (
        ("explain", "h.io/p/app:v1", *OFFLINE),
        ("explain", "h.io/p/app:v1", "--rules-file", "rules.json"),
        ("explain", "h.io/p/app:v1", "--rules-file", "broken.json"),
    ):
        code, out, err = tagguard(*args, "--format", "json")
        assert code == 0, err
        data = output_json(out)
        assert data["reference"] == "h.io/p/app:v1"
        assert data["rules"]
    code, out, _ = tagguard("lint", "broken.json", "--format", "json")
    assert code == 1
    assert output_json(out)["summary"]["error"] >= 1


# ------------------------------------------------------------------------------ exit 2

# (command line, error.code): each error class the CLI maps, and each kind of document.
UNDECIDED = [
    (
        (
            "push",
            "h.io/p/app:v1",
            "--digest",
            A,
            "--rules-file",
            "nope.json",
            "--state-file",
            "state.json",
        ),
        "file",
    ),
    (("push", "app:v1", "--digest", A, *OFFLINE), "reference"),
    (("push", "--digest", A, *OFFLINE), "input"),
    (("push", "h.io/p/app:v1", "--timeout", "soon", *OFFLINE), "usage"),
    (("push", "h.io/p/nope:v1", "--digest", A, *OFFLINE), "state"),
    (
        (
            "retag",
            "h.io/p/app:v1",
            "h.io/p/app:v2",
            "--rules-file",
            "nope.json",
            "--state-file",
            "state.json",
        ),
        "file",
    ),
    (("delete", "h.io/p/app:v1", "--username", "u", *OFFLINE), "input"),
    (("plan", "nope.yml", *OFFLINE), "file"),
    (("explain", "h.io/p/app:v1", "--rules-file", "nope.json"), "file"),
    (("explain", "app", "--rules-file", "rules.json"), "reference"),
    (("lint", "nope.json"), "file"),
    (("lint", "state.json"), "file"),
]


@pytest.mark.parametrize(("args", "error_code"), UNDECIDED, ids=_id)
def test_an_exit_2_prints_the_commands_object_with_the_error(
    files: Path, args: tuple[str, ...], error_code: str
) -> None:
    code, out, err = tagguard(*args, "--format", "json")
    assert code == 2, out
    data = output_json(out)
    assert data["schema_version"] == 1
    assert data["error"]["code"] == error_code, data["error"]
    assert err == f"tagguard: error: {data['error']['message']}\n"
    command = args[0]
    expected = {"explain": "explanation", "lint": "lint"}.get(command, "report")
    for kind in ("report", "explanation", "lint"):
        assert is_valid(data, kind) == (kind == expected), kind
    if command == "explain" and not args[1].startswith("app"):
        assert data["reference"] == args[1]


def test_an_exit_2_prints_json_however_json_was_asked_for(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = (
        "push",
        "h.io/p/app:v1",
        "--digest",
        A,
        "--rules-file",
        "nope.json",
        "--state-file",
        "state.json",
    )
    assert output_json(tagguard(*broken, "--format=json")[1])["error"]["code"] == "file"
    monkeypatch.setenv("TAGGUARD_FORMAT", "json")
    assert output_json(tagguard(*broken)[1])["error"]["code"] == "file"
    # Asked for text, or nothing: standard output stays empty, as before.
    assert tagguard(*broken, "--format", "text")[1] == ""
    monkeypatch.delenv("TAGGUARD_FORMAT")
    assert tagguard(*broken)[1] == ""
    # From tagguard.toml (here the top of a checkout), for every command or for one.
    (files / ".git").mkdir()
    (files / "tagguard.toml").write_text('format = "json"\n')
    assert output_json(tagguard(*broken)[1])["error"]["code"] == "file"
    (files / "tagguard.toml").write_text('[lint]\nformat = "json"\n')
    assert output_json(tagguard("lint", "nope.json")[1])["error"]["code"] == "file"
    assert tagguard(*broken)[1] == ""


def test_an_internal_error_is_an_error_document_too(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagguard import app

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(app, "checked", crash)  # a bug where the check runs
    code, out, err = tagguard("push", "h.io/p/app:v1", "--digest", A, *OFFLINE, "--format", "json")
    assert code == 2
    error = output_json(out)["error"]
    assert error["code"] == "internal"
    assert error["message"].startswith("RuntimeError: a bug")
    assert err == f"tagguard: internal error: {error['message']}\n"


def test_the_empty_explanation_has_exactly_explains_keys(files: Path) -> None:
    """explain's error document is built from explain's own dict, so the two never drift."""
    real = output_json(tagguard("explain", "h.io/p/app:v1", *OFFLINE, "--format", "json")[1])
    failed = output_json(json_output.error_document("explain", "file", "x", "h.io/p/app:v1"))
    assert set(failed) - {"error", "schema_version"} == set(real) - {"schema_version"}


# ------------------------------------------------------------- the schema and the code agree


def test_the_schema_is_valid_for_check_jsonschemas_metaschema() -> None:
    program = str(Path(sys.executable).parent / "check-jsonschema")
    done = subprocess.run(
        [program, "--check-metaschema", str(OUTPUT_SCHEMA)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_the_schema_ships_in_the_package() -> None:
    from importlib import resources

    shipped = resources.files("tagguard").joinpath("schemas/output.schema.json").read_text()
    assert json.loads(shipped) == SCHEMA


@functools.cache
def _codes(class_name: str) -> frozenset[str]:
    """The literal code of every `Notice(...)` / `Note(...)` in tagguard's source."""
    found: set[str] = set()
    for path in (ROOT / "src" / "tagguard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == class_name):
                continue
            first = (
                node.args[0]
                if node.args
                else next((k.value for k in node.keywords if k.arg == "code"), None)
            )
            code = first.value if isinstance(first, ast.Constant) else None
            assert isinstance(code, str), f"{path}:{node.lineno}: a code that is not literal"
            found.add(code)
    return frozenset(found)


def test_warning_and_note_codes_are_exactly_the_ones_tagguard_makes() -> None:
    assert _codes("Notice") == enum("warning", "properties", "code")
    assert _codes("Note") == enum("note", "properties", "code")


def test_the_other_enums_are_the_codes_enums() -> None:
    assert enum("decision", "properties", "decision") == {v.value for v in Verdict}
    assert set(DEFINITIONS["report"]["properties"]["summary"]["required"]) == {
        v.value for v in Verdict
    }
    outcome = DEFINITIONS["explanation"]["properties"]["rules"]["items"]["properties"]["outcome"]
    assert set(outcome["enum"]) == {o.value for o in StepOutcome}
    assert enum("finding", "properties", "level") == {level.value for level in Level}
    cli_codes = {"usage", "aborted", "internal"}
    assert (
        enum("error", "properties", "code") == {c for _, c in json_output.ERROR_CODES} | cli_codes
    )


def test_every_error_class_has_its_code() -> None:
    classes = [
        value
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.TagguardError)
    ]
    assert len(classes) > 5
    for kind in classes:
        assert json_output.error_code(kind.__new__(kind)) != "internal", kind
    assert json_output.error_code(errors.AuthError("x")) == "auth"  # before RemoteError
    assert json_output.error_code(errors.FileError("x")) == "file"  # before InputError
    assert json_output.error_code(ValueError("x")) == "internal"


# ---------------------------------------------------------- the schema refuses what it should


def is_valid(data: Any, kind: str | None = None) -> bool:
    schema = SCHEMA if kind is None else {**SCHEMA, "$ref": f"#/definitions/{kind}"}
    if kind is not None:
        schema = {k: v for k, v in schema.items() if k != "oneOf"}
    return bool(jsonschema.Draft7Validator(schema).is_valid(data))


def _sample() -> dict[str, Any]:
    report = Report()
    report.record(
        Decision(
            Operation.RETAG, "h.io/p/app:v1", "h.io", "p", "p/app", "v1", Verdict.BLOCK, True,
            A, OTHER, 1, "tag v1 is immutable (rule 1)", from_reference="h.io/p/app:rc",
            notes=(Note("flag", "Harbor agrees"),), origin=("plan.yml", 3),
        )
    )  # fmt: skip
    report.warn(Notice("undecided", "could not decide"))
    return json.loads(json_output.dumps(report))  # type: ignore[no-any-return]


BREAKAGES: dict[str, Callable[[dict[str, Any]], object]] = {
    "a warning without rule_id": lambda d: d["warnings"][0].pop("rule_id"),
    "a warning with another key": lambda d: d["warnings"][0].update(host="h.io"),
    "an unknown warning code": lambda d: d["warnings"][0].update(code="oops"),
    "an unknown operation": lambda d: d["decisions"][0].update(operation="move"),
    "an unknown note": lambda d: d["decisions"][0]["notes"][0].update(code="maybe"),
    "a source line 0": lambda d: d["decisions"][0]["source"].update(line=0),
    "a digest that is not one": lambda d: d["decisions"][0].update(new_digest="abc"),
    "no schema_version": lambda d: d.pop("schema_version"),
    "another schema_version": lambda d: d.update(schema_version=2),
    "a decision beside an error": lambda d: d.update(error={"code": "file", "message": "m"}),
    "an unknown error code": lambda d: d.update(
        decisions=[], warnings=[], summary=dict.fromkeys(d["summary"], 0),
        error={"code": "oops", "message": "m"},
    ),
}  # fmt: skip


def test_the_sample_is_valid_and_each_breakage_is_refused() -> None:
    sample = _sample()
    assert is_valid(sample)
    emptied = {
        **sample,
        "decisions": [],
        "warnings": [],
        "summary": {"allow": 0, "skip": 0, "block": 0},
    }
    assert is_valid({**emptied, "error": {"code": "remote", "message": "m"}})
    for name, breakage in BREAKAGES.items():
        broken = copy.deepcopy(sample)
        breakage(broken)
        assert not is_valid(broken), name


def test_the_session_hook_catches_a_broken_document() -> None:
    """The conftest hook wraps the JSON makers; a document breaking the schema is recorded
    (and would fail the test at teardown: here it is taken back)."""
    assert hasattr(json_output.dumps, "__wrapped__")
    report = Report()
    report.warn(Notice("not-a-code", "made up"))
    json_output.dumps(report)
    assert _BROKEN_JSON
    _BROKEN_JSON.clear()


# ------------------------------------------------------------------------- any report at all

texts = st.text(min_size=1, max_size=12)
digests = st.one_of(st.none(), st.sampled_from([A, OTHER, "sha512:" + "b" * 128]))
decisions = st.builds(
    Decision,
    st.sampled_from(list(Operation)), texts, texts, texts, texts, st.one_of(st.none(), texts),
    st.sampled_from(list(Verdict)), st.one_of(st.none(), st.booleans()), digests, digests,
    st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), texts,
    from_reference=st.one_of(st.none(), texts),
    notes=st.lists(st.builds(Note, st.sampled_from(sorted(_codes("Note"))), texts), max_size=2).map(tuple),
    origin=st.one_of(st.none(), st.tuples(texts, st.integers(1, 10**6))),
)  # fmt: skip
notices = st.builds(
    Notice,
    st.sampled_from(sorted(_codes("Notice"))), texts,
    *[st.one_of(st.none(), texts)] * 2, st.one_of(st.none(), st.integers()), st.one_of(st.none(), texts),
)  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(decisions, max_size=4), st.lists(notices, max_size=3))
def test_any_report_prints_as_a_valid_document_that_reads_back(
    made: list[Decision], warned: list[Notice]
) -> None:
    report = Report()
    report.extend(made)
    for notice in warned:
        report.warn(notice)
    data = output_json(json_output.dumps(report))
    assert data == json_output.report_dict(report)


def test_readme_exit_2_example_is_real(tmp_path: Path) -> None:
    """The README's exit-2 JSON is what this command prints, to the byte of its data."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    marker = "test_readme_exit_2_example_is_real -->\n```json\n"
    shown = readme[readme.index(marker) + len(marker) :].split("```", 1)[0]
    examples = Path(__file__).resolve().parents[2] / "examples"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tagguard",
            "push",
            "harbor.example.com/platform/api:v1.4.0",
            "--digest",
            "sha256:88c54d88a2e99a247f5e1ae2cfd43d31ca6234163289b920b722bf4f1866bd55",
            "--rules-file",
            str(examples / "rules.json"),
            "--state-file",
            "missing.json",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert json.loads(done.stdout) == json.loads(shown)
