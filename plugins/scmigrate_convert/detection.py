"""Detection and rotated detection targets: every object becomes one box.

detection:         RECTANGLE kept; POLYGON, ELLIPSE and ROTATED_RECTANGLE → their bounding
                   RECTANGLE; an object given as a box and a polygon keeps the box; KEYPOINT dropped.
rotated_detection: ROTATED_RECTANGLE kept; RECTANGLE → ROTATED_RECTANGLE at angle 0 (what SC does);
                   POLYGON → its minimum-area ROTATED_RECTANGLE; ELLIPSE → its box at angle 0;
                   KEYPOINT dropped. In pass-through a RECTANGLE stays a RECTANGLE (SC accepts both).
Both: one label per exclusive group on a box; the empty label is "No object".
"""

from __future__ import annotations

import math

from scmigrate.api import RunOptions
from scmigrate.model import ScoredLabel, Shape, Task

from .base import BaseConverter, need_labels
from .geometry import box_to_rotated, to_box
from .labels import SourceInfo, empty_label, local_labels, object_labels
from .scenes import Obj, Out, Parsed

__all__ = ["DetectionConverter", "RotatedDetectionConverter", "min_area_rotated", "one_per_group"]


def _hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull (Andrew's monotone chain), counter-clockwise."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def min_area_rotated(points: list[tuple[float, float]]) -> Shape:
    """The smallest rotated rectangle holding ``points`` (one of its sides lies on a hull edge)."""
    hull = _hull(points)
    best: tuple[float, float, float, float, float, float] | None = None
    for (x0, y0), (x1, y1) in zip(hull, hull[1:] + hull[:1]):
        theta = math.atan2(y1 - y0, x1 - x0)
        c, s = math.cos(theta), math.sin(theta)
        # coordinates in the frame whose x axis runs along this edge
        us = [x * c + y * s for x, y in hull]
        vs = [-x * s + y * c for x, y in hull]
        area = (max(us) - min(us)) * (max(vs) - min(vs))
        if best is None or area < best[0]:
            best = (area, theta, min(us), max(us), min(vs), max(vs))
    if best is None:
        x, y, w, h = Shape.polygon(points).bbox()
        return Shape.rotated_rectangle(x + w / 2, y + h / 2, w, h, 0.0)
    _, theta, u0, u1, v0, v1 = best
    c, s = math.cos(theta), math.sin(theta)
    uc, vc = (u0 + u1) / 2, (v0 + v1) / 2
    cx, cy = uc * c - vc * s, uc * s + vc * c
    angle = math.degrees(theta) % 180.0  # image y points down, so this angle is clockwise
    return Shape.rotated_rectangle(cx, cy, u1 - u0, v1 - v0, angle)


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
    src = obj.shape("POLYGON", "ELLIPSE", "ROTATED_RECTANGLE")
    if src is not None:
        out.log.converted(f"{src.type} → RECTANGLE")
        return to_box(src)
    out.drop(f"{obj.shapes[0].type}: not used by {task}")
    return None


class DetectionConverter(BaseConverter):
    name = "detection"
    description = "boxes: polygons, ellipses and rotated boxes become their bounding box"
    task_types = ("detection",)
    rules = (
        "RECTANGLE kept; POLYGON, ELLIPSE, ROTATED_RECTANGLE → bounding RECTANGLE",
        "an object given as a box and a polygon keeps its box",
        "KEYPOINT dropped; image-level (classification, anomaly) labels dropped",
        "empty images → full-image box with the empty label",
    )

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        return [local_task(info, self.name, info.title_for(self.name, set()))]

    def fill(self, out: Out, parsed: Parsed, info: SourceInfo, through: bool) -> None:
        for sl in parsed.image_labels:
            out.drop(f"label {sl.name}: image-level label not used by {self.name}")
        allowed = {lb.name for lb in out.target.trainable_tasks[0].labels if not lb.is_empty}
        for obj in parsed.objects:
            labels = one_per_group(out, out.keep_labels(obj.labels + obj.extra, allowed))
            if not labels:
                continue
            shape = self.shape_for(out, obj, through)
            if shape is not None:
                out.add(shape, labels, obj.id)

    def shape_for(self, out: Out, obj: Obj, through: bool) -> Shape | None:
        return box_of(out, obj, self.name)


class RotatedDetectionConverter(DetectionConverter):
    name = "rotated_detection"
    description = "rotated boxes: kept, or made from boxes (angle 0) and polygons (minimum-area box)"
    task_types = ("rotated_detection",)
    rules = (
        "ROTATED_RECTANGLE kept; RECTANGLE → ROTATED_RECTANGLE (angle 0)",
        "POLYGON → minimum-area ROTATED_RECTANGLE; ELLIPSE → ROTATED_RECTANGLE of its box",
        "KEYPOINT dropped; image-level (classification, anomaly) labels dropped",
        "empty images → full-image box with the empty label",
    )

    def shape_for(self, out: Out, obj: Obj, through: bool) -> Shape | None:
        rot = obj.shape("ROTATED_RECTANGLE")
        if rot is not None:
            return rot
        # clip first: the rotated box is then made from what lies on the image
        poly = obj.shape("POLYGON")
        if poly is not None:
            out.log.converted("POLYGON → ROTATED_RECTANGLE")
            clipped = out.prefit(poly)
            return min_area_rotated(clipped.points) if clipped is not None else None
        box = obj.shape("RECTANGLE")
        if box is not None:
            if through:
                return box
            out.log.converted("RECTANGLE → ROTATED_RECTANGLE")
            clipped = out.prefit(box)
            return box_to_rotated(clipped) if clipped is not None else None
        ell = obj.shape("ELLIPSE")
        if ell is not None:
            out.log.converted("ELLIPSE → ROTATED_RECTANGLE")
            return box_to_rotated(to_box(ell))
        out.drop(f"{obj.shapes[0].type}: not used by {self.name}")
        return None
