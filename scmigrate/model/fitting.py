"""Fitting a shape to its image: the one step every sink and converter uses before a cluster sees it.

SC validates shapes against the media (docs/rest-api.md §10.4): a RECTANGLE must lie inside the
image with width and height of at least 1 px, POLYGON points must satisfy 0 ≤ x ≤ W and
0 ≤ y ≤ H (at most 5000 of them), an ELLIPSE needs at least one pixel inside the image and a
KEYPOINT must sit on the image. :func:`fit` turns a shape into one the cluster accepts, or says
in a short reason why it cannot. Public API: converters fit while they rewrite scenes, and a
sink that sends scenes unconverted (``run`` without ``--project-type``) fits them on the way out.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .scene import Shape

__all__ = ["MAX_POLYGON_POINTS", "Fitted", "fit", "clip_polygon", "polygon_area", "min_area_rotated"]

#: SC refuses polygons with more points than this.
MAX_POLYGON_POINTS = 5000
#: A keypoint this far outside the image (fraction of the side, at least 2 px) is an error of
#: the source rather than rounding, so it is dropped instead of being moved onto the border.
_KEYPOINT_SLACK = 0.02
_POINT = tuple[float, float]


class Fitted:
    """The outcome of :func:`fit`: the shape to keep (or None) and what happened to it."""

    __slots__ = ("shape", "clipped", "reason", "simplified")

    def __init__(self, shape: Shape | None, clipped: bool = False, reason: str = "",
                 simplified: bool = False):
        self.shape = shape
        self.clipped = clipped
        self.reason = reason
        self.simplified = simplified


def polygon_area(points: list[_POINT]) -> float:
    """Absolute area by the shoelace formula."""
    s = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2


def _clip_edge(points: list[_POINT], inside: Callable[[_POINT], bool],
               cross: Callable[[_POINT, _POINT], _POINT]) -> list[_POINT]:
    out: list[_POINT] = []
    for i, cur in enumerate(points):
        prev = points[i - 1]
        if inside(cur):
            if not inside(prev):
                out.append(cross(prev, cur))
            out.append(cur)
        elif inside(prev):
            out.append(cross(prev, cur))
    return out


def _at_x(c: float) -> Callable[[_POINT, _POINT], _POINT]:
    def cross(p: _POINT, q: _POINT) -> _POINT:
        t = (c - p[0]) / (q[0] - p[0])
        return (c, p[1] + t * (q[1] - p[1]))
    return cross


def _at_y(c: float) -> Callable[[_POINT, _POINT], _POINT]:
    def cross(p: _POINT, q: _POINT) -> _POINT:
        t = (c - p[1]) / (q[1] - p[1])
        return (p[0] + t * (q[0] - p[0]), c)
    return cross


def clip_polygon(points: list[_POINT], width: float, height: float) -> list[_POINT]:
    """Sutherland–Hodgman clipping of a polygon to the image rectangle."""
    pts = list(points)
    for inside, cross in (
        (lambda p: p[0] >= 0, _at_x(0.0)),
        (lambda p: p[0] <= width, _at_x(float(width))),
        (lambda p: p[1] >= 0, _at_y(0.0)),
        (lambda p: p[1] <= height, _at_y(float(height))),
    ):
        if not pts:
            break
        pts = _clip_edge(pts, inside, cross)
    return pts


def _dedupe(points: list[_POINT]) -> list[_POINT]:
    out: list[_POINT] = []
    for p in points:
        if not out or abs(p[0] - out[-1][0]) > 1e-9 or abs(p[1] - out[-1][1]) > 1e-9:
            out.append(p)
    while len(out) > 1 and abs(out[0][0] - out[-1][0]) <= 1e-9 and abs(out[0][1] - out[-1][1]) <= 1e-9:
        out.pop()
    return out


def _fit_rectangle(s: Shape, w: float | None, h: float | None) -> Fitted:
    if s.width <= 0 or s.height <= 0:
        return Fitted(None, reason="zero area")
    if w is None or h is None:
        return Fitted(s)
    x0, y0 = max(0.0, s.x), max(0.0, s.y)
    x1, y1 = min(float(w), s.x + s.width), min(float(h), s.y + s.height)
    if x1 <= x0 or y1 <= y0:
        return Fitted(None, reason="outside the image")
    if x1 - x0 < 1 or y1 - y0 < 1:
        return Fitted(None, reason="zero area")
    if (x0, y0, x1, y1) == (s.x, s.y, s.x + s.width, s.y + s.height):
        return Fitted(s)
    return Fitted(Shape.rectangle(x0, y0, x1 - x0, y1 - y0), clipped=True)


def _fit_polygon(s: Shape, w: float | None, h: float | None) -> Fitted:
    pts = _dedupe(s.points)
    if len(pts) < 3:
        return Fitted(None, reason="fewer than 3 points")
    if polygon_area(pts) <= 0:
        return Fitted(None, reason="zero area")
    clipped = False
    if w is not None and h is not None and any(not (0 <= x <= w and 0 <= y <= h) for x, y in pts):
        pts = _dedupe(clip_polygon(pts, w, h))
        clipped = True
        if len(pts) < 3 or polygon_area(pts) <= 0:
            return Fitted(None, reason="outside the image")
    simplified = False
    if len(pts) > MAX_POLYGON_POINTS:
        step = math.ceil(len(pts) / MAX_POLYGON_POINTS)
        pts = pts[::step]
        simplified = True
    if not clipped and not simplified and len(pts) == len(s.points):
        return Fitted(s)
    return Fitted(Shape.polygon(pts), clipped=clipped, simplified=simplified)


def _fit_ellipse(s: Shape, w: float | None, h: float | None) -> Fitted:
    if s.width < 1 or s.height < 1:
        return Fitted(None, reason="zero area")
    # SC accepts an ellipse that sticks out as long as 1 px of it is inside: keep it whole.
    if w is not None and h is not None and (min(s.x + s.width, w) - max(s.x, 0) < 1
                                            or min(s.y + s.height, h) - max(s.y, 0) < 1):
        return Fitted(None, reason="outside the image")
    return Fitted(s)


def _inside(points: list[_POINT], w: float, h: float, strict: bool = False) -> bool:
    eps = 0.0 if strict else 1e-7 * max(w, h)  # trigonometry noise on corners that sit on the border
    return all(-eps <= x <= w + eps and -eps <= y <= h + eps for x, y in points)


def _fit_rotated(s: Shape, w: float | None, h: float | None) -> Fitted:
    if s.width < 1 or s.height < 1:
        return Fitted(None, reason="zero area")
    angle = s.angle % 360.0  # SC wants 0..360
    shape = s if angle == s.angle else Shape.rotated_rectangle(s.x, s.y, s.width, s.height, angle)
    if w is None or h is None or _inside(shape.corners(), w, h):
        return Fitted(shape)
    # SC wants every corner on the image: fit the part that is on it
    part = _dedupe(clip_polygon(shape.corners(), w, h))
    if len(part) < 3 or polygon_area(part) <= 0:
        return Fitted(None, reason="outside the image")
    fitted = _in_frame(min_area_rotated(part), shape.angle)
    if not _inside(fitted.corners(), w, h):
        fitted = _shrunk(shape, part, w, h)
    if fitted.width < 1 or fitted.height < 1:
        bx, by, bw, bh = Shape.polygon(part).bbox()
        if bw < 1 or bh < 1:
            return Fitted(None, reason="zero area")
        fitted = Shape.rotated_rectangle(bx + bw / 2, by + bh / 2, bw, bh, 0.0)
    return Fitted(fitted, clipped=True)


def _in_frame(r: Shape, angle: float) -> Shape:
    """The same rectangle written at ``angle`` when its sides are parallel to that frame's."""
    turns = (angle - r.angle) / 90.0
    if abs(turns - round(turns)) > 1e-9:
        return r
    w, h = (r.height, r.width) if round(turns) % 2 else (r.width, r.height)
    return Shape.rotated_rectangle(r.x, r.y, w, h, angle)


