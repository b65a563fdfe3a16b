"""Credentials, found the way docker users expect, in one documented order per host:

0. `--credentials HOST=ENVVAR` for that host (the variable holds `user:password`);
1. `--username` with `--password-stdin`;
2. `TAGGUARD_USERNAME` and `TAGGUARD_PASSWORD` from the environment;
3. the docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`), read
   as `docker push` (docker 28) reads it, under the key docker asks: the host, or
   `https://index.docker.io/v1/` for docker.io. The helper `credHelpers[key]` names
   (the key exactly as written), else `credsStore`, answers through
   `docker-credential-<name> get`, and only it: its "not found" is no credential, even
   where `auths` has one; a helper that fails otherwise leaves the `auths` entry. With no
   helper, `auths[key]`, else an entry whose key is a URL or `host/path` of the same host
   (matched case-sensitively, as docker does). The key is the host as the reference wrote
   it, as docker keeps it: `HARBOR.IO/p/app` is looked up under `HARBOR.IO`, where
   everything else in tagguard knows the host as `harbor.io`; a run that writes one host
   in several spellings which the config answers differently is refused. A config naming
   no credentials at all gets the platform's store when its helper is installed, as
   docker's does. A login with no user or no password is none: docker's engine asks as
   no one with it.

tagguard refuses, where docker would go on without credentials: a config with an `auth`
it cannot decode (docker's load fails, and it sends a login or none as Go's map order
has it), an entry holding a `registrytoken` (docker sends it in place of a login), and a
helper that cannot run or answers no JSON with no `auths` entry to fall back on.

The first two are meant for the Harbor being guarded and are only ever sent to its hosts;
the docker config answers per host, so a retag source on another registry gets its own
credentials or none. A Credential is a plain value that never shows its secret in repr, logs or messages; the
store registers each secret it hands out with the run's redactor, in every form tagguard sends
it (`Credential.hide_in`).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import re
import shutil
import sys
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagguard.core.record import field, record
from tagguard.core.sanitize import Redactor
from tagguard.errors import InputError
from tagguard.shell.reading import read_text
from tagguard.shell.urls import DOCKER_HUB_SERVER, normalise_host

if TYPE_CHECKING:
    import subprocess

HELPER_TIMEOUT = 15.0
TOKEN_USERNAME = "<token>"  # docker's marker for an identity (refresh) token
# What a helper prints when it holds nothing for the server (docker-credential-helpers'
# errCredentialsNotFoundMessage); any other failure is one.
HELPER_NOT_FOUND = "credentials not found in native keychain"

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def run_helper(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`subprocess.run`, imported when a credential helper runs: most runs start none, and
    the module costs every live run ~1 ms before its first request."""
    import subprocess

    return subprocess.run(*args, **kwargs)  # noqa: PLW1510 (the caller passes check=False)


