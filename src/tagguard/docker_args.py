"""docker's command line, read as docker reads it, for the `docker tagguard` plugin.

Pure: no process, file or environment. `parse(argv)` takes the plugin's whole argv (without the
program name) and says what it asks for: which images a command writes, and the docker command
to run once they are allowed.

How docker calls a CLI plugin (docker/cli `cli-plugins/manager/manager.go`, PluginRunCommand):
with docker's own original arguments, `os.Args[1:]`, "because they lack e.g. global options
which we must propagate": `docker-tagguard [GLOBAL FLAGS] tagguard ARGS...`. `docker help
tagguard` runs `docker-tagguard help tagguard` (cmd/docker/docker.go, tryRunPluginHelp);
completion runs `docker-tagguard __complete tagguard ARGS...` (manager/cobra.go); listing the
plugins runs `docker-tagguard docker-cli-plugin-metadata`. docker's global flags end at the
first word that is not a flag (cli/cobra.go, HandleGlobalFlags: `SetInterspersed(false)`).
A management command (`image`, `manifest`, `builder`, `trust`, `plugin`) takes `--help`/`-h` before its
subcommand (cobra's Command.Traverse): `docker image --help=false push X` pushes X.

Flags are read as spf13/pflag reads them (`flag.go`, parseLongArg/parseSingleShortArg):
`--name=value`, `--name value`, `-n value`, `-nvalue`, `-n=value`, grouped booleans `-aq`,
`--bool=false`, and `--` ending the flags. Which flags take a value is each command's own
table, copied below from the command's source; a flag not in the table is refused, since
guessing whether it takes a value could hide an image name.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum

from tagguard.core.record import field, record
from tagguard.errors import InputError

PLUGIN = "tagguard"
METADATA = "docker-cli-plugin-metadata"
# tagguard's own option on a docker command line: namespaced, so it can never be a docker flag.
DIGEST_OPTION = "tagguard-digest"
_COMPLETE = frozenset({"__complete", "__completeNoDesc"})  # cobra.ShellCompRequestCmd
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})  # Go strconv.ParseBool
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})


@record
class Grammar:
    """One command's flags: every spelling (`--tag`, `-t`) to its long name, and which
    long names take a value."""

    names: Mapping[str, str]
    valued: frozenset[str]
    interspersed: bool = True  # pflag's default; docker's root and `tag` turn it off


def _grammar(valued: str, boolean: str, *, interspersed: bool = True) -> Grammar:
    """`valued`/`boolean`: space-separated `long` or `long/x` (x its one-letter form)."""
    names: dict[str, str] = {}
    takes_value: set[str] = set()
    for spec, has_value in ((valued, True), (boolean, False)):
        for entry in spec.split():
            long, _, short = entry.partition("/")
            names[f"--{long}"] = long
            if short:
                names[f"-{short}"] = long
            if has_value:
                takes_value.add(long)
    return Grammar(names, frozenset(takes_value), interspersed)


# docker/cli cli/flags/options.go (ClientOptions.InstallFlags), cmd/docker/docker.go (-v) and
# cli/cobra.go (-h); flags.SetInterspersed(false) in cli/cobra.go.
DOCKER_GLOBALS = _grammar(
    "config log-level/l tlscacert tlscert tlskey host/H context/c",
    "debug/D tls tlsverify help/h version/v",
    interspersed=False,
)
# docker/cli cli/cobra.go (setupCommonRootCommand): --help/-h is the root's one persistent flag,
# so a management command (`docker image`, ...) takes it before its subcommand: cobra's
# Command.Traverse (TraverseChildren on docker's root, cmd/docker/docker.go) parses it there,
# and the subcommand shares the same flag, so the last value given wins.
MANAGEMENT = _grammar("", "help/h", interspersed=False)
_MANAGEMENT_HEADS = frozenset({"image", "builder", "manifest", "trust", "plugin"})
# The plugin's own options, before its command: `docker tagguard --tagguard-digest D push X`.
PLUGIN_OPTIONS = _grammar(DIGEST_OPTION, "help/h", interspersed=False)
# docker/cli cli/command/image/push.go (newPushCommand).
PUSH = _grammar(f"platform {DIGEST_OPTION}", "all-tags/a quiet/q disable-content-trust help/h")
# docker/cli cli/command/image/tag.go (newTagCommand): no flags, SetInterspersed(false).
TAG = _grammar(DIGEST_OPTION, "help/h", interspersed=False)
# docker/buildx commands/root.go (rootFlags): persistent, so also accepted after `build`.
BUILDX_ROOT = _grammar("builder", "debug/D help/h", interspersed=False)
# docker/buildx commands/build.go (buildCmd, commonBuildFlags; hidden legacy flags included),
# with docker/cli cli/command/image/build.go's legacy-only --disable-content-trust: `docker
# build` goes to buildx when it is installed (cmd/docker/builder.go, processBuilder).
BUILD = _grammar(
    "add-host allow annotation build-arg cache-from cache-to cgroup-parent build-context "
    "file/f iidfile label network no-cache-filter output/o platform policy secret shm-size "
    "ssh tag/t target ulimit resource attest sbom provenance call print memory/m memory-swap "
    "cpu-shares/c cpu-period cpu-quota cpuset-cpus cpuset-mems isolation security-opt "
    f"progress metadata-file builder {DIGEST_OPTION}",
    # --check has NoOptDefVal "true": given alone, like a boolean.
    "load push quiet/q check compress squash rm force-rm no-cache pull debug/D help/h "
    "disable-content-trust",
)
# docker/cli cli/command/manifest/push.go (newPushListCommand).
MANIFEST_PUSH = _grammar(DIGEST_OPTION, "purge/p insecure help/h")
# docker/cli cli/command/plugin/push.go (newPushCommand): AddTrustSigningFlags only.
PLUGIN_PUSH = _grammar(DIGEST_OPTION, "disable-content-trust help/h")
# docker/buildx commands/bake.go (bakeCmd, commonBuildFlags), with the root's persistent flags.
BAKE = _grammar(
    "file/f sbom provenance policy set var call allow list progress metadata-file builder",
    # --check has NoOptDefVal "true": given alone, like a boolean.
    "load push check print list-targets list-variables no-cache pull debug/D help/h",
)
# docker/buildx commands/imagetools/create.go (createCmd), with the root's persistent flags.
IMAGETOOLS_CREATE = _grammar(
    f"file/f tag/t progress annotation platform/p metadata-file builder {DIGEST_OPTION}",
    "dry-run append prefer-index debug/D help/h",
)


@record
class Option:
    name: str  # the long name
    value: str | None  # None: a boolean given without `=value`
    span: tuple[int, int]  # the arguments it was written in, [start, end)

    @property
    def on(self) -> bool:
        """A boolean's state (`--push`, `--push=true`; not `--push=false`)."""
        return self.value is None or self.value in _TRUE

    def canonical(self) -> str:
        """One argument docker reads as this option: `--name` or `--name=value`."""
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


