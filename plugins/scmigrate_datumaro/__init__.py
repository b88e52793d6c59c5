"""Dataset sources through Datumaro: ``coco:PATH`` (a COCO instances JSON, option ``--images``)
and ``datumaro:[FORMAT:]PATH`` (every format Datumaro imports, detected when not named).

Importing this module is cheap: Datumaro, OpenCV and Pillow are imported when a location is opened.
"""

from __future__ import annotations

from typing import Callable

import scmigrate

from .sources import CocoSource, DatumaroSource

__all__ = ["CocoSource", "DatumaroSource", "register_sources"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    """Provide the ``coco`` and ``datumaro`` sources."""
    register(CocoSource)
    register(DatumaroSource)
