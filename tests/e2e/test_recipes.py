"""Every recipe of ``examples/`` run as a user runs it, judged by what it left on the cluster.

Each test runs one script in a subprocess against an emulated HTTPS cluster, then reads the
resulting project back through the REST API (``rest_view``) and compares it with the ground
truth the data generator wrote: which images (by the sha256 of the bytes the cluster serves),
which task types and labels, and which shapes where.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from rest_view import Ann, ProjectView, read_project

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "folders"))
from folders_gen import make_vitens

TOL = 1.5  # the cluster stores normalised coordinates and answers rounded pixels


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bbox(a: Ann) -> tuple[float, float, float, float]:
    g = a.geometry
    if a.shape == "POLYGON":
        xs, ys = [p["x"] for p in g["points"]], [p["y"] for p in g["points"]]
        return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)
    return g["x"], g["y"], g["width"], g["height"]


def near(b1: tuple[float, ...], b2: tuple[float, ...]) -> bool:
    return all(abs(u - v) <= TOL for u, v in zip(b1, b2, strict=True))


def inside(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    return x >= ox - TOL and y >= oy - TOL and x + w <= ox + ow + TOL and y + h <= oy + oh + TOL


def match_objects(anns: list[Ann], objects: list[Any], where: str) -> None:
    """Each object has its shape: the same bounding box (a crowd mask: one shape per part, inside
    its box), and no shape is left over."""
    left = list(anns)
    for o in objects:
        if o.iscrowd:
            parts = [a for a in left if inside(bbox(a), o.bbox)]
            assert parts, f"{where}: no shape for the crowd mask {o.ann_id} {o.bbox}"
        else:
            parts = [a for a in left if near(bbox(a), o.bbox)][:1]
            assert parts, f"{where}: no shape for object {o.ann_id} {o.bbox}; got {[bbox(a) for a in left]}"
        for a in parts:
            left.remove(a)
    assert not left, f"{where}: shapes for no object: {[(a.shape, bbox(a)) for a in left]}"


def images_by_sha(view: ProjectView) -> dict[str, Any]:
    out = {im.sha256: im for im in view.images.values()}
    assert len(out) == len(view.images), "the same image was uploaded twice"
    return out


def dog_images(coco: Any) -> dict[str, Any]:
    return {sha(im.path): im for im in coco.images if any(o.category == "dog" for o in im.objects)}


def check_dogs(view: ProjectView, coco: Any, shape: str, label: str) -> None:
    """Exactly the images with dogs; on each, one ``shape`` labelled ``label`` per dog (per part)."""
    got, want = images_by_sha(view), dog_images(coco)
    assert set(got) == set(want), f"{len(got)} images on the cluster, {len(want)} with dogs in the dataset"
    for key, gt in want.items():
        anns = [a for a in got[key].annotations or [] if label in a.labels]
        assert all(a.shape == shape and a.labels == [label] for a in anns), [(a.shape, a.labels) for a in anns]
        match_objects(anns, [o for o in gt.objects if o.category == "dog"], gt.file_name)


def test_coco_detection(e2e: Any, coco: Any) -> None:
    out = e2e.on_a("coco_detection", str(coco.annotations), "--images", str(coco.images_dir), "--project", "Det")
    assert out.stdout.startswith("moved ")
    view = read_project(e2e.a.url, e2e.a.token, e2e.a.ca_bundle, "Det")
    assert view.task_types == ["detection"]
    assert sorted(view.labels_of("detection")) == ["No object", "dog"]
    check_dogs(view, coco, "RECTANGLE", "dog")
    assert all(a.labels == ["dog"] for im in view.images.values() for a in im.annotations)


def test_coco_segmentation(e2e: Any, coco: Any) -> None:
    e2e.on_a("coco_segmentation", str(coco.annotations), "--project", "Seg")
    view = read_project(e2e.a.url, e2e.a.token, e2e.a.ca_bundle, "Seg")
    assert view.task_types == ["segmentation"]
    assert sorted(view.labels_of("segmentation")) == ["Empty", "dog"]
    check_dogs(view, coco, "POLYGON", "dog")
    polygons = [a for im in view.images.values() for a in im.annotations]
    assert all(a.labels == ["dog"] for a in polygons)
    assert any(len(a.geometry["points"]) > 4 for a in polygons), "only boxes: the outlines were lost"


@pytest.fixture(scope="module")
def pipeline(e2e: Any, coco: Any) -> ProjectView:
    """The detection→segmentation recipe's project on cluster A (the backup test starts from it too)."""
    e2e.on_a("coco_dog_pipeline", str(coco.annotations), "--project", "Dog pipeline")
    return read_project(e2e.a.url, e2e.a.token, e2e.a.ca_bundle, "Dog pipeline")


def test_coco_dog_pipeline(pipeline: ProjectView, coco: Any) -> None:
    assert pipeline.task_types == ["detection", "segmentation"]
    assert sorted(pipeline.labels_of("detection")) == ["No object", "dog"]
    assert sorted(pipeline.labels_of("segmentation")) == ["Empty", "dog shape"]
    assert pipeline.empty_labels == {"No object", "Empty"}
    check_dogs(pipeline, coco, "RECTANGLE", "dog")
    check_dogs(pipeline, coco, "POLYGON", "dog shape")
    for im in pipeline.images.values():
        boxes = [bbox(a) for a in im.annotations if a.shape == "RECTANGLE"]
        for a in im.annotations:
            assert a.labels in (["dog"], ["dog shape"]), a.labels
            if a.shape == "POLYGON":
                assert any(inside(bbox(a), b) for b in boxes), f"{im.name}: a dog shape outside every dog box"


