"""Media and the items that carry them (with their scenes) from a source to a sink; trained models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from ._json import drop_none
from .scene import RangeLabel, Scene

__all__ = ["Media", "Item", "ModelFile", "ModelArtifact"]


@dataclass
class Media:
    """One image or video. ``key`` is stable and unique within the project (journal, resume, report).

    ``name`` is the media name without extension (as clusters show it); ``filename`` the
    original file name with its extension. ``size`` and ``sha256`` describe the bytes when known;
    a sink that needs them before writing computes them while it streams.
    """

    key: str
    kind: str  # "image" | "video"
    name: str
    filename: str
    dataset: str = "Dataset"
    size: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None
    duration: float | None = None
    frame_stride: int | None = None
    upload_time: str | None = None
    uploader: str | None = None
    source_id: str | None = None

    @property
    def extension(self) -> str:
        dot = self.filename.rfind(".")
        return self.filename[dot:].lower() if dot > 0 else ""

    def to_dict(self) -> dict[str, Any]:
        return drop_none(
            {
                "key": self.key,
                "kind": self.kind,
                "name": self.name,
                "filename": self.filename,
                "dataset": self.dataset,
                "size": self.size,
                "sha256": self.sha256,
                "width": self.width,
                "height": self.height,
                "fps": self.fps,
                "frame_count": self.frame_count,
                "duration": self.duration,
                "frame_stride": self.frame_stride,
                "upload_time": self.upload_time,
                "uploader": self.uploader,
                "source_id": self.source_id,
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Media:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})


# --------------------------------------------------------------------------- items


@dataclass
class Item:
    """One media with its annotations, as it flows from a source to a sink.

    ``open()`` returns a fresh binary stream of the media's original bytes each time it is
    called (a sink may call it again to retry); the bytes are never decoded on the way.
    ``scenes`` and ``ranges`` may be filled lazily: a reader that must fetch them (a cluster)
    sets ``load`` instead, and the engine calls :meth:`resolve` in a worker thread.

    ``annotation_revision`` is what the source says identifies the item's annotations as they are
    now (a Geti 2.x listing's ``annotation_scene_id``; a snapshot's annotations blob), or None when
    it says nothing: a sink that stored the item at the same revision need not have them read again.
    It holds only while the scenes are the source's as read: selection and conversion drop it.
    """

    media: Media
    open: Callable[[], BinaryIO]
    scenes: list[Scene] | None = None
    ranges: list[RangeLabel] | None = None
    load: Callable[[Item], None] | None = None
    annotation_revision: str | None = None

    @property
    def key(self) -> str:
        return self.media.key

    def resolve(self) -> Item:
        """Fetch lazily loaded annotations (once); returns self."""
        if self.load is not None:
            loader, self.load = self.load, None
            loader(self)
        if self.scenes is None:
            self.scenes = []
        if self.ranges is None:
            self.ranges = []
        return self

    def image_scene(self) -> Scene | None:
        return next((s for s in self.scenes or [] if s.frame is None), None)

    def annotations_dict(self) -> dict[str, Any]:
        """The JSON form of this item's annotations (the archive's ``annotations`` member)."""
        self.resolve()
        return {
            "key": self.media.key,
            "scenes": [s.to_dict() for s in self.scenes or []],
            "ranges": [r.to_dict() for r in self.ranges or []],
        }


@dataclass
class ModelFile:
    name: str
    open: Callable[[], BinaryIO]
    size: int | None = None


@dataclass
class ModelArtifact:
    """A trained model kept by a backup: the cluster's metadata verbatim plus its exported files."""

    key: str
    metadata: dict[str, Any]
    files: list[ModelFile] = field(default_factory=list)
