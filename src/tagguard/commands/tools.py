"""The commands around the checks: explain a verdict, lint rules, install the docker plugin
and the git hook, show the settings, print shell completion."""

from __future__ import annotations

import io
import sys
from typing import TYPE_CHECKING, Any

import click

from tagguard import app, output
from tagguard.check import explain as explain_check
from tagguard.commands import context
from tagguard.commands.checking import parse_references
from tagguard.commands.flags import env_option, explain_options, format_options, output_options
from tagguard.config import ConfigFile, default_maps, resolved
from tagguard.core.harbor_version import glob_version_for
from tagguard.errors import InputError
from tagguard.settings import Setting, print_settings, settings
from tagguard.shell.files import load_rules_file

if TYPE_CHECKING:
    from tagguard.core.lint import Finding


@click.command()
@click.argument("reference")
@explain_options
def explain(reference: str, **given: Any) -> int:
    """Show which rule makes REFERENCE's tag immutable, and why, rule by rule."""
    from tagguard.reporters import explain as explain_output  # a reporter

    options = context.options(**given)
    (target,) = parse_references((reference,))
    # Offline, the state file is optional: explain is about the rules.
    with_state = not (options.rules_file is not None and options.state_file is None)
    redactor = context.redactor()
    with app.opened(options, [target], redactor=redactor, need_state=with_state) as sources:
        explained = explain_check(sources, options.forced_glob, target, with_state=with_state)
    printed = io.StringIO()
    if options.output_format == "json":
        explain_output.render_json(explained, target.original, printed)
    else:
        explain_output.render_text(explained, target.original, printed, options.color)
    # --quiet: the reference and the verdict.
    quiet = options.quiet and options.output_format != "json"
    output.print_redacted(printed.getvalue(), redactor, quiet_lines=quiet)
    return 0


@click.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False))
@env_option(
    "--rules-file",
    type=click.Path(dir_okay=False),
    help="Harbor's rules JSON to lint (FILES may name more).",
)
@env_option(
    "--project",
    help="The project the rules belong to (a single array), or the one project to lint in a {project: array} file.",
)
@env_option(
    "--harbor-version",
    metavar="VERSION",
    help="Harbor version whose glob semantics to use (default: newest).",
)
@format_options
@output_options
def lint(
    files: tuple[str, ...],
    rules_file: str | None,
    project: str | None,
    harbor_version: str | None,
    output_format: str | None,
    **given: Any,
) -> int:
    """Report what Harbor will silently do differently from what each rule means.

    FILES (and --rules-file) are Harbor rules JSON. Exit status 1 when a finding is an error
    (an enabled rule that fails open), else 0.
    """
    # lint's own modules, which no check needs: imported when it runs.
    from tagguard.core.lint import Level, has_errors
    from tagguard.reporters import lint as lint_output

    printing = context.output(given, output_format)
    paths = [*files, *([rules_file] if rules_file else [])]
    if not paths:
        raise InputError("lint needs a rules file: tagguard lint FILE... (or --rules-file FILE)")
    # An empty value (an unset CI variable) is not given, as in every check (Options).
    version = glob_version_for(harbor_version or None)
    found: list[tuple[str, Finding]] = []
    for path in paths:
        found.extend(_lint_file(path, version, project))
    if output_format == "json":
        lint_output.render_json(found, sys.stdout, printing.color)
    elif printing.quiet:  # error-level findings only, no summary
        printed = io.StringIO()
        errors = [(path, f) for path, f in found if f.level is Level.ERROR]
        lint_output.render_text(errors, printed, printing.color)
        sys.stdout.write("".join(printed.getvalue().splitlines(True)[:-1]))
    else:
        lint_output.render_text(found, sys.stdout, printing.color)
    return 1 if has_errors([f for _, f in found]) else 0


def _lint_file(path: str, version: str, project: str | None) -> list[tuple[str, Finding]]:
    from tagguard.core.lint import lint_rules

    table = load_rules_file(path)
    if table.shared is not None:
        return [(path, f) for f in lint_rules(table.shared, version, project)]
    assert table.by_project is not None
    chosen = table.by_project
    if project is not None:  # a {project: array} file: lint that project only
        if project not in chosen:
            names = ", ".join(sorted(chosen)) or "none"
            raise InputError(
                f"--project {project}: {path} has no rules for it (its projects: {names})"
            )
        chosen = {project: chosen[project]}
    return [(path, f) for name, rules in chosen.items() for f in lint_rules(rules, version, name)]


