"""Credentials, found the way docker users expect, in one documented order per host:

0. `--credentials HOST=ENVVAR` for that host (the variable holds `user:password`);
1. `--username` with `--password-stdin`;
2. `TAGGUARD_USERNAME` and `TAGGUARD_PASSWORD` from the environment;
3. the docker config (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`):
   `credHelpers[host]`, then `auths[host]`, then `credsStore`, each through
   `docker-credential-<name> get` where a helper is named.

The first two are meant for the Harbor being guarded and are only ever sent to its hosts;
the docker config answers per host, so a retag source on another registry gets its own
credentials or none. A Credential is a plain value that never shows its secret in repr, logs or messages; the
store registers each secret it hands out with the run's redactor, in every form tagguard sends
it (`Credential.hide_in`).
"""

from __future__ import annotations

import base64
import json
import os
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

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def run_helper(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """`subprocess.run`, imported when a credential helper runs: most runs start none, and
    the module costs every live run ~1 ms before its first request."""
    import subprocess

    return subprocess.run(*args, **kwargs)  # noqa: PLW1510 (the caller passes check=False)


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

    def for_host(self, host: str) -> Credential | None:
        found = self._for_host(host.lower())
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
        helpers = self.docker_config.get("credHelpers") or {}
        if isinstance(helpers, Mapping):
            for key, helper in helpers.items():
                if normalise_host(str(key)) == host and isinstance(helper, str) and helper:
                    return self._from_helper(helper, host)
        auths = self.docker_config.get("auths") or {}
        if isinstance(auths, Mapping):
            for key, entry in auths.items():
                if normalise_host(str(key)) == host and isinstance(entry, Mapping):
                    found = self._from_auths_entry(entry, host)
                    if found is not None:
                        return found
        store = self.docker_config.get("credsStore")
        if isinstance(store, str) and store:
            return self._from_helper(store, host)
        return None

    def _from_auths_entry(self, entry: Mapping[str, Any], host: str) -> Credential | None:
        where = f"{self.docker_config_path}: auths[{host!r}]"
        token = entry.get("identitytoken")
        if isinstance(token, str) and token:
            return Credential(TOKEN_USERNAME, token, f"{where}.identitytoken", identity_token=True)
        encoded = entry.get("auth")
        if isinstance(encoded, str) and encoded:
            try:
                decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
            except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII input
                raise InputError(f"{where}.auth is not base64 of 'user:password'") from None
            username, sep, password = decoded.partition(":")
            if not sep:
                raise InputError(f"{where}.auth does not hold 'user:password'")
            return Credential(username, password, where, given_auth=encoded)
        plain_user, plain_password = entry.get("username"), entry.get("password")
        if isinstance(plain_user, str) and isinstance(plain_password, str) and plain_user:
            return Credential(plain_user, plain_password, where)
        return None

    def _from_helper(self, helper: str, host: str) -> Credential | None:
        from subprocess import TimeoutExpired

        program = f"docker-credential-{helper}"
        try:
            done = self.run(
                [program, "get"],
                input=DOCKER_HUB_SERVER if host == "docker.io" else host,
                capture_output=True,
                text=True,
                timeout=HELPER_TIMEOUT,
                check=False,
            )
        except FileNotFoundError:
            raise InputError(
                f"the docker config names credential helper {program!r}, which is not on PATH"
            ) from None
        except TimeoutExpired:
            raise InputError(
                f"credential helper {program!r} did not answer within {HELPER_TIMEOUT:g} s"
            ) from None
        if done.returncode != 0:
            # "credentials not found in native keychain": no credentials for this host.
            return None
        try:
            data = json.loads(done.stdout)
            username, secret = data["Username"], data["Secret"]
        except (ValueError, KeyError, TypeError):
            raise InputError(
                f"credential helper {program!r} answered something other than its JSON"
            ) from None
        if not isinstance(username, str) or not isinstance(secret, str):
            raise InputError(
                f"credential helper {program!r} answered something other than its JSON"
            )
        return Credential(username, secret, program, identity_token=username == TOKEN_USERNAME)


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
) -> CredentialStore:
    """Resolves the explicit credential (flag, then environment) and loads the docker config."""
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
    return CredentialStore(
        explicit,
        frozenset(h.lower() for h in hosts),
        config,
        path,
        run,
        dict(per_host or {}),
        redactor,
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
