"""The Python API for scripts: ``scmigrate.transfer(from_="coco:...", to="x.scz", labels="dog")``."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..api import RunOptions
from ..errors import InputError
from ..registry import Registry, get_registry
from .pipeline import transfer as _transfer
from .progress import Progress, make_progress
from .report import Report
from .selection import parse_label_map

__all__ = ["transfer", "make_options"]

_CORE_FIELDS = {f.name for f in dataclasses.fields(RunOptions)} - {"extra"}


def make_options(**options: Any) -> RunOptions:
    """``RunOptions`` from keyword arguments: core fields by name, anything else a plugin option.

    ``labels`` may be a list or ``"a,b"``; ``label_map`` a dict or ``"old=new,a=b"``.
    """
    core = {k: v for k, v in options.items() if k in _CORE_FIELDS}
    extra = {k: v for k, v in options.items() if k not in _CORE_FIELDS}
    labels = core.get("labels")
    if isinstance(labels, str):
        core["labels"] = [x.strip() for x in labels.split(",") if x.strip()]
    if "label_map" in core and not isinstance(core["label_map"], dict):
        core["label_map"] = parse_label_map(core["label_map"])
    return RunOptions(**core, extra=extra)


def _check_plugin_options(reg: Registry, from_: str, to: str, extra: dict[str, Any]) -> None:
    """A keyword that is neither a core option nor an option of the source or sink is an error.

    Without this, ``transfer(..., lables="dog")`` (a typo) would move every label, and
    ``transfer(..., to="x.scz", auto_train="off")`` would succeed doing nothing of what was asked.
    ``None`` means "not given" (scripts pass ``ca_bundle=args.ca_bundle`` unconditionally).
    """
    given = {k for k, v in extra.items() if v is not None}
    if not given:
        return
    src, snk = reg.resolve_source(from_), reg.resolve_sink(to)
    declared = {o.name for o in (*getattr(type(src), "options", ()), *getattr(type(snk), "options", ()))}
    declared |= {name.replace("-", "_") for name in declared}
    unknown = sorted(given - declared)
    if unknown:
        here = ", ".join(sorted(n for n in declared if "-" not in n)) or "none"
        raise InputError(
            f"transfer(): unknown option(s) {', '.join(unknown)} for {from_} ({src.name}) → {to} ({snk.name}); "
            f"core options: {', '.join(sorted(_CORE_FIELDS))}; options of this source and sink: {here}"
        )


def transfer(
    from_: str,
    to: str,
    *,
    registry: Registry | None = None,
    progress: Progress | None = None,
    quiet: bool = False,
    retries: int = 3,
    retries_sleep: float = 0.0,
    with_models: bool = False,
    report: str | None = None,
    **options: Any,
) -> Report:
    """Move a project from ``from_`` to ``to``; the keyword options are those of ``scmigrate run``.

    Example::

        import scmigrate
        scmigrate.transfer(from_="coco:instances.json", images="imgs/", to="dogs.scz",
                           project_type="detection", labels="dog", project="COCO dogs")

    With ``dry_run=True`` the plan is printed and returned in ``report.plan``. Raises
    ``InputError`` for bad input and ``TransferIncomplete`` when some items did not move.
    """
    opts = make_options(**options)
    _check_plugin_options(registry or get_registry(), from_, to, opts.extra)
    result = _transfer(
        from_, to, opts,
        registry=registry,
        progress=progress or make_progress(quiet=quiet),
        retries=retries,
        retries_sleep=retries_sleep,
        with_models=with_models,
        report_path=report,
    )
    if opts.dry_run:
        print("\n".join(result.plan))
    return result
