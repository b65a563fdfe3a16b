"""tagguard's simulated plan verdicts against what the test Harbor really does.

For every ordered pair (A, B) of operation kinds a two-step release plan is checked with
`tagguard plan --format json` against the live test Harbor, then the same two operations
are executed for real, in order, through the server's registry and API routes, and each
verdict is held to the outcome:

* allow - the server accepts the write (2xx) and the tag (or artifact) ends up as written;
* block - the server refuses it (412) and nothing changes; for a copy or an artifact delete
          the whole transaction is gone (src/controller/artifact/controller.go `copyDeeply`,
          `deleteDeeply`);
* skip  - the tag already holds exactly that digest before the step (a re-push changes
          nothing; onto an immutable tag the server answers 412: pushmf.go refuses even
          the identical digest).

A push without a digest executes as the push of a fresh image tagguard was not told
about: what depends on its digest may then be blocked (fail closed) or stop the plan with
exit 2, but never allowed or skipped where the server refuses the write. The execution
helpers here are shared with test_plan_property.py and test_plan_replication.py.

A plan may also span a second Harbor (`Destination`, its projects disjoint from the
first's) and replicate into it: `replicate: {from, to}` executes as a copy of the source's
manifest and blobs and a PUT by tag on the target (crane copy), checked as a write;
`replicate: {policy, source}` executes as a real run of the source Harbor's policy
(`POST /api/v2.0/replication/executions`, tests/harbor_server/replication.py), each
verdict held to what happened to its destination reference (`check_policy_step`).
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from tests.e2e.conftest import Harbor
from tests.harbor_server.harbor import HarborState
from tests.harbor_server.images import (
    Image,
    cosign_tag,
    make_cosign_signature,
    make_image,
)
from tests.harbor_server.replication import NO_OVERRIDE, PUSHED, SAME

PUSH = "push"
PUSH_UNKNOWN = "push-unknown"  # a push whose digest the plan does not give
RETAG = "retag"
COPY = "copy"
DELETE_TAG = "delete-tag"
DELETE_BY_TAG = "delete-artifact-by-tag"
DELETE_BY_DIGEST = "delete-artifact-by-digest"
SIGN = "sign"
KINDS = (PUSH, PUSH_UNKNOWN, RETAG, COPY, DELETE_TAG, DELETE_BY_TAG, DELETE_BY_DIGEST, SIGN)
# The plan's two replicate forms: an explicit copy step (crane/skopeo copy), and a run of
# a push-based policy of the source Harbor into a destination Harbor.
REPLICATE_COPY = "replicate-copy"
REPLICATE_POLICY = "replicate-policy"
WRITES = (PUSH, PUSH_UNKNOWN, RETAG, SIGN, REPLICATE_COPY)
COPIED = (RETAG, REPLICATE_COPY)  # writes of whatever their source tag holds when they run

# Words tagguard's reasons use when a verdict rests on a digest it was not told
# (core/decide.py, core/operations.py): such a block may be stricter than Harbor.
UNKNOWN_WORDS = (
    "unknown digest",
    "cannot be known",
    "without the new image's digest",
    "without the new signature's digest",
)


@dataclass(frozen=True)
class Op:
    """One plan operation, as both the plan file and the real execution need it.

    `repo` is `project/repository`. Writes (push, unknown push, sign) put `image` under
    `tag`; a retag or an explicit replication writes under `tag` whatever `source` (a tag
    of `source_repo`, maybe in another Harbor) holds when it runs; a copy copies
    `repo:tag` into `dest`; deletes name `tag`, or `digest`. A policy run names its
    `policy` (of the Harbor holding `source_repo`); `repo:tag` is only what it is about."""

    kind: str
    repo: str
    tag: str | None = None
    image: Image | None = None
    source: str | None = None
    source_repo: str | None = None
    dest: str | None = None
    digest: str | None = None
    policy: int | None = None

    def describe(self) -> str:
        if self.kind in COPIED:
            return f"{self.kind} {self.source_repo}:{self.source} -> {self.repo}:{self.tag}"
        if self.kind == REPLICATE_POLICY:
            return f"replicate policy {self.policy} ({self.source_repo} -> {self.repo}:{self.tag})"
        if self.kind == COPY:
            return f"copy {self.repo}:{self.tag} -> {self.dest}"
        if self.kind == DELETE_BY_DIGEST:
            return f"delete {self.repo}@{(self.digest or '')[:19]}"
        shown = f" {self.image.digest[:19]}" if self.image is not None else ""
        return f"{self.kind} {self.repo}:{self.tag}{shown}"


def _q(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML flow scalar: ports' colons stay safe


@dataclass(frozen=True)
class Destination:
    """A second Harbor, and the replication executions the first one runs into it (the
    list tests/harbor_server/replication.py `install` returns)."""

    harbor: Harbor
    executions: list[dict[str, Any]]


@dataclass(frozen=True)
class Sites:
    """The Harbors a plan runs against; each answers for its own projects (disjoint)."""

    main: Harbor
    dest: Destination | None = None

    def __post_init__(self) -> None:
        if self.dest is not None:
            shared = set(self.main.state.projects) & set(self.dest.harbor.state.projects)
            assert not shared, f"projects in both Harbors: {sorted(shared)}"

    def of(self, repo: str) -> Harbor:
        project = repo.partition("/")[0]
        if self.dest is not None and project in self.dest.harbor.state.projects:
            return self.dest.harbor
        return self.main

    def ref(self, path: str) -> str:
        return self.of(path).ref(path)

    def snapshot(self) -> Snapshot:
        states = [self.main.state]
        if self.dest is not None:
            states.append(self.dest.harbor.state)
        return Snapshot.of(*states)


def plan_entry(sites: Sites, op: Op) -> str:
    """The operation as one line of a plan (a flow mapping), so its line is known."""
    ref = sites.ref(f"{op.repo}:{op.tag}") if op.tag is not None else ""
    if op.kind in (PUSH, SIGN):
        assert op.image is not None
        return f"{{push: {_q(ref)}, digest: {_q(op.image.digest)}}}"
    if op.kind == PUSH_UNKNOWN:
        return f"{{push: {_q(ref)}}}"
    if op.kind in COPIED:
        source = sites.ref(f"{op.source_repo}:{op.source}")
        word = "retag" if op.kind == RETAG else "replicate"
        return f"{{{word}: {{from: {_q(source)}, to: {_q(ref)}}}}}"
    if op.kind == REPLICATE_POLICY:
        holder = sites.of(op.source_repo or "").host
        return f"{{replicate: {{policy: {op.policy}, source: {_q(holder)}}}}}"
    if op.kind == COPY:
        assert op.dest is not None
        return f"{{copy: {{from: {_q(ref)}, to: {_q(sites.ref(op.dest))}}}}}"
    if op.kind == DELETE_TAG:
        return f"{{delete: {_q(ref)}}}"
    if op.kind == DELETE_BY_TAG:
        return f"{{delete: {_q(ref)}, artifact: true}}"
    assert op.kind == DELETE_BY_DIGEST
    assert op.digest is not None
    return f"{{delete: {_q(sites.ref(f'{op.repo}@{op.digest}'))}}}"


def write_plan(sites: Sites, ops: Sequence[Op], path: Path) -> None:
    """Operation i is declared on line i + 2."""
    lines = ["operations:", *(f"  - {plan_entry(sites, op)}" for op in ops)]
    path.write_text("\n".join(lines) + "\n")


# -- executing an operation for real ------------------------------------------------------


@dataclass
class Snapshot:
    """What the server's database holds: tags and artifacts per repository."""

    tags: dict[tuple[str, str], dict[str, str]]
    artifacts: dict[tuple[str, str], set[str]]

    @classmethod
    def of(cls, *states: HarborState) -> Snapshot:
        """Every Harbor's database in one (their projects are disjoint: see `Sites`)."""
        snapshot = cls({}, {})
        for state in states:
            with state.lock:
                snapshot.tags.update(
                    copy.deepcopy({k: dict(v) for k, v in state.tags.items() if v})
                )
                snapshot.artifacts.update({k: set(v) for k, v in state.artifacts.items() if v})
        return snapshot

    def tag(self, repo: str, tag: str | None) -> str | None:
        return self.tags.get(_key(repo), {}).get(tag or "")

    def has(self, repo: str, digest: str) -> bool:
        return digest in self.artifacts.get(_key(repo), set())


