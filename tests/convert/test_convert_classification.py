"""classification: multi-label, multi-class and hierarchical, decided from the source."""

from __future__ import annotations

import pytest
from convert_helpers import (
    H,
    W,
    ann,
    coco_like,
    converter,
    full,
    media,
    poly,
    rect,
    run,
    single,
    task_summary,
)

from scmigrate.api import ConversionLog, RunOptions
from scmigrate.errors import InputError
from scmigrate.model import Label, Project, Scene, Shape, Task, read_empty_mark

BOTH = Scene([ann(rect(10, 10, 20, 20), "dog"), ann(poly((50, 5), (90, 5), (70, 40)), "cat"),
              ann(rect(100, 10, 20, 20), "dog")])
DOG = Scene([ann(rect(10, 10, 20, 20), "dog")])
CAT = Scene([ann(Shape.ellipse(10, 10, 20, 20), "cat")])
FULL_BOX = {"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": float(W), "height": float(H)}


def groups(target: Project) -> dict[str, str | None]:
    return {lb.name: lb.group for lb in target.trainable_tasks[0].labels}


def test_multi_label_when_an_image_holds_two_labels():
    target, (both, dog, empty), log = run("classification", coco_like("dog", "cat"), BOTH, DOG, Scene(),
                                          survey=True)
    assert task_summary(target) == [("classification", ["dog", "cat", "No class"])]
    assert groups(target) == {"dog": "dog", "cat": "cat", "No class": "No class"}
    assert target.trainable_tasks[0].labels[-1].is_empty
    assert [(a.shape.to_dict(), a.label_names) for a in both.annotations] == [(FULL_BOX, ["dog", "cat"])]
    assert [a.label_names for a in dog.annotations] == [["dog"]]
    assert empty is not None and empty.annotations == []  # annotated as empty: 'No class' on a cluster
    assert log.conversions == {"RECTANGLE → image-level label": 3, "POLYGON → image-level label": 1}
    assert log.drops == {}


def test_multi_class_when_no_image_holds_two_labels():
    conv = converter("classification")
    src = coco_like("dog", "cat")
    conv.survey(src, [DOG, CAT, Scene()])
    target = conv.target_project(src, RunOptions())
    assert task_summary(target) == [("classification", ["dog", "cat"])]  # no "No class"
    assert set(groups(target).values()) == {"Classification labels"}
    plan = conv.plan(src, target)
    assert "classification kind: multi-class (no image holds 2+ labels)" in plan
    assert "an image with 2 different labels of one exclusive group is left unannotated" in plan
    log = ConversionLog()
    dog = conv.convert(DOG, media(), src, target, log)
    both = conv.convert(BOTH, media(), src, target, log)
    empty = conv.convert(Scene(), media(), src, target, log)
    assert [a.label_names for a in dog.annotations] == [["dog"]]
    assert both is None and empty is None
    assert log.drops == {
        "image with several labels of one exclusive group: left unannotated": 1,
        "image: nothing left after conversion, left unannotated": 1,
        "empty image: classification has no empty label": 1,
    }


def test_without_a_survey_several_labels_make_multi_label():
    conv = converter("classification")
    target = conv.target_project(coco_like("dog", "cat"), RunOptions())
    assert groups(target) == {"dog": "dog", "cat": "cat", "No class": "No class"}
    plan = conv.plan(coco_like("dog", "cat"), target)
    assert "classification kind: multi-label (no survey of the images)" in plan
    assert not any("left unannotated" in line for line in plan)


def test_hierarchical_when_source_labels_have_parents():
    src = single("detection", [Label("animal"), Label("dog", parent="animal"), Label("cat", parent="animal"),
                               Label("vehicle"), Label("car", parent="vehicle")])
    target, (dog, dogcat, dogcar, animal), log = run(
        "classification", src, DOG,
        Scene([ann(rect(1, 1, 5, 5), "dog"), ann(rect(10, 1, 5, 5), "cat")]),
        Scene([ann(rect(1, 1, 5, 5), "dog"), ann(rect(10, 1, 5, 5), "car")]),
        Scene([ann(rect(1, 1, 5, 5), "animal"), ann(rect(10, 1, 5, 5), "dog")]),
    )
    labels = {lb.name: (lb.group, lb.parent) for lb in target.trainable_tasks[0].labels}
    assert labels == {
        "animal": ("Classification labels", None), "dog": ("animal classes", "animal"),
        "cat": ("animal classes", "animal"), "vehicle": ("Classification labels", None),
        "car": ("vehicle classes", "vehicle"),
    }
    assert [a.label_names for a in dog.annotations] == [["dog"]]
    assert dogcat is None and dogcar is None  # siblings, or two top-level classes: exclusive
    assert [a.label_names for a in animal.annotations] == [["animal", "dog"]]  # a label and its ancestor agree
    assert log.drops["image with several labels of one exclusive group: left unannotated"] == 2


def test_classification_source_passes_through():
    src = single("classification", [Label("a", "#010101ff", "g1", hotkey="1"), Label("b", "#020202ff", "g2"),
                                    Label("No class", "#000000ff", "No class", is_empty=True)])
    scenes = [Scene([ann(Shape.rectangle(0, 0, W, H), "a", "b", ann_id="s1")]),
              Scene()]  # annotated as empty
    target, outs, log = run("classification", src, *scenes)
    assert target.trainable_tasks[0].labels == src.trainable_tasks[0].labels
    assert outs == scenes
    assert log.to_dict() == {"converted": {}, "dropped": {}}


def test_multi_class_source_keeps_its_structure():
    src = single("classification", [Label("a", group="g"), Label("b", group="g")])
    target, _, _ = run("classification", src)
    assert task_summary(target) == [("classification", ["a", "b"])]


def test_chain_classes_become_image_level_labels():
    src = Project.chain("chain", Task("Detection", "detection", [Label("animal"), Label("No object", is_empty=True)]),
                        Task("Classification", "classification", [Label("dog", group="c"), Label("cat", group="c")]))
    target, (out,), log = run("classification", src, Scene([ann(rect(1, 1, 5, 5), "animal", "dog")]))
    assert task_summary(target) == [("classification", ["dog", "cat"])]
    assert [a.label_names for a in out.annotations] == [["dog"]]
    assert log.drops == {"label animal: not in the target task": 1}


def test_fewer_than_two_labels_is_an_input_error():
    with pytest.raises(InputError, match="classification needs at least 2 label"):
        converter("classification").target_project(coco_like("dog"), RunOptions())


def test_empty_label_of_the_source_means_annotated_empty():
    src = single("detection", ["dog", "cat"], empty="No object")
    scene = read_empty_mark(Scene([full("No object")]), src, W, H)  # as a source reads a cluster's mark
    _, (out,), _ = run("classification", src, scene)
    assert out is not None and out.annotations == []