@record
class Flags:
    options: tuple[Option, ...]
    operands: tuple[str, ...]
    rest: int  # non-interspersed: the index of the first operand (len(args) if none)

    def given(self, name: str) -> list[Option]:
        return [o for o in self.options if o.name == name]

    def value(self, name: str) -> str | None:
        found = [o.value for o in self.given(name)]
        return found[-1] if found else None  # a repeated string flag keeps the last

    def on(self, name: str) -> bool:
        found = self.given(name)
        return bool(found) and found[-1].on


def parse_flags(args: Sequence[str], grammar: Grammar, where: str) -> Flags:
    """Reads `args` as pflag does; `where` names the command in errors."""
    options: list[Option] = []
    operands: list[str] = []
    i, n = 0, len(args)
    while i < n:
        arg = args[i]
        if arg == "--":
            operands.extend(args[i + 1 :])
            return Flags(tuple(options), tuple(operands), i + 1)
        if not arg.startswith("-") or arg == "-":
            if not grammar.interspersed:
                return Flags(tuple(options), (*operands, *args[i:]), i)
            operands.append(arg)
            i += 1
            continue
        found, i = (_long if arg.startswith("--") else _short)(args, i, grammar, where)
        options.extend(found)
    return Flags(tuple(options), tuple(operands), n)


