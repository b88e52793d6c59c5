"""Geti 3.x emulator: annotations per media and per video frame, their validation, subsets and label
removal (docs/rest-api.md §17.9, §17.10)."""

from __future__ import annotations

from emulator_helpers import image_bytes


def _ann(project, media_id: str) -> str:
    return f"/api/projects/{project['id']}/dataset/media/{media_id}/annotations"


def _box(label_id: str, x: int = 1, y: int = 2, w: int = 10, h: int = 10) -> dict:
    return {"shape": {"type": "rectangle", "x": x, "y": y, "width": w, "height": h}, "labels": [{"id": label_id}]}


def test_detection_annotations_overwrite_subset_and_delete(g3):
    project = g3.project("detection", labels=("a", "b"))
    a, b = (lab["id"] for lab in project["task"]["labels"])
    media_id = g3.upload(project, "i.png", image_bytes()).json()["id"]
    never = g3.request("GET", _ann(project, media_id))
    assert (never.status_code, never.json()) == (404, {"detail": "Media has not been annotated yet."})
    first = g3.request("POST", _ann(project, media_id),
                       json={"annotations": [_box(a), _box(b, 20)], "subset": "training", "user_reviewed": False})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["media_id"] == media_id and body["user_reviewed"] is True and body["subset"] == "training"
    assert body["annotations"][0]["confidences"] is None
    g3.request("POST", _ann(project, media_id), json={"annotations": [_box(b)], "subset": "training"})
    stored = g3.request("GET", _ann(project, media_id)).json()
    assert [x["labels"][0]["id"] for x in stored["annotations"]] == [b] and "media_id" not in stored
    moved = g3.request("POST", _ann(project, media_id), json={"annotations": [], "subset": "testing"})
    assert (moved.status_code, moved.json()) == (409, {"detail": "Dataset item has already a subset assigned."})
    empty = g3.request("POST", _ann(project, media_id), json={"annotations": []})
    assert empty.status_code == 201 and empty.json()["annotations"] == []
    assert g3.request("DELETE", _ann(project, media_id)).status_code == 204
    assert g3.request("GET", _ann(project, media_id)).status_code == 404


def test_validation_rules_per_task(g3):
    det = g3.project("detection", labels=("a",))
    a = det["task"]["labels"][0]["id"]
    media_id = g3.upload(det, "i.png", image_bytes()).json()["id"]  # 64x48
    out = g3.request("POST", _ann(det, media_id), json={"annotations": [_box(a, 60, 0, 10, 10)]})
    assert out.status_code == 400 and out.json()["detail"]
    two = g3.request("POST", _ann(det, media_id), json={"annotations": [{**_box(a), "labels": [{"id": a}] * 2}]})
    assert two.status_code == 400
    poly = {"shape": {"type": "polygon", "points": [{"x": 1, "y": 1}, {"x": 5, "y": 9}]}, "labels": [{"id": a}]}
    assert g3.request("POST", _ann(det, media_id), json={"annotations": [poly]}).status_code == 400
    floats = g3.request("POST", _ann(det, media_id), json={"annotations": [_box(a) | {
        "shape": {"type": "rectangle", "x": 1.5, "y": 0, "width": 3, "height": 3}}]})
    assert floats.status_code == 422 and floats.json()["detail"][0]["type"] == "int_from_float"
    seg = g3.project("instance_segmentation", labels=("s",))
    s = seg["task"]["labels"][0]["id"]
    seg_media = g3.upload(seg, "i.png", image_bytes()).json()["id"]
    pairs = {"shape": {"type": "polygon", "points": [[1, 1], [5, 9]]}, "labels": [{"id": s}]}
    assert g3.request("POST", _ann(seg, seg_media), json={"annotations": [pairs]}).status_code == 422
    good = {"shape": {"type": "polygon", "points": [{"x": 1.5, "y": 1}, {"x": 5, "y": 9}, {"x": 9, "y": 2}]},
            "labels": [{"id": s}]}
    assert g3.request("POST", _ann(seg, seg_media), json={"annotations": [good]}).status_code == 201
    stranger = g3.request("POST", _ann(seg, seg_media), json={"annotations": [{**good, "labels": [{"id": a}]}]})
    assert stranger.status_code == 400
    bad_tag = g3.request("POST", _ann(seg, seg_media), json={"annotations": [{"shape": {"type": "ellipse"},
                                                                              "labels": []}]})
    assert bad_tag.status_code == 422 and bad_tag.json()["detail"][0]["type"] == "union_tag_invalid"


