"""The in-memory source and sink for tests that run ``python -m scmigrate`` in a subprocess.

Loaded through a temporary entry point; on import it fills ``memory:src`` from the JSON in
``SCMIGRATE_TEST_MEMORY`` (``{"items": N, "fail": {key: times}, "delay": s}``) and sets the
fault knobs of ``memory:dst``. ``crash:`` locations raise an unexpected exception.
"""

from __future__ import annotations

import json
import os

import scmigrate
from scmigrate.api import Reader, RunOptions, Source
from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import MemorySink, MemorySource, image_bytes, make_item, memory_target, put_memory


class CrashSource(Source):
    name = "crash"
    location_help = "crash:ANY"

    @classmethod
    def claims(cls, location: str) -> bool:
        return location.startswith("crash:")

    def open(self, location: str, options: RunOptions) -> Reader:
        raise RuntimeError("kaboom in the fixture plugin")


@scmigrate.hookimpl
def register_sources(register):
    register(MemorySource)
    register(CrashSource)


@scmigrate.hookimpl
def register_sinks(register):
    register(MemorySink)


def _fill() -> None:
    spec = json.loads(os.environ.get("SCMIGRATE_TEST_MEMORY", "{}"))
    n = int(spec.get("items", 6))
    project = Project.chain("Pets", Task("Detection", "detection", [Label("dog"), Label("cat")]))
    items = []
    for i in range(n):
        label = "dog" if i % 2 == 0 else "cat"
        media = Media(f"img-{i:04d}", "image", f"img{i}", f"img{i}.jpg", width=32, height=32, source_id=f"s{i}")
        scene = Scene([Annotation(Shape.rectangle(1, 1, 8, 8), [ScoredLabel(label)])])
        items.append(make_item(media, image_bytes(32, 32, seed=i), [scene]))
    put_memory("src", project, items)
    memory_target("dst", fail=dict(spec.get("fail", {})), delay=float(spec.get("delay", 0)))


_fill()
