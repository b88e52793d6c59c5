"""scmigrate scenes → Datumaro annotations, for one export format; what the format cannot hold is counted.

=====================  ===================================================================
scmigrate              Datumaro
=====================  ===================================================================
RECTANGLE              Bbox (a full-image box of a classification/anomaly task: Label)
ROTATED_RECTANGLE      RotatedBbox where the format has it, else its 4-corner Polygon, else its Bbox
POLYGON                Polygon, else its Bbox (YOLO)
ELLIPSE                Ellipse where the format has it, else a 32-point Polygon, else its Bbox
KEYPOINT               the KEYPOINTs of one scene: one Points of the task's skeleton label
empty label            nothing: the image is written without objects (and counted)
=====================  ===================================================================

The table of what each format holds (:data:`FORMATS`) is the one the round-trip tests check.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from scmigrate.model import Project, Scene, Shape

__all__ = ["FormatInfo", "FORMATS", "MODELS_LINE", "RANGE_LOSS", "SKELETON", "to_datumaro", "project_losses",
           "range_losses", "video_lines"]

#: the Datumaro label that carries a keypoint task's Points (its point names are the task's labels)
SKELETON = "skeleton"


@dataclass(frozen=True)
class FormatInfo:
    """What one export format holds: the shapes it stores as they are, and the project facts."""

    exporter: str
    shapes: frozenset[str]  # shape types written as they are ("LABEL": image-level labels)
    polygons: bool  # whether a shape it lacks can become a polygon (else: a box)
    hierarchy: bool
    one_folder: bool = False  # the images of every subset share one folder: their names must not repeat


_F = frozenset
FORMATS: dict[str, FormatInfo] = {
    "coco": FormatInfo("coco_instances", _F({"RECTANGLE", "POLYGON", "KEYPOINT"}), True, False),
    "yolo_ultralytics": FormatInfo("yolo_ultralytics", _F({"RECTANGLE"}), False, False),
    "voc": FormatInfo("voc", _F({"RECTANGLE", "LABEL"}), False, False, one_folder=True),  # JPEGImages/
    "datumaro": FormatInfo("datumaro", _F({"RECTANGLE", "ROTATED_RECTANGLE", "POLYGON", "ELLIPSE", "KEYPOINT",
                                           "LABEL"}), True, True),
    "cvat": FormatInfo("cvat", _F({"RECTANGLE", "ROTATED_RECTANGLE", "POLYGON", "KEYPOINT", "LABEL"}), True, False,
                       one_folder=True),  # images/
}


def _ellipse_points(s: Shape, n: int = 32) -> list[float]:
    cx, cy, rx, ry = s.x + s.width / 2, s.y + s.height / 2, s.width / 2, s.height / 2
    out: list[float] = []
    for i in range(n):
        a = 2 * math.pi * i / n
        out += [cx + rx * math.cos(a), cy + ry * math.sin(a)]
    return out


def to_datumaro(
    scene: Scene, project: Project, fmt: FormatInfo, label_ids: dict[str, int], losses: Counter[str]
) -> list[Any]:
    """One scene's annotations as Datumaro annotations for ``fmt``; every loss is added to ``losses``."""
    from datumaro.components.annotation import Bbox, Ellipse, Label, Points, Polygon, RotatedBbox

    out: list[Any] = []
    points: dict[str, tuple[float, float, int]] = {}
    for n, ann in enumerate(scene.annotations, start=1):
        names = [lb.name for lb in ann.labels]
        label = project.label(names[0]) if names else None
        if label is None:
            losses["annotation without a label of the project: not written"] += 1
            continue
        if label.is_empty:
            continue  # the image's "no objects" mark: the item is written without annotations
        task = project.task_of(label.name)
        s = ann.shape
        if len(names) > 1:
            losses["annotation with several labels: written with its first label only"] += 1
        lid = label_ids[label.name]
        if task is not None and task.is_global:
            if "LABEL" in fmt.shapes:
                out.append(Label(lid, id=n))
            else:
                losses["image-level (classification) label: not held by the format"] += 1
            continue
        if s.type == "KEYPOINT":
            if "KEYPOINT" in fmt.shapes:
                points[label.name] = (s.x, s.y, 2 if s.is_visible else 1)
            else:
                losses["keypoint: not held by the format"] += 1
            continue
        out.extend(_shape(s, lid, n, fmt, losses, Bbox, Ellipse, Polygon, RotatedBbox))
    if points:
        task = next(t for t in project.trainable_tasks if t.task_type == "keypoint_detection")
        flat: list[float] = []
        vis: list[int] = []
        for lb in task.labels:
            if lb.is_empty:
                continue
            x, y, v = points.get(lb.name, (0.0, 0.0, 0))  # 0 = absent
            flat += [x, y]
            vis.append(v)
        out.append(Points(flat, vis, label=label_ids[SKELETON], id=len(scene.annotations) + 1))
    return out