class _HelperFailed(Exception):
    """A credential helper failed otherwise than by holding nothing: `message` says how, ""
    when it ran and exited non-zero."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@record
class Credential:
    username: str
    secret: str = field(repr=False)
    source: str = ""
    # The secret is an OAuth2 refresh token (docker's "identitytoken"), not a password.
    identity_token: bool = False
    # The docker config's `auth` value it was read from, as written there (it may differ from
    # the base64 tagguard writes, e.g. in its padding bits): a secret of its own.
    given_auth: str = field(default="", repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.username} (from {self.source})"

    def basic_header(self) -> str:
        return "Basic " + self._basic_value()

    def _basic_value(self) -> str:
        _check_utf8(f"{self.username}:{self.secret}", self.source)  # a docker config's "\udcff"
        raw = f"{self.username}:{self.secret}".encode()
        return base64.b64encode(raw).decode("ascii")

    def hide_in(self, redactor: Redactor) -> None:
        """Registers with `redactor` every form of the secret a server could echo back: the
        secret itself, and what tagguard sends for it, the base64 of `user:secret` in its
        Basic header (which decodes to the secret), with the docker config's `auth` it came
        from. tagguard never sends the secret any other way: not in a URL (a token request
        carries it in the same Basic header), so no percent-encoded form needs hiding."""
        for form in (self.secret, self._basic_value(), self.given_auth):
            redactor.keep(form)


@record
class CredentialStore:
    explicit: Credential | None = None
    explicit_hosts: frozenset[str] = frozenset()
    docker_config: Mapping[str, Any] = field(default_factory=dict)
    docker_config_path: str = ""
    run: Runner = run_helper
    # --credentials HOST=ENVVAR: the most specific setting, it wins over everything else.
    per_host: Mapping[str, Credential] = field(default_factory=dict)
    # The run's: every secret this store hands out is hidden in what the run prints (and
    # so is every token a registry gives for it: tagguard.shell.registry).
    redactor: Redactor = field(default_factory=Redactor)
    # Each host's spellings in the references (`myhost.io` -> `MyHost.io`): the docker
    # config is asked under the host as written, as docker asks it. A host no reference
    # wrote (a replication's destination) is asked as tagguard holds it.
    spellings: Mapping[str, Collection[str]] = field(default_factory=dict)
    # The platform's credential store docker would use with a config that names none, ""
    # for none: asked when the docker config first answers (it looks on PATH), so a run
    # whose credentials are all given never looks.
    default_store: Callable[[], str] = lambda: ""
    # Each host's answer, found once: a registry's every request asks for its credential,
    # and a credential helper is a process to start (docker asks it once per command).
    _found: dict[str, Credential | None] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def for_host(self, host: str) -> Credential | None:
        host = host.lower()
        with self._lock:  # workers ask at once: one helper run per host
            if host not in self._found:
                self._found[host] = self._for_host(host)
            found = self._found[host]
        if found is not None:
            found.hide_in(self.redactor)  # never printed, whatever a registry echoes
        return found

    def _for_host(self, host: str) -> Credential | None:
        if host in self.per_host:
            return self.per_host[host]
        if self.explicit is not None and host in self.explicit_hosts:
            return self.explicit
        return self._from_docker_config(host)

    def _from_docker_config(self, host: str) -> Credential | None:
        """What `docker push` sends for `host` as each reference spells it; the same
        for every spelling, or the run is refused: tagguard holds one credential a host."""
        # Checked here, not as the file is read: a run whose credentials are given for
        # every host it asks never reads the docker config, and a broken entry in it
        # changes nothing for that run.
        _check_auths(self.docker_config, self.docker_config_path)
        spellings = sorted(self.spellings.get(host) or (host,))
        found = [self._under_key(spelling) for spelling in spellings]
        if len({_login_of(credential) for credential in found}) > 1:
            raise InputError(
                f"{self.docker_config_path}: the references write the registry host {host} "
                f"as {' and '.join(spellings)}, which docker looks up apart (as written) and "
                "this config answers differently: write the host one way, or give "
                f"--credentials {host}=ENVVAR"
            )
        return found[0]

    def _under_key(self, spelling: str) -> Credential | None:
        """What `docker push SPELLING/...` sends (docker/cli 28.2.2 `ResolveAuthConfig` and
        `ConfigFile.GetAuthConfig`): the config is asked under one key, Docker Hub's server
        URL for docker.io, else the host as written (`registry.ParseRepositoryInfo` keeps
        its case). The helper named for that exact key in `credHelpers`, else `credsStore`,
        answers; with neither, the `auths` entry does."""
        key = DOCKER_HUB_SERVER if spelling == "docker.io" else spelling
        config = self._read_config
        entry = _auths_entry(config, key)
        if entry is not None:
            self._refuse_registry_token(entry, key)
        helper = _helper_for(config, key)
        if not helper:
            return self._from_auths_entry(entry, key) if entry is not None else None
        try:
            return self._from_helper(helper, key)
        except _HelperFailed as failed:
            # docker's native store keeps the `auths` entry it started from when the helper
            # fails in any way other than "not found" (native_store.go Get).
            kept = self._from_auths_entry(entry, key) if entry is not None else None
            if kept is None and failed.message:
                # docker would send nothing; a helper that cannot run is a broken setup.
                # Said with the config and the host: a run may ask it for several.
                raise InputError(
                    f"{self.docker_config_path}: asking for the credentials of {key}: "
                    f"{failed.message}"
                ) from None
            return kept

    @functools.cached_property
    def _read_config(self) -> Mapping[str, Any]:
        """The docker config as docker reads it, with the default store (made once, under
        for_host's lock)."""
        return _with_default_store(self.docker_config, self.default_store)

    def _refuse_registry_token(self, entry: Mapping[str, Any], key: str) -> None:
        """docker sends an entry's `registrytoken` whatever else answers (a helper overwrites
        only the username, password and identity token), and its engine then presents it
        as the registry's bearer token instead of logging in: no Basic header tagguard
        could send stands for it, and Harbor's API takes no registry token."""
        token = entry.get("registrytoken")
        if isinstance(token, str) and token:
            raise InputError(
                f"{self.docker_config_path}: auths[{key!r}].registrytoken: docker sends this "
                "token to the registry in place of a login, which tagguard cannot do: give "
                "--credentials, --username or TAGGUARD_USERNAME for this registry"
            )

    def _from_auths_entry(self, entry: Mapping[str, Any], host: str) -> Credential | None:
        where = f"{self.docker_config_path}: auths[{host!r}]"
        token = entry.get("identitytoken")
        if isinstance(token, str) and token:
            return Credential(TOKEN_USERNAME, token, f"{where}.identitytoken", identity_token=True)
        encoded = entry.get("auth")
        if isinstance(encoded, str) and encoded:
            username, password = _decode_auth(encoded, where)
            if not password:  # `user:` logs docker's engine in as no one (see _login)
                return None
            return Credential(username, password, where, given_auth=encoded)
        plain_user, plain_password = entry.get("username"), entry.get("password")
        if _login(plain_user, plain_password):
            return Credential(str(plain_user), str(plain_password), where)
        return None

    def _from_helper(self, helper: str, key: str) -> Credential | None:
        """The helper's answer for `key`; None when it has none ("credentials not found in
        native keychain" on its standard output, as docker-credential-helpers' client
        tells it); _HelperFailed when it fails otherwise."""
        from subprocess import TimeoutExpired

        program = f"docker-credential-{helper}"
        try:
            done = self.run(
                [program, "get"],
                input=key,
                capture_output=True,
                text=True,
                timeout=HELPER_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise _HelperFailed(
                f"the docker config names credential helper {program!r}, which is not on PATH"
            ) from None
        except TimeoutExpired:
            raise _HelperFailed(
                f"credential helper {program!r} did not answer within {HELPER_TIMEOUT:g} s"
            ) from None
        if done.returncode != 0:
            if done.stdout.strip() == HELPER_NOT_FOUND:
                return None
            raise _HelperFailed("")  # docker says nothing of it either, and sends none
        try:
            data = json.loads(done.stdout)
            username, secret = data["Username"], data["Secret"]
        except (ValueError, KeyError, TypeError):
            raise _HelperFailed(
                f"credential helper {program!r} answered something other than its JSON"
            ) from None
        if not isinstance(username, str) or not isinstance(secret, str):
            raise _HelperFailed(
                f"credential helper {program!r} answered something other than its JSON"
            )
        if username == TOKEN_USERNAME and secret:
            return Credential(username, secret, program, identity_token=True)
        return Credential(username, secret, program) if _login(username, secret) else None


def _login_of(credential: Credential | None) -> tuple[str, str, bool] | None:
    """What a credential sends: two with the same are one, whichever entry they came from."""
    if credential is None:
        return None
    return (credential.username, credential.secret, credential.identity_token)


def _login(username: object, password: object) -> bool:
    """Whether docker's engine logs in with this pair: only with both a user and a password
    (docker/distribution registry/client/auth/session.go, its Basic and token handlers);
    with either missing it asks as no one."""
    return isinstance(username, str) and isinstance(password, str) and bool(username and password)


def docker_hostname(key: str) -> str:
    """An `auths` key as docker's file store compares it with the host (docker/cli
    `credentials.ConvertToHostname`): a URL's `host[:port]` (no user, path or query), else
    what precedes the first `/`. Case and blanks stay as written: docker matches neither."""
    scheme, sep, rest = key.partition("://")
    if sep and _URL_SCHEME.fullmatch(scheme):
        name, port = _host_and_port(re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2])
        if name and port is not None:
            if not port:
                return name
            return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
    return key.split("/", 1)[0]


_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")


def _host_and_port(netloc: str) -> tuple[str, str | None]:
    """A URL's host (brackets off) and port ("" for none), as Go's net/url splits them;
    port None where url.Parse refuses the URL (a port that is not digits)."""
    if netloc.startswith("[") and "]" in netloc:
        name, _, after = netloc[1:].partition("]")
        port: str | None = after[1:] if after.startswith(":") else (None if after else "")
    else:
        name, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "")
    if port and not port.isdigit():
        return name, None
    return name, port


