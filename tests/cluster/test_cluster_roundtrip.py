"""Round trips through real emulated clusters: what goes in comes back, byte for byte."""

from __future__ import annotations

from typing import Any

from cluster_helpers import detection_items, detection_project, scenes_as_given, snapshot

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def seed(registry: Any, to: str, project: Any, items: list[Any], **kw: Any) -> Any:
    put_memory("seed", project, items)
    return transfer("memory:seed", to, registry=registry, quiet=True, workers=4, **kw)


def test_detection_cluster_to_cluster(clusters: Any, registry: Any) -> None:
    clusters("a")
    clusters("b")
    datasets = ("Dataset", "Testing set")
    items = detection_items(4, datasets)
    report = seed(registry, "a", detection_project("Dogs", datasets), items)
    assert report.complete, report.to_dict()
    assert scenes_as_given(items, snapshot("a", "Dogs")) == []

    report = transfer("a", "b", registry=registry, quiet=True, project="Dogs", workers=4)
    assert report.complete, report.to_dict()

    src, dst = snapshot("a", "Dogs"), snapshot("b", "Dogs")
    assert dst == src
    assert len(src["media"]) == 8  # 4 names in each of 2 datasets: repeated names kept apart
    annotated = [v for v in src["media"].values() if v[0]["scenes"]]
    assert len(annotated) == 6  # the never-annotated images stay unannotated
