"""A plugin option that neither end of a run uses is an error, refused before anything moves.

Otherwise ``--to x.scz --set learning_parameters.max_num_epochs=5`` (or ``auto_train="off"``)
would succeed doing nothing of what was asked, and ``transfer(..., lables="dog")`` (a typo)
would move every label. One check for the command line and the Python API; each is answered
in its own words (flags there, keyword arguments here).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from ..api import RunOptions, Sink, Source
from ..errors import InputError
from ..registry import Registry, get_registry

if TYPE_CHECKING:
    from .request import TransferRequest

__all__ = ["check_plugin_options"]

_CORE_OPTIONS = sorted(f.name for f in dataclasses.fields(RunOptions) if f.name != "extra")


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
            f"{request.sink} ({snk.name}); core options: {', '.join(_CORE_OPTIONS)}; "
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