def _key(repo: str) -> tuple[str, str]:
    project, _, name = repo.partition("/")
    return (project, name)


def _api(harbor: Harbor, repo: str) -> str:
    project, _, name = repo.partition("/")
    return f"{harbor.url}/api/v2.0/projects/{project}/repositories/{quote(quote(name, safe=''), safe='')}"


@dataclass
class Images:
    """Every image a test made, by digest: a retag executes as the push of the image its
    source holds (what `crane tag` or `docker tag && docker push` do)."""

    known: dict[str, Image] = field(default_factory=dict)
    children: dict[str, tuple[Image, ...]] = field(default_factory=dict)

    def add(self, image: Image, children: tuple[Image, ...] = ()) -> Image:
        self.known[image.digest] = image
        if children:
            self.children[image.digest] = children
        for child in children:
            self.known[child.digest] = child
        return image


def push_whole(harbor: Harbor, images: Images, repo: str, tag: str, image: Image) -> int:
    """PUTs `image` by tag, its index children by digest first (never checked by Harbor)."""
    for child in images.children.get(image.digest, ()):
        answer = harbor.pusher.push(repo, child.digest, child)
        assert answer.status_code == 201, (answer.status_code, answer.text)
    return harbor.pusher.push(repo, tag, image).status_code


def execute(sites: Sites, images: Images, op: Op) -> int:
    """Runs the operation against the servers as a pipeline would; returns the HTTP status
    (a policy run: that of `POST /replication/executions`, which answers once it is done)."""
    harbor = sites.of(op.repo)
    session = requests.Session()
    session.auth = harbor.pusher.auth  # each Harbor its own admin
    if op.kind in WRITES and op.kind not in COPIED:
        assert op.image is not None
        assert op.tag is not None
        return push_whole(harbor, images, op.repo, op.tag, op.image)
    if op.kind in COPIED:
        # crane copy / docker tag && docker push: the source's manifest and blobs, read
        # from wherever the source is, then a PUT by tag on the target.
        assert op.source_repo is not None
        assert op.tag is not None
        digest = sites.snapshot().tag(op.source_repo, op.source)
        if digest is None:
            return 404  # the manifest GET of the source answers MANIFEST_UNKNOWN
        return push_whole(harbor, images, op.repo, op.tag, images.known[digest])
    if op.kind == REPLICATE_POLICY:
        holder = sites.of(op.source_repo or "")
        return requests.post(
            f"{holder.url}/api/v2.0/replication/executions",
            json={"policy_id": op.policy},
            auth=holder.pusher.auth,
            timeout=60,
        ).status_code
    if op.kind == COPY:
        assert op.dest is not None
        return session.post(
            f"{_api(harbor, op.dest)}/artifacts", params={"from": f"{op.repo}:{op.tag}"}, timeout=10
        ).status_code
    if op.kind == DELETE_TAG:
        return session.delete(
            f"{_api(harbor, op.repo)}/artifacts/{op.tag}/tags/{op.tag}", timeout=10
        ).status_code
    if op.kind == DELETE_BY_TAG:
        return session.delete(f"{_api(harbor, op.repo)}/artifacts/{op.tag}", timeout=10).status_code
    # By digest through the registry, as `crane delete` and `regctl manifest rm` do.
    return session.delete(
        f"{harbor.url}/v2/{op.repo}/manifests/{op.digest}", timeout=10
    ).status_code


