"""segmentation and instance_segmentation: outlines kept, boxes only where no polygon exists."""

from __future__ import annotations

import pytest
from convert_helpers import H, W, ann, coco_like, poly, rect, run, single, task_summary

from scmigrate.model import Label, Scene, Shape

TRI = ((10, 10), (50, 10), (30, 40))


@pytest.mark.parametrize("kind", ["segmentation", "instance_segmentation"])
def test_pipeline_has_the_empty_label(kind):
    target, (out,), _ = run(kind, single("detection", ["dog", "cat"], empty="No object"), Scene())
    assert task_summary(target) == [(kind, ["dog", "cat", "Empty"])]
    empty = target.trainable_tasks[0].labels[-1]
    assert empty.is_empty and empty.group == "Empty"
    assert out is not None and out.annotations == []  # annotated as empty: 'Empty' on a cluster


@pytest.mark.parametrize("kind", ["segmentation", "instance_segmentation"])
def test_outline_rules(kind):
    scene = Scene([
        ann(poly(*TRI), "dog"),
        ann(rect(9, 9, 42, 32), "dog"),             # the same object's box: dropped, polygon kept
        ann(rect(100, 10, 20, 30), "cat"),          # box only: becomes a 4-point polygon
        ann(Shape.ellipse(150, 50, 20, 10), "cat"),  # kept
        ann(Shape.rotated_rectangle(60, 60, 20, 10, 90), "dog"),
        ann(Shape.keypoint(1, 1), "dog"),
    ])
    _, (out,), log = run(kind, single("detection", ["dog", "cat"]), scene)
    got = [(a.shape.type, a.label_names) for a in out.annotations]
    assert got == [("POLYGON", ["dog"]), ("POLYGON", ["cat"]), ("ELLIPSE", ["cat"]), ("POLYGON", ["dog"])]
    assert out.annotations[0].shape.points == list(map(lambda p: (float(p[0]), float(p[1])), TRI))
    assert out.annotations[1].shape.points == [(100, 10), (120, 10), (120, 40), (100, 40)]
    rot = out.annotations[3].shape.points
    assert sorted((round(x), round(y)) for x, y in rot) == [(55, 50), (55, 70), (65, 50), (65, 70)]
    assert log.conversions == {"RECTANGLE+POLYGON → POLYGON": 1, "RECTANGLE → POLYGON": 1,
                               "ROTATED_RECTANGLE → POLYGON": 1}
    assert log.drops == {f"KEYPOINT: not used by {kind}": 1}


def test_boxes_far_from_the_polygon_are_separate_objects():
    scene = Scene([ann(poly(*TRI), "dog"), ann(rect(100, 10, 40, 30), "dog"), ann(rect(9, 9, 42, 32), "cat")])
    _, (out,), _ = run("segmentation", coco_like("dog", "cat"), scene)
    assert [(a.shape.type, a.label_names) for a in out.annotations] == [
        ("POLYGON", ["dog"]), ("POLYGON", ["dog"]), ("POLYGON", ["cat"])]


def test_pass_through_keeps_a_valid_scene_unchanged():
    src = single("segmentation", [Label("dog", "#ff0000ff", "g", None, "1"), Label("cat", "#00ff00", "g")],
                 empty="Empty")
    scene = Scene([
        ann(poly(*TRI), "dog", ann_id="p"),
        ann(rect(9, 9, 42, 32), "dog", ann_id="r"),
        ann(Shape.ellipse(150, 50, 20, 10), "cat", ann_id="e"),
    ], state_per_task={"Segmentation": "annotated"}, modified="2025-01-01T00:00:00+00:00")
    target, (out, empty), log = run("segmentation", src, scene, Scene(modified="2025-01-02T00:00:00+00:00"))
    assert out == scene
    assert empty == Scene(modified="2025-01-02T00:00:00+00:00")  # annotated as empty
    assert log.to_dict() == {"converted": {}, "dropped": {}}
    assert target.trainable_tasks[0].labels == src.trainable_tasks[0].labels


def test_polygon_sticking_out_is_clipped():
    _, (out,), log = run("segmentation", coco_like("dog"), Scene([ann(poly((-10, 10), (50, 10), (50, 60)), "dog")]))
    assert all(0 <= x <= W and 0 <= y <= H for x, y in out.annotations[0].shape.points)
    assert log.conversions == {"POLYGON clipped to the image": 1}
