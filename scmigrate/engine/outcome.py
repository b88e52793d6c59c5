"""How a run ends: its failures put into the report, one error raised for them, the report written.

A run that did not move everything says so once: bad input raises :class:`InputError` (exit 2)
naming the first bad item, anything else :class:`TransferIncomplete` counting what did not move.
Either message says where the user finds the rest: the ``--report`` file, the lines above (when
every failure was shown), or the flag that would list them all.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..api import ConversionLog
from ..errors import InputError, TransferIncomplete
from .conversion import loss_lines
from .progress import Progress
from .report import Failure, Report

if TYPE_CHECKING:
    from .request import TransferRequest

__all__ = ["FAILURE_LINES", "close_report", "fill_report", "one_line", "raise_if_incomplete", "show", "where_listed"]

# Per pass, at most this many "failed: ..." lines: a cluster that goes away fails every item, and
# thousands of identical lines would hide the one line that says what to do.
FAILURE_LINES = 20


def one_line(exc: BaseException) -> str:
    """An error as one line: bad input as it reads, anything else prefixed with its type."""
    text = str(exc).strip().splitlines()
    msg = text[0] if text else ""
    return msg if isinstance(exc, InputError) else f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def where_listed(has_report: bool, failures: int, report: str = "see the report") -> str:
    """Where the user finds the failed items: the report, or the lines above when all were shown."""
    if has_report:
        return report
    return "listed above" if failures <= FAILURE_LINES else "--report FILE lists them all"


def fill_report(report: Report, failed: list[Failure], model_failures: list[Failure],
                reader_error: BaseException | None, log: ConversionLog, notes: list[str]) -> None:
    """Put what the run ended with into ``report``: failures, conversions, the source's notes, the total."""
    report.failures = failed + model_failures
    if reader_error is not None:
        report.failures.append(Failure("", "(source)", f"reading the source failed: {one_line(reader_error)}",
                                       isinstance(reader_error, InputError)))
    report.conversions = log.to_dict()
    report.source_notes = notes
    report.total = report.moved + len(failed)


def raise_if_incomplete(report: Report, failed: int, models_failed: int, reader_error: BaseException | None,
                        has_report: bool, target: str = "", first_bad: Failure | None = None,
                        progress: Progress | None = None) -> None:
    """Raise the one error for a run that did not move everything (``report`` already filled).

    ``target`` names the target project: bad input that stops a run after items landed says what
    the target now holds and the ways on (finish with ``--resume``, or remove it). ``first_bad`` is
    the first item of bad input, whose ``failed:`` line was held back: the error raised here is its
    one line (or, when the source itself failed, its line is shown now, before the source's error).
    """
    left = ""
    if report.moved and target:
        left = (f"; project {target!r} at {report.sink} was left with the {report.moved} item(s) "
                "that moved: fix the input and run again with --resume to finish it, or remove it")
    if isinstance(reader_error, InputError):
        if first_bad is not None and progress is not None:
            progress.log(f"failed: {first_bad.name}: {first_bad.error}", important=True)
        if left:
            raise InputError(f"{reader_error}{left}") from reader_error
        raise reader_error
    bad_input = [f for f in report.failures if f.input_error]
    if bad_input:
        first = first_bad or bad_input[0]
        more = ""
        if len(bad_input) > 1:
            more = f" (and {len(bad_input) - 1} more bad item(s); {where_listed(has_report, len(bad_input) - 1)})"
        raise InputError(first.error + more + left)
    if reader_error is not None:
        raise TransferIncomplete(
            f"reading the source failed after {report.moved} item(s) moved: {one_line(reader_error)}; "
            "run again with --resume", report,
        )
    if report.failures:
        what = []
        if failed:
            what.append(f"{failed} of {report.total} items")
        if models_failed:
            what.append(f"{models_failed} model(s)")
        raise TransferIncomplete(
            f"{' and '.join(what)} did not move ({where_listed(has_report, failed, 'see report')});"
            " run again with --resume", report,
        )


def close_report(report: Report, path: str | None, started: float, prog: Progress, failing: bool) -> None:
    """Stamp the duration and write the report, if asked; a failing run's own error stays the one shown."""
    report.duration = time.monotonic() - started
    if not path:
        return
    try:
        report.write(path)
    except InputError as exc:
        if not failing:
            raise
        prog.log(f"error: {exc}", important=True)


def show(request: TransferRequest, report: Report, progress: Progress) -> None:
    """What a finished project shows: its plan on a dry run (stdout), else its summary if asked."""
    if report.dry_run:
        if request.show_plan:
            print("\n".join(report.plan), flush=True)
    elif request.summaries:
        progress.log(report.summary())
        for line in loss_lines(report):  # in one short block, not only in the JSON report
            progress.log(line)
