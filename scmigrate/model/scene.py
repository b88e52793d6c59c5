"""Annotation scenes: shapes in pixel coordinates, labels by name, video range labels.

**Annotated as empty, or not annotated.** One form in the whole model: an image is *not
annotated* when its item holds no scene for it, and *annotated as empty* (someone looked and
found nothing) when it holds a :class:`Scene` with zero annotations; a video frame likewise.
Every source produces this form and every sink consumes it. A cluster says "empty" its own way,
its first task's empty label alone on the full-image box: the cluster plugin translates at its
edge (:func:`read_empty_mark` when reading; the first task's empty label, chosen by its
``is_empty`` flag, never by name, when writing). The empty label of a *later* task of a chain
sits on its parent's box next to the parent's label and means "nothing of that task in this
box": it is an ordinary label of that one annotation, not a mark on the scene, and stays as is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._json import drop_none

if TYPE_CHECKING:
    from .project import Project

__all__ = ["SHAPE_TYPES", "Shape", "ScoredLabel", "Annotation", "Scene", "RangeLabel", "read_empty_mark"]

SHAPE_TYPES = ("RECTANGLE", "ELLIPSE", "POLYGON", "ROTATED_RECTANGLE", "KEYPOINT")


@dataclass
class Shape:
    """A shape in pixel coordinates, in the cluster's vocabulary.

    RECTANGLE and ELLIPSE: ``x, y, width, height`` (top-left and size; the ellipse's bounding box).
    ROTATED_RECTANGLE: ``x, y`` is the centre, ``width, height`` the rectangle's own, ``angle``
    degrees clockwise. POLYGON: ``points`` as ``[(x, y), ...]``. KEYPOINT: ``x, y, is_visible``.
    """

    type: str
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0
    angle: float = 0.0
    points: list[tuple[float, float]] = field(default_factory=list)
    is_visible: bool = True

    @classmethod
    def rectangle(cls, x: float, y: float, w: float, h: float) -> Shape:
        return cls("RECTANGLE", x, y, w, h)

    @classmethod
    def ellipse(cls, x: float, y: float, w: float, h: float) -> Shape:
        return cls("ELLIPSE", x, y, w, h)

    @classmethod
    def polygon(cls, points: list[tuple[float, float]]) -> Shape:
        return cls("POLYGON", points=[(float(px), float(py)) for px, py in points])

    @classmethod
    def rotated_rectangle(cls, cx: float, cy: float, w: float, h: float, angle: float) -> Shape:
        return cls("ROTATED_RECTANGLE", cx, cy, w, h, angle)

    @classmethod
    def keypoint(cls, x: float, y: float, visible: bool = True) -> Shape:
        return cls("KEYPOINT", x, y, is_visible=visible)

    @classmethod
    def full_image(cls, width: float, height: float) -> Shape:
        """The full-image box, on which a cluster expects image-level labels (classes, anomaly)."""
        return cls.rectangle(0.0, 0.0, float(width), float(height))

    def is_full_image(self, width: float | None, height: float | None) -> bool:
        """Whether this is the full-image RECTANGLE, within the 1 px a cluster's rounding moves it."""
        if self.type != "RECTANGLE" or width is None or height is None:
            return False
        return (abs(self.x) <= 1 and abs(self.y) <= 1
                and abs(self.x + self.width - width) <= 1 and abs(self.y + self.height - height) <= 1)

    def bbox(self) -> tuple[float, float, float, float]:
        """The axis-aligned bounding box ``(x, y, width, height)``."""
        if self.type in ("RECTANGLE", "ELLIPSE"):
            return (self.x, self.y, self.width, self.height)
        if self.type == "POLYGON":
            xs = [p[0] for p in self.points]
            ys = [p[1] for p in self.points]
            return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        if self.type == "ROTATED_RECTANGLE":
            corners = self.corners()
            xs = [p[0] for p in corners]
            ys = [p[1] for p in corners]
            return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
        return (self.x, self.y, 0.0, 0.0)

    def corners(self) -> list[tuple[float, float]]:
        """The four corners of a (rotated) rectangle, clockwise from top-left."""
        if self.type == "RECTANGLE":
            x, y, w, h = self.x, self.y, self.width, self.height
            return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        a = math.radians(self.angle)
        ca, sa = math.cos(a), math.sin(a)
        hw, hh = self.width / 2, self.height / 2
        out = []
        for dx, dy in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)):
            out.append((self.x + dx * ca - dy * sa, self.y + dx * sa + dy * ca))
        return out

    def to_dict(self) -> dict[str, Any]:
        t = self.type
        if t in ("RECTANGLE", "ELLIPSE"):
            return {"type": t, "x": self.x, "y": self.y, "width": self.width, "height": self.height}
        if t == "ROTATED_RECTANGLE":
            return {
                "type": t, "x": self.x, "y": self.y,
                "width": self.width, "height": self.height, "angle": self.angle,
            }
        if t == "POLYGON":
            return {"type": t, "points": [{"x": px, "y": py} for px, py in self.points]}
        if t == "KEYPOINT":
            return {"type": t, "x": self.x, "y": self.y, "is_visible": self.is_visible}
        raise ValueError(f"unknown shape type {t!r}")

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Shape:
        t = d["type"]
        if t == "POLYGON":
            return cls.polygon([(p["x"], p["y"]) for p in d["points"]])
        if t == "KEYPOINT":
            return cls.keypoint(d["x"], d["y"], bool(d.get("is_visible", True)))
        if t in ("RECTANGLE", "ELLIPSE", "ROTATED_RECTANGLE"):
            return cls(t, d["x"], d["y"], d["width"], d["height"], d.get("angle", 0.0))
        raise ValueError(f"unknown shape type {t!r}")


