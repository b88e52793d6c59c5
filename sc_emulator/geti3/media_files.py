"""Media bytes of the Geti 3.x application: accepting a file, its MediaView, binaries, thumbnails, frames.

``binary`` without ``raw=true`` answers an image re-encoded as PNG — always, not only for the bit depths
that the real server normalises — so a client that forgets ``raw=true`` in a backup gets visibly different
bytes here as well. ``raw=true`` answers the stored original.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path
from typing import Any

from PIL import Image
from starlette.responses import FileResponse, Response

from ..ids import now_iso
from ..mediainfo import MediaError, jpeg_bytes, probe_video, video_frame
from ..store import dumps, loads
from .schema import Check
from .web import Call, HTTPError, not_found

IMAGE_FORMATS = ("jpg", "jpeg", "png", "jfif", "tif", "tiff", "bmp", "webp")
VIDEO_FORMATS = ("mp4", "avi", "mkv", "mov", "webm", "m4v")
THUMB = 256
_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "jfif": "image/jpeg", "png": "image/png", "tif": "image/tiff",
          "tiff": "image/tiff", "bmp": "image/bmp", "webp": "image/webp", "mp4": "video/mp4", "m4v": "video/mp4",
          "avi": "video/x-msvideo", "mkv": "video/x-matroska", "mov": "video/quicktime", "webm": "video/webm"}


def split_name(filename: str) -> tuple[str, str]:
    """``name`` (no extension) and lower-case extension of an uploaded file; 422 when not acceptable."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name, dot, ext = base.rpartition(".")
    if not dot or not name or not ext:
        raise HTTPError(422, "Media name and extension must not be empty.")
    ext = ext.lower()
    if ext not in IMAGE_FORMATS + VIDEO_FORMATS:
        raise HTTPError(422, f"Unsupported media extension: {ext}")
    return name, ext


