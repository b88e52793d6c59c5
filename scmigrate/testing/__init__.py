"""Helpers for testing scmigrate and its plugins: in-memory source and sink, images, conformance.

``MemorySource``/``MemorySink`` handle ``memory:NAME`` locations. A test puts a project and its
items under a name with :func:`put_memory`, registers :data:`memory_plugin` on a fresh plugin
manager, and reads back what a sink received with :func:`memory_target`. What a sink wrote under a
name can be read again as a source, so round trips need no files. Nothing here is registered
by default: ``memory:`` exists only where a test registers it. :func:`make_registry` builds that
fresh manager with only the plugins a test names.

This module is public (see :data:`scmigrate.api.PUBLIC_MODULES`): plugin tests may import it.
"""

from __future__ import annotations

import hashlib
import io
import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import hookimpl
from ..api import Reader, RunOptions, Sink, SizeHint, Source, Writer, WriteResult
from ..model import Item, Media, ModelArtifact, Project, Scene
from ..plugins import make_plugin_manager
from ..registry import Registry

__all__ = [
    "MemoryData",
    "MemorySource",
    "MemorySink",
    "memory_plugin",
    "make_registry",
    "put_memory",
    "memory_target",
    "clear_memory",
    "make_item",
    "image_bytes",
    "video_bytes",
    "check_source_conformance",
]


@dataclass
class MemoryData:
    """A project held in memory: what a ``memory:NAME`` source yields and a sink stores.

    The knobs let engine tests inject faults: ``fail`` maps an item key to how many write attempts
    fail before one succeeds; ``delay`` slows every write (seconds), ``load_delay`` every lazy load.
    """

    project: Project | None = None
    items: dict[str, Item] = field(default_factory=dict)
    payloads: dict[str, bytes] = field(default_factory=dict)
    models: list[ModelArtifact] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0
    state: dict[str, Any] | None = None
    finished: bool | None = None
    aborted: bool = False
    writes: int = 0
    #: most items yielded by this source but not yet written by any memory sink, at once
    #: (back-pressure; meaningful for a run whose items all reach the sink)
    in_flight_peak: int = 0
    _yielded: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)


_store: dict[str, MemoryData] = {}
_store_lock = threading.Lock()


def _written_total() -> int:
    with _store_lock:
        return sum(d.writes for d in _store.values())


def put_memory(name: str, project: Project, items: list[Item], **knobs: Any) -> MemoryData:
    """Hold ``project`` and ``items`` under ``memory:name`` (replacing what was there)."""
    data = MemoryData(project=project, items={it.key: it for it in items}, **knobs)
    with _store_lock:
        _store[name] = data
    return data


def memory_target(name: str, **knobs: Any) -> MemoryData:
    """The data held under ``memory:name``, created empty (with ``knobs``) if absent."""
    with _store_lock:
        data = _store.get(name)
        if data is None:
            data = _store[name] = MemoryData(**knobs)
        else:
            for k, v in knobs.items():
                setattr(data, k, v)
        return data


def clear_memory() -> None:
    with _store_lock:
        _store.clear()


def make_item(media: Media, payload: bytes, scenes: list[Scene] | None = None, **kw: Any) -> Item:
    """An item whose ``open()`` returns ``payload`` (size and sha256 filled in if missing)."""
    media.size = media.size if media.size is not None else len(payload)
    media.sha256 = media.sha256 or hashlib.sha256(payload).hexdigest()
    return Item(media=media, open=lambda: io.BytesIO(payload), scenes=scenes, **kw)


