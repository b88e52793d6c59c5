"""Backups of a project on an emulated cluster: the next one fetches no bytes of unchanged media."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cluster.cluster_helpers import box, detection_items, detection_project, image_item
from repo_helpers import cli, held

from scmigrate.api import RunOptions
from scmigrate.engine.compare import compare_locations
from scmigrate.engine.facade import transfer
from scmigrate.engine.sync import sync
from scmigrate.model import Scene
from scmigrate.testing import put_memory


def test_incremental_backup_reads_no_bytes_of_unchanged_media(clusters: Any, registry: Any, tmp_path: Path,
                                                              capsys: Any) -> None:
    c = clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(4))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    repo = f"repo:{tmp_path / 'repo'}"

    c.admin.clear_counters()
    first = transfer("a", repo, registry=registry, quiet=True, project="Dogs").sink_facts
    assert first["new_media"] == 4 and c.admin.count("GET", "/display/full") == 4

    put_memory("more", detection_project("Dogs"), [image_item("new", "new", [], seed=77)])
    assert transfer("memory:more", "a", registry=registry, quiet=True, into_existing=True).complete
    c.admin.clear_counters()
    second = transfer("a", repo, registry=registry, quiet=True, project="Dogs").sink_facts
    assert (second["new_media"], second["removed_media"]) == (1, 0)
    assert c.admin.count("GET", "/display/full") == 1  # the new image only
    # the listing names each image's scene: only the new image's annotations are read
    assert c.admin.count("GET", "/annotations/{annotation_id}") == 1
    assert (second["changed_annotations"], second["annotations_not_read"]) == (0, 4)
    assert held(registry, repo) == held(registry, "a", "Dogs")

    # one image's boxes edited on the cluster (a new scene): only that scene is read
    edited = detection_items(4)
    edited[0].scenes = [Scene([box(9, 9, 5, 5, "cat")])]
    put_memory("edited", detection_project("Dogs"), [*edited, image_item("new", "new", [], seed=77)])
    assert sync("memory:edited", "a", RunOptions(project="Dogs"), registry=registry).update
    c.admin.clear_counters()
    third = transfer("a", repo, registry=registry, quiet=True, project="Dogs").sink_facts
    assert (third["new_media"], third["changed_annotations"], third["removed_media"]) == (0, 1, 0)
    assert c.admin.count("GET", "/display/full") == 0
    assert c.admin.count("GET", "/annotations/{annotation_id}") == 1
    assert held(registry, repo) == held(registry, "a", "Dogs")

    # one image deleted on the cluster: the next snapshot lacks it, and the summary says so
    put_memory("fewer", detection_project("Dogs"), [it for it in edited if it.media.name != "img2"]
               + [image_item("new", "new", [], seed=77)])
    assert sync("memory:fewer", "a", RunOptions(project="Dogs"), delete=True, registry=registry).delete
    code, out, err = cli(capsys, "run", "--from", "a", "--project", "Dogs", "--to", repo)
    assert code == 0, err
    assert re.search(r"snapshot [0-9a-f]{8}: 0 new media, 0 changed scenes, 1 removed media, "
                     r"0\.0 MB added to the repository", out + err), out + err
    assert held(registry, repo) == held(registry, "a", "Dogs")
    # scmigrate check: the live project against its last snapshot
    assert compare_locations("a", repo, RunOptions(project="Dogs"), registry=registry).identical()
    put_memory("more", detection_project("Dogs"), [image_item("newer", "newer", [], seed=78)])
    assert transfer("memory:more", "a", registry=registry, quiet=True, into_existing=True).complete
    result = compare_locations("a", repo, RunOptions(project="Dogs"), registry=registry)
    assert not result.identical()
    assert [line[:2] for line in result.lines if line[0] != "="] == [("+", "Dataset/newer.jpg")]


def test_every_project_of_a_cluster_into_one_repository(clusters: Any, registry: Any, tmp_path: Path) -> None:
    clusters("a")
    for name in ("Dogs", "Cats"):
        put_memory(name, detection_project(name), detection_items(2))
        assert transfer(f"memory:{name}", "a", registry=registry, quiet=True).complete
    repo = f"repo:{tmp_path / 'repo'}"
    combined = transfer("a", repo, registry=registry, quiet=True, all_projects=True)
    assert combined.failed == [] and len(combined.entries) == 2
    src = registry.resolve_source(repo)
    assert [p["name"] for p in src.list_projects(repo, RunOptions())] == ["Cats", "Dogs"]
    cats = src.snapshots(repo, "Cats")
    assert len(cats) == 1 and cats[0]["items"] == 2
    assert held(registry, repo, "Cats") == held(registry, "a", "Cats")


def test_a_label_renamed_on_the_cluster_makes_the_next_backup_read_every_scene(clusters: Any, registry: Any,
                                                                             tmp_path: Path) -> None:
    """A rename keeps every scene's id (scenes refer to label ids) but changes what is read from them."""
    import requests

    c = clusters("a")
    put_memory("seed", detection_project("Dogs"), detection_items(4))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    repo = f"repo:{tmp_path / 'repo'}"
    assert transfer("a", repo, registry=registry, quiet=True, project="Dogs").complete
    s = requests.Session()
    s.headers.update({"x-api-key": c.token, "x-geti-csrf-protection": "1"})
    s.verify = getattr(c, "ca_bundle", None) or True
    pid = next(p["id"] for p in s.get(f"{c.base()}/projects", timeout=10).json()["projects"] if p["name"] == "Dogs")
    doc = s.get(f"{c.base()}/projects/{pid}", timeout=10).json()
    for task in doc["pipeline"]["tasks"]:
        for lb in task.get("labels", []):
            lb["name"] = "hound" if lb["name"] == "dog" else lb["name"]
    s.put(f"{c.base()}/projects/{pid}", json={k: doc[k] for k in ("id", "name", "pipeline")},
          timeout=10).raise_for_status()
    c.admin.clear_counters()
    after = transfer("a", repo, registry=registry, quiet=True, project="Dogs").sink_facts
    assert c.admin.count("GET", "/annotations/{annotation_id}") == 4 and after["annotations_not_read"] == 0
    assert after["changed_annotations"] == 2  # the two images with a dog box
    assert held(registry, repo) == held(registry, "a", "Dogs")
