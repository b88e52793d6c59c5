"""Annotations over HTTP (docs/rest-api.md §10): images, video frames, whole-video latest, range annotations."""

from __future__ import annotations

import pytest
from emulator_helpers import image_bytes


@pytest.fixture()
def detection(api):
    project = api.create_project("annotated detection", labels=[{"name": "cat"}, {"name": "dog"}])
    labels = {lab["name"]: lab["id"] for lab in project["pipeline"]["tasks"][1]["labels"]}
    image = api.upload(project, "scene.jpg", image_bytes(100, 80, "JPEG")).json()
    path = f"{api.dataset_path(project)}/media/images/{image['id']}/annotations"
    return project, labels, image, path


def test_post_and_get_latest_image_scene(api, detection):
    project, labels, image, path = detection
    assert api.get(path + "/latest").status_code == 204
    assert api.get(path + "/latest").content == b""
    body = {"annotations": [{"shape": {"type": "RECTANGLE", "x": 10.4, "y": 20, "width": 30.2, "height": 40},
                             "labels": [{"id": labels["cat"], "name": "cat", "probability": 1.0, "color": "#fff"}]}]}
    r = api.post(path, json=body)
    assert r.status_code == 200, r.text
    scene = r.json()
    assert scene["kind"] == "annotation" and scene["media_identifier"] == {"type": "image", "image_id": image["id"]}
    shape = scene["annotations"][0]["shape"]
    assert shape == {"type": "RECTANGLE", "x": 10, "y": 20, "width": 30, "height": 40}
    assert scene["annotations"][0]["labels"][0]["id"] == labels["cat"]
    assert scene["annotation_state_per_task"][0]["state"] == "annotated"
    latest = api.get(path + "/latest").json()
    assert latest["id"] == scene["id"] and latest["annotations"][0]["shape"] == shape
    assert "shape" not in api.get(path + "/latest?label_only=true").json()["annotations"][0]
    media = api.get(f"{api.dataset_path(project)}/media/images/{image['id']}").json()
    assert media["annotation_state_per_task"][0]["state"] == "annotated"
    # label filter and annotation-state filter of media:query see the new scene
    query = f"{api.dataset_path(project)}/media:query"
    hit = api.post(query, json={"rules": [{"field": "label_id", "operator": "equal", "value": labels["cat"]}]})
    miss = api.post(query, json={"rules": [{"field": "label_id", "operator": "equal", "value": labels["dog"]}]})
    assert [m["id"] for m in hit.json()["media"]] == [image["id"]] and miss.json()["media"] == []
    state = api.post(query, json={"rules": [{"field": "ANNOTATION_SCENE_STATE", "operator": "EQUAL",
                                             "value": "annotated"}]}).json()
    assert state["total_matched_images"] == 1


@pytest.mark.parametrize("annotation, fragment", [
    ({"shape": {"type": "RECTANGLE", "x": 90, "y": 0, "width": 20, "height": 10}, "labels": [{"id": "L:cat"}]},
     "extends outside the 100×80 image"),
    ({"shape": {"type": "POLYGON", "points": [{"x": 1, "y": 1}, {"x": 5, "y": 1}, {"x": 3, "y": 4}]},
      "labels": [{"id": "L:cat"}]}, "does not accept POLYGON shapes"),
    ({"shape": {"type": "RECTANGLE", "x": 1, "y": 1, "width": 5, "height": 5}, "labels": [{"id": "0" * 24}]},
     "does not exist in the project"),
    ({"shape": {"type": "RECTANGLE", "x": 1, "y": 1, "width": 5, "height": 5}, "labels": []},
     "should have at least 1 item"),
    ({"shape": {"type": "RECTANGLE", "x": 1, "y": 1, "width": 5, "height": 5},
      "labels": [{"id": "L:cat"}, {"id": "L:dog"}]}, "same exclusive group"),
])
def test_invalid_scenes_are_refused(api, detection, annotation, fragment):
    _, labels, _, path = detection
    for lab in annotation["labels"]:
        if lab["id"].startswith("L:"):
            lab["id"] = labels[lab["id"][2:]]
    r = api.post(path, json={"annotations": [annotation]})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "bad_request" and fragment in r.json()["message"]
    assert r.headers["content-type"] == "application/json"
    assert api.get(path + "/latest").status_code == 204  # nothing stored