def _auths_entry(config: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """docker's file store: `auths[key]` itself, even empty; else an entry whose key names
    the same host (docker takes any one of several, in Go's random map order: this, the
    first in the file)."""
    auths = config.get("auths")
    if not isinstance(auths, Mapping):
        return None
    if key in auths:
        entry = auths[key]
        return entry if isinstance(entry, Mapping) else None
    for written, entry in auths.items():
        if docker_hostname(str(written)) == key and isinstance(entry, Mapping):
            return entry
    return None


def _helper_for(config: Mapping[str, Any], key: str) -> str:
    """The helper docker asks for `key`: `credHelpers[key]`, the key exactly as docker
    looks it up (an empty name there means the `auths` entry, credsStore or not), else
    `credsStore`; "" for none (docker/cli `getConfiguredCredentialStore`)."""
    helpers = config.get("credHelpers")
    if isinstance(helpers, Mapping) and key in helpers:
        named = helpers[key]
        return named if isinstance(named, str) else ""
    store = config.get("credsStore")
    return store if isinstance(store, str) else ""


def _decode_auth(encoded: str, where: str) -> tuple[str, str]:
    """An `auth` value as docker reads it (configfile `decodeAuth`): padded standard
    base64, line breaks ignored, of `user:password` with a user; NULs around the
    password dropped."""
    try:
        raw = base64.b64decode(encoded.replace("\r", "").replace("\n", ""), validate=True)
        decoded = raw.decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input
        raise InputError(f"{where}.auth is not base64 of 'user:password'") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise InputError(f"{where}.auth does not hold 'user:password'")
    return username, password.strip("\x00")


MAX_DOCKER_CONFIG_BYTES = 1024 * 1024  # docker's own holds a few entries


def load_docker_config(env: Mapping[str, str], home: Path) -> tuple[dict[str, Any], str]:
    """The docker config as docker finds it ($DOCKER_CONFIG, else ~/.docker); {} if none."""
    directory = Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"
    path = directory / "config.json"
    if not os.path.exists(path):  # docker too reads a dangling link as no file (os.Stat)
        return {}, str(path)
    # Within a limit, as every file tagguard reads; FileError names the file, and says
    # what is wrong with its name, its type or its text.
    text = read_text(str(path), MAX_DOCKER_CONFIG_BYTES)
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        # json's messages give a position, never the text around it (a secret, maybe).
        raise InputError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object")
    return data, str(path)


def _check_auths(config: Mapping[str, Any], path: str) -> None:
    """docker decodes every `auth` as it loads the file, and one it cannot read stops the
    load: docker warns and goes on with the entries it had decoded before, in Go's random
    map order (one not decoded yet goes as an undecoded `auth`, which its engine ignores),
    so a host's login is sent on some runs and not on others. tagguard refuses such a
    file, whichever host it asks for."""
    auths = config.get("auths")
    if isinstance(auths, Mapping):
        for key, entry in auths.items():
            encoded = entry.get("auth") if isinstance(entry, Mapping) else None
            if isinstance(encoded, str) and encoded:
                _decode_auth(encoded, f"{path}: auths[{key!r}]")


def _with_default_store(
    config: Mapping[str, Any], default_store: Callable[[], str]
) -> Mapping[str, Any]:
    """docker's LoadDefaultConfigFile: a config that names no credentials at all (or no
    file) is read with the platform's credential store (`default_store`) where it has one."""
    auths, helpers = config.get("auths"), config.get("credHelpers")
    if config.get("credsStore") or auths or helpers:
        return config
    store = default_store()
    return {**config, "credsStore": store} if store else config


def detect_default_store(path: str | None) -> str:
    """docker/cli credentials.DetectDefaultStore: the platform's store when its helper is on
    `path`, on Linux `pass` where the pass program is, else `secretservice`; "" for none."""
    store = _platform_store(path)
    return store if shutil.which(f"docker-credential-{store}", path=path) else ""


def _platform_store(path: str | None) -> str:
    """docker/cli credentials.defaultCredentialsStore, per platform."""
    if sys.platform == "darwin":
        return "osxkeychain"
    if sys.platform == "win32":
        return "wincred"
    return "pass" if shutil.which("pass", path=path) else "secretservice"


def build_store(
    *,
    username: str | None,
    password: str | None,
    env: Mapping[str, str],
    home: Path,
    hosts: Collection[str],
    redactor: Redactor,
    run: Runner = run_helper,
    per_host: Mapping[str, Credential] | None = None,
    spellings: Mapping[str, Collection[str]] | None = None,
) -> CredentialStore:
    """Resolves the explicit credential (flag, then environment) and loads the docker config.
    `spellings`: each host (as tagguard holds it) as the references write it."""
    explicit: Credential | None = None
    if username is not None or password is not None:
        if not username or password is None:
            raise InputError("--username needs the password on standard input (--password-stdin)")
        if not password:
            raise InputError(f"--password-stdin: standard input held no password for {username}")
        _check_utf8(username, "--username")
        _check_utf8(password, "--password-stdin")
        explicit = Credential(username, password, "--username/--password-stdin")
    elif env.get("TAGGUARD_USERNAME") or env.get("TAGGUARD_PASSWORD"):
        env_user, env_password = env.get("TAGGUARD_USERNAME"), env.get("TAGGUARD_PASSWORD")
        if not env_user or env_password is None:
            raise InputError("TAGGUARD_USERNAME and TAGGUARD_PASSWORD must be set together")
        if not env_password:
            # Harbor has no empty passwords: most likely a CI secret that did not reach the
            # job (a protected variable on an unprotected branch, a fork's pull request).
            raise InputError(
                f"TAGGUARD_PASSWORD is empty for TAGGUARD_USERNAME {env_user}: is the CI "
                "secret it comes from available to this job?"
            )
        _check_utf8(env_user, "TAGGUARD_USERNAME")
        _check_utf8(env_password, "TAGGUARD_PASSWORD")
        explicit = Credential(env_user, env_password, "TAGGUARD_USERNAME/TAGGUARD_PASSWORD")
    config, path = load_docker_config(env, home)
    search_path = env.get("PATH")
    return CredentialStore(
        explicit,
        frozenset(h.lower() for h in hosts),
        config,
        path,
        run,
        dict(per_host or {}),
        redactor,
        dict(spellings or {}),
        lambda: detect_default_store(search_path),
    )


def per_host_credentials(entries: Sequence[str], env: Mapping[str, str]) -> dict[str, Credential]:
    """--credentials HOST=ENVVAR: the variable ENVVAR holds `user:password` for registry
    HOST (a robot's name with its `$` included). The file and the environment name only the
    variable, never the secret. Returns host -> Credential."""
    found: dict[str, Credential] = {}
    for entry in entries:
        host, sep, variable = (part.strip() for part in entry.partition("="))
        if not sep or not host or not variable:
            raise InputError(
                f"--credentials {entry}: write HOST=ENVVAR, ENVVAR a variable holding user:password"
            )
        host = normalise_host(host)
        if host in found:
            raise InputError(f"--credentials: {host} is given twice")
        value = env.get(variable)
        if value is None:
            raise InputError(f"--credentials {entry}: the variable {variable} is not set")
        _check_utf8(value, f"--credentials {entry}: {variable}")
        user, colon, password = value.partition(":")
        if not colon or not user:
            raise InputError(
                f"--credentials {entry}: {variable} must hold user:password (it has no ':')"
            )
        if not password:  # as for TAGGUARD_PASSWORD: a secret that did not reach the job
            raise InputError(f"--credentials {entry}: {variable} holds no password for {user}")
        found[host] = Credential(user, password, f"--credentials {host}={variable}")
    return found


def _check_utf8(value: str, where: str) -> None:
    """Bytes of a variable (or standard input) that are not UTF-8 reach Python as lone
    surrogates, which the Basic header cannot encode. Said without the value: a secret."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{where}: is not UTF-8 text") from None


def environment() -> dict[str, str]:
    return dict(os.environ)
