"""Annotation-scene rules (docs/rest-api.md §10, §10.8) of sc_emulator.rules.annotations and .shapes."""

from __future__ import annotations

import itertools
import uuid

import pytest

from sc_emulator.rules.annotations import render_annotations, state_per_task, validate_scene
from sc_emulator.rules.errors import RuleError
from sc_emulator.rules.pipeline import apply_project_edit, build_project

W, H = 1280, 720
FULL = {"type": "RECTANGLE", "x": 0, "y": 0, "width": W, "height": H}
NOW = "2025-06-13T10:05:00.000000+00:00"


def ids():
    counter = itertools.count(1)
    return lambda: f"{next(counter):024x}"


def uuids():
    counter = itertools.count(1)
    return lambda: str(uuid.UUID(int=next(counter)))


def single(task_type, labels, **extra):
    return build_project({"name": "P", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"}, {"title": "T", "task_type": task_type,
                                                                 "labels": labels, **extra}],
        "connections": [{"from": "Dataset", "to": "T"}]}}, ids())


def chain(second_type, second_labels):
    return build_project({"name": "C", "pipeline": {
        "tasks": [{"title": "Dataset", "task_type": "dataset"},
                  {"title": "Det", "task_type": "detection", "labels": [{"name": "parcel"}, {"name": "box"}]},
                  {"title": "Crop", "task_type": "crop"},
                  {"title": "Second", "task_type": second_type, "labels": second_labels}],
        "connections": [{"from": "Dataset", "to": "Det"}, {"from": "Det", "to": "Crop"},
                        {"from": "Crop", "to": "Second"}]}}, ids())


def lid(project, name):
    for task in project["pipeline"]["tasks"]:
        for label in task.get("labels", []):
            if label["name"] == name:
                return label["id"]
    raise KeyError(name)


def ann(project, shape, *names, **extra):
    return {"shape": shape, "labels": [{"id": lid(project, n)} for n in names], **extra}


def rect(x, y, w, h):
    return {"type": "RECTANGLE", "x": x, "y": y, "width": w, "height": h}


def post(project, *annotations, width=W, height=H):
    return validate_scene(project, width, height, {"annotations": list(annotations)}, uuids(), now=NOW,
                          user_id="user-1")


def refused(project, *annotations, match, body=None, width=W, height=H):
    with pytest.raises(RuleError) as info:
        validate_scene(project, width, height, body if body is not None else {"annotations": list(annotations)},
                       uuids())
    assert (info.value.status, info.value.error_code) == (400, "bad_request")
    assert match in info.value.message, info.value.message
    return info.value


@pytest.fixture(scope="module")
def det():
    return single("detection", [{"name": "cat", "group": "g"}, {"name": "dog", "group": "g"}])


def test_detection_scene_is_stored_normalised_and_rendered_back(det):
    stored = post(det, ann(det, rect(100, 120, 420, 300), "cat", id="5e0c7a8e-2b8f-4a4e-9d0e-2f6a1c3b9a10"),
                  {"shape": rect(0, 0, 10, 10), "labels": [{"id": lid(det, "dog"), "name": "dog", "color": "#fff",
                                                           "probability": 0.5, "source": {"x": 1}}]})
    first, second = stored
    assert first["id"] == "5e0c7a8e-2b8f-4a4e-9d0e-2f6a1c3b9a10" and second["id"] == str(uuid.UUID(int=1))
    assert first["shape"] == {"type": "RECTANGLE", "x": 100 / W, "y": 120 / H, "width": 420 / W, "height": 300 / H}
    assert first["modified"] == NOW and first["labels_to_revisit"] == []
    assert second["labels"] == [{"id": lid(det, "dog"), "probability": 0.5,
                                 "source": {"user_id": "user-1", "model_id": None, "model_storage_id": None}}]
    rendered = render_annotations(stored, W, H)
    assert rendered[0]["shape"] == rect(100, 120, 420, 300)
    assert all(isinstance(rendered[0]["shape"][k], int) for k in ("x", "y", "width", "height"))
    assert rendered[0]["labels"] == first["labels"]


def test_float_pixels_come_back_rounded(det):
    stored = post(det, ann(det, rect(10.4, 20.6, 99.5, 100.5), "cat"))
    assert render_annotations(stored, W, H)[0]["shape"] == rect(10, 21, 100, 100)  # halves go to even


