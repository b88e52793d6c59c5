"""What a run asks for: a :class:`TransferRequest`, how one is built, and the check of its options.

``scmigrate run``, the Python API (``scmigrate.transfer``) and ``scmigrate.script.run`` each build
a request (:func:`make_request`) and hand it to :func:`scmigrate.engine.transfer`; none of them
runs a transfer any other way. The request holds everything a run needs, so they cannot drift apart.

A plugin option that neither end of the run uses is an error, refused before anything moves
(:func:`check_plugin_options`): otherwise ``--to x.scz --set learning_parameters.max_num_epochs=5``
(or ``auto_train="off"``) would succeed doing nothing of what was asked, and
``transfer(..., lables="dog")`` (a typo) would move every label. The command line and the Python
API share the check; each is answered in its own words (flags there, keyword arguments here).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ..api import RunOptions, Sink, Source
from ..errors import InputError
from ..registry import Registry, get_registry
from .progress import Progress
from .selection import parse_label_map

__all__ = ["TransferRequest", "make_options", "make_request", "check_plugin_options"]

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
    #: choose the projects (of a cluster, of a folder of archives) by name or glob, and by id; a
    #: choice of one project into a location that holds one is a run of that project alone
    projects: tuple[str, ...] = ()
    project_ids: tuple[str, ...] = ()
    #: print each ``--dry-run`` plan on stdout (``run --json`` puts it in its JSON instead)
    show_plan: bool = True
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


def _declared(*ends: Source | Sink) -> set[str]:
    return {o.name for end in ends for o in getattr(type(end), "options", ())}


def check_plugin_options(request: TransferRequest, sink: str) -> None:
    """Raise ``InputError`` for a plugin option given in ``request`` that its source and ``sink`` do not declare.

    ``sink`` is the location actually written: ``request.sink`` itself, or with ``--all-projects``
    into a folder, the location of one project in it.
    """
    reg = request.registry or get_registry()
    if request.given is not None:
        _check_flags(reg, request, sink, request.given)
        return
    # the Python API: ``None`` means "not given" (scripts pass ``ca_bundle=args.ca_bundle`` unconditionally)
    given = {k for k, v in request.options.extra.items() if v is not None}
    if not given:
        return
    src, snk = reg.resolve_source(request.source), reg.resolve_sink(sink)
    declared = _declared(src, snk)
    declared |= {name.replace("-", "_") for name in declared}
    unknown = sorted(given - declared)
    if unknown:
        here = ", ".join(sorted(n for n in declared if "-" not in n)) or "none"
        raise InputError(
            f"transfer(): unknown option(s) {', '.join(unknown)} for {request.source} ({src.name}) → "
            f"{request.sink} ({snk.name}); core options: {', '.join(sorted(CORE_OPTIONS))}; "
            f"options of this source and sink: {here}"
        )


def _check_flags(reg: Registry, request: TransferRequest, sink: str, given: frozenset[str]) -> None:
    """The command line: every flag is some plugin's (click refused the others), but maybe not these ends'."""
    if not given:
        return
    src = reg.resolve_source(request.source)  # a location nobody claims: the same error the run would give
    snk = reg.resolve_sink(sink)
    used = _declared(src, snk)
    for opt in sorted(given):
        if opt in used:
            continue
        owners = sorted({f"{kind} {r.name}" for kind, table in (("source", reg.sources), ("sink", reg.sinks))
                         for r in table.values() if any(o.name == opt for o in getattr(r.cls, "options", ()))})
        raise InputError(f"--{opt} does not apply to --from {request.source} ({src.name}) or --to {request.sink} "
                         f"({snk.name}); it is an option of {', '.join(owners)}")

