"""End to end: a COCO dataset converted to every project type and uploaded to an emulated SC cluster.

The cluster (sc_emulator on loopback, real HTTP) creates each project from the converted pipeline and
validates every converted scene with SC's rules; reading the project back shows what it accepted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from scmigrate.engine.facade import transfer
from scmigrate.testing import memory_target
from scmigrate.testing.coco import make_coco

TYPES = ["detection", "rotated_detection", "segmentation", "instance_segmentation", "classification", "anomaly",
         "detection_to_segmentation", "detection_to_classification"]


@pytest.fixture
def cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from sc_emulator import running
    from scmigrate.config import ClusterConfig, save_cluster

    monkeypatch.setenv("SCMIGRATE_CONFIG", str(tmp_path / "config.json"))
    with running(tmp_path / "emu") as emu:
        monkeypatch.setenv("TOKEN_SC", emu.token)
        save_cluster(ClusterConfig(name="sc", url=emu.url, token_env="TOKEN_SC"))
        yield "sc"


@pytest.fixture
def registry():
    """The installed plugins plus the in-memory sink (to read the cluster's projects back)."""
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import memory_plugin

    return Registry(make_plugin_manager(load=True, plugins=[memory_plugin]))


def test_every_project_type_is_accepted_by_the_cluster(tmp_path: Path, cluster: str, registry):
    fx = make_coco(tmp_path / "ds", 8, seed=5)
    for kind in TYPES:
        sent = transfer(fx.location, cluster, images=str(fx.images_dir), project_type=kind, labels="dog,cat",
                        keep_empty=True, project=f"p {kind}", quiet=True, workers=2, registry=registry)
        assert sent.complete and not sent.failures, (kind, sent.to_dict())
        back = transfer(cluster, f"memory:{kind}", project=f"p {kind}", quiet=True, workers=2, registry=registry)
        assert back.complete, (kind, back.to_dict())
        data = memory_target(kind)
        assert data.project.project_type == kind
        per_label: Counter[str] = Counter()
        held = 0
        for item in data.items.values():
            for scene in item.scenes or []:
                held += len(scene.annotations)
                for a in scene.annotations:
                    per_label.update(a.label_names)
        # the cluster holds every annotation the conversion produced, and each image is annotated
        assert held == sent.counts["annotations"] > 0, (kind, per_label, sent.counts)
        assert sum(1 for it in data.items.values() if it.scenes) == len(fx.images)
        if kind in ("classification", "anomaly"):
            continue
        # the images without dogs or cats: posted as the first task's empty label, read back as empty scenes
        assert not any(lb.is_empty and lb.name in per_label for lb in data.project.trainable_tasks[0].labels)
        assert sum(1 for it in data.items.values() if it.scenes and not it.scenes[0].annotations) >= 1, kind


def test_keypoints_are_accepted_by_the_cluster(cluster: str, registry):
    from scmigrate.model import (
        Annotation,
        Label,
        Media,
        Project,
        Scene,
        ScoredLabel,
        Shape,
        Task,
    )
    from scmigrate.testing import image_bytes, make_item, put_memory

    structure = {"edges": [{"nodes": ["head", "tail"]}],
                 "positions": [{"label": "head", "x": 0.2, "y": 0.5}, {"label": "tail", "x": 0.8, "y": 0.5}]}
    source = Project.chain("pose", Task("Keypoint detection", "keypoint_detection",
                                        [Label("head"), Label("tail"), Label("fish")], structure))
    items = []
    for i in range(3):
        m = Media(key=f"f{i}.jpg", kind="image", name=f"f{i}", filename=f"f{i}.jpg", width=120, height=80)
        scene = Scene([Annotation(Shape.keypoint(10 + i, 40), [ScoredLabel("head")]),
                       Annotation(Shape.keypoint(121, 40, False), [ScoredLabel("tail")]),  # 1 px off: moved on
                       Annotation(Shape.rectangle(5, 5, 100, 60), [ScoredLabel("fish")])])
        items.append(make_item(m, image_bytes(120, 80, seed=i), [scene]))
    put_memory("pose", source, items)
    sent = transfer("memory:pose", cluster, project_type="keypoint_detection", quiet=True, workers=2,
                    registry=registry)
    assert sent.complete and not sent.failures, sent.to_dict()
    assert sent.counts["annotations"] == 6
    back = transfer(cluster, "memory:pose-back", project="pose", quiet=True, registry=registry)
    data = memory_target("pose-back")
    task = data.project.trainable_tasks[0]
    assert [lb.name for lb in task.labels] == ["head", "tail"]
    assert {tuple(e["nodes"]) for e in task.keypoint_structure["edges"]} == {("head", "tail")}
    shapes = sorted((a.label_names[0], a.shape.x, a.shape.is_visible)
                    for it in data.items.values() for s in it.scenes for a in s.annotations)
    assert back.complete and shapes == [("head", 10, True), ("head", 11, True), ("head", 12, True),
                                        ("tail", 120, False), ("tail", 120, False), ("tail", 120, False)]
