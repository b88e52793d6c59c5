"""Reading defects found on real fixtures, each on a dataset Datumaro itself writes."""

from __future__ import annotations

from dmdata import export

from scmigrate.testing import check_source_conformance


def _shapes(item, kind=None):
    return [a for s in item.scenes for a in s.annotations if kind is None or a.shape.type == kind]


def test_voc_image_level_labels_are_not_boxes(tmp_path, open_dm, read_all):
    """VOC's ImageSets/Main labels are image-level: dropped (and counted) for detection, not full-image boxes."""
    out = export(tmp_path, "voc", ("bbox", "label"))
    reader = open_dm(f"datumaro:voc:{out}", project_type="detection")
    items = read_all(reader)
    for it in items.values():
        (box,) = _shapes(it)  # the dog box only: no full-image box of an image-level label
        assert box.label_names == ["dog"] and (box.shape.width, box.shape.height) == (30, 28)
    notes = reader.notes()
    assert any("image-level labels: not objects, dropped for detection" in n for n in notes)
    assert any(n.startswith("image-level label (not an object): dropped: ") for n in notes)
    # a classification target keeps them, on the full image
    items = read_all(open_dm(f"datumaro:voc:{out}", project_type="classification"))
    it = items["JPEGImages/img0.jpg"]
    full = [a for a in _shapes(it) if (a.shape.width, a.shape.height) == (it.media.width, it.media.height)]
    assert [a.label_names for a in full] == [["dog"]]


def test_images_without_annotations_stay_unannotated(tmp_path, open_dm, read_all):
    """No annotation is "not annotated", as in every file source; --keep-empty is the engine's to apply."""
    from datumaro.components.annotation import Bbox
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage
    from PIL import Image

    src = tmp_path / "src"
    src.mkdir()
    items = []
    for i in range(3):
        Image.new("RGB", (64, 48), (40 * i, 80, 90)).save(src / f"p{i}.jpg")
        anns = [Bbox(2, 3, 10, 12, label=0)] if i == 0 else []
        items.append(DatasetItem(id=f"p{i}", media=DmImage.from_file(str(src / f"p{i}.jpg")), annotations=anns))
    Dataset.from_iterable(items, categories=["dog"]).export(str(tmp_path / "dm"), "datumaro", save_media=True)
    reader = open_dm(f"datumaro:{tmp_path / 'dm'}")
    got = read_all(reader)
    assert [len(got[f"images/default/p{i}.jpg"].scenes) for i in range(3)] == [1, 0, 0]
    assert any("without annotations stay unannotated" in n for n in reader.notes())
    check_source_conformance(open_dm(f"datumaro:{tmp_path / 'dm'}"))


def _classified(tmp_path, cats, labels, subsets=None):
    """A datumaro Dataset of one image per entry of ``labels`` (a label index each)."""
    from datumaro.components.annotation import AnnotationType, Label
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage
    from PIL import Image

    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    items = []
    for i, lid in enumerate(labels):
        Image.new("RGB", (64, 48), (20 * i, 80, 90)).save(src / f"p{i}.jpg")
        items.append(DatasetItem(id=f"p{i}", subset=subsets[i] if subsets else "default",
                                 media=DmImage.from_file(str(src / f"p{i}.jpg")), annotations=[Label(lid)]))
    return Dataset.from_iterable(items, categories={AnnotationType.label: cats})


def test_imagenet_nested_label_folders_are_a_hierarchy(tmp_path, open_dm, read_all):
    from datumaro.components.annotation import LabelCategories

    cats = LabelCategories()
    cats.add("label_0")
    cats.add("label_1")
    cats.add("label_1/label_1_1", parent="label_1")
    _classified(tmp_path, cats, [0, 1, 2]).export(str(tmp_path / "inet"), "imagenet", save_media=True)
    assert (tmp_path / "inet" / "label_1" / "label_1_1" / "p2.jpg").is_file()  # Datumaro nests the folder
    reader = open_dm(f"datumaro:{tmp_path / 'inet'}")
    (task,) = reader.project().trainable_tasks
    assert [(lb.name, lb.parent, lb.group) for lb in task.labels] == [
        ("label_0", None, "Classification"), ("label_1", None, "Classification"),
        ("label_1/label_1_1", "label_1", "label_1")]  # the children of label_1 are a group of their own
    items = read_all(reader)
    assert [a.label_names for s in items["label_1/label_1_1/p2.jpg"].scenes for a in s.annotations] == [
        ["label_1/label_1_1"]]


