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
        Label("No Object", "#fafafaff", "No object", hotkey="ctrl+0", is_empty=True),
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
                scenes = [Scene()]  # annotated as empty: the cluster stores its empty label on the image
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


# --------------------------------------------------------------------------- every project kind


def full(w: int, h: int, *labels: str) -> Annotation:
    """A global label: the full-image box."""
    return box(0, 0, w, h, *labels)


def video_item(key: str, name: str, scenes: list[Scene], ranges: list[Any] | None = None, *, frames: int = 10,
               fps: int = 5, w: int = 64, h: int = 48) -> Item:
    """A real H.264 MP4 written with PyAV (a moving square)."""
    from scmigrate.testing import make_item, video_bytes

    media = Media(key=key, kind="video", name=name, filename=name + ".mp4", width=w, height=h, source_id=key)
    return make_item(media, video_bytes(w, h, frames, fps), scenes, ranges=ranges or [])


def kind_project(kind: str) -> tuple[Project, list[Item]]:
    """A small project of each kind the emulator supports, with real media and scenes."""
    from scmigrate.model import RangeLabel

    W, H = 64, 48
    if kind == "detection_to_segmentation":
        det = Task("Detection", "detection", [Label("dog", "#ff0000ff", "det")])
        seg = Task("Segmentation", "segmentation", [Label("dog shape", "#00ff00ff", "seg", hotkey="s"),
                                                    Label("Empty", "#0a0a0aff", "Empty", is_empty=True)])
        poly = Annotation(Shape.polygon([(12, 12), (30, 12), (30, 28), (12, 28)]), [ScoredLabel("dog shape")])
        ell = Annotation(Shape.ellipse(14, 14, 8, 6), [ScoredLabel("dog shape")])
        items = [image_item("i0", "a", [Scene([box(10, 10, 30, 25, "dog"), poly, ell])]),
                 image_item("i1", "b", [Scene([box(5, 5, 20, 20, "dog")])], seed=1),
                 # a dog box whose inside holds nothing to segment: the second task's empty label on the box
                 image_item("i2", "c", [Scene([box(40, 5, 20, 20, "dog", "Empty")])], seed=2)]
        return Project.chain("Chain seg", det, seg), items
    if kind == "detection_to_classification":
        det = Task("Detection", "detection", [Label("animal", "#ff0000ff", "det")])
        cls = Task("Classification", "classification", [Label("big", "#0000ffff", "size"),
                                                        Label("small", "#00ffffff", "size")])
        items = [image_item("i0", "a", [Scene([box(10, 10, 30, 25, "animal", "big"),
                                                box(40, 5, 10, 10, "animal", "small")])])]
        return Project.chain("Chain cls", det, cls), items
    if kind == "multilabel":
        cls = Task("Classification", "classification", [Label(n, None, f"g-{n}") for n in ("red", "green", "blue")])
        items = [image_item("i0", "a", [Scene([full(W, H, "red", "blue")])]),
                 image_item("i1", "b", [Scene([full(W, H, "green")])], seed=1)]
        return Project.chain("Multi", cls), items
    if kind == "hierarchical":
        cls = Task("Classification", "classification", [
            Label("mammal", "#111111ff", "animal"), Label("bird", "#222222ff", "animal"),
            Label("dog", "#333333ff", "mammal kind", parent="mammal"),
            Label("cat", "#444444ff", "mammal kind", parent="mammal")])
        items = [image_item("i0", "a", [Scene([full(W, H, "mammal", "dog")])]),
                 image_item("i1", "b", [Scene([full(W, H, "bird")])], seed=1)]
        return Project.chain("Hierarchy", cls), items
    if kind == "anomaly":
        task = Task("Anomaly", "anomaly", [Label("Good", "#123456ff", hotkey="g"),
                                           Label("Bad", "#abcdefff", hotkey="b", is_anomalous=True)])
        items = [image_item("i0", "a", [Scene([full(W, H, "Good")])]),
                 image_item("i1", "b", [Scene([full(W, H, "Bad")])], seed=1)]
        return Project.chain("Anomaly", task), items
    if kind == "segmentation":
        task = Task("Segmentation", "segmentation", [Label("blob", "#ff00ffff", "seg")])
        poly = Annotation(Shape.polygon([(2, 2), (40, 3), (20, 30)]), [ScoredLabel("blob")])
        task.labels.append(Label("Nothing", "#010203ff", "Empty", hotkey="e", is_empty=True))
        ell = Annotation(Shape.ellipse(30, 20, 10, 8), [ScoredLabel("blob")])
        items = [image_item("i0", "a", [Scene([poly, ell])])]
        return Project.chain("Seg", task), items
    if kind == "instance_segmentation":
        task = Task("Instances", "instance_segmentation", [Label("cell", "#ff00ffff", "inst")])
        poly = Annotation(Shape.polygon([(2, 2), (40, 3), (20, 30)]), [ScoredLabel("cell")])
        return Project.chain("Inst", task), [image_item("i0", "a", [Scene([poly])])]
    if kind == "rotated_detection":
        task = Task("Rotated", "rotated_detection", [Label("ship", "#ff00ffff", "rot")])
        rot = Annotation(Shape.rotated_rectangle(30.5, 20.25, 20, 10, 30.0), [ScoredLabel("ship")])
        return Project.chain("Rot", task), [image_item("i0", "a", [Scene([rot])])]
    if kind == "keypoint_detection":
        names = ("head", "tail")
        task = Task("Keypoints", "keypoint_detection", [Label(n, None, "kp") for n in names],
                    keypoint_structure={"edges": [{"nodes": ["head", "tail"]}],
                                        "positions": [{"label": "head", "x": 0.2, "y": 0.3},
                                                      {"label": "tail", "x": 0.8, "y": 0.6}]})
        anns = [Annotation(Shape.keypoint(10, 12, True), [ScoredLabel("head")]),
                Annotation(Shape.keypoint(50, 30, False), [ScoredLabel("tail")])]
        return Project.chain("Keys", task), [image_item("i0", "a", [Scene(anns)])]
    if kind == "video_classification":
        cls = Task("Classification", "classification", [Label("day", "#ffff00ff", "tod"),
                                                        Label("night", "#000080ff", "tod")])
        ranges = [RangeLabel(0, 4, ["day"]), RangeLabel(5, 9, ["night"])]
        frames = [Scene([full(W, H, "day")], frame=0), Scene([full(W, H, "night")], frame=7)]
        items = [video_item("v0", "clip", frames, ranges), image_item("i0", "still", [Scene([full(W, H, "day")])])]
        return Project.chain("Video cls", cls), items
    if kind == "video_detection":
        det = Task("Detection", "detection", [Label("square", "#ffffffff", "det")])
        frames = [Scene([box(i * 3, 10, 13, 13, "square")], frame=i) for i in (0, 3, 9)]
        return Project.chain("Video det", det), [video_item("v0", "clip", frames)]
    raise ValueError(kind)


