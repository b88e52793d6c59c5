"""The SDK download folder source (``sdk-folder:DIR``) on generated folders (real images and video)."""

from __future__ import annotations

import json

import pytest
from folders_gen import (
    MEDIA_ID_A,
    MEDIA_ID_B,
    make_sdk_folder,
    sdk_box,
    sdk_project_doc,
    sdk_scene,
    write_image,
    write_json,
)

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate_folders import SdkFolderSource


def read(location: str, **options):
    extra = options.pop("extra", {})
    with SdkFolderSource().open(location, RunOptions(extra=extra, **options)) as reader:
        return reader.project(), {i.key: i.resolve() for i in reader.items()}, reader.notes()


def boxes(item, frame=None):
    scene = next(s for s in item.scenes if s.frame == frame)
    return [(tuple(round(v, 6) for v in a.shape.bbox()), a.label_names) for a in scene.annotations]


@pytest.fixture(scope="module")
def pixel_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("sdk-pixels")
    return root, make_sdk_folder(root)


@pytest.fixture(scope="module")
def normalised_folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("sdk-sc1")
    return root, make_sdk_folder(root, normalised=True)


def test_project_pipeline_labels_and_datasets(pixel_folder):
    root, _ = pixel_folder
    project, _, _ = read(f"sdk-folder:{root}")
    assert project.name == "Pets"
    assert project.project_type == "detection_to_classification"
    assert project.connections == [("Dataset", "Detection"), ("Detection", "Crop"), ("Crop", "Classification")]
    cat = project.label("cat")
    assert (cat.parent, cat.group, cat.color) == ("pet", "species", "#00ff00ff")
    assert project.label("pet").hotkey == "ctrl+1"
    assert project.tasks[1].empty_label().name == "Nothing here"
    assert [(d.name, d.use_for_training) for d in project.datasets] == [("Dataset", True), ("Testing set 1", False)]


def test_media_names_datasets_and_boxes(pixel_folder):
    root, expected = pixel_folder
    _, items, _ = read(f"sdk-folder:{root}")
    assert sorted(items) == sorted(expected["keys"])
    for key, want in expected["boxes"].items():
        if want is None:
            assert items[key].scenes == []
        else:
            assert boxes(items[key]) == [(tuple(float(v) for v in b), labels) for b, labels in want]
    a, b = items[f"images/Dataset/twin_{MEDIA_ID_A}.jpg"], items[f"images/Testing set 1/twin_{MEDIA_ID_B}.jpg"]
    # the file name loses the suffix too: a cluster names an upload after its file name
    assert (a.media.name, a.media.filename, a.media.source_id, a.media.dataset) == (
        "twin", "twin.jpg", MEDIA_ID_A, "Dataset")
    assert (b.media.name, b.media.filename, b.media.source_id, b.media.dataset) == (
        "twin", "twin.jpg", MEDIA_ID_B, "Testing set 1")
    assert items["images/Dataset/alpha.jpg"].media.filename == "alpha.jpg"
    scene = items["images/Dataset/alpha.jpg"].scenes[0]
    assert scene.modified == "2024-05-01T10:00:00+00:00" and scene.kind == "annotation"
    assert scene.annotations[0].labels[0].source is None  # the old cluster's user/model ids do not leak
    assert scene.annotations[0].labels[0].probability == 1.0
    with items["images/Dataset/alpha.jpg"].open() as fh:
        assert fh.read() == (root / "images/Dataset/alpha.jpg").read_bytes()


def test_video_metadata_and_frame_scenes(pixel_folder):
    root, expected = pixel_folder
    _, items, _ = read(f"sdk-folder:{root}")
    video = items["videos/Dataset/clip.mp4"]
    m = video.media
    assert (m.kind, m.width, m.height, m.fps, m.frame_count) == ("video", 64, 48, 5.0, 10)
    assert m.duration == pytest.approx(2.0, abs=0.21)
    assert [s.frame for s in video.scenes] == sorted(expected["frames"])
    for frame, (box, labels) in expected["frames"].items():
        assert boxes(video, frame) == [(tuple(float(v) for v in box), labels)]


def test_notes_for_pixel_folder(pixel_folder):
    root, _ = pixel_folder
    _, _, notes = read(f"sdk-folder:{root}")
    text = "\n".join(notes)
    assert "normalised" not in text
    assert "2 media names carry the SDK's '_<media id>' suffix" in text
    assert "1 annotation files match no media and are ignored: deleted_image.json" in text
    assert "1 images have no annotation file" in text
    assert "models/ not read" in text


def test_sc1_backup_normalised_coordinates_are_detected_and_scaled(pixel_folder, normalised_folder):
    (root, expected), (pixels_root, _) = normalised_folder, pixel_folder
    _, items, notes = read(f"sdk-folder:{root}")
    assert any("normalised to [0, 1] (SC 1.x backup; detected" in n for n in notes)
    _, pixel_items, _ = read(f"sdk-folder:{pixels_root}")
    for key in expected["boxes"]:
        assert items[key].annotations_dict() == pixel_items[key].annotations_dict(), key
    video = items["videos/Dataset/clip.mp4"]
    for frame, (box, labels) in expected["frames"].items():
        assert boxes(video, frame) == [(tuple(float(v) for v in box), labels)]


