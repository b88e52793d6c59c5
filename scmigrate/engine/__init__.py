"""The transfer engine (DESIGN §6): workers with back-pressure, journal, retries, report, progress."""

from __future__ import annotations

from .facade import make_options
from .pipeline import transfer
from .progress import Progress, make_progress
from .report import Failure, Report
from .selection import Selection, parse_label_map

__all__ = ["transfer", "make_options", "Report", "Failure", "Progress", "make_progress", "Selection",
           "parse_label_map"]