def test_coco_classification(e2e: Any, coco: Any) -> None:
    e2e.on_a("coco_classification", str(coco.annotations), "--project", "Cls")
    view = read_project(e2e.a.url, e2e.a.token, e2e.a.ca_bundle, "Cls")
    assert view.task_types == ["classification"]
    assert {"dog", "car"} <= set(view.labels_of("classification")) <= {"dog", "car", "No class"}
    want = {sha(im.path): {o.category for o in im.objects} & {"dog", "car"} for im in coco.images}
    want = {k: v for k, v in want.items() if v}
    got = images_by_sha(view)
    assert set(got) == set(want)
    for key, labels in want.items():
        im = got[key]
        assert im.annotations is not None and len(im.annotations) == 1, im.annotations
        (ann,) = im.annotations
        assert im.is_full_box(ann), f"{im.name}: class label not on the full-image box: {ann.geometry}"
        assert set(ann.labels) == labels, f"{im.name}: {ann.labels} != {sorted(labels)}"
    assert any(len(v) == 2 for v in want.values()), "no image with both labels: multi-label untested"
    assert view.groups["dog"] != view.groups["car"], "dog and car exclude each other: not multi-label"


def test_vitens_detection(e2e: Any) -> None:
    truth = make_vitens(e2e.tmp / "vitens")
    e2e.on_a("vitens_detection", str(e2e.tmp / "vitens"), "--project", "Plates")
    view = read_project(e2e.a.url, e2e.a.token, e2e.a.ca_bundle, "Plates")
    assert view.task_types == ["detection"]
    assert sorted(view.labels_of("detection")) == sorted(truth["labels"] + ["No object"])
    assert view.empty_labels == {"No object"}
    by_name = {im.name: im for im in view.images.values()}
    assert sorted(by_name) == ["blank", "plate_1", "plate_1_b", "plate_2"]
    assert by_name["blank"].annotations is None  # no annotation file: not annotated
    (empty,) = by_name["plate_2"].annotations  # a file without shapes: annotated as empty
    assert empty.labels == ["No object"] and by_name["plate_2"].is_full_box(empty)
    for name in ("plate_1", "plate_1_b"):
        anns = by_name[name].annotations
        assert all(a.shape == "RECTANGLE" for a in anns)
        want = []
        for kind, geo in truth[name]:  # circle → its bounding square; polygon → its bounding box
            if kind == "POLYGON":
                xs, ys = [p[0] for p in geo], [p[1] for p in geo]
                geo = (min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))
            want.append(geo)
        got = sorted(bbox(a) for a in anns)
        assert len(got) == len(want) and all(near(g, w) for g, w in zip(got, sorted(want), strict=True)), (got, want)
    colonies = [a for a in by_name["plate_1"].annotations if a.labels == ["colony"]]
    assert len(colonies) == 3  # two files for one image are merged


def test_backup_then_restore(e2e: Any, pipeline: ProjectView) -> None:
    # backup from cluster A given by URL; restore to cluster B given by its configured name
    archive = e2e.tmp / "dogs.scz"
    e2e.on_a("backup_project", "--project", "Dog pipeline", str(archive))
    info = json.loads(e2e.scmigrate("inspect", "--json", str(archive)).stdout)
    assert info["project"] == "Dog pipeline" and info["project_type"] == "detection_to_segmentation"
    assert info["media"]["images"] == len(pipeline.images)
    assert info["media"]["annotations"] == sum(len(im.annotations) for im in pipeline.images.values())

    e2e.run("restore_project", str(archive), "--cluster", "cluster-b", "--project", "Dogs restored")
    restored = read_project(e2e.b.url, e2e.b.token, e2e.b.ca_bundle, "Dogs restored")
    assert restored.task_types == pipeline.task_types and restored.task_labels == pipeline.task_labels

    def content(view: ProjectView) -> dict[str, Any]:
        return {im.sha256: (im.name, im.width, im.height,
                            sorted((a.shape, json.dumps(a.geometry, sort_keys=True), a.labels) for a in im.annotations))
                for im in view.images.values()}

    assert content(restored) == content(pipeline)
    check = e2e.scmigrate("check", "--from", e2e.a.url, "--ca-bundle", e2e.a.ca_bundle, "--project", "Dog pipeline",
                          "--to", str(archive), SCMIGRATE_TOKEN=e2e.a.token)
    assert check.returncode == 0 and "identical: " in check.stderr, check.stderr


def test_recipe_errors_are_one_line(e2e: Any, coco: Any) -> None:
    missing = e2e.on_a("coco_detection", str(e2e.tmp / "nope.json"), "--project", "Nope", check=False)
    no_token = e2e.run("coco_detection", str(coco.annotations), "--cluster", e2e.a.url,
                       "--ca-bundle", e2e.a.ca_bundle, "--project", "Nope", check=False)
    for proc, needle in ((missing, "nope.json"), (no_token, "SCMIGRATE_TOKEN")):
        assert proc.returncode == 2  # bad input, as the CLI says it
        lines = proc.stderr.strip().splitlines()
        assert "Traceback" not in proc.stderr and lines[-1].startswith("error: ") and needle in lines[-1], proc.stderr
    with pytest.raises(AssertionError, match="found 0"):
        read_project(e2e.a.url, e2e.a.token, e2e.a.ca_bundle, "Nope")
