"""``scmigrate run --from X --to Y``: move a project (or every project) from a source to a sink."""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any

import click

from .options import PluginOptionsCommand, plugin_extra, registry, state

__all__ = ["command", "safe_name"]


def safe_name(name: str) -> str:
    """A project name as a file name: letters, digits, ``.-_``; never empty, never hidden."""
    cleaned = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return cleaned[:120] or "project"


@click.command("run", cls=PluginOptionsCommand)
@click.option("--from", "from_", required=True, metavar="LOCATION", help="Where to read the project.")
@click.option("--to", "to", required=True, metavar="LOCATION", help="Where to write it.")
@click.option("--project", help="The project to read (cluster sources) or the name of the result.")
@click.option("--to-project", metavar="NAME", help="Name of the project at --to (default: the source's name).")
@click.option("--project-type", help="Convert to this project type (see `scmigrate plugins`).")
@click.option("--labels", help="Keep only these labels (comma-separated).")
@click.option("--label-map", multiple=True, metavar="OLD=NEW", help="Rename (or merge) labels; repeatable.")
@click.option("--keep-empty", is_flag=True, help="Keep items without a selected label as empty images.")
@click.option("--max-items", type=click.IntRange(min=1), help="Move at most N items.")
@click.option("--workers", type=click.IntRange(min=1), help="Fix the parallel transfers at N (default: adaptive).")
@click.option("--resume", is_flag=True, help="Finish an interrupted run: skip what already moved.")
@click.option("-n", "--dry-run", is_flag=True, help="Print the plan; write nothing.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), help="Write a JSON report there.")
@click.option("--strict", is_flag=True, help="Fail an item when a conversion would drop anything from it.")
@click.option("--retries", type=click.IntRange(min=0), default=3, show_default=True,
              help="Passes that re-try the items that failed.")
@click.option("--retries-sleep", type=click.FloatRange(min=0), default=0.0, help="Seconds between retry passes.")
@click.option("--with-models", is_flag=True, help="Also copy trained models (where the sink keeps them).")
@click.option("--all-projects", is_flag=True, help="Every project of the source; --to is a directory (one archive each) or a cluster.")
@click.option("-q", "--quiet", is_flag=True, help="No progress output (same as scmigrate -q).")
@click.pass_context
def command(ctx: click.Context, **kw: Any) -> int:
    """Move a project from --from to --to (converting it with --project-type)."""
    from ..api import RunOptions
    from ..engine import make_progress, parse_label_map, transfer
    from ..errors import InputError, TransferIncomplete

    st = state(ctx)
    st["quiet"] = st["quiet"] or kw.pop("quiet")
    extra = plugin_extra(ctx, kw)
    labels = [x.strip() for x in (kw["labels"] or "").split(",") if x.strip()] or None
    options = RunOptions(
        project=kw["project"], to_project=kw["to_project"], project_type=kw["project_type"], labels=labels,
        label_map=parse_label_map(list(kw["label_map"])), keep_empty=kw["keep_empty"],
        max_items=kw["max_items"], workers=kw["workers"], resume=kw["resume"], dry_run=kw["dry_run"],
        strict=kw["strict"], debug=st["debug"], extra=extra,
    )
    common = dict(retries=kw["retries"], retries_sleep=kw["retries_sleep"], with_models=kw["with_models"])
    reg = registry()
    _check_options_apply(ctx, reg, kw["from_"], kw["to"], kw["all_projects"])
    if not kw["all_projects"]:
        progress = make_progress(quiet=st["quiet"])
        report = transfer(kw["from_"], kw["to"], options, registry=reg, progress=progress,
                          report_path=kw["report_path"], **common)
        _render(report, st["quiet"])
        return 0

    if options.project or options.to_project:
        raise InputError("--all-projects names the projects itself: leave out --project and --to-project")
    # A --to that holds several projects (a cluster) receives every project under its own name; anything
    # else is a folder of archives. Without this check, `--to cluster-b` made a local folder "cluster-b".
    to_cluster = _holds_projects(reg, kw["to"])
    if not to_cluster and (kw["to"].endswith(".scz") or _claimed_as_sink(reg, kw["to"])):
        raise InputError(f"--all-projects writes one archive per project: --to must be a directory "
                         f"(or a cluster), not {kw['to']!r}")
    if kw["report_path"]:
        from ..engine import Report

        Report.check_writable(kw["report_path"])
    projects = reg.resolve_source(kw["from_"]).list_projects(kw["from_"], options)
    if not kw["dry_run"] and not to_cluster:
        os.makedirs(kw["to"], exist_ok=True)
    reports, failed, used = [], [], set()
    for entry in projects:
        stem = safe_name(entry["name"])
        n = 2
        while stem in used:
            stem, n = f"{safe_name(entry['name'])}-{n}", n + 1
        used.add(stem)
        target = kw["to"] if to_cluster else os.path.join(kw["to"], stem + ".scz")
        click.echo(f"project {entry['name']!r} → {target}", err=True)
        try:
            report = transfer(kw["from_"], target, dataclasses.replace(options, project=entry["name"]),
                              registry=reg, progress=make_progress(quiet=st["quiet"]), **common)
            _render(report, st["quiet"])
            reports.append(report.to_dict())
        except (TransferIncomplete, InputError) as exc:
            click.echo(f"error: {entry['name']}: {exc}", err=True)
            failed.append(entry["name"])
            rep = getattr(exc, "report", None)
            reports.append(rep.to_dict() if rep is not None else {"project": entry["name"], "error": str(exc)})
    if kw["report_path"]:
        import json

        try:
            with open(kw["report_path"], "w", encoding="utf-8") as fh:
                json.dump({"projects": reports}, fh, indent=2, default=str)
        except OSError as e:
            raise InputError(f"{kw['report_path']}: cannot write the report ({e.strerror or e})") from None
    if failed:
        raise TransferIncomplete(
            f"{len(failed)} of {len(projects)} projects did not move completely ({', '.join(failed)}); "
            "run again with --resume"
        )
    return 0


def _check_options_apply(ctx: click.Context, reg: Any, source: str, sink: str, all_projects: bool) -> None:
    """A plugin option given on the command line that neither --from nor --to uses is an error.

    Otherwise ``--to x.scz --set learning_parameters.max_num_epochs=5`` (or ``--auto-train off``) would
    succeed while doing nothing of what was asked.
    """
    from click.core import ParameterSource

    from ..errors import InputError

    names: dict[str, str] = ctx.meta.get("scmigrate.plugin_params", {})
    given = [opt for param, opt in names.items() if ctx.get_parameter_source(param) is ParameterSource.COMMANDLINE]
    if not given:
        return
    src = reg.resolve_source(source)  # a location nobody claims: the same error the run would give
    folder = all_projects and not _holds_projects(reg, sink)
    snk = reg.resolve_sink(os.path.join(sink, "project.scz") if folder else sink)  # a folder of archives
    used = {o.name for o in (*getattr(type(src), "options", ()), *getattr(type(snk), "options", ()))}
    for opt in given:
        if opt in used:
            continue
        owners = sorted({f"{kind} {r.name}" for kind, table in (("source", reg.sources), ("sink", reg.sinks))
                         for r in table.values() if any(o.name == opt for o in getattr(r.cls, "options", ()))})
        raise InputError(f"--{opt} does not apply to --from {source} ({src.name}) or --to {sink} ({snk.name}); "
                         f"it is an option of {', '.join(owners)}")


def _claimed_as_sink(reg: Any, location: str) -> bool:
    from ..errors import LocationError

    try:
        reg.resolve_sink(location)
    except LocationError:
        return False
    return True


def _holds_projects(reg: Any, location: str) -> bool:
    """Whether ``location`` is a destination of several projects (a sink whose source selects one)."""
    from ..errors import LocationError

    if not _claimed_as_sink(reg, location):
        return False
    try:
        return bool(reg.resolve_source(location).selects_project)
    except LocationError:
        return False


def _render(report: Any, quiet: bool) -> None:
    if report.dry_run:
        click.echo("\n".join(report.plan))
    elif not quiet:
        click.echo(report.summary(), err=True)
