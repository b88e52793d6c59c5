"""One rule for environment variables: every option of every command is ``SCMIGRATE_<COMMAND>_<OPTION>``.

The walk below sets each option's variable (named from its flag, as the rule says) and checks that
the parsed command took the value from there, and that ``--help`` names the variable.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
from click.core import ParameterSource

from scmigrate.cli import cli


def _commands(cmd: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    yield path, cmd
    if isinstance(cmd, click.Group):
        for name, sub in sorted(cmd.commands.items()):
            yield from _commands(sub, [*path, name])


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


def test_every_option_of_every_command_reads_its_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("SCMIGRATE_LOAD_PLUGINS", "")  # core options; plugin options: test_cli_errors
    existing = tmp_path / "f.txt"
    existing.write_text("x")
    seen = 0
    for path, cmd in _commands(cli, ["scmigrate"]):
        options = [p for p in cmd.params if isinstance(p, click.Option) and p.expose_value]
        for param in options:
            name = _expected(path, param)
            assert param.envvar == name, (path, param.opts)
            monkeypatch.setenv(name, _value(param, existing))
        args = ["ARG" for p in cmd.params if isinstance(p, click.Argument)]
        if isinstance(cmd, click.Group):
            args = []
        ctx = cmd.make_context(path[-1], args, resilient_parsing=isinstance(cmd, click.Group))
        for param in options:
            assert ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT, (path, param.opts)
            default = param.get_default(ctx)
            assert ctx.params[param.name] not in (None, False, (), default), (path, param.opts, ctx.params)
            seen += 1
        help_words = cmd.get_help(ctx).split()  # a name holds no space: wrapping never splits it
        for param in options:
            assert any(_expected(path, param) in w for w in help_words), (path, param.opts)
        for param in options:
            monkeypatch.delenv(_expected(path, param))
    assert seen >= 40  # the walk saw the commands' options, not an empty list


def test_a_variable_named_from_the_flag_reaches_the_command():
    """``SCMIGRATE_PLUGINS_JSON`` (the flag's name, not the parameter's ``as_json``), end to end."""
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["plugins"], env={"SCMIGRATE_PLUGINS_JSON": "1", "SCMIGRATE_LOAD_PLUGINS": ""})
    assert result.exit_code == 0, result.output
    assert result.output.lstrip().startswith("{")