def test_empty_object_refused_and_empty_list_clears(api, detection):
    _, labels, _, path = detection
    r = api.post(path, json={})
    assert r.status_code == 400 and "empty annotation data" in r.json()["message"]
    full = {"type": "RECTANGLE", "x": 0, "y": 0, "width": 100, "height": 80}
    assert api.post(path, json={"annotations": [{"shape": full, "labels": [{"id": labels["cat"]}]}]}).ok
    cleared = api.post(path, json={"annotations": []}).json()
    assert cleared["annotations"] == [] and api.get(path + "/latest").json()["annotations"] == []


def test_classification_upload_info_and_global_box(api):
    project = api.create_project("classes", "classification", labels=[{"name": "a"}, {"name": "b"}])
    ids = {lab["name"]: lab["id"] for lab in project["pipeline"]["tasks"][1]["labels"]}
    image = api.upload(project, "x.png", image_bytes(50, 40), upload_info=f'{{"label_ids": ["{ids["b"]}"]}}')
    assert image.status_code == 200, image.text
    path = f"{api.dataset_path(project)}/media/images/{image.json()['id']}/annotations"
    scene = api.get(path + "/latest").json()
    assert scene["annotations"][0]["shape"] == {"type": "RECTANGLE", "x": 0, "y": 0, "width": 50, "height": 40}
    assert [lab["id"] for lab in scene["annotations"][0]["labels"]] == [ids["b"]]
    partial = {"type": "RECTANGLE", "x": 0, "y": 0, "width": 20, "height": 40}
    assert api.post(path, json={"annotations": [{"shape": partial, "labels": [{"id": ids["a"]}]}]}).status_code == 400
    both = api.post(path, json={"annotations": [{"shape": scene["annotations"][0]["shape"],
                                                 "labels": [{"id": ids["a"]}, {"id": ids["b"]}]}]})
    assert both.status_code == 400  # one exclusive group
    bad = api.upload(project, "y.png", image_bytes(), upload_info='{"label_ids": ["' + "f" * 24 + '"]}')
    assert bad.status_code == 400


def test_video_frames_whole_video_and_ranges(api, video_file):
    project = api.create_project("video classes", "classification", labels=[{"name": "a"}, {"name": "b"}])
    ids = {lab["name"]: lab["id"] for lab in project["pipeline"]["tasks"][1]["labels"]}
    r = api.upload(project, "clip.mp4", video_file, kind="videos")
    assert r.status_code == 200, r.text
    video = r.json()
    info = video["media_information"]
    assert (info["frame_count"], info["frame_rate"], info["width"], info["height"]) == (12, 6.0, 64, 48)
    assert info["display_url"].endswith("/display/stream") and video["name"] == "clip"
    base = f"{api.dataset_path(project)}/media/videos/{video['id']}"
    stream = api.get(base + "/display/stream")
    assert stream.content == video_file and stream.headers["content-type"] == "video/mp4"
    frame = api.get(base + "/frames/5/display/full")
    assert frame.status_code == 200 and frame.headers["content-type"] == "image/jpeg"
    assert api.get(base + "/frames/12/display/full").status_code == 400
    box = {"type": "RECTANGLE", "x": 0, "y": 0, "width": 64, "height": 48}
    assert api.get(base + "/frames/3/annotations/latest").status_code == 204
    posted = api.post(base + "/frames/3/annotations", json={"annotations": [{"shape": box,
                                                                             "labels": [{"id": ids["a"]}]}]})
    assert posted.status_code == 200, posted.text
    assert posted.json()["media_identifier"] == {"type": "video_frame", "video_id": video["id"], "frame_index": 3}
    whole = api.get(base + "/annotations/latest").json()
    assert [s["media_identifier"]["frame_index"] for s in whole["video_annotations"]] == [3]
    assert whole["video_annotation_properties"]["total_count"] == 1
    assert api.get(base + "/annotations/latest?start_frame=4&end_frame=11").json()["video_annotations"] == []
    frames = api.post(base + ":query?limit=5", json={}).json()
    assert frames["video_frame_indices"] == [0, 1, 2, 3, 4] and "next_page" in frames
    assert frames["video_frames"][3]["annotation_scene_id"] == posted.json()["id"]
    ranges = {"range_labels": [{"start_frame": 0, "end_frame": 5, "label_ids": [ids["b"]]}]}
    got = api.post(base + "/range_annotation?skip_frame=2", json=ranges).json()
    assert got == {"video_id": video["id"], **ranges}
    assert api.get(base + "/range_annotation").json() == got
    whole = api.get(base + "/annotations/latest").json()
    assert [s["media_identifier"]["frame_index"] for s in whole["video_annotations"]] == [0, 2, 4]
    bad = api.post(base + "/range_annotation", json={"range_labels": [{"start_frame": 3, "end_frame": 99,
                                                                       "label_ids": []}]})
    assert bad.status_code == 400


