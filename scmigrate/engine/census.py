"""What a source holds, counted (``scmigrate inspect``): its project, labels with counts, media.

Counts follow the model's one form of "annotated as empty" (:mod:`scmigrate.model.scene`): an
image without a scene is *not annotated*, one whose scenes (and ranges) hold no annotation is
*annotated as empty*, any other is *annotated*. ``annotations`` is the number of annotations in
every scene, counted as ``run`` counts what it moved, so that ``run --to x.scz`` and
``inspect x.scz`` give the same number; an empty label (a chain's second task, on its parent's
box) is one label of its annotation and counts under that label like any other.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..api import RunOptions
from ..model import Item
from ..registry import Registry, get_registry

__all__ = ["Census", "media_state", "census_of"]


def media_state(item: Item) -> str:
    """``"unannotated"``, ``"annotated_empty"`` or ``"annotated"`` for a resolved item."""
    scenes = item.scenes or []
    if not scenes and not item.ranges:
        return "unannotated"
    if not item.ranges and all(s.is_empty for s in scenes):
        return "annotated_empty"
    return "annotated"


@dataclass
class Census:
    """Running counts over the items of one source."""

    media: Counter[str] = field(default_factory=Counter)
    per_label: Counter[str] = field(default_factory=Counter)
    media_per_label: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    unknown_size: int = 0

    def add(self, item: Item) -> None:
        item.resolve()
        self.media[item.media.kind + "s"] += 1
        if item.media.size is None:
            self.unknown_size += 1
        else:
            self.bytes += item.media.size
        self.media[media_state(item)] += 1
        scenes = item.scenes or []
        self.media["frames"] += sum(s.frame is not None for s in scenes)
        seen: set[str] = set()
        for scene in scenes:
            self.media["annotations"] += len(scene.annotations)
            for ann in scene.annotations:
                self.per_label.update(ann.label_names)
                seen.update(ann.label_names)
        for rng in item.ranges or []:
            seen.update(rng.labels)
        self.media_per_label.update(seen)

    def totals(self) -> dict[str, int]:
        m = self.media
        return {
            "images": m["images"], "videos": m["videos"], "bytes": self.bytes,
            "bytes_unknown_for": self.unknown_size, "frames_annotated": m["frames"],
            "annotated": m["annotated"], "annotated_empty": m["annotated_empty"],
            "unannotated": m["unannotated"], "annotations": m["annotations"],
        }


def census_of(location: str, options: RunOptions, registry: Registry | None = None) -> dict[str, Any]:
    """Open ``location`` as a source and count what it holds (reads every item's annotations).

    The answer is what ``inspect --json`` prints: project, source, tasks with each label's
    ``annotations`` and ``media`` counts, datasets, ``media`` totals and the reader's ``details``.
    """
    reg = registry or get_registry()
    src = reg.resolve_source(location)
    counts = Census()
    with src.open(location, options) as reader:
        project = reader.project()
        for item in reader.items():
            counts.add(item)
        described = reader.describe()
    tasks = [{
        "title": task.title,
        "task_type": task.task_type,
        "labels": [{**lb.to_dict(), "annotations": counts.per_label.get(lb.name, 0),
                    "media": counts.media_per_label.get(lb.name, 0)} for lb in task.labels],
    } for task in project.tasks]
    return {
        "location": location,
        "source": src.name,
        "project": project.name,
        "project_type": project.project_type,
        "tasks": tasks,
        "datasets": [d.to_dict() for d in project.datasets],
        "media": counts.totals(),
        "details": described,
    }
