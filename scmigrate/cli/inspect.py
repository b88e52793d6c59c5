"""``scmigrate inspect LOCATION``: what a source holds (project, tasks, labels with counts, media).

The counting is the engine's (:mod:`scmigrate.engine.census`); this module only renders it.
"""

from __future__ import annotations

from typing import Any

import click

from .options import SourceOptionsCommand, plugin_extra, registry, state
from .render import echo_json, size, table

__all__ = ["command"]


def _flat(value: Any) -> str:
    """A detail for a human: a dict (a cluster's HTTP statistics) as ``key value, ...``, not Python's repr."""
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} " + (f"({_flat(v)})" if isinstance(v, dict) and v else _flat(v))
                         for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(_flat(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@click.command("inspect", cls=SourceOptionsCommand)
@click.argument("location")
@click.option("--project", help="The project to inspect (sources that hold several).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def command(ctx: click.Context, location: str, project: str | None, as_json: bool, **kw: Any) -> int:
    """Show the project, tasks, labels (with counts) and media a source holds."""
    from ..api import RunOptions
    from ..engine.census import census_of

    options = RunOptions(project=project, debug=state(ctx)["debug"], extra=plugin_extra(ctx, kw))
    info = census_of(location, options, registry())
    if as_json:
        echo_json(info)
        return 0
    m = info["media"]
    click.echo(f"project: {info['project']}  ({info['project_type'] or 'no trainable task'})")
    click.echo(f"source:  {info['source']} ({location})")
    for key, value in info["details"].items():
        click.echo(f"{key}: {_flat(value)}")
    click.echo("pipeline: " + " → ".join(f"{t['title']} [{t['task_type']}]" for t in info["tasks"]))
    for task in info["tasks"]:
        if not task["labels"]:
            continue
        click.echo(f"task {task['title']} ({task['task_type']}):")
        rows = []
        for lb in task["labels"]:
            flags = ", ".join(f for f in ("empty" if lb["is_empty"] else "", "anomalous" if lb["is_anomalous"] else "",
                                          f"parent {lb['parent']}" if lb["parent"] else "") if f)
            rows.append([f"  {lb['name']}", f"{lb['annotations']} annotations", f"on {lb['media']} media",
                         lb["color"] or "", flags])
        click.echo(table(rows))
    click.echo(f"datasets: {', '.join(d['name'] for d in info['datasets'])}")
    click.echo(
        f"media: {m['images']} images, {m['videos']} videos, {size(m['bytes'])}"
        + (f" (+{m['bytes_unknown_for']} of unknown size)" if m["bytes_unknown_for"] else "")
    )
    click.echo(
        f"annotations: {m['annotations']} on {m['annotated']} media; {m['annotated_empty']} annotated as empty; "
        f"{m['unannotated']} not annotated" + (f"; {m['frames_annotated']} annotated video frames"
                                               if m["frames_annotated"] else "")
    )
    return 0
