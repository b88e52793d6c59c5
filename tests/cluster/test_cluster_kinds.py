"""Every project kind the emulator supports survives cluster → archive → cluster and cluster → cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import KINDS, kind_project, labels_as_given, scenes_as_given, snapshot

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def _without_name(s: dict[str, Any]) -> dict[str, Any]:
    s = dict(s, project=dict(s["project"]))
    s["project"].pop("name")
    return s


@pytest.mark.parametrize("kind", KINDS)
def test_kind_round_trips(kind: str, clusters: Any, registry: Any, tmp_path: Path) -> None:
    clusters("a")
    clusters("b")
    project, items = kind_project(kind)
    put_memory("seed", project, items)
    report = transfer("memory:seed", "a", registry=registry, quiet=True, workers=4)
    assert report.complete, report.to_dict()
    src = snapshot("a", project.name)
    assert labels_as_given(project, src["project"]) == []
    assert scenes_as_given(items, src) == []
    scenes = sum(len(e["scenes"]) + len(e["ranges"]) for v in src["media"].values() for e in v)
    assert scenes >= len(items)  # the seed really landed annotated

    archive = str(tmp_path / "backup.scz")
    assert transfer("a", archive, registry=registry, quiet=True, project=project.name).complete
    assert transfer(archive, "b", registry=registry, quiet=True, project="Restored").complete
    assert transfer("a", "b", registry=registry, quiet=True, project=project.name).complete

    direct = snapshot("b", project.name)
    restored = snapshot("b", "Restored")
    assert direct == src
    assert _without_name(restored) == _without_name(src)