# -- holding verdicts to outcomes ---------------------------------------------------------


def excused(decision: dict[str, Any]) -> bool:
    """A block that rests on a digest tagguard was not told (it may be stricter)."""
    return any(word in decision["reason"] for word in UNKNOWN_WORDS)


def written_digest(op: Op, before: Snapshot) -> str | None:
    if op.kind in COPIED:
        return before.tag(op.source_repo or "", op.source)
    return op.image.digest if op.image is not None else None


def check_step(
    op: Op,
    decisions: list[dict[str, Any]],
    status: int,
    before: Snapshot,
    after: Snapshot,
    immutable: bool,
) -> list[str]:
    """What is wrong with these verdicts for what the server did ([] when all hold).
    `immutable` is whether the server locks the step's tag (its rules, Harbor's matcher)."""
    problems: list[str] = []

    def fail(message: str) -> None:
        problems.append(
            f"{op.describe()}: {message} (server {status}; verdicts {_brief(decisions)})"
        )

    if not decisions:
        fail("no verdict for the operation")
        return problems
    verdicts = [d["decision"] for d in decisions]
    accepted = 200 <= status < 300
    if op.kind == COPY:
        _check_copy(op, decisions, status, before, after, fail)
        return problems
    if len(decisions) != 1:
        fail("one verdict expected")
        return problems
    decision, verdict = decisions[0], verdicts[0]
    if op.kind in WRITES:
        new = written_digest(op, before)
        if verdict == "allow" and not (accepted and after.tag(op.repo, op.tag) == new):
            fail("allowed, but the server did not write the tag")
        if verdict == "skip":
            if before.tag(op.repo, op.tag) != new:
                fail("skipped, but the tag did not hold that digest")
            if status != (412 if immutable else 201):
                fail(f"skipped, and the re-push answered {status} (tag immutable: {immutable})")
        if verdict == "block":
            if accepted and not excused(decision):
                fail("blocked, but the server accepted the write")
            if not accepted and after.tags != before.tags:
                fail("refused, yet tags changed")
        return problems
    if op.kind == DELETE_TAG:
        gone = after.tag(op.repo, op.tag) is None
        absent = before.tag(op.repo, op.tag) is None
        if verdict == "allow" and not ((accepted and gone) or (status == 404 and absent)):
            fail("allowed, but the tag was not deleted")
        if verdict == "block" and (accepted or after.tags != before.tags):
            fail("blocked, but the server deleted the tag")
        if verdict == "skip":
            fail("a delete is never skipped")
        return problems
    # a whole artifact, by tag or by digest
    digest = op.digest if op.kind == DELETE_BY_DIGEST else before.tag(op.repo, op.tag)
    absent = digest is None or not before.has(op.repo, digest)
    if verdict == "allow" and not (
        (accepted and digest and not after.has(op.repo, digest)) or (status == 404 and absent)
    ):
        fail("allowed, but the server did not delete the artifact")
    if verdict == "block":
        if accepted and not excused(decision):
            fail("blocked, but the server deleted the artifact")
        if not accepted and (after.tags != before.tags or after.artifacts != before.artifacts):
            fail("refused, yet the state changed")
    if verdict == "skip":
        fail("a delete is never skipped")
    return problems


