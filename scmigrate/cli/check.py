"""``scmigrate check --from A --to B``: are two locations the same project? (read-only)"""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from .options import SourceOptionsCommand, plugin_extra, registry, state

__all__ = ["command"]


@click.command("check", cls=SourceOptionsCommand)
@click.option("--from", "from_", required=True, metavar="LOCATION", help="The reference (read as a source).")
@click.option("--to", "to", required=True, metavar="LOCATION", help="The copy to check (read as a source too).")
@click.option("--project", help="The project to compare (locations that hold several).")
@click.option("--to-project", metavar="NAME", help="The project at --to, when its name differs (default: --project).")
@click.option("--one-way", is_flag=True, help="Only check that everything in --from is in --to.")
@click.option("--combined", type=click.Path(dir_okay=False), help="Write every media's line (= - + * !) there.")
@click.option("--missing-on-dst", type=click.Path(dir_okay=False), help="Write the media missing in --to there.")
@click.option("--workers", type=click.IntRange(min=1), default=8, show_default=True, help="Parallel reads.")
@click.pass_context
def command(ctx: click.Context, from_: str, to: str, project: str | None, to_project: str | None, one_way: bool,
            combined: str | None, missing_on_dst: str | None, workers: int, **kw: Any) -> int:
    """Compare labels, media (sha256) and annotations of two locations; exit 0 identical, 1 different."""
    from ..api import RunOptions
    from ..engine import Report
    from ..engine.compare import compare_locations

    for path, what in ((combined, "the --combined list"), (missing_on_dst, "the --missing-on-dst list")):
        if path:
            Report.check_writable(path, what)  # before reading both sides, not after
    options = RunOptions(project=project, debug=state(ctx)["debug"], workers=workers, extra=plugin_extra(ctx, kw))
    dest_options = dataclasses.replace(options, project=to_project) if to_project else None
    result = compare_locations(from_, to, options, registry=registry(), workers=workers, dest_options=dest_options)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    for diff in result.project_diffs:
        click.echo(f"* project: {diff}")
    for symbol, name, reason in result.lines:
        if symbol == "=" or (one_way and symbol == "-"):
            continue
        click.echo(f"{symbol} {name}" + (f"  ({reason})" if reason else ""))
    if combined:
        with open(combined, "w", encoding="utf-8") as fh:
            for symbol, name, _ in result.lines:
                fh.write(f"{symbol} {name}\n")
    if missing_on_dst:
        with open(missing_on_dst, "w", encoding="utf-8") as fh:
            for symbol, name, _ in result.lines:
                if symbol == "+":
                    fh.write(name + "\n")
    identical = result.identical(one_way)
    click.echo(("identical: " if identical else "differences: ") + result.summary(), err=True)
    return 0 if identical else 1
