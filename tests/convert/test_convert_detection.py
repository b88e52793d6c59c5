"""detection and rotated_detection: the target pipeline and every shape rule."""

from __future__ import annotations

import pytest
from convert_helpers import (
    H,
    W,
    ann,
    coco_like,
    full,
    media,
    poly,
    rect,
    run,
    single,
    task_summary,
)

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate.model import Label, Scene, ScoredLabel, Shape
from scmigrate_convert import DetectionConverter
from scmigrate_convert.labels import color_for


def test_detection_pipeline_labels_and_empty_label():
    src = single("instance_segmentation", [Label("dog", "#112233ff", hotkey="ctrl+1"), Label("cat")])
    target = DetectionConverter().target_project(src, RunOptions())
    assert [t.task_type for t in target.tasks] == ["dataset", "detection"]
    assert target.connections == [("Dataset", "Detection")]
    assert task_summary(target) == [("detection", ["dog", "cat", "No object"])]
    dog, cat, empty = target.trainable_tasks[0].labels
    assert (dog.color, dog.hotkey, dog.group) == ("#112233ff", "ctrl+1", "Detection labels")
    assert cat.color == color_for("cat") and cat.color == DetectionConverter().target_project(
        src, RunOptions()).label("cat").color  # deterministic
    assert empty.is_empty and empty.group == "No object" and empty.color == "#000000ff"
    assert target.project_type == "detection"


def test_detection_keeps_datasets_and_the_source_empty_label():
    src = single("detection", ["dog"], empty="No Object", title="Find dogs")
    src.datasets = [src.datasets[0], type(src.datasets[0])("Holdout", False)]
    src.configuration.auto_training = {"Find dogs": False, "Other": True}
    src.configuration.raw = {"configuration": {"x": 1}}
    target = DetectionConverter().target_project(src, RunOptions())
    assert target.trainable_tasks[0].title == "Find dogs"
    assert [lb.name for lb in target.labels()] == ["dog", "No Object"]  # matched by flag, name kept
    assert [d.name for d in target.datasets] == ["Dataset", "Holdout"]
    assert target.configuration.auto_training == {"Find dogs": False}
    assert target.configuration.raw == {"configuration": {"x": 1}}


def test_configuration_of_another_task_type_is_not_carried():
    src = single("segmentation", ["dog"], title="Seg")
    src.configuration.training_parameters = {"Seg": {"lr": 0.1}}
    src.configuration.raw = {"configuration": {"x": 1}}
    target = DetectionConverter().target_project(src, RunOptions())
    assert target.configuration.training_parameters == {} and target.configuration.raw == {}


def test_outlines_become_boxes():
    scene = Scene([
        ann(poly((10, 10), (50, 10), (30, 40)), "dog", ann_id="a1"),
        ann(Shape.ellipse(60, 20, 30, 10), "cat"),
        ann(Shape.rotated_rectangle(150, 50, 20, 10, 90), "dog"),
    ])
    target, (out,), log = run("detection", coco_like("dog", "cat"), scene)
    assert [(a.shape.to_dict(), a.label_names) for a in out.annotations] == [
        ({"type": "RECTANGLE", "x": 10.0, "y": 10.0, "width": 40.0, "height": 30.0}, ["dog"]),
        ({"type": "RECTANGLE", "x": 60, "y": 20, "width": 30, "height": 10}, ["cat"]),
        ({"type": "RECTANGLE", "x": pytest.approx(145), "y": pytest.approx(40),
          "width": pytest.approx(10), "height": pytest.approx(20)}, ["dog"]),
    ]
    assert out.annotations[0].id == "a1"
    assert log.to_dict() == {
        "converted": {"POLYGON → RECTANGLE": 1, "ELLIPSE → RECTANGLE": 1, "ROTATED_RECTANGLE → RECTANGLE": 1},
        "dropped": {},
    }