def test_imagenet_with_subsets_keeps_every_label(tmp_path, open_dm, read_all):
    """Datumaro's own importer refuses subsets whose labels differ, which is what its exporter writes."""
    from datumaro.components.annotation import LabelCategories

    cats = LabelCategories.from_iterable([f"l{i}" for i in range(9)])
    subsets = ["train"] * 6 + ["val"] * 3
    _classified(tmp_path, cats, list(range(9)), subsets).export(
        str(tmp_path / "inet"), "imagenet_with_subset_dirs", save_media=True)
    reader = open_dm(f"datumaro:{tmp_path / 'inet'}")
    (task,) = reader.project().trainable_tasks
    assert sorted(lb.name for lb in task.labels) == [f"l{i}" for i in range(9)]
    items = read_all(reader)
    assert len(items) == 9 and {it.media.dataset for it in items.values()} == {"train", "val"}
    for key, it in items.items():
        assert [a.label_names for s in it.scenes for a in s.annotations] == [[key.split("/")[1]]]


def test_datumaro_label_groups_become_the_project_groups(tmp_path, open_dm):
    from datumaro.components.annotation import GroupType, LabelCategories

    cats = LabelCategories.from_iterable(["red", "green", "shiny", "wet", "other"])
    cats.add_label_group("colour", ["red", "green"], GroupType.EXCLUSIVE)
    cats.add_label_group("flags", ["shiny", "wet"], GroupType.INCLUSIVE)
    _classified(tmp_path, cats, [0, 1, 2, 3, 4]).export(str(tmp_path / "dm"), "datumaro", save_media=True)
    (task,) = open_dm(f"datumaro:{tmp_path / 'dm'}").project().trainable_tasks
    assert {lb.name: lb.group for lb in task.labels} == {
        "red": "colour", "green": "colour", "shiny": "shiny", "wet": "wet", "other": "Classification"}


def test_datumaro_warnings_are_notes_not_stderr_lines(tmp_path, capsys):
    """Datumaro's "coco" export writes several annotation kinds; importing them, Datumaro warns of
    conflicting sources. Under -q nothing reaches stderr; the warning is a source note."""
    import json

    import pytest

    from scmigrate.cli import main

    out = export(tmp_path, "coco", ("bbox",))
    assert len(list((out / "annotations").glob("*.json"))) > 2  # instances, labels, person_keypoints, ...
    capsys.readouterr()
    report = tmp_path / "r.json"
    with pytest.raises(SystemExit) as ex:
        main(["-q", "run", "--from", f"datumaro:{out}", "--to", str(tmp_path / "x.scz"), "--report", str(report)])
    err = capsys.readouterr().err
    assert ex.value.code == 0 and err == "", err
    notes = json.loads(report.read_text())["source_notes"]
    assert any(n.startswith("Datumaro: ") and "conflicting" in n for n in notes)


def test_a_format_whose_module_is_missing_is_named(tmp_path, open_dm, monkeypatch):
    """A missing optional module (protobuf's ``google`` for AVA) is named with its format and the fix."""
    import sys

    import pytest

    from scmigrate.errors import InputError

    for name in [m for m in sys.modules if m.startswith("datumaro.plugins.data_formats.ava")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "google", None)  # what an environment without protobuf gives
    (tmp_path / "boxes.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError) as err:
        open_dm(f"datumaro:ava:{tmp_path}")
    assert str(err.value).endswith("Datumaro's format ava needs the Python module 'google': pip install protobuf")
    with pytest.raises(InputError) as err:  # detection carries on without it: here it finds a table, not images
        open_dm(f"datumaro:{tmp_path}")
    msg = str(err.value)
    assert "No module named" not in msg and "as tabular" in msg, msg
    (tmp_path / "boxes.csv").unlink()
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="Datumaro detected no format it knows"):
        open_dm(f"datumaro:{tmp_path}")