@click.command("install-docker-plugin")
@env_option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    variable="TAGGUARD_PLUGIN_DIR",
    help="Plugin folder (default: $DOCKER_CONFIG/cli-plugins, else ~/.docker/cli-plugins).",
)
@output_options
def install_docker_plugin(directory: str | None, **given: Any) -> int:
    """Make `docker tagguard push/tag/buildx ...` check every tag before docker writes it."""
    # Only for this command: shutil, which no check needs, costs every run ~5 ms.
    from tagguard.docker_install import install

    printing = context.output(given)
    path = install(directory)
    if not printing.quiet:
        click.echo(f"installed {path}: try `docker tagguard push IMAGE:TAG`")
    return 0


@click.command(
    "install-git-hook",
    context_settings={"ignore_unknown_options": True},
    options_metavar="[--uninstall]",
)
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED, metavar="[PLAN] [OPTIONS]...")
@click.option(
    "--uninstall", is_flag=True, help="Remove the hook and restore the pre-push hook it kept."
)
def install_git_hook(arguments: tuple[str, ...], uninstall: bool) -> int:
    """Check every git tag a push carries with PLAN (default .tagguard.yml) before git pushes it.

    OPTIONS are `tagguard plan`'s (--harbor-url, --rules-file, ...), stored with the plan.
    Works beside pre-commit, which cannot see a tag pushed on its own.
    """
    # Only for this command: the installer runs git (subprocess), which no check needs; and
    # plan's module, which `tagguard lint` or `config` need not declare.
    from tagguard.commands.plans import plan_usage
    from tagguard.git_hook_install import install_command

    return install_command(arguments, plan_usage, uninstall=uninstall)


NOT_CONFIGURED = ("config", "completion", "install-git-hook")


@click.command("config")
@click.argument("command_name", metavar="[COMMAND]", required=False)
def config_command(command_name: str | None) -> int:
    """Show each option's value and where it came from (environment, tagguard.toml, default).

    With COMMAND, that command's options (its own [COMMAND] table included); without, every
    option of every command. Passwords are never shown.
    """
    ctx = click.get_current_context()
    config = context.config(ctx)
    root = ctx.find_root()
    group = root.command
    assert isinstance(group, click.Group)
    # Every command's (each module loaded: the group loads them only when asked).
    listed = {n: group.get_command(root, n) for n in group.list_commands(root)}
    commands = {n: c for n, c in listed.items() if c is not None and n not in NOT_CONFIGURED}
    if command_name is not None and command_name not in commands:
        raise InputError(
            f"config {command_name}: not a command with options (one of {', '.join(sorted(commands))})"
        )
    # Without COMMAND the per-command tables stay out: they answer for one command each.
    shared = ConfigFile(config.path, config.shared, {}) if command_name is None else config
    maps = default_maps(shared, commands) if config.path is not None else {}
    rows: dict[tuple[str, str], Setting] = {}  # sign's --digest is not push's
    for name in [command_name] if command_name else sorted(commands):
        command = commands[name]
        for setting in settings(resolved(command, name, maps.get(name)), shared):
            rows.setdefault((setting.key, setting.variable), setting)
    print_settings(list(rows.values()), config, sys.stdout, "")
    return 0


@click.command("completion")
@click.argument("shell", type=click.Choice(("bash", "zsh", "fish")), metavar="SHELL")
def completion(shell: str) -> int:
    """Print the shell completion script for SHELL.

    bash: `eval "$(tagguard completion bash)"` in ~/.bashrc; zsh: the same with zsh in
    ~/.zshrc; fish: `tagguard completion fish > ~/.config/fish/completions/tagguard.fish`.
    The script calls tagguard back with _TAGGUARD_COMPLETE set (click's shell completion).
    """
    from click.shell_completion import get_completion_class  # for this command only

    found = get_completion_class(shell)
    assert found is not None  # the choice is click's own list
    root = click.get_current_context().find_root().command
    click.echo(found(root, {}, "tagguard", "_TAGGUARD_COMPLETE").source())
    return 0
