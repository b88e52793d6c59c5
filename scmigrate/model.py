"""The interchange model: the records that pass from a source, through converters, to a sink.

Every record has a JSON form (``to_dict``/``from_dict``) that validates against the schemas
in ``archive_spec/v1/``; the archive stores exactly these documents. Labels are referred to by
**name** everywhere in this model: ids of any cluster never leak into it (they travel only in
``source_id`` fields, for the report's id map). Coordinates are pixels of the original media.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, Iterator

__all__ = [
    "TASK_TYPES",
    "TRAINABLE_TASK_TYPES",
    "GLOBAL_TASK_TYPES",
    "SHAPE_TYPES",
    "Label",
    "Task",
    "Dataset",
    "Configuration",
    "Project",
    "Media",
    "Shape",
    "ScoredLabel",
    "Annotation",
    "Scene",
    "RangeLabel",
    "Item",
    "ModelFile",
    "ModelArtifact",
]

#: Every task type a pipeline may hold; "dataset" and "crop" are the non-trainable plumbing.
TASK_TYPES = (
    "dataset",
    "crop",
    "detection",
    "rotated_detection",
    "segmentation",
    "instance_segmentation",
    "classification",
    "anomaly",
    "keypoint_detection",
)
TRAINABLE_TASK_TYPES = tuple(t for t in TASK_TYPES if t not in ("dataset", "crop"))
#: Tasks whose labels sit on the whole image (the full-image box) rather than on a local shape.
GLOBAL_TASK_TYPES = ("classification", "anomaly")
SHAPE_TYPES = ("RECTANGLE", "ELLIPSE", "POLYGON", "ROTATED_RECTANGLE", "KEYPOINT")


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


# --------------------------------------------------------------------------- project


@dataclass
class Label:
    """A label of one task. ``group`` is its exclusive group, ``parent`` the parent label's name."""

    name: str
    color: str | None = None  # "#rrggbbaa" (or "#rrggbb")
    group: str | None = None
    parent: str | None = None
    hotkey: str = ""
    is_empty: bool = False
    is_anomalous: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "color": self.color,
            "group": self.group,
            "parent": self.parent,
            "hotkey": self.hotkey,
            "is_empty": self.is_empty,
            "is_anomalous": self.is_anomalous,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Label":
        return cls(
            name=d["name"],
            color=d.get("color"),
            group=d.get("group"),
            parent=d.get("parent"),
            hotkey=d.get("hotkey") or "",
            is_empty=bool(d.get("is_empty", False)),
            is_anomalous=bool(d.get("is_anomalous", False)),
        )


@dataclass
class Task:
    """One node of the pipeline. ``keypoint_structure`` refers to labels by name."""

    title: str
    task_type: str
    labels: list[Label] = field(default_factory=list)
    keypoint_structure: dict[str, Any] | None = None

    @property
    def trainable(self) -> bool:
        return self.task_type in TRAINABLE_TASK_TYPES

    @property
    def is_global(self) -> bool:
        return self.task_type in GLOBAL_TASK_TYPES

    def empty_label(self) -> Label | None:
        return next((lb for lb in self.labels if lb.is_empty), None)

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "title": self.title,
                "task_type": self.task_type,
                "labels": [lb.to_dict() for lb in self.labels],
                "keypoint_structure": self.keypoint_structure,
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Task":
        return cls(
            title=d["title"],
            task_type=d["task_type"],
            labels=[Label.from_dict(x) for x in d.get("labels", [])],
            keypoint_structure=d.get("keypoint_structure"),
        )


@dataclass
class Dataset:
    name: str
    use_for_training: bool = False
    source_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {"name": self.name, "use_for_training": self.use_for_training, "source_id": self.source_id}
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Dataset":
        return cls(d["name"], bool(d.get("use_for_training", False)), d.get("source_id"))


@dataclass
class Configuration:
    """Project settings.

    ``auto_training`` and ``training_parameters`` are keyed by task title and are what a sink
    re-applies; ``raw`` keeps the cluster's own configuration documents verbatim (keyed by
    document kind, e.g. ``"configuration"``, ``"project_configuration"``,
    ``"training_configuration/<task title>"``) so nothing is lost across versions.
    """

    auto_training: dict[str, bool] = field(default_factory=dict)
    training_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "auto_training": dict(self.auto_training),
            "training_parameters": {k: dict(v) for k, v in self.training_parameters.items()},
            "raw": dict(self.raw),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Configuration":
        return cls(
            auto_training=dict(d.get("auto_training", {})),
            training_parameters={k: dict(v) for k, v in d.get("training_parameters", {}).items()},
            raw=dict(d.get("raw", {})),
        )


