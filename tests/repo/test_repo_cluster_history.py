"""Each snapshot of a cluster project restores the project as it was when that backup ran.

"As it was" is an independent read: plain REST calls to the emulator taken right after each backup
(media bytes hashed, each image's shapes with their label names), not scmigrate's own reader. Every
snapshot is then restored to a second cluster and read back the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import requests
from cluster.cluster_helpers import box, detection_items, detection_project, image_item

from scmigrate.api import RunOptions
from scmigrate.engine.facade import transfer
from scmigrate.engine.sync import sync
from scmigrate.model import Scene
from scmigrate.testing import put_memory


def rest_view(cluster: Any, project_name: str) -> dict[str, Any]:
    """{image name: (sha256 of its bytes, sorted (shape type, x, y, w, h, label names))}, read over REST."""
    s = requests.Session()
    s.headers.update({"x-api-key": cluster.token, "x-geti-csrf-protection": "1"})
    s.verify = getattr(cluster, "ca_bundle", None) or True
    base = cluster.base()
    projects = s.get(f"{base}/projects", timeout=30).json()["projects"]
    project = next(p for p in projects if p["name"] == project_name)
    doc = s.get(f"{base}/projects/{project['id']}", timeout=30).json()
    names = {lb["id"]: lb["name"] for t in doc["pipeline"]["tasks"] for lb in t.get("labels", [])}
    dataset = f"{base}/projects/{project['id']}/datasets/{doc['datasets'][0]['id']}"
    listing = s.post(f"{dataset}/media:query?limit=1000", json={}, timeout=30).json()
    assert "next_page" not in listing  # one page holds every image of these small projects
    view: dict[str, Any] = {}
    for m in listing["media"]:
        assert m["type"] == "image"
        image = f"{dataset}/media/images/{m['id']}"
        content = s.get(f"{image}/display/full", timeout=30)
        content.raise_for_status()
        latest = s.get(f"{image}/annotations/latest", timeout=30)
        scene = latest.json()["annotations"] if latest.status_code == 200 and latest.content else None
        shapes = None if scene is None else sorted(
            (a["shape"]["type"], a["shape"].get("x"), a["shape"].get("y"), a["shape"].get("width"),
             a["shape"].get("height"), tuple(sorted(names[lb["id"]] for lb in a["labels"])))
            for a in scene
        )
        view[m["name"]] = (hashlib.sha256(content.content).hexdigest(), shapes)
    return view


def test_every_snapshot_restores_the_cluster_project_as_a_rest_read_saw_it(clusters: Any, registry: Any,
                                                                            tmp_path: Path) -> None:
    a, b = clusters("a"), clusters("b")
    repo = f"repo:{tmp_path / 'repo'}"
    put_memory("seed", detection_project("Dogs"), detection_items(4))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete

    snapshots: list[tuple[str, dict[str, Any]]] = []

    def backup() -> None:
        facts = transfer("a", repo, registry=registry, quiet=True, project="Dogs").sink_facts
        snapshots.append((facts["snapshot"], rest_view(a, "Dogs")))

    backup()
    # an image added and one image's boxes edited
    edited = detection_items(4)
    edited[0].scenes = [Scene([box(9, 9, 5, 5, "cat")])]
    now = [*edited, image_item("new", "new", [], seed=77)]
    put_memory("edited", detection_project("Dogs"), now)
    assert sync("memory:edited", "a", RunOptions(project="Dogs"), registry=registry).update
    backup()
    # an image deleted
    put_memory("fewer", detection_project("Dogs"), [it for it in now if it.media.name != "img2"])
    assert sync("memory:fewer", "a", RunOptions(project="Dogs"), delete=True, registry=registry).delete
    backup()

    views = [view for _, view in snapshots]
    assert views[0] != views[1] != views[2] and len(views[1]) == 5 and len(views[2]) == 4
    for n, (sid, then) in enumerate(snapshots):
        name = f"Dogs then {n}"
        report = transfer(f"{repo}@{sid[:8]}", "b", registry=registry, quiet=True, project="Dogs", to_project=name)
        assert report.complete
        assert rest_view(b, name) == then, f"snapshot {n} ({sid[:8]})"