def test_coordinates_option_overrides_detection(normalised_folder):
    root, _ = normalised_folder
    _, items, notes = read(f"sdk-folder:{root}", extra={"sdk-coordinates": "pixels"})
    assert not any("normalised" in n for n in notes)
    assert boxes(items["images/Testing set 1/none.jpg"]) == [((0.0, 0.0, 1.0, 1.0), ["Nothing here"])]
    with pytest.raises(InputError, match="--sdk-coordinates sideways"):
        read(f"sdk-folder:{root}", extra={"sdk-coordinates": "sideways"})


def small_folder(root, scene=None, project=None):
    from folders_gen import sdk_project_doc

    write_json(root / "project.json", project or sdk_project_doc())
    write_image(root / "images" / "Dataset" / "a.jpg", 20, 20)
    if scene is not None:
        write_json(root / "annotations" / "a.json", scene)
    return root


def test_unknown_label_names_file(tmp_path):
    small_folder(tmp_path, sdk_scene(sdk_box(1, 1, 5, 5, "pet", "horse")))
    with pytest.raises(InputError, match=r"a\.json: annotations\[0\]: label 'horse' is not a label of project\.json"):
        read(f"sdk-folder:{tmp_path}")


def test_malformed_annotation_json_names_file(tmp_path):
    small_folder(tmp_path)
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "a.json").write_text("{not json")
    with pytest.raises(InputError, match=r"a\.json: not valid JSON"):
        read(f"sdk-folder:{tmp_path}")


def test_bad_shape_names_file(tmp_path):
    small_folder(tmp_path, sdk_scene({"labels": [{"name": "pet"}], "shape": {"type": "CIRCLE", "x": 1}}))
    with pytest.raises(InputError, match=r"a\.json: annotations\[0\]\.shape"):
        read(f"sdk-folder:{tmp_path}")


def test_missing_or_broken_project_json(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(InputError, match="no project.json"):
        read(f"sdk-folder:{tmp_path}")
    (tmp_path / "project.json").write_text(json.dumps({"name": "x", "pipeline": {"tasks": "nope"}}))
    with pytest.raises(InputError, match=r"project\.json: expected \"pipeline\""):
        read(f"sdk-folder:{tmp_path}")


def test_same_name_in_two_datasets_without_suffix_is_an_error(tmp_path):
    small_folder(tmp_path)
    write_image(tmp_path / "images" / "Testing set 1" / "a.jpg", 20, 20)
    with pytest.raises(InputError, match=r"images/Dataset/a\.jpg and images/Testing set 1/a\.jpg have the same name"):
        read(f"sdk-folder:{tmp_path}")


def test_old_ids_and_anomaly_types_are_mapped(tmp_path):
    project = {"name": "Old", "pipeline": {
        "tasks": [{"id": "t0", "title": "Dataset", "task_type": "dataset"},
                  {"id": "t1", "title": "Anomaly", "task_type": "anomaly_classification", "labels": [
                      {"id": "l1", "name": "Normal"}, {"id": "l2", "name": "Anomalous", "is_anomalous": True}]}],
        "connections": [{"from": "t0", "to": "t1"}]}}
    small_folder(tmp_path, project=project)
    got, _, notes = read(f"sdk-folder:{tmp_path}")
    assert got.project_type == "anomaly" and got.connections == [("Dataset", "Anomaly")]
    assert got.label("Anomalous").is_anomalous
    assert any("anomaly_classification read as anomaly" in n for n in notes)


@pytest.mark.parametrize("change, where", [
    (lambda p: p.update(datasets=True), "project.json: datasets: expected a list, got bool"),
    (lambda p: p["pipeline"].update(connections=5), "project.json: pipeline.connections: expected a list, got int"),
    (lambda p: p["pipeline"]["tasks"][1].update(labels=1.5),
     r"project.json: pipeline.tasks\[1\].labels: expected a list"),
    (lambda p: p["pipeline"]["tasks"][1].update(keypoint_structure={"edges": 3}),
     r"pipeline.tasks\[1\].keypoint_structure.edges: expected a list, got int"),
])
def test_wrong_json_types_in_project_json_name_the_field(tmp_path, change, where):
    """These were TypeError tracebacks (found by fuzzing the files)."""
    project = sdk_project_doc()
    change(project)
    small_folder(tmp_path, project=project)
    with pytest.raises(InputError, match=where):
        read(f"sdk-folder:{tmp_path}")


def test_a_probability_that_is_not_a_number_names_the_file(tmp_path):
    small_folder(tmp_path, sdk_scene({"labels": [{"name": "pet", "probability": "high"}],
                                      "shape": {"type": "RECTANGLE", "x": 1, "y": 1, "width": 5, "height": 5}}))
    with pytest.raises(InputError, match=r"a\.json: annotations\[0\]: label 'pet': probability: expected a number"):
        read(f"sdk-folder:{tmp_path}")
