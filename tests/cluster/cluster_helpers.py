"""Test data for the cluster tests: small real images, projects of each kind, and snapshots.

A snapshot is what a cluster holds for a project, read through the plugin with ids left out:
structure, datasets, configuration, and per media (dataset, file name) the sha256 of the bytes
the cluster serves, the scenes and the ranges. Two clusters holding the same project give
equal snapshots.
"""

from __future__ import annotations

from typing import Any

from scmigrate.model import Annotation, Dataset, Item, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate.testing import image_bytes

# --------------------------------------------------------------------------- test projects


def image_item(key: str, name: str, scenes: list[Scene] | None, *, dataset: str = "Dataset", w: int = 64,
               h: int = 48, seed: int = 0, fmt: str = "JPEG") -> Item:
    """An item with real image bytes drawn by Pillow."""
    from scmigrate.testing import make_item

    ext = ".png" if fmt == "PNG" else ".jpg"
    data = image_bytes(w, h, fmt=fmt, seed=seed)
    media = Media(key=key, kind="image", name=name, filename=name + ext, dataset=dataset, width=w, height=h,
                  source_id=key)
    return make_item(media, data, scenes)


def box(x: float, y: float, w: float, h: float, *labels: str) -> Annotation:
    return Annotation(Shape.rectangle(x, y, w, h), [ScoredLabel(n) for n in labels])


def detection_project(name: str = "Dogs", datasets: tuple[str, ...] = ("Dataset",)) -> Project:
    task = Task("Detection", "detection", [
        Label("dog", "#ff0000ff", "Detection labels", hotkey="ctrl+1"),
        Label("cat", "#00ff00ff", "Detection labels", hotkey="ctrl+2"),
        Label("No object", "#000000ff", "No object", is_empty=True),
    ])
    ds = [Dataset(d, i == 0) for i, d in enumerate(datasets)]
    return Project.chain(name, task, datasets=ds)


def detection_items(n: int = 4, datasets: tuple[str, ...] = ("Dataset",)) -> list[Item]:
    """Boxes, an empty image (the empty label), an unannotated one; names repeat across datasets."""
    out = []
    for d, ds in enumerate(datasets):
        for i in range(n):
            key = f"{ds}-{i}"
            if i == n - 1:
                scenes: list[Scene] = []  # never annotated
            elif i == n - 2:
                scenes = [Scene([box(0, 0, 64, 48, "No object")])]
            else:
                scenes = [Scene([box(3 + i, 4, 20, 10, "dog"), box(30, 20 + i, 12, 9, "cat")])]
            out.append(image_item(key, f"img{i}", scenes, dataset=ds, seed=10 * d + i, fmt="PNG" if i % 2 else "JPEG"))
    return out


def snapshot(location: str, project: str, registry: Any = None) -> dict[str, Any]:
    """What a cluster holds for a project: structure, datasets, configuration, and per media
    (dataset, file name) the sha256 of the bytes and the scenes, ids left out."""
    import hashlib

    from scmigrate.api import RunOptions
    from scmigrate_cluster import ClusterSource

    out: dict[str, Any] = {"media": {}}
    with ClusterSource().open(location, RunOptions(project=project)) as reader:
        p = reader.project()
        d = p.to_dict()
        d.pop("origin")
        d["configuration"].pop("raw")  # the cluster's documents verbatim: full of its own ids
        for ds in d["datasets"]:
            ds.pop("source_id", None)
        out["project"] = d
        for item in reader.items():
            item.resolve()
            stream = item.open()
            digest = hashlib.sha256(stream.read()).hexdigest()
            stream.close()
            key = (item.media.dataset, item.media.filename)
            out["media"].setdefault(key, []).append({
                "sha256": digest,
                "size": item.media.size,
                "scenes": [_scene_view(s) for s in item.scenes or []],
                "ranges": [r.to_dict() for r in item.ranges or []],
            })
    for v in out["media"].values():
        v.sort(key=lambda e: e["sha256"])
    return out


def _scene_view(scene: Scene) -> dict[str, Any]:
    d = scene.to_dict()
    d.pop("modified", None)
    return d
