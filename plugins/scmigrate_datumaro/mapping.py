"""Datumaro annotations → scmigrate shapes. The only per-type code this plugin has.

========================  ==========================================================
Datumaro                  scmigrate
========================  ==========================================================
Bbox                      RECTANGLE
RotatedBbox               ROTATED_RECTANGLE (centre, size, degrees clockwise: the same
                          convention, image y pointing down)
Polygon                   POLYGON
Mask, RleMask, ...        POLYGON per connected part; holes kept by a keyhole cut
                          (see :mod:`.masks`)
Ellipse                   ELLIPSE (its bounding box)
Points                    one KEYPOINT per point, labelled with the point's name
Label (image-level)       the label on the full-image RECTANGLE
PolyLine, Caption, ...    dropped, and counted in the reader's notes
========================  ==========================================================

COCO and VOC write each object's box next to its polygon or mask. A box of the label and extent
of a polygon, mask or ellipse is that region's box, so it is dropped: the object travels once, as
its region. (Datumaro's ``group`` cannot tell: VOC's groups of boxes and masks are numbered
differently.) A box grouped with a skeleton of its label is the skeleton's box (COCO keypoints).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from scmigrate.model import Annotation, ScoredLabel, Shape

from .masks import mask_to_polygons

__all__ = ["MappingStats", "map_annotations", "keypoint_names", "outlined", "REGIONS", "MAPPED"]

#: shapes that outline an object; a box grouped with one of them is that outline's box
REGIONS = ("polygon", "mask", "ellipse")
#: the Datumaro annotation types this module maps (every other type is dropped)
MAPPED = ("bbox", "rotated_bbox", "polygon", "mask", "ellipse", "points", "label")


class MappingStats:
    """Counts of what the mapping did, shared by the engine's worker threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()

    def add(self, what: str, n: int = 1) -> None:
        with self._lock:  # ``+=`` on a Counter is a read and a write: two threads could lose one
            self.counts[what] += n

    def merge(self, other: MappingStats) -> None:
        """Add the counts of one item's mapping."""
        for what, n in other.snapshot().items():
            self.add(what, n)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


def keypoint_names(points_categories: Any, label_id: int, label_name: str, count: int) -> list[str]:
    """The names of a Points annotation's points: Datumaro's point names, else "<label> <n>"."""
    if points_categories is not None:
        try:
            names = list(points_categories[label_id].labels)
        except (KeyError, IndexError):
            names = []
        if len(names) == count:
            return names
    return [f"{label_name} {i + 1}" for i in range(count)]


def _f(v: Any) -> float:
    """Datumaro keeps coordinates as float32 (192.2 becomes 192.19999694...); give back the shortest
    decimal that float32 value stands for, which is the number the source file held."""
    import numpy as np

    return float(str(np.float32(v)))


def _xy(points: Any) -> list[tuple[float, float]]:
    flat = [_f(v) for v in points]
    return list(zip(flat[0::2], flat[1::2], strict=False))


def outlined(anns: list[Any], skeletons: bool) -> set[tuple[int, int]]:
    """(group, label) of the objects drawn by an outline (and by a skeleton, if ``skeletons``)."""
    kinds = REGIONS + ("points",) if skeletons else REGIONS
    return {(a.group, a.label) for a in anns if a.group and _kind(a) in kinds}


def _extent(a: Any) -> tuple[float, float, float, float] | None:
    """The bounding box (x, y, w, h) of a polygon, ellipse or mask (its pixels); None for an empty mask."""
    import numpy as np

    kind = _kind(a)
    if kind == "polygon":
        xs, ys = a.points[0::2], a.points[1::2]
        return (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)) if xs else None
    if kind == "ellipse":
        return (a.x1, a.y1, a.x2 - a.x1, a.y2 - a.y1)
    ys, xs = np.nonzero(np.asarray(a.image))
    if not len(xs):
        return None
    return (float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))


def _grouped(anns: list[Any]) -> list[tuple[int, Any, int]]:
    """(label, extent, group) of the grouped regions."""
    return [(a.label, e, a.group) for a in anns if a.group and _kind(a) in REGIONS and (e := _extent(a))]


def _union(boxes: list[Any]) -> tuple[float, float, float, float] | None:
    if not boxes:
        return None
    x1, y1 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x2, y2 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return (x1, y1, x2 - x1, y2 - y1)


def _same_extent(box: Any, extent: tuple[float, float, float, float], tolerance: float = 1.5) -> bool:
    """Whether ``box`` is the region's own box. Groups cannot tell: Datumaro's VOC reader numbers the
    boxes from 0 and the instance masks from 1, so a mask's group is another object's box."""
    return all(abs(float(p) - q) <= tolerance for p, q in zip((box.x, box.y, box.w, box.h), extent, strict=True))


def _kind(ann: Any) -> str:
    return ann.type.name  # AnnotationType member name: "bbox", "polygon", "mask", ...


