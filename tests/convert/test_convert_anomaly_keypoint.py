"""anomaly (Normal/Anomalous, older anomaly task types mapped) and keypoint_detection."""

from __future__ import annotations

import pytest
from convert_helpers import H, W, ann, coco_like, full, poly, rect, run, single, task_summary

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate.model import Label, Project, Scene, Shape, Task
from scmigrate_convert import KeypointConverter

FULL_BOX = {"type": "RECTANGLE", "x": 0.0, "y": 0.0, "width": float(W), "height": float(H)}


def anomaly_source(kind: str) -> Project:
    return single(kind, [Label("Good", "#00ff00ff", "anomaly", hotkey="g"),
                         Label("Bad", "#ff0000ff", "anomaly", hotkey="b", is_anomalous=True)])


def test_anomaly_pipeline_from_a_dataset():
    target, _, _ = run("anomaly", coco_like("scratch"))
    assert task_summary(target) == [("anomaly", ["Normal", "Anomalous"])]
    normal, anomalous = target.trainable_tasks[0].labels
    assert not normal.is_anomalous and anomalous.is_anomalous
    assert normal.group == anomalous.group == "default - anomaly"
    assert target.trainable_tasks[0].title == "Anomaly"


def test_objects_make_an_image_anomalous_and_empty_images_normal():
    target, (bad, good), log = run("anomaly", coco_like("scratch"),
                                   Scene([ann(poly((1, 1), (9, 1), (5, 8)), "scratch"), ann(rect(20, 20, 5, 5),
                                                                                            "scratch")]),
                                   Scene())
    assert [(a.shape.to_dict(), a.label_names) for a in bad.annotations] == [(FULL_BOX, ["Anomalous"])]
    assert [(a.shape.to_dict(), a.label_names) for a in good.annotations] == [(FULL_BOX, ["Normal"])]
    assert log.conversions == {"POLYGON → Anomalous (image-level)": 1, "RECTANGLE → Anomalous (image-level)": 1,
                               "empty image → Normal": 1}


@pytest.mark.parametrize("kind", ["anomaly_classification", "anomaly_detection", "anomaly_segmentation"])
def test_older_anomaly_task_types_are_mapped(kind):
    src = anomaly_source(kind)
    scenes = [
        Scene([full("Good")]),
        Scene([full("Bad"), ann(rect(10, 10, 20, 20), "Bad"), ann(poly((50, 5), (90, 5), (70, 40)), "Bad")]),
    ]
    target, (good, bad), log = run("anomaly", src, *scenes)
    assert task_summary(target) == [("anomaly", ["Good", "Bad"])]
    labels = target.trainable_tasks[0].labels
    assert [(lb.color, lb.hotkey, lb.is_anomalous) for lb in labels] == [
        ("#00ff00ff", "g", False), ("#ff0000ff", "b", True)]
    assert target.trainable_tasks[0].title == "Anomaly"
    assert [a.label_names for a in good.annotations] == [["Good"]]
    assert [(a.shape.to_dict(), a.label_names) for a in bad.annotations] == [(FULL_BOX, ["Bad"])]
    assert log.drops == {"RECTANGLE: anomaly is image-level": 1, "POLYGON: anomaly is image-level": 1}


def test_anomaly_pass_through():
    src = anomaly_source("anomaly")
    scenes = [Scene([ann(rect(0, 0, W, H), "Good", ann_id="1")]), Scene([ann(rect(0, 0, W, H), "Bad", ann_id="2")])]
    target, outs, log = run("anomaly", src, *scenes)
    assert outs == scenes and log.to_dict() == {"converted": {}, "dropped": {}}


def test_classification_labels_are_not_anomaly_labels():
    src = single("classification", ["sunny", "rainy"])
    _, (out,), log = run("anomaly", src, Scene([full("sunny")]))
    assert out is None  # not known to be normal either
    assert log.drops["label sunny: not an anomaly label"] == 1


# ---------------------------------------------------------------- keypoints

