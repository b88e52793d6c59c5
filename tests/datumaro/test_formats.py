"""datumaro:FORMAT:PATH and datumaro:PATH on datasets written by Datumaro's own exporters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from dmdata import DOG_BOX, SIZES, export, ring_and_blob  # tests/datumaro/dmdata.py
from PIL import Image, ImageDraw

from scmigrate.errors import InputError
from scmigrate.testing import check_source_conformance


def _shapes(item, kind=None):
    anns = [a for s in item.scenes for a in s.annotations]
    return [a for a in anns if kind is None or a.shape.type == kind]


def _check_media(items, root: Path):
    for key, it in items.items():
        f = root / key.split("#")[0]
        assert f.is_file(), key
        with it.open() as s:
            assert s.read() == f.read_bytes()  # the exporter's file, byte for byte
        with Image.open(f) as im:
            assert (it.media.width, it.media.height) == im.size
        assert it.media.filename == f.name and it.media.name == f.stem


def test_voc_detected_boxes_and_masks_to_polygons(tmp_path, open_dm, read_all):
    out = export(tmp_path, "voc", ("bbox", "mask", "label"))
    reader = open_dm(f"datumaro:{out}")  # detection: "voc" and its parts → "voc"
    p = reader.project()
    (task,) = p.trainable_tasks
    assert task.task_type == "instance_segmentation"
    assert [lb.name for lb in task.labels] == ["dog", "cat", "car"]  # not VOC's "background"
    assert [(d.name, d.use_for_training) for d in p.datasets] == [("train", True), ("val", False)]
    items = read_all(reader)
    assert sorted(items) == [f"JPEGImages/img{i}.jpg" for i in range(4)]
    assert {it.media.dataset for it in items.values()} == {"train", "val"}
    _check_media(items, out)
    it0 = items["JPEGImages/img0.jpg"]
    (box,) = [a for a in _shapes(it0, "RECTANGLE") if a.label_names == ["dog"]
              and (a.shape.width, a.shape.height) != (96, 64)]
    assert (box.shape.x, box.shape.y, box.shape.width, box.shape.height) == pytest.approx(DOG_BOX, abs=1)
    polys = [a for a in _shapes(it0, "POLYGON") if a.label_names == ["car"]]
    assert len(polys) == 2  # two parts → two polygons
    w, h = SIZES[0]
    canvas = Image.new("L", (w, h), 0)
    for a in polys:
        ImageDraw.Draw(canvas).polygon(a.shape.points, fill=1)
    drawn, want = np.asarray(canvas).astype(bool), ring_and_blob(w, h)
    assert not drawn[40, 50]  # the hole stays a hole
    assert (drawn ^ want).sum() <= 0.05 * want.sum()
    assert any("keyhole" in n for n in reader.notes())
    check_source_conformance(open_dm(f"datumaro:voc:{out}"))


def test_voc_segmentation_named_and_ambiguous_detection(tmp_path, open_dm, read_all):
    out = export(tmp_path, "voc_segmentation", ("mask",))
    with pytest.raises(InputError) as err:
        open_dm(f"datumaro:{out}")
    msg = str(err.value)
    assert "several formats: voc_instance_segmentation, voc_segmentation" in msg and "\n" not in msg
    items = read_all(open_dm(f"datumaro:voc_instance_segmentation:{out}"))
    polys = _shapes(items["JPEGImages/img0.jpg"], "POLYGON")
    assert len(polys) == 2 and {a.label_names[0] for a in polys} == {"car"}
    assert _shapes(items["JPEGImages/img1.jpg"]) == []  # 80 px wide: no mask on it → annotated empty


@pytest.mark.parametrize("fmt", ["yolo", "yolo_ultralytics"])
def test_yolo_boxes(tmp_path, fmt, open_dm, read_all):
    out = export(tmp_path, fmt, ("bbox",))
    reader = open_dm(f"datumaro:{out}")
    assert reader.project().trainable_tasks[0].task_type == "detection"
    assert reader.project().origin["format"] == "yolo"
    items = read_all(reader)
    assert len(items) == 4 and {it.media.dataset for it in items.values()} == {"train", "val"}
    _check_media(items, out)
    for it in items.values():
        (a,) = _shapes(it)
        assert a.shape.type == "RECTANGLE" and a.label_names == ["dog"]
        # YOLO stores normalised centres: a few hundredths of a pixel of rounding
        assert (a.shape.x, a.shape.y, a.shape.width, a.shape.height) == pytest.approx(DOG_BOX, abs=0.05)
    check_source_conformance(open_dm(f"datumaro:yolo:{out}"))
    # the name the user exported with reads too (Datumaro's importer of it is "yolo")
    named = open_dm(f"datumaro:{fmt}:{out}")
    assert named.project().origin["format"] == "yolo" and len(read_all(named)) == 4


def test_imagenet_classification(tmp_path, open_dm, read_all):
    out = export(tmp_path, "imagenet", ("label",))
    reader = open_dm(f"datumaro:{out}")
    (task,) = reader.project().trainable_tasks
    assert task.task_type == "classification"
    assert {lb.group for lb in task.labels} == {task.title}  # one exclusive group: single-label
    items = read_all(reader)
    assert sorted(items) == ["cat/img1.jpg", "cat/img3.jpg", "dog/img0.jpg", "dog/img2.jpg"]
    assert {it.media.dataset for it in items.values()} == {"Dataset"}  # ImageNet has no subsets
    _check_media(items, out)
    for key, it in items.items():
        (a,) = _shapes(it)
        assert a.label_names == [key.split("/")[0]]
        assert (a.shape.type, a.shape.x, a.shape.y) == ("RECTANGLE", 0, 0)
        assert (a.shape.width, a.shape.height) == (it.media.width, it.media.height)  # the full image


def test_cvat_rotated_boxes_keypoints_polygons(tmp_path, open_dm, read_all):
    out = export(tmp_path, "cvat", ("bbox", "polygon", "points", "rotated_bbox", "label"))
    reader = open_dm(f"datumaro:cvat:{out}")
    (task,) = reader.project().trainable_tasks
    assert task.task_type == "keypoint_detection"  # points present
    items = read_all(reader)
    _check_media(items, out)
    it = items["images/img0.jpg"]
    (rot,) = _shapes(it, "ROTATED_RECTANGLE")
    s = rot.shape
    assert (s.x, s.y, s.width, s.height, s.angle) == pytest.approx((48, 32, 20, 10, 30), abs=0.01)
    (poly,) = _shapes(it, "POLYGON")
    assert poly.shape.points == [(30, 5), (60, 5), (45, 30)] and poly.label_names == ["cat"]
    kps = _shapes(it, "KEYPOINT")
    assert [(a.shape.x, a.shape.y) for a in kps] == [(5, 6), (20, 21), (30, 8)]  # CVAT keeps no visibility
    check_source_conformance(open_dm(f"datumaro:cvat:{out}"))


def test_datumaro_format_every_shape(tmp_path, open_dm, read_all):
    out = export(tmp_path, "datumaro", ("bbox", "polygon", "mask", "ellipse", "points", "polyline"))
    reader = open_dm(f"datumaro:{out}")
    (task,) = reader.project().trainable_tasks
    assert task.task_type == "keypoint_detection"
    assert [lb.name for lb in task.labels] == ["nose", "left ear", "right ear", "dog", "cat", "car"]
    assert task.keypoint_structure["edges"] == [{"nodes": ["nose", "left ear"]}, {"nodes": ["nose", "right ear"]}]
    items = read_all(reader)
    it = items["images/train/img0.jpg"]
    assert {a.shape.type for a in _shapes(it)} == {"RECTANGLE", "POLYGON", "ELLIPSE", "KEYPOINT"}
    (ell,) = _shapes(it, "ELLIPSE")
    assert (ell.shape.x, ell.shape.y, ell.shape.width, ell.shape.height) == (40, 30, 20, 20)
    kps = _shapes(it, "KEYPOINT")
    assert [(a.label_names[0], a.shape.x, a.shape.y, a.shape.is_visible) for a in kps] == [
        ("nose", 5, 6, True), ("left ear", 20, 21, True), ("right ear", 30, 8, False)]
    assert any("polyline" in n and "dropped" in n for n in reader.notes())  # counted, not silent


def test_unknown_and_undetectable(tmp_path, open_dm):
    (tmp_path / "notes.txt").write_text("nothing to see")
    with pytest.raises(InputError, match="Datumaro detected no format it knows; name one as datumaro:FORMAT:"):
        open_dm(f"datumaro:{tmp_path}")
    with pytest.raises(InputError, match="Datumaro has no format 'nosuch'; known: .*voc"):
        open_dm(f"datumaro:nosuch:{tmp_path}")
    with pytest.raises(InputError, match="does not exist"):
        open_dm(f"datumaro:voc:{tmp_path / 'missing'}")
    with pytest.raises(InputError, match="could not import it as voc"):
        open_dm(f"datumaro:voc:{tmp_path}")


@pytest.mark.parametrize("fmt", ["voc", "yolo", "cvat", "datumaro"])
def test_missing_image_file_is_one_line_naming_it(tmp_path, fmt, open_dm):
    out = export(tmp_path, fmt, ("bbox",))
    next(out.rglob("img1.jpg")).unlink()
    with pytest.raises(InputError) as err:
        open_dm(f"datumaro:{fmt}:{out}")
    msg = str(err.value)
    assert "img1" in msg and str(out) in msg and "\n" not in msg


def test_coco_folder_through_datumaro_matches_the_coco_source(tmp_path, open_dm, read_all):
    """The same COCO folder read as datumaro:PATH (format detected) and as coco:: the same scenes."""
    from scmigrate.api import RunOptions
    from scmigrate.testing.coco import make_coco
    from scmigrate_datumaro import CocoSource

    fx = make_coco(tmp_path / "coco", 12, seed=5)
    reader = open_dm(f"datumaro:{fx.root}")
    assert reader.project().origin["format"] == "coco_instances"
    via_dm = read_all(reader)
    via_coco = read_all(CocoSource().open(fx.location, RunOptions()))
    assert sorted(via_dm) == sorted(f"images/{k}" for k in via_coco)
    for key, it in via_coco.items():
        assert [s.to_dict() for s in via_dm[f"images/{key}"].scenes] == [s.to_dict() for s in it.scenes]


def test_dota_rotated_boxes(tmp_path, open_dm, read_all):
    out = export(tmp_path, "dota", ("rotated_bbox",))
    reader = open_dm(f"datumaro:{out}")
    assert reader.project().trainable_tasks[0].task_type == "rotated_detection"
    items = read_all(reader)
    assert sorted(items) == ["train/images/img0.jpg", "train/images/img1.jpg", "train/images/img2.jpg",
                             "val/images/img3.jpg"]
    for it in items.values():
        (a,) = _shapes(it)
        s = a.shape
        assert a.label_names == ["car"] and s.type == "ROTATED_RECTANGLE"
        assert (s.x, s.y, s.width, s.height, s.angle) == pytest.approx((48, 32, 20, 10, 30), abs=0.01)


def test_label_hierarchy_from_parents(tmp_path, open_dm, read_all):
    from datumaro.components.annotation import AnnotationType, Label, LabelCategories
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage

    src = tmp_path / "src"
    src.mkdir()
    cats = LabelCategories()
    cats.add("animal")
    cats.add("dog", parent="animal")
    cats.add("cat", parent="animal")
    cats.add("vehicle", parent="thing")  # a parent that is no label (like a COCO supercategory)
    items = []
    for i in range(4):
        Image.new("RGB", (40, 30), (30 * i, 60, 90)).save(src / f"p{i}.png")
        items.append(DatasetItem(id=f"p{i}", media=DmImage.from_file(str(src / f"p{i}.png")),
                                 annotations=[Label(i)]))
    Dataset.from_iterable(items, categories={AnnotationType.label: cats}).export(
        str(tmp_path / "dm"), "datumaro", save_media=True)
    (task,) = open_dm(f"datumaro:datumaro:{tmp_path / 'dm'}").project().trainable_tasks
    assert [(lb.name, lb.parent) for lb in task.labels] == [
        ("animal", None), ("dog", "animal"), ("cat", "animal"), ("vehicle", None)]
