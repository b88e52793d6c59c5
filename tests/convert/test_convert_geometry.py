"""Shape fitting: clipping to the image, degenerate shapes, bounding and rotated boxes."""

from __future__ import annotations

import math

import pytest

from scmigrate.model import Shape
from scmigrate.model.fitting import (
    MAX_POLYGON_POINTS,
    fit,
    min_area_rotated,
    polygon_area,
)
from scmigrate_convert.geometry import same_object


def test_rectangle_inside_is_kept_as_is():
    s = Shape.rectangle(10, 10, 20, 20)
    f = fit(s, 100, 50)
    assert f.shape is s and not f.clipped


def test_rectangle_slightly_outside_is_clipped():
    f = fit(Shape.rectangle(-3, 40, 20, 20), 100, 50)
    assert f.clipped
    assert f.shape.to_dict() == {"type": "RECTANGLE", "x": 0.0, "y": 40.0, "width": 17.0, "height": 10.0}


@pytest.mark.parametrize(
    "shape, reason",
    [
        (Shape.rectangle(10, 10, 0, 5), "zero area"),
        (Shape.rectangle(200, 10, 5, 5), "outside the image"),
        (Shape.rectangle(99.5, 10, 5, 5), "zero area"),  # 0.5 px left on the image: below SC's 1 px
        (Shape.polygon([(1, 1), (5, 5)]), "fewer than 3 points"),
        (Shape.polygon([(1, 1), (5, 5), (5, 5), (1, 1)]), "fewer than 3 points"),
        (Shape.polygon([(1, 1), (5, 5), (9, 9)]), "zero area"),
        (Shape.polygon([(150, 10), (180, 10), (160, 40)]), "outside the image"),
        (Shape.ellipse(10, 10, 0, 4), "zero area"),
        (Shape.ellipse(-50, 10, 40, 4), "outside the image"),
        (Shape.rotated_rectangle(150, 10, 10, 10, 30), "outside the image"),
        (Shape.keypoint(130, 10), "outside the image"),
    ],
)
def test_degenerate_and_outside_shapes_are_refused(shape, reason):
    f = fit(shape, 100, 50)
    assert f.shape is None and f.reason == reason


def test_polygon_is_clipped_to_the_image():
    f = fit(Shape.polygon([(-10, 10), (50, 10), (50, 60)]), 100, 50)
    assert f.clipped
    pts = f.shape.points
    assert all(0 <= x <= 100 and 0 <= y <= 50 for x, y in pts)
    # the triangle (area 1500) minus the corner left of x=0 (41.67) and the tip below y=50 (60)
    assert polygon_area(pts) == pytest.approx(1500 - 125 / 3 - 60)
    assert (50.0, 50.0) in pts and (0.0, 10.0) in pts and (38.0, 50.0) in pts


def test_polygon_with_too_many_points_is_simplified():
    n = MAX_POLYGON_POINTS * 2 + 10
    pts = [(50 + 20 * math.cos(2 * math.pi * i / n), 25 + 20 * math.sin(2 * math.pi * i / n)) for i in range(n)]
    f = fit(Shape.polygon(pts), 100, 50)
    assert f.simplified and 3 <= len(f.shape.points) <= MAX_POLYGON_POINTS


def test_ellipse_sticking_out_is_kept_whole():
    s = Shape.ellipse(-5, -5, 20, 20)
    assert fit(s, 100, 50).shape is s


def test_keypoint_just_off_the_border_is_moved_on():
    f = fit(Shape.keypoint(100.8, -1, visible=False), 100, 50)
    assert f.clipped and (f.shape.x, f.shape.y, f.shape.is_visible) == (100.0, 0.0, False)


def test_unknown_image_size_only_checks():
    s = Shape.rectangle(-5, -5, 20, 20)
    assert fit(s, None, None).shape is s


def test_full_image_box_tolerates_rounding():
    assert Shape.rectangle(0, 0, 100, 50).is_full_image(100, 50)
    assert Shape.full_image(100, 50).is_full_image(100, 50)
    assert Shape.rectangle(0.4, 0, 99.9, 50.6).is_full_image(100, 50)
    assert not Shape.rectangle(0, 0, 90, 50).is_full_image(100, 50)
    assert not Shape.polygon([(0, 0), (100, 0), (100, 50)]).is_full_image(100, 50)


