"""One rule for environment variables: every option of every command is ``SCMIGRATE_<COMMAND>_<OPTION>``.

The walk below sets each option's variable (named from its flag, as the rule says) and checks that
the parsed command took the value from there, and that ``--help`` names the variable: once with
the core options alone, once with the options the installed plugins add (``verify --read-data``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from click.core import ParameterSource

from scmigrate.cli import cli

Walked = tuple[list[str], click.Command, "click.Context | None"]

#: every command that prints a result takes --json (issue 14); a new one joins this list with a test
JSON_COMMANDS = {"check", "clusters list", "clusters test", "inspect", "plugins", "projects", "run", "snapshots",
                 "sync", "verify"}


def _commands(cmd: click.Command, path: list[str], parent: click.Context | None = None) -> Iterator[Walked]:
    """Each command with the context of its parent group (plugin options take their prefix from it)."""
    yield path, cmd, parent
    if isinstance(cmd, click.Group):
        here = click.Context(cmd, info_name=path[-1], parent=parent, **cmd.context_settings)
        for name, sub in sorted(cmd.commands.items()):
            yield from _commands(sub, [*path, name], here)


def _expected(path: list[str], param: click.Option) -> str:
    flag = max((o for o in param.opts if o.startswith("--")), key=len)
    return "_".join(["SCMIGRATE", *[p.upper().replace("-", "_") for p in path[1:]],
                     flag[2:].upper().replace("-", "_")])


def _value(param: click.Option, existing_file: Path) -> str:
    if param.is_flag or param.count:
        return "1"
    kind = param.type
    if isinstance(kind, click.Choice):
        return str(kind.choices[-1])
    if isinstance(kind, (click.IntRange, click.types.IntParamType)):
        return "5"
    if isinstance(kind, (click.FloatRange, click.types.FloatParamType)):
        return "2.5"
    if isinstance(kind, click.Path):
        return str(existing_file)
    return "x"


def _walk(monkeypatch, tmp_path) -> dict[str, list[str]]:
    """Check every option of every command; returns the options seen, by command."""
    existing = tmp_path / "f.txt"
    existing.write_text("x")
    seen: dict[str, list[str]] = {}
    for path, cmd, parent in _commands(cli, ["scmigrate"]):
        # with the command's own settings, as make_context: click keeps the help option it makes first
        probe = click.Context(cmd, info_name=path[-1], parent=parent, **cmd.context_settings)
        options = [p for p in cmd.get_params(probe) if isinstance(p, click.Option) and p.expose_value]
        for param in options:
            name = _expected(path, param)
            assert param.envvar == name, (path, param.opts)
            monkeypatch.setenv(name, _value(param, existing))
        args = ["ARG" for p in cmd.params if isinstance(p, click.Argument)]
        if isinstance(cmd, click.Group):
            args = []
        ctx = cmd.make_context(path[-1], args, parent=parent, resilient_parsing=isinstance(cmd, click.Group))
        for param in options:
            assert ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT, (path, param.opts)
            default = param.get_default(ctx)
            assert ctx.params[param.name] not in (None, False, (), default), (path, param.opts, ctx.params)
        help_words = cmd.get_help(ctx).split()  # a name holds no space: wrapping never splits it
        for param in options:
            assert any(_expected(path, param) in w for w in help_words), (path, param.opts)
        for param in options:
            monkeypatch.delenv(_expected(path, param))
        seen[" ".join(path[1:])] = [max(p.opts, key=len) for p in options]
    return seen


def test_every_option_of_every_command_reads_its_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("SCMIGRATE_LOAD_PLUGINS", "")
    seen = _walk(monkeypatch, tmp_path)
    assert sum(map(len, seen.values())) >= 40  # the walk saw the commands' options, not an empty list
    for command in ("snapshots", "forget", "prune", "sync", "verify", "clusters add"):
        assert seen.get(command), command  # the repository's commands are walked too
    assert {c for c, opts in seen.items() if "--json" in opts} == JSON_COMMANDS


def test_every_plugin_option_follows_the_rule_too(monkeypatch, tmp_path):
    """The installed plugins' options, under each command's prefix (SCMIGRATE_VERIFY_READ_DATA)."""
    from scmigrate import plugins

    monkeypatch.delenv("SCMIGRATE_LOAD_PLUGINS", raising=False)
    plugins.reset()
    seen = _walk(monkeypatch, tmp_path)
    assert "--read-data" in seen["verify"] and "--read-data-subset" in seen["verify"]
    assert "--salvage" in seen["run"] and "--salvage" in seen["inspect"]


def test_a_variable_named_from_the_flag_reaches_the_command():
    """``SCMIGRATE_PLUGINS_JSON`` (the flag's name, not the parameter's ``as_json``), end to end."""
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["plugins"], env={"SCMIGRATE_PLUGINS_JSON": "1", "SCMIGRATE_LOAD_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("{")
