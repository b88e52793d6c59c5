"""Media (docs/rest-api.md §9): image and video upload, get, delete, and the display endpoints."""

from __future__ import annotations

import json
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from PIL import Image
from starlette.responses import Response
from starlette.routing import Route

from . import sc1
from .errors import ApiError
from .ids import now_iso, object_id
from .mediainfo import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    MediaError,
    image_thumbnail,
    jpeg_bytes,
    probe_image,
    probe_video,
    video_frame,
)
from .records import dataset_record, delete_media_rows, frame_index, media_record, project_record
from .scenes import IMAGE_FRAME, SceneSummary, build_scene, empty_states, media_state, media_summary, save_scene
from .store import Store, dumps
from .web import DS, Call, endpoint, file_response, upload_endpoint

MIN_FREE_BYTES = 64 * 1024 * 1024


def media_body(call: Call, row: Any, info: dict[str, Any], project: dict[str, Any],
               summary: SceneSummary | None = None, for_query: bool = False) -> dict[str, Any]:
    """The image or video object of docs/rest-api.md §9.2."""
    kind = row["type"]
    base = f"{call.prefix()}/projects/{row['project_id']}/datasets/{row['dataset_id']}/media/{kind}s/{row['id']}"
    summary = summary if summary is not None else media_summary(call.emu.store, row["id"])
    mi: dict[str, Any] = {"display_url": f"{base}/display/{'full' if kind == 'image' else 'stream'}",
                          "height": info["height"], "width": info["width"], "size": info["size"]}
    body: dict[str, Any] = {"id": row["id"], "name": row["name"], "type": kind, "upload_time": row["upload_time"],
                            "uploader_id": call.emu.user_id, "media_information": mi,
                            "thumbnail": f"{base}/display/thumb"}
    # Fields that arrived later; geti-sdk up to 1.16 refuses a media object with a key it does not know.
    if call.emu.at_least("2.5.0"):
        mi["extension"] = info["extension"]
    if call.emu.at_least("2.10.0"):
        body["preprocessing"] = {"status": "FINISHED"}
    if kind == "image":
        scene = summary.image
        body["annotation_state_per_task"] = scene["states"] if scene else empty_states(project)
        if for_query:  # 2.0 renamed editor_name to last_annotator_id (geti-sdk 1.16 knows only the former)
            editor = "last_annotator_id" if call.emu.at_least("2.0.0") else "editor_name"
            body.update({"annotation_scene_id": scene["id"] if scene else None, "roi_id": None,
                         editor: call.emu.user_id if scene else None})
    else:
        mi.update({"frame_count": info["frame_count"], "frame_stride": info["frame_stride"],
                   "frame_rate": info["fps"], "duration": info["duration"]})
        # a video's own state is null from 1.9 on; before, a string (geti-sdk 1.8 refuses null there)
        body["annotation_state_per_task"] = empty_states(project, None if call.emu.at_least("1.9.0") else "none")
        if for_query and call.emu.at_least("2.0.0"):  # frame statistics arrived in 2.0
            states = [media_state(f["states"]) for f in summary.frames.values()]
            body["annotation_statistics"] = {"annotated": states.count("annotated"),
                                             "partially_annotated": states.count("partially_annotated"),
                                             "unannotated": info["frame_count"] - len(states)
                                             + states.count("unannotated")}
    return sc1.media(body) if call.emu.dialect.is_sc1 else body


def _precheck(call: Call) -> None:
    project_record(call)
    dataset_record(call)


def _file_name(raw: str) -> tuple[str, str]:
    """(name without extension, lower-case extension) of an uploaded file name, any path stripped."""
    base = PureWindowsPath(PurePosixPath(raw).name).name
    path = PurePosixPath(base)
    return path.stem if path.suffix else base, path.suffix.lower()


