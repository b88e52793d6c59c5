"""Media upload, get, delete, display endpoints and media:query (docs/rest-api.md §9, §6.2)."""

from __future__ import annotations

import io

import pytest
from emulator_helpers import image_bytes
from PIL import Image


def test_image_upload_get_display_delete(api):
    project = api.create_project("media basics")
    data = image_bytes(80, 60, "PNG")
    r = api.upload(project, "folder/cat.photo.png", data)
    assert r.status_code == 200, r.text
    image = r.json()
    assert image["name"] == "cat.photo" and image["type"] == "image"
    info = image["media_information"]
    assert (info["width"], info["height"], info["size"], info["extension"]) == (80, 60, len(data), ".png")
    assert info["display_url"].endswith(f"/media/images/{image['id']}/display/full")
    assert [s["state"] for s in image["annotation_state_per_task"]] == ["none"]
    path = f"{api.dataset_path(project)}/media/images/{image['id']}"
    assert api.get(path).json()["id"] == image["id"]
    full = api.get(info["display_url"])
    assert full.status_code == 200 and full.content == data and full.headers["content-type"] == "image/png"
    thumb = api.get(path + "/display/thumb")
    assert thumb.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumb.content)).size[0] <= 256
    assert api.delete(path).json() == {"result": "success"}
    gone = api.get(path)
    assert gone.status_code == 404 and gone.json()["error_code"] == "image_not_found"


@pytest.mark.parametrize("side", [64, 900], ids=["answered-from-memory", "streamed"])
def test_display_full_gives_the_uploaded_bytes_small_or_large(api, side):
    # up to 1 MiB a file is answered from memory, larger ones are streamed: both give the same bytes
    from sc_emulator.web import SMALL_FILE_BYTES

    data = image_bytes(side, side, "PNG") if side < 100 else _noise_png(side)
    assert (len(data) > SMALL_FILE_BYTES) == (side > 100)
    project = api.create_project(f"display full {side}")
    image = api.upload(project, "big.png", data).json()
    full = api.get(image["media_information"]["display_url"])
    assert full.status_code == 200 and full.headers["content-type"] == "image/png"
    assert int(full.headers["content-length"]) == len(data) and full.content == data


def _noise_png(side: int) -> bytes:
    import os

    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "PNG")
    return out.getvalue()


def test_upload_errors(api):
    project = api.create_project("media errors")
    r = api.upload(project, "notes.txt", b"hello")
    assert r.status_code == 415 and r.json()["error_code"] == "invalid_media"
    r = api.upload(project, "broken.jpg", b"not really a jpeg at all")
    assert r.status_code == 415 and r.json()["error_code"] == "invalid_media"
    r = api.upload(project, "tiny.png", image_bytes(31, 40))
    assert r.status_code == 415 and "between 32 and 20000" in r.json()["message"]
    r = api.post(f"{api.dataset_path(project)}/media/images", files={"other": ("a.png", image_bytes())})
    assert r.status_code == 400 and r.json()["error_code"] == "bad_request"
    assert "No file provided" in r.json()["message"]
    r = api.upload(project, "a.png", image_bytes(), upload_info="{not json")
    assert r.status_code == 400
    bad = f"/projects/{project['id']}/datasets/{'0' * 24}/media/images"
    r = api.post(bad, files={"file": ("a.png", image_bytes())})
    assert r.status_code == 404 and r.json()["error_code"] == "dataset_not_found"


@pytest.mark.parametrize("fmt, ext, ctype", [("JPEG", "jpeg", "image/jpeg"), ("BMP", "bmp", "image/bmp"),
                                              ("WEBP", "webp", "image/webp"), ("TIFF", "tif", "image/tiff")])
def test_image_formats_keep_their_bytes_and_type(api, fmt, ext, ctype):
    project = api.create_project(f"format {fmt}")
    data = image_bytes(40, 40, fmt)
    image = api.upload(project, f"pic.{ext.upper()}", data).json()
    assert image["media_information"]["extension"] == f".{ext}"
    full = api.get(image["media_information"]["display_url"])
    assert full.content == data and full.headers["content-type"] == ctype


