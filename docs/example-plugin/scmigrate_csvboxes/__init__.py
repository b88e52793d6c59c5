"""scmigrate-csvboxes: an example third-party source plugin for scmigrate.

Reads ``csvboxes:FILE.csv``, a CSV file with the header ``image,label,x,y,width,height``:
one row per box, image paths relative to the CSV file. A row with only an image (the other
cells empty) marks an image with no objects.
"""

from __future__ import annotations

from typing import Callable

import scmigrate

# Only cheap imports here: scmigrate imports this module to ask `claims()` about every location.
from .source import CsvBoxesSource

__all__ = ["CsvBoxesSource", "register_sources"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    """Tell scmigrate about the ``csvboxes:`` source."""
    register(CsvBoxesSource)
