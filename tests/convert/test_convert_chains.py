"""The chains: detection → segmentation ("dog" / "dog shape") and detection → classification."""

from __future__ import annotations

import pytest
from convert_helpers import (
    ann,
    coco_like,
    converter,
    poly,
    rect,
    run,
    single,
    task_summary,
)

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate.model import Label, Project, Scene, Shape, Task

TRI = ((10, 10), (50, 10), (30, 40))


def shapes(scene: Scene) -> list[tuple[str, list[str]]]:
    return [(a.shape.type, a.label_names) for a in scene.annotations]


# ---------------------------------------------------------------- detection → segmentation


def test_dog_and_dog_shape_pipeline():
    src = coco_like("dog")
    src.tasks[1].labels[0].color = "#123456ff"
    target, _, _ = run("detection_to_segmentation", src)
    assert [(t.title, t.task_type) for t in target.tasks] == [
        ("Dataset", "dataset"), ("Detection", "detection"), ("Crop", "crop"), ("Segmentation", "segmentation")]
    assert target.connections == [("Dataset", "Detection"), ("Detection", "Crop"), ("Crop", "Segmentation")]
    assert task_summary(target) == [("detection", ["dog", "No object"]), ("segmentation", ["dog shape", "Empty"])]
    det, seg = target.trainable_tasks
    assert det.labels[0].color == "#123456ff" and seg.labels[0].color not in (None, "#123456ff")
    assert det.labels[0].group != seg.labels[0].group
    assert [lb.is_empty for lb in det.labels + seg.labels] == [False, True, False, True]
    assert target.project_type == "detection_to_segmentation"


def test_each_object_gives_a_box_and_its_shape():
    scene = Scene([
        ann(poly(*TRI), "dog", ann_id="p1"),                 # polygon only
        ann(rect(100, 10, 30, 20), "dog"),                   # box only
        ann(rect(149, 49, 30, 30), "dog"),                   # box and polygon of one object (COCO)
        ann(poly((150, 50), (180, 50), (165, 80)), "dog"),
        ann(Shape.ellipse(60, 60, 20, 10), "dog"),           # ellipse
        ann(Shape.keypoint(5, 5), "dog"),
    ])
    _, (out,), log = run("detection_to_segmentation", coco_like("dog"), scene)
    assert shapes(out) == [
        ("RECTANGLE", ["dog"]), ("POLYGON", ["dog shape"]),
        ("RECTANGLE", ["dog"]), ("POLYGON", ["dog shape"]),
        ("RECTANGLE", ["dog"]), ("POLYGON", ["dog shape"]),
        ("RECTANGLE", ["dog"]), ("ELLIPSE", ["dog shape"]),
    ]
    a = out.annotations
    assert a[0].shape.to_dict() == {"type": "RECTANGLE", "x": 10.0, "y": 10.0, "width": 40.0, "height": 30.0}
    assert a[0].id == "p1" and a[1].id is None  # one source annotation, one id
    assert a[3].shape.points == [(100, 10), (130, 10), (130, 30), (100, 30)]
    # the object's own box, widened by 1 px on the left/top to hold its polygon
    assert a[4].shape.to_dict() == {"type": "RECTANGLE", "x": 149, "y": 49, "width": 31, "height": 31}
    assert a[6].shape.to_dict() == {"type": "RECTANGLE", "x": 60, "y": 60, "width": 20, "height": 10}
    assert log.conversions == {
        "POLYGON → RECTANGLE + POLYGON": 1, "RECTANGLE → RECTANGLE + POLYGON": 1,
        "RECTANGLE+POLYGON → RECTANGLE + POLYGON": 1, "ELLIPSE → RECTANGLE + ELLIPSE": 1,
    }
    assert log.drops == {"KEYPOINT: not used by detection_to_segmentation": 1}


def test_empty_image_stays_annotated_as_empty():
    # the model's one form; a cluster sink writes the first task's empty label on the full-image box
    _, (out,), _ = run("detection_to_segmentation", coco_like("dog"), Scene())
    assert out is not None and out.annotations == []


def chain_source(second: str, second_labels: list[Label]) -> Project:
    return Project.chain(
        "chain",
        Task("Find", "detection", [Label("dog", "#111111ff", "d"), Label("No object", "#000000ff", "No object",
                                                                          is_empty=True)]),
        Task("Second", second, second_labels),
    )


