"""``scmigrate sync --from A --to CLUSTER``: make the target project equal to the source's (source wins)."""

from __future__ import annotations

from typing import Any

import click

from .options import SourceOptionsCommand, plugin_extra, registry, state
from .render import echo_json

__all__ = ["command"]


@click.command("sync", cls=SourceOptionsCommand)
@click.option("--from", "from_", required=True, metavar="LOCATION", help="The project as it should be.")
@click.option("--to", "to", required=True, metavar="LOCATION", help="The cluster whose project is made equal to it.")
@click.option("--project", help="The project to read (locations that hold several).")
@click.option("--to-project", metavar="NAME", help="The project at --to, when its name differs.")
@click.option("--delete", is_flag=True, help="Also delete the target's media and labels that the source does not have.")
@click.option("-n", "--dry-run", is_flag=True, help="List every change; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print what was (or would be) added, updated, deleted as JSON.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Parallel reads and changes, fixed (default: automatic, as for run).")
@click.pass_context
def command(ctx: click.Context, from_: str, to: str, project: str | None, to_project: str | None, delete: bool,
            dry_run: bool, as_json: bool, workers: int | None, **kw: Any) -> int:
    """Add new labels and media, replace changed annotations, and with --delete remove what the source lacks."""
    from ..api import RunOptions
    from ..engine.sync import sync

    options = RunOptions(project=project, to_project=to_project, dry_run=dry_run, debug=state(ctx)["debug"],
                         extra=plugin_extra(ctx, kw))
    plan = sync(from_, to, options, delete=delete, registry=registry(), workers=workers)
    if as_json:
        echo_json(plan.to_dict())
    else:
        for line in plan.lines():
            click.echo(line)
    verb = "would add" if dry_run else "added"
    parts = [f"{verb} {len(plan.labels_added)} label(s)"] if plan.labels_added else []
    parts += [f"{'would delete' if dry_run else 'deleted'} {len(plan.labels_deleted)} label(s)"] \
        if plan.labels_deleted else []
    labels = "; " + ", ".join(parts) if parts else ""
    click.echo(f"{verb} {len(plan.add)}, {'would update' if dry_run else 'updated'} {len(plan.update)}, "
               f"{'would delete' if dry_run else 'deleted'} {len(plan.delete)} media"
               + (f"; {len(plan.kept_extra)} only on the target kept" if plan.kept_extra else "")
               + labels, err=True)
    return 0
