"""Converted projects and scenes are accepted by SC's rules (docs/rest-api.md §7 and §10).

The rules come from sc_emulator's independent implementation of docs/rest-api.md: the target project
is created as a cluster would create it (empty and anomaly labels added by the server), and every
converted scene is posted to its validator with label ids mapped by name (empty labels by flag).
"""

from __future__ import annotations

import itertools
import uuid

import pytest
from convert_helpers import H, W, ann, coco_like, converter, media, poly, rect, single

from sc_emulator.rules.annotations import validate_scene
from sc_emulator.rules.pipeline import build_project
from scmigrate.api import ConversionLog, RunOptions
from scmigrate.model import Label, Project, Scene, Shape, Task
from scmigrate_cluster.dialects.current import CurrentDialect
from scmigrate_cluster.scenes import scene_to_api


def _ids():
    counter = itertools.count(1)
    return lambda: f"{next(counter):024x}"


def create(target: Project) -> dict:
    """POST /projects as a sink would send it: no empty labels (the server adds them), parents by name."""
    tasks = []
    for t in target.tasks:
        doc = {"title": t.title, "task_type": t.task_type}
        if t.trainable:
            doc["labels"] = [
                {"name": lb.name, "color": lb.color, "group": lb.group, "parent_id": lb.parent, "hotkey": lb.hotkey,
                 **({"is_anomalous": True} if lb.is_anomalous else {})}
                for lb in t.labels if not lb.is_empty
            ]
            if t.keypoint_structure is not None:
                doc["keypoint_structure"] = t.keypoint_structure
        tasks.append(doc)
    body = {"name": target.name, "pipeline": {
        "tasks": tasks, "connections": [{"from": a, "to": b} for a, b in target.connections]}}
    return build_project(body, _ids())


def request(scene: Scene, target: Project, project: dict) -> dict:
    """The annotation scene as a sink posts it: label ids by name, empty labels by their flag."""
    ids = {}
    server_tasks = [t for t in project["pipeline"]["tasks"] if t.get("labels") is not None]
    trainable = [t for t in server_tasks if t["task_type"] not in ("dataset", "crop")]
    for ours, theirs in zip(target.trainable_tasks, trainable, strict=False):
        for lb in ours.labels:
            match = next(s for s in theirs["labels"] if (s["is_empty"] if lb.is_empty else s["name"] == lb.name))
            ids[lb.name] = match["id"]
    first = target.trainable_tasks[0].empty_label()
    # the cluster sink's own translation: an empty scene becomes the first task's empty label on the image
    return scene_to_api(scene, ids, ids.get(first.name) if first else None, CurrentDialect((2, 13, 0)), W, H, "test")


MIXED = [
    Scene([
        ann(poly((10, 10), (50, 10), (30, 40)), "dog"),
        ann(rect(9, 9, 42, 32), "dog"),                        # the polygon's own box
        ann(rect(120, 10, 30, 20), "cat"),
        ann(Shape.ellipse(60, 50, 30, 20), "dog"),
        ann(Shape.rotated_rectangle(160, 70, 30, 10, 30), "cat"),
        ann(Shape.keypoint(5, 5), "dog"),
        ann(poly((-5, 60), (40, 60), (40, 110)), "cat"),      # sticks out: clipped
        ann(rect(190, 90, 20, 20), "dog"),                     # sticks out: clipped
        ann(Shape.rotated_rectangle(195, 50, 30, 10, -45), "cat"),  # corners off the image, negative angle
        ann(poly((0, 0), (30, 0), (0, 30)), "dog"),            # its minimum-area box would stick out
    ]),
    Scene([ann(rect(10, 10, 30, 30), "dog")]),
    Scene([ann(rect(10, 10, 30, 30), "cat")]),
    Scene(),                                                   # annotated empty
    Scene([ann(rect(10, 10, 5, 5), "horse")]),                 # only labels outside the target
]


def convert_all(name: str, source: Project, scenes: list[Scene], survey: bool = False):
    conv = converter(name)
    if survey:
        conv.survey(source, scenes)
    target = conv.target_project(source, RunOptions())
    log = ConversionLog()
    outs = [conv.convert(s, media(), source, target, log) for s in scenes]
    return target, outs