def _check_copy(
    op: Op,
    decisions: list[dict[str, Any]],
    status: int,
    before: Snapshot,
    after: Snapshot,
    fail: Any,
) -> None:
    """A copy is one transaction: one block means the server refuses all of it."""
    assert op.dest is not None
    accepted = 200 <= status < 300
    blocks = [d for d in decisions if d["decision"] == "block"]
    copied = before.tag(op.repo, op.tag)
    if blocks:
        if accepted and not all(excused(d) for d in blocks):
            fail("blocked, but the server copied")
        if not accepted and (after.tags != before.tags or after.artifacts != before.artifacts):
            fail("refused, yet the state changed")
        return
    if not accepted:
        fail("allowed, but the server refused the copy")
        return
    dest = _key(op.dest)
    changed = {
        t for t, d in after.tags.get(dest, {}).items() if before.tags.get(dest, {}).get(t) != d
    }
    reported = {d["tag"] for d in decisions}
    if changed - reported:
        fail(f"the copy wrote tags no verdict names: {sorted(changed - reported)}")
    for d in decisions:
        if d["tag"] is None:
            continue
        now = after.tag(op.dest, d["tag"])
        if now is None:
            fail(f"{d['decision']} for tag {d['tag']}, which the copy left missing")
        if d["decision"] == "skip" and before.tag(op.dest, d["tag"]) != now:
            fail(f"skipped tag {d['tag']}, but the copy changed it")
        if d["tag"] == op.tag and now != copied:
            fail(f"tag {d['tag']} is not on the copied artifact")


def _brief(decisions: list[dict[str, Any]]) -> str:
    return ", ".join(f"{d.get('tag')}={d['decision']}" for d in decisions) or "none"


def _reference_of(write: dict[str, Any]) -> str:
    separator = "@" if write["reference"].startswith("sha256:") else ":"
    return f"{write['repository']}{separator}{write['reference']}"


def _held(snapshot: Snapshot, reference: str) -> str | None:
    """What a destination reference names in `snapshot` (a digest: itself, if held)."""
    if "@" in reference:
        repo, _, digest = reference.partition("@")
        return digest if snapshot.has(repo, digest) else None
    repo, _, tag = reference.rpartition(":")
    return snapshot.tag(repo, tag)