def test_whole_video_cap_and_upload_info_on_video(api, tmp_path):
    from emulator_helpers import video_bytes

    project = api.create_project("long video", "classification", labels=[{"name": "a"}, {"name": "b"}])
    ids = {lab["name"]: lab["id"] for lab in project["pipeline"]["tasks"][1]["labels"]}
    data = video_bytes(tmp_path / "long.mp4", frames=520, fps=20, width=32, height=32)
    video = api.upload(project, "long.mp4", data, kind="videos", upload_info=f'{{"label_ids": ["{ids["a"]}"]}}')
    assert video.status_code == 200, video.text
    base = f"{api.dataset_path(project)}/media/videos/{video.json()['id']}"
    at_fps = api.get(base + "/annotations/latest").json()  # upload_info labels frames at 1 fps: 0, 20, ...
    assert [s["media_identifier"]["frame_index"] for s in at_fps["video_annotations"]] == list(range(0, 520, 20))
    ranges = {"range_labels": [{"start_frame": 0, "end_frame": 519, "label_ids": [ids["b"]]}]}
    assert api.post(base + "/range_annotation?skip_frame=1", json=ranges).status_code == 200
    first = api.get(base + "/annotations/latest").json()
    props = first["video_annotation_properties"]
    assert len(first["video_annotations"]) == 500 and props["total_count"] == 520
    assert (props["start_frame"], props["end_frame"]) == (0, 499)
    rest = api.get(base + "/annotations/latest?start_frame=500").json()
    assert [s["media_identifier"]["frame_index"] for s in rest["video_annotations"]] == list(range(500, 520))
    skipped = api.get(base + "/annotations/latest?start_frame=10&end_frame=40&frameskip=10&label_only=true").json()
    assert [s["media_identifier"]["frame_index"] for s in skipped["video_annotations"]] == [10, 20, 30, 40]
    assert "shape" not in skipped["video_annotations"][0]["annotations"][0]


def test_chain_states_per_task_and_media_state(api):
    project = api.create_project("chain", chain="classification", labels=[{"name": "red"}, {"name": "blue"}])
    tasks = project["pipeline"]["tasks"]
    assert [t["task_type"] for t in tasks] == ["dataset", "detection", "crop", "classification"]
    det = next(lab["id"] for lab in tasks[1]["labels"] if not lab["is_empty"])
    red = next(lab["id"] for lab in tasks[3]["labels"] if lab["name"] == "red")
    box = {"type": "RECTANGLE", "x": 5, "y": 5, "width": 20, "height": 20}
    query = f"{api.dataset_path(project)}/media:query"
    images = [api.upload(project, f"c{i}.png", image_bytes(60, 60)).json()["id"] for i in range(2)]
    both = api.post(f"{api.dataset_path(project)}/media/images/{images[0]}/annotations",
                    json={"annotations": [{"shape": box, "labels": [{"id": det}, {"id": red}]}]}).json()
    assert [s["state"] for s in both["annotation_state_per_task"]] == ["annotated", "annotated"]
    half = api.post(f"{api.dataset_path(project)}/media/images/{images[1]}/annotations",
                    json={"annotations": [{"shape": box, "labels": [{"id": det}]}]}).json()
    assert [s["state"] for s in half["annotation_state_per_task"]] == ["annotated", "none"]

    def names(state: str) -> list[str]:
        body = {"rules": [{"field": "annotation_scene_state", "operator": "equal", "value": state}]}
        return [m["name"] for m in api.post(query, json=body).json()["media"]]

    assert names("annotated") == ["c0"] and names("partially_annotated") == ["c1"] and names("unannotated") == []