def test_a_video_is_refused_in_one_line(tmp_path, capsys):
    import pytest

    from scmigrate.cli import main
    from scmigrate.testing import video_bytes

    (tmp_path / "clip.mp4").write_bytes(video_bytes())
    with pytest.raises(SystemExit) as ex:
        main(["run", "--from", f"datumaro:video_frames:{tmp_path / 'clip.mp4'}", "--to", str(tmp_path / "x.scz")])
    err = capsys.readouterr().err.strip().splitlines()
    assert ex.value.code == 2 and len(err) == 1, err
    assert "is a frame of the video" in err[0] and "datumaro: reads images, not videos" in err[0]
    assert "not a readable image" not in err[0]


def test_cvat_for_video_is_refused_in_one_line(tmp_path, capsys):
    """Tracks written by Datumaro's CVAT exporter (use_track), with the frame images CVAT's own export holds."""
    import logging

    import pytest
    from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage
    from PIL import Image

    from scmigrate.cli import main

    out = tmp_path / "cvat"
    (out / "images").mkdir(parents=True)
    items = []
    for f in range(3):
        frame = out / "images" / f"frame_{f:06d}.png"
        Image.new("RGB", (64, 48), (40 * f, 80, 90)).save(frame)
        box = Bbox(2 + 3 * f, 3, 10, 12, label=0, attributes={"track_id": 7, "keyframe": True})
        items.append(DatasetItem(id=frame.stem, media=DmImage.from_file(str(frame)), attributes={"frame": f},
                                 annotations=[box]))
    logging.disable(logging.WARNING)
    try:
        Dataset.from_iterable(items, categories={AnnotationType.label: LabelCategories.from_iterable(["car"])}
                              ).export(str(out), "cvat", save_media=False, use_track=True)
    finally:
        logging.disable(logging.NOTSET)
    assert "<track " in (out / "default.xml").read_text()
    for location in (f"datumaro:cvat:{out}", f"datumaro:{out}"):  # named, and detected
        with pytest.raises(SystemExit) as ex:
            main(["run", "--from", location, "--to", str(tmp_path / "x.scz")])
        err = capsys.readouterr().err.strip().splitlines()
        assert ex.value.code == 2 and len(err) == 1, err
        assert err[0] == (f"error: {location}: CVAT for video (1 track(s)): datumaro: reads images, not videos "
                          "(export the task from CVAT as 'CVAT for images', each frame an image)"), err
    assert not (tmp_path / "x.scz").exists()


def test_an_image_whose_only_object_cannot_be_converted_stays_unannotated(tmp_path, open_dm, read_all, capsys):
    """CVAT image with only a points shape, read for detection: not a reviewed "no objects" image."""
    import json

    import pytest
    from datumaro.components.annotation import Bbox, Points
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage
    from PIL import Image

    from scmigrate.cli import main

    src = tmp_path / "src"
    src.mkdir()
    items = []
    for i, anns in enumerate([[Bbox(2, 3, 10, 12, label=0)], [Points([5, 6, 20, 21], label=0)]]):
        Image.new("RGB", (64, 48), (40 * i, 80, 90)).save(src / f"p{i}.jpg")
        items.append(DatasetItem(id=f"p{i}", media=DmImage.from_file(str(src / f"p{i}.jpg")), annotations=anns))
    Dataset.from_iterable(items, categories=["dog"]).export(str(tmp_path / "cvat"), "cvat", save_media=True)
    reader = open_dm(f"datumaro:cvat:{tmp_path / 'cvat'}", project_type="detection")
    got = read_all(reader)
    assert got["images/p1.jpg"].scenes == [] and len(got["images/p0.jpg"].scenes) == 1
    assert "points (keypoints): not used by detection: dropped: 1" in reader.notes()
    target = tmp_path / "x.scz"
    with pytest.raises(SystemExit) as ex:
        main(["-q", "run", "--from", f"datumaro:cvat:{tmp_path / 'cvat'}", "--to", str(target),
              "--project-type", "detection"])
    assert ex.value.code == 0, capsys.readouterr().err
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main(["inspect", str(target), "--json"])
    media = json.loads(capsys.readouterr().out)["media"]
    assert (media["annotated"], media["annotated_empty"], media["unannotated"]) == (1, 0, 1)