def check_policy_step(
    op: Op,
    decisions: list[dict[str, Any]],
    execution: dict[str, Any] | None,
    stale: str,
    before: Snapshot,
    after: Snapshot,
) -> list[str]:
    """What is wrong with a policy run's verdicts for what the run did ([] when all
    hold), as tests/e2e/test_replication.py holds them: per destination reference, in
    order, allow -> pushed (and the reference holds the pushed digest), skip -> skipped
    as the same digest or, with override false, kept with a `replication-stale` warning
    naming it (`stale`: every such warning's text) and unchanged, block -> the PUT
    answered 412 PRECONDITION and nothing changed; and no write that no verdict names."""
    problems: list[str] = []

    def fail(message: str) -> None:
        problems.append(f"{op.describe()}: {message} (verdicts {_brief(decisions)})")

    if execution is None:
        fail("the server did not run the policy")
        return problems
    decided: dict[str, list[dict[str, Any]]] = {}
    for decision in decisions:
        decided.setdefault(decision["reference"].split("/", 1)[1], []).append(decision)
    happened: dict[str, list[dict[str, Any]]] = {}
    for write in execution["writes"]:
        happened.setdefault(_reference_of(write), []).append(write)
    counts = {r: len(v) for r, v in decided.items()}
    if counts != {r: len(v) for r, v in happened.items()}:
        wrote = {r: [w["outcome"] for w in v] for r, v in happened.items()}
        fail(f"the verdicts name {counts}, the run wrote {wrote}")
        return problems
    for reference, verdicts in decided.items():
        writes = happened[reference]
        for number, (decision, write) in enumerate(zip(verdicts, writes, strict=True), 1):
            last = number == len(writes)
            problems += _policy_write(op, reference, decision, write, stale, last, before, after)
    return problems


def _policy_write(
    op: Op,
    reference: str,
    decision: dict[str, Any],
    write: dict[str, Any],
    stale: str,
    last: bool,
    before: Snapshot,
    after: Snapshot,
) -> list[str]:
    verdict, outcome = decision["decision"], write["outcome"]
    where = f"{op.describe()}: {reference} {verdict}, the run answered {outcome!r}"
    unchanged = _held(after, reference) == _held(before, reference)
    if verdict == "allow":
        if outcome != PUSHED:
            return [f"{where}: allowed, but the destination did not take it"]
        if last and _held(after, reference) != write["digest"]:
            return [f"{where}: allowed, but the reference does not hold the pushed digest"]
        return []
    if verdict == "skip":
        if outcome not in (SAME, NO_OVERRIDE):
            return [f"{where}: skipped, but the run wrote it or failed"]
        if outcome == NO_OVERRIDE and decision["reference"] not in stale:
            return [f"{where}: kept without override, but no replication-stale warning names it"]
        if last and not unchanged:
            return [f"{where}: skipped, but the reference changed"]
        return []
    if outcome.startswith("failed: 412 PRECONDITION"):
        return [] if not last or unchanged else [f"{where}: refused, yet the reference changed"]
    if outcome == PUSHED and excused(decision):
        return []
    return [f"{where}: blocked, but the destination did not refuse it"]


@dataclass
class Outcome:
    code: int
    err: str
    statuses: list[int]
    problems: list[str]
    verdicts: list[list[str]] = field(default_factory=list)  # per step, in order


