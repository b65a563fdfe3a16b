"""tagguard.docker_install: `docker-tagguard` linked where the docker CLI looks for plugins."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tagguard import docker_install
from tagguard.errors import InputError


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A docker-tagguard program, the only one `shutil.which` finds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    found = bin_dir / "docker-tagguard"
    found.write_text("#!/bin/sh\n")
    found.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.setenv("PATH", "")
    return found


def test_the_plugin_is_linked_into_docker_s_config_folder(
    program: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    installed = Path(docker_install.install())
    assert installed == tmp_path / "docker" / "cli-plugins" / "docker-tagguard"
    assert installed.resolve() == program.resolve()


def test_without_docker_config_the_home_folder_s(
    program: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DOCKER_CONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    installed = docker_install.install()
    assert installed == str(tmp_path / "home" / ".docker" / "cli-plugins" / "docker-tagguard")


def test_a_folder_given_wins_and_an_old_link_is_replaced(program: Path, tmp_path: Path) -> None:
    target = tmp_path / "plugins" / "docker-tagguard"
    target.parent.mkdir()
    target.symlink_to(tmp_path / "gone")  # a dangling link left by an uninstalled tagguard
    assert docker_install.install(str(tmp_path / "plugins")) == str(target)
    assert os.readlink(target) == str(program.resolve())


def test_no_program_is_bad_input_not_a_traceback(
    program: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    program.unlink()
    with pytest.raises(InputError, match="docker-tagguard program is not installed"):
        docker_install.install(str(tmp_path / "plugins"))
    assert not (tmp_path / "plugins").exists()


def test_a_folder_that_cannot_be_made_is_bad_input(program: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot install the docker plugin there") as raised:
        docker_install.install(str(blocker / "plugins"))
    assert str(blocker / "plugins") in str(raised.value)
