"""Every fenced block of the README is checked: commands run (offline ones for real against
examples/, the ones that need a Harbor against the test Harbor with its host substituted),
files parse and validate against their schema, and outputs are what the command prints. A
block no test checks fails `test_every_block_is_checked`: either a test here claims it, or an
HTML comment right above it names the test that covers it (`<!-- covered-by: FILE::TEST -->`,
or `<!-- example: NAME -->` read by a test through `readme_example`)."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.conftest import ROOT
from tests.e2e.conftest import Harbor, harbor, registry  # noqa: F401 (fixtures)

README = ROOT / "README.md"
SCHEMAS = ROOT / "src" / "tagguard" / "schemas"
BIN = Path(sys.executable).parent
PROJECT_URL = "https://github.com/tagguard/tagguard"
EXAMPLE_HOST = "harbor.example.com"

# A distinctive piece of each block a test in this module checks, and that test. Every block
# must hold exactly one of these or carry a marker comment.
CHECKED = {
    "make demo   #": "test_each_make_line_runs_what_it_says",
    "make unit": "test_each_make_line_runs_what_it_says",
    "pip install .": "test_the_quick_start_prints_what_the_readme_shows",
    "tag v1.4.0 already points at": "test_the_quick_start_prints_what_the_readme_shows",
    "tagguard push REF...": "test_the_synopsis_names_real_commands_and_options",
    "oci-layout: build/oci:app": "test_the_release_plan_example_runs_against_a_harbor",
    "platform/api:rc1": "test_the_what_if_output_is_what_a_live_harbor_gives",
    "$ tagguard explain": "test_each_shell_session_prints_what_it_shows",
    "$ tagguard lint": "test_each_shell_session_prints_what_it_shows",
    "from tagguard.core.rules import": "test_the_library_example_gives_its_result",
    "component: $CI_SERVER_FQDN": "test_each_yaml_block_is_valid_for_its_schema",
    'entrypoint: [""]': "test_each_yaml_block_is_valid_for_its_schema",
    "tagguard install-git-hook --uninstall": "test_the_git_hook_lines_run_in_a_repository",
    'credentials = ["replica.example.com=REPLICA_AUTH"]': "test_the_configuration_example_is_read",
    "tagguard completion fish": "test_the_completion_lines_print_scripts",
}


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    marker: str  # the HTML comment right above the fence, or ""

    def __str__(self) -> str:
        return f"README.md:{self.line} ({self.lang or 'plain'})"


def readme_blocks(text: str | None = None) -> list[Block]:
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = re.fullmatch(r"\s*```(\w*)\s*", lines[index])
        if opening is None:
            index += 1
            continue
        end = index + 1
        while not re.fullmatch(r"\s*```\s*", lines[end]):
            end += 1
        above = index - 1
        while above >= 0 and not lines[above].strip():
            above -= 1
        marker = ""
        if above >= 0 and (comment := re.fullmatch(r"<!--\s*(.*?)\s*-->", lines[above].strip())):
            marker = comment.group(1)
        body = "\n".join(lines[index + 1 : end]) + "\n"
        found.append(Block(index + 1, opening.group(1), body, marker))
        index = end + 1
    return found


def block(piece: str) -> Block:
    """The one block holding `piece`."""
    matching = [b for b in readme_blocks() if piece in b.text]
    assert len(matching) == 1, f"{len(matching)} README blocks hold {piece!r}"
    return matching[0]


def environment(**extra: str) -> dict[str, str]:
    """The venv's tagguard first on PATH, no colour, no credentials of the machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAGGUARD_")}
    env.pop("FORCE_COLOR", None)
    return {**env, "PATH": f"{BIN}{os.pathsep}{env['PATH']}", "NO_COLOR": "1", **extra}


