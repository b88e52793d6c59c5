"""Binary masks → polygons, because SC clusters have no mask shape.

Each connected part of a mask becomes its own polygon. A cluster polygon cannot have holes,
so a hole is **kept by a keyhole cut**: the hole's outline is spliced into its part's outline
at the closest pair of vertices, joined by a zero-width slit. Filling the resulting polygon
gives back the part with its hole (up to the slit), so a ring stays a ring instead of
silently becoming a disc. Parts smaller than ``min_area`` pixels (speckles) are dropped and
counted, so the reader can say how many.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MaskPolygons", "mask_to_polygons"]

#: the REST API accepts at most 5,000 points per polygon; one outline stays well below
MAX_POINTS = 2000
#: a part with its holes spliced in (each hole adds its points and two for the slit) stays below this
MAX_SPLICED = 4800


@dataclass
class MaskPolygons:
    polygons: list[list[tuple[float, float]]]
    holes: int = 0  # holes kept by a keyhole cut
    dropped_parts: int = 0  # parts too small to be a polygon
    dropped_holes: int = 0  # the smallest holes of a part with too many to fit the point limit


def _simplify(contour: np.ndarray) -> np.ndarray:
    """Fewer points for long outlines; sub-pixel tolerance first, then coarser if still too long."""
    import cv2

    eps = 0.5
    while len(contour) > MAX_POINTS:
        contour = cv2.approxPolyDP(contour, eps, True)
        eps *= 2
    return contour


def _keyhole(outer: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """Splice ``hole`` into ``outer`` at their closest vertices (both are (N, 2) arrays)."""
    d = ((outer[:, None, :].astype(np.float64) - hole[None, :, :]) ** 2).sum(axis=2)
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    ring = np.concatenate([hole[j:], hole[: j + 1]])  # closed walk around the hole
    return np.concatenate([outer[: i + 1], ring, outer[i:]])


def mask_to_polygons(mask: np.ndarray, min_area: float = 1.0) -> MaskPolygons:
    """Outlines of the non-zero pixels of ``mask``, in pixel coordinates (x, y)."""
    import cv2

    binary = (np.asarray(mask) > 0).astype(np.uint8)
    if not binary.any():
        return MaskPolygons([])
    # RETR_CCOMP: a two-level hierarchy, outer outlines and the holes directly inside them
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    hierarchy = hierarchy[0]
    out = MaskPolygons([])
    for idx, cnt in enumerate(contours):
        if hierarchy[idx][3] != -1:
            continue  # a hole: handled with its parent
        if len(cnt) < 3 or cv2.contourArea(cnt) < min_area:
            out.dropped_parts += 1
            continue
        poly = _simplify(cnt).reshape(-1, 2)
        holes = []
        child = hierarchy[idx][2]
        while child != -1:
            hole = contours[child]
            if len(hole) >= 3 and cv2.contourArea(hole) >= min_area:
                holes.append(hole)
            child = hierarchy[child][0]
        kept, dropped = _fit_holes(len(poly), holes)
        for hole in kept:
            poly = _keyhole(poly, hole)
        out.holes += len(kept)
        out.dropped_holes += dropped
        out.polygons.append([(float(x), float(y)) for x, y in poly])
    return out


def _fit_holes(outer_points: int, holes: list[np.ndarray]) -> tuple[list[np.ndarray], int]:
    """The holes, simplified until the spliced polygon fits ``MAX_SPLICED`` points.

    A part with hundreds of holes (a fence, a sieve) would otherwise become a polygon the cluster
    refuses. Coarser outlines first (up to 4 px off); then the smallest holes are left out.
    """
    import cv2

    simplified = [_simplify(h).reshape(-1, 2) for h in holes]
    for eps in (1.0, 2.0, 4.0):
        if outer_points + sum(len(h) + 2 for h in simplified) <= MAX_SPLICED:
            break
        coarser = [cv2.approxPolyDP(h.reshape(-1, 1, 2), eps, True).reshape(-1, 2) for h in simplified]
        simplified = [c if len(c) >= 3 else h for c, h in zip(coarser, simplified, strict=True)]
    order = sorted(range(len(holes)), key=lambda i: -cv2.contourArea(holes[i]))
    kept, total = [], outer_points
    for i in order:
        if total + len(simplified[i]) + 2 > MAX_SPLICED:
            break
        kept.append(i)
        total += len(simplified[i]) + 2
    kept.sort()  # splice in the contours' own order, as before
    return [simplified[i] for i in kept], len(holes) - len(kept)