def _long(args: Sequence[str], i: int, grammar: Grammar, where: str) -> tuple[list[Option], int]:
    spelled, eq, value = args[i][2:].partition("=")
    name = grammar.names.get(f"--{spelled}")
    if name is None:
        raise InputError(f"{where}: unknown flag --{spelled}{_unknown_hint()}")
    if name in grammar.valued:
        if eq:
            return [Option(name, value, (i, i + 1))], i + 1
        if i + 1 >= len(args):
            raise InputError(f"{where}: flag needs an argument: --{spelled}")
        return [Option(name, args[i + 1], (i, i + 2))], i + 2
    if eq:
        return [Option(name, _boolean(value, f"--{spelled}", where), (i, i + 1))], i + 1
    return [Option(name, None, (i, i + 1))], i + 1


def _short(args: Sequence[str], i: int, grammar: Grammar, where: str) -> tuple[list[Option], int]:
    letters = args[i][1:]
    found: list[Option] = []
    j = 0
    while j < len(letters):
        letter, rest = letters[j], letters[j + 1 :]
        name = grammar.names.get(f"-{letter}")
        if name is None:
            raise InputError(
                f"{where}: unknown shorthand flag {letter!r} in {args[i]}{_unknown_hint()}"
            )
        # pflag: `-x=value` for any flag; a valued flag takes the rest, else the next argument.
        explicit = rest[1:] if len(rest) > 1 and rest[0] == "=" else None
        if name in grammar.valued:
            if explicit is not None or rest:
                found.append(Option(name, explicit if explicit is not None else rest, (i, i + 1)))
                return found, i + 1
            if i + 1 >= len(args):
                raise InputError(f"{where}: flag needs an argument: -{letter}")
            found.append(Option(name, args[i + 1], (i, i + 2)))
            return found, i + 2
        if explicit is not None:
            found.append(Option(name, _boolean(explicit, f"-{letter}", where), (i, i + 1)))
            return found, i + 1
        found.append(Option(name, None, (i, i + 1)))
        j += 1
    return found, i + 1


def _boolean(value: str, flag: str, where: str) -> str:
    if value not in _TRUE | _FALSE:
        raise InputError(f'{where}: invalid argument "{value}" for "{flag}" flag: not a boolean')
    return value


def _unknown_hint() -> str:
    return (
        " (docker tagguard reads each docker option it passes on, to be sure which arguments "
        "are images; run the command with plain docker if tagguard does not know the option)"
    )


# -- what the command line asks for ------------------------------------------------------------


class Kind(StrEnum):
    METADATA = "metadata"  # docker asks what the plugin is
    HELP = "help"  # the plugin's own help
    COMPLETE = "complete"  # shell completion
    PASS = "pass"  # a command that writes no tag: handed to docker as it is
    PUSH = "push"  # docker push / image push: each image checked, then pushed one by one
    TAG = "tag"  # docker tag / image tag SOURCE TARGET: TARGET checked with SOURCE's image
    WRITE = "write"  # a build or imagetools create pushing one new image to every tag


@record
class Invocation:
    kind: Kind
    docker_globals: tuple[str, ...] = ()  # as given: handed on to every docker command run
    command: tuple[str, ...] = ()  # the docker command after the globals, without tagguard's
    images: tuple[str, ...] = ()  # PUSH: images (the repository with all_tags); TAG: (src, dst);
    # WRITE: the tags written
    verb: tuple[str, ...] = ()  # PUSH: ("push",) or ("image", "push")
    push_options: tuple[str, ...] = ()  # PUSH: its options, one argument each, without -a
    all_tags: bool = False
    platform: str | None = None  # PUSH --platform: one platform's manifest is pushed
    digest: str | None = None  # --tagguard-digest
    config: str | None = None  # docker's --config DIR: where its credentials are
    words: tuple[str, ...] = field(default=())  # COMPLETE: the words typed after the name


def parse(argv: Sequence[str]) -> Invocation:
    """What the plugin's argv asks for; InputError for a command line docker would refuse or
    that tagguard cannot read for certain."""
    if list(argv[:1]) == [METADATA]:
        return Invocation(Kind.METADATA)
    top = parse_flags(argv, DOCKER_GLOBALS, "docker")
    docker_globals = tuple(argv[: top.rest])
    config = top.value("config")
    rest = list(argv[top.rest :])
    if top.on("help") or rest[:1] == ["help"]:
        return Invocation(Kind.HELP, docker_globals, config=config)
    if rest[:1] and rest[0] in _COMPLETE:
        return Invocation(Kind.COMPLETE, docker_globals, words=tuple(rest[2:]), config=config)
    if rest[:1] == [PLUGIN]:
        rest = rest[1:]  # run by docker; without it, run on its own as `docker-tagguard ...`
    own = parse_flags(rest, PLUGIN_OPTIONS, "docker tagguard")
    digest = own.value(DIGEST_OPTION)
    rest = rest[own.rest :]
    if own.on("help") or not rest or rest[0] == "help":
        return Invocation(Kind.HELP, docker_globals, config=config)
    if rest[0] == PLUGIN:
        raise InputError(
            "docker tagguard tagguard ...: the plugin does not run itself; drop one 'tagguard'"
        )
    found = _command(rest)
    return _with(found, docker_globals=docker_globals, config=config, digest=digest)


