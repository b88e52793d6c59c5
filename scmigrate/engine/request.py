"""The one way into the engine: a :class:`TransferRequest` and :func:`transfer`.

``scmigrate run``, the Python API (``scmigrate.transfer``) and ``scmigrate.script.run`` each build
a request (:func:`make_request`) and hand it to :func:`transfer`; none of them runs a transfer
any other way. The request holds everything a run needs, so the three cannot drift apart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..api import RunOptions
from ..registry import Registry, get_registry
from .pipeline import move_project
from .plugin_options import check_plugin_options
from .progress import Progress
from .projects import move_all_projects
from .report import ProjectsReport, Report
from .selection import parse_label_map

__all__ = ["TransferRequest", "make_options", "make_request", "transfer"]

CORE_OPTIONS = frozenset(f.name for f in dataclasses.fields(RunOptions)) - {"extra"}


@dataclass
class TransferRequest:
    """One run: from where to where, with which options, and how it reports.

    ``given`` names the plugin options the user gave on the command line (their flag names); the
    CLI passes it, because a flag left at its default still has a value in ``options.extra``.
    ``None`` (the Python API) means "every plugin option whose value is not ``None``".
    """

    source: str
    sink: str
    options: RunOptions = field(default_factory=RunOptions)
    registry: Registry | None = None
    #: where progress goes (default: a bar on a terminal, else plain lines; nothing with ``quiet``)
    progress: Progress | None = None
    quiet: bool = False
    retries: int = 3
    retries_sleep: float = 0.0
    with_models: bool = False
    #: write the JSON report there (also when the run fails); with ``all_projects`` the combined one
    report_path: str | None = None
    #: every project of the source; ``sink`` is a folder (one location per project) or holds projects
    all_projects: bool = False
    #: print each project's one-line summary (to the progress stream; ``quiet`` silences it)
    summaries: bool = False
    given: frozenset[str] | None = None


def make_options(**options: Any) -> RunOptions:
    """``RunOptions`` from keyword arguments: core fields by name, anything else a plugin option.

    ``labels`` may be a list or ``"a,b"``; ``label_map`` a dict, ``"old=new,a=b"`` or a list of pairs.
    """
    core = {k: v for k, v in options.items() if k in CORE_OPTIONS}
    extra = {k: v for k, v in options.items() if k not in CORE_OPTIONS}
    labels = core.get("labels")
    if isinstance(labels, str):
        core["labels"] = [x.strip() for x in labels.split(",") if x.strip()] or None
    if "label_map" in core and not isinstance(core["label_map"], dict):
        core["label_map"] = parse_label_map(core["label_map"])
    return RunOptions(**core, extra=extra)


_REQUEST_FIELDS = frozenset(f.name for f in dataclasses.fields(TransferRequest)) - {"source", "sink", "options"}


def make_request(source: str, sink: str, *, plugin_options: dict[str, Any] | None = None, **kw: Any) -> TransferRequest:
    """A request from keyword arguments: the request's own fields by name, the rest :func:`make_options`.

    ``plugin_options`` go to ``RunOptions.extra`` as they are (the CLI's, by flag name).
    """
    own = {k: v for k, v in kw.items() if k in _REQUEST_FIELDS}
    options = make_options(**{k: v for k, v in kw.items() if k not in _REQUEST_FIELDS})
    options.extra.update(plugin_options or {})
    return TransferRequest(source, sink, options, **own)


def transfer(request: TransferRequest) -> Report | ProjectsReport:
    """Run ``request``: one project (a :class:`Report`) or, with ``all_projects``, each (a :class:`ProjectsReport`).

    With ``options.dry_run`` each plan is printed (stdout) and kept in the report. Raises
    ``InputError`` for bad input and ``TransferIncomplete`` when something did not move.
    """
    request = dataclasses.replace(request, registry=request.registry or get_registry())
    if request.all_projects:
        return move_all_projects(request)
    check_plugin_options(request, request.sink)
    return move_project(request)