def _upload_labels(call: Call) -> list[str]:
    raw = call.upload.fields.get("upload_info") if call.upload else None
    if not raw:
        return []
    try:
        info = json.loads(raw)
    except ValueError:
        raise ApiError(400, "bad_request", "upload_info must be a JSON string like {\"label_ids\": [...]}") from None
    ids = info.get("label_ids", []) if isinstance(info, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ApiError(400, "bad_request", "upload_info.label_ids must be a list of label IDs")
    return ids


def _check_space(store: Store, size: int) -> None:
    if shutil.disk_usage(store.data_dir).free < size + MIN_FREE_BYTES:
        raise ApiError(507, "not_enough_space", "There is not enough free disk space to store the media.")


def _store_media(call: Call, kind: str) -> dict[str, Any]:
    _, project = project_record(call)
    ds = dataset_record(call)
    upload = call.upload
    store: Store = call.emu.store
    name, ext = _file_name(upload.filename)
    if kind == "video" and not call.emu.dialect.videos:
        raise ApiError(415, "invalid_media", f"File '{upload.filename}': this server does not accept videos.")
    allowed = IMAGE_EXTENSIONS if kind == "image" else VIDEO_EXTENSIONS
    if ext not in allowed:
        raise ApiError(415, "invalid_media", f"File '{upload.filename}' has an unsupported extension for "
                       f"{kind}s; allowed: {', '.join(allowed)}.")
    if upload.size == 0:
        raise ApiError(415, "invalid_media", f"File '{upload.filename}' is empty.")
    label_ids = _upload_labels(call)
    try:
        probed = probe_image(upload.path) if kind == "image" else probe_video(upload.path, ext)
    except MediaError as exc:
        raise ApiError(415, "invalid_media", f"File '{upload.filename}': {exc}") from None
    _check_space(store, upload.size)
    info: dict[str, Any] = {"width": probed.width, "height": probed.height, "size": upload.size, "extension": ext,
                            "content_type": probed.content_type, "blob": upload.digest}
    if kind == "video":
        # duration in whole seconds: every geti-sdk (1.x, 2.x) types it int and refuses 2.0
        info.update({"frame_count": probed.frame_count, "fps": probed.fps, "duration": round(probed.duration),
                     "frame_stride": max(1, round(probed.fps))})
    mid = object_id()
    scenes = []
    if label_ids:
        full = {"type": "RECTANGLE", "x": 0, "y": 0, "width": probed.width, "height": probed.height}
        body = {"annotations": [{"shape": full, "labels": [{"id": i} for i in label_ids]}]}
        frames = [IMAGE_FRAME] if kind == "image" else range(0, info["frame_count"], info["frame_stride"])
        for frame in frames:
            ident = ({"type": "image", "image_id": mid} if kind == "image"
                     else {"type": "video_frame", "video_id": mid, "frame_index": frame})
            scenes.append((frame, build_scene(project, probed.width, probed.height, body, ident, call.emu.user_id)))
    with store.transaction() as conn:
        # Under the write lock, so a concurrent delete of another media with the same bytes cannot
        # remove the shared blob between its adoption here and the insert below.
        store.adopt_blob(upload.path, upload.digest)
        upload.path = None  # now owned by the blob store
        conn.execute("INSERT INTO media (id, project_id, dataset_id, type, name, upload_time, info) "
                     "VALUES (?,?,?,?,?,?,?)", (mid, ds["project_id"], ds["id"], kind, name, now_iso(), dumps(info)))
        for frame, doc in scenes:
            save_scene(conn, mid, frame, doc)
    row = store.one("SELECT * FROM media WHERE id = ?", (mid,))
    return media_body(call, row, info, project)


upload_image = upload_endpoint(lambda call: _store_media(call, "image"), _precheck)
upload_video = upload_endpoint(lambda call: _store_media(call, "video"), _precheck, offload=True)  # probes


def _media(call: Call, kind: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    _, project = project_record(call)
    dataset_record(call)
    row, info = media_record(call, kind)
    return row, info, project


@endpoint
def get_image(call: Call) -> dict:
    row, info, project = _media(call, "image")
    return media_body(call, row, info, project)


@endpoint
def get_video(call: Call) -> dict:
    row, info, project = _media(call, "video")
    return media_body(call, row, info, project)


def _delete(call: Call, kind: str) -> dict:
    row, _, _ = _media(call, kind)
    delete_media_rows(call.emu.store, "id = ?", (row["id"],))
    return {"result": "success"}


@endpoint
def delete_image(call: Call) -> dict:
    return _delete(call, "image")


@endpoint
def delete_video(call: Call) -> dict:
    return _delete(call, "video")


def _original(call: Call, kind: str) -> Response:
    row, info, _ = _media(call, kind)
    # The original bytes with the original content type (the real media service streams the stored object).
    return file_response(call.emu.store.blob_path(info["blob"]), info["content_type"])


@endpoint
def image_full(call: Call) -> Response:
    if call.emu.dialect.is_sc1:
        # SC 1.x served a re-encoded JPEG of the same size, not the uploaded bytes (docs/rest-api.md §2.3).
        row, info, _ = _media(call, "image")
        return _cached_jpeg(call, f"{row['id']}-full", lambda: _reencoded(call.emu.store.blob_path(info["blob"])))
    return _original(call, "image")


def _reencoded(path: Path) -> bytes:
    with Image.open(path) as img:
        return jpeg_bytes(img)


@endpoint
def video_stream(call: Call) -> Response:
    return _original(call, "video")


def _cached_jpeg(call: Call, key: str, make: Any) -> Response:
    path: Path = call.emu.store.cache_dir / f"{key}.jpg"
    if not path.exists():
        tmp = path.with_suffix(f".{object_id()}.tmp")
        tmp.write_bytes(make())
        tmp.replace(path)
    return file_response(path, "image/jpeg")


@endpoint(offload=True)  # decodes (once: cached)
def image_thumb(call: Call) -> Response:
    row, info, _ = _media(call, "image")
    return _cached_jpeg(call, f"{row['id']}-thumb", lambda: image_thumbnail(call.emu.store.blob_path(info["blob"])))


def _frame_jpeg(call: Call, info: dict[str, Any], index: int, max_side: int | None) -> bytes:
    return jpeg_bytes(video_frame(call.emu.store.blob_path(info["blob"]), index, info["fps"]), max_side)


@endpoint(offload=True)  # decodes (once: cached)
def video_thumb(call: Call) -> Response:
    row, info, _ = _media(call, "video")
    middle = info["frame_count"] // 2
    return _cached_jpeg(call, f"{row['id']}-thumb", lambda: _frame_jpeg(call, info, middle, 256))


@endpoint(offload=True)  # decodes (once: cached)
def frame_full(call: Call) -> Response:
    row, info, _ = _media(call, "video")
    index = frame_index(call, info)
    return _cached_jpeg(call, f"{row['id']}-f{index}", lambda: _frame_jpeg(call, info, index, None))


@endpoint(offload=True)  # decodes (once: cached)
def frame_thumb(call: Call) -> Response:
    row, info, _ = _media(call, "video")
    index = frame_index(call, info)
    return _cached_jpeg(call, f"{row['id']}-f{index}-thumb", lambda: _frame_jpeg(call, info, index, 256))


IMG = DS + "/media/images/{image_id}"
VID = DS + "/media/videos/{video_id}"
ROUTES = [
    Route(DS + "/media/images", upload_image, methods=["POST"]),
    Route(DS + "/media/videos", upload_video, methods=["POST"]),
    Route(IMG, get_image, methods=["GET"]),
    Route(IMG, delete_image, methods=["DELETE"]),
    Route(IMG + "/display/full", image_full, methods=["GET"]),
    Route(IMG + "/display/thumb", image_thumb, methods=["GET"]),
    Route(VID, get_video, methods=["GET"]),
    Route(VID, delete_video, methods=["DELETE"]),
    Route(VID + "/display/stream", video_stream, methods=["GET"]),
    Route(VID + "/display/thumb", video_thumb, methods=["GET"]),
    Route(VID + "/frames/{frame_index}/display/full", frame_full, methods=["GET"]),
    Route(VID + "/frames/{frame_index}/display/thumb", frame_thumb, methods=["GET"]),
]
