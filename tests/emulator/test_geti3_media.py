"""Geti 3.x emulator: dataset media — upload rules, listing and paging, binaries, videos
(docs/rest-api.md §17.6, §17.7)."""

from __future__ import annotations

import io

from emulator_helpers import image_bytes
from PIL import Image


def _media(project) -> str:
    return f"/api/projects/{project['id']}/dataset/media"


def test_upload_names_extensions_and_invalid_files(g3):
    project = g3.project()
    created = g3.upload(project, "shot.01.JPG", image_bytes(fmt="JPEG"))
    assert created.status_code == 201, created.text
    view = created.json()
    assert {k: view[k] for k in ("name", "type", "format", "width", "height")} == \
        {"name": "shot.01", "type": "image", "format": "jpg", "width": 64, "height": 48}
    assert view["size"] > 0 and view["source_id"] is None and "created_at" not in view
    unsupported = g3.upload(project, "notes.txt", b"hello")
    assert (unsupported.status_code, unsupported.json()) == (422, {"detail": "Unsupported media extension: txt"})
    assert g3.upload(project, "noext", image_bytes()).status_code == 422
    broken = g3.upload(project, "broken.png", b"not an image")
    assert (broken.status_code, broken.json()) == (422, {"detail": "Invalid image has been uploaded."})
    item = g3.request("GET", f"/api/projects/{project['id']}/dataset/items/{view['id']}").json()
    assert item == {"id": view["id"], "subset": "unassigned", "user_reviewed": False}


def test_listing_pages_and_limits(g3):
    project = g3.project()
    ids = [g3.upload(project, f"i{i}.png", image_bytes()).json()["id"] for i in range(3)]
    page = g3.request("GET", _media(project), params={"limit": 2, "offset": 1}).json()
    assert page["pagination"] == {"offset": 1, "limit": 2, "count": 2, "total": 3}
    assert [m["id"] for m in page["items"]] == ids[::-1][1:]  # newest first by default
    oldest = g3.request("GET", _media(project), params={"sort_direction": "asc", "limit": 1}).json()
    assert oldest["items"][0]["id"] == ids[0]
    too_big = g3.request("GET", _media(project), params={"limit": 101})
    assert too_big.status_code == 422
    assert too_big.json()["detail"][0] | {"input": None} == {
        "type": "less_than_equal", "loc": ["query", "limit"], "msg": "Input should be less than or equal to 100",
        "input": None, "ctx": {"le": 100}}
    assert g3.request("GET", _media(project) + "/ids").json()["items"][0] == {"id": ids[2], "type": "image"}
    assert g3.request("DELETE", f"{_media(project)}/{ids[0]}").status_code == 204
    assert g3.request("GET", f"{_media(project)}/{ids[0]}").status_code == 404
    assert g3.request("DELETE", _media(project), json={"media_ids": [ids[1], ids[0]]}).status_code == 204
    assert g3.request("GET", _media(project)).json()["pagination"]["total"] == 1


def test_binary_png_unless_raw(g3):
    project = g3.project()
    original = image_bytes(fmt="JPEG")
    media_id = g3.upload(project, "photo.jpeg", original).json()["id"]
    raw = g3.request("GET", f"{_media(project)}/{media_id}/binary", params={"raw": "true"})
    assert raw.content == original and "photo.jpeg" in raw.headers["content-disposition"]
    normalised = g3.request("GET", f"{_media(project)}/{media_id}/binary")
    assert normalised.headers["content-type"] == "image/png" and normalised.content != original
    assert Image.open(io.BytesIO(normalised.content)).size == (64, 48)
    thumb = g3.request("GET", f"{_media(project)}/{media_id}/thumbnail")
    assert Image.open(io.BytesIO(thumb.content)).size == (256, 256)


def test_video_upload_metadata_frames_and_frame_binary(g3, video_file):
    project = g3.project()
    video = g3.upload(project, "clip.mp4", video_file).json()
    assert video["type"] == "video" and video["frame_count"] == 12 and video["fps"] == 6.0
    assert video["annotated_frame_count"] == 0 and abs(video["duration"] - 2.0) < 0.2
    assert g3.request("GET", f"/api/projects/{project['id']}/dataset/items").json()["items"] == []
    frame = g3.request("GET", f"{_media(project)}/{video['id']}/binary", params={"frame_index": 3})
    assert frame.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(frame.content)).size == (64, 48)
    out_of_range = g3.request("GET", f"{_media(project)}/{video['id']}/binary", params={"frame_index": 12})
    assert out_of_range.status_code == 400
    assert g3.request("GET", f"{_media(project)}/{video['id']}/binary").content == video_file
    assert g3.request("GET", f"{_media(project)}/{video['id']}/frames").json() == []
