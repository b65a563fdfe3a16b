"""Any plan file, shaped like a plan or not: it loads, or it is one line naming the file (and
the line, where there is one). Never another exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tagguard.core.plan import Plan, PlanError, Push, ReplicatePolicy
from tagguard.core.reference import Reference
from tagguard.errors import TagguardError
from tagguard.shell.plan_file import load_plan, resolve_digest_files
from tests.strategies import json_values

DIGEST = "sha256:" + "c" * 64
JSON = json_values(text=12, size=3, leaves=12)
# Text as plans hold it: references, `${VAR}` with and without defaults, paths, noise.
TEXT = st.sampled_from(
    [
        "h.io/p/app:v1",
        "h.io/p/team/app:v${VERSION}",
        "h.io/p/app:${UNSET}",
        "h.io/p/app:${UNSET:-dev}",
        "h.io/p/app@" + DIGEST,
        "h.io/p/app",
        "Upper.io/P/App:v1",
        "h.io/p/app:v1\x00",
        "${",
        "layout",
        "layout:v1",
        "meta.json",
        "/",
        "../../etc",
        "nul\x00path",
        DIGEST,
        "sha256:short",
    ]
) | st.text(max_size=16)
REFS = TEXT | st.lists(TEXT, max_size=3) | JSON
PUSH = st.fixed_dictionaries(
    {"push": REFS},
    optional={
        "digest": TEXT | JSON,
        "oci-layout": TEXT | JSON,
        "metadata-file": TEXT | JSON,
        "from": TEXT | JSON,
    },
)
MOVE = st.fixed_dictionaries(
    {},
    optional={"from": TEXT | JSON, "to": REFS, "policy": st.integers(-2, 5) | JSON, "source": TEXT},
)
# A push that parses, so the digest file it names is read: that path is reached often.
PUSH_FROM_FILE = st.builds(
    lambda kind, where: {"push": "h.io/p/app:v1", kind: where},
    st.sampled_from(["oci-layout", "metadata-file"]),
    TEXT,
)
OPERATION = (
    PUSH
    | PUSH_FROM_FILE
    | PUSH_FROM_FILE
    | st.fixed_dictionaries({"retag": MOVE | JSON})
    | st.fixed_dictionaries({"copy": MOVE | JSON})
    | st.fixed_dictionaries({"replicate": MOVE | JSON})
    | st.fixed_dictionaries({"delete": REFS}, optional={"artifact": st.booleans() | JSON})
    | JSON
)
PLAN = (
    st.fixed_dictionaries({}, optional={"operations": st.lists(OPERATION, max_size=4) | JSON})
    | JSON
)
ENV = {"VERSION": "1.2.3"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan's folder with an OCI layout and a buildx metadata file beside it."""
    root = tmp_path_factory.mktemp("plans")
    (root / "layout").mkdir()
    entry = {"digest": DIGEST, "annotations": {"org.opencontainers.image.ref.name": "v1"}}
    (root / "layout" / "index.json").write_text(json.dumps({"manifests": [entry]}))
    (root / "meta.json").write_text(json.dumps({"containerimage.digest": DIGEST}))
    return root


def _load(path: Path) -> Plan | None:
    try:
        return resolve_digest_files(load_plan(str(path), ENV))
    except TagguardError as error:
        _one_line_naming(error.message, str(path))
        return None


def _one_line_naming(message: str, path: str) -> None:
    assert "\n" not in message, message
    assert path in message, message


@settings(max_examples=400, deadline=None)
@given(plan=PLAN)
def test_any_plan_shaped_data(folder: Path, plan: Any) -> None:
    path = folder / "plan.yml"
    path.write_text(yaml.safe_dump(plan, allow_unicode=True))
    loaded = _load(path)
    if loaded is not None:
        assert loaded.operations
        # Every digest a file named has been read: a push's image is a digest, a reference
        # or unknown, never a file still to read.
        for operation in loaded.operations:
            if isinstance(operation, Push):
                assert isinstance(operation.image, str | Reference | None)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=80) | st.binary(max_size=40).map(lambda b: b.decode("latin-1")))
def test_any_plan_text(folder: Path, text: str) -> None:
    path = folder / "text.yml"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    _load(path)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=60))
def test_any_plan_bytes(folder: Path, raw: bytes) -> None:
    path = folder / "bytes.yml"
    path.write_bytes(raw)
    _load(path)


@settings(max_examples=200, deadline=None)
@given(operations=st.lists(PUSH_FROM_FILE, min_size=1, max_size=3))
def test_any_digest_file_a_plan_names(folder: Path, operations: list[dict[str, str]]) -> None:
    """Paths to OCI layouts and metadata files, read relative to the plan's folder."""
    path = folder / "files.yml"
    path.write_text(yaml.safe_dump({"operations": operations}, allow_unicode=True))
    loaded = _load(path)
    if loaded is not None:
        assert {op.image for op in loaded.operations if isinstance(op, Push)} == {DIGEST}
        assert all(isinstance(op, Push) for op in loaded.operations)


