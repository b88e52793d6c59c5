"""Scenes between the interchange model and Geti 3.x annotations (pixels, one label per shape).

Reading: ``rectangle`` → RECTANGLE, ``polygon`` → POLYGON, ``full_image`` → the full-image box (the
model's place for image-level labels); ``[]`` → a scene with no annotations (reviewed empty); a
never-annotated item → no scene. Writing fits each shape to the target's one shape type, clipped
to the media and in whole pixels for rectangles, and tells what it could not keep.
"""

from __future__ import annotations

import math
from typing import Any

from scmigrate.model import Annotation, Scene, ScoredLabel, Shape, fit

from .mapping import Target

__all__ = ["scene_from_geti3", "scene_to_geti3", "ELLIPSE_POINTS"]

#: points of the polygon an ellipse becomes
ELLIPSE_POINTS = 32


def scene_from_geti3(doc: dict[str, Any], names: dict[str, str], width: int | None, height: int | None,
                     frame: int | None = None) -> Scene:
    """One item's annotations as a scene; labels by name (``names``: label id → name)."""
    anns = []
    for a in doc.get("annotations") or []:
        labels = [ScoredLabel(names[str(lb.get("id"))]) for lb in a.get("labels") or [] if str(lb.get("id")) in names]
        shape = a.get("shape") or {}
        kind = shape.get("type")
        if kind == "rectangle":
            s = Shape.rectangle(shape["x"], shape["y"], shape["width"], shape["height"])
        elif kind == "polygon":
            s = Shape.polygon([(p["x"], p["y"]) for p in shape.get("points") or []])
        elif kind == "full_image":
            s = Shape.full_image(width or 0, height or 0)
        else:
            continue
        if labels:
            anns.append(Annotation(s, labels))
    reviewed = doc.get("user_reviewed", True) or not doc.get("prediction_model_id")
    return Scene(annotations=anns, frame=frame, kind="annotation" if reviewed else "prediction")


def _ellipse(s: Shape) -> list[tuple[float, float]]:
    cx, cy, rx, ry = s.x + s.width / 2, s.y + s.height / 2, s.width / 2, s.height / 2
    return [(cx + rx * math.cos(2 * math.pi * i / ELLIPSE_POINTS), cy + ry * math.sin(2 * math.pi * i / ELLIPSE_POINTS))
            for i in range(ELLIPSE_POINTS)]


def _rectangle(s: Shape, w: int, h: int) -> dict[str, Any] | None:
    x, y, bw, bh = s.bbox()
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(w, round(x + bw)), min(h, round(y + bh))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return {"type": "rectangle", "x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}


def _polygon(s: Shape, w: int, h: int) -> dict[str, Any] | None:
    if s.type == "POLYGON":
        points = list(s.points)
    elif s.type == "ELLIPSE":
        points = _ellipse(s)
    else:  # RECTANGLE, ROTATED_RECTANGLE: the 4 corners
        points = s.corners()
    fitted = fit(Shape.polygon(points), w, h)  # clipped to the media; None when nothing is left
    if fitted.shape is None:
        return None
    return {"type": "polygon", "points": [{"x": round(px, 2), "y": round(py, 2)} for px, py in fitted.shape.points]}


def scene_to_geti3(scene: Scene, target: Target, empty: frozenset[str], width: int, height: int,
                   notes: list[str]) -> list[dict[str, Any]] | None:
    """The ``annotations`` of an annotation POST for ``target``; None = leave the item unannotated.

    ``empty`` names the source's empty labels: an image holding only them (or nothing) is reviewed
    empty, ``[]`` — refused by multi-class classification, which leaves it unannotated (noted).
    """
    if scene.kind != "annotation":
        notes.append("a prediction stored as a reviewed annotation")
    marked_empty = not scene.annotations or all(
        lb.name in empty for a in scene.annotations for lb in a.labels)
    if target.scenes == "global":
        return _global(scene, target, marked_empty, notes)
    out: list[dict[str, Any]] = []
    for a in scene.annotations:
        ids = [i for i in (target.label_id(lb.name) for lb in a.labels) if i]
        if not ids:  # an empty label, or a shape of another task of a chain
            continue
        if a.shape.type == "KEYPOINT":
            notes.append("a keypoint dropped")
            continue
        shape = _rectangle(a.shape, width, height) if target.scenes == "box" else _polygon(a.shape, width, height)
        if shape is None:
            notes.append(f"a {a.shape.type.lower()} outside the image or without area dropped")
            continue
        if len(ids) > 1:
            notes.append(f"{len(ids) - 1} extra label(s) of one shape dropped (3.x takes one label per shape)")
        out.append({"shape": shape, "labels": [{"id": ids[0]}]})
    # nothing left of shapes it had (other tasks' or unusable ones): not annotated for this project
    return out if out or marked_empty else None


def _global(scene: Scene, target: Target, marked_empty: bool, notes: list[str]) -> list[dict[str, Any]] | None:
    ids = list(dict.fromkeys(i for a in scene.annotations for lb in a.labels if (i := target.label_id(lb.name))))
    if target.exclusive and len(ids) > 1:
        notes.append(f"{len(ids)} classes on an image of a multi-class project: left unannotated")
        return None
    if ids:
        return [{"shape": {"type": "full_image"}, "labels": [{"id": i} for i in ids]}]
    if not marked_empty:
        return None
    if target.exclusive:
        notes.append("an image annotated as empty: multi-class classification cannot store it, left unannotated")
        return None
    return []
