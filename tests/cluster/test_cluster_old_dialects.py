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


def sizeless(snap: dict[str, Any]) -> dict[Any, Any]:
    return {k: [dict(e, size=None) for e in v] for k, v in snap["media"].items()}


def sc1_cluster(clusters: Any, name: str, monkeypatch: Any) -> Any:
    """An SC 1.1 emulator named ``name``, logged into with a user name and a password from the environment."""
    from scmigrate.config import ClusterConfig, save_cluster

    c = clusters(name, dialect="sc1", user="ann")
    env = f"PASSWORD_{name.upper().replace('-', '_')}"
    monkeypatch.setenv(env, c.password)
    save_cluster(ClusterConfig(name=name, url=c.url, ca_bundle=getattr(c, "ca_bundle", None), username=c.user,
                               password_env=env))
    return c


def test_sc1_roundtrip_and_migration(clusters: Any, registry: Any, monkeypatch: Any) -> None:
    sc1_cluster(clusters, "old", monkeypatch)
    clusters("new")
    facts = probe("old")
    assert facts["dialect"] == "sc1" and facts["login"] == "ok" and facts["version"].startswith("1.1.0")
    items = detection_items(3)
    report = seed(registry, "old", detection_project("Dogs"), items)
    assert report.complete, report.to_dict()
    old = snapshot("old", "Dogs")
    assert len(old["media"]) == 3
    for item in items:  # SC 1.x keeps no extension and serves JPEG: the name's extension comes from the bytes
        item.media.filename = item.media.name + ".jpg"
    for item in items:  # SC 1.x keeps no extension and serves JPEG: the name's extension comes from the bytes
        item.media.filename = item.media.name + ".jpg"
    assert scenes_as_given(items, old) == []

    report = transfer("old", "new", registry=registry, quiet=True, project="Dogs", workers=4)
    assert report.complete, report.to_dict()
    assert sizeless(snapshot("new", "Dogs")) == sizeless(old)  # SC 1.x lists no file sizes
