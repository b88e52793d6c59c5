"""Annotation shapes: geometry limits, normalised storage and rendering back to pixels (docs/rest-api.md §10.3).

The real server keeps coordinates normalised to [0, 1] of the media size and answers with pixels:
rounded integers for rectangles, ellipses, polygons and keypoints, four decimals for rotated rectangles.
So a pixel value ``v`` posted as a float comes back as ``round(v)`` (Python rounding: halves to even),
and a rotated rectangle's ``v`` comes back as ``round(v, 4)``.
"""

from __future__ import annotations

import math
from typing import Any

from .checks import as_bool, as_list, as_number, as_object, as_str, need
from .errors import field_error

__all__ = ["SHAPE_TYPES", "MAX_POLYGON_POINTS", "read_shape", "is_full_image_box", "normalise_shape",
           "render_shape", "bbox", "overlaps"]

SHAPE_TYPES = ("RECTANGLE", "ELLIPSE", "POLYGON", "ROTATED_RECTANGLE", "KEYPOINT")
MAX_POLYGON_POINTS = 5000
# Corners of a rotated rectangle are computed with trigonometry; allow the float noise of that.
_CORNER_SLACK = 1e-6


def _box(obj: dict[str, Any], field: str) -> tuple[float, float, float, float]:
    return tuple(as_number(need(obj, k), f"{field}.{k}") for k in ("x", "y", "width", "height"))  # type: ignore


def _rect(obj: dict[str, Any], field: str, width: int, height: int) -> dict[str, Any]:
    x, y, w, h = _box(obj, field)
    as_number(x, f"{field}.x", minimum=0)
    as_number(y, f"{field}.y", minimum=0)
    as_number(w, f"{field}.width", minimum=1)
    as_number(h, f"{field}.height", minimum=1)
    if x + w > width or y + h > height:
        raise field_error(field, f"the rectangle ({x:g}, {y:g}, {w:g}×{h:g}) extends outside the "
                                 f"{width}×{height} image")
    return {"type": "RECTANGLE", "x": x, "y": y, "width": w, "height": h}


def _ellipse(obj: dict[str, Any], field: str, width: int, height: int) -> dict[str, Any]:
    x, y, w, h = _box(obj, field)
    as_number(w, f"{field}.width", minimum=1)
    as_number(h, f"{field}.height", minimum=1)
    inside_w = min(x + w, width) - max(x, 0)
    inside_h = min(y + h, height) - max(y, 0)
    if inside_w < 1 or inside_h < 1:
        raise field_error(field, f"the ellipse has less than 1 pixel inside the {width}×{height} image")
    return {"type": "ELLIPSE", "x": x, "y": y, "width": w, "height": h}


def _polygon(obj: dict[str, Any], field: str, width: int, height: int) -> dict[str, Any]:
    points = as_list(need(obj, "points"), f"{field}.points", min_items=3, max_items=MAX_POLYGON_POINTS)
    out = []
    for i, raw in enumerate(points):
        where = f"{field}.points[{i}]"
        point = as_object(raw, where)
        out.append({"x": as_number(need(point, "x"), f"{where}.x", 0, width),
                    "y": as_number(need(point, "y"), f"{where}.y", 0, height)})
    return {"type": "POLYGON", "points": out}


def corners(cx: float, cy: float, w: float, h: float, angle: float) -> list[tuple[float, float]]:
    """The four corners of a rotated rectangle (angle in degrees, clockwise on screen)."""
    rad = math.radians(angle)
    cos, sin = math.cos(rad), math.sin(rad)
    out = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        out.append((cx + dx * cos - dy * sin, cy + dx * sin + dy * cos))
    return out


def _rotated(obj: dict[str, Any], field: str, width: int, height: int) -> dict[str, Any]:
    cx, cy, w, h = _box(obj, field)
    as_number(w, f"{field}.width", minimum=1)
    as_number(h, f"{field}.height", minimum=1)
    angle = as_number(need(obj, "angle"), f"{field}.angle", 0, 360)
    slack = _CORNER_SLACK * max(width, height)
    for px, py in corners(cx, cy, w, h, angle):
        if not (-slack <= px <= width + slack and -slack <= py <= height + slack):
            raise field_error(field, f"a corner of the rotated rectangle ({px:.4f}, {py:.4f}) lies outside the "
                                     f"{width}×{height} image")
    return {"type": "ROTATED_RECTANGLE", "x": cx, "y": cy, "width": w, "height": h, "angle": angle}