def shell(command: str, cwd: Path = ROOT, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=environment(**extra),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def commands_of(text: str) -> list[str]:
    """The shell commands of a block: continuation lines joined, comments dropped."""
    joined = text.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


# -- every block has a check -----------------------------------------------------------------


def covering_test_exists(marker: str) -> bool:
    """`covered-by: tests/x.py::test_y ...` names a test that exists; `example: NAME` is read
    by some test through readme_example("NAME")."""
    if covered := re.match(r"covered-by: (\S+)::(\w+)", marker):
        path = ROOT / covered.group(1)
        return path.is_file() and f"def {covered.group(2)}(" in path.read_text(encoding="utf-8")
    if example := re.fullmatch(r"example: (\S+)", marker):
        call = f'readme_example("{example.group(1)}")'
        return any(call in p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("*.py"))
    return marker.startswith("output-of: ")  # test_each_output_of_block_is_what_its_command_prints


def test_every_block_is_checked() -> None:
    unchecked = []
    for each in readme_blocks():
        claims = [piece for piece in CHECKED if piece in each.text]
        if len(claims) > 1:
            unchecked.append(f"{each}: claimed by several checks {claims}")
        elif not claims and not (each.marker and covering_test_exists(each.marker)):
            unchecked.append(f"{each}: no test checks it (marker {each.marker!r})")
    assert unchecked == []
    for piece, test in CHECKED.items():
        block(piece)  # each claim names exactly one block
        assert callable(globals().get(test)), f"{test} is not a test in this module"


def test_the_inventory_finds_an_unchecked_block() -> None:
    """The check above could fail: a new block, and a marker naming a missing test."""
    text = "intro\n\n```sh\nrm -rf /\n```\n\n<!-- covered-by: tests/x.py::test_nothing -->\n```\n1\n```\n"
    found = readme_blocks(text)
    assert [(b.line, b.lang, b.text) for b in found] == [(3, "sh", "rm -rf /\n"), (8, "", "1\n")]
    assert found[1].marker == "covered-by: tests/x.py::test_nothing"
    assert not covering_test_exists(found[1].marker)
    assert not any(piece in found[0].text for piece in CHECKED)


# -- shell commands ------------------------------------------------------------------------


def make_dry_run(target: str) -> list[str]:
    done = subprocess.run(
        ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, (target, done.stderr)
    return done.stdout.splitlines()


def pytest_runs(recipe: list[str]) -> list[list[str]]:
    """The arguments of each pytest the recipe runs."""
    runs = [shlex.split(line) for line in recipe]
    return [words[1:] for words in runs if words and words[0].endswith("/pytest")]


def test_each_make_line_runs_what_it_says() -> None:
    lines = [c for b in ("make demo   #", "make unit") for c in commands_of(block(b).text)]
    targets = [line.split()[1] for line in lines]
    assert {"demo", "test", "unit"} <= set(targets), lines  # each must exist: make -n
    recipes = {target: make_dry_run(target) for target in set(targets)}
    # make demo: the bundled examples (tests/test_examples.py runs demo.sh itself).
    assert any(line.endswith("examples/demo.sh") for line in recipes["demo"])
    # make test: ruff check, ruff format --check, mypy --strict (pyproject) and the suite.
    words = [shlex.split(line) for line in recipes["test"]]
    assert any(w[-3:] == ["check", "src", "tests"] for w in words if "ruff" in w[0])
    assert any(w[-4:] == ["format", "--check", "src", "tests"] for w in words if "ruff" in w[0])
    assert any(w[0].endswith("/mypy") for w in words if w)
    assert len(pytest_runs(recipes["test"])) == 3  # unit, e2e, surfaces
    # make unit: "pytest only": one pytest and nothing else that checks.
    assert len(pytest_runs(recipes["unit"])) == 1
    assert not any(tool in line for line in recipes["unit"] for tool in ("ruff", "mypy"))


def layer_of(path: str, layers: dict[str, list[str]]) -> list[str]:
    """The layers whose pytest arguments select the test file at `path`."""
    chosen = []
    for name, args in layers.items():
        ignored = [a.split("=", 1)[1] for a in args if a.startswith("--ignore=")]
        roots = [a for a in _paths(args) if not a.startswith("-")] or ["tests"]
        inside = any(path.startswith(root.rstrip("/") + "/") for root in roots)
        if inside and not any(path.startswith(i.rstrip("/") + "/") for i in ignored):
            chosen.append(name)
    return chosen


# pytest options the Makefile gives a value as the next argument (pytest-xdist's workers and
# how it shares tests out), which are not paths.
_VALUED = {"-n", "--numprocesses", "--dist", "-p"}


def _paths(args: list[str]) -> list[str]:
    """`args` without each valued option's value."""
    return [a for i, a in enumerate(args) if i == 0 or args[i - 1] not in _VALUED]


def test_the_three_layers_hold_every_test_file_once() -> None:
    layers = {name: pytest_runs(make_dry_run(name))[0] for name in ("unit", "e2e", "surfaces")}
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py"))
    assert files
    wrong = {f: layer_of(f, layers) for f in files if len(layer_of(f, layers)) != 1}
    assert wrong == {}
    assert layer_of("tests/e2e/test_smoke.py", layers) == ["e2e"]
    assert layer_of("tests/core/test_glob.py", layers) == ["unit"]


def test_make_test_names_each_missing_tool_and_its_package_in_one_line(tmp_path: Path) -> None:
    """Issue 13: `make test` needs npm, docker-registry, skopeo, the docker CLI (and git,
    openssl): a machine without them gets one line naming them and their packages, before
    anything runs."""
    only = tmp_path / "bin"
    only.mkdir()
    for tool in ("git", "npm"):
        (only / tool).symlink_to(shutil.which(tool) or "/bin/true")
    make = shutil.which("make")
    assert make is not None
    done = subprocess.run(
        [make, "-s", "test"],
        cwd=ROOT,
        env={"PATH": str(only), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stdout == ""  # nothing ran: no lint, no venv
    [line] = done.stderr.splitlines()
    assert "docker-registry docker openssl skopeo:" in line, line
    assert (
        "apt-get install --no-install-recommends docker-registry docker.io openssl skopeo" in line
    )
    assert "npm" not in line.split(":")[2]  # present, so not named as missing


def test_the_quick_start_prints_what_the_readme_shows() -> None:
    commands = commands_of(block("pip install .").text)
    # `pip install .` installs this checkout, as the venv running the tests already did
    # (tests/surfaces/test_release.py builds and installs the wheel itself); it provides
    # the `tagguard` command the next line runs.
    assert commands[0].startswith("pip install .")
    assert 'tagguard = "tagguard.cli:run"' in (ROOT / "pyproject.toml").read_text()
    [command] = commands[1:]
    done = shell(command)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == block("tag v1.4.0 already points at").text


def test_each_shell_session_prints_what_it_shows() -> None:
    """`$ command` blocks: the lines after each command are exactly what it prints."""
    sessions = [b for b in readme_blocks() if b.text.startswith("$ ")]
    assert len(sessions) >= 2
    for each in sessions:
        for step in re.split(r"^\$ ", each.text, flags=re.M)[1:]:
            command, _, shown = step.partition("\n")
            done = shell(command)
            assert done.stderr == "", (str(each), command, done.stderr)
            assert done.stdout == shown, (str(each), command)


def test_each_output_of_block_is_what_its_command_prints() -> None:
    marked = [b for b in readme_blocks() if b.marker.startswith("output-of: ")]
    assert marked
    for each in marked:
        done = shell(each.marker.removeprefix("output-of: "))
        assert done.returncode in (0, 1), done.stderr
        assert done.stdout == each.text, str(each)


def test_the_synopsis_names_real_commands_and_options() -> None:
    lines = [line for line in block("tagguard push REF...").text.splitlines() if line.strip()]
    synopses = [line for line in lines if line.startswith("tagguard ")]
    assert len(synopses) >= 10
    listed = shell("tagguard --help").stdout
    for synopsis in synopses:
        command = synopsis.split()[1]
        assert re.search(rf"^\s+{re.escape(command)}\b", listed, re.M), synopsis
        usage = shell(f"tagguard {command} --help").stdout
        for option in re.findall(r"(?<![\w-])--[a-z][a-z-]*", synopsis.split("   ")[0]):
            assert re.search(rf"(?<![\w-]){option}\b", usage), (synopsis, option)


def test_the_git_hook_lines_run_in_a_repository(tmp_path: Path) -> None:
    """In a repository holding the README's two plans: install, install with a plan and an
    option, uninstall; each as written, for real (nothing is pushed)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".tagguard.yml").write_text(
        block("push: harbor.example.com/platform/api:${GIT_TAG}").text
    )
    (tmp_path / "release.yml").write_text(block("oci-layout: build/oci:app").text)
    install, with_plan, uninstall = commands_of(block("tagguard install-git-hook --uninstall").text)
    hook = tmp_path / ".git" / "hooks" / "pre-push"
    settings = tmp_path / ".git" / "tagguard-hook.json"
    done = shell(install, tmp_path)
    assert done.returncode == 0, done.stderr
    assert hook.is_file()
    done = shell(with_plan, tmp_path)
    assert done.returncode == 0, done.stderr
    stored = settings.read_text()
    assert "release.yml" in stored
    assert "harbor.example.com=https://harbor.internal" in stored
    done = shell(uninstall, tmp_path)
    assert done.returncode == 0, done.stderr
    assert not hook.exists()


# -- files ---------------------------------------------------------------------------------


def yaml_kind(data: Any) -> str:
    """Which schema a YAML block is written for, by its top-level keys."""
    keys = set(data) if isinstance(data, dict) else set()
    if "operations" in keys:
        return "plan"
    if "repos" in keys:
        return "pre-commit"
    if "jobs" in keys:
        return "vendor.github-workflows"
    if keys & {"include", "stages"} or any(
        isinstance(v, dict) and {"script", "extends"} & set(v) for v in data.values()
    ):
        return "vendor.gitlab-ci"
    raise AssertionError(f"a YAML block of no known kind: {sorted(keys)}")


def check_jsonschema(schema: str, files: list[Path]) -> None:
    done = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_yaml_block_is_valid_for_its_schema(tmp_path: Path) -> None:
    """Plans against tagguard's plan schema, workflows against SchemaStore's GitHub and GitLab
    schemas (check-jsonschema), a pre-commit config through pre-commit's validate-config."""
    plan_schema = json.loads((SCHEMAS / "plan.schema.json").read_text())
    by_kind: dict[str, list[Path]] = {}
    for each in (b for b in readme_blocks() if b.lang in ("yaml", "yml")):
        data = yaml.safe_load(each.text)  # a YAML error names the block's text
        kind = yaml_kind(data)
        path = tmp_path / f"block-{each.line}.yml"
        path.write_text(each.text)
        by_kind.setdefault(kind, []).append(path)
        if kind == "plan":
            jsonschema.validate(data, plan_schema)
    assert set(by_kind) == {"plan", "pre-commit", "vendor.github-workflows", "vendor.gitlab-ci"}
    for schema in ("vendor.github-workflows", "vendor.gitlab-ci"):
        check_jsonschema(schema, by_kind[schema])
    for config in by_kind["pre-commit"]:
        done = subprocess.run(
            [str(BIN / "pre-commit"), "validate-config", str(config)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_the_plan_examples_flow_mappings_parse_only_when_quoted() -> None:
    """Issue 13: `${…}` inside a flow mapping or sequence is not YAML; the README quotes it."""
    for broken in ("[a, b:${VERSION:-x}]", "{from: h/p/a:${VERSION}, to: h/p/a:stable}"):
        with pytest.raises(yaml.YAMLError):
            yaml.safe_load(f"push: {broken}")
    operations = yaml.safe_load(block("oci-layout: build/oci:app").text)["operations"]
    retag = next(o["retag"] for o in operations if "retag" in o)
    assert retag["from"] == "harbor.example.com/proj/app:${VERSION}"


def test_the_plan_examples_run_offline(tmp_path: Path) -> None:
    """The pre-commit plan, with the git tag the hook sets, through `tagguard plan` offline."""
    plan = tmp_path / ".tagguard.yml"
    plan.write_text(block("push: harbor.example.com/platform/api:${GIT_TAG}").text)
    examples = ROOT / "examples"
    command = (
        f"tagguard plan {plan} --rules-file {examples / 'rules.json'} "
        f"--state-file {examples / 'state.json'} --format json"
    )
    for tag, verdict, code in (("v1.4.0", "block", 1), ("v9.0.0", "allow", 0)):
        done = shell(command, GIT_TAG=tag)
        assert done.returncode == code, done.stderr
        decisions = json.loads(done.stdout)["decisions"]
        assert [(d["tag"], d["decision"]) for d in decisions] == [(tag, verdict)]


def policy(policy_id: int, url: str) -> dict[str, Any]:
    """A push-based policy as GET /replication/policies/{id} returns it: proj/app into the
    project `mirror` of the Harbor at `url`."""
    return {
        "id": policy_id,
        "name": "to-mirror",
        "src_registry": None,
        "dest_registry": {"id": 1, "url": url, "name": "d", "type": "harbor", "insecure": True},
        "dest_namespace": "mirror",
        "dest_namespace_replace_count": -1,
        "filters": [{"type": "name", "value": "proj/app"}],
        "trigger": {"type": "manual"},
        "override": True,
        "enabled": True,
        "replicate_deletion": False,
    }


def readme_plan(harbor: Harbor, tmp_path: Path) -> tuple[str, str, Path]:  # noqa: F811
    """The README's release plan written for the test Harbor, its OCI layout naming a new
    image (whose manifest tagguard does not read), the projects and policy 12 it names, and
    VERSION set: the plan's text, the image's digest, the plan file."""
    text = block("oci-layout: build/oci:app").text
    plan = tmp_path / "release.yml"
    plan.write_text(text.replace(EXAMPLE_HOST, harbor.host))
    layout = tmp_path / "build" / "oci"
    layout.mkdir(parents=True)
    new = "sha256:" + "5" * 64
    manifest = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": new,
        "size": 500,
        "annotations": {"org.opencontainers.image.ref.name": "app"},
    }
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest]}))
    for project in ("prod", "mirror"):
        harbor.state.add_project(project)
    harbor.state.policies[12] = policy(12, harbor.url)
    harbor.monkeypatch.setenv("VERSION", "1.2.3")
    return text, new, plan


def test_the_release_plan_example_runs_against_a_harbor(
    harbor: Harbor,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The README's release plan, as written but for the host, through `tagguard plan`
    against the test Harbor (which holds replication policy 12): no rules, so every
    operation is allowed, each reported at its line of the plan."""
    text, new, plan = readme_plan(harbor, tmp_path)
    harbor.push("proj/app:rc-1")
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    assert run.code == 0, run.err
    decisions = run.json["decisions"]
    assert {d["decision"] for d in decisions} == {"allow"}, decisions
    operation_lines = [n for n, line in enumerate(text.splitlines(), 1) if line.startswith("  - ")]
    assert sorted({d["source"]["line"] for d in decisions}) == operation_lines
    pushed = [d for d in decisions if d["operation"] == "push"]
    assert [(d["tag"], d["new_digest"]) for d in pushed] == [("1.2.3", new)]


def test_the_release_plan_example_copies_beside_immutable_tags(
    harbor: Harbor,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The README's plan with every tag of prod immutable, prod holding rc-1 on the image
    proj/app holds it on and v0 on another. The pushed image may be an index over proj/app's
    images (its manifest is unread), but copyDeeply skips a child prod holds already and
    Ensure moves no tag prod holds on another image unless an image of proj/app carries it:
    none does, so the copy is allowed (src/controller/artifact/controller.go copyDeeply,
    src/controller/tag/controller.go Ensure). With rc-1 on another image in prod, it blocks."""
    _, _, plan = readme_plan(harbor, tmp_path)
    harbor.rule("prod", tag="**")
    harbor.push("prod/app:rc-1", harbor.push("proj/app:rc-1"))
    harbor.push("prod/app:v0")
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    copied = [d for d in run.json["decisions"] if d["operation"] == "copy"]
    # The retag before it put `stable` on the pushed image too: the copy carries both.
    verdicts = sorted((d["tag"], d["decision"]) for d in copied)
    assert verdicts == [("1.2.3", "allow"), ("stable", "allow")], run.err


def test_the_what_if_output_is_what_a_live_harbor_gives(
    harbor: Harbor,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The README's what-if JSON: a proposed rule set (rule 1: `rc*`) against a Harbor that
    holds rc1 mutable today. The test image's digest stands where the README shows one."""
    shown = block("platform/api:rc1").text
    readme_current = json.loads(shown)["decisions"][0]["current_digest"]
    new = json.loads(shown)["decisions"][0]["new_digest"]
    harbor.state.add_project("platform")
    image = harbor.push("platform/api:rc1")
    proposed = tmp_path / "proposed.json"
    from tests.builders import rule_json

    proposed.write_text(json.dumps([rule_json(1, "**", "rc*")]))
    reference = harbor.ref("platform/api:rc1")
    run = harbor.tagguard(
        "push", reference, "--digest", new, "--rules-file", str(proposed), "--format", "json"
    )
    assert run.code == 1, run.err
    actual = run.out.replace(harbor.host, EXAMPLE_HOST).replace(image.digest, readme_current)
    short = image.digest[: len("sha256:") + 12]
    actual = actual.replace(short, readme_current[: len(short)])
    assert json.loads(actual) == json.loads(shown)


def test_each_json_block_is_valid_for_the_output_schema() -> None:
    schema = json.loads((SCHEMAS / "output.schema.json").read_text())
    shown = [b for b in readme_blocks() if b.lang == "json"]
    assert len(shown) >= 2
    for each in shown:
        jsonschema.validate(json.loads(each.text), schema)


def test_the_library_example_gives_its_result(monkeypatch: pytest.MonkeyPatch) -> None:
    code = block("from tagguard.core.rules import").text.strip().splitlines()
    last, _, expected = code[-1].partition("#")
    monkeypatch.chdir(ROOT)
    namespace: dict[str, Any] = {}
    exec("\n".join(code[:-1]), namespace)
    assert eval(last, namespace) == ast.literal_eval(expected.strip())


def test_the_library_section_names_the_errors_a_caller_catches() -> None:
    # A library user handles bad input by exception type, so the section must name the
    # types the calls it shows really raise, each importable from where it says.
    text = README.read_text(encoding="utf-8")
    section = text.split("### As a library", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`tagguard\.errors\.(\w+)`", section))
    from tagguard import errors
    from tagguard.core.reference import parse_reference
    from tagguard.core.rules import parse_rules

    raised = []
    for call in (lambda: parse_rules("not rules", "x"), lambda: parse_reference("nohost")):
        with pytest.raises(errors.TagguardError) as caught:
            call()
        raised.append(type(caught.value).__name__)
    assert {"TagguardError", *raised} <= named
    assert all(isinstance(getattr(errors, name, None), type) for name in named)


# -- links and packaging --------------------------------------------------------------------


def links(text: str) -> Iterator[str]:
    yield from re.findall(r"\]\(([^)\s]+)\)", text)
    yield from re.findall(r"""(?:href|src)=["']([^"']+)["']""", text)


def test_no_link_breaks_on_a_package_index_page() -> None:
    """PyPI shows the README outside the repository: a relative link there leads nowhere."""
    text = README.read_text(encoding="utf-8")
    relative = [t for t in links(text) if not re.match(r"(https?:|mailto:|#)", t)]
    assert relative == []
    assert list(links("[a](docs/a.md) [b](https://x/b) [c](#c)")) == [
        "docs/a.md",
        "https://x/b",
        "#c",
    ]


def test_the_package_has_its_licence_and_project_urls() -> None:
    """Issue 13: the metadata says Apache-2.0, so the text ships (hatchling picks LICENSE up
    as a licence file), and the project's pages are named."""
    from hatchling.metadata.core import ProjectMetadata
    from hatchling.plugin.manager import PluginManager

    metadata = ProjectMetadata(str(ROOT), PluginManager())
    assert metadata.core.license_expression == "Apache-2.0"
    assert metadata.core.license_files == ["LICENSE"]
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    assert "END OF TERMS AND CONDITIONS" in licence
    urls = metadata.core.urls
    assert urls.get("Source") == PROJECT_URL
    assert urls.get("Homepage") == PROJECT_URL
    assert all(u.startswith(PROJECT_URL) for u in urls.values())


def test_sarif_and_the_docker_plugin_name_the_real_project() -> None:
    from tagguard import docker_plugin
    from tagguard.reporters import sarif

    assert sarif.HELP == PROJECT_URL
    assert docker_plugin.METADATA["URL"] == PROJECT_URL


# -- a plain clone ---------------------------------------------------------------------------


def test_a_plain_clone_collects_every_test(tmp_path: Path) -> None:
    """Issue 13: a clone from a public host, alone in its folder, collects without errors
    (it stopped on `test vectors not found`); `.ci/run` also runs its unit layer."""
    clone = tmp_path / "tagguard"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    subprocess.run(
        ["git", "-C", str(clone), "remote", "set-url", "origin", f"{PROJECT_URL}.git"], check=True
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tagguard"]
    # The clone's own sources, not this checkout's (the venv's editable install points here).
    env = {**environment(), "PYTHONPATH": str(clone / "src")}
    where = (
        "import tagguard, tests.conftest as c; print(tagguard.__file__, c.shared_dir().is_dir())"
    )
    found = subprocess.run(
        [sys.executable, "-c", where],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.split() == [str(clone / "src" / "tagguard" / "__init__.py"), "False"]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    assert re.search(r"^\d+ tests collected", done.stdout, re.M), done.stdout[-500:]


def test_ci_ends_with_the_plain_clone_step() -> None:
    steps = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    last = steps[steps.rindex("make test") :]
    for part in (
        'clone_parent="$(mktemp -d)"',
        'git clone --quiet . "$clone_parent/tagguard"',
        "remote set-url origin https://github.com/tagguard/tagguard.git",
        "unset TAGGUARD_SHARED",
        "pytest --collect-only -q",
        # on the newest Python besides python3, where there is one: one unit run for both
        'make --no-print-directory unit-python PYTHON="$clone_python"',
    ):
        assert part in last, part


def _block_with(piece: str) -> Block:
    return next(b for b in readme_blocks() if piece in b.text)


def test_the_configuration_example_is_read(tmp_path: Path) -> None:
    """The README's tagguard.toml, as `tagguard config` reads it."""
    example = _block_with("REPLICA_AUTH")
    (tmp_path / "tagguard.toml").write_text(example.text)
    done = shell("tagguard config lint", cwd=tmp_path, REPLICA_AUTH="u:p")
    assert done.returncode == 0, done.stderr
    assert "tagguard.toml" in done.stdout
    assert "json" in done.stdout  # [lint] format = "json"
    assert "u:p" not in done.stdout + done.stderr


def test_the_completion_lines_print_scripts() -> None:
    for command in commands_of(_block_with("tagguard completion fish").text):
        program = command.split("$(", 1)[-1].split(")", 1)[0].split(">", 1)[0].strip()
        done = shell(program)
        assert done.returncode == 0, (program, done.stderr)
        assert "_TAGGUARD_COMPLETE" in done.stdout, program