STRUCTURE = {
    "edges": [{"nodes": ["head", "neck"]}, {"nodes": ["neck", "tail"]}],
    "positions": [{"label": "head", "x": 0.1, "y": 0.2}, {"label": "neck", "x": 0.3, "y": 0.3},
                  {"label": "tail", "x": 0.9, "y": 0.5}],
}


def keypoint_source(names=("head", "neck", "tail")) -> Project:
    return single("keypoint_detection", [Label(n, hotkey=f"k{i}") for i, n in enumerate(names)],
                  title="Pose", keypoint_structure=STRUCTURE)


def test_keypoint_pipeline_keeps_the_structure():
    target, _, _ = run("keypoint_detection", keypoint_source())
    task = target.trainable_tasks[0]
    assert task_summary(target) == [("keypoint_detection", ["head", "neck", "tail"])]
    assert task.keypoint_structure == STRUCTURE and task.title == "Pose"
    assert [lb.hotkey for lb in task.labels] == ["k0", "k1", "k2"]
    assert task.empty_label() is None


def test_keypoint_structure_follows_the_kept_labels():
    # what a --labels head,neck selection leaves: the tail is gone from the labels
    target, _, _ = run("keypoint_detection", keypoint_source(("head", "neck")))
    assert target.trainable_tasks[0].keypoint_structure == {
        "edges": [{"nodes": ["head", "neck"]}],
        "positions": [{"label": "head", "x": 0.1, "y": 0.2}, {"label": "neck", "x": 0.3, "y": 0.3}],
    }


def test_keypoints_kept_other_shapes_dropped():
    scene = Scene([
        ann(Shape.keypoint(10, 10), "head", ann_id="h"),
        ann(Shape.keypoint(20, 12, visible=False), "neck"),
        ann(Shape.keypoint(W + 1, 50), "tail"),   # just off the border: moved on
        ann(Shape.keypoint(W + 50, 50), "tail"),  # far off: dropped
        ann(rect(1, 1, 5, 5), "head"),
    ])
    _, (out, empty), log = run("keypoint_detection", keypoint_source(), scene, Scene())
    assert [(a.shape.to_dict(), a.label_names, a.id) for a in out.annotations] == [
        ({"type": "KEYPOINT", "x": 10, "y": 10, "is_visible": True}, ["head"], "h"),
        ({"type": "KEYPOINT", "x": 20, "y": 12, "is_visible": False}, ["neck"], None),
        ({"type": "KEYPOINT", "x": float(W), "y": 50.0, "is_visible": True}, ["tail"], None),
    ]
    assert empty is not None and empty.annotations == []
    assert log.drops == {"KEYPOINT: outside the image": 1, "RECTANGLE: not used by keypoint_detection": 1}
    assert log.conversions == {"KEYPOINT clipped to the image": 1}


def test_keypoints_need_a_keypoint_source():
    with pytest.raises(InputError, match="keypoint_detection needs a source with keypoint labels"):
        KeypointConverter().target_project(coco_like("dog"), RunOptions())


def test_keypoints_to_detection_are_dropped():
    _, (out,), log = run("detection", Project.chain("p", Task("D", "detection", [Label("head")])),
                         Scene([ann(Shape.keypoint(10, 10), "head")]))
    assert out is None and log.drops["KEYPOINT: not used by detection"] == 1


def test_object_labels_of_a_keypoint_source_are_not_keypoints():
    """A COCO keypoints dataset labels the points and the "person" box around them."""
    src = keypoint_source(("head", "neck", "tail", "person"))
    scene = Scene([ann(rect(5, 5, 30, 30), "person"), ann(Shape.keypoint(10, 10), "head")])
    target, (out,), log = run("keypoint_detection", src, scene)
    assert task_summary(target) == [("keypoint_detection", ["head", "neck", "tail"])]
    assert [a.label_names for a in out.annotations] == [["head"]]
    assert log.drops == {"label person: not in the target task": 1}
    target, (out,), log = run("detection", src, scene)
    assert task_summary(target) == [("detection", ["person", "No object"])]
    assert [a.label_names for a in out.annotations] == [["person"]]
    assert log.drops == {"label head: not in the target task": 1}