def test_box_and_polygon_of_one_object_give_one_box():
    scene = Scene([ann(rect(9, 9, 42, 32), "dog"), ann(poly((10, 10), (50, 10), (30, 40)), "dog"),
                   ann(poly((100, 10), (150, 10), (120, 40)), "dog")])
    _, (out,), log = run("detection", coco_like("dog"), scene)
    assert [a.shape.to_dict() for a in out.annotations] == [
        {"type": "RECTANGLE", "x": 9, "y": 9, "width": 42, "height": 32},
        {"type": "RECTANGLE", "x": 100.0, "y": 10.0, "width": 50.0, "height": 30.0},
    ]
    assert log.conversions == {"POLYGON → RECTANGLE (merged with the object's box)": 1, "POLYGON → RECTANGLE": 1}


def test_keypoints_degenerate_and_outside_shapes_are_dropped_and_counted():
    scene = Scene([
        ann(rect(10, 10, 20, 20), "dog"),
        ann(Shape.keypoint(5, 5), "dog"),
        ann(Shape.keypoint(6, 6), "dog"),
        ann(rect(10, 10, 0, 20), "dog"),
        ann(poly((1, 1), (2, 2)), "dog"),
        ann(rect(190, 90, 30, 30), "dog"),  # slightly outside: clipped
        ann(rect(300, 10, 30, 30), "dog"),  # entirely outside
    ])
    _, (out,), log = run("detection", coco_like("dog"), scene)
    assert [a.shape.to_dict() for a in out.annotations] == [
        {"type": "RECTANGLE", "x": 10, "y": 10, "width": 20, "height": 20},
        {"type": "RECTANGLE", "x": 190, "y": 90, "width": 10, "height": 10},
    ]
    assert log.drops == {
        "KEYPOINT: not used by detection": 2,
        "RECTANGLE: zero area": 1,
        "POLYGON: fewer than 3 points": 1,
        "RECTANGLE: outside the image": 1,
    }
    assert log.conversions == {"RECTANGLE clipped to the image": 1}


def test_an_empty_scene_stays_annotated_as_empty():
    # the model's one form of "empty"; a cluster sink writes it as the empty label on the full-image box
    target, (a, b), log = run("detection", coco_like("dog"), Scene(), Scene([ann(rect(0, 0, W, H), "dog")]))
    assert a is not None and a.annotations == []
    assert b.annotations[0].label_names == ["dog"]  # a real box that covers the image stays a box
    _, (c,), _ = run("detection", single("detection", ["dog"], empty="No Object"), Scene())  # pass-through
    assert c is not None and c.annotations == []
    # a lone empty label is no way to say "empty" in the model (a source reads a cluster's mark as Scene())
    src = single("segmentation", ["dog"], empty="Nothing")
    _, (d,), log = run("detection", src, Scene([ann(rect(0, 0, W, H), "Nothing")]))
    assert d is None and log.drops["RECTANGLE: empty label without an object"] == 1


def test_image_with_only_other_labels_becomes_empty_but_lost_shapes_leave_it_unannotated():
    target, (a, b), log = run(
        "detection", coco_like("dog"),
        Scene([ann(rect(10, 10, 5, 5), "horse")]),
        Scene([ann(Shape.keypoint(3, 3), "dog")]),
    )
    assert a is not None and a.annotations == []  # annotated as empty
    assert b is None
    assert log.drops == {"label horse: not in the target task": 1, "KEYPOINT: not used by detection": 1,
                         "image: nothing left after conversion, left unannotated": 1}


def test_image_level_labels_are_dropped():
    src = coco_like("dog")
    src.tasks.append(type(src.tasks[1])("Weather", "classification", [Label("rainy"), Label("clear")]))
    _, (out,), log = run("detection", src, Scene([full("rainy"), ann(rect(1, 1, 5, 5), "dog")]))
    assert [a.label_names for a in out.annotations] == [["dog"]]
    assert log.drops == {"label rainy: image-level label not used by detection": 1}