def test_detection_to_segmentation_passes_through():
    src = chain_source("segmentation", [Label("dog shape", "#222222ff", "s"),
                                        Label("Empty", "#000000ff", "Empty", is_empty=True)])
    scenes = [
        Scene([ann(rect(10, 10, 40, 30), "dog", ann_id="b"), ann(poly(*TRI), "dog shape", ann_id="p"),
               ann(rect(100, 10, 40, 30), "dog", "Empty", ann_id="e")]),  # second-task empty on its parent box
        Scene(),  # annotated as empty
    ]
    target, outs, log = run("detection_to_segmentation", src, *scenes)
    assert [t.labels for t in target.trainable_tasks] == [t.labels for t in src.trainable_tasks]
    assert [t.title for t in target.trainable_tasks] == ["Find", "Second"]
    assert outs == scenes and log.to_dict() == {"converted": {}, "dropped": {}}


def test_a_label_clash_is_a_clear_error():
    with pytest.raises(InputError, match="'dog shape' would be in both"):
        converter("detection_to_segmentation").target_project(coco_like("dog", "dog shape"), RunOptions())


# ---------------------------------------------------------------- detection → classification


def test_flat_source_detects_object_and_classifies():
    target, (out, empty), log = run(
        "detection_to_classification", coco_like("dog", "cat"),
        Scene([ann(rect(10, 10, 20, 20), "dog"), ann(poly((60, 10), (90, 10), (80, 40)), "cat")]), Scene())
    assert task_summary(target) == [("detection", ["object", "No object"]), ("classification", ["dog", "cat"])]
    assert [(a.shape.type, a.label_names) for a in out.annotations] == [
        ("RECTANGLE", ["object", "dog"]), ("RECTANGLE", ["object", "cat"])]
    assert out.annotations[1].shape.to_dict() == {"type": "RECTANGLE", "x": 60.0, "y": 10.0,
                                                  "width": 30.0, "height": 30.0}
    assert empty is not None and empty.annotations == []
    assert log.conversions == {"POLYGON → RECTANGLE": 1}
    plan = converter("detection_to_classification").plan(coco_like("dog", "cat"), target)
    assert "flat source: one detection label 'object', the source labels are the classes" in plan
    assert not any(line.startswith("hierarchical") for line in plan)  # only the rule that applies


def test_one_class_gets_no_class():
    target, _, _ = run("detection_to_classification", coco_like("dog"))
    assert task_summary(target) == [("detection", ["object", "No object"]), ("classification", ["dog", "No class"])]
    assert target.trainable_tasks[1].labels[-1].is_empty


def test_hierarchical_source_detects_the_parents():
    src = single("detection", [Label("animal"), Label("dog", parent="animal"), Label("cat", parent="animal")])
    target, (out,), _ = run("detection_to_classification", src, Scene([
        ann(rect(10, 10, 20, 20), "dog"), ann(rect(50, 10, 20, 20), "animal")]))
    assert task_summary(target) == [("detection", ["animal", "No object"]), ("classification", ["dog", "cat"])]
    assert {lb.group for lb in target.trainable_tasks[1].labels} == {"animal classes"}
    assert all(lb.parent is None for lb in target.trainable_tasks[1].labels)
    assert [a.label_names for a in out.annotations] == [["animal", "dog"], ["animal"]]
    plan = converter("detection_to_classification").plan(src, target)
    assert "hierarchical source: top-level labels detected, their descendants are the classes" in plan
    assert not any(line.startswith("flat source") for line in plan)


def test_detection_to_classification_passes_through():
    src = chain_source("classification", [Label("brown", "#333333ff", "c"), Label("No class", "#000000ff",
                                                                                  "No class", is_empty=True)])
    scenes = [
        Scene([ann(rect(10, 10, 40, 30), "dog", "brown", ann_id="b"),
               ann(rect(100, 10, 40, 30), "dog", "No class", ann_id="e")]),  # second-task empty on the parent box
        Scene(),  # annotated as empty
    ]
    target, outs, log = run("detection_to_classification", src, *scenes)
    assert [t.labels for t in target.trainable_tasks] == [t.labels for t in src.trainable_tasks]
    assert outs == scenes and log.to_dict() == {"converted": {}, "dropped": {}}


def test_chain_without_second_empty_label_in_source_gets_one():
    src = chain_source("segmentation", [Label("dog shape", "#222222ff", "s")])
    target, _, _ = run("detection_to_segmentation", src)
    assert task_summary(target)[1] == ("segmentation", ["dog shape", "Empty"])


def test_one_class_per_box_in_a_multi_class_chain():
    _, (out,), log = run("detection_to_classification", coco_like("dog", "cat"),
                         Scene([ann(rect(10, 10, 20, 20), "dog", "cat")]))
    assert [a.label_names for a in out.annotations] == [["object", "dog"]]
    assert log.drops == {"label cat: a second label of its group on one shape": 1}
