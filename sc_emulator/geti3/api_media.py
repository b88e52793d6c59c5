"""Dataset media: ``/api/projects/{project_id}/dataset/media`` (upload, list, ids, one, delete, binary,
thumbnail, annotated frames of a video)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..store import loads
from .api_annotations import annotations_view
from .api_projects import get_project
from .media_files import accept_file, binary_response, get_media_row, media_view, split_name, thumbnail_response
from .schema import MISSING, Check
from .web import Call, HTTPError, endpoint, json_response, upload_endpoint

SUBSETS = ("unassigned", "training", "validation", "testing")
MAX_PAGE, MAX_OFFSET = 100, 2147483647


def _precheck(call: Call) -> None:
    get_project(call)


def _upload(call: Call) -> Any:
    project = get_project(call)
    assert call.upload is not None and call.upload.path is not None
    name, ext = split_name(call.upload.filename)
    return json_response(accept_file(call, project["id"], call.upload.path, call.upload.digest, name, ext), 201)


def _date(check: Check, call: Call, name: str) -> datetime | None:
    raw = call.query.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        check.fail(("query", name), "datetime_from_date_parsing", "Input should be a valid datetime", raw)
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # naive = UTC, as the server


def media_filters(call: Call, check: Check) -> dict[str, Any]:
    """The filter query parameters shared by the listing and ``/ids``."""
    filters = {
        "start": _date(check, call, "start_date"), "end": _date(check, call, "end_date"),
        "status": check.enum(call.q("annotation_status"), ("query", "annotation_status"),
                             ("with_annotations", "missing_annotations"), required=False),
        "labels": {check.uuid_(v, ("query", "labels", i)) for i, v in enumerate(call.q_list("labels"))},
        "subsets": {check.enum(v, ("query", "subsets", i), SUBSETS) for i, v in enumerate(call.q_list("subsets"))},
        "view": check.uuid_(call.q("dataset_view_id"), ("query", "dataset_view_id"), required=False),
        "direction": check.enum(call.q("sort_direction"), ("query", "sort_direction"), ("asc", "desc"),
                                required=False, default="desc"),
    }
    check.enum(call.q("sort_by"), ("query", "sort_by"), ("upload_date",), required=False)
    return filters


def _items_of(call: Call, media: dict[str, Any]) -> list[dict[str, Any]]:
    """The dataset items that stand for a media: its own (image) or those of its frames (video)."""
    if media["type"] == "video":
        sql = "SELECT i.* FROM items i JOIN media m ON m.id = i.media_id WHERE m.video_id = ?"
    else:
        sql = "SELECT * FROM items WHERE media_id = ?"
    return [dict(r) for r in call.store.all(sql, (media["id"],))]


def _matches(call: Call, media: dict[str, Any], f: dict[str, Any], view_members: set[str] | None) -> bool:
    created = datetime.fromisoformat(media["created"])
    if (f["start"] and created < f["start"]) or (f["end"] and created > f["end"]):
        return False
    if view_members is not None and media["id"] not in view_members:
        return False
    if not (f["status"] or f["labels"] or f["subsets"]):
        return True
    items = _items_of(call, media)
    annotated = [i for i in items if i["annotations"] is not None]
    if f["status"] == "with_annotations" and not annotated:
        return False
    if f["status"] == "missing_annotations":
        total = loads(media["info"]).get("frame_count", 1) if media["type"] == "video" else 1
        if len(annotated) >= total:
            return False
    if f["labels"] and not any(f["labels"] & set(loads(i["label_ids"])) for i in items):
        return False
    if f["subsets"] and not any(i["subset"] in f["subsets"] for i in items):
        return False
    return True


def matching_media(call: Call, project_id: str, f: dict[str, Any]) -> list[dict[str, Any]]:
    if f["start"] and f["end"] and f["start"] > f["end"]:
        raise HTTPError(422, "Start date must be before end date.")
    view_members = None
    if f["view"]:
        if call.store.one("SELECT 1 FROM views WHERE id = ? AND project_id = ?", (f["view"], project_id)) is None:
            raise HTTPError(404, f"DatasetView with ID {f['view']} not found.")
        view_members = {r["media_id"] for r in call.store.all("SELECT media_id FROM view_media WHERE view_id = ?",
                                                             (f["view"],))}
    order = "ASC" if f["direction"] == "asc" else "DESC"
    rows = call.store.all(f"SELECT * FROM media WHERE project_id = ? AND type != 'video_frame' ORDER BY seq {order}",
                          (project_id,))
    return [dict(r) for r in rows if _matches(call, dict(r), f, view_members)]


def _view(call: Call, row: dict[str, Any]) -> dict[str, Any]:
    return media_view(call, {**row, "info": loads(row["info"])})


@endpoint
def list_media(call: Call) -> Any:
    project = get_project(call)
    check = Check()
    limit = check.int_(call.q("limit"), ("query", "limit"), required=False, default=10, ge=1, le=MAX_PAGE)
    offset = check.int_(call.q("offset"), ("query", "offset"), required=False, default=0, ge=0, le=MAX_OFFSET)
    filters = media_filters(call, check)
    check.done()
    found = matching_media(call, project["id"], filters)
    page = found[offset:offset + limit]
    return {"items": [_view(call, r) for r in page],
            "pagination": {"offset": offset, "limit": limit, "count": len(page), "total": len(found)}}


@endpoint
def media_ids(call: Call) -> Any:
    project = get_project(call)
    check = Check()
    filters = media_filters(call, check)
    check.done()
    return {"items": [{"id": r["id"], "type": r["type"]} for r in matching_media(call, project["id"], filters)]}


def delete_media(call: Call, project_id: str, media_ids: list[str]) -> None:
    """Media, their items and view memberships; a video takes its frames along."""
    targets = list(media_ids)
    for media_id in media_ids:
        targets += [r["id"] for r in call.store.all("SELECT id FROM media WHERE video_id = ?", (media_id,))]
    digests = [loads(r["info"]).get("digest") for t in targets
               for r in call.store.all("SELECT info FROM media WHERE id = ? AND project_id = ?", (t, project_id))]
    with call.store.transaction() as conn:
        for target in targets:
            conn.execute("DELETE FROM items WHERE media_id = ?", (target,))
            conn.execute("DELETE FROM view_media WHERE media_id = ?", (target,))
            conn.execute("DELETE FROM media WHERE id = ? AND project_id = ?", (target, project_id))
    for digest in filter(None, digests):
        call.store.drop_blob_if_unused(digest)


@endpoint(offload=True)  # every media's blob checked and removed
def bulk_delete(call: Call) -> Any:
    project = get_project(call)
    check = Check()
    body = call.body_object(check)
    ids = [check.uuid_(v, ("body", "media_ids", i))
           for i, v in enumerate(check.list_(body.get("media_ids", MISSING), ("body", "media_ids")) or [])]
    check.done()
    delete_media(call, project["id"], [i for i in ids if i])  # unknown ids are skipped, as the server does
    return Response(status_code=204)


@endpoint
def one_media(call: Call) -> Any:
    project = get_project(call)
    media = get_media_row(call, project["id"], call.path_uuid("media_id"))
    if call.method == "DELETE":
        delete_media(call, project["id"], [media["id"]])
        return Response(status_code=204)
    return media_view(call, media)


@endpoint(offload=True)  # re-encodes images as PNG, decodes video frames
def binary(call: Call) -> Any:
    project = get_project(call)
    return binary_response(call, get_media_row(call, project["id"], call.path_uuid("media_id")))


@endpoint(offload=True)  # decodes (once: cached)
def thumbnail(call: Call) -> Any:
    project = get_project(call)
    media = get_media_row(call, project["id"], call.path_uuid("media_id"))
    check = Check()
    index = check.int_(call.q("frame_index"), ("query", "frame_index"), required=False, ge=0)
    check.done()
    return thumbnail_response(call, media["id"], index)


@endpoint
def frames(call: Call) -> Any:
    project = get_project(call)
    video = get_media_row(call, project["id"], call.path_uuid("media_id"))
    if video["type"] != "video":
        raise HTTPError(400, "Media is not a video.")
    check = Check()
    low = check.int_(call.q("frame_index_from"), ("query", "frame_index_from"), required=False, default=0, ge=0)
    high = check.int_(call.q("frame_index_to"), ("query", "frame_index_to"), required=False, default=50, ge=0)
    check.done()
    rows = call.store.all("SELECT m.id, m.frame_index, i.* FROM media m JOIN items i ON i.media_id = m.id "
                          "WHERE m.video_id = ? AND i.annotations IS NOT NULL AND m.frame_index BETWEEN ? AND ? "
                          "ORDER BY m.frame_index", (video["id"], low, high))
    return [{"media_id": r["id"], "frame_index": r["frame_index"], "annotation_data": annotations_view(dict(r))}
            for r in rows]


M = "/api/projects/{project_id}/dataset/media"
ROUTES = [
    Route(M, upload_endpoint(_upload, _precheck), methods=["POST"], name="upload_media"),
    Route(M, list_media, methods=["GET"]),
    Route(M, bulk_delete, methods=["DELETE"]),
    Route(M + "/ids", media_ids, methods=["GET"]),
    Route(M + "/{media_id}", one_media, methods=["GET", "DELETE"]),
    Route(M + "/{media_id}/binary", binary, methods=["GET"]),
    Route(M + "/{media_id}/thumbnail", thumbnail, methods=["GET"]),
    Route(M + "/{media_id}/frames", frames, methods=["GET"]),
]
