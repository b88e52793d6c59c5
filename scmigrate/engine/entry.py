"""The engine's one entry, :func:`transfer`: one project, or every project of the source.

With ``all_projects`` (``--all-projects``) each project of the source moves as a run of its own;
so do the projects chosen by name, glob or id (``projects``, ``project_ids``), and the projects of
a folder of archives (``--from backups/``): :mod:`.projectset` says which projects those are.

The target of each project is the ``--to`` location itself when its sink holds several projects
(a cluster, ``Sink.holds_projects``: every project keeps its name there), or else a location in
the ``--to`` folder that a sink offers for it (``Sink.location_in_folder``: ``NAME.scz`` for the
archive). One project that fails does not stop the others; the combined report lists them all.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..api import Sink
from ..errors import InputError, LocationError, TransferIncomplete
from ..registry import Registry, get_registry
from .pipeline import move_project
from .progress import Progress, make_progress
from .projectset import projects_of
from .report import ProjectsReport, Report
from .request import TransferRequest, check_plugin_options

__all__ = ["transfer", "move_all_projects", "safe_name"]

_STEM = "project"  # the stem that stands for any project when a folder's sink is looked for


def transfer(request: TransferRequest) -> Report | ProjectsReport:
    """Run ``request``: one project (a :class:`Report`) or, with ``all_projects``, each (a :class:`ProjectsReport`).

    With ``options.dry_run`` each plan is printed (stdout) and kept in the report. Raises
    ``InputError`` for bad input and ``TransferIncomplete`` when something did not move.
    """
    request = dataclasses.replace(request, registry=request.registry or get_registry())  # one registry for all
    if (request.projects or request.project_ids) and not request.all_projects:
        single = _one_chosen(request)
        if single is not None:
            check_plugin_options(single, single.sink)
            return move_project(single)
        return move_all_projects(request)
    if request.all_projects:
        return move_all_projects(request)
    check_plugin_options(request, request.sink)
    return move_project(request)


def _one_chosen(request: TransferRequest) -> TransferRequest | None:
    """The run of the one project a choice picks, when ``--to`` takes one project; else ``None``."""
    reg = request.registry or get_registry()
    if _sink_holds_projects(reg, request.sink) is None:  # a folder: one location per project, as ever
        return None
    chosen = projects_of(reg, request.source, request.options, request.projects, request.project_ids)
    if len(chosen) != 1:
        return None
    return _run_of(request, chosen[0], request.sink, request.progress, request.report_path)


def _run_of(request: TransferRequest, entry: dict[str, Any], target: str, progress: Progress | None,
            report_path: str | None) -> TransferRequest:
    """The request of one project of a run of several (``entry`` from :func:`projects_of`)."""
    location = entry.get("location")
    # a folder's project is a location of its own; a cluster's is picked by name there
    options = dataclasses.replace(request.options, project=None if location else entry["name"])
    return dataclasses.replace(request, source=location or request.source, sink=target, options=options,
                               progress=progress, report_path=report_path, all_projects=False, projects=(),
                               project_ids=())


def safe_name(name: str) -> str:
    """A project name as a file name: letters, digits, ``.-_``; never empty, never hidden."""
    cleaned = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return cleaned[:120] or "project"


def _sink_holds_projects(reg: Registry, location: str) -> bool | None:
    """Whether the sink that claims ``location`` holds several projects; ``None``: no sink claims it."""
    try:
        return bool(reg.resolve_sink(location).holds_projects)
    except LocationError:
        return None


def _folder_sink(reg: Registry, folder: str) -> type[Sink]:
    """The one sink that writes a project into ``folder``; ``InputError`` if none (or several) does."""
    offers = []
    for r in reg.sinks.values():
        sink = r.cls
        location = sink.location_in_folder(folder, _STEM)
        if location is not None and sink.claims(location):
            offers.append(sink)
    if len(offers) != 1:
        which = " and ".join(sorted(s.name for s in offers)) or "no installed sink"
        raise InputError(f"--all-projects --to {folder}: {which} write(s) projects into a folder; give a "
                         "cluster, or keep one such sink (--disable-plugin)")
    return offers[0]


def move_all_projects(request: TransferRequest) -> ProjectsReport:
    """Move every project of ``request.source`` to ``request.sink``; see the module's text.

    :raises InputError: bad input before anything moved; :raises TransferIncomplete: some project
        did not move completely (the exception's ``report`` is the :class:`ProjectsReport`).
    """
    reg = request.registry or get_registry()
    options, to = request.options, request.sink
    if options.project or options.to_project:
        raise InputError("--all-projects names the projects itself: leave out --project and --to-project")
    holds = _sink_holds_projects(reg, to)
    folder_sink = None if holds else _folder_sink(reg, to)
    if folder_sink is not None and holds is False:  # a sink claims --to as one project (x.scz): not a folder
        raise InputError(f"--all-projects writes one {folder_sink.name} per project: --to must be a directory "
                         f"(or a cluster), not {to!r}")
    if request.report_path:
        Report.check_writable(request.report_path)
    projects = projects_of(reg, request.source, options, request.projects, request.project_ids)
    # the options must apply to where each project comes from and goes (a folder of archives: an archive)
    first = dataclasses.replace(request, source=projects[0].get("location") or request.source) if projects else None
    if first is not None:
        check_plugin_options(first, (folder_sink.location_in_folder(to, _STEM) if folder_sink else None) or to)
    if not options.dry_run and not holds:
        from ..storage import storage_for

        storage_for(to).make_folder()  # a local folder; s3://b/folder/ needs none
    combined = ProjectsReport(source=request.source, sink=to, dry_run=options.dry_run)
    refused: list[str] = []
    try:
        _move_each(request, projects, folder_sink, combined, refused)
    except BaseException:
        if request.report_path:  # what moved before the interruption (or a plugin's crash) is on record too
            try:
                combined.write(request.report_path)
            except InputError as err:  # the run's own error stays the one shown last
                _progress(request).log(f"error: {err}", important=True)
        raise
    if request.report_path:
        combined.write(request.report_path)
    if request.summaries and len(projects) != 1:
        _progress(request).log(combined.summary().splitlines()[0])  # each project's summary came as it ended
    if combined.failed:
        # [issue 9] advice that works: --resume finishes what began; a project the target refused (a name
        # clash, bad input) never began, and --resume would not change what the target refused
        unfinished = [n for n in combined.failed if n not in refused]
        advice = ["run again with --resume" + (f" to finish {', '.join(unfinished)}" if refused else "")] \
            if unfinished else []
        if refused:
            advice.append(f"{', '.join(refused)} did not start (its error above says why); move each alone with "
                          "--project NAME, adding --into-existing to add to the project of that name at the "
                          "target or --to-project NEW to give it another name")
        raise TransferIncomplete(
            f"{len(combined.failed)} of {len(projects)} projects did not move completely "
            f"({', '.join(combined.failed)}); " + "; ".join(advice),
            combined,
        )
    return combined


def _move_each(request: TransferRequest, projects: list[dict[str, Any]], folder_sink: type[Sink] | None,
               combined: ProjectsReport, refused: list[str]) -> None:
    """Move one project after the other; the names of those the target refused (bad input) go to ``refused``."""
    used: set[str] = set()
    for entry in projects:
        name = entry["name"]
        stem, n = safe_name(name), 2
        while stem in used:
            stem, n = f"{safe_name(name)}-{n}", n + 1
        used.add(stem)
        target = request.sink
        if folder_sink is not None:
            target = folder_sink.location_in_folder(request.sink, stem) or target
        progress = _progress(request)
        progress.log(f"project {name!r} → {target}")  # not with -q: failures and errors still show
        one = _run_of(request, entry, target, progress, None)
        try:
            combined.entries.append(move_project(one))
        except (TransferIncomplete, InputError) as exc:
            progress.log(f"error: {name}: {exc}", important=True)
            combined.failed.append(name)
            if isinstance(exc, InputError):
                refused.append(name)
            rep = getattr(exc, "report", None)
            combined.entries.append(rep if isinstance(rep, Report) else {"project": name, "error": str(exc)})
        except BaseException as exc:
            combined.failed.append(name)
            why = "interrupted" if isinstance(exc, KeyboardInterrupt) else f"{type(exc).__name__}: {exc}"
            combined.entries.append({"project": name, "error": why})
            raise


def _progress(request: TransferRequest) -> Progress:
    """A progress of its own for each project (its counts start at zero), like the request's if it has one."""
    given = request.progress
    return make_progress(quiet=request.quiet) if given is None else Progress(given.mode, given.stream, given.interval)
