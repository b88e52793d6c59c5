"""``scmigrate run --from X --to Y``: move a project (or every project) from a source to a sink."""

from __future__ import annotations

from typing import Any

import click

from .options import PluginOptionsCommand, given_plugin_options, plugin_extra, registry, state
from .render import echo_json, make_cli_progress, progress_options

__all__ = ["command", "run_summary"]


def run_summary(report: Any) -> dict[str, Any]:
    """What ``run --json`` prints: the report's counts, without its long parts (id map, plan lines).

    ``--report FILE`` holds everything; with ``--dry-run`` the plan is here, as it is not printed.
    """
    from ..engine import ProjectsReport

    if isinstance(report, ProjectsReport):
        return {"source": report.source, "sink": report.sink, "dry_run": report.dry_run,
                "complete": report.complete, "failed": list(report.failed),
                "projects": [run_summary(e) if not isinstance(e, dict) else dict(e) for e in report.entries]}
    data = report.to_dict(id_map=False)  # left out below: not read back from disk for nothing
    out = {k: data[k] for k in ("source", "sink", "project", "target_project", "dry_run", "complete", "interrupted",
                                "total", "counts", "bytes", "duration_s", "skipped", "conversions", "sink_facts",
                                "retry_passes")}
    out["failed"] = len(report.failures)
    out["failures"] = data["failures"][:20]  # a few, to act on; the report file lists them all
    if report.dry_run:
        out["plan"] = data["plan"]
    return out


@click.command("run", cls=PluginOptionsCommand)
@click.option("--from", "from_", required=True, metavar="LOCATION", help="Where to read the project.")
@click.option("--to", "to", required=True, metavar="LOCATION", help="Where to write it.")
@click.option("--project", multiple=True,
              help="The project to read (cluster sources) or the name of the result; repeatable, or a glob "
                   "('Dog*'), to move several.")
@click.option("--project-id", multiple=True, metavar="ID", help="The project to read, by its id; repeatable.")
@click.option("--to-project", metavar="NAME", help="Name of the project at --to (default: the source's name).")
@click.option("--project-type", help="Convert to this project type (see `scmigrate plugins`).")
@click.option("--labels", help="Keep only these labels (comma-separated).")
@click.option("--label-map", multiple=True, metavar="OLD=NEW", help="Rename (or merge) labels; repeatable.")
@click.option("--keep-empty", is_flag=True, help="Keep items without a selected label as empty images.")
@click.option("--max-items", type=click.IntRange(min=1), help="Move at most N items.")
@click.option("--workers", type=click.IntRange(min=1), help="Fix the parallel transfers at N (default: adaptive).")
@click.option("--resume", is_flag=True, help="Finish an interrupted run: skip what already moved.")
@click.option("-n", "--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False),
              help="Write a JSON report there (- for standard output).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the summary (counts, skips, conversions; the plan with -n) as JSON on standard output.")
@click.option("--strict", is_flag=True, help="Fail an item when a conversion would drop anything from it.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Passes that re-try the items that failed.")
@click.option("--retries-sleep", type=click.FloatRange(min=0), default=0.0, help="Seconds between retry passes.")
@click.option("--with-models", is_flag=True, help="Also copy trained models (where the sink keeps them).")
@click.option("--all-projects", is_flag=True,
              help="Every project of the source; --to is a directory (one archive each) or a cluster.")
@progress_options
@click.option("-q", "--quiet", is_flag=True, help="No progress output (same as scmigrate -q).")
@click.pass_context
def command(ctx: click.Context, **kw: Any) -> int:
    """Move a project from --from to --to (converting it with --project-type)."""
    from ..engine import make_request, transfer
    from ..engine.projectset import GLOB
    from ..errors import InputError, TransferIncomplete

    st = state(ctx)
    quiet = kw.pop("quiet")
    quiet = st["quiet"] = st["quiet"] or quiet
    as_json = kw.pop("as_json")
    if as_json and kw["report_path"] == "-":
        raise InputError("--json and --report - both write to standard output: give --report a file")
    progress = make_cli_progress(quiet, kw.pop("progress"), kw.pop("stats"))
    extra = plugin_extra(ctx, kw)
    source, sink = kw.pop("from_"), kw.pop("to")
    names, ids = kw.pop("project"), kw.pop("project_id")
    if len(names) == 1 and not ids and not GLOB & set(names[0]):
        kw["project"] = names[0]  # one name: the project to read, or the name of the result
    else:
        kw.update(projects=names, project_ids=ids)  # a choice among the source's projects
    kw["label_map"] = list(kw["label_map"])
    # the command line's manners: each project's summary shown, the flags given named in errors
    request = make_request(source, sink, plugin_options=extra, debug=st["debug"], quiet=quiet, summaries=True,
                           registry=registry(), given=given_plugin_options(ctx), progress=progress,
                           show_plan=not as_json, **kw)
    try:
        report = transfer(request)
    except TransferIncomplete as exc:
        if as_json and exc.report is not None:
            echo_json(run_summary(exc.report))
        raise
    if as_json:
        echo_json(run_summary(report))
    return 0
