"""Detection and rotated detection targets: every object becomes one box.

detection:         RECTANGLE kept; POLYGON, ELLIPSE and ROTATED_RECTANGLE → their bounding
                   RECTANGLE; an object given as a box and a polygon keeps the box; KEYPOINT dropped.
rotated_detection: ROTATED_RECTANGLE kept; RECTANGLE → ROTATED_RECTANGLE at angle 0 (what SC does);
                   POLYGON → its minimum-area ROTATED_RECTANGLE; ELLIPSE → its box at angle 0;
                   KEYPOINT dropped. In pass-through a RECTANGLE stays a RECTANGLE (SC accepts both).
Both: one label per exclusive group on a box; the empty label is "No object".
"""

from __future__ import annotations

from typing import ClassVar

from scmigrate.api import RunOptions
from scmigrate.model import ScoredLabel, Shape, Task, min_area_rotated

from .base import BaseConverter, need_labels
from .geometry import box_to_rotated, to_box, union_box
from .labels import SourceInfo, empty_label, local_labels, object_labels
from .scenes import Obj, Out, Parsed, merge_parts

__all__ = ["LocalShapeConverter", "DetectionConverter", "RotatedDetectionConverter", "one_per_group"]


def one_per_group(out: Out, labels: list[ScoredLabel]) -> list[ScoredLabel]:
    """SC refuses two labels of one exclusive group on an annotation: keep the first of each."""
    seen: set[str | None] = set()
    kept = []
    for sl in labels:
        lb = out.target.label(sl.name)
        group = lb.group if lb is not None else None
        if group in seen:
            out.log.dropped(f"label {sl.name}: a second label of its group on one shape")
            continue
        seen.add(group)
        kept.append(sl)
    return kept


def local_task(info: SourceInfo, task_type: str, title: str, rename: str = "{}") -> Task:
    """A local task (detection, segmentation, ...) built from the source's object labels."""
    srcs = object_labels(info, task_type)
    need_labels(srcs, task_type, info.project)
    labels = local_labels(srcs, group=f"{title} labels", rename=rename)
    return Task(title, task_type, labels + [empty_label(task_type, info)])


def box_of(out: Out, obj: Obj, task: str) -> Shape | None:
    """The RECTANGLE of an object for a detection task, logging what it was made from."""
    box = obj.shape("RECTANGLE")
    if box is not None:
        for other in obj.shapes:
            if other is not box:
                out.log.converted(f"{other.type} → RECTANGLE (merged with the object's box)")
        return box
    parts = [s for s in obj.shapes if s.type in ("POLYGON", "ELLIPSE", "ROTATED_RECTANGLE")]
    if len(parts) > 1:
        out.log.converted(f"object of {len(parts)} parts → one RECTANGLE around them")
        return union_box(parts)
    if parts:
        out.log.converted(f"{parts[0].type} → RECTANGLE")
        return to_box(parts[0])
    out.drop(f"{obj.shapes[0].type}: not used by {task}")
    return None


class LocalShapeConverter(BaseConverter):
    """One local task; each object becomes one shape (:meth:`shape_for`) with its labels."""

    #: one shape per source object, its parts merged (a box around them); False: one per part
    whole_objects: ClassVar[bool] = False

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        return [local_task(info, self.name, info.title_for(self.name, set()))]

    def fill(self, out: Out, parsed: Parsed, info: SourceInfo, through: bool) -> None:
        for sl in parsed.image_labels:
            out.drop(f"label {sl.name}: image-level label not used by {self.name}")
        allowed = {lb.name for lb in out.target.trainable_tasks[0].labels if not lb.is_empty}
        objects = merge_parts(parsed.objects) if self.whole_objects and not through else parsed.objects
        for obj in objects:
            labels = one_per_group(out, out.keep_labels(obj.labels + obj.extra, allowed))
            if not labels:
                continue
            shape = self.shape_for(out, obj, through)
            if shape is not None:
                out.add(shape, labels, obj.id)

    def shape_for(self, out: Out, obj: Obj, through: bool) -> Shape | None:
        """The target shape of one object (logged), or None when the target cannot use it."""
        raise NotImplementedError


class DetectionConverter(LocalShapeConverter):
    name = "detection"
    description = "boxes: polygons, ellipses and rotated boxes become their bounding box"
    task_types = ("detection",)
    whole_objects = True
    rules = (
        "RECTANGLE kept; POLYGON, ELLIPSE, ROTATED_RECTANGLE → bounding RECTANGLE",
        "an object given as a box and a polygon keeps its box",
        "an object in several parts (mask parts, several polygons) → one RECTANGLE around them",
        "KEYPOINT dropped; image-level (classification, anomaly) labels dropped",
        "empty images stay empty (on a cluster: the empty label on the full-image box)",
    )

    def shape_for(self, out: Out, obj: Obj, through: bool) -> Shape | None:
        return box_of(out, obj, self.name)


class RotatedDetectionConverter(DetectionConverter):
    name = "rotated_detection"
    description = "rotated boxes: kept, or made from boxes (angle 0) and polygons (minimum-area box)"
    task_types = ("rotated_detection",)
    rules = (
        "ROTATED_RECTANGLE kept; RECTANGLE → ROTATED_RECTANGLE (angle 0)",
        "POLYGON → minimum-area ROTATED_RECTANGLE (of all its parts, for an object in several)",
        "ELLIPSE → ROTATED_RECTANGLE of its box",
        "KEYPOINT dropped; image-level (classification, anomaly) labels dropped",
        "empty images stay empty (on a cluster: the empty label on the full-image box)",
    )

    def shape_for(self, out: Out, obj: Obj, through: bool) -> Shape | None:
        rot = obj.shape("ROTATED_RECTANGLE")
        if rot is not None:
            return rot
        # clip first: the rotated box is then made from what lies on the image
        polys = [s for s in obj.shapes if s.type == "POLYGON"]
        if polys:
            out.log.converted("POLYGON → ROTATED_RECTANGLE" if len(polys) == 1 else
                              f"object of {len(polys)} POLYGON parts → one ROTATED_RECTANGLE")
            clipped = [c for c in (out.prefit(p) for p in polys) if c is not None]
            return min_area_rotated([pt for c in clipped for pt in c.points]) if clipped else None
        box = obj.shape("RECTANGLE")
        if box is not None:
            if through:
                return box
            out.log.converted("RECTANGLE → ROTATED_RECTANGLE")
            fitted = out.prefit(box)
            return box_to_rotated(fitted) if fitted is not None else None
        ell = obj.shape("ELLIPSE")
        if ell is not None:
            out.log.converted("ELLIPSE → ROTATED_RECTANGLE")
            return box_to_rotated(to_box(ell))
        out.drop(f"{obj.shapes[0].type}: not used by {self.name}")
        return None