def test_video_errors_and_thumbnails(api, video_file):
    project = api.create_project("video checks")
    r = api.upload(project, "fake.mp4", image_bytes(), kind="videos")
    assert r.status_code == 415 and r.json()["error_code"] == "invalid_media"
    r = api.upload(project, "clip.png", video_file, kind="videos")
    assert r.status_code == 415
    video = api.upload(project, "clip.MP4", video_file, kind="videos").json()
    base = f"{api.dataset_path(project)}/media/videos/{video['id']}"
    for suffix in ("/display/thumb", "/frames/0/display/thumb", "/frames/11/display/full"):
        got = api.get(base + suffix)
        assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg", suffix
        assert Image.open(io.BytesIO(got.content)).size == (64, 48)
    # The decoded frame is the requested one: frame i shows a white square at x = 2i .. 2i + 10.
    for index in (0, 7, 11):
        frame = Image.open(io.BytesIO(api.get(f"{base}/frames/{index}/display/full").content)).convert("L")
        row = [frame.getpixel((x, 15)) for x in range(64)]
        bright = [x for x, v in enumerate(row) if v > 128]
        assert abs(bright[0] - 2 * index) <= 1 and abs(bright[-1] - (2 * index + 10)) <= 1, (index, bright)
    for odd in ("12", "-1", "x", "\u00b2"):  # '²' passes str.isdigit() but is no index
        refused = api.get(f"{base}/frames/{odd}/display/full")
        assert refused.status_code == 400 and refused.json()["error_code"] == "bad_request", odd
        assert api.get(f"{base}/frames/{odd}/annotations/latest").status_code == 400, odd
    query = api.post(f"{api.dataset_path(project)}/media:query",
                     json={"rules": [{"field": "media_type", "operator": "equal", "value": "video"}]}).json()
    assert query["total_matched_videos"] == 1 and query["total_matched_video_frames"] == 12
    assert query["media"][0]["annotation_statistics"] == {"annotated": 0, "partially_annotated": 0, "unannotated": 12}
    assert api.delete(base).json() == {"result": "success"}
    assert api.get(base + "/display/stream").json()["error_code"] == "video_not_found"


def test_media_query_paging_and_filters(api):
    project = api.create_project("media query")
    for i in range(5):
        assert api.upload(project, f"img{i}.png", image_bytes(40 + i, 40)).status_code == 200
    url = f"{api.dataset_path(project)}/media:query"
    body = {"condition": "and", "rules": [{"field": "MEDIA_TYPE", "operator": "EQUAL", "value": "image"}]}
    seen, page = [], api.post(url + "?limit=2", json=body).json()
    assert page["total_matched_images"] == 5 and page["total_images"] == 5
    while True:
        seen += [m["name"] for m in page["media"]]
        if "next_page" not in page:
            break
        assert "limit=2" in page["next_page"] and "sort_by=media_name" in page["next_page"]
        page = api.post(page["next_page"], json=body).json()
    assert seen == [f"img{i}" for i in range(5)]
    r = api.post(url, json={"condition": "and", "rules": [{"field": "media_name", "operator": "contains",
                                                            "value": "IMG3"}]}).json()
    assert [m["name"] for m in r["media"]] == ["img3"] and "next_page" not in r
    r = api.post(url + "?sort_by=media_width&sort_direction=dsc", json={}).json()
    assert [m["name"] for m in r["media"]] == [f"img{i}" for i in reversed(range(5))]
    r = api.post(url, json={"rules": [{"field": "shoe_size", "operator": "equal", "value": 3}]})
    assert r.status_code == 400 and r.json()["error_code"] == "invalid_filter"
    for odd in ([[1]], {"id": 1}, 5):  # label ids are strings: anything else is a bad filter, not a 500
        r = api.post(url, json={"rules": [{"field": "label_id", "operator": "equal", "value": odd}]})
        assert r.status_code == 400 and r.json()["error_code"] == "invalid_filter", odd


def test_media_query_pages_alike_by_sql_and_by_scan(api, video_file):
    """A listing filtered by media type only is paged by SQLite; any other rule scans the dataset in Python.
    Both must give the same pages and totals (the extra rule below matches every media)."""
    project = api.create_project("media query paths")
    for name in ("b", "a", "d", "c", "e"):  # upload order differs from name order
        assert api.upload(project, f"{name}.png", image_bytes(40, 40)).status_code == 200
    assert api.upload(project, "clip.mp4", video_file, kind="videos").status_code == 200
    url = f"{api.dataset_path(project)}/media:query"
    # a rule on the name forces the scan; it matches every media ("and") or none ("or"): the result is the same
    neutral = {"and": {"field": "media_name", "operator": "regex", "value": "."},
               "or": {"field": "media_name", "operator": "equal", "value": "none of them"}}

    def pages(body: dict, sort_by: str, direction: str) -> list:
        out, page = [], api.post(f"{url}?limit=2&sort_by={sort_by}&sort_direction={direction}", json=body).json()
        while True:
            out.append(([m["name"] for m in page["media"]],
                        {k: v for k, v in page.items() if k.startswith("total")}))
            if "next_page" not in page:
                return out
            page = api.post(page["next_page"], json=body).json()

    for condition, rules in (("and", [{"field": "media_type", "operator": "equal", "value": "IMAGE"}]),
                             ("and", [{"field": "media_type", "operator": "in", "value": ["video"]}]),
                             ("or", [{"field": "media_type", "operator": "not_equal", "value": "image"},
                                     {"field": "media_type", "operator": "not_in", "value": ["video"]}]),
                             ("and", [])):
        for sort_by in ("media_name", "media_upload_date"):
            for direction in ("asc", "dsc"):
                by_sql = pages({"condition": condition, "rules": rules}, sort_by, direction)
                scanned = pages({"condition": condition, "rules": [*rules, neutral[condition]]}, sort_by, direction)
                assert by_sql == scanned, (condition, rules, sort_by, direction)
    names = [n for page, _ in pages({"rules": [{"field": "media_type", "operator": "equal", "value": "image"}]},
                                    "media_name", "asc") for n in page]
    assert names == ["a", "b", "c", "d", "e"]
