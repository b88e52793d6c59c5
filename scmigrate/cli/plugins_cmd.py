"""``scmigrate plugins``: what is installed, what it registers, and which plugins are broken."""

from __future__ import annotations

from typing import Any

import click

from .render import echo_json

__all__ = ["command", "describe_plugins"]


def _cls_info(reg: Any) -> dict[str, Any]:
    cls = reg.cls
    out: dict[str, Any] = {"name": reg.name, "plugin": reg.plugin, "description": getattr(cls, "description", "")}
    if hasattr(cls, "location_help"):
        out["location_help"] = cls.location_help
    opts = getattr(cls, "options", ())
    if opts:
        out["options"] = [{"name": o.name, "type": getattr(o.type, "__name__", str(o.type)), "default": o.default,
                           "help": o.help} for o in opts]
    return out


def describe_plugins() -> dict[str, Any]:
    """Plugins with version and hooks, registered classes, broken plugins and any registry error."""
    from ..errors import PluginError
    from ..plugins import get_plugin_manager
    from ..registry import Registry

    pm = get_plugin_manager()
    error = None
    try:
        reg: Registry | None = Registry(pm)
    except PluginError as exc:
        reg, error = None, str(exc)
    plugins = []
    for name, info in sorted(pm.infos.items()):
        plugin = pm.get_plugin(name)
        hooks = sorted(c.name for c in pm.get_hookcallers(plugin) or []) if plugin is not None else []
        plugins.append({"name": name, "distribution": info.distribution, "version": info.version,
                        "module": info.module, "hooks": hooks, "error": info.error})
    out: dict[str, Any] = {"plugins": plugins}
    for kind in ("sources", "sinks", "converters"):
        out[kind] = [_cls_info(r) for r in sorted(getattr(reg, kind).values(), key=lambda r: r.name)] if reg else []
    if error:
        out["error"] = error
    return out


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(as_json: bool) -> int:
    """List plugins, their versions and hooks, and the sources, sinks and converters they register.

    Exit 1 when a plugin is broken (it is listed, with its error), as a check in a script wants.
    """
    data = describe_plugins()
    broken = bool(data.get("error")) or any(p["error"] for p in data["plugins"])
    if as_json:
        echo_json(data)
        return 1 if broken else 0
    click.echo("plugins:")
    for p in data["plugins"]:
        version = f" {p['version']}" if p["version"] else ""
        if p["error"]:
            click.echo(f"  {p['name']}{version}: BROKEN: {p['error']}")
        else:
            click.echo(f"  {p['name']}{version} ({p['module']}): {', '.join(p['hooks']) or 'no hooks'}")
    for kind in ("sources", "sinks"):
        click.echo(f"{kind}:")
        for r in data[kind]:
            click.echo(f"  {r['name']} [{r['plugin']}]: {r.get('location_help') or '(no location help)'}")
            if r["description"]:
                click.echo(f"      {r['description']}")
            for o in r.get("options", []):
                click.echo(f"      --{o['name']} ({o['type']}): {o['help']}")
    click.echo("converters (--project-type):")
    width = max((len(r["name"]) for r in data["converters"]), default=0)
    for r in data["converters"]:
        click.echo(f"  {r['name']:<{width}}  [{r['plugin']}] {r['description']}")
    if data.get("error"):
        click.echo(f"error: {data['error']}", err=True)
    return 1 if broken else 0