def run_and_execute(
    harbor: Harbor,
    images: Images,
    ops: Sequence[Op],
    plan: Path,
    dest: Destination | None = None,
) -> Outcome:
    """Checks the plan with tagguard, then executes it for real, step by step; returns
    every verdict that the server's behaviour contradicts. Operations on the projects of
    `dest` run on that second Harbor."""
    sites = Sites(harbor, dest)
    write_plan(sites, ops, plan)
    run = harbor.tagguard("plan", str(plan), "--format", "json")
    problems: list[str] = []
    by_line: dict[int, list[dict[str, Any]]] = {}
    if run.code in (0, 1):
        for decision in run.json["decisions"]:
            by_line.setdefault(decision["source"]["line"], []).append(decision)
    elif run.code != 2:
        problems.append(f"tagguard exited {run.code}: {run.err.strip()}")
    statuses = []
    for index, op in enumerate(ops):
        before = sites.snapshot()
        runs = len(dest.executions) if dest is not None else 0
        status = execute(sites, images, op)
        statuses.append(status)
        after = sites.snapshot()
        if run.code == 2:
            continue
        decisions = by_line.get(index + 2, [])
        if op.kind == REPLICATE_POLICY:
            assert dest is not None
            started = status == 201 and len(dest.executions) == runs + 1
            execution = dest.executions[-1] if started else None
            stale = " ".join(
                w["message"] for w in run.json["warnings"] if w["code"] == "replication-stale"
            )
            problems += check_policy_step(op, decisions, execution, stale, before, after)
            continue
        tag = op.tag
        if op.kind == DELETE_BY_DIGEST:
            tag = None
        project, _, name = op.repo.partition("/")
        state = sites.of(op.repo).state
        immutable = tag is not None and state.immutable(project, name, tag)
        problems += check_step(op, decisions, status, before, after, immutable)
    if run.code == 2:
        unknown = any(op.kind == PUSH_UNKNOWN for op in ops)
        failed = any(not 200 <= s < 300 and s != 412 for s in statuses)
        if not (unknown or failed):
            problems.append(
                f"tagguard stopped with exit 2 ({run.err.strip()}) although every step "
                f"runs on the server (statuses {statuses})"
            )
        if len(run.err.strip().splitlines()) != 1:
            problems.append(f"exit 2 without a one-line error: {run.err!r}")
    verdicts = [[d["decision"] for d in by_line.get(i + 2, [])] for i in range(len(ops))]
    return Outcome(run.code, run.err, statuses, problems, verdicts)


# -- the matrix ---------------------------------------------------------------------------

X = make_image("matrix-x")  # proj/app: v1 (immutable), edge (mutable)
Y = make_image("matrix-y")  # proj/app: latest (mutable)
W = make_image("matrix-w")  # other/app: v1 (immutable), edge (mutable)
NEW_A = make_image("matrix-new-a")
NEW_B = make_image("matrix-new-b")
START = {"v1": X, "latest": Y}
# The tag both operations touch: immutable and existing, mutable and existing, and new
# (immutable once written, by rule `v*`).
FOCUS = ("v1", "latest", "v2")


def set_up(harbor: Harbor, images: Images) -> None:
    """Rules: `v*` in both projects, and `sha256-*` in proj, so cosign signature tags are
    immutable there (a second signature is refused, harbor#17332, and so is deleting a
    signed image: deleteDeeply meets the signature's tag)."""
    harbor.rule("proj", tag="v*")
    harbor.rule("proj", tag="sha256-*")
    harbor.rule("other", tag="v*")
    for path, image in (
        ("proj/app:v1", X),
        ("proj/app:edge", X),
        ("proj/app:latest", Y),
        ("other/app:v1", W),
        ("other/app:edge", W),
    ):
        harbor.push(path, images.add(image))


def written_by(op: Op) -> Image | None:
    """The image an operation writes under the focus tag (a retag: its source's, at start)."""
    if op.kind in (PUSH, PUSH_UNKNOWN):
        return op.image
    if op.kind == RETAG:
        return START.get(op.source or "")
    return None


def make_op(kind: str, focus: str, first: Op | None, images: Images) -> Op:
    """The operation `kind` on the focus tag; as the second step (`first` given) it takes
    the image the first step writes there, so that its verdict depends on the first."""
    repo = "proj/app"
    earlier = written_by(first) if first is not None else None
    start = START.get(focus)
    if kind == PUSH:
        image = earlier or start or (NEW_B if first else NEW_A)
        return Op(PUSH, repo, focus, images.add(image))
    if kind == PUSH_UNKNOWN:
        return Op(PUSH_UNKNOWN, repo, focus, images.add(make_image()))
    if kind == RETAG:
        return Op(
            RETAG, repo, focus, source="edge" if focus == "latest" else "latest", source_repo=repo
        )
    if kind == COPY:
        return Op(COPY, repo, focus, dest="other/app")
    if kind == DELETE_TAG:
        return Op(DELETE_TAG, repo, focus)
    if kind == DELETE_BY_TAG:
        return Op(DELETE_BY_TAG, repo, focus)
    subject = earlier or start or Y
    if kind == DELETE_BY_DIGEST:
        return Op(DELETE_BY_DIGEST, repo, digest=subject.digest)
    signature = make_cosign_signature(subject.digest, seed="second" if first else "first")
    return Op(SIGN, repo, cosign_tag(subject.digest), images.add(signature))


def _cases() -> Iterator[Any]:
    for focus, (a, b) in itertools.product(FOCUS, itertools.product(KINDS, KINDS)):
        yield pytest.param(focus, a, b, id=f"{focus}:{a}>{b}")


