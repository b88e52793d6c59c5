"""``scmigrate sync`` onto an emulated cluster: new media, replaced annotations, --delete; idempotent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cluster.cluster_helpers import box, detection_project, image_item
from repo_helpers import cli

from scmigrate.api import RunOptions
from scmigrate.engine.compare import compare_locations
from scmigrate.engine.facade import transfer
from scmigrate.engine.sync import sync
from scmigrate.errors import InputError
from scmigrate.model import Scene
from scmigrate.testing import put_memory


def version(name: str, spec: dict[int, float]) -> None:
    """``memory:name``: image i with one dog box at x = spec[i]."""
    items = [image_item(f"k{i}", f"img{i}", [Scene([box(x, 4, 20, 10, "dog")])], seed=i) for i, x in spec.items()]
    put_memory(name, detection_project("Dogs"), items)


def test_sync_makes_the_target_equal_and_a_second_sync_moves_nothing(clusters: Any, registry: Any,
                                                                      tmp_path: Path, capsys: Any) -> None:
    c = clusters("a")
    version("v1", {0: 3, 1: 3, 2: 3, 3: 3})
    assert transfer("memory:v1", "a", registry=registry, quiet=True).complete
    version("v2", {0: 3, 1: 17, 3: 3, 4: 5})  # img1 edited, img2 gone, img4 new
    opts = RunOptions(project="Dogs")

    plan = sync("memory:v2", "a", RunOptions(project="Dogs", dry_run=True), registry=registry)
    assert [f"{it.media.filename}" for it in plan.add] == ["img4.jpg"]
    assert [it.media.filename for it, _ in plan.update] == ["img1.jpg"]
    assert [it.media.filename for it in plan.kept_extra] == ["img2.jpg"] and plan.delete == []
    assert compare_locations("memory:v1", "a", opts, registry=registry).identical()  # -n changed nothing

    plan = sync("memory:v2", "a", opts, registry=registry)
    assert set(plan.to_dict()["added"][0]) == {"name", "id"} and plan.to_dict()["added"][0]["id"]
    result = compare_locations("memory:v2", "a", opts, registry=registry)
    assert [(s, n) for s, n, _ in result.lines if s != "="] == [("-", "Dataset/img2.jpg")]  # kept without --delete

    c.admin.clear_counters()
    plan = sync("memory:v2", "a", opts, delete=True, registry=registry)
    assert [it.media.filename for it, _ in plan.delete] == ["img2.jpg"] and not plan.add and not plan.update
    assert c.admin.count("DELETE", "/{image_id}") == 1
    assert compare_locations("memory:v2", "a", opts, registry=registry).identical()

    c.admin.clear_counters()
    again = sync("memory:v2", "a", opts, delete=True, registry=registry)
    assert (again.add, again.update, again.delete) == ([], [], [])
    assert c.admin.count("POST", "/annotations") == 0 and c.admin.count("DELETE", "/{image_id}") == 0

    # from a snapshot, by the command line: the target goes back to v1 (img2 comes back, img4 goes)
    repo = f"repo:{tmp_path / 'repo'}"
    assert transfer("memory:v1", repo, registry=registry, quiet=True).complete
    code, out, err = cli(capsys, "sync", "--from", repo, "--to", "a", "--delete", "-n")
    assert code == 0 and "add Dataset/img2.jpg" in out and "delete Dataset/img4.jpg" in out
    assert "would add 1, would update 1, would delete 1 media" in err
    code, out, err = cli(capsys, "sync", "--from", repo, "--to", "a", "--delete")
    assert code == 0 and compare_locations(repo, "a", opts, registry=registry).identical()


def test_sync_refuses_labels_the_target_lacks(clusters: Any, registry: Any) -> None:
    clusters("a")
    version("v1", {0: 3})
    assert transfer("memory:v1", "a", registry=registry, quiet=True).complete
    items = [image_item("k0", "img0", [Scene([box(3, 4, 20, 10, "dog")])], seed=0)]
    project = detection_project("Dogs")
    from scmigrate.model import Label

    project.tasks[-1].labels.append(Label("fox", "#0000ffff", "Detection labels"))
    put_memory("fox", project, items)
    with pytest.raises(InputError, match="has no label 'fox'; sync does not add labels yet"):
        sync("memory:fox", "a", RunOptions(project="Dogs"), registry=registry)
