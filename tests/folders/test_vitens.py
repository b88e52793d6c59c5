"""The Vitens / NOUS folder source on generated folders (real images)."""

from __future__ import annotations

import shutil

import pytest
from folders_gen import make_vitens, vitens_doc, vitens_point, write_image, write_json

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate_folders import VitensSource


def read(location: str, **options):
    with VitensSource().open(location, RunOptions(**options)) as reader:
        project = reader.project()
        items = {item.key: item.resolve() for item in reader.items()}
        return project, items, reader.notes()


def shapes(item):
    (scene,) = item.scenes
    out = []
    for ann in scene.annotations:
        s = ann.shape
        out.append((s.type, s.points if s.type == "POLYGON" else (s.x, s.y, s.width, s.height)))
    return out


def test_claims_only_its_scheme():
    assert VitensSource.claims("vitens:/data/x")
    assert not VitensSource.claims("folders:/data/x")
    assert not VitensSource.claims("/data/vitens.scz")


def test_reads_shapes_labels_and_media(tmp_path):
    expected = make_vitens(tmp_path)
    project, items, _ = read(f"vitens:{tmp_path}", project="Colonies")
    assert project.name == "Colonies"
    assert project.project_type == "segmentation"
    assert [lb.name for lb in project.labels()] == expected["labels"]
    assert sorted(items) == expected["keys"]
    assert shapes(items["images/plate_1.jpg"]) == expected["plate_1"]
    for ann in items["images/plate_1.jpg"].scenes[0].annotations:
        assert ann.label_names == (["debris"] if ann.shape.type == "POLYGON" else ["colony"])
    media = items["images/plate_1.jpg"].media
    assert (media.width, media.height, media.kind, media.name) == (200, 100, "image", "plate_1")
    with items["images/plate_1.jpg"].open() as fh:
        assert fh.read() == (tmp_path / "images" / "plate_1.jpg").read_bytes()


def test_normalised_file_is_scaled_and_noted_circles_stay_round(tmp_path):
    expected = make_vitens(tmp_path)
    _, items, notes = read(f"vitens:{tmp_path}")
    got = shapes(items["images/plate_1_b.png"])
    assert [g[0] for g in got] == [e[0] for e in expected["plate_1_b"]]
    for (_, g), (_, e) in zip(got, expected["plate_1_b"], strict=True):
        flat = lambda v: [c for p in v for c in (p if isinstance(p, tuple) else (p,))]  # noqa: E731
        assert flat(g) == pytest.approx(flat(e))
    line = next(n for n in notes if "normalised" in n)
    assert "1 of 4 annotation files" in line and "plate_1_b_x.json" in line


def test_awkward_cases_are_noted(tmp_path):
    make_vitens(tmp_path)
    _, items, notes = read(f"vitens:{tmp_path}")
    assert items["images/blank.jpg"].scenes == []  # no file: not annotated
    assert len(items["images/plate_2.jpg"].scenes) == 1  # a file without shapes: annotated as empty
    assert items["images/plate_2.jpg"].scenes[0].annotations == []
    text = "\n".join(notes)
    assert "1 images have no annotation file" in text and "blank.jpg" in text
    assert "several annotation files, merged" in text and "plate_1.jpg" in text
    assert "skipped 1 shape(s): unknown shape type 'line' (e.g. plate_1_countA.json)" in text
    assert "match no image" in text and "ghost_1.json" in text
    assert "images in images/, annotations in annotations/" in text


def test_strict_makes_unknown_shapes_an_error(tmp_path):
    make_vitens(tmp_path)
    with pytest.raises(InputError, match=r"plate_1_countA\.json: data\[1\]\.shapes\[1\]: unknown shape type 'line'"):
        read(f"vitens:{tmp_path}", strict=True)


def test_malformed_json_names_the_file(tmp_path):
    write_image(tmp_path / "images" / "a.jpg", 20, 20)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "a_1.json").write_text('{"data": [')
    with pytest.raises(InputError, match=r"a_1\.json: not valid JSON"):
        read(f"vitens:{tmp_path}")


