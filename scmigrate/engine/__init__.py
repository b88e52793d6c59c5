"""The transfer engine (docs/architecture.md §4): workers with back-pressure, journal, retries, report, progress.

Its one entry is :func:`transfer` of a :class:`TransferRequest`; ``scmigrate run``, the Python
API (:func:`scmigrate.transfer`) and :mod:`scmigrate.script` build a request and call it.
"""

from __future__ import annotations

from .entry import transfer
from .progress import Progress, make_progress
from .report import Failure, ProjectsReport, Report
from .request import TransferRequest, make_options, make_request
from .selection import Selection, parse_label_map

__all__ = ["transfer", "TransferRequest", "make_request", "make_options", "Report", "ProjectsReport", "Failure",
           "Progress", "make_progress", "Selection", "parse_label_map"]