@pytest.mark.parametrize(("focus", "first", "second"), list(_cases()))
def test_pair_verdicts_match_the_server(
    harbor: Harbor, tmp_path: Path, focus: str, first: str, second: str
) -> None:
    images = Images()
    set_up(harbor, images)
    a = make_op(first, focus, None, images)
    b = make_op(second, focus, a, images)
    outcome = run_and_execute(harbor, images, [a, b], tmp_path / "plan.yml")
    assert outcome.problems == []


def test_a_delete_by_digest_after_a_push_without_digest_is_not_allowed(
    harbor: Harbor, tmp_path: Path
) -> None:
    """The matrix's counterexample, alone. The first step pushes an image tagguard was not
    told the digest of under `v2` (immutable by `v*` once it exists); the second deletes
    that image by its digest. Harbor's `deleteDeeply` (src/controller/artifact/controller.go)
    deletes the artifact's tags through the tag controller's `Delete`
    (src/controller/tag/controller.go), which refuses the immutable `v2`: 412. tagguard must
    not answer allow ("the artifact does not exist"): the digest may be the one the earlier
    push wrote, which it cannot rule out, so it must block or stop (exit 2)."""
    images = Images()
    set_up(harbor, images)
    fresh = images.add(make_image())
    ops = [
        Op(PUSH_UNKNOWN, "proj/app", "v2", fresh),
        Op(DELETE_BY_DIGEST, "proj/app", digest=fresh.digest),
    ]
    outcome = run_and_execute(harbor, images, ops, tmp_path / "plan.yml")
    assert outcome.statuses == [201, 412]
    assert outcome.problems == []


# -- the checker itself: it must catch a verdict the server contradicts --------------------


def _snapshot(tags: dict[str, str], artifacts: set[str]) -> Snapshot:
    return Snapshot({("proj", "app"): dict(tags)}, {("proj", "app"): set(artifacts)})


def _decision(verdict: str, tag: str | None, reason: str = "") -> dict[str, Any]:
    return {"decision": verdict, "tag": tag, "reason": reason}


def test_the_checker_catches_verdicts_the_server_contradicts() -> None:
    push = Op(PUSH, "proj/app", "v1", NEW_A)
    same = _snapshot({"v1": X.digest}, {X.digest})
    moved = _snapshot({"v1": NEW_A.digest}, {X.digest, NEW_A.digest})
    # allow, but 412
    assert check_step(push, [_decision("allow", "v1")], 412, same, same, True)
    # skip, but the tag held another digest
    assert check_step(push, [_decision("skip", "v1")], 412, same, same, True)
    # block, but the server moved the tag
    assert check_step(push, [_decision("block", "v1")], 201, same, moved, False)
    # ... unless the block rests on an unknown digest (fail closed)
    assert not check_step(
        push, [_decision("block", "v1", "the unknown digest of x")], 201, same, moved, False
    )
    assert not check_step(push, [_decision("allow", "v1")], 201, same, moved, False)
    assert not check_step(push, [_decision("block", "v1")], 412, same, same, True)
    # an artifact delete allowed, but refused; blocked, but deleted
    delete = Op(DELETE_BY_DIGEST, "proj/app", digest=X.digest)
    gone = _snapshot({}, set())
    assert check_step(delete, [_decision("allow", None)], 412, same, same, True)
    assert check_step(delete, [_decision("block", None)], 202, same, gone, False)
    assert not check_step(delete, [_decision("allow", None)], 202, same, gone, False)
    # a copy allowed but refused, and one that wrote a tag no verdict names
    copy_op = Op(COPY, "proj/app", "v1", dest="other/app")
    source = Snapshot(
        {("proj", "app"): {"v1": X.digest, "edge": X.digest}}, {("proj", "app"): {X.digest}}
    )
    copied = Snapshot(
        {**source.tags, ("other", "app"): {"v1": X.digest, "edge": X.digest}},
        {**source.artifacts, ("other", "app"): {X.digest}},
    )
    assert check_step(copy_op, [_decision("allow", "v1")], 412, source, source, False)
    assert check_step(copy_op, [_decision("allow", "v1")], 201, source, copied, False)
    assert not check_step(
        copy_op, [_decision("allow", "v1"), _decision("allow", "edge")], 201, source, copied, False
    )
