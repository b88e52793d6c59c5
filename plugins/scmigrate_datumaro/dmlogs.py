"""Datumaro's log records while it imports or exports: collected for the report, not printed.

Datumaro warns through the root logger (``logging.warning``) and through loggers of its own
modules; under ``scmigrate -q`` nothing but errors may reach the terminal, and what Datumaro says
("conflicting source ... is skipped") belongs with the source's notes, where ``--dry-run`` and the
report show it. Only records whose code lies inside the ``datumaro`` package are taken.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["datumaro_logs"]

_PACKAGE = os.sep + "datumaro" + os.sep


class _Collect(logging.Filter):
    def __init__(self, into: list[str]) -> None:
        super().__init__()
        self.into = into

    def filter(self, record: logging.LogRecord) -> bool:
        if _PACKAGE not in (record.pathname or "") and not record.name.startswith("datumaro"):
            return True
        if record.levelno >= logging.WARNING:
            self.into.append(" ".join(record.getMessage().split())[:300])
        return False


@contextmanager
def datumaro_logs(into: list[str]) -> Iterator[None]:
    """Within the block, Datumaro's warnings go to ``into`` instead of the log handlers."""
    collect = _Collect(into)
    root = logging.getLogger()
    # a filter on the root logger sees records logged through it; one on each handler also sees
    # the records that propagate from Datumaro's named loggers
    targets: list[logging.Filterer] = [root, *root.handlers]
    if logging.lastResort is not None:  # what prints a warning when no handler is configured
        targets.append(logging.lastResort)
    for t in targets:
        t.addFilter(collect)
    try:
        yield
    finally:
        for t in targets:
            t.removeFilter(collect)