def _keypoint(obj: dict[str, Any], field: str, width: int, height: int) -> dict[str, Any]:
    return {"type": "KEYPOINT", "x": as_number(need(obj, "x"), f"{field}.x", 0, width),
            "y": as_number(need(obj, "y"), f"{field}.y", 0, height),
            "is_visible": as_bool(obj.get("is_visible", True), f"{field}.is_visible")}


_READERS = {"RECTANGLE": _rect, "ELLIPSE": _ellipse, "POLYGON": _polygon, "ROTATED_RECTANGLE": _rotated,
            "KEYPOINT": _keypoint}


def read_shape(raw: Any, field: str, width: int, height: int) -> dict[str, Any]:
    """Validate a pixel shape of a ``width``×``height`` media and return it cleaned (pixels, extra keys dropped)."""
    obj = as_object(raw, field)
    kind = as_str(need(obj, "type"), f"{field}.type")
    if kind not in _READERS:
        raise field_error(f"{field}.type", f"{kind!r} is not one of [{', '.join(SHAPE_TYPES)}]")
    return _READERS[kind](obj, field, width, height)


def is_full_image_box(shape: dict[str, Any], width: int, height: int) -> bool:
    """The exact full-image RECTANGLE on which global labels and first-task empty labels sit."""
    return (shape["type"] == "RECTANGLE" and shape["x"] == 0 and shape["y"] == 0
            and shape["width"] == width and shape["height"] == height)


def normalise_shape(shape: dict[str, Any], width: int, height: int) -> dict[str, Any]:
    """Pixels → the stored form in [0, 1] of the media size (angles and flags unchanged)."""
    if shape["type"] == "POLYGON":
        return {"type": "POLYGON", "points": [{"x": p["x"] / width, "y": p["y"] / height} for p in shape["points"]]}
    out = dict(shape)
    out["x"], out["y"] = shape["x"] / width, shape["y"] / height
    if "width" in shape:
        out["width"], out["height"] = shape["width"] / width, shape["height"] / height
    return out


def render_shape(stored: dict[str, Any], width: int, height: int) -> dict[str, Any]:
    """Stored form → pixels as the real server answers (integers; 4 decimals for rotated rectangles)."""
    if stored["type"] == "POLYGON":
        return {"type": "POLYGON", "points": [{"x": round(p["x"] * width), "y": round(p["y"] * height)}
                                              for p in stored["points"]]}
    if stored["type"] == "ROTATED_RECTANGLE":
        def fix(v: float) -> float:
            return round(v, 4)
    else:
        def fix(v: float) -> float:  # type: ignore[misc]
            return round(v)
    out = dict(stored)
    out["x"], out["y"] = fix(stored["x"] * width), fix(stored["y"] * height)
    if "width" in stored:
        out["width"], out["height"] = fix(stored["width"] * width), fix(stored["height"] * height)
    if "angle" in stored:
        out["angle"] = round(stored["angle"], 4)
    return out


def bbox(shape: dict[str, Any]) -> tuple[float, float, float, float]:
    """Axis-aligned ``(x0, y0, x1, y1)`` of a shape in its own coordinates (pixels or normalised)."""
    kind = shape["type"]
    if kind == "POLYGON":
        xs = [p["x"] for p in shape["points"]]
        ys = [p["y"] for p in shape["points"]]
        return min(xs), min(ys), max(xs), max(ys)
    if kind == "KEYPOINT":
        return shape["x"], shape["y"], shape["x"], shape["y"]
    if kind == "ROTATED_RECTANGLE":
        pts = corners(shape["x"], shape["y"], shape["width"], shape["height"], shape["angle"])
        return min(p[0] for p in pts), min(p[1] for p in pts), max(p[0] for p in pts), max(p[1] for p in pts)
    return shape["x"], shape["y"], shape["x"] + shape["width"], shape["y"] + shape["height"]


def overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when the bounding boxes of two shapes share an area (or ``b`` is a point inside ``a``)."""
    ax0, ay0, ax1, ay1 = bbox(a)
    bx0, by0, bx1, by1 = bbox(b)
    if b["type"] == "KEYPOINT":
        return ax0 <= bx0 <= ax1 and ay0 <= by0 <= ay1
    return min(ax1, bx1) > max(ax0, bx0) and min(ay1, by1) > max(ay0, by0)
