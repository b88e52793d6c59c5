"""scmigrate-csvboxes: an example third-party plugin for scmigrate.

Reads ``csvboxes:FILE.csv``, a CSV file with the header ``image,label,x,y,width,height``:
one row per box, image paths relative to the CSV file. A row with only an image (the other
cells empty) marks an image with no objects. It also writes that format (``--to
csvboxes:OUT.csv``) and adds a converter, ``--project-type largest_box_classification``.
"""

from __future__ import annotations

from collections.abc import Callable

import scmigrate

# Only cheap imports here: scmigrate imports this module to ask `claims()` about every location.
from .converter import LargestBoxClassification
from .sink import CsvBoxesSink
from .source import CsvBoxesSource

__all__ = ["CsvBoxesSource", "CsvBoxesSink", "LargestBoxClassification"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    """Tell scmigrate about the ``csvboxes:`` source."""
    register(CsvBoxesSource)


@scmigrate.hookimpl
def register_sinks(register: Callable[[type], None]) -> None:
    """The ``csvboxes:`` sink (the same scheme as the source: one registry each)."""
    register(CsvBoxesSink)


@scmigrate.hookimpl
def register_converters(register: Callable[[type], None]) -> None:
    """``--project-type largest_box_classification``."""
    register(LargestBoxClassification)
