"""The test Harbor by hand, to try tagguard against a live Harbor without one:

    python -m tests.harbor_server [--rule PROJECT:TAGS]... [--push PROJECT/REPO:TAG]...

Starts a CNCF distribution registry (`docker-registry`) and the Harbor-compatible test
server in front of it, on loopback over plain HTTP, with the users and projects every e2e
test starts with (tests/e2e/conftest.py); adds an immutability rule over every repository
of PROJECT for the tags matching the doublestar pattern TAGS for each --rule, pushes a new
image under each --push tag, prints how to point tagguard at it, and serves until
interrupted (Ctrl-C), when it stops the registry too. Exit 1 if a push is refused, 2 on a
bad argument.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from tests.builders import rule_json
from tests.harbor_server.harbor import running_harbor
from tests.harbor_server.images import Pusher, make_image
from tests.harbor_server.registry import running_registry
from tests.harbor_server.users import ADMIN, DEVELOPER, ROBOT, harbor_state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.harbor_server", description=__doc__.splitlines()[0].rstrip(":")
    )
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="PROJECT:TAGS",
        help="an immutability rule: tags matching TAGS in every repository of PROJECT",
    )
    parser.add_argument(
        "--push",
        action="append",
        default=[],
        metavar="PROJECT/REPO:TAG",
        help="push a new image under this tag, as admin",
    )
    args = parser.parse_args(argv)
    state = harbor_state()
    for text in args.rule:
        project, sep, tags = text.partition(":")
        if not sep or not tags or project not in state.projects:
            parser.error(
                f"--rule {text}: write PROJECT:TAGS, PROJECT one of {', '.join(state.projects)}"
            )
        rule = rule_json(0, "**", tags)
        rule.pop("id")
        state.add_rule(project, rule)
    for path in args.push:
        if path.rpartition(":")[1] != ":" or path.split("/", 1)[0] not in state.projects:
            parser.error(
                f"--push {path}: write PROJECT/REPO:TAG, PROJECT one of {', '.join(state.projects)}"
            )
    # Ctrl-C, and a terminating signal, end the serving, so the registry is stopped too.
    # SIGINT is set as well: a process started from a script's background inherits it
    # ignored (the shell does that when job control is off), and Python then leaves it so.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with running_registry() as registry, running_harbor(registry.url, state) as (url, _):
            return _serve(url, args.push)
    except KeyboardInterrupt:
        return 0


def _serve(url: str, pushes: list[str]) -> int:
    host = url.split("://", 1)[1]
    pusher = Pusher(url, ADMIN)
    digest = None
    for path in pushes:
        repository, _, tag = path.rpartition(":")
        image = make_image()
        answer = pusher.push(repository, tag, image)
        if answer.status_code != 201:
            print(f"pushing {path}: {answer.status_code} {answer.text.strip()}", file=sys.stderr)
            return 1
        digest = image.digest
        print(f"pushed {host}/{path} {image.digest}", flush=True)
    users = ", ".join(f"{user} / {password}" for user, password in (ADMIN, DEVELOPER, ROBOT))
    example = f"{host}/{pushes[0]}" if pushes else f"{host}/proj/app:v1"
    print(
        f"test Harbor at {url} (plain HTTP), users {users}, projects proj, other and 123\n"
        "try:\n"
        f"  export TAGGUARD_USERNAME={ADMIN[0]} TAGGUARD_PASSWORD={ADMIN[1]}\n"
        f"  tagguard push {example} --digest {digest or 'sha256:' + 'a' * 64} --plain-http\n"
        "Ctrl-C stops it.",
        flush=True,
    )
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    raise SystemExit(main())
