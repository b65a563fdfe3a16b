"""The composition root: from one checked Options value to a finished check.

It is the one place that builds what a run talks to: the sources of rules and state (files
offline; the live Harbor of each registry otherwise), the HTTP session, the credentials, the
Harbor and registry clients, each handed the run's redactor. The commands (and through the
plan command the git hook) and the docker plugin enter `checked`; nothing else builds a client.

Where rules and state come from: with both --rules-file and --state-file, the files and no
network at all; otherwise the live Harbor of each reference's registry (either file may
still stand in for its half).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, TextIO

from tagguard.check import event_replication
from tagguard.core.reference import Reference
from tagguard.core.sanitize import Redactor
from tagguard.core.state import OfflineSources, RulesTable, Sources, StateTable
from tagguard.errors import InputError, RemoteError, StateError
from tagguard.options import Options
from tagguard.settings import shown

if TYPE_CHECKING:
    from tagguard.core.report import Report
    from tagguard.shell.harbor import HarborClient
    from tagguard.shell.http import Http

Check = Callable[[Sources, str | None], "Report"]


class Built(NamedTuple):
    """Where rules and state come from, and the HTTP session to close."""

    sources: Sources
    http: Http | None


@contextmanager
def checked(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    check: Check,
    *,
    redactor: Redactor,
    hosts: Sequence[str] = (),
) -> Iterator[Report]:
    """Builds the sources and runs the check: its report, not yet rendered, for the block
    to print (each command in its format, the docker plugin its own lines), the sources and
    the HTTP session held until the block ends: closing the pooled connections takes up to
    a millisecond that the verdict need not wait for. --on-error warn turns an unreadable
    registry into a warning (exit 0). The check asks its questions ahead itself
    (tagguard.check), before the modules that decide are imported."""
    built = build_sources(options, targets, others, redactor=redactor, hosts=hosts)
    try:
        yield _report(built.sources, options, check)
    finally:
        release(built)


def _report(sources: Sources, options: Options, check: Check) -> Report:
    try:
        report = check(sources, options.forced_glob)
        if options.replication_policies == "auto":
            event_replication(sources, options.forced_glob, report)
        # Answers asked for ahead and never read still had to arrive: fail closed.
        sources.settle()
    except (RemoteError, StateError) as error:
        if options.on_error != "warn":
            raise
        from tagguard.core.report import Notice, Report  # the deciding modules: tagguard.check

        report = Report()
        report.warn(
            Notice(
                "undecided",
                f"tagguard could not decide, and --on-error warn lets the step go on: {error.message}",
            )
        )
    return report


@contextmanager
def opened(
    options: Options,
    targets: Sequence[Reference],
    *,
    redactor: Redactor,
    need_state: bool = True,
) -> Iterator[Sources]:
    """The sources for `targets`, released when the block ends (explain's)."""
    built = build_sources(options, targets, [], redactor=redactor, need_state=need_state)
    try:
        yield built.sources
    finally:
        release(built)


def release(built: Built) -> None:
    """Stops what a live source still has in flight (after a failure), then the session."""
    built.sources.close()
    if built.http is not None:
        built.http.close()


def build_sources(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    *,
    redactor: Redactor,
    need_state: bool = True,
    hosts: Sequence[str] = (),
) -> Built:
    rules_table = state_table = None
    if options.rules_file or options.state_file:
        # The file readers, for the runs that name a file (a live run names none).
        from tagguard.shell.files import load_rules_file, load_state_file

        rules_table = load_rules_file(options.rules_file) if options.rules_file else None
        state_table = load_state_file(options.state_file) if options.state_file else None
    if rules_table is not None and (state_table is not None or not need_state):
        offline = OfflineSources(
            rules_table, state_table or StateTable({}), version=options.harbor_version
        )
        return Built(offline, None)
    return _live_sources(options, targets, others, rules_table, state_table, redactor, hosts)


def _live_sources(
    options: Options,
    targets: Sequence[Reference],
    others: Sequence[Reference],
    rules_table: RulesTable | None,
    state_table: StateTable | None,
    redactor: Redactor,
    extra_hosts: Sequence[str] = (),
) -> Built:
    # The live shell, imported only here: requests and its kin cost an offline run nothing.
    from tagguard.shell.credentials import build_store, environment
    from tagguard.shell.harbor import HarborClient
    from tagguard.shell.http import Http, TransportOptions
    from tagguard.shell.live import LiveSources
    from tagguard.shell.registry import RegistryClient

    hosts = sorted({t.registry for t in targets} | set(extra_hosts))
    urls = options.harbor_urls.for_hosts(hosts, plain_http=options.plain_http)
    password = read_password(options, sys.stdin)
    # Never printed, even if a registry echoes them (the store registers each credential it
    # hands out; these are registered even when no credential is made of them).
    redactor.keep(password)
    redactor.keep(os.environ.get("TAGGUARD_PASSWORD"))
    for credential in options.credentials.values():
        credential.hide_in(redactor)  # with its Basic header's base64, which holds it too
    store = build_store(
        username=options.username,
        password=password,
        env=environment(),
        home=Path.home(),
        hosts=hosts,
        per_host=options.credentials,
        redactor=redactor,
        spellings=_spellings([*targets, *others]),
    )
    verify: bool | str = options.ca_file if options.ca_file else not options.insecure
    transport = TransportOptions(
        timeout=options.timeout,
        deadline=options.deadline,
        verify=verify,
        pool_size=options.concurrency,
    )
    observe = request_log(sys.stderr, redactor) if options.verbose else None
    http = Http(transport, observe=observe, redactor=redactor)
    harbors = {host: HarborClient(http, urls[host], store.for_host(host)) for host in hosts}
    plain = frozenset(r.registry for r in others) if options.plain_http else frozenset()
    registry = RegistryClient(http, store, plain_http_hosts=plain, base_urls=dict(urls))

    def connect(host: str, url: str) -> HarborClient:
        # A Harbor met along the way (a replication's destination): --harbor-url HOST=URL
        # wins over the URL the policy gives; credentials come from the docker config.
        return HarborClient(http, options.harbor_urls.for_found(host, url), store.for_host(host))

    sources = LiveSources(
        harbors,
        registry,
        rules_table,
        state_table,
        connect=connect,
        concurrency=options.concurrency,
        version=options.harbor_version,
    )
    return Built(sources, http)


def _spellings(references: Sequence[Reference]) -> dict[str, set[str]]:
    """Each host as the references write it: docker asks its config under the host as
    written (`MyHost.io`), where tagguard holds it lower-cased (`myhost.io`)."""
    found: dict[str, set[str]] = {}
    for reference in references:
        found.setdefault(reference.registry, set()).add(reference.written_registry)
    return found


def request_log(
    stream: TextIO, redactor: Redactor
) -> Callable[[str, str, int | None, float], None]:
    """--verbose: one line per request attempt on `stream`, as it ends."""
    lock = threading.Lock()

    def log(method: str, url: str, status: int | None, seconds: float) -> None:
        answer = str(status) if status is not None else "no answer"
        with lock:  # worker threads log too: one whole line each
            stream.write(
                f"tagguard: {method} {shown('url', url, redactor)} -> {answer} ({seconds * 1000:.0f} ms)\n"
            )

    return log


def read_password(options: Options, stdin: TextIO) -> str | None:
    """--password-stdin's password: the first line of standard input (the pairing with
    --username was checked with the options)."""
    if not options.password_stdin:
        return None
    password = stdin.readline().rstrip("\r\n")
    if not password:
        raise InputError("--password-stdin: standard input held no password")
    return password
