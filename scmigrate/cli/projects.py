"""``scmigrate projects LOCATION``: the projects a source (a cluster) holds."""

from __future__ import annotations

from typing import Any

import click

from .options import SourceOptionsCommand, plugin_extra, registry, state
from .render import echo_json, table

__all__ = ["command"]


@click.command("projects", cls=SourceOptionsCommand)
@click.argument("location")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def command(ctx: click.Context, location: str, as_json: bool, **kw: Any) -> int:
    """List the projects at LOCATION (name, id, task types, media counts)."""
    from ..api import RunOptions

    options = RunOptions(debug=state(ctx)["debug"], extra=plugin_extra(ctx, kw))
    projects = registry().resolve_source(location).list_projects(location, options)
    if as_json:
        echo_json(projects)
        return 0
    rows = []
    for p in projects:
        types = p.get("task_types")
        rows.append([
            str(p.get("name", "")), str(p.get("id", "")),
            ", ".join(types) if isinstance(types, (list, tuple)) else str(types or ""),
            str(p.get("images", "")), str(p.get("videos", "")),
        ])
    click.echo(table(rows, ["NAME", "ID", "TASK TYPES", "IMAGES", "VIDEOS"]))
    return 0