KINDS = ("detection_to_segmentation", "detection_to_classification", "multilabel", "hierarchical", "anomaly",
         "segmentation", "instance_segmentation", "rotated_detection", "keypoint_detection",
         "video_classification", "video_detection")


def labels_as_given(project: Project, cluster_project: dict[str, Any]) -> list[str]:
    """Differences between the labels we asked for and those the cluster holds (empty = none)."""
    held = {lb["name"]: lb for t in cluster_project["pipeline"]["tasks"] for lb in t.get("labels", [])}
    problems = []
    for lb in project.labels():
        got = held.get(lb.name)
        if got is None:
            problems.append(f"{lb.name}: missing")
            continue
        want = lb.to_dict()
        for key in ("color", "group", "parent", "hotkey", "is_empty", "is_anomalous"):
            w, g = want[key], got[key]
            if key == "color" and w:
                w, g = w.lower() + ("ff" if len(w) == 7 else ""), (g or "").lower()
            if key == "group" and w is None:
                continue
            if w != g and not (key == "color" and w is None):
                problems.append(f"{lb.name}.{key}: {g!r} != {w!r}")
    return problems


def scenes_as_given(items: list[Item], snap: dict[str, Any]) -> list[str]:
    """Differences between the scenes we seeded and those the cluster serves (empty = none).

    Shapes compare after the cluster's rounding (integers; rotated rectangles to 4 decimals); labels
    per annotation compare as sets. Frames a range annotation generated may be extra; given ones must
    all be there.
    """

    def norm(scene: dict[str, Any]) -> list[Any]:
        out = []
        for a in scene["annotations"]:
            shape = {k: (round(float(v), 4) if isinstance(v, (int, float)) and not isinstance(v, bool) else v)
                     for k, v in a["shape"].items() if k != "points"}
            if "points" in a["shape"]:
                shape["points"] = [(round(p["x"]), round(p["y"])) for p in a["shape"]["points"]]
            out.append((repr(sorted(shape.items())), sorted(lb["name"] for lb in a["labels"])))
        return sorted(out)

    problems = []
    for item in items:
        key = (item.media.dataset, item.media.filename)
        held = snap["media"].get(key)
        if not held:
            problems.append(f"{key}: missing")
            continue
        got = {s.get("frame"): norm(s) for s in held[0]["scenes"]}
        for scene in item.scenes or []:
            want = norm(scene.to_dict())
            if got.get(scene.frame) != want:
                problems.append(f"{key} frame {scene.frame}: {got.get(scene.frame)} != {want}")
        if not item.ranges and len(got) != len(item.scenes or []):
            problems.append(f"{key}: {len(got)} scenes held, {len(item.scenes or [])} given")
    return problems
