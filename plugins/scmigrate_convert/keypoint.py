"""Keypoint detection target: the source's keypoint labels and structure, KEYPOINT shapes only.

Each keypoint is one annotation with one label (SC's rule). The keypoint structure (edges and
template positions, by label name) is carried over, restricted to the labels kept. Other shapes
are dropped and logged; a keypoint slightly off the image is moved onto its border. The task has
no empty label, so an empty image stays an empty scene (annotated, zero annotations).
"""

from __future__ import annotations

import copy
from typing import Any

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate.model import Label, Task

from .base import BaseConverter
from .labels import SourceInfo, color_for, structure_names
from .scenes import Out, Parsed

__all__ = ["KeypointConverter", "restrict_structure"]


def restrict_structure(structure: dict[str, Any] | None, names: set[str]) -> dict[str, Any]:
    """The keypoint structure with only the edges and positions of ``names``."""
    structure = copy.deepcopy(structure or {})
    edges = [e for e in structure.get("edges", []) if all(n in names for n in e.get("nodes", []))]
    positions = [p for p in structure.get("positions", []) if p.get("label") in names]
    return {**structure, "edges": edges, "positions": positions}


class KeypointConverter(BaseConverter):
    name = "keypoint_detection"
    description = "keypoints with their structure (edges, template positions)"
    task_types = ("keypoint_detection",)
    rules = (
        "KEYPOINT kept (one label each); keypoint structure kept",
        "RECTANGLE, POLYGON, ELLIPSE, ROTATED_RECTANGLE dropped; image-level labels dropped",
        "empty images stay empty scenes (the task has no empty label)",
    )

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        src = info.tasks_of_type("keypoint_detection")
        if not src or not [lb for lb in src[0].labels if not lb.is_empty]:
            raise InputError(
                f"project {info.project.name!r}: keypoint_detection needs a source with keypoint labels "
                f"and a keypoint structure; the source is {info.project.project_type or 'untyped'}"
            )
        task = src[0]
        # labels of whole objects (a "person" box around the points) are not keypoints
        points = structure_names(task.keypoint_structure)
        labels = [Label(lb.name, lb.color or color_for(lb.name), lb.group or f"{task.title} labels",
                        lb.parent, lb.hotkey) for lb in task.labels
                  if not lb.is_empty and (not points or lb.name in points)]
        structure = restrict_structure(task.keypoint_structure, {lb.name for lb in labels})
        return [Task(info.title_for(self.name, set()), self.name, labels, structure)]

    def place_empty(self, out: Out, parsed: Parsed) -> bool:
        return True  # zero annotations: annotated, nothing visible

    def fill(self, out: Out, parsed: Parsed, info: SourceInfo, through: bool) -> None:
        for sl in parsed.image_labels:
            out.drop(f"label {sl.name}: image-level label not used by {self.name}")
        allowed = {lb.name for lb in out.target.trainable_tasks[0].labels}
        for obj in parsed.objects:
            labels = out.keep_labels(obj.labels + obj.extra, allowed)
            if not labels:
                continue
            point = obj.shape("KEYPOINT")
            if point is None:
                out.drop(f"{obj.kind}: not used by {self.name}")
                continue
            if len(labels) > 1:
                out.log.dropped("label on a keypoint beyond its first")
            out.add(point, labels[:1], obj.id)
