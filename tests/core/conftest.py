"""Fixtures for core tests: small real projects held in memory."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import image_bytes, make_item, put_memory


def _project(name: str = "Pets") -> Project:
    return Project.chain(
        name,
        Task("Detection", "detection", [Label("dog", "#ff0000ff"), Label("cat", "#00ff00ff"),
                                        Label("bird"), Label("No object", is_empty=True)]),
    )


def _item(i: int, labels: list[str] | None, lazy: bool = False, size: tuple[int, int] = (64, 48)):
    w, h = size
    payload = image_bytes(w, h, "PNG" if i % 2 else "JPEG", seed=i)
    media = Media(f"img-{i:04d}", "image", f"img{i}", f"img{i}.{'png' if i % 2 else 'jpg'}", width=w, height=h,
                  source_id=f"src-{i}")
    scenes = None
    if labels is not None:
        anns = [Annotation(Shape.polygon([(1, 1), (20, 2), (10, 30)]) if k % 2 else Shape.rectangle(2, 2, 10, 10),
                           [ScoredLabel(lb)]) for k, lb in enumerate(labels)]
        scenes = [Scene(anns)]
    if lazy:
        loaded = scenes

        def load(it, loaded=loaded):
            it.scenes = loaded

        return make_item(media, payload, None, load=load)
    return make_item(media, payload, scenes)


@pytest.fixture
def pets() -> Callable[..., object]:
    """``pets(name, n=10, lazy=False, **knobs)`` holds a project under ``memory:name``.

    Item i has labels: i%4==0 → dog, 1 → cat, 2 → dog+bird, 3 → unannotated.
    """

    def build(name: str = "src", n: int = 10, lazy: bool = False, **knobs):
        pattern = [["dog"], ["cat"], ["dog", "bird"], None]
        items = [_item(i, pattern[i % 4], lazy) for i in range(n)]
        return put_memory(name, _project(), items, **knobs)

    return build


class RecordingStream(io.BytesIO):
    """A stream over bytes that records the sizes it is asked for (``asked``; -1 for "all")."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, n: int | None = -1) -> bytes:
        self.asked.append(-1 if n is None else n)
        return super().read(n)


@pytest.fixture
def recording() -> type[RecordingStream]:
    """``recording(data)``: a :class:`RecordingStream` over ``data``."""
    return RecordingStream