def test_classification_multiclass_and_multilabel(g3):
    multi = g3.project("classification", labels=("cat", "dog"), exclusive=True)
    cat, dog = (lab["id"] for lab in multi["task"]["labels"])
    media_id = g3.upload(multi, "i.png", image_bytes()).json()["id"]
    full = {"shape": {"type": "full_image"}, "labels": [{"id": cat}]}
    assert g3.request("POST", _ann(multi, media_id), json={"annotations": []}).status_code == 400
    both = g3.request("POST", _ann(multi, media_id), json={"annotations": [{**full, "labels": [{"id": cat},
                                                                                               {"id": dog}]}]})
    assert both.status_code == 400
    assert g3.request("POST", _ann(multi, media_id), json={"annotations": [full]}).status_code == 201
    # removing the only label of an item leaves a multiclass item unannotated
    g3.request("PATCH", f"/api/projects/{multi['id']}/labels",
               json={"labels_to_add": [{"name": "bird"}], "labels_to_remove": [{"id": cat}]})
    assert g3.request("GET", _ann(multi, media_id)).status_code == 404
    tags = g3.project("classification", labels=("x", "y"))
    x, y = (lab["id"] for lab in tags["task"]["labels"])
    tag_media = g3.upload(tags, "i.png", image_bytes()).json()["id"]
    assert g3.request("POST", _ann(tags, tag_media), json={"annotations": []}).status_code == 201
    both_tags = {"shape": {"type": "full_image"}, "labels": [{"id": x}, {"id": y}]}
    assert g3.request("POST", _ann(tags, tag_media), json={"annotations": [both_tags]}).status_code == 201
    g3.request("PATCH", f"/api/projects/{tags['id']}/labels", json={"labels_to_remove": [{"id": x}]})
    assert g3.request("GET", _ann(tags, tag_media)).json()["annotations"][0]["labels"] == [{"id": y}]


def test_video_frame_annotations_create_frame_media(g3, video_file):
    project = g3.project("detection", labels=("a",))
    a = project["task"]["labels"][0]["id"]
    video_id = g3.upload(project, "clip.mp4", video_file).json()["id"]
    assert g3.request("GET", _ann(project, video_id)).status_code == 400  # a video needs frame_index
    missing = g3.request("GET", _ann(project, video_id), params={"frame_index": 4})
    assert missing.json() == {"detail": "Video frame not found for the given index."}
    posted = g3.request("POST", _ann(project, video_id), params={"frame_index": 4},
                        json={"annotations": [_box(a)], "subset": "validation"})
    assert posted.status_code == 201, posted.text
    frame_id = posted.json()["media_id"]
    assert frame_id != video_id
    frame = g3.request("GET", f"/api/projects/{project['id']}/dataset/media/{frame_id}").json()
    assert (frame["type"], frame["video_id"], frame["frame_index"]) == ("video_frame", video_id, 4)
    again = g3.request("POST", _ann(project, video_id), params={"frame_index": 4}, json={"annotations": []})
    assert again.json()["media_id"] == frame_id and again.json()["subset"] == "validation"
    frames = g3.request("GET", f"/api/projects/{project['id']}/dataset/media/{video_id}/frames").json()
    assert frames == [{"media_id": frame_id, "frame_index": 4, "annotation_data": {
        "annotations": [], "user_reviewed": True, "prediction_model_id": None, "subset": "validation"}}]
    listing = g3.request("GET", f"/api/projects/{project['id']}/dataset/media").json()
    assert [m["id"] for m in listing["items"]] == [video_id]  # frames are not listed as media
    assert listing["items"][0]["annotated_frame_count"] == 1
    assert g3.request("POST", _ann(project, video_id), params={"frame_index": 99},
                      json={"annotations": []}).status_code == 400
    items = g3.request("GET", f"/api/projects/{project['id']}/dataset/items", params={"subset": "validation"})
    assert [i["id"] for i in items.json()["items"]] == [frame_id]
