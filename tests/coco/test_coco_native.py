"""A plain COCO file (boxes and polygons) is read without Datumaro, to exactly what Datumaro reads.

Each case is read twice from the same files: by the source as a user runs it (the native path for
a plain file) and with the native path refused, so that Datumaro's extractor reads it. Project,
notes, media and scenes must be equal, with the float32 rounding and the box corners included.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from scmigrate.api import RunOptions
from scmigrate.testing.coco import make_coco


def _read(location: str, images: str | None, **kw) -> dict:
    from scmigrate_datumaro import CocoSource

    reader = CocoSource().open(location, RunOptions(extra={"images": images} if images else {}, **kw))
    items = {it.key: it.resolve() for it in reader.items()}
    return {
        "project": reader.project().to_dict(),
        "items": {k: (it.media.to_dict(), it.annotations_dict()) for k, it in items.items()},
        "notes": reader.notes(),  # after reading: they hold the mapping's counts
        "size": reader.size_hint(),
    }


def _both(monkeypatch, location: str, images: str | None = None, **kw) -> tuple[dict, dict]:
    from scmigrate_datumaro import sources

    native = _read(location, images, **kw)
    with monkeypatch.context() as m:
        m.setattr(sources, "plain", lambda *a: False)  # Datumaro's extractor, as for any other file
        via_datumaro = _read(location, images, **kw)
    return native, via_datumaro


def _awkward(tmp_path: Path) -> Path:
    """Numbers float32 cannot hold, objects of several polygons, a box and its own polygon,
    categories out of id order with supercategories, scores, attributes, an empty image."""
    img = tmp_path / "img"
    img.mkdir()
    for name, size in (("a.jpg", (200, 150)), ("b.png", (90, 120)), ("c.jpg", (64, 64))):
        Image.new("RGB", size, (40, 90, 200)).save(img / name)
    doc = {
        "images": [{"id": 7, "file_name": "a.jpg", "width": 200, "height": 150},
                   {"id": 3, "file_name": "b.png", "width": 90, "height": 120},
                   {"id": 5, "file_name": "c.jpg"}],
        "categories": [{"id": 9, "name": "dog", "supercategory": "animal"},
                       {"id": 2, "name": "animal"}, {"id": 4, "name": "cat", "supercategory": "pets"}],
        "annotations": [
            {"id": 11, "image_id": 7, "category_id": 9, "iscrowd": 0, "bbox": [10.3, 20.1, 30.7, 40.33],
             "segmentation": [[10.3, 20.1, 41.0, 20.1, 41.0, 60.43, 10.3, 60.43]], "score": 0.25},
            {"id": 4, "image_id": 7, "category_id": 4, "iscrowd": 0, "bbox": [100.005, 0.1, 50.115, 22.2],
             "segmentation": [], "attributes": {"occluded": True}},
            {"id": 12, "image_id": 7, "category_id": 2, "iscrowd": 0, "bbox": [1, 2, 3, 4],
             "segmentation": [[150.1, 10.2, 160.3, 10.2, 155.7, 30.9], [170, 40, 180, 40, 175, 49.99]]},
            {"id": 2, "image_id": 3, "category_id": 9, "iscrowd": 0, "bbox": [0, 0, 90, 120],
             "segmentation": [[]]},
            {"id": 1, "image_id": 3, "category_id": 4, "iscrowd": 0, "bbox": [],
             "segmentation": [[1.111, 2.222, 33.333, 2.222, 33.333, 44.444]]},
        ],
    }
    path = tmp_path / "instances_default.json"
    path.write_text(json.dumps(doc))
    return path


def test_awkward_numbers_and_objects_read_as_datumaro_reads_them(tmp_path, monkeypatch):
    path = _awkward(tmp_path)
    native, via_datumaro = _both(monkeypatch, f"coco:{path}", str(tmp_path / "img"))
    assert native == via_datumaro
    assert len(native["items"]) == 3 and native["items"]["a.jpg"][1]["scenes"]


@pytest.mark.parametrize("project_type", [None, "detection"])
def test_generated_datasets_read_as_datumaro_reads_them(tmp_path, monkeypatch, project_type):
    fx = make_coco(tmp_path, 24, seed=5, crowd=False)
    native, via_datumaro = _both(monkeypatch, fx.location, project_type=project_type)
    assert native == via_datumaro
    assert sum(bool(anns["scenes"]) for _, anns in native["items"].values()) > 10


def test_a_plain_file_is_read_without_importing_datumaro(tmp_path):
    fx = make_coco(tmp_path, 6, seed=2, crowd=False)
    code = ("import sys; from scmigrate.api import RunOptions; from scmigrate_datumaro import CocoSource; "
            f"r = CocoSource().open({fx.location!r}, RunOptions()); [it.resolve() for it in r.items()]; "
            "print('datumaro' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_rle_masks_still_go_through_datumaro(tmp_path):
    fx = make_coco(tmp_path, 12, seed=3, crowd=True)
    code = ("import sys; from scmigrate.api import RunOptions; from scmigrate_datumaro import CocoSource; "
            f"r = CocoSource().open({fx.location!r}, RunOptions()); print('datumaro' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
