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


def test_sync_adds_new_labels_and_deletes_missing_ones_only_with_delete(clusters: Any, registry: Any) -> None:
    from scmigrate.model import Label

    c = clusters("a")
    version("v1", {0: 3, 1: 3})
    assert transfer("memory:v1", "a", registry=registry, quiet=True).complete
    opts = RunOptions(project="Dogs")
    project = detection_project("Dogs")
    project.tasks[-1].labels.append(Label("fox", "#0000ffff", "Detection labels", hotkey="ctrl+3"))
    items = [image_item("k0", "img0", [Scene([box(3, 4, 20, 10, "fox")])], seed=0),
             image_item("k1", "img1", [Scene([box(3, 4, 20, 10, "dog")])], seed=1)]
    put_memory("fox", project, items)

    lines = sync("memory:fox", "a", RunOptions(project="Dogs", dry_run=True), registry=registry).lines()
    assert len(lines) == 2 and lines[0] == "add label 'fox'"
    assert lines[1].startswith("update Dataset/img0.jpg (target id ") and lines[1].endswith("annotations replaced")
    assert not compare_locations("memory:fox", "a", opts, registry=registry).identical()  # -n changed nothing

    plan = sync("memory:fox", "a", opts, registry=registry)
    assert plan.labels_added == ["fox"] and [it.media.filename for it, _ in plan.update] == ["img0.jpg"]
    assert compare_locations("memory:fox", "a", opts, registry=registry).identical()
    c.admin.clear_counters()
    again = sync("memory:fox", "a", opts, registry=registry)
    assert not again.changes and c.admin.count("PUT", "/{project_id}") == 0
    assert c.admin.count("POST", "/annotations") == 0

    # the source drops "cat": reported and kept; removed only with --delete
    project.tasks[-1].labels = [lb for lb in project.tasks[-1].labels if lb.name != "cat"]
    put_memory("nocat", project, items)
    plan = sync("memory:nocat", "a", opts, registry=registry)
    assert plan.labels_missing_on_source == ["cat"] and not plan.changes
    assert "keep label 'cat': only on the target; --delete removes it" in plan.lines()
    assert not compare_locations("memory:nocat", "a", opts, registry=registry).identical()  # the label differs
    plan = sync("memory:nocat", "a", opts, delete=True, registry=registry)
    assert plan.labels_deleted == ["cat"] and plan.to_dict()["labels_deleted"] == ["cat"]
    assert compare_locations("memory:nocat", "a", opts, registry=registry).identical()
    c.admin.clear_counters()
    assert not sync("memory:nocat", "a", opts, delete=True, registry=registry).changes
    assert c.admin.count("PUT", "/{project_id}") == 0


def test_a_sync_after_a_sync_reads_only_the_scenes_edited_since(clusters: Any, registry: Any) -> None:
    """Between clusters both listings name each image's scene: what neither side changed is not read."""
    a, b = clusters("a"), clusters("b")
    version("v1", {0: 3, 1: 3, 2: 3, 3: 3})
    assert transfer("memory:v1", "a", registry=registry, quiet=True).complete
    assert transfer("a", "b", registry=registry, quiet=True, project="Dogs").complete
    opts = RunOptions(project="Dogs")
    for c in (a, b):
        c.admin.clear_counters()
    assert not sync("a", "b", opts, registry=registry).changes  # no sync before: every scene read
    assert a.admin.count("GET", "/annotations/{annotation_id}") == 4
    assert b.admin.count("GET", "/annotations/{annotation_id}") == 4

    version("v2", {0: 3, 1: 17, 2: 3, 3: 3})  # img1 edited on the source
    assert [it.media.filename for it, _ in sync("memory:v2", "a", opts, registry=registry).update] == ["img1.jpg"]
    for c in (a, b):
        c.admin.clear_counters()
    plan = sync("a", "b", opts, registry=registry)
    assert [it.media.filename for it, _ in plan.update] == ["img1.jpg"] and not plan.add
    assert a.admin.count("GET", "/annotations/{annotation_id}") == 1
    assert b.admin.count("GET", "/annotations/{annotation_id}") == 1
    assert compare_locations("a", "b", opts, registry=registry).identical()

    version("v3", {0: 3, 1: 17, 2: 3, 3: 9})  # img3 edited on the target: the source wins again
    assert sync("memory:v3", "b", opts, registry=registry).update
    for c in (a, b):
        c.admin.clear_counters()
    plan = sync("a", "b", opts, registry=registry)
    assert [it.media.filename for it, _ in plan.update] == ["img3.jpg"]
    # img3, and img1 once more: the last sync changed it, so its new revision was not yet seen equal
    assert b.admin.count("GET", "/annotations/{annotation_id}") == 2
    assert compare_locations("a", "b", opts, registry=registry).identical()
    for reads in (1, 0):  # img3 seen equal once more, then nothing is read
        for c in (a, b):
            c.admin.clear_counters()
        assert not sync("a", "b", opts, registry=registry).changes
        assert a.admin.count("GET", "/annotations/{annotation_id}") == reads
        assert b.admin.count("GET", "/annotations/{annotation_id}") == reads