def _with(
    found: Invocation, *, docker_globals: tuple[str, ...], config: str | None, digest: str | None
) -> Invocation:
    if digest is not None and found.digest is not None:
        raise InputError(f"--{DIGEST_OPTION} is given twice; give it once")
    return Invocation(
        found.kind,
        docker_globals,
        found.command,
        found.images,
        found.verb,
        found.push_options,
        found.all_tags,
        found.platform,
        found.digest if found.digest is not None else digest,
        config,
    )


def _command(args: list[str]) -> Invocation:
    head = args[0]
    at, inherited = _subcommand(args) if head in _MANAGEMENT_HEADS else (1, ())
    second = args[at] if at < len(args) else ""
    where = f"docker {' '.join(args[: at + 1])}"
    if head == "push":
        return _push(args, 1)
    if head == "tag":
        return _tag(args, 1)
    if head == "build":
        return _build(args, 1, "docker build")
    if head in ("image", "builder") and second == "build":
        return _build(args, at + 1, where, inherited)
    if head == "image" and second == "push":
        return _push(args, at + 1, inherited)
    if head == "image" and second == "tag":
        return _tag(args, at + 1, inherited)
    if head == "buildx":
        return _buildx(args)
    if head == "manifest" and second == "push":
        return _manifest_push(args, at + 1, inherited)
    if head == "plugin" and second == "push":
        return _plugin_push(args, at + 1, inherited)
    if head == "compose":
        _compose(args)
    if head == "trust" and second == "sign" and not _help(inherited):
        raise InputError(
            "docker tagguard trust sign: docker pushes the image first when its tag is not signed "
            "yet, or with --local (docker/cli cli/command/trust/sign.go), which tagguard cannot "
            "tell beforehand; check it with docker tagguard push, then run "
            "docker trust sign"
        )
    return Invocation(Kind.PASS, command=tuple(args))


def _subcommand(args: Sequence[str]) -> tuple[int, tuple[Option, ...]]:
    """Where a management command's subcommand is, and the --help/-h options written before it,
    as cobra's Command.Traverse finds them: each word starting with `-` is a flag there (help
    is the only one; anything else docker refuses as unknown). `docker image --help=false
    push X` pushes X (docker 28.2.2)."""
    end = 1
    while end < len(args) and args[end].startswith("-") and args[end] != "-":
        if args[end] == "--":
            # Traverse takes `--` for a flag with a value, skips the next word and goes on
            # looking for the subcommand (`docker image -- x push IMAGE` pushes IMAGE).
            raise InputError(
                f"docker {args[0]} -- ...: docker skips the word after this `--` and still "
                f"looks for the {args[0]} command after it; write the command without `--` "
                "before it"
            )
        end += 1
    return end, parse_flags(args[1:end], MANAGEMENT, f"docker {args[0]}").options


def _help(inherited: Sequence[Option], flags: Flags | None = None) -> bool:
    """Whether help is asked for: one flag shared by the command and its parent, so the last
    value given, before or after the subcommand, wins."""
    given = [*inherited, *(flags.given("help") if flags is not None else ())]
    return bool(given) and given[-1].on


def _compose(args: list[str]) -> None:
    """A compose command that writes to a registry is refused: `push`, `publish` (or `alpha
    publish`) and `build --push` write the images the compose file names, which tagguard
    does not read. Compose's own flags are not parsed (its table changes from release to
    release): any argument `push`, `publish` or `--push[=...]` refuses the command, so a
    project named `push` (`-p push ps`) is refused too, never a push let through."""
    if any(a in ("push", "publish") or a == "--push" or a.startswith("--push=") for a in args):
        raise InputError(
            "docker tagguard compose: what compose pushes is named in the compose file, which "
            "tagguard does not read; list the images (docker compose config --images), check "
            "them with tagguard push --refs-file, then run docker compose"
        )


