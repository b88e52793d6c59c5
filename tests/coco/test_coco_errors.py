"""Broken COCO input: one InputError line that names the file and the item, before anything is read."""

from __future__ import annotations

import json

import pytest

from scmigrate.errors import InputError
from scmigrate.testing.coco import BROKEN_CASES, make_coco

EXPECTED = {
    "not_json": "not valid JSON: Expecting ',' delimiter at line {line}, column {column}",
    "missing_images": "not a COCO instances file: it lacks 'images'",
    "missing_annotations": "not a COCO instances file: it lacks 'annotations'",
    "missing_categories": "not a COCO instances file: it lacks 'categories'",
    "missing_image_file": "image {image_id} ({file_name}): file not found",
    "unknown_category": "annotation {annotation_id} on image {image_id} ({file_name}): unknown category id 999",
    "short_polygon": "annotation {annotation_id} on image {image_id} ({file_name}): polygon has 2 points; at least 3",
    "polygon_outside": "annotation {annotation_id} on image {image_id} ({file_name}): polygon lies outside the",
    "box_outside": "annotation {annotation_id} on image {image_id} ({file_name}): box [1, 235, 10, 40] lies outside",
}


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_broken_case_is_one_clear_line(tmp_path, case, open_coco):
    fx = make_coco(tmp_path, 4, seed=3, broken=case)
    with pytest.raises(InputError) as err:
        open_coco(fx.location)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(f"{fx.annotations}: ")
    assert EXPECTED[case].format(**fx.detail) in msg


def _rle(counts):
    """A crowd annotation on image 2 (320x240) whose RLE has these ``counts``."""
    return {"id": 500, "image_id": 2, "category_id": 18, "iscrowd": 1, "bbox": [],
            "segmentation": {"size": [240, 320], "counts": counts}}


def _keypoints(doc, first, drop_second=False):
    """Categories that name keypoints, the first annotation with ``first``, the others with 2 valid points."""
    for c in doc["categories"]:
        c.update(keypoints=["a", "b"], skeleton=[[1, 2]])
    for a in doc["annotations"]:
        a["keypoints"] = [1, 1, 2, 2, 2, 2]
    doc["annotations"][0]["keypoints"] = first
    if drop_second:
        del doc["annotations"][1]["keypoints"]


def _doc(fx):
    return json.loads(fx.annotations.read_text())


def _write(fx, doc):
    fx.annotations.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: d["images"][0].update(file_name="../../etc/passwd"),
         "must be a relative path inside the images folder"),
        (lambda d: d["images"][0].update(width=-3), "width and height must be positive integers"),
        (lambda d: d["categories"].append({"id": 99, "name": "dog"}), "category name 'dog' is used by ids 18 and 99"),
        (lambda d: d["annotations"].append({"id": 1, "image_id": 1, "category_id": 18}),
         "annotation id 1 is used twice"),
        (lambda d: d["annotations"][0].pop("iscrowd"), "'iscrowd' must be 0 or 1, not None"),
        (lambda d: d["annotations"][0].pop("bbox"), "it lacks 'bbox'"),
        (lambda d: d["annotations"].append({"id": 500, "image_id": 77, "category_id": 18}),
         "annotation 500: image_id 77 is not in 'images'"),
        (lambda d: d["annotations"].append({"id": 500, "image_id": 2, "category_id": 18, "iscrowd": 1, "bbox": [],
                                            "segmentation": {"size": [10, 10],
                                                             "counts": "x"}}), "RLE mask size [10, 10] differs"),
        # a broken RLE used to pass the check and fail later, in a worker, as "ValueError" without the annotation
        (lambda d: d["annotations"].append(_rle("!!not RLE")),
         "annotation 500 on image 2 (north/000000.jpg): RLE mask 'counts' is not a valid"),
        (lambda d: d["annotations"].append(_rle("9340005")),
         "RLE mask 'counts' cover 35 pixels, not the 240x320 = 76800"),
        (lambda d: d["annotations"].append(_rle([5, 10, 3])), "RLE mask 'counts' cover 18 pixels"),
        (lambda d: d["annotations"].append(_rle([-5, 76805])), "RLE mask 'counts' is not a valid"),
        (lambda d: d["annotations"].append({"id": 500, "image_id": 2, "category_id": 18, "iscrowd": 0, "bbox": [1, 1,
                                                                                                                2, 2],
                                            "segmentation": [[1, 1, 2, 2,
                                                              3]]}), "polygon has an odd number of coordinates (5)"),
        (lambda d: d.update(images={"a": 1}), "'images' must be a list, not dict"),
        # unhashable ids used to end in a TypeError traceback
        (lambda d: d["annotations"][0].update(image_id=[1]), "image_id [1] is not in 'images'"),
        (lambda d: d["annotations"][0].update(category_id={"id": 18}), "unknown category id {'id': 18}"),
        # two entries for one file used to become one item, the second silently skipped as "already held"
        (lambda d: d["images"].append(dict(d["images"][0], id=99)), "images 1 and 99 are the same file '000000.jpg'"),
        (lambda d: _keypoints(d, [10, 10, 2, 20, 20]), "annotation 1 on image 1 (000000.jpg): 'keypoints' holds 5"),
        (lambda d: _keypoints(d, [10, 10, 2, 20, 20, 2], drop_second=True), "'keypoints' must be a list of numbers"),
        (lambda d: d["images"].append(dict(d["images"][1], id=99, file_name="./north/000000.jpg")),
         "images 2 and 99 are the same file 'north/000000.jpg'"),
    ],
)
def test_other_bad_documents(tmp_path, change, expected, open_coco):
    fx = make_coco(tmp_path, 4, seed=3)
    doc = _doc(fx)
    change(doc)
    _write(fx, doc)
    with pytest.raises(InputError, match=None) as err:
        open_coco(fx.location)
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_bad_paths(tmp_path, open_coco):
    fx = make_coco(tmp_path / "ds", 2, seed=1)
    with pytest.raises(InputError, match="no such file"):
        open_coco(f"coco:{tmp_path / 'nope.json'}")
    with pytest.raises(InputError, match="--images .*: not a folder"):
        open_coco(fx.location, images=str(tmp_path / "nowhere"))
    with pytest.raises(InputError, match="not a COCO JSON file"):
        open_coco(f"coco:{next(fx.images_dir.rglob('*.jpg'))}")  # a JPEG given as the JSON
    with pytest.raises(InputError, match="needs one instances JSON file"):
        open_coco(f"coco:{tmp_path}")  # a folder without annotations/instances_*.json
    # images folder given but the file is not in it
    with pytest.raises(InputError, match=r"image 1 \(000000.jpg\): file not found") as err:
        open_coco(fx.location, images=str(tmp_path))
    assert "--images" not in str(err.value)
    # no --images and none of the usual folders: the message says where it looked and how to say where
    fx.images_dir.rename(tmp_path / "elsewhere")
    with pytest.raises(InputError) as err:
        open_coco(fx.location)
    assert str(err.value).endswith(f"(images are looked for in {fx.annotations.parent}; "
                                   "name their folder with --images DIR)")