@dataclass
class Project:
    """A project: its pipeline (tasks in order, connections by title), datasets and configuration.

    ``origin`` says where it came from: ``{"kind": "cluster"|"coco"|..., "version": ...,
    "project_id": ...}``; free-form but JSON.
    """

    name: str
    tasks: list[Task]
    connections: list[tuple[str, str]] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=lambda: [Dataset("Dataset", True)])
    configuration: Configuration = field(default_factory=Configuration)
    origin: dict[str, Any] = field(default_factory=dict)

    @property
    def trainable_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.trainable]

    @property
    def project_type(self) -> str:
        """The pipeline as one word: a task type, or ``"<first>_to_<second>"`` for a chain."""
        return "_to_".join(t.task_type for t in self.trainable_tasks)

    def labels(self) -> list[Label]:
        return [lb for t in self.trainable_tasks for lb in t.labels]

    def label(self, name: str) -> Label | None:
        return next((lb for lb in self.labels() if lb.name == name), None)

    def task_of(self, label_name: str) -> Task | None:
        return next((t for t in self.trainable_tasks if any(lb.name == label_name for lb in t.labels)), None)

    def training_dataset(self) -> Dataset:
        return next((d for d in self.datasets if d.use_for_training), self.datasets[0])

    @staticmethod
    def chain(name: str, *tasks: Task, **kw: Any) -> "Project":
        """Build the usual linear pipeline ``dataset → t1 [→ crop → t2]`` from trainable tasks."""
        nodes = [Task("Dataset", "dataset")]
        for i, t in enumerate(tasks):
            if i:
                nodes.append(Task("Crop" if i == 1 else f"Crop {i}", "crop"))
            nodes.append(t)
        conns = [(a.title, b.title) for a, b in zip(nodes, nodes[1:])]
        return Project(name=name, tasks=nodes, connections=conns, **kw)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pipeline": {
                "tasks": [t.to_dict() for t in self.tasks],
                "connections": [{"from": a, "to": b} for a, b in self.connections],
            },
            "datasets": [d.to_dict() for d in self.datasets],
            "configuration": self.configuration.to_dict(),
            "origin": dict(self.origin),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Project":
        pipe = d["pipeline"]
        return cls(
            name=d["name"],
            tasks=[Task.from_dict(t) for t in pipe["tasks"]],
            connections=[(c["from"], c["to"]) for c in pipe.get("connections", [])],
            datasets=[Dataset.from_dict(x) for x in d.get("datasets", [])] or [Dataset("Dataset", True)],
            configuration=Configuration.from_dict(d.get("configuration", {})),
            origin=dict(d.get("origin", {})),
        )


# --------------------------------------------------------------------------- media


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
        return _drop_none(
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
    def from_dict(cls, d: dict[str, Any]) -> "Media":
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


# --------------------------------------------------------------------------- annotations


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
    def rectangle(cls, x: float, y: float, w: float, h: float) -> "Shape":
        return cls("RECTANGLE", x, y, w, h)

    @classmethod
    def ellipse(cls, x: float, y: float, w: float, h: float) -> "Shape":
        return cls("ELLIPSE", x, y, w, h)

    @classmethod
    def polygon(cls, points: list[tuple[float, float]]) -> "Shape":
        return cls("POLYGON", points=[(float(px), float(py)) for px, py in points])

    @classmethod
    def rotated_rectangle(cls, cx: float, cy: float, w: float, h: float, angle: float) -> "Shape":
        return cls("ROTATED_RECTANGLE", cx, cy, w, h, angle)

    @classmethod
    def keypoint(cls, x: float, y: float, visible: bool = True) -> "Shape":
        return cls("KEYPOINT", x, y, is_visible=visible)

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
    def from_dict(cls, d: dict[str, Any]) -> "Shape":
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
        return _drop_none({"name": self.name, "probability": self.probability, "source": self.source})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "ScoredLabel":
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
        return _drop_none(
            {"id": self.id, "shape": self.shape.to_dict(), "labels": [lb.to_dict() for lb in self.labels]}
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Annotation":
        return cls(
            shape=Shape.from_dict(d["shape"]),
            labels=[ScoredLabel.from_dict(x) for x in d["labels"]],
            id=d.get("id"),
        )


@dataclass
class Scene:
    """The latest annotation scene of one image (``frame is None``) or one video frame.

    ``state_per_task`` maps task title to the cluster's state ("annotated", ...), when known.
    """

    annotations: list[Annotation] = field(default_factory=list)
    frame: int | None = None
    kind: str = "annotation"
    state_per_task: dict[str, str] = field(default_factory=dict)
    modified: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_none(
            {
                "frame": self.frame,
                "kind": self.kind,
                "modified": self.modified,
                "state_per_task": dict(self.state_per_task) or None,
                "annotations": [a.to_dict() for a in self.annotations],
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Scene":
        return cls(
            annotations=[Annotation.from_dict(a) for a in d.get("annotations", [])],
            frame=d.get("frame"),
            kind=d.get("kind", "annotation"),
            state_per_task=dict(d.get("state_per_task") or {}),
            modified=d.get("modified"),
        )


@dataclass
class RangeLabel:
    """Labels on a range of video frames (inclusive), for classification and anomaly videos."""

    start_frame: int
    end_frame: int
    labels: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"start_frame": self.start_frame, "end_frame": self.end_frame, "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RangeLabel":
        return cls(int(d["start_frame"]), int(d["end_frame"]), list(d["labels"]))


# --------------------------------------------------------------------------- items


@dataclass
class Item:
    """One media with its annotations, as it flows from a source to a sink.

    ``open()`` returns a fresh binary stream of the media's original bytes each time it is
    called (a sink may call it again to retry); the bytes are never decoded on the way.
    ``scenes`` and ``ranges`` may be filled lazily: a reader that must fetch them (a cluster)
    sets ``load`` instead, and the engine calls :meth:`resolve` in a worker thread.
    """

    media: Media
    open: Callable[[], BinaryIO]
    scenes: list[Scene] | None = None
    ranges: list[RangeLabel] | None = None
    load: Callable[["Item"], None] | None = None

    @property
    def key(self) -> str:
        return self.media.key

    def resolve(self) -> "Item":
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


def iter_chunks(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    """Read a binary stream in chunks (helper for sinks)."""
    while True:
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk
