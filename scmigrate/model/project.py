"""A project: its pipeline of tasks, labels (by name), datasets and configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ._json import drop_none

__all__ = [
    "TASK_TYPES", "TRAINABLE_TASK_TYPES", "GLOBAL_TASK_TYPES", "Label", "Task", "Dataset", "Configuration", "Project",
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
    def from_dict(cls, d: dict[str, Any]) -> Label:
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
        return drop_none(
            {
                "title": self.title,
                "task_type": self.task_type,
                "labels": [lb.to_dict() for lb in self.labels],
                "keypoint_structure": self.keypoint_structure,
            }
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Task:
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
        return drop_none(
            {"name": self.name, "use_for_training": self.use_for_training, "source_id": self.source_id}
        )

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Dataset:
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
    def from_dict(cls, d: dict[str, Any]) -> Configuration:
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
    def chain(name: str, *tasks: Task, **kw: Any) -> Project:
        """Build the usual linear pipeline ``dataset → t1 [→ crop → t2]`` from trainable tasks."""
        nodes = [Task("Dataset", "dataset")]
        for i, t in enumerate(tasks):
            if i:
                nodes.append(Task("Crop" if i == 1 else f"Crop {i}", "crop"))
            nodes.append(t)
        conns = [(a.title, b.title) for a, b in pairwise(nodes)]
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
    def from_dict(cls, d: dict[str, Any]) -> Project:
        pipe = d["pipeline"]
        return cls(
            name=d["name"],
            tasks=[Task.from_dict(t) for t in pipe["tasks"]],
            connections=[(c["from"], c["to"]) for c in pipe.get("connections", [])],
            datasets=[Dataset.from_dict(x) for x in d.get("datasets", [])] or [Dataset("Dataset", True)],
            configuration=Configuration.from_dict(d.get("configuration", {})),
            origin=dict(d.get("origin", {})),
        )