class _MemoryReader(Reader):
    def __init__(self, data: MemoryData) -> None:
        self.data = data

    def project(self) -> Project:
        assert self.data.project is not None
        return self.data.project

    def items(self) -> Iterator[Item]:
        base = _written_total()
        for item in list(self.data.items.values()):
            with self.data._lock:
                self.data._yielded += 1
                inflight = self.data._yielded - (_written_total() - base)
                self.data.in_flight_peak = max(self.data.in_flight_peak, inflight)
            yield item

    def size_hint(self) -> SizeHint:
        items = list(self.data.items.values())
        return SizeHint(
            items=len(items),
            bytes=sum(i.media.size or 0 for i in items),
            images=sum(i.media.kind == "image" for i in items),
            videos=sum(i.media.kind == "video" for i in items),
        )

    def models(self) -> Iterator[ModelArtifact]:
        return iter(self.data.models)

    def describe(self) -> dict[str, Any]:
        return {"store": "memory"}

    def verify(self, quick: bool = False) -> list[str]:
        bad = []
        for key, item in self.data.items.items():
            blob = item.open().read()
            if item.media.sha256 and hashlib.sha256(blob).hexdigest() != item.media.sha256:
                bad.append(f"{key}: sha256 mismatch")
        return bad


class MemorySource(Source):
    name = "memory"
    scheme = "memory"
    location_help = "memory:NAME"
    description = "a project held in memory (tests only)"

    def open(self, location: str, options: RunOptions) -> Reader:
        from ..errors import InputError

        with _store_lock:
            data = _store.get(self.location_path(location))
        if data is None or data.project is None:
            raise InputError(f"{location}: nothing is held under this name")
        return _MemoryReader(data)

    def list_projects(self, location: str, options: RunOptions) -> list[dict[str, Any]]:
        with _store_lock:
            return [{"name": d.project.name, "store": n} for n, d in _store.items() if d.project]


class _MemoryWriter(Writer):
    def __init__(self, data: MemoryData) -> None:
        self.data = data
        self._ids = 0

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        self.data.project = project
        self.data.state = state
        return {"project": project.name, "resumed": state is not None}

    def done_keys(self) -> set[str]:
        return set(self.data.items)

    def write(self, item: Item) -> WriteResult:
        data = self.data
        if data.delay:
            time.sleep(data.delay)
        with data._lock:
            left = data.fail.get(item.key, 0)
            if left:
                data.fail[item.key] = left - 1
        if left:
            raise ConnectionError(f"injected failure writing {item.key}")
        blob = item.open().read()
        payload = bytes(blob)
        stored = Item(media=item.media, open=lambda: io.BytesIO(payload), scenes=item.scenes, ranges=item.ranges)
        with data._lock:
            if item.key in data.items:
                raise RuntimeError(f"{item.key} written twice")
            data.items[item.key] = stored
            data.payloads[item.key] = payload
            data.writes += 1
            self._ids += 1
            new_id = f"mem-{len(data.items)}"
        return WriteResult(ids={"media": new_id}, bytes=len(payload))

    def write_model(self, model: ModelArtifact) -> WriteResult:
        self.data.models.append(model)
        return WriteResult(ids={"model": model.key})

    def finish(self, complete: bool) -> dict[str, Any]:
        self.data.finished = complete
        return {"items": len(self.data.items)}

    def abort(self) -> None:
        self.data.aborted = True


class MemorySink(Sink):
    name = "memory"
    scheme = "memory"
    location_help = "memory:NAME"
    description = "keeps what it receives in memory (tests only)"

    def open(self, location: str, options: RunOptions) -> Writer:
        return _MemoryWriter(memory_target(self.location_path(location)))


class _MemoryPlugin:
    """Register with ``make_plugin_manager(load=False, plugins=[memory_plugin])``."""

    __name__ = "memory"

    @hookimpl
    def register_sources(self, register: Any) -> None:
        register(MemorySource)

    @hookimpl
    def register_sinks(self, register: Any) -> None:
        register(MemorySink)


memory_plugin = _MemoryPlugin()


def make_registry(*plugins: object, load_installed: bool = False, block: Iterable[str] = ()) -> Registry:
    """What ``plugins`` register, on a fresh plugin manager: ``make_registry(my_plugin, memory_plugin)``.

    The registry lists the registered classes by name (``.sources``, ``.sinks``, ``.converters``,
    each entry naming its ``plugin``), resolves locations (``resolve_source``, ``resolve_sink``)
    and is what ``scmigrate.transfer(..., registry=...)`` runs with.

    :param plugins: modules or objects with ``@scmigrate.hookimpl`` functions, registered in order.
    :param load_installed: also load the installed plugins (entry-point group ``scmigrate``), as
        the command line does; off by default so a test sees only what it names.
    :param block: plugin names never to register (as ``--disable-plugin``).
    """
    return Registry(make_plugin_manager(load=load_installed, plugins=plugins, block=block))


