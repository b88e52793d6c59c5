"""In-memory media, multi-label classification, and datumaro: through ``scmigrate run``."""

from __future__ import annotations

import io
import json
import logging

import numpy as np
import pytest
from dmdata import export
from PIL import Image

from scmigrate.cli import main
from scmigrate.testing import check_source_conformance


def test_pixels_without_a_file_become_lossless_png(tmp_path, open_dm, read_all):
    """CIFAR keeps pixels in its batches, not files: the only faithful bytes are a lossless PNG."""
    from datumaro.components.annotation import Label
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage

    rng = np.random.default_rng(7)
    pixels = [rng.integers(0, 255, (32, 32, 3), dtype=np.uint8) for _ in range(3)]  # BGR, as Datumaro holds them
    items = [DatasetItem(id=f"img{i}", subset="train", media=DmImage.from_numpy(p), annotations=[Label(i % 2)])
             for i, p in enumerate(pixels)]
    logging.disable(logging.WARNING)
    try:
        Dataset.from_iterable(items, categories=["dog", "cat"]).export(str(tmp_path / "cifar"), "cifar",
                                                                       save_media=True)
    finally:
        logging.disable(logging.NOTSET)
    reader = open_dm(f"datumaro:cifar:{tmp_path / 'cifar'}")
    assert reader.project().trainable_tasks[0].task_type == "classification"
    got = read_all(reader)
    assert sorted(got) == ["train/img0.png", "train/img1.png", "train/img2.png"]
    for i, p in enumerate(pixels):
        it = got[f"train/img{i}.png"]
        data = it.open().read()
        assert it.media.size == len(data) and (it.media.width, it.media.height) == (32, 32)
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "PNG"
            assert np.array_equal(np.asarray(im.convert("RGB")), p[:, :, ::-1])
    check_source_conformance(open_dm(f"datumaro:cifar:{tmp_path / 'cifar'}"))


def test_several_labels_per_image_is_multi_label(tmp_path, open_dm, read_all):
    from datumaro.components.annotation import Label
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage

    src = tmp_path / "src"
    src.mkdir()
    items = []
    for i in range(3):
        Image.new("RGB", (40, 30), (10 * i, 80, 90)).save(src / f"p{i}.png")
        labels = [Label(0), Label(1)] if i == 0 else [Label(i % 2)]
        items.append(DatasetItem(id=f"p{i}", media=DmImage.from_file(str(src / f"p{i}.png")), annotations=labels))
    Dataset.from_iterable(items, categories=["dog", "car"]).export(str(tmp_path / "dm"), "datumaro", save_media=True)
    reader = open_dm(f"datumaro:{tmp_path / 'dm'}")
    (task,) = reader.project().trainable_tasks
    assert task.task_type == "classification"
    assert [(lb.name, lb.group) for lb in task.labels] == [("dog", "dog"), ("car", "car")]  # one group per label
    it = read_all(reader)["images/default/p0.png"]
    assert sorted(a.label_names[0] for s in it.scenes for a in s.annotations) == ["car", "dog"]


def test_run_voc_to_archive(tmp_path, capsys):
    out = export(tmp_path, "voc", ("bbox", "mask"))
    target = tmp_path / "voc.scz"
    with pytest.raises(SystemExit) as ex:
        main(["-q", "run", "--from", f"datumaro:{out}", "--to", str(target), "--project-type", "instance_segmentation"])
    assert ex.value.code == 0, capsys.readouterr().err
    capsys.readouterr()
    with pytest.raises(SystemExit) as ex:
        main(["inspect", str(target), "--json"])
    info = json.loads(capsys.readouterr().out)
    assert info["media"]["images"] == 4
    assert sorted(d["name"] for d in info["datasets"]) == ["train", "val"]
    counts = {lb["name"]: lb["annotations"] for t in info["tasks"] for lb in t["labels"]}
    # 4 dog boxes become 4-point polygons (no outline of their own); 2 car masks × 2 parts
    assert counts["dog"] == 4 and counts["car"] == 4


def test_run_undetectable_exits_2(tmp_path, capsys):
    (tmp_path / "readme.txt").write_text("no dataset here")
    with pytest.raises(SystemExit) as ex:
        main(["run", "--from", f"datumaro:{tmp_path}", "--to", str(tmp_path / "x.scz"), "--project-type", "detection"])
    err = capsys.readouterr().err.strip().splitlines()
    assert ex.value.code == 2 and len(err) == 1 and "Datumaro detected no format it knows" in err[0]


def test_dropped_shapes_in_dry_run_and_strict_fails(tmp_path, capsys):
    out = export(tmp_path, "datumaro", ("bbox", "polyline"))
    args = ["-q", "run", "--from", f"datumaro:{out}", "--to", str(tmp_path / "x.scz"), "--project-type", "detection"]
    with pytest.raises(SystemExit) as ex:
        main([*args, "--dry-run"])
    plan = capsys.readouterr().out
    assert ex.value.code == 0 and "note: 4 polyline annotations: no such shape on a cluster, dropped" in plan
    with pytest.raises(SystemExit) as ex:
        main([*args, "--strict"])
    err = capsys.readouterr().err.strip().splitlines()
    assert ex.value.code == 2
    assert err[-1].startswith("error: ") and "img" in err[-1]
    assert "would drop 1× polyline: no such shape on a cluster (--strict)" in err[-1]
    assert "Traceback" not in "\n".join(err)
    with pytest.raises(SystemExit) as ex:  # without --strict the polylines are left out, and counted
        main([*args[:5], str(tmp_path / "y.scz"), *args[6:], "--report", str(tmp_path / "r.json")])
    assert ex.value.code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "r.json").read_text())
    assert "polyline: no such shape on a cluster: dropped: 4" in report["source_notes"]


def test_an_item_read_twice_is_counted_once(tmp_path, open_dm):
    out = export(tmp_path, "datumaro", ("bbox", "polyline"))
    reader = open_dm(f"datumaro:{out}")
    items = list(reader.items())
    for it in items:
        it.resolve()
    again = list(reader.items())[0]  # what a retry after a failed write does: the same item read again
    again.resolve()
    assert "polyline: no such shape on a cluster: dropped: 4" in reader.notes()  # was 5


def test_run_and_inspect_agree(tmp_path, capsys):
    from census_check import run_and_inspect  # tests/census_check.py

    out = export(tmp_path, "datumaro", ("bbox", "polygon", "label"))
    counts = run_and_inspect(capsys, tmp_path, f"datumaro:datumaro:{out}")
    assert counts["images"] == 4