def test_same_object_pairs_a_box_with_its_polygon_only():
    poly = Shape.polygon([(10, 10), (50, 12), (40, 40)])
    assert same_object(Shape.rectangle(10, 10, 40, 30), poly)
    assert same_object(Shape.rectangle(9, 9, 42, 32), poly)
    assert not same_object(Shape.rectangle(0, 0, 60, 50), poly)


def test_min_area_rotated_box_of_a_rotated_square():
    # a 20 x 10 rectangle rotated by 30 degrees clockwise around (50, 50)
    src = Shape.rotated_rectangle(50, 50, 20, 10, 30)
    r = min_area_rotated(src.corners())
    assert (r.x, r.y) == (pytest.approx(50), pytest.approx(50))
    assert sorted([r.width, r.height]) == [pytest.approx(10), pytest.approx(20)]
    assert sorted(map(lambda p: (round(p[0], 6), round(p[1], 6)), r.corners())) == sorted(
        map(lambda p: (round(p[0], 6), round(p[1], 6)), src.corners())
    )


def test_min_area_rotated_box_holds_every_point():
    pts = [(10, 10), (60, 20), (55, 45), (12, 30), (30, 5)]
    r = min_area_rotated(pts)
    a = math.radians(r.angle)
    for x, y in pts:
        dx, dy = x - r.x, y - r.y
        u = dx * math.cos(a) + dy * math.sin(a)
        v = -dx * math.sin(a) + dy * math.cos(a)
        assert abs(u) <= r.width / 2 + 1e-6 and abs(v) <= r.height / 2 + 1e-6
    bx, by, bw, bh = Shape.polygon(pts).bbox()
    assert r.width * r.height <= bw * bh + 1e-6


def test_rotated_box_with_corners_off_the_image_is_fitted_inside():
    f = fit(Shape.rotated_rectangle(95, 25, 30, 10, -45), 100, 50)
    assert f.clipped and f.shape.angle == 315  # its own angle, normalised to 0..360
    assert all(-1e-6 <= x <= 100 + 1e-6 and -1e-6 <= y <= 50 + 1e-6 for x, y in f.shape.corners())
    # centred on the part on the image, as large as fits, never larger than it was
    scale = f.shape.width / 30
    assert f.shape.x < 95 and 0.5 < scale < 1 and f.shape.height / 10 == pytest.approx(scale)


def test_rotated_box_one_pixel_over_the_border_barely_changes():
    f = fit(Shape.rotated_rectangle(50, 25, 40, 10, 90), 100, 50)  # 40 tall on a 50 px image: 5 px spare
    assert not f.clipped
    f = fit(Shape.rotated_rectangle(50, 25.5, 52, 10, 90), 100, 50)  # 1 px over at each end
    assert f.clipped and f.shape.angle == 90 and f.shape.height == pytest.approx(10, abs=1e-6)
    assert f.shape.width == pytest.approx(50, abs=1e-3)


def test_rotated_angle_is_normalised_without_other_change():
    f = fit(Shape.rotated_rectangle(50, 25, 10, 4, -30), 100, 50)
    assert not f.clipped and f.shape.angle == 330 and (f.shape.x, f.shape.y, f.shape.width) == (50, 25, 10)


def test_corner_triangle_falls_back_to_an_upright_box():
    # the minimum-area box of this triangle lies along its long side and would leave the image
    f = fit(Shape.rotated_rectangle(0, 0, 40, 40, 45), 100, 50)
    assert f.clipped and f.shape.angle == 0.0
    assert all(-1e-6 <= x <= 100 and -1e-6 <= y <= 50 for x, y in f.shape.corners())


def test_ellipse_needs_one_pixel_on_the_image():
    assert fit(Shape.ellipse(99.5, 10, 20, 20), 100, 50).reason == "outside the image"
    assert fit(Shape.ellipse(10, 10, 0.5, 20), 100, 50).reason == "zero area"
    assert fit(Shape.ellipse(98, 10, 20, 20), 100, 50).shape is not None
