"""``scmigrate snapshots repo:PATH``: the snapshots a repository holds (id, time, project, counts)."""

from __future__ import annotations

from typing import Any

import click

from .options import registry
from .render import echo_json, size, table

__all__ = ["command", "repository_source"]


def repository_source(location: str) -> Any:
    """The source of ``location`` if it is a snapshot repository (it offers ``snapshots``), else one clear line."""
    from ..errors import InputError

    src = registry().resolve_source(location)
    if not callable(getattr(src, "snapshots", None)):
        raise InputError(f"{location}: not a snapshot repository (give repo:PATH)")
    return src


@click.command("snapshots")
@click.argument("location")
@click.option("--project", help="Only the snapshots of this project.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def command(location: str, project: str | None, as_json: bool) -> int:
    """List the snapshots in LOCATION (repo:PATH), oldest first."""
    snaps = repository_source(location).snapshots(location, project)
    if as_json:
        echo_json(snaps)
        return 0
    rows = [[s["id"][:8], s["time"].split(".")[0].replace("T", " "), s["project"], str(s["items"]),
             str(s["new_media"]), str(s["changed_annotations"]), str(s["removed_media"]), size(s["bytes_added"])]
            for s in snaps]
    click.echo(table(rows, ["ID", "TIME (UTC)", "PROJECT", "ITEMS", "NEW", "CHANGED", "REMOVED", "ADDED"]))
    return 0