def test_round_trip_every_integer_rectangle_on_odd_size():
    project = single("detection", [{"name": "a"}])
    w, h = 997, 613
    for x in range(0, w, 37):
        stored = post(project, ann(project, rect(x, x % h, w - x, h - x % h), "a"), width=w, height=h)
        assert render_annotations(stored, w, h)[0]["shape"] == rect(x, x % h, w - x, h - x % h)


def test_empty_label_on_full_box(det):
    stored = post(det, ann(det, FULL, "No object"))
    assert render_annotations(stored, W, H)[0]["shape"] == FULL
    assert state_per_task(det, stored) == [{"task_id": det["pipeline"]["tasks"][1]["id"], "state": "annotated"}]
    refused(det, ann(det, rect(0, 0, 100, 100), "No object"), match="must be alone on the full-image box")
    refused(det, ann(det, FULL, "No object", "cat"), match="Empty and non-empty labels of task 'T'")
    refused(det, ann(det, FULL, "No object"), ann(det, rect(1, 1, 5, 5), "cat"),
            match="overlaps annotations[0] that carries the empty label 'No object'")


def test_state_none_for_empty_scene(det):
    assert post(det) == []
    assert state_per_task(det, []) == [{"task_id": det["pipeline"]["tasks"][1]["id"], "state": "none"}]


@pytest.mark.parametrize("body,match", [
    ({}, "Server received empty annotation data"),
    ({"media_identifier": {}}, "'annotations' is a required property"),
    ([], "Invalid value received for field 'body'"),
    ({"annotations": {}}, "'annotations': dict is not of type 'array'"),
    ({"annotations": [{"labels": [{"id": "x"}]}]}, "'shape' is a required property"),
    ({"annotations": [{"shape": FULL}]}, "'labels' is a required property"),
    ({"annotations": [{"shape": FULL, "labels": []}]}, "'annotations[0].labels': should have at least 1 item"),
    ({"annotations": [{"shape": FULL, "labels": [{"name": "cat"}]}]}, "'id' is a required property"),
    ({"annotations": [{"shape": FULL, "labels": [{"id": "f" * 24}]}]}, "does not exist in the project"),
    ({"annotations": [{"shape": {"type": "CIRCLE"}, "labels": []}]}, "'CIRCLE' is not one of"),
])
def test_scene_body_errors(det, body, match):
    refused(det, body=body, match=match)


def test_label_errors(det):
    cat = lid(det, "cat")
    refused(det, {"shape": rect(1, 1, 4, 4), "labels": [{"id": cat}, {"id": cat}]}, match="appears twice")
    refused(det, {"shape": rect(1, 1, 4, 4), "labels": [{"id": cat, "probability": 1.5}]},
            match="1.5 is greater than the maximum of 1")
    refused(det, ann(det, rect(1, 1, 4, 4), "cat", "dog"),
            match="Labels 'cat' and 'dog' belong to the same exclusive group 'g'")
    body = {**det, "id": "p"}
    body["pipeline"] = {**det["pipeline"], "tasks": [dict(t) for t in det["pipeline"]["tasks"]]}
    body["pipeline"]["tasks"][1]["labels"] = [dict(lab) for lab in det["pipeline"]["tasks"][1]["labels"]]
    body["pipeline"]["tasks"][1]["labels"][1]["is_deleted"] = True
    edited = apply_project_edit(det, body, ids())
    refused(edited, ann(det, rect(1, 1, 4, 4), "dog"), match="has been deleted from the project")


def test_duplicate_annotation_ids_and_invalid_ids(det):
    same = "5e0c7a8e-2b8f-4a4e-9d0e-2f6a1c3b9a10"
    refused(det, ann(det, rect(1, 1, 4, 4), "cat", id=same), ann(det, rect(9, 9, 4, 4), "cat", id=same),
            match="Annotation ids must be unique")
    stored = post(det, ann(det, rect(1, 1, 4, 4), "cat", id="665f1d009b1e4a0012ab3500"))
    assert stored[0]["id"] == str(uuid.UUID(int=1))


