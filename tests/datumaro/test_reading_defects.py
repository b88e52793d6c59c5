"""Reading defects found on real fixtures, each on a dataset Datumaro itself writes."""

from __future__ import annotations


from scmigrate.testing import check_source_conformance

from dmdata import export


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
