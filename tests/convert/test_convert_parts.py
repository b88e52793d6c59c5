"""An object in several parts (ids <id>.1, <id>.2 ...: mask pieces, a COCO object drawn as several
polygons): one box around the parts for box targets, every part kept as an outline."""

from __future__ import annotations

from convert_helpers import ann, coco_like, poly, run

from scmigrate.model import Scene

LEFT = poly((10, 10), (40, 10), (40, 50))
RIGHT = poly((60, 20), (100, 20), (100, 60))


def _scene(*extra):
    return Scene([ann(LEFT, "dog", ann_id="7.1"), ann(RIGHT, "dog", ann_id="7.2"), *extra])


def _boxes(scene):
    return [(a.shape.type, tuple(round(v, 3) for v in a.shape.bbox()), a.label_names) for a in scene.annotations]


def test_detection_one_box_around_the_parts():
    _, (out,), log = run("detection", coco_like("dog", "cat"), _scene(
        ann(poly((120, 10), (150, 10), (150, 40)), "dog", ann_id="8.1"),  # another dog: its own box
        ann(poly((160, 60), (190, 60), (190, 90)), "cat", ann_id="7.3")))  # other label: not a part of dog 7
    assert _boxes(out) == [("RECTANGLE", (10, 10, 90, 50), ["dog"]), ("RECTANGLE", (120, 10, 30, 30), ["dog"]),
                           ("RECTANGLE", (160, 60, 30, 30), ["cat"])]
    assert out.annotations[0].id == "7"
    assert log.conversions == {"object of 2 parts → one RECTANGLE around them": 1, "POLYGON → RECTANGLE": 2}


def test_rotated_detection_one_rotated_box_holds_every_part():
    _, (out,), _ = run("rotated_detection", coco_like("dog"), _scene())
    (a,) = out.annotations
    x, y, w, h = a.shape.bbox()
    assert a.shape.type == "ROTATED_RECTANGLE" and x <= 10.01 and y <= 10.01 and x + w >= 99.99 and y + h >= 59.99


def test_segmentation_keeps_each_part():
    _, (out,), _ = run("segmentation", coco_like("dog"), _scene())
    assert [(a.shape.points, a.label_names) for a in out.annotations] == [(LEFT.points, ["dog"]), (RIGHT.points,
                                                                                                   ["dog"])]


def test_detection_to_segmentation_one_box_every_part_a_shape():
    _, (out,), _ = run("detection_to_segmentation", coco_like("dog"), _scene())
    assert [(a.shape.type, a.label_names) for a in out.annotations] == [
        ("RECTANGLE", ["dog"]), ("POLYGON", ["dog shape"]), ("POLYGON", ["dog shape"])]
    assert _boxes(out)[0][1] == (10, 10, 90, 50)


def test_detection_to_classification_one_box():
    _, (out,), _ = run("detection_to_classification", coco_like("dog", "cat"), _scene())
    assert _boxes(out) == [("RECTANGLE", (10, 10, 90, 50), ["object", "dog"])]


def test_ids_that_are_not_parts_stay_apart():
    _, (out,), _ = run("detection", coco_like("dog"), Scene([ann(LEFT, "dog", ann_id="a"), ann(RIGHT, "dog")]))
    assert len(out.annotations) == 2
