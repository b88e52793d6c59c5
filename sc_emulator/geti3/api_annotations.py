"""Annotations per media (``.../dataset/media/{media_id}/annotations[?frame_index=N]``) and the dataset
items (``.../dataset/items``, ``.../dataset/statistics``).

A POST replaces the item's annotations and always stores ``user_reviewed=true`` (the REST path writes
user annotations only); the subset can be set once. On a video with ``frame_index``, the first POST
extracts the frame as a ``video_frame`` media of its own.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..store import dumps, loads
from .annotation_rules import SUBSETS, parse_body, validate
from .api_projects import get_project, project_labels
from .media_files import create_frame_media, frame_jpeg, get_media_row
from .schema import Check
from .web import Call, HTTPError, endpoint, json_response, not_found

NOT_ANNOTATED = "Media has not been annotated yet."


def annotations_view(item: dict[str, Any]) -> dict[str, Any]:
    return {"annotations": loads(item["annotations"]) if item["annotations"] is not None else [],
            "user_reviewed": bool(item["user_reviewed"]), "prediction_model_id": item["prediction_model_id"],
            "subset": item["subset"]}


def _target(call: Call) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None, int | None]:
    """``(project, media, frame media or None, frame_index)`` of the path and query."""
    project = get_project(call)
    media = get_media_row(call, project["id"], call.path_uuid("media_id"))
    check = Check()
    index = check.int_(call.q("frame_index"), ("query", "frame_index"), required=False, ge=0)
    check.done()
    if media["type"] != "video":
        return project, media, media, None
    if index is None:
        raise HTTPError(400, "A frame_index is required to annotate a video.")
    row = call.store.one("SELECT id FROM media WHERE video_id = ? AND frame_index = ?", (media["id"], index))
    frame = get_media_row(call, project["id"], row["id"]) if row else None
    return project, media, frame, index


def _item(call: Call, media_id: str) -> dict[str, Any]:
    return dict(call.store.one("SELECT * FROM items WHERE media_id = ?", (media_id,)))


@endpoint
def media_annotations(call: Call) -> Any:
    project, media, frame, index = _target(call)
    if call.method == "GET":
        if frame is None:
            raise HTTPError(404, "Video frame not found for the given index.")
        item = _item(call, frame["id"])
        if item["annotations"] is None:
            raise HTTPError(404, NOT_ANNOTATED)
        return annotations_view(item)
    if call.method == "DELETE":
        if frame is None:
            raise HTTPError(404, "Video frame not found for the given index.")
        with call.store.transaction() as conn:
            conn.execute("UPDATE items SET annotations = NULL, user_reviewed = 0, label_ids = '[]', "
                         "prediction_model_id = NULL WHERE media_id = ?", (frame["id"],))
        return Response(status_code=204)
    new, subset = parse_body(call.json())
    label_ids = {lab["id"] for lab in project_labels(call, project["id"])}
    info = (frame or media)["info"]
    validate(project, label_ids, info["width"], info["height"], new)
    if frame is not None and subset is not None:
        current = _item(call, frame["id"])["subset"]
        if current != "unassigned" and current != subset:
            raise HTTPError(409, "Dataset item has already a subset assigned.")
    frame_bytes = frame_jpeg(call, media, index) if frame is None and index is not None else None
    with call.store.transaction() as conn:
        target = frame["id"] if frame is not None else create_frame_media(call, conn, media, index or 0,
                                                                          frame_bytes or b"")
        used = sorted({lab["id"] for ann in new for lab in ann["labels"]})
        conn.execute("UPDATE items SET annotations = ?, user_reviewed = 1, label_ids = ?, prediction_model_id = NULL"
                     " WHERE media_id = ?", (dumps(new), dumps(used), target))
        if subset is not None:
            conn.execute("UPDATE items SET subset = ? WHERE media_id = ? AND subset = 'unassigned'", (subset, target))
    return json_response({**annotations_view(_item(call, target)), "media_id": target}, 201)


def _item_view(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["media_id"], "subset": item["subset"], "user_reviewed": bool(item["user_reviewed"])}


@endpoint
def items(call: Call) -> Any:
    project = get_project(call)
    check = Check()
    limit = check.int_(call.q("limit"), ("query", "limit"), required=False, default=10, ge=1, le=100)
    offset = check.int_(call.q("offset"), ("query", "offset"), required=False, default=0, ge=0, le=2147483647)
    status = check.enum(call.q("annotation_status"), ("query", "annotation_status"),
                        ("with_annotations", "missing_annotations"), required=False)
    subset = check.enum(call.q("subset"), ("query", "subset"), SUBSETS, required=False)
    labels = {check.uuid_(v, ("query", "labels", i)) for i, v in enumerate(call.q_list("labels"))}
    direction = check.enum(call.q("sort_direction"), ("query", "sort_direction"), ("asc", "desc"),
                           required=False, default="desc")
    check.enum(call.q("sort_by"), ("query", "sort_by"), ("creation_date",), required=False)
    check.done()
    rows = [dict(r) for r in call.store.all(
        f"SELECT * FROM items WHERE project_id = ? ORDER BY seq {'ASC' if direction == 'asc' else 'DESC'}",
        (project["id"],))]
    found = [r for r in rows
             if (status is None or (r["annotations"] is not None) == (status == "with_annotations"))
             and (subset is None or r["subset"] == subset)
             and (not labels or labels & set(loads(r["label_ids"])))]
    page = found[offset:offset + limit]
    return {"items": [_item_view(r) for r in page],
            "pagination": {"offset": offset, "limit": limit, "count": len(page), "total": len(found)}}


@endpoint
def one_item(call: Call) -> Any:
    project = get_project(call)
    item_id = call.path_uuid("dataset_item_id")
    row = call.store.one("SELECT * FROM items WHERE media_id = ? AND project_id = ?", (item_id, project["id"]))
    if row is None:
        raise not_found("DatasetItem", item_id)
    return _item_view(dict(row))


@endpoint
def statistics(call: Call) -> Any:
    project = get_project(call)
    pid = project["id"]
    counts = {r["type"]: r["n"] for r in call.store.all(
        "SELECT type, COUNT(*) AS n FROM media WHERE project_id = ? GROUP BY type", (pid,))}
    annotated = [dict(r) for r in call.store.all(
        "SELECT m.type, m.video_id, i.annotations FROM items i JOIN media m ON m.id = i.media_id "
        "WHERE i.project_id = ? AND i.annotations IS NOT NULL", (pid,))]
    per_label: dict[str, int] = {lab["id"]: 0 for lab in project_labels(call, pid)}
    instances = 0
    for row in annotated:
        for ann in loads(row["annotations"]):
            instances += 1
            for ref in ann["labels"]:
                per_label[ref["id"]] = per_label.get(ref["id"], 0) + 1
    return {"media_counts": {"images": counts.get("image", 0), "videos": counts.get("video", 0),
                             "video_frames": counts.get("video_frame", 0)},
            "annotations_counts": {
                "annotated_images": sum(1 for r in annotated if r["type"] == "image"),
                "annotated_videos": len({r["video_id"] for r in annotated if r["type"] == "video_frame"}),
                "annotated_video_frames": sum(1 for r in annotated if r["type"] == "video_frame"),
                "instances": instances,
                "instances_per_label": [{"label_id": k, "instances": v} for k, v in per_label.items()]}}


D = "/api/projects/{project_id}/dataset"
ROUTES = [
    Route(D + "/media/{media_id}/annotations", media_annotations, methods=["GET", "POST", "DELETE"]),
    Route(D + "/items", items, methods=["GET"]),
    Route(D + "/items/{dataset_item_id}", one_item, methods=["GET"]),
    Route(D + "/statistics", statistics, methods=["GET"]),
]