def _without_own(args: Sequence[str], start: int, flags: Flags) -> tuple[str, ...]:
    """The command as written, less tagguard's own option (a long flag: it never shares an
    argument with another)."""
    dropped: set[int] = set()
    for option in flags.given(DIGEST_OPTION):
        dropped.update(range(start + option.span[0], start + option.span[1]))
    return tuple(a for k, a in enumerate(args) if k not in dropped)


def _own_digest(flags: Flags) -> str | None:
    if len(flags.given(DIGEST_OPTION)) > 1:
        raise InputError(f"--{DIGEST_OPTION} is given twice; give it once")
    return flags.value(DIGEST_OPTION)


def _push(args: list[str], at: int, inherited: Sequence[Option] = ()) -> Invocation:
    where = f"docker {' '.join(args[:at])}"
    flags = parse_flags(args[at:], PUSH, where)
    command = _without_own(args, at, flags)
    if _help(inherited, flags) or not flags.operands:
        return Invocation(Kind.PASS, command=command)  # docker prints help or its own error
    all_tags = flags.on("all-tags")
    if all_tags and len(flags.operands) != 1:
        raise InputError(f"{where} --all-tags takes one repository, not {len(flags.operands)}")
    kept = tuple(o.canonical() for o in flags.options if o.name not in ("all-tags", DIGEST_OPTION))
    return Invocation(
        Kind.PUSH,
        command=command,
        images=flags.operands,
        verb=tuple(args[:at]),
        push_options=kept,
        all_tags=all_tags,
        platform=flags.value("platform") or None,
        digest=_own_digest(flags),
    )


def _tag(args: list[str], at: int, inherited: Sequence[Option] = ()) -> Invocation:
    flags = parse_flags(args[at:], TAG, f"docker {' '.join(args[:at])}")
    command = _without_own(args, at, flags)
    if _help(inherited, flags) or len(flags.operands) != 2:
        return Invocation(Kind.PASS, command=command)  # docker refuses it, tagging nothing
    return Invocation(Kind.TAG, command=command, images=flags.operands, digest=_own_digest(flags))


def _buildx(args: list[str]) -> Invocation:
    top = parse_flags(args[1:], BUILDX_ROOT, "docker buildx")
    at = 1 + top.rest
    sub = args[at : at + 2]
    if top.on("help") or not sub:
        return Invocation(Kind.PASS, command=tuple(args))
    if sub[0] in ("build", "b"):
        return _build(args, at + 1, f"docker buildx {sub[0]}")
    if sub == ["imagetools", "create"]:
        return _create(args, at + 2)
    if sub[0] in ("bake", "f"):
        _bake(args, at + 1)
    return Invocation(Kind.PASS, command=tuple(args))


def _bake(args: list[str], at: int) -> None:
    """A bake that builds is refused: what it pushes is the bake file's (a target's `output`,
    `--set *.output=...`, `--push`), which tagguard does not read. One that only prints or
    lists builds nothing (docker/buildx commands/bake.go, runBake)."""
    flags = parse_flags(args[at:], BAKE, f"docker buildx {args[at - 1]}")
    listing = flags.given("list") or flags.on("list-targets") or flags.on("list-variables")
    if flags.on("help") or flags.on("print") or listing:
        return
    raise InputError(
        f"docker tagguard buildx {args[at - 1]}: what a bake pushes is in the bake file, which "
        "tagguard does not read; list the tags (docker buildx bake --print) and check them "
        "with tagguard push --refs-file, then run docker buildx bake"
    )


def _manifest_push(args: list[str], at: int, inherited: Sequence[Option] = ()) -> Invocation:
    """docker manifest push MANIFEST_LIST: the list goes to its tag (docker/cli
    cli/command/manifest/push.go, runPush)."""
    return _one_write(args, at, inherited, MANIFEST_PUSH, "docker manifest push")


def _plugin_push(args: list[str], at: int, inherited: Sequence[Option] = ()) -> Invocation:
    """docker plugin push PLUGIN[:TAG]: the plugin's manifest goes to that tag (`latest`
    without one), a manifest PUT by tag like any image's, which Harbor's immutability
    middleware refuses onto an existing immutable tag (docker/cli cli/command/plugin/push.go,
    runPush: `reference.TagNameOnly`; a name with a digest is docker's own error)."""
    found = _one_write(args, at, inherited, PLUGIN_PUSH, "docker plugin push")
    if found.kind is Kind.WRITE and "@" in found.images[0]:
        return Invocation(Kind.PASS, command=found.command)
    return found