def _shape(s: Shape, lid: int, n: int, fmt: FormatInfo, losses: Counter[str], Bbox: Any, Ellipse: Any,
           Polygon: Any, RotatedBbox: Any) -> list[Any]:
    kind = s.type
    if kind in fmt.shapes:
        if kind == "RECTANGLE":
            return [Bbox(s.x, s.y, s.width, s.height, label=lid, id=n)]
        if kind == "ROTATED_RECTANGLE":
            return [RotatedBbox(s.x, s.y, s.width, s.height, s.angle, label=lid, id=n)]
        if kind == "POLYGON":
            return [Polygon([v for p in s.points for v in p], label=lid, id=n)]
        if kind == "ELLIPSE":
            return [Ellipse(s.x, s.y, s.x + s.width, s.y + s.height, label=lid, id=n)]
    if kind in ("ROTATED_RECTANGLE", "ELLIPSE") and fmt.polygons:
        losses[f"{kind.lower().replace('_', ' ')}: written as a polygon"] += 1
        pts = [v for p in s.corners() for v in p] if kind == "ROTATED_RECTANGLE" else _ellipse_points(s)
        return [Polygon(pts, label=lid, id=n)]
    losses[f"{kind.lower().replace('_', ' ')}: written as its bounding box"] += 1
    return [Bbox(*s.bbox(), label=lid, id=n)]


def project_losses(project: Project, fmt_name: str) -> list[str]:
    """What the format cannot hold of the project itself, known before any item is read."""
    fmt = FORMATS[fmt_name]
    lines = []
    labels = [lb for lb in project.labels() if not lb.is_empty]
    if not fmt.hierarchy and any(lb.parent for lb in labels):
        lines.append("label hierarchy (parents): not held by the format")
    if fmt_name not in ("voc", "datumaro") and any(lb.color for lb in labels):
        lines.append("label colours: not held by the format")
    if any(lb.hotkey for lb in labels):
        lines.append("label hotkeys: not held by the format")
    if len(project.trainable_tasks) > 1:
        lines.append("task chain: written as one flat list of labels")
    for t in project.trainable_tasks:
        if t.is_global and "LABEL" not in fmt.shapes:
            lines.append(f"{t.task_type} labels (image-level): not held by the format")
        if t.task_type == "keypoint_detection" and "KEYPOINT" not in fmt.shapes:
            lines.append("keypoints: not held by the format")
        empty = t.empty_label()
        if empty is not None:
            lines.append(f"images marked {empty.name!r} (reviewed, no objects): written as images without "
                         "annotations; they read back as not annotated")
    lines.append(MODELS_LINE)
    return lines


#: what no dataset format holds: said in the plan and the report, never refused by --strict
MODELS_LINE = "models and training configuration: not held by the format"
#: the loss counted for each range label of a video (a label over frames start..end)
RANGE_LOSS = "video range label: not held by the format"


def video_lines(fmt_name: str) -> list[str]:
    """How videos are written (plan lines): the formats hold images, so a video is its annotated frames."""
    lines = ["videos: each annotated frame written as an image <video name>_frame_<index>.png with its "
             "annotations; frames without annotations are not written, nor is a video without any"]
    if fmt_name == "cvat":
        lines.append("videos: as CVAT for images, one <image> per frame; no tracks (CVAT for video) are written")
    return lines


def range_losses(project: Project) -> list[str]:
    """Range labels exist on classification and anomaly videos only; each one is counted when lost."""
    if not any(t.is_global for t in project.trainable_tasks):
        return []
    return ["video range labels: not held by the format; each one is counted (--strict fails a video that has any)"]
