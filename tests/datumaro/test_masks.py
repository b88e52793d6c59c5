"""Masks → polygons: one polygon per part, holes kept by a keyhole cut, speckles counted."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw

from scmigrate_datumaro.masks import MAX_POINTS, mask_to_polygons


def _fill(polys, shape):
    canvas = Image.new("L", (shape[1], shape[0]), 0)
    for p in polys:
        ImageDraw.Draw(canvas).polygon(p, fill=1)
    return np.asarray(canvas).astype(bool)


def test_empty_mask_has_no_polygon():
    r = mask_to_polygons(np.zeros((10, 10), np.uint8))
    assert r.polygons == [] and r.holes == 0 and r.dropped_parts == 0


def test_parts_and_holes():
    m = np.zeros((60, 80), bool)
    m[5:45, 5:45] = True
    m[15:25, 15:25] = False  # hole 1
    m[30:38, 30:38] = False  # hole 2
    m[10:20, 60:75] = True  # second part
    r = mask_to_polygons(m)
    assert len(r.polygons) == 2 and r.holes == 2 and r.dropped_parts == 0
    drawn = _fill(r.polygons, m.shape)
    assert not drawn[20, 20] and not drawn[34, 34]  # both holes stay holes
    assert drawn[40, 40] and drawn[15, 70]
    assert (drawn ^ m).sum() <= 0.03 * m.sum()  # only the slits differ


def test_single_pixels_are_dropped_and_counted():
    m = np.zeros((20, 20), bool)
    m[2, 2] = True
    m[10:15, 10:15] = True
    r = mask_to_polygons(m)
    assert len(r.polygons) == 1 and r.dropped_parts == 1


def test_long_outlines_are_simplified_below_the_limit():
    yy, xx = np.mgrid[0:1500, 0:1500]
    wobble = 600 + 40 * np.sin(np.arctan2(yy - 750, xx - 750) * 97)  # a very jagged blob
    m = np.hypot(yy - 750, xx - 750) < wobble
    raw, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    assert len(raw[0]) > MAX_POINTS  # the outline really is too long to send as it is
    r = mask_to_polygons(m)
    assert len(r.polygons) == 1 and 3 <= len(r.polygons[0]) <= MAX_POINTS
    drawn = _fill(r.polygons, m.shape)
    assert (drawn ^ m).sum() <= 0.02 * m.sum()


def test_island_inside_a_hole_is_its_own_polygon():
    m = np.zeros((100, 100), bool)
    m[10:90, 10:90] = True
    m[25:75, 25:75] = False  # the hole
    m[40:60, 40:60] = True  # an island in it
    r = mask_to_polygons(m)
    assert len(r.polygons) == 2 and r.holes == 1
    drawn = _fill(r.polygons, m.shape)
    assert drawn[50, 50] and not drawn[30, 30] and drawn[15, 15]
    assert (drawn ^ m).sum() <= 0.03 * m.sum()


def test_a_part_with_hundreds_of_holes_stays_below_the_point_limit():
    from scmigrate_datumaro.masks import MAX_SPLICED

    m = np.ones((1000, 1000), np.uint8)
    for cy in range(30, 1000, 45):
        for cx in range(30, 1000, 45):
            cv2.circle(m, (cx, cy), 14, 0, -1)  # a sieve: 484 round holes
    m = m.astype(bool)
    raw, _ = cv2.findContours(m.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    assert sum(len(c) + 2 for c in raw) > 5000  # spliced as they are, the cluster would refuse the polygon
    r = mask_to_polygons(m)
    (poly,) = r.polygons
    assert len(poly) <= MAX_SPLICED < 5000  # the cluster refuses polygons above 5,000 points
    assert r.holes + r.dropped_holes == 484 and r.holes > 200  # coarser holes first, then the smallest left out
    drawn = _fill(r.polygons, m.shape)
    kept_hole_pixels = (~drawn & ~m).sum()
    assert kept_hole_pixels > 0.4 * (~m).sum()