@pytest.mark.parametrize("shape,match", [
    (rect(-1, 0, 10, 10), "'annotations[0].shape.x': -1 is less than the minimum of 0"),
    (rect(0, 0, 0, 10), "shape.width': 0 is less than the minimum of 1"),
    (rect(1200, 0, 81, 10), "extends outside the 1280×720 image"),
    (rect(0, 700, 10, 21), "extends outside"),
    (rect(0, 0, True, 10), "True is not of type 'number'"),
    (rect(10 ** 400, 0, 10, 10), "is not of type 'number'"),  # a JSON integer no float can hold: no 500
    ({"type": "RECTANGLE", "x": 0, "y": 0, "width": 5}, "'height' is a required property"),
])
def test_rectangle_limits(det, shape, match):
    refused(det, {"shape": shape, "labels": [{"id": lid(det, "cat")}]}, match=match)


def test_rectangle_touching_the_far_edges_is_fine(det):
    assert post(det, ann(det, rect(1270, 710, 10, 10), "cat"))


def test_shape_types_per_task(det):
    poly = {"type": "POLYGON", "points": [{"x": 1, "y": 1}, {"x": 9, "y": 1}, {"x": 5, "y": 9}]}
    refused(det, ann(det, poly, "cat"), match="does not accept POLYGON")
    seg = single("segmentation", [{"name": "road"}])
    ell = {"type": "ELLIPSE", "x": 10, "y": 10, "width": 30, "height": 20}
    stored = post(seg, ann(seg, poly, "road"), ann(seg, ell, "road"), ann(seg, rect(50, 50, 5, 5), "road"))
    assert [a["shape"]["type"] for a in render_annotations(stored, W, H)] == ["POLYGON", "ELLIPSE", "RECTANGLE"]
    refused(seg, ann(seg, {"type": "KEYPOINT", "x": 1, "y": 1}, "road"), match="does not accept KEYPOINT")


