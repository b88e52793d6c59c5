"""The classification folder source (``folders:DIR``) on generated folder trees."""

from __future__ import annotations

import pytest
from folders_gen import make_class_tree, write_image

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate_folders import ClassFoldersSource


def read(location: str, **options):
    with ClassFoldersSource().open(location, RunOptions(**options)) as reader:
        return reader.project(), {i.key: i.resolve() for i in reader.items()}, reader.notes()


def test_claims_only_its_scheme():
    assert ClassFoldersSource.claims("folders:/x") and not ClassFoldersSource.claims("vitens:/x")


def test_hierarchy_groups_and_parents(tmp_path):
    expected = make_class_tree(tmp_path)
    project, _, _ = read(f"folders:{tmp_path}")
    assert project.project_type == "classification"
    assert project.name == tmp_path.name
    got = {lb.name: (lb.parent, lb.group) for lb in project.labels()}
    assert got == expected["labels"]


def test_each_image_gets_its_leaf_label_on_the_full_image_box(tmp_path):
    expected = make_class_tree(tmp_path)
    _, items, _ = read(f"folders:{tmp_path}")
    assert sorted(items) == sorted(expected["images"])
    for key, (label, w, h) in expected["images"].items():
        item = items[key]
        assert (item.media.width, item.media.height) == (w, h)
        if label is None:
            assert item.scenes == []
            continue
        (scene,) = item.scenes
        (ann,) = scene.annotations
        assert ann.label_names == [label]
        assert ann.shape.to_dict() == {"type": "RECTANGLE", "x": 0, "y": 0, "width": w, "height": h}
        with item.open() as fh:
            assert fh.read() == (tmp_path / key).read_bytes()


def test_notes_name_loose_images_ignored_files_and_empty_classes(tmp_path):
    make_class_tree(tmp_path)
    _, _, notes = read(f"folders:{tmp_path}")
    text = "\n".join(notes)
    assert "5 classes (3 top-level, hierarchy 2 levels deep)" in text
    assert "1 images at the top of the folder have no class" in text and "loose.jpg" in text
    assert "1 class folders hold no image at all: plant" in text
    assert "1 files are not images and are ignored: vehicle/README.txt" in text


def test_same_name_in_two_branches_is_an_error(tmp_path):
    write_image(tmp_path / "car" / "red" / "1.jpg", 10, 10)
    write_image(tmp_path / "shirt" / "red" / "2.jpg", 10, 10)
    with pytest.raises(InputError, match=r"car/red/ and shirt/red/ would both be label 'red'"):
        read(f"folders:{tmp_path}")


def test_folder_without_images_is_an_error(tmp_path):
    (tmp_path / "cat").mkdir()
    with pytest.raises(InputError, match="no images found"):
        read(f"folders:{tmp_path}")


def test_project_option_names_the_project(tmp_path):
    write_image(tmp_path / "a" / "1.jpg", 10, 10)
    write_image(tmp_path / "b" / "2.jpg", 10, 10)
    project, items, _ = read(f"folders:{tmp_path}", project="Flat")
    assert project.name == "Flat" and len(items) == 2
    assert {lb.group for lb in project.labels()} == {"Classes"}


def test_repeated_file_names_get_their_folder_in_the_name(tmp_path):
    write_image(tmp_path / "cat" / "1.jpg", 32, 32, 1)
    write_image(tmp_path / "dog" / "1.jpg", 32, 32, 2)
    write_image(tmp_path / "dog" / "2.jpg", 32, 32, 3)
    write_image(tmp_path / "1.png", 32, 32, 4)  # at the top: keeps its name
    _, items, _ = read(f"folders:{tmp_path}")
    got = {k: (it.media.name, it.media.filename) for k, it in items.items()}
    # keys were unique already; names are what a cluster shows, and "1" three times tells nothing
    assert got == {"cat/1.jpg": ("cat_1", "cat_1.jpg"), "dog/1.jpg": ("dog_1", "dog_1.jpg"),
                   "dog/2.jpg": ("2", "2.jpg"), "1.png": ("1", "1.png")}
