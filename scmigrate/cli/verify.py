"""``scmigrate verify LOCATION``: re-check stored data; exit 0 intact, 1 damaged, 2 unreadable."""

from __future__ import annotations

from typing import Any

import click

from .options import SourceOptionsCommand, plugin_extra, registry, state
from .render import echo_json

__all__ = ["command"]


@click.command("verify", cls=SourceOptionsCommand)
@click.argument("location")
@click.option("--quick", is_flag=True, help="Only re-hash the stored bytes; do not check what the documents say.")
@click.option("--json", "as_json", is_flag=True, help="Print the result (intact, damaged members) as JSON.")
@click.pass_context
def command(ctx: click.Context, location: str, quick: bool, as_json: bool, **kw: Any) -> int:
    """Re-check the bytes and the documents of LOCATION; name each problem."""
    from ..api import RunOptions

    options = RunOptions(debug=state(ctx)["debug"], extra=plugin_extra(ctx, kw))
    src = registry().resolve_source(location)
    with src.open(location, options) as reader:
        damaged = reader.verify(quick=quick)
    if as_json:
        echo_json({"location": location, "intact": not damaged, "quick": quick, "damaged": damaged})
        return 1 if damaged else 0
    for line in damaged:
        click.echo(f"damaged: {line}")
    if damaged:
        click.echo(f"{location}: {len(damaged)} damaged member(s)", err=True)
        return 1
    if not state(ctx)["quiet"]:
        click.echo(f"{location}: intact")
    return 0