def _shrunk(shape: Shape, part: list[_POINT], w: float, h: float) -> Shape:
    """The rotated box at its own angle, centred on the part on the image, as large as fits."""
    cx = sum(p[0] for p in part) / len(part)
    cy = sum(p[1] for p in part) / len(part)
    lo, hi = 0.0, 1.0
    for _ in range(40):  # bisection on the scale: corners leave the image monotonically
        mid = (lo + hi) / 2
        trial = Shape.rotated_rectangle(cx, cy, shape.width * mid, shape.height * mid, shape.angle)
        lo, hi = (mid, hi) if _inside(trial.corners(), w, h, strict=True) else (lo, mid)
    return Shape.rotated_rectangle(cx, cy, shape.width * lo, shape.height * lo, shape.angle)


def _fit_keypoint(s: Shape, w: float | None, h: float | None) -> Fitted:
    if w is None or h is None or (0 <= s.x <= w and 0 <= s.y <= h):
        return Fitted(s)
    if (s.x < -max(2.0, _KEYPOINT_SLACK * w) or s.x > w + max(2.0, _KEYPOINT_SLACK * w)
            or s.y < -max(2.0, _KEYPOINT_SLACK * h) or s.y > h + max(2.0, _KEYPOINT_SLACK * h)):
        return Fitted(None, reason="outside the image")
    x = min(max(s.x, 0.0), float(w))
    y = min(max(s.y, 0.0), float(h))
    return Fitted(Shape.keypoint(x, y, s.is_visible), clipped=True)


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
    for (x0, y0), (x1, y1) in zip(hull, hull[1:] + hull[:1], strict=True):
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


_FITTERS = {
    "RECTANGLE": _fit_rectangle,
    "POLYGON": _fit_polygon,
    "ELLIPSE": _fit_ellipse,
    "ROTATED_RECTANGLE": _fit_rotated,
    "KEYPOINT": _fit_keypoint,
}


def fit(shape: Shape, width: float | None, height: float | None) -> Fitted:
    """Make ``shape`` valid on a ``width`` × ``height`` image (sizes unknown → only checked)."""
    return _FITTERS[shape.type](shape, width, height)