def image_bytes(w: int, h: int, fmt: str = "JPEG", seed: int = 0) -> bytes:
    """A real image of ``w``×``h`` drawn with Pillow (a few coloured rectangles), deterministic per seed."""
    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    img = Image.new("RGB", (w, h), tuple(rnd.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x0, y0 = rnd.randrange(max(1, w - 1)), rnd.randrange(max(1, h - 1))
        x1, y1 = rnd.randrange(x0, w), rnd.randrange(y0, h)
        draw.rectangle((x0, y0, x1, y1), fill=tuple(rnd.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def video_bytes(w: int = 64, h: int = 48, frames: int = 10, fps: int = 5) -> bytes:
    """A real short H.264 MP4 (a light square moving right on a dark ground), written with PyAV."""
    from fractions import Fraction

    import av
    from PIL import Image, ImageDraw

    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = Fraction(1, fps)
        for i in range(frames):
            im = Image.new("RGB", (w, h), (10, 10, 10))
            ImageDraw.Draw(im).rectangle((i * 3, 10, i * 3 + 12, 22), fill=(250, 250, 250))
            frame = av.VideoFrame.from_image(im)
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return buf.getvalue()


def check_source_conformance(reader: Reader, *, tolerance: float = 1.0) -> dict[str, int]:
    """Check what a reader yields against the interchange contract; raise ``AssertionError`` listing problems.

    Checks: the project round-trips through ``to_dict``/``from_dict`` and has unique label names;
    item keys are unique; every item resolves and its stream matches the declared size and sha256;
    every scene's labels exist in the project; shapes lie inside the media (± ``tolerance`` px);
    media and scenes round-trip through their JSON forms. Returns counts (items, scenes, annotations).
    """
    problems: list[str] = []
    project = reader.project()
    if Project.from_dict(project.to_dict()).to_dict() != project.to_dict():
        problems.append("project does not round-trip through to_dict/from_dict")
    names = [lb.name for lb in project.labels()]
    if len(names) != len(set(names)):
        problems.append(f"duplicate label names: {sorted(n for n in set(names) if names.count(n) > 1)}")
    known = set(names)
    keys: set[str] = set()
    counts = {"items": 0, "scenes": 0, "annotations": 0}
    for item in reader.items():
        counts["items"] += 1
        key = item.key
        if key in keys:
            problems.append(f"{key}: key yielded twice")
        keys.add(key)
        media = item.media
        if Media.from_dict(media.to_dict()) != media:
            problems.append(f"{key}: media does not round-trip")
        item.resolve()
        blob = item.open().read()
        if media.size is not None and media.size != len(blob):
            problems.append(f"{key}: size {media.size} but the stream has {len(blob)} bytes")
        if media.sha256 and hashlib.sha256(blob).hexdigest() != media.sha256:
            problems.append(f"{key}: sha256 does not match the stream")
        for scene in item.scenes or []:
            counts["scenes"] += 1
            if Scene.from_dict(scene.to_dict()).to_dict() != scene.to_dict():
                problems.append(f"{key}: scene (frame {scene.frame}) does not round-trip")
            for ann in scene.annotations:
                counts["annotations"] += 1
                for name in ann.label_names:
                    if name not in known:
                        problems.append(f"{key}: label {name!r} is not in the project")
                if media.width and media.height:
                    x, y, w, h = ann.shape.bbox()
                    t = tolerance
                    if x < -t or y < -t or x + w > media.width + t or y + h > media.height + t:
                        problems.append(
                            f"{key}: {ann.shape.type} {(x, y, w, h)} lies outside {media.width}x{media.height}"
                        )
        for rng in item.ranges or []:
            for name in rng.labels:
                if name not in known:
                    problems.append(f"{key}: range label {name!r} is not in the project")
    if problems:
        raise AssertionError(f"{len(problems)} conformance problem(s):\n" + "\n".join(problems[:50]))
    return counts