def test_the_target_is_found_whether_or_not_its_name_was_known_before_the_source_was_read(
        clusters: Any, registry: Any) -> None:
    """With the target's name known up front (--to-project, or the source's --project) both sides are
    opened at once; when the source's own name turns out to be another (a memory source ignores
    --project), the target is opened again under the right one."""
    clusters("a")
    version("v1", {0: 3, 1: 3})
    assert transfer("memory:v1", "a", registry=registry, quiet=True).complete
    assert transfer("a", "a", project="Dogs", to_project="Copy", registry=registry, quiet=True).complete
    version("v2", {0: 3, 1: 17, 2: 5})

    plan = sync("memory:v2", "a", RunOptions(project="Cats"), registry=registry)  # a wrong guess
    assert [it.media.filename for it in plan.add] == ["img2.jpg"]
    assert [it.media.filename for it, _ in plan.update] == ["img1.jpg"]
    assert compare_locations("memory:v2", "a", RunOptions(project="Dogs"), registry=registry).identical()

    plan = sync("a", "a", RunOptions(project="Dogs", to_project="Copy"), registry=registry)  # opened at once
    assert [it.media.filename for it in plan.add] == ["img2.jpg"]
    assert [it.media.filename for it, _ in plan.update] == ["img1.jpg"]
    assert compare_locations("a", "a", RunOptions(project="Dogs"), dest_options=RunOptions(project="Copy"),
                             registry=registry).identical()


def test_a_sync_onto_a_project_another_run_is_writing_is_refused_before_anything_changes(
        clusters: Any, registry: Any) -> None:
    from scmigrate.engine.locks import hold

    c = clusters("a")
    version("v1", {0: 3, 1: 3})
    assert transfer("memory:v1", "a", registry=registry, quiet=True).complete
    version("v2", {0: 3, 1: 17, 2: 5})
    opts = RunOptions(project="Dogs")
    with hold(registry.resolve_sink("a"), "a", "Dogs", opts):
        c.admin.clear_counters()
        with pytest.raises(InputError, match="another scmigrate run is writing it"):
            sync("memory:v2", "a", opts, registry=registry)
        with pytest.raises(InputError, match="another scmigrate run is writing it"):
            sync("memory:v1", "a", opts, registry=registry)  # nothing to change: refused all the same
        assert c.admin.count("POST", "/annotations") == 0 and c.admin.count("POST", "/media/images") == 0
        assert len(sync("memory:v2", "a", RunOptions(project="Dogs", dry_run=True), registry=registry).add) == 1
    assert compare_locations("memory:v1", "a", opts, registry=registry).identical()
    sync("memory:v2", "a", opts, registry=registry)  # once the lock is free; the counters above count these
    assert c.admin.count("POST", "/annotations") >= 1 and c.admin.count("POST", "/media/images") == 1