@dataclass
class ScoredLabel:
    name: str
    probability: float = 1.0
    source: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return drop_none({"name": self.name, "probability": self.probability, "source": self.source})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ScoredLabel:
        return cls(d["name"], float(d.get("probability", 1.0)), d.get("source"))


@dataclass
class Annotation:
    shape: Shape
    labels: list[ScoredLabel]
    id: str | None = None

    @property
    def label_names(self) -> list[str]:
        return [lb.name for lb in self.labels]

    def to_dict(self) -> dict[str, Any]:
        return drop_none(
            {"id": self.id, "shape": self.shape.to_dict(), "labels": [lb.to_dict() for lb in self.labels]}
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Annotation:
        return cls(
            shape=Shape.from_dict(d["shape"]),
            labels=[ScoredLabel.from_dict(x) for x in d["labels"]],
            id=d.get("id"),
        )


@dataclass
class Scene:
    """The latest annotation scene of one image (``frame is None``) or one video frame.

    A scene with no annotations means the image (frame) is **annotated as empty**; an image
    without a scene is not annotated (see the module's docstring). ``state_per_task`` maps task
    title to the cluster's state ("annotated", ...), when known.
    """

    annotations: list[Annotation] = field(default_factory=list)
    frame: int | None = None
    kind: str = "annotation"
    state_per_task: dict[str, str] = field(default_factory=dict)
    modified: str | None = None

    @property
    def is_empty(self) -> bool:
        """Annotated as empty: looked at, nothing found."""
        return not self.annotations

    def to_dict(self) -> dict[str, Any]:
        return drop_none(
            {
                "frame": self.frame,
                "kind": self.kind,
                "modified": self.modified,
                "state_per_task": dict(self.state_per_task) or None,
                "annotations": [a.to_dict() for a in self.annotations],
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scene:
        return cls(
            annotations=[Annotation.from_dict(a) for a in d.get("annotations", [])],
            frame=d.get("frame"),
            kind=d.get("kind", "annotation"),
            state_per_task=dict(d.get("state_per_task") or {}),
            modified=d.get("modified"),
        )


def read_empty_mark(scene: Scene, project: Project | Callable[[], Project], width: float | None,
                    height: float | None) -> Scene:
    """``scene`` in the model's form, for a reader of the cluster's form (a cluster, its exports,
    archives written before the model had one form): when its annotations are all the first
    task's empty label alone on the full-image box, an empty scene (annotated as empty);
    otherwise ``scene`` itself. With the media's size unknown a box at the origin counts.

    Only the *first* trainable task's empty label marks the scene: a later task's empty label
    sits next to its parent's label on the parent's box and is left where it is. ``project``
    may be a function that returns it, called only for a scene that may be a mark (a reader
    that loads the project on demand then loads it only for such scenes).
    """
    def covers(box: Shape) -> bool:
        if width and height:
            return box.is_full_image(width, height)
        return box.type == "RECTANGLE" and abs(box.x) <= 1 and abs(box.y) <= 1

    if not scene.annotations or not all(a.labels and covers(a.shape) for a in scene.annotations):
        return scene
    proj = project() if callable(project) else project
    first = proj.trainable_tasks[:1]
    marks = {lb.name for lb in first[0].labels if lb.is_empty} if first else set()
    if not all(sl.name in marks for a in scene.annotations for sl in a.labels):
        return scene
    return Scene(annotations=[], frame=scene.frame, kind=scene.kind,
                 state_per_task=dict(scene.state_per_task), modified=scene.modified)


@dataclass
class RangeLabel:
    """Labels on a range of video frames (inclusive), for classification and anomaly videos."""

    start_frame: int
    end_frame: int
    labels: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"start_frame": self.start_frame, "end_frame": self.end_frame, "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RangeLabel:
        return cls(int(d["start_frame"]), int(d["end_frame"]), list(d["labels"]))
