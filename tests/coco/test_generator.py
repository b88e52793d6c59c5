"""The COCO test-data generator: deterministic, real images, ground truth that matches the pixels."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from PIL import Image

from scmigrate.testing.coco import BROKEN_CASES, CATEGORIES, main, make_coco


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = make_coco(tmp_path / "a", 12, seed=5)
    b = make_coco(tmp_path / "b", 12, seed=5)
    c = make_coco(tmp_path / "c", 12, seed=6)
    assert _digest(a.root) == _digest(b.root)
    assert _digest(a.root) != _digest(c.root)


def test_images_are_real_and_distinct(tmp_path):
    fx = make_coco(tmp_path, 24, seed=1)
    digests = set()
    for im in fx.images:
        with Image.open(im.path) as pil:
            assert pil.format == im.format
            assert pil.size == (im.width, im.height)
        digests.add(hashlib.sha256(im.path.read_bytes()).hexdigest())
    assert len(digests) == 24
    assert {im.format for im in fx.images} == {"JPEG", "PNG"}
    # equal file names in different folders
    names = [Path(im.file_name).name for im in fx.images]
    assert len(set(names)) < len(names)
    assert len({im.key for im in fx.images}) == 24
    assert any(not im.objects for im in fx.images)


def test_json_matches_ground_truth_and_pixels(tmp_path):
    fx = make_coco(tmp_path, 16, seed=2)
    doc = json.loads(fx.annotations.read_text())
    assert {c["name"]: c["id"] for c in doc["categories"]} == fx.categories
    anns = {a["id"]: a for a in doc["annotations"]}
    kinds = set()
    for im in fx.images:
        pil = Image.open(im.path).convert("RGB")
        for o in im.objects:
            a = anns[o.ann_id]
            kinds.add(o.kind)
            assert a["image_id"] == im.image_id and a["iscrowd"] == int(o.iscrowd)
            assert a["bbox"] == pytest.approx(list(o.bbox))
            if o.kind == "polygon":
                assert a["segmentation"][0] == [v for p in o.polygon for v in p]
                # the polygon's centre (cell centre) is painted in the category's colour
                x, y, w, h = o.bbox
                xs = [p[0] for p in o.polygon]
                ys = [p[1] for p in o.polygon]
                cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
                px = pil.getpixel((int(cx), int(cy)))
                want = CATEGORIES[o.category][1]
                assert all(abs(p - q) < 40 for p, q in zip(px, want, strict=False)), (im.key, o, px)
            elif o.kind == "rle":
                from pycocotools import mask as mask_utils

                seg = a["segmentation"]
                rle = mask_utils.frPyObjects(seg, *seg["size"]) if isinstance(seg["counts"], list) else seg
                assert float(mask_utils.area(rle)) == o.area
            elif o.kind == "box":
                assert a["segmentation"] == []
    assert kinds == {"polygon", "rle", "box"}


@pytest.mark.parametrize("case", BROKEN_CASES)
def test_broken_cases_are_broken(tmp_path, case):
    fx = make_coco(tmp_path, 4, seed=3, broken=case)
    text = fx.annotations.read_text()
    if case == "not_json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        assert fx.detail["line"] > 1
        return
    doc = json.loads(text)
    if case.startswith("missing_") and case != "missing_image_file":
        assert fx.detail["key"] not in doc
    elif case == "missing_image_file":
        assert not (fx.images_dir / fx.detail["file_name"]).exists()
    else:
        assert doc["annotations"][-1]["id"] == fx.detail["annotation_id"]


def test_command_line(tmp_path, capsys):
    assert main([str(tmp_path), "--images", "5", "--seed", "9", "--size", "64x48"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["images"] == 5 and Path(out["annotations"]).is_file()