def map_annotations(
    anns: list[Any],
    label_name: Callable[[int | None], str | None],
    size: Callable[[], tuple[int, int]],
    points_categories: Any,
    stats: MappingStats,
    skeleton_boxes: bool = False,
) -> list[Annotation]:
    """Map one item's Datumaro annotations; ``size()`` gives (width, height) when a full-image box is needed.

    ``skeleton_boxes``: a box grouped with a skeleton (COCO writes one per person) is that skeleton's box.
    """
    skeletons = outlined([a for a in anns if _kind(a) == "points"], skeleton_boxes)
    extents = [(a.label, _extent(a)) for a in anns if _kind(a) in REGIONS]
    # an object drawn as several polygons (COCO) has one box around all of them
    extents += [(label, _union([e for lb, e, g in _grouped(anns) if (g, lb) == (group, label)]))
                for group, label in {(g, lb) for lb, _, g in _grouped(anns)}]
    out: list[Annotation] = []
    # Datumaro's COCO reader collects annotations back to front; the source's ids give the order back
    for a in sorted(anns, key=lambda a: getattr(a, "id", 0) or 0):
        kind = _kind(a)
        name = label_name(getattr(a, "label", None))
        if name is None:
            stats.add(f"{kind} without a label: dropped")
            continue
        # VOC's reader gives the attribute as the text "False"
        crowd = str(getattr(a, "attributes", {}).get("is_crowd", "")).lower() in ("1", "true")
        shapes: list[tuple[Shape, str]] = []  # (shape, label name)
        if kind == "bbox":
            if a.group and (a.group, a.label) in skeletons or any(
                    lbl == a.label and e is not None and _same_extent(a, e) for lbl, e in extents):
                stats.add("box of a polygon/mask/skeleton of the same object: not repeated")
                continue
            shapes.append((Shape.rectangle(_f(a.x), _f(a.y), _f(a.w), _f(a.h)), name))
        elif kind == "rotated_bbox":
            shapes.append((Shape.rotated_rectangle(*(_f(v) for v in (a.cx, a.cy, a.w, a.h, a.r))), name))
        elif kind == "polygon":
            pts = _xy(a.points)
            if len(pts) < 3:
                stats.add("polygon with fewer than 3 points: dropped")
                continue
            shapes.append((Shape.polygon(pts), name))
        elif kind == "mask":
            result = mask_to_polygons(a.image)
            if result.holes:
                stats.add("mask hole kept by a keyhole cut", result.holes)
            if result.dropped_holes:
                stats.add("mask hole (the smallest of too many for one polygon): dropped", result.dropped_holes)
            if result.dropped_parts:
                stats.add("mask part without area (a speck or a 1-pixel line): dropped", result.dropped_parts)
            if len(result.polygons) > 1:
                stats.add("mask with several parts: one polygon per part")
            if not result.polygons:
                stats.add("empty mask: dropped")
            shapes.extend((Shape.polygon(p), name) for p in result.polygons)
        elif kind == "ellipse":
            x1, y1, x2, y2 = (_f(v) for v in (a.x1, a.y1, a.x2, a.y2))
            shapes.append((Shape.ellipse(x1, y1, x2 - x1, y2 - y1), name))
        elif kind == "points":
            xy = _xy(a.points)
            names = keypoint_names(points_categories, a.label, name, len(xy))
            vis = list(a.visibility or [2] * len(xy))
            for (x, y), kp, v in zip(xy, names, vis, strict=False):
                if int(v) == 0:  # Points.Visibility.absent: the point is not on the image
                    stats.add("absent keypoint: not a point")
                    continue
                shapes.append((Shape.keypoint(x, y, visible=int(v) == 2), kp))
        elif kind == "label":
            w, h = size()
            shapes.append((Shape.full_image(w, h), name))
        else:
            stats.add(f"{kind}: no such shape on a cluster: dropped")
            continue
        if crowd:
            stats.add("iscrowd region kept as polygon(s)")
        ann_id = getattr(a, "id", 0)
        for n, (shape, lbl) in enumerate(shapes):
            stats.add(f"{kind} → {shape.type}")
            # one source annotation may become several shapes: their ids stay unique
            sid = (str(ann_id) if len(shapes) == 1 else f"{ann_id}.{n + 1}") if ann_id else None
            out.append(Annotation(shape, [ScoredLabel(lbl)], id=sid))
    _unique_ids(out)
    return out


def _unique_ids(annotations: list[Annotation]) -> None:
    """Number the shapes that share a source id: ``"7"``, ``"7"`` → ``"7.1"``, ``"7.2"``.

    Datumaro splits a COCO object drawn as several polygons into Polygon annotations that all
    carry the object's id; ids must stay unique within a scene, and ``<id>.<n>`` says that the
    shapes are parts of object ``<id>`` (as for the parts of one mask).
    """
    counts = Counter(a.id for a in annotations if a.id is not None)
    taken = set(counts)
    next_part: dict[str, int] = {}
    for a in annotations:
        if a.id is None or counts[a.id] < 2:
            continue
        base, n = a.id, next_part.get(a.id, 0)
        while True:
            n += 1
            if f"{base}.{n}" not in taken:
                break
        next_part[base] = n
        a.id = f"{base}.{n}"
        taken.add(a.id)