def _one_write(
    args: list[str], at: int, inherited: Sequence[Option], grammar: Grammar, where: str
) -> Invocation:
    """A command that writes the one reference it names (ExactArgs(1)); help, or any other
    number of operands, is docker's to answer."""
    flags = parse_flags(args[at:], grammar, where)
    command = _without_own(args, at, flags)
    if _help(inherited, flags) or len(flags.operands) != 1:
        return Invocation(Kind.PASS, command=command)  # docker prints help or its own error
    return Invocation(Kind.WRITE, command=command, images=flags.operands, digest=_own_digest(flags))


@record
class _Export:
    kind: str
    attrs: Mapping[str, str]


def _exports(values: Iterable[str], where: str) -> list[_Export]:
    """`--output` values as buildx reads them (util/buildflags/export.go, UnmarshalText): CSV
    `key=value` fields; a bare path is a local export, `-` a tar on stdout."""
    found = []
    for value in values:
        if not value:
            continue
        fields = next(csv.reader([value]), [])
        if len(fields) == 1 and fields[0] == value and not value.startswith("type="):
            found.append(_Export("tar" if value == "-" else "local", {}))
            continue
        attrs: dict[str, str] = {}
        for entry in fields:
            key, eq, item = entry.partition("=")
            if not eq:
                raise InputError(f"{where} --output {value}: invalid value {entry}")
            attrs[key.strip().lower()] = item
        found.append(_Export(attrs.pop("type", ""), attrs))
    return found


def _build(args: list[str], at: int, where: str, inherited: Sequence[Option] = ()) -> Invocation:
    """The tags a build pushes (docker/buildx build/opt.go, toSolveOpt; commands/build.go,
    buildflags->opts): `--push` makes every image output push, adding one if there is none;
    `type=registry` is an image output that pushes; with -t the tags name every image output,
    else an output's own `name=`; `push-by-digest=true` pushes no tag. An empty `push=` or
    `push-by-digest=` is true, as BuildKit's image exporter reads it."""
    flags = parse_flags(args[at:], BUILD, where)
    command = _without_own(args, at, flags)
    exports = _exports((o.value or "" for o in flags.given("output")), where)
    push = flags.on("push")
    pushing = [
        e
        for e in exports
        if e.kind == "registry" or (e.kind == "image" and (push or _attr_on(e.attrs.get("push"))))
    ]
    if push and not any(e.kind in ("image", "registry") for e in exports):
        pushing.append(_Export("image", {}))
    tags = [o.value or "" for o in flags.given("tag")]
    names: list[str] = []
    for export in pushing:
        if _attr_on(export.attrs.get("push-by-digest")):
            continue
        named = tags or [n for n in export.attrs.get("name", "").split(",") if n]
        names.extend(n.strip() for n in named)
    if _help(inherited, flags) or not names:
        return Invocation(Kind.PASS, command=command)
    return Invocation(
        Kind.WRITE,
        command=command,
        images=tuple(dict.fromkeys(names)),
        digest=_own_digest(flags),
    )


def _create(args: list[str], at: int) -> Invocation:
    """docker buildx imagetools create -t TAG... SOURCE...: one new image to every tag, unless
    --dry-run (docker/buildx commands/imagetools/create.go, runCreate)."""
    flags = parse_flags(args[at:], IMAGETOOLS_CREATE, "docker buildx imagetools create")
    command = _without_own(args, at, flags)
    tags = tuple(dict.fromkeys(o.value or "" for o in flags.given("tag")))
    if flags.on("help") or flags.on("dry-run") or not tags:
        return Invocation(Kind.PASS, command=command)
    return Invocation(Kind.WRITE, command=command, images=tags, digest=_own_digest(flags))


def _attr_on(value: str | None) -> bool:
    """An image exporter's boolean attribute as BuildKit reads it (exporter/containerimage,
    Resolve): absent is false, empty is true, else Go's strconv.ParseBool (anything else
    fails the build, which then pushes nothing)."""
    return value is not None and (value == "" or value in _TRUE)
