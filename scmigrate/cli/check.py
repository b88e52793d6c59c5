"""``scmigrate check --from A --to B``: are two locations the same project? (read-only)"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import click

from .options import SourceOptionsCommand, plugin_extra, registry, state
from .render import echo_json, make_cli_progress, progress_options

__all__ = ["command"]


@click.command("check", cls=SourceOptionsCommand)
@click.option("--from", "from_", required=True, metavar="LOCATION", help="The reference (read as a source).")
@click.option("--to", "to", required=True, metavar="LOCATION", help="The copy to check (read as a source too).")
@click.option("--project", multiple=True,
              help="The project to compare (locations that hold several); repeatable, or a glob: each one "
                   "chosen is checked against its namesake at --to.")
@click.option("--to-project", metavar="NAME", help="The project at --to, when its name differs (default: --project).")
@click.option("--one-way", is_flag=True, help="Only check that everything in --from is in --to.")
@click.option("--combined", type=click.Path(dir_okay=False), help="Write every media's line (= - + * !) there.")
@click.option("--missing-on-dst", type=click.Path(dir_okay=False), help="Write the media missing in --to there.")
@click.option("--workers", type=click.IntRange(min=1), default=8, show_default=True, help="Parallel reads.")
@click.option("--json", "as_json", is_flag=True,
              help="Print every media's line and the totals as JSON on standard output.")
@click.option("--all-projects", is_flag=True,
              help="Check every project of --from (a cluster, a folder of archives) against --to, by name.")
@progress_options
@click.pass_context
def command(ctx: click.Context, from_: str, to: str, project: tuple[str, ...], to_project: str | None, one_way: bool,
            combined: str | None, missing_on_dst: str | None, workers: int, as_json: bool, all_projects: bool,
            progress: bool, stats: float | None, **kw: Any) -> int:
    """Compare labels, media (sha256) and annotations of two locations; exit 0 identical, 1 different."""
    from ..api import RunOptions
    from ..engine import Report
    from ..engine.compare import compare_locations
    from ..errors import InputError

    for path, what in ((combined, "the --combined list"), (missing_on_dst, "the --missing-on-dst list")):
        if path:
            Report.check_writable(path, what)  # before reading both sides, not after
    from ..engine.projectset import GLOB

    st = state(ctx)
    project = tuple(dict.fromkeys(project))  # a name given twice is one project
    several = len(project) > 1 or any(GLOB & set(name) for name in project)
    options = RunOptions(project=None if several or not project else project[0], debug=st["debug"],
                         workers=workers, extra=plugin_extra(ctx, kw))
    dest_options = dataclasses.replace(options, project=to_project) if to_project else None
    shown = make_cli_progress(st["quiet"], progress, stats)
    if all_projects and project:
        raise InputError("check: --all-projects checks every project; leave out --project, or leave out --all-projects")
    if all_projects or several:
        if to_project or combined or missing_on_dst:
            flag = "--all-projects" if all_projects else "several projects"
            raise InputError(f"check {flag}: leave out --to-project, --combined and --missing-on-dst")
        return check_all(from_, to, options, one_way, as_json, shown, project)
    result = compare_locations(from_, to, options, registry=registry(), workers=workers, dest_options=dest_options,
                               progress=shown)
    identical = result.identical(one_way)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        echo_json({"identical": identical, "one_way": one_way, "totals": result.totals(),
                   "project_differences": result.project_diffs,
                   "lines": [{"symbol": s, "name": n, "reason": r} for s, n, r in result.lines]})
    else:
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
    click.echo(("identical: " if identical else "differences: ") + result.summary(), err=True)
    return 0 if identical else 1


def check_all(source: str, dest: str, options: Any, one_way: bool, as_json: bool, progress: Any,
              names: tuple[str, ...] = ()) -> int:
    """Each project of ``source`` (or those ``names`` choose: names, globs) against its namesake at ``dest``
    (a cluster, or a folder of the same kind)."""
    from ..engine.compare import compare_locations
    from ..engine.projectset import folder_locations, projects_of

    reg = registry()
    entries = projects_of(reg, source, options, names)
    dest_folder = {os.path.splitext(os.path.basename(loc))[0]: loc for loc in folder_locations(reg, dest) or []} \
        if os.path.isdir(dest) else None
    results, same = [], 0
    for entry in entries:
        name, location = str(entry["name"]), entry.get("location")
        opts = dataclasses.replace(options, project=None if location else name)
        other = dest if dest_folder is None else dest_folder.get(name, os.path.join(dest, name))
        result = compare_locations(location or source, other, opts, registry=reg, workers=options.workers or 8,
                                   progress=progress)
        identical = result.identical(one_way)
        same += identical
        results.append({"project": name, "identical": identical, "totals": result.totals(),
                        "project_differences": result.project_diffs,
                        "lines": [{"symbol": s, "name": n, "reason": r} for s, n, r in result.lines]})
        if not as_json:
            for diff in result.project_diffs:
                click.echo(f"{name}: * project: {diff}")
            for symbol, item, reason in result.lines:
                if symbol != "=" and not (one_way and symbol == "-"):
                    click.echo(f"{name}: {symbol} {item}" + (f"  ({reason})" if reason else ""))
        click.echo(f"{name}: " + ("identical: " if identical else "differences: ") + result.summary(), err=True)
    if as_json:
        echo_json({"identical": same == len(entries), "one_way": one_way, "projects": results})
    if same == len(entries):
        click.echo(f"identical: {same} of {len(entries)} projects", err=True)
        return 0
    click.echo(f"differences: {len(entries) - same} of {len(entries)} projects differ", err=True)
    return 1