def test_one_label_per_group_on_a_box():
    src = single("detection", [Label("dog", group="animals"), Label("cat", group="animals"),
                               Label("brown", group="colour")])
    _, (out,), log = run("detection", src, Scene([ann(rect(1, 1, 5, 5), "dog", "cat", "brown")]))
    assert out.annotations[0].label_names == ["dog", "brown"]
    assert log.drops == {"label cat: a second label of its group on one shape": 1}


def test_unknown_image_size_still_keeps_an_image_annotated_as_empty():
    # the sink places the empty label where it needs one (a cluster knows the size once it has the media)
    _, (out,), log = run("detection", coco_like("dog"), Scene(), m=media(None, None))
    assert out is not None and out.annotations == [] and log.drops == {}


def test_a_source_without_object_labels_is_an_input_error():
    with pytest.raises(InputError, match="detection needs at least 1 label"):
        DetectionConverter().target_project(single("classification", ["a", "b"]), RunOptions())


def test_probability_and_source_of_labels_are_kept():
    sl = ScoredLabel("dog", 0.7, {"model_id": "m"})
    from scmigrate.model import Annotation

    _, (out,), _ = run("detection", coco_like("dog"), Scene([Annotation(poly((1, 1), (9, 1), (5, 8)), [sl])]))
    assert out.annotations[0].labels == [sl]


# ---------------------------------------------------------------- rotated detection


def test_rotated_pipeline():
    target, _, _ = run("rotated_detection", coco_like("ship"))
    assert task_summary(target) == [("rotated_detection", ["ship", "No object"])]
    assert target.trainable_tasks[0].labels[-1].is_empty


def test_rotated_rules():
    scene = Scene([
        ann(rect(10, 10, 40, 20), "ship"),
        ann(Shape.rotated_rectangle(100, 50, 40, 10, 45), "ship"),
        ann(Shape.polygon(Shape.rotated_rectangle(50, 50, 20, 10, 30).corners()), "ship"),
        ann(Shape.ellipse(150, 20, 20, 10), "ship"),
        ann(Shape.keypoint(1, 1), "ship"),
        ann(rect(190, 10, 20, 20), "ship"),
    ])
    _, (out,), log = run("rotated_detection", coco_like("ship"), scene)
    shapes = [a.shape for a in out.annotations]
    assert shapes[0].to_dict() == {"type": "ROTATED_RECTANGLE", "x": 30.0, "y": 20.0, "width": 40,
                                   "height": 20, "angle": 0.0}
    assert shapes[1].to_dict()["angle"] == 45
    assert (shapes[2].x, shapes[2].y) == (pytest.approx(50), pytest.approx(50))
    assert sorted([shapes[2].width, shapes[2].height]) == [pytest.approx(10), pytest.approx(20)]
    assert shapes[3].to_dict() == {"type": "ROTATED_RECTANGLE", "x": 160.0, "y": 25.0, "width": 20,
                                   "height": 10, "angle": 0.0}
    # the box sticking out is clipped before it is turned: its centre is on the image
    assert shapes[4].to_dict() == {"type": "ROTATED_RECTANGLE", "x": 195.0, "y": 20.0, "width": 10.0,
                                   "height": 20, "angle": 0.0}
    assert log.conversions == {"RECTANGLE → ROTATED_RECTANGLE": 2, "POLYGON → ROTATED_RECTANGLE": 1,
                               "ELLIPSE → ROTATED_RECTANGLE": 1, "RECTANGLE clipped to the image": 1}
    assert log.drops == {"KEYPOINT: not used by rotated_detection": 1}


def test_rotated_pass_through_keeps_rectangles():
    src = single("rotated_detection", ["ship"], empty="No object")
    scene = Scene([ann(rect(10, 10, 40, 20), "ship"), ann(Shape.rotated_rectangle(100, 50, 40, 10, 45), "ship")])
    _, (out,), log = run("rotated_detection", src, scene)
    assert out == scene and log.to_dict() == {"converted": {}, "dropped": {}}
