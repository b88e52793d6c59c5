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
        assert sum(1 for it in data.items.values() if it.scenes and it.scenes[0].annotations) == len(fx.images)
        empty = [lb.name for lb in data.project.labels() if lb.is_empty]
        if kind in ("classification", "anomaly"):
            continue
        assert per_label[empty[0]] >= 1, (kind, per_label)  # the images without dogs or cats
