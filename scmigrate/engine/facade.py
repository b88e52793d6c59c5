"""The Python API for scripts: ``scmigrate.transfer(from_="coco:...", to="x.scz", labels="dog")``.

A thin layer: the keywords become a :class:`~scmigrate.engine.request.TransferRequest` for
:func:`scmigrate.engine.transfer`, the one function every way into the engine calls.
"""

from __future__ import annotations

from typing import Any, Literal, overload

from ..registry import Registry
from .entry import transfer as _run
from .progress import Progress
from .report import ProjectsReport, Report
from .request import make_options, make_request

__all__ = ["transfer", "make_options"]


@overload
def transfer(from_: str, to: str, *, registry: Registry | None = ..., progress: Progress | None = ...,
             quiet: bool = ..., retries: int = ..., retries_sleep: float = ..., with_models: bool = ...,
             report: str | None = ..., all_projects: Literal[False] = ..., **options: Any) -> Report: ...


@overload
def transfer(from_: str, to: str, *, registry: Registry | None = ..., progress: Progress | None = ...,
             quiet: bool = ..., retries: int = ..., retries_sleep: float = ..., with_models: bool = ...,
             report: str | None = ..., all_projects: Literal[True], **options: Any) -> ProjectsReport: ...


@overload
def transfer(from_: str, to: str, *, registry: Registry | None = ..., progress: Progress | None = ...,
             quiet: bool = ..., retries: int = ..., retries_sleep: float = ..., with_models: bool = ...,
             report: str | None = ..., all_projects: bool, **options: Any) -> Report | ProjectsReport: ...


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
    all_projects: bool = False,
    **options: Any,
) -> Report | ProjectsReport:
    """Move a project from ``from_`` to ``to``; the keyword options are those of ``scmigrate run``.

    Example::

        import scmigrate
        scmigrate.transfer(from_="coco:instances.json", images="imgs/", to="dogs.scz",
                           project_type="detection", labels="dog", project="COCO dogs")

    With ``dry_run=True`` the plan is printed and returned in ``report.plan``. With
    ``all_projects=True`` every project of ``from_`` moves (``to`` is a folder, one archive each, or
    a cluster) and a :class:`ProjectsReport` comes back. Raises ``InputError`` for bad input and
    ``TransferIncomplete`` when something did not move.
    """
    return _run(make_request(
        from_, to, registry=registry, progress=progress, quiet=quiet, retries=retries,
        retries_sleep=retries_sleep, with_models=with_models, report_path=report, all_projects=all_projects,
        **options,
    ))
