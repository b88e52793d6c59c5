"""Old clusters (Geti 1.0 – 1.15, SC 1.x) through real emulators in each dialect: read, write, migrate."""

from __future__ import annotations

from typing import Any

import pytest
from cluster_helpers import detection_items, detection_project, scenes_as_given, snapshot

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def probe(location: str) -> dict[str, Any]:
    from scmigrate_cluster import ClusterSource

    from scmigrate.api import RunOptions

    return ClusterSource().probe(location, RunOptions())


def seed(registry: Any, to: str, project: Any, items: list[Any], **kw: Any) -> Any:
    put_memory("seed", project, items)
    return transfer("memory:seed", to, registry=registry, quiet=True, workers=4, **kw)


@pytest.mark.parametrize("dialect", ["geti1.14", "geti1.9", "geti1.0"])
def test_geti1_roundtrip_and_migration(dialect: str, clusters: Any, registry: Any) -> None:
    """Seeded into an old cluster, read back as given, then migrated to a current one unchanged."""
    clusters("old", dialect=dialect)
    clusters("new")
    assert probe("old")["dialect"] == dialect
    items = detection_items(3)
    report = seed(registry, "old", detection_project("Dogs"), items)
    assert report.complete, report.to_dict()
    old = snapshot("old", "Dogs")
    assert len(old["media"]) == 3
    assert scenes_as_given(items, old) == []

    report = transfer("old", "new", registry=registry, quiet=True, project="Dogs", workers=4)
    assert report.complete, report.to_dict()
    assert snapshot("new", "Dogs")["media"] == old["media"]