def test_polygon_limits():
    seg = single("instance_segmentation", [{"name": "obj"}])

    def poly(points):
        return ann(seg, {"type": "POLYGON", "points": [{"x": x, "y": y} for x, y in points]}, "obj")

    assert post(seg, poly([(0, 0), (W, 0), (W, H)]))
    refused(seg, poly([(0, 0), (W + 1, 0), (W, H)]), match="points[1].x': 1281 is greater than the maximum")
    refused(seg, poly([(0, 0), (-0.5, 0), (W, H)]), match="points[1].x': -0.5 is less than the minimum")
    refused(seg, poly([(0, 0), (1, 1)]), match="should have at least 3 item(s)")
    many = [(i % W, (i // W) % H) for i in range(5001)]
    refused(seg, poly(many), match="more than the maximum of 5000")
    assert post(seg, poly(many[:5000]))
    stored = post(seg, poly([(10.2, 20.7), (30.5, 40.5), (31.5, 1)]))
    assert render_annotations(stored, W, H)[0]["shape"]["points"] == [{"x": 10, "y": 21}, {"x": 30, "y": 40},
                                                                      {"x": 32, "y": 1}]


def test_ellipse_needs_a_pixel_inside():
    seg = single("segmentation", [{"name": "obj"}])

    def ellipse(x, y, w, h):
        return ann(seg, {"type": "ELLIPSE", "x": x, "y": y, "width": w, "height": h}, "obj")

    stored = post(seg, ellipse(-20, -20, 21, 21))
    assert render_annotations(stored, W, H)[0]["shape"] == {"type": "ELLIPSE", "x": -20, "y": -20, "width": 21,
                                                            "height": 21}
    refused(seg, ellipse(-20, -20, 20.5, 30), match="less than 1 pixel inside")
    refused(seg, ellipse(W - 0.5, 10, 30, 30), match="less than 1 pixel inside")


def test_rotated_detection_rectangles_and_rounding():
    rot = single("rotated_detection", [{"name": "ship"}])
    stored = post(rot, ann(rot, rect(100, 100, 200, 80), "ship"),
                  ann(rot, {"type": "ROTATED_RECTANGLE", "x": 640.123456, "y": 360.0, "width": 200.00004,
                            "height": 80.0, "angle": 30.123456}, "ship"))
    first, second = render_annotations(stored, W, H)
    assert first["shape"] == {"type": "ROTATED_RECTANGLE", "x": 200.0, "y": 140.0, "width": 200.0, "height": 80.0,
                              "angle": 0.0}
    assert second["shape"] == {"type": "ROTATED_RECTANGLE", "x": 640.1235, "y": 360.0, "width": 200.0,
                               "height": 80.0, "angle": 30.1235}
    refused(rot, ann(rot, {"type": "ROTATED_RECTANGLE", "x": 20, "y": 300, "width": 60, "height": 10,
                           "angle": 0}, "ship"), match="a corner of the rotated rectangle")
    assert post(rot, ann(rot, {"type": "ROTATED_RECTANGLE", "x": 30, "y": 300, "width": 60, "height": 10,
                               "angle": 0}, "ship"))
    refused(rot, ann(rot, {"type": "ROTATED_RECTANGLE", "x": 300, "y": 300, "width": 60, "height": 10,
                           "angle": 361}, "ship"), match="361 is greater than the maximum of 360")
    empty = post(rot, ann(rot, FULL, "No object"))
    assert empty[0]["shape"]["type"] == "RECTANGLE"


def test_keypoints():
    kp = single("keypoint_detection", [{"name": "head", "group": "h"}, {"name": "tail", "group": "t"}],
                keypoint_structure={
        "edges": [{"nodes": ["head", "tail"]}],
        "positions": [{"label": "head", "x": 0.1, "y": 0.1}, {"label": "tail", "x": 0.9, "y": 0.9}]})
    stored = post(kp, ann(kp, {"type": "KEYPOINT", "x": 512.4, "y": 200, "is_visible": False}, "head"),
                  ann(kp, {"type": "KEYPOINT", "x": W, "y": H}, "tail"))
    assert [a["shape"] for a in render_annotations(stored, W, H)] == [
        {"type": "KEYPOINT", "x": 512, "y": 200, "is_visible": False},
        {"type": "KEYPOINT", "x": W, "y": H, "is_visible": True}]
    refused(kp, ann(kp, {"type": "KEYPOINT", "x": -1, "y": 5}, "head"), match="-1 is less than the minimum of 0")
    refused(kp, ann(kp, {"type": "KEYPOINT", "x": 1, "y": H + 1}, "head"), match="greater than the maximum of 720")
    refused(kp, ann(kp, {"type": "KEYPOINT", "x": 1, "y": 1, "is_visible": "yes"}, "head"),
            match="'yes' is not of type 'boolean'")
    refused(kp, ann(kp, {"type": "KEYPOINT", "x": 1, "y": 1}, "head", "tail"), match="exactly one keypoint label")
    refused(kp, ann(kp, rect(1, 1, 5, 5), "head"), match="does not accept RECTANGLE")


@pytest.mark.parametrize("task_type,labels,names", [
    ("classification", [{"name": "a", "group": "g"}, {"name": "b", "group": "g"}], ("a",)),
    ("anomaly", None, ("Anomalous",)),
])
def test_global_tasks_need_the_exact_full_box(task_type, labels, names):
    project = single(task_type, labels)
    stored = post(project, ann(project, FULL, *names))
    assert state_per_task(project, stored)[0]["state"] == "annotated"
    refused(project, ann(project, rect(0, 0, W, H - 1), *names), match="must be on the full-image box")
    refused(project, ann(project, FULL, *names), ann(project, FULL, *names), match="carries a full-image label")


def test_anomaly_normal_and_anomalous_are_exclusive():
    project = single("anomaly", None)
    refused(project, ann(project, FULL, "Normal", "Anomalous"), match="same exclusive group 'default - anomaly'")


def test_multilabel_classification_and_no_class():
    project = single("classification", [{"name": "a", "group": "ga"}, {"name": "b", "group": "gb"}])
    assert post(project, ann(project, FULL, "a", "b"))
    assert post(project, ann(project, FULL, "No class"))
    refused(project, ann(project, FULL, "No class", "a"), match="Empty and non-empty labels")


def test_hierarchy_ancestors_count_for_exclusivity():
    project = single("classification", [
        {"name": "animal", "group": "top"}, {"name": "vehicle", "group": "top"},
        {"name": "dog", "group": "animals", "parent_id": "animal"}, {"name": "cat", "group": "animals",
                                                                     "parent_id": "animal"},
        {"name": "car", "group": "vehicles", "parent_id": "vehicle"}])
    assert post(project, ann(project, FULL, "animal", "dog"))
    assert post(project, ann(project, FULL, "dog"))
    refused(project, ann(project, FULL, "dog", "cat"), match="'dog' and 'cat' belong to the same exclusive group")
    refused(project, ann(project, FULL, "dog", "vehicle"),
            match="'animal' and 'vehicle' belong to the same exclusive group 'top'")
    refused(project, ann(project, FULL, "dog", "car"), match="'animal' and 'vehicle'")


def test_chain_detection_classification():
    project = chain("classification", [{"name": "red", "group": "c"}, {"name": "blue", "group": "c"}])
    det_id, cls_id = project["pipeline"]["tasks"][1]["id"], project["pipeline"]["tasks"][3]["id"]
    box1, box2 = rect(10, 10, 100, 100), rect(50, 50, 100, 100)
    stored = post(project, ann(project, box1, "parcel", "red"), ann(project, box2, "box", "blue"))
    assert [lab["id"] for lab in stored[0]["labels"]] == [lid(project, "parcel"), lid(project, "red")]
    assert state_per_task(project, stored) == [{"task_id": det_id, "state": "annotated"},
                                               {"task_id": cls_id, "state": "annotated"}]
    partial = post(project, ann(project, box1, "parcel", "red"), ann(project, box2, "box"))
    assert state_per_task(project, partial)[1]["state"] == "partially_annotated"
    assert state_per_task(project, post(project, ann(project, box1, "parcel")))[1]["state"] == "none"
    refused(project, ann(project, FULL, "red"), match="must be on a box of task 'Det'")
    refused(project, ann(project, box1, "parcel", "red", "blue"), match="same exclusive group 'c'")
    refused(project, ann(project, box1, "parcel", "box"), match="same exclusive group 'default - detection'")
    empty_image = post(project, ann(project, FULL, "No object"))
    assert state_per_task(project, empty_image) == [{"task_id": det_id, "state": "annotated"},
                                                    {"task_id": cls_id, "state": "annotated"}]
    refused(project, ann(project, FULL, "No object", "red"), match="must be alone on the full-image box")


def test_chain_classification_second_level_empty_label():
    project = chain("classification", [{"name": "red", "group": "c1"}, {"name": "shiny", "group": "c2"}])
    box = rect(10, 10, 100, 100)
    stored = post(project, ann(project, box, "parcel", "No class"), ann(project, rect(20, 20, 50, 50), "box", "red"))
    assert state_per_task(project, stored)[1]["state"] == "annotated"
    refused(project, ann(project, box, "No class"), match="must be on a box of task 'Det'")
    refused(project, ann(project, box, "parcel", "No class", "red"), match="Empty and non-empty labels of task")


def test_chain_detection_segmentation():
    project = chain("segmentation", [{"name": "address", "group": "s"}, {"name": "barcode", "group": "s"}])
    det_id, seg_id = project["pipeline"]["tasks"][1]["id"], project["pipeline"]["tasks"][3]["id"]
    box = rect(100, 120, 420, 300)
    poly = {"type": "POLYGON", "points": [{"x": 140, "y": 150}, {"x": 330, "y": 150}, {"x": 330, "y": 230}]}
    ell = {"type": "ELLIPSE", "x": 380, "y": 300, "width": 90, "height": 60}
    stored = post(project, ann(project, box, "parcel"), ann(project, poly, "address"), ann(project, ell, "barcode"))
    assert state_per_task(project, stored) == [{"task_id": det_id, "state": "annotated"},
                                               {"task_id": seg_id, "state": "annotated"}]
    other_box = post(project, ann(project, box, "parcel"), ann(project, rect(900, 500, 100, 100), "box"),
                     ann(project, poly, "address"))
    assert state_per_task(project, other_box)[1]["state"] == "partially_annotated"
    refused(project, ann(project, poly, "parcel"), match="does not accept POLYGON")
    refused(project, ann(project, box, "parcel", "address"), match="are separate annotations")
    refused(project, ann(project, {"type": "KEYPOINT", "x": 1, "y": 1}, "address"), match="does not accept KEYPOINT")
    # second level empty label: on the parent box, with the parent label; nothing of the task may overlap it
    empty_box = post(project, ann(project, box, "parcel", "Empty"), ann(project, rect(900, 500, 100, 100), "box"),
                     ann(project, rect(950, 550, 10, 10), "barcode"))
    assert state_per_task(project, empty_box)[1]["state"] == "annotated"
    refused(project, ann(project, box, "Empty"), match="must be on a box of task 'Det'")
    refused(project, ann(project, box, "parcel", "Empty"), ann(project, poly, "address"),
            match="overlaps annotations[0] that carries the empty label 'Empty'")
    # two overlapping boxes, one of them declared empty for the second task, are fine
    assert post(project, ann(project, box, "parcel", "Empty"), ann(project, rect(110, 130, 50, 50), "box"))
    refused(project, ann(project, box, "parcel", "Empty", "address"), match="Empty and non-empty labels")
    # segmentation shapes without any box
    assert state_per_task(project, post(project, ann(project, poly, "address")))[1]["state"] == \
        "partially_annotated"


def test_stored_forms_of_every_shape_are_normalised():
    seg = single("segmentation", [{"name": "s"}])
    stored = post(seg, ann(seg, {"type": "POLYGON", "points": [{"x": 0, "y": 0}, {"x": 640, "y": 360},
                                                                {"x": W, "y": H}]}, "s"),
                  ann(seg, {"type": "ELLIPSE", "x": 320, "y": 180, "width": 64, "height": 36}, "s"))
    assert stored[0]["shape"]["points"] == [{"x": 0.0, "y": 0.0}, {"x": 0.5, "y": 0.5}, {"x": 1.0, "y": 1.0}]
    assert stored[1]["shape"] == {"type": "ELLIPSE", "x": 0.25, "y": 0.25, "width": 0.05, "height": 0.05}
    rot = single("rotated_detection", [{"name": "r"}])
    stored = post(rot, ann(rot, {"type": "ROTATED_RECTANGLE", "x": 640, "y": 360, "width": 128, "height": 72,
                                 "angle": 45}, "r"))
    assert stored[0]["shape"] == {"type": "ROTATED_RECTANGLE", "x": 0.5, "y": 0.5, "width": 0.1, "height": 0.1,
                                  "angle": 45}
    assert all(0 <= v <= 1 for v in (stored[0]["shape"][k] for k in ("x", "y", "width", "height")))


def test_without_user_the_caller_fills_source_and_time(det):
    stored = validate_scene(det, W, H, {"annotations": [ann(det, rect(1, 1, 5, 5), "cat")]}, uuids())
    assert stored[0]["labels"] == [{"id": lid(det, "cat"), "probability": 1.0}]
    assert stored[0]["modified"].endswith("+00:00")


def test_labels_to_revisit_keeps_only_project_labels(det):
    stored = post(det, ann(det, rect(1, 1, 5, 5), "cat", labels_to_revisit=[lid(det, "dog"), "f" * 24]))
    assert stored[0]["labels_to_revisit"] == [lid(det, "dog")]


@pytest.mark.parametrize("size", [32, 997, 1280, 20000])
def test_every_integer_pixel_survives_normalisation(size):
    from sc_emulator.rules.shapes import normalise_shape, render_shape

    for v in range(size + 1):
        point = {"type": "KEYPOINT", "x": v, "y": v, "is_visible": True}
        assert render_shape(normalise_shape(point, size, size), size, size) == point


def test_which_floats_change():
    from sc_emulator.rules.shapes import normalise_shape, render_shape

    box = {"type": "RECTANGLE", "x": 0.49, "y": 2.5, "width": 3.5, "height": 7.51}
    assert render_shape(normalise_shape(box, 100, 100), 100, 100) == rect(0, 2, 4, 8)
    rot = {"type": "ROTATED_RECTANGLE", "x": 50.123449, "y": 50.00005001, "width": 10.0, "height": 20.99999,
           "angle": 359.99996}
    assert render_shape(normalise_shape(rot, 100, 100), 100, 100) == {
        "type": "ROTATED_RECTANGLE", "x": 50.1234, "y": 50.0001, "width": 10.0, "height": 21.0, "angle": 360.0}
