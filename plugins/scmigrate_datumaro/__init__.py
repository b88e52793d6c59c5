"""Dataset sources through Datumaro: ``coco:PATH`` (a COCO instances JSON, option ``--images``)
and ``datumaro:[FORMAT:]PATH`` (every format Datumaro imports, detected when not named); the
``datumaro:FORMAT:DIR`` sink (COCO, YOLO, VOC, Datumaro, CVAT through Datumaro's exporters).

Importing this module is cheap: Datumaro, OpenCV and Pillow are imported when a location is opened.
"""

from __future__ import annotations

from collections.abc import Callable

import scmigrate

from .sink import DatumaroSink
from .sources import CocoSource, DatumaroSource

__all__ = ["CocoSource", "DatumaroSource", "DatumaroSink", "register_sources", "register_sinks"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    """Provide the ``coco`` and ``datumaro`` sources."""
    register(CocoSource)
    register(DatumaroSource)


@scmigrate.hookimpl
def register_sinks(register: Callable[[type], None]) -> None:
    """Provide the ``datumaro:FORMAT:DIR`` sink."""
    register(DatumaroSink)