def accept_file(call: Call, project_id: str, path: Path, digest: str, name: str, ext: str) -> dict[str, Any]:
    """Probe ``path``, move it into the blob store and record the media (and, for an image, its item)."""
    size = path.stat().st_size
    info: dict[str, Any] = {"size": size, "digest": digest}
    if ext in IMAGE_FORMATS:
        kind = "image"
        try:
            with Image.open(path) as img:
                img.verify()
            with Image.open(path) as img:
                info["width"], info["height"] = img.size
        except Exception:  # Pillow raises many types for broken files
            raise HTTPError(422, "Invalid image has been uploaded.") from None
    else:
        kind = "video"
        try:
            video = probe_video(path, "." + ext)
        except MediaError as exc:
            raise HTTPError(422, f"Invalid video has been uploaded: {exc}") from None
        info.update(width=video.width, height=video.height, fps=video.fps, frame_count=video.frame_count,
                    duration=video.duration)
    call.store.adopt_blob(path, digest)
    media_id = str(uuid.uuid4())
    created = now_iso()
    with call.store.transaction() as conn:
        conn.execute("INSERT INTO media (id, project_id, type, name, format, created, info) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (media_id, project_id, kind, name, ext, created, dumps(info)))
        if kind == "image":
            _new_item(conn, project_id, media_id, created)
    return media_view(call, get_media_row(call, project_id, media_id))


def _new_item(conn: Any, project_id: str, media_id: str, created: str) -> None:
    seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM items").fetchone()[0]
    conn.execute("INSERT INTO items (media_id, project_id, seq, created, subset, user_reviewed, annotations, "
                 "label_ids) VALUES (?, ?, ?, ?, 'unassigned', 0, NULL, '[]')", (media_id, project_id, seq, created))


def get_media_row(call: Call, project_id: str, media_id: str) -> dict[str, Any]:
    row = call.store.one("SELECT * FROM media WHERE id = ? AND project_id = ?", (media_id, project_id))
    if row is None:
        raise not_found("Media", media_id)
    media = dict(row)
    media["info"] = loads(media["info"])
    return media


def media_view(call: Call, media: dict[str, Any]) -> dict[str, Any]:
    info = media["info"]
    view = {"id": media["id"], "name": media["name"], "type": media["type"], "format": media["format"],
            "width": info["width"], "height": info["height"], "size": info["size"], "source_id": None}
    if media["type"] == "video":
        annotated = call.store.one(
            "SELECT COUNT(*) AS n FROM media m JOIN items i ON i.media_id = m.id "
            "WHERE m.video_id = ? AND i.annotations IS NOT NULL", (media["id"],))["n"]
        view.update(fps=info["fps"], frame_count=info["frame_count"], annotated_frame_count=annotated,
                    duration=info["duration"])
    elif media["type"] == "video_frame":
        view.update(video_id=media["video_id"], frame_index=media["frame_index"])
    return view


def frame_jpeg(call: Call, video: dict[str, Any], index: int) -> bytes:
    """Frame ``index`` of a video as JPEG (400 when out of range)."""
    if index >= video["info"]["frame_count"]:
        raise HTTPError(400, f"Frame index {index} is out of range: the video has "
                        f"{video['info']['frame_count']} frames.")
    try:
        image = video_frame(call.store.blob_path(video["info"]["digest"]), index, video["info"]["fps"])
    except MediaError as exc:
        raise HTTPError(400, str(exc)) from None
    return jpeg_bytes(image)


def create_frame_media(call: Call, conn: Any, video: dict[str, Any], index: int, data: bytes) -> str:
    """A ``video_frame`` media (JPEG) and its dataset item, inside the caller's transaction."""
    digest = call.store.put_blob_bytes(data)
    media_id = str(uuid.uuid4())
    info = {"size": len(data), "digest": digest, "width": video["info"]["width"], "height": video["info"]["height"]}
    created = now_iso()
    conn.execute("INSERT INTO media (id, project_id, type, name, format, created, video_id, frame_index, info) "
                 "VALUES (?, ?, 'video_frame', ?, 'jpg', ?, ?, ?, ?)",
                 (media_id, video["project_id"], f"{video['name']}_frame_{index}", created, video["id"], index,
                  dumps(info)))
    _new_item(conn, video["project_id"], media_id, created)
    return media_id


def _frame_index(call: Call) -> int | None:
    raw = call.query.get("frame_index")
    if raw is None:
        return None
    check = Check()
    value = check.int_(raw, ("query", "frame_index"), ge=0)
    check.done()
    return int(value)


def binary_response(call: Call, media: dict[str, Any]) -> Response:
    index = _frame_index(call)
    path = call.store.blob_path(media["info"]["digest"])
    filename = f"{media['name']}.{media['format']}"
    if media["type"] == "video" and index is not None:
        return Response(frame_jpeg(call, media, index), media_type="image/jpeg",
                        headers={"Content-Disposition": f'attachment; filename="{media["name"]}_{index}.jpg"'})
    raw = call.query.get("raw", "false").lower() in ("1", "true", "yes", "on")
    if media["type"] == "video" or raw:
        return FileResponse(path, media_type=_TYPES.get(media["format"], "application/octet-stream"),
                            filename=filename)
    with Image.open(path) as img:
        out = io.BytesIO()
        img.save(out, "PNG")
    return Response(out.getvalue(), media_type="image/png",
                    headers={"Content-Disposition": f'attachment; filename="{media["name"]}.png"'})


def thumbnail_response(call: Call, media_id: str, index: int | None) -> Response:
    row = call.store.one("SELECT * FROM media WHERE id = ?", (media_id,))
    if row is None:
        raise HTTPError(404, "Media thumbnail file is not found.")
    media = dict(row)
    media["info"] = loads(media["info"])
    if media["type"] == "video":
        image = Image.open(io.BytesIO(frame_jpeg(call, media, index or 0)))
    else:
        image = Image.open(call.store.blob_path(media["info"]["digest"]))
    with image:
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        data = jpeg_bytes(image.crop((left, top, left + side, top + side)).resize((THUMB, THUMB)))
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=31536000"})