@pytest.mark.parametrize(
    ("written", "policy"),
    [("0b11", 3), ("+0x1F", 31), ("1:30", 90), ("1_000", 1000), (".inf", None), ("0x_", None)],
)
def test_yaml_numbers_are_read_as_yaml_reads_them(
    folder: Path, written: str, policy: int | None
) -> None:
    path = folder / "numbers.yml"
    path.write_text(f"operations:\n  - replicate:\n      policy: {written}\n")
    loaded = _load(path)
    if policy is None:
        assert loaded is None
    else:
        assert loaded is not None
        assert loaded.operations[0] == ReplicatePolicy(2, policy)


@pytest.mark.parametrize("libyaml", [True, False])
def test_a_lone_surrogate_in_a_plan_is_refused_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, libyaml: bool
) -> None:
    # Both of PyYAML's readers refuse the escape "\ud800" (half of a surrogate pair, no
    # character): a plan can never carry one to a report.
    if not libyaml:
        monkeypatch.delattr(yaml, "CSafeLoader", raising=False)
    path = tmp_path / "plan.yml"
    path.write_text('operations:\n  - push: "h.io/p/app:\\ud800"\n')
    with pytest.raises(PlanError, match=r"plan\.yml:2: ") as caught:
        load_plan(str(path), {})
    assert "surrogate" in caught.value.message or "invalid Unicode" in caught.value.message


@pytest.mark.parametrize(
    "text",
    [
        "operations:\n  - push: [h.io/p/a:1, h.io/p/a:${VERSION:-x}]\n",
        "operations:\n  - retag: {from: h.io/p/a:${V}, to: h.io/p/a:stable}\n",
    ],
)
def test_variables_inside_flow_collections_get_the_quoting_hint(tmp_path: Path, text: str) -> None:
    path = tmp_path / "plan.yml"
    path.write_text(text)
    with pytest.raises(PlanError, match=r"plan\.yml:2: not valid YAML: .*quote values holding"):
        load_plan(str(path), {})
    quoted = (
        text.replace("h.io/p/a:${", '"h.io/p/a:${').replace("}]", '}"]').replace("}, to", '}", to')
    )
    path.write_text(quoted)
    assert load_plan(str(path), {"V": "1"}).operations[0].line == 2


def test_a_digest_file_is_read_relative_to_the_plan(folder: Path) -> None:
    path = folder / "relative.yml"
    path.write_text(
        "operations:\n  - push: h.io/p/app:v1\n    oci-layout: layout:v1\n"
        "  - push: h.io/p/app:v2\n    metadata-file: meta.json\n"
        "  - push: h.io/p/app:v3\n"
    )
    loaded = resolve_digest_files(load_plan(str(path), {}))
    assert [op.image for op in loaded.operations if isinstance(op, Push)] == [DIGEST, DIGEST, None]


def test_an_unreadable_digest_file_names_the_operation_line(folder: Path) -> None:
    path = folder / "missing.yml"
    path.write_text(
        "operations:\n  - push: h.io/p/app:v1\n  - push: h.io/p/app:v2\n    metadata-file: nope.json\n"
    )
    with pytest.raises(PlanError, match=rf"^{path}:3: ") as caught:
        resolve_digest_files(load_plan(str(path), {}))
    assert "nope.json" in caught.value.message


def test_a_digest_file_s_errors_name_the_plan_s_key_not_a_command_line_option(
    tmp_path: Path,
) -> None:
    """A plan's `oci-layout:` with two manifests was told to "name one as --oci-layout
    /abs/path/build:REF": an option the plan does not have, and a path it did not write."""
    (tmp_path / "build").mkdir()
    entries = [
        {"digest": DIGEST, "annotations": {"org.opencontainers.image.ref.name": name}}
        for name in ("app", "web")
    ]
    (tmp_path / "build" / "index.json").write_text(json.dumps({"manifests": entries}))
    (tmp_path / "plan.yml").write_text(
        "operations:\n  - push: h.io/p/app:v1\n    oci-layout: build\n"
    )
    with pytest.raises(PlanError) as caught:
        resolve_digest_files(load_plan(str(tmp_path / "plan.yml"), {}))
    assert caught.value.message.endswith("holds 2 manifests; name one as oci-layout: build:REF")
    (tmp_path / "plan.yml").write_text(
        "operations:\n  - push: h.io/p/app:v1\n    oci-layout: nowhere:app\n"
    )
    with pytest.raises(PlanError, match=r":2: oci-layout: nowhere:app: .*nowhere is not a dir"):
        resolve_digest_files(load_plan(str(tmp_path / "plan.yml"), {}))


def test_steps_reused_through_aliases_are_at_the_aliases_lines(tmp_path: Path) -> None:
    """A reused step is a step of its own, at its alias: reports and errors point there."""
    path = tmp_path / "plan.yml"
    path.write_text(
        "operations:\n"  # 1
        "  - &release\n"  # 2
        "    push: h.io/p/app:v1\n"  # 3
        "    metadata-file: meta.json\n"  # 4
        "  - retag: &pair {from: 'h.io/p/app:v1', to: 'h.io/q/app:v1'}\n"  # 5
        "  - *release\n"  # 6
    )
    assert [op.line for op in load_plan(str(path), {}).operations] == [2, 5, 6]
    # The same pair written as a copy is wrong only there: its `to` holds a tag.
    path.write_text(path.read_text() + "  - copy: *pair\n")  # 7
    with pytest.raises(PlanError, match=rf"^{path}:7: copy's \"to\" is a repository"):
        load_plan(str(path), {})