@pytest.mark.parametrize("name", ["detection", "rotated_detection", "segmentation", "instance_segmentation",
                                  "classification", "anomaly", "detection_to_segmentation",
                                  "detection_to_classification"])
@pytest.mark.parametrize("survey", [False, True])
def test_every_converted_scene_is_accepted(name, survey):
    source = coco_like("dog", "cat")
    target, outs = convert_all(name, source, MIXED, survey)
    project = create(target)
    accepted = 0
    for out in outs:
        if out is None:
            continue
        validate_scene(project, W, H, request(out, target, project), lambda: str(uuid.uuid4()))
        accepted += 1
    assert accepted >= 3  # the mixed image, the dog image and the empty image at least


def test_multi_class_and_hierarchical_classification_are_accepted():
    hier = single("detection", [Label("animal"), Label("dog", parent="animal"), Label("cat", parent="animal"),
                                Label("car")])
    scenes = [Scene([ann(rect(1, 1, 9, 9), "dog")]), Scene([ann(rect(1, 1, 9, 9), "car")]),
              Scene([ann(rect(1, 1, 9, 9), "animal"), ann(rect(20, 1, 9, 9), "cat")])]
    single_label = [Scene([ann(rect(1, 1, 9, 9), "dog")]), Scene([ann(poly((1, 1), (9, 1), (5, 9)), "cat")])]
    for source, chosen, survey in ((hier, scenes, False), (coco_like("dog", "cat"), single_label, True)):
        target, outs = convert_all("classification", source, chosen, survey)
        project = create(target)
        for out in outs:
            assert out is not None
            validate_scene(project, W, H, request(out, target, project), lambda: str(uuid.uuid4()))


def test_hierarchical_detection_to_classification_is_accepted():
    hier = single("detection", [Label("animal"), Label("dog", parent="animal"), Label("cat", parent="animal")])
    scenes = [Scene([ann(rect(1, 1, 9, 9), "dog"), ann(rect(20, 1, 9, 9), "animal"), ann(rect(40, 1, 9, 9), "cat")]),
              Scene()]
    target, outs = convert_all("detection_to_classification", hier, scenes)
    project = create(target)
    for out in outs:
        validate_scene(project, W, H, request(out, target, project), lambda: str(uuid.uuid4()))


def test_keypoints_are_accepted():
    structure = {"edges": [{"nodes": ["head", "tail"]}],
                 "positions": [{"label": "head", "x": 0.2, "y": 0.5}, {"label": "tail", "x": 0.8, "y": 0.5}]}
    source = single("keypoint_detection", ["head", "tail", "person"], keypoint_structure=structure)
    scenes = [Scene([ann(Shape.keypoint(10, 10), "head"), ann(Shape.keypoint(W + 1, 50, False), "tail"),
                     ann(rect(1, 1, 50, 50), "person")])]
    target, outs = convert_all("keypoint_detection", source, scenes)
    project = create(target)
    stored = validate_scene(project, W, H, request(outs[0], target, project), lambda: str(uuid.uuid4()))
    assert len(stored) == 2


def test_chain_empty_label_on_the_parent_box_is_accepted():
    source = Project.chain(
        "chain",
        Task("Find", "detection", [Label("dog", "#111111ff", "d"), Label("No object", is_empty=True)]),
        Task("Shape", "segmentation", [Label("dog shape", "#222222ff", "s"), Label("Empty", is_empty=True)]),
    )
    scene = Scene([ann(rect(10, 10, 40, 30), "dog"), ann(poly((12, 12), (48, 12), (30, 38)), "dog shape"),
                   ann(rect(100, 10, 40, 30), "dog", "Empty")])
    target, outs = convert_all("detection_to_segmentation", source, [scene])
    project = create(target)
    stored = validate_scene(project, W, H, request(outs[0], target, project), lambda: str(uuid.uuid4()))
    assert len(stored) == 3


def test_the_rules_refuse_the_unconverted_scene():
    """The check above can fail: the source scene itself is not a valid detection scene."""
    from sc_emulator.rules.errors import RuleError

    source = coco_like("dog", "cat")
    target, _ = convert_all("detection", source, [])
    project = create(target)
    raw = Scene([a for a in MIXED[0].annotations if a.shape.type != "KEYPOINT"])
    with pytest.raises(RuleError):
        validate_scene(project, W, H, request(raw, target, project), lambda: str(uuid.uuid4()))
