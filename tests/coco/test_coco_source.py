"""The coco: source reads what the generator wrote: every image, key, shape and label."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image, ImageDraw

from scmigrate.testing import check_source_conformance
from scmigrate.testing.coco import CATEGORIES, make_coco


def test_every_image_once_with_its_path_as_key(coco40, open_coco, read_all):
    items = read_all(open_coco(coco40.location))
    truth = coco40.by_key()
    assert set(items) == set(truth)
    # equal file names in different folders stay apart
    assert {"000000.jpg", "north/000000.jpg", "south/000000.jpg", "south/deep/000000.jpg"} <= set(items)
    for key, it in items.items():
        gt = truth[key]
        m = it.media
        # a name repeated in another folder is prefixed with the image's own folder (north/000000.jpg →
        # north_000000); on a cluster, where only names show, the four 000000 images stay apart
        folder = gt.file_name.rpartition("/")[0].replace("/", "_")
        name = f"{folder}_{gt.path.stem}" if folder else gt.path.stem
        assert (m.name, m.filename, m.dataset, m.kind) == (name, name + gt.path.suffix, "Dataset", "image")
        assert (m.width, m.height) == (gt.width, gt.height)
        with it.open() as f:
            data = f.read()
        assert data == gt.path.read_bytes() and m.size == len(data)  # the original bytes, not re-encoded
    names = [it.media.name for it in items.values()]
    assert len(set(names)) == len(names)
    assert {"000000", "north_000000", "south_000000", "south_deep_000000"} <= set(names)


def test_names_stay_apart_without_renaming_unique_ones(tmp_path):
    from scmigrate_datumaro.reader import Entry, distinct_names

    keys = ["a/x.jpg", "b/x.jpg", "x.png", "a/y.jpg", "a_x.jpg", "c/a/x.jpg", "t/y.jpg"]
    entries = [Entry(None, k, k.rpartition("/")[2], "train" if k.startswith("t/") else "Dataset") for k in keys]
    assert distinct_names(entries) == 3
    # "a_x" is taken by a real file, so a/x.jpg gets a counter; the other dataset's y.jpg is left alone
    assert [e.filename for e in entries] == ["a_x_2.jpg", "b_x.jpg", "x.png", "y.jpg", "a_x.jpg", "c_a_x.jpg", "y.jpg"]


def test_shapes_match_ground_truth(coco40, open_coco, read_all):
    items = read_all(open_coco(coco40.location))
    seen = set()
    for gt in coco40.images:
        if not gt.objects:
            continue  # not annotated (test_images_without_objects_stay_unannotated)
        (scene,) = items[gt.key].scenes
        by_id: dict[str, list] = {}
        for a in scene.annotations:
            by_id.setdefault(a.id.split(".")[0], []).append(a)
        assert set(by_id) == {str(o.ann_id) for o in gt.objects}  # no box repeated next to its polygon
        for o in gt.objects:
            anns = by_id[str(o.ann_id)]
            assert all(a.label_names == [o.category] for a in anns)
            seen.add(o.kind)
            if o.kind == "polygon":
                (a,) = anns
                assert a.shape.type == "POLYGON" and a.shape.points == o.polygon
            elif o.kind == "box":
                (a,) = anns
                assert a.shape.type == "RECTANGLE"
                assert (a.shape.x, a.shape.y, a.shape.width, a.shape.height) == pytest.approx(o.bbox)
            else:  # crowd RLE: one polygon per part; the hole survives
                assert len(anns) == o.parts and all(a.shape.type == "POLYGON" for a in anns)
                mask = Image.new("L", (gt.width, gt.height), 0)
                for a in anns:
                    ImageDraw.Draw(mask).polygon(a.shape.points, fill=1)
                filled = np.asarray(mask).astype(bool)
                ys, xs = np.nonzero(filled)
                assert (xs.min(), ys.min()) == pytest.approx(o.bbox[:2], abs=1)
                assert (xs.max() - xs.min() + 1, ys.max() - ys.min() + 1) == pytest.approx(o.bbox[2:], abs=1)
                # the keyhole slit costs a line of pixels at most; dropping the hole would add ~1/16 of the area
                assert abs(filled.sum() - o.area) < 0.03 * o.area, (gt.key, o)
    assert seen == {"polygon", "box", "rle"}
    assert any(o.holes for o in coco40.objects()) and any(o.parts == 2 for o in coco40.objects())


def test_images_without_objects_stay_unannotated(coco40, open_coco, read_all):
    """One rule for every file source: no annotation is "not annotated" (--keep-empty: annotated empty)."""
    items = read_all(open_coco(coco40.location))
    empty = [gt.key for gt in coco40.images if not gt.objects]
    assert empty
    for key in empty:
        assert items[key].scenes == []


def test_project_labels_task_and_notes(coco40, open_coco, read_all):
    reader = open_coco(coco40.location, project="COCO animals")
    p = reader.project()
    assert p.name == "COCO animals"
    (task,) = p.trainable_tasks
    assert task.task_type == "instance_segmentation"
    assert [lb.name for lb in task.labels] == list(CATEGORIES)
    colours = [lb.color for lb in task.labels]
    assert len(set(colours)) == 4 and colours == [lb.color for lb in open_coco(coco40.location).project().labels()]
    assert reader.size_hint().items == 40 and reader.size_hint().bytes == coco40.total_bytes()
    assert any("iscrowd" in line for line in reader.notes())
    assert p.origin["kind"] == "coco"


def test_conformance(coco40, open_coco, read_all):
    counts = check_source_conformance(open_coco(coco40.location))
    assert counts["items"] == 40 and counts["annotations"] >= len(coco40.objects())


def test_boxes_only_is_a_detection_project(tmp_path, open_coco, read_all):
    fx = make_coco(tmp_path, 8, seed=2, crowd=False)
    doc = json.loads(fx.annotations.read_text())
    for a in doc["annotations"]:
        a["segmentation"] = []
    fx.annotations.write_text(json.dumps(doc))
    reader = open_coco(fx.location)
    assert reader.project().trainable_tasks[0].task_type == "detection"
    shapes = {a.shape.type for it in read_all(reader).values() for s in it.scenes for a in s.annotations}
    assert shapes == {"RECTANGLE"}


def test_keypoints_are_kept(tmp_path, open_coco, read_all):
    fx = make_coco(tmp_path, 2, seed=1, nested=False, empty_ratio=0)
    doc = json.loads(fx.annotations.read_text())
    doc["categories"] = [{"id": 1, "name": "person", "keypoints": ["head", "left hand", "right hand"],
                          "skeleton": [[1, 2], [1, 3]]}]
    doc["annotations"] = [{"id": 1, "image_id": 1, "category_id": 1, "iscrowd": 0, "bbox": [10, 10, 50, 50],
                           "segmentation": [], "num_keypoints": 3, "keypoints": [30, 12, 2, 12, 40, 2, 55, 41, 1]}]
    fx.annotations.write_text(json.dumps(doc))
    reader = open_coco(fx.location)
    (task,) = reader.project().trainable_tasks
    assert task.task_type == "keypoint_detection"
    # "person" only carries the skeleton (its box is the skeleton's): a keypoint label without a
    # position would make a cluster refuse the project
    assert [lb.name for lb in task.labels] == ["head", "left hand", "right hand"]
    assert task.keypoint_structure["edges"] == [{"nodes": ["head", "left hand"]}, {"nodes": ["head", "right hand"]}]
    kps = [a for s in read_all(reader)[fx.images[0].key].scenes for a in s.annotations if a.shape.type == "KEYPOINT"]
    assert [(a.label_names[0], a.shape.x, a.shape.y, a.shape.is_visible) for a in kps] == [
        ("head", 30, 12, True), ("left hand", 12, 40, True), ("right hand", 55, 41, False)]


def test_images_folder_defaults_and_option(tmp_path, open_coco, read_all):
    fx = make_coco(tmp_path / "ds", 4, seed=3)
    # default: images/ next to annotations/
    assert len(read_all(open_coco(fx.location))) == 4
    # elsewhere: --images
    moved = shutil.move(str(fx.images_dir), tmp_path / "pictures")
    assert len(read_all(open_coco(fx.location, images=str(moved)))) == 4
    # JSON inside the images folder itself
    json_there = moved / "coco.json"
    shutil.copy(fx.annotations, json_there)
    assert len(read_all(open_coco(f"coco:{json_there}"))) == 4
    # a dataset folder holding one annotations/instances_*.json
    shutil.move(str(moved), fx.images_dir)
    assert len(read_all(open_coco(f"coco:{fx.root}"))) == 4
    # COCO's own layout: annotations/instances_val2017.json with its images in val2017/
    shutil.move(str(fx.images_dir), fx.root / "val2017")
    official = fx.annotations.rename(fx.annotations.with_name("instances_val2017.json"))
    assert len(read_all(open_coco(f"coco:{official}"))) == 4
    # ... and Datumaro's: images/<subset>/
    (fx.root / "images").mkdir()
    shutil.move(str(fx.root / "val2017"), fx.root / "images" / "val2017")
    assert len(read_all(open_coco(f"coco:{official}"))) == 4
    # a sub-folder named like the subset that holds some images by chance is not taken for the root
    (fx.root / "images" / "val2017").rename(fx.root / "flat")
    (fx.root / "images").rmdir()
    (fx.root / "flat").rename(fx.images_dir)
    north = official.rename(official.with_name("instances_north.json"))
    assert (fx.images_dir / "north" / "000000.jpg").is_file()  # "000000.jpg" would resolve there
    assert len(read_all(open_coco(f"coco:{north}"))) == 4


def test_claims_and_import_stay_cheap():
    from scmigrate_datumaro import CocoSource, DatumaroSource

    assert CocoSource.claims("coco:x.json") and not CocoSource.claims("x.scz")
    assert DatumaroSource.claims("datumaro:voc:x") and not DatumaroSource.claims("coco:x")
    code = ("import sys, scmigrate_datumaro; "
            "print(sorted(m for m in ('datumaro', 'numpy', 'cv2', 'PIL') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_an_unreadable_image_fails_its_item_with_one_line(tmp_path, open_coco):
    from scmigrate.errors import InputError

    fx = make_coco(tmp_path, 3, seed=1, nested=False)
    fx.images[1].path.write_bytes(b"this is not a JPEG")
    items = list(open_coco(fx.location).items())
    items[0].resolve()
    with pytest.raises(InputError) as err:
        items[1].resolve()
    assert str(fx.images[1].path) in str(err.value) and "not a readable image" in str(err.value)


def test_an_object_of_several_polygons_gives_parts_with_unique_ids(tmp_path, open_coco, read_all):
    fx = make_coco(tmp_path, 2, seed=1, nested=False, empty_ratio=0, crowd=False)
    doc = json.loads(fx.annotations.read_text())
    # a dog seen in two pieces (behind a post): one annotation, two polygons
    doc["annotations"] = [{"id": 7, "image_id": 1, "category_id": 18, "iscrowd": 0, "bbox": [10, 10, 90, 40],
                           "segmentation": [[10, 10, 40, 10, 40, 50], [60, 10, 100, 10, 100, 50]]}]
    fx.annotations.write_text(json.dumps(doc))
    (scene,) = read_all(open_coco(fx.location))[fx.images[0].key].scenes
    assert [(a.id, a.shape.type, a.label_names) for a in scene.annotations] == [
        ("7.1", "POLYGON", ["dog"]), ("7.2", "POLYGON", ["dog"])]  # was "7" twice