@pytest.mark.parametrize("doc, message", [
    ({"shapes": []}, r'expected an object with a "data" list'),
    ({"data": [{"shapes": [{"type": "point", "geometry": {}}], "labels": [{"name": "c"}]}]}, r"geometry"),
    ({"data": [{"shapes": [vitens_point("1", 2, 3)], "labels": [{"name": "c"}]}]}, r"expected a number"),
    ({"data": [{"shapes": [], "labels": [{"nom": "c"}]}]}, r'every label needs a "name"'),
])
def test_wrong_structure_names_file_and_entry(tmp_path, doc, message):
    write_image(tmp_path / "images" / "a.jpg", 20, 20)
    write_json(tmp_path / "annotations" / "a_1.json", doc)
    with pytest.raises(InputError, match=r"a_1\.json.*" + message):
        read(f"vitens:{tmp_path}")


def test_flat_layout_and_exact_stem(tmp_path):
    write_image(tmp_path / "a.jpg", 30, 30)
    write_json(tmp_path / "a.json", vitens_doc(([vitens_point(10, 10, 2)], ["c"])))
    _, items, notes = read(f"vitens:{tmp_path}")
    assert shapes(items["a.jpg"]) == [("ELLIPSE", (8.0, 8.0, 4.0, 4.0))]
    assert "images in ./, annotations in ./" in notes[0]


def test_named_folders_win_over_other_folders(tmp_path):
    make_vitens(tmp_path)
    write_image(tmp_path / "thumbnails" / "t.jpg", 10, 10)
    _, items, _ = read(f"vitens:{tmp_path}")
    assert all(k.startswith("images/") for k in items)


def test_ambiguous_layout_is_an_error(tmp_path):
    write_image(tmp_path / "set1" / "a.jpg", 10, 10)
    write_image(tmp_path / "set2" / "b.jpg", 10, 10)
    with pytest.raises(InputError, match=r"image files in several folders \(set1, set2\)"):
        read(f"vitens:{tmp_path}")


def test_points_without_radius_and_unlabelled_shapes_are_skipped(tmp_path):
    write_image(tmp_path / "images" / "a.jpg", 50, 50)
    write_json(tmp_path / "annotations" / "a_1.json", {"data": [
        {"shapes": [{"type": "point", "geometry": {"points": [{"x": 5, "y": 5}]}}], "labels": [{"name": "c"}]},
        {"shapes": [vitens_point(20, 20, 3)], "labels": []},
        {"shapes": [vitens_point(30, 30, 3)], "labels": [{"name": "c"}]},
    ]})
    _, items, notes = read(f"vitens:{tmp_path}")
    assert shapes(items["images/a.jpg"]) == [("ELLIPSE", (27.0, 27.0, 6.0, 6.0))]
    text = "\n".join(notes)
    assert "point without exactly one centre and a radius r" in text and "shape without a label" in text


def test_no_annotation_folder_means_all_unannotated(tmp_path):
    write_image(tmp_path / "images" / "a.jpg", 10, 10)
    project, items, notes = read(f"vitens:{tmp_path}")
    assert items["images/a.jpg"].scenes == [] and project.labels() == []
    assert "annotations in (none)" in notes[0]


def test_bad_locations(tmp_path):
    with pytest.raises(InputError, match="no such directory"):
        VitensSource().open(f"vitens:{tmp_path / 'missing'}", RunOptions())
    (tmp_path / "f.txt").write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        VitensSource().open(f"vitens:{tmp_path / 'f.txt'}", RunOptions())
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no images found"):
        VitensSource().open(f"vitens:{tmp_path / 'empty'}", RunOptions())


def test_corrupt_image_names_the_file(tmp_path):
    make_vitens(tmp_path)
    (tmp_path / "images" / "plate_2.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(InputError, match=r"plate_2\.jpg: not a readable image"):
        read(f"vitens:{tmp_path}")


def test_reading_twice_gives_the_same_items(tmp_path):
    make_vitens(tmp_path)
    first = read(f"vitens:{tmp_path}")[1]
    copy = tmp_path.parent / (tmp_path.name + "-copy")
    shutil.copytree(tmp_path, copy)
    second = read(f"vitens:{copy}")[1]
    assert {k: v.annotations_dict() for k, v in first.items()} == {k: v.annotations_dict() for k, v in second.items()}
