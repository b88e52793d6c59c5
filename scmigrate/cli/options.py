"""Plugin options as click flags, added when a command that opens locations is invoked.

Plugins declare options as data (:class:`scmigrate.api.PluginOption`); this is the only place
that turns them into click parameters. They are built lazily, in ``get_params``, so the plugins
load only when such a command runs (or shows its ``--help``), never for ``scmigrate --help``.
"""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["PluginOptionsCommand", "SourceOptionsCommand", "envvar_name", "given_plugin_options", "name_envvars",
           "plugin_extra", "registry", "state"]

#: every option's environment variable starts so: ``SCMIGRATE_<COMMAND>_<OPTION>``
PREFIX = "SCMIGRATE"


def envvar_name(prefix: str, flag: str) -> str:
    """The variable of ``flag`` (``--dry-run``) under ``prefix`` (``SCMIGRATE_RUN``): ``SCMIGRATE_RUN_DRY_RUN``."""
    return f"{prefix}_{flag.lstrip('-').upper().replace('-', '_')}"


def _long_flag(param: click.Option) -> str:
    longs = [o for o in param.opts if o.startswith("--")]
    return max(longs, key=len) if longs else param.opts[0]


def name_envvars(cmd: click.Command, prefix: str = PREFIX) -> None:
    """Give every option of ``cmd`` (and of its subcommands) the variable its flag implies, shown in ``--help``.

    From the flag, never from the Python name: ``--json`` is ``SCMIGRATE_INSPECT_JSON`` whatever
    the parameter is called in the code. Options that take no value (``--version``) have none.
    """
    for param in cmd.params:
        if isinstance(param, click.Option) and param.expose_value:
            param.envvar = envvar_name(prefix, _long_flag(param))
            param.show_envvar = True
    if isinstance(cmd, click.Group):
        for name, sub in cmd.commands.items():
            name_envvars(sub, envvar_name(prefix, name))


def state(ctx: click.Context) -> dict[str, Any]:
    """The group's settings (debug, quiet, verbose) as a dict kept on the root context."""
    root = ctx.find_root()
    if root.obj is None:
        root.obj = {"debug": False, "quiet": False, "verbose": 0}
    return root.obj


def registry() -> Any:
    """The registry of the default plugin manager (plugins load here, on first use)."""
    from ..registry import get_registry

    return get_registry()


_CLICK_TYPES: dict[Any, Any] = {str: click.STRING, int: click.INT, float: click.FLOAT, "path": click.Path()}


class PluginOptionsCommand(click.Command):
    """A command that also accepts every plugin's declared options as ``--<name>``."""

    #: whether the command writes (``run``): read-only commands offer only the sources' options,
    #: so that ``check --into-existing`` or ``inspect --set`` do not look as if they did something
    writes = True

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params = super().get_params(ctx)
        taken = {opt for p in params for opt in getattr(p, "opts", [])}
        extra: dict[str, str] = {}
        for opt in registry().plugin_options(sinks=self.writes):
            flag = f"--{opt.name}"
            if flag in taken:
                print(f"warning: plugin option {flag} clashes with a core option and is ignored", file=sys.stderr)
                continue
            param_name = "plugin__" + opt.name.replace("-", "_")
            extra[param_name] = opt.name
            # the env var a user expects from the flag (SCMIGRATE_RUN_IMAGES), not from our param name
            envvar = envvar_name(_prefix_of(ctx), flag)
            if opt.type is bool:
                param = click.Option([flag, param_name], is_flag=True, default=bool(opt.default), help=opt.help,
                                     envvar=envvar, show_envvar=True)
            else:
                param = click.Option(
                    [flag, param_name],
                    type=_CLICK_TYPES.get(opt.type, click.STRING),
                    default=opt.default,
                    multiple=opt.multiple,
                    help=opt.help + (f" (plugin option, default {opt.default})" if opt.default is not None else ""),
                    envvar=envvar,
                    show_envvar=True,
                )
            params.append(param)
        ctx.meta["scmigrate.plugin_params"] = extra
        return params


def _prefix_of(ctx: click.Context) -> str:
    """``SCMIGRATE_RUN`` for ``scmigrate run``: the prefix of the command's variables, from its path."""
    names: list[str] = []
    while ctx.parent is not None:  # the root (``scmigrate``) is the prefix itself
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return "_".join([PREFIX] + [n.upper().replace("-", "_") for n in names])


class SourceOptionsCommand(PluginOptionsCommand):
    """A read-only command: accepts the options of the sources only."""

    writes = False


def plugin_extra(ctx: click.Context, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the plugin options out of a command's kwargs: ``{option name: value}``."""
    names: dict[str, str] = ctx.meta.get("scmigrate.plugin_params", {})
    out = {}
    for param_name, opt_name in names.items():
        value = kwargs.pop(param_name, None)
        if isinstance(value, tuple):
            value = list(value) or None
        out[opt_name] = value
    return out


def given_plugin_options(ctx: click.Context) -> frozenset[str]:
    """The plugin options given on the command line (by option name), not left at their defaults.

    Only the command line counts: an environment variable (``SCMIGRATE_RUN_...``) may be set for
    other runs too, where the option does apply.
    """
    from click.core import ParameterSource

    names: dict[str, str] = ctx.meta.get("scmigrate.plugin_params", {})
    return frozenset(opt for param, opt in names.items()
                     if ctx.get_parameter_source(param) is ParameterSource.COMMANDLINE)