def test_coco_person_keypoints_give_a_keypoint_task_a_cluster_accepts(tmp_path):
    """Each person's box is its skeleton's box, and "person" only carries the skeleton: the task's
    labels are the points, each with a position (a cluster refuses a keypoint label without one)."""
    from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories, Points, PointsCategories
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage
    from PIL import Image

    from scmigrate.api import RunOptions
    from scmigrate_datumaro import CocoSource

    src = tmp_path / "src"
    src.mkdir()
    items = []
    for i in range(2):
        Image.new("RGB", (64, 48), (40 * i, 80, 90)).save(src / f"p{i}.jpg")
        items.append(DatasetItem(id=f"p{i}", subset="val", media=DmImage.from_file(str(src / f"p{i}.jpg")),
                                 annotations=[Points([5, 6, 20, 21, 30, 8], [2, 2, 1], label=0, group=1, id=1 + 2 * i),
                                              Bbox(4, 5, 30, 20, label=0, group=1, id=2 + 2 * i)]))
    points = PointsCategories()
    points.add(0, ["nose", "left eye", "right eye"], joints=[[1, 2], [1, 3]])
    cats = {AnnotationType.label: LabelCategories.from_iterable(["person"]), AnnotationType.points: points}
    Dataset.from_iterable(items, categories=cats).export(str(tmp_path / "coco"), "coco_person_keypoints",
                                                         save_media=True)
    reader = CocoSource().open(f"coco:{tmp_path / 'coco' / 'annotations' / 'person_keypoints_val.json'}",
                               RunOptions(extra={"images": str(tmp_path / "coco" / "images" / "val")}))
    (task,) = reader.project().trainable_tasks
    assert task.task_type == "keypoint_detection"
    assert [lb.name for lb in task.labels] == ["nose", "left eye", "right eye"]
    assert {p["label"] for p in task.keypoint_structure["positions"]} == {lb.name for lb in task.labels}
    item = next(iter(reader.items())).resolve()
    assert [a.shape.type for s in item.scenes for a in s.annotations] == ["KEYPOINT"] * 3
    assert not any("refuses" in n for n in reader.notes())


def test_coco_exported_to_voc_by_datumaro_keeps_every_object(tmp_path, open_dm, read_all):
    """Boxes, polygons and crowd masks of a COCO set, written as VOC by Datumaro: each object once
    (a region's own box is matched by its extent, not by Datumaro's group numbers), no box lost."""
    from datumaro.components.dataset import Dataset

    from scmigrate.testing.coco import make_coco

    fx = make_coco(tmp_path / "coco", 12, seed=5)
    ds = Dataset.import_from(str(fx.root), "coco_instances")
    regions = [(it.id, a.group) for it in ds for a in it.annotations if a.type.name in ("polygon", "mask")]
    boxes_only = sum(1 for it in ds for a in it.annotations
                     if a.type.name == "bbox" and (it.id, a.group) not in regions)
    crowd = sum(1 for it in ds for a in it.annotations if a.type.name == "mask")
    objects = len(set(regions)) + boxes_only
    assert crowd >= 2 and objects > 20
    ds.export(str(tmp_path / "voc"), "voc", save_media=True)  # VOC: a box per object, masks for the crowd
    reader = open_dm(f"datumaro:voc:{tmp_path / 'voc'}", project_type="detection")
    items = read_all(reader)
    rects = [a for it in items.values() for s in it.scenes for a in s.annotations if a.shape.type == "RECTANGLE"]
    assert len(rects) == objects - crowd  # the crowd objects travel as their masks' polygons
    assert "box of a polygon/mask/skeleton of the same object: not repeated: 2" in reader.notes()
    crowd_notes = [int(n.rsplit(": ", 1)[1]) for n in reader.notes() if n.startswith("iscrowd region kept")]
    assert sum(crowd_notes) <= crowd  # VOC's is_crowd "False" (text) is not a crowd
