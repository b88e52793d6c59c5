"""Dataset views (``/api/projects/{pid}/dataset/views``, the router variant of the 3.3 development head):
named subsets of the project's media, membership per media (images and whole videos)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..ids import now_iso
from .api_projects import get_project
from .schema import MISSING, Check
from .web import Call, HTTPError, endpoint, json_response, not_found


def _view(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "project_id": row["project_id"], "name": row["name"], "created_at": row["created"]}


def _get_view(call: Call, project_id: str) -> Any:
    view_id = call.path_uuid("dataset_view_id")
    row = call.store.one("SELECT * FROM views WHERE id = ? AND project_id = ?", (view_id, project_id))
    if row is None:
        raise not_found("DatasetView", view_id)
    return row


def _media_ids(call: Call, check: Check, body: dict[str, Any], required: bool) -> list[str]:
    values = check.list_(body.get("media_ids", [] if not required else MISSING), ("body", "media_ids")) or []
    return [i for i in (check.uuid_(v, ("body", "media_ids", n)) for n, v in enumerate(values)) if i]


def _check_members(call: Call, project_id: str, media_ids: list[str]) -> None:
    for media_id in media_ids:
        row = call.store.one("SELECT type FROM media WHERE id = ? AND project_id = ?", (media_id, project_id))
        if row is None or row["type"] == "video_frame":
            raise not_found("Media", media_id)


def _duplicate(name: str) -> HTTPError:
    return HTTPError(409, f"A dataset view with the name '{name}' already exists.")


@endpoint
def views(call: Call) -> Any:
    project = get_project(call)
    if call.method == "GET":
        rows = call.store.all("SELECT * FROM views WHERE project_id = ? ORDER BY seq", (project["id"],))
        return [_view(r) for r in rows]
    check = Check()
    body = call.body_object(check)
    name = check.str_(body.get("name", MISSING), ("body", "name"), min_len=1, max_len=255)
    media_ids = _media_ids(call, check, body, required=False)
    check.done()
    _check_members(call, project["id"], media_ids)
    view_id = str(uuid.uuid4())
    try:
        with call.store.transaction() as conn:
            conn.execute("INSERT INTO views (id, project_id, name, created) VALUES (?, ?, ?, ?)",
                         (view_id, project["id"], name, now_iso()))
            for media_id in media_ids:
                conn.execute("INSERT OR IGNORE INTO view_media (view_id, media_id) VALUES (?, ?)", (view_id, media_id))
    except sqlite3.IntegrityError:
        raise _duplicate(name) from None
    return json_response(_view(call.store.one("SELECT * FROM views WHERE id = ?", (view_id,))), 201)


@endpoint
def one_view(call: Call) -> Any:
    project = get_project(call)
    view = _get_view(call, project["id"])
    if call.method == "GET":
        return _view(view)
    if call.method == "DELETE":
        with call.store.transaction() as conn:
            conn.execute("DELETE FROM view_media WHERE view_id = ?", (view["id"],))
            conn.execute("DELETE FROM views WHERE id = ?", (view["id"],))
        return Response(status_code=204)
    check = Check()
    body = call.body_object(check)
    name = check.str_(body.get("name", MISSING), ("body", "name"), min_len=1, max_len=255)
    check.done()
    try:
        with call.store.transaction() as conn:
            conn.execute("UPDATE views SET name = ? WHERE id = ?", (name, view["id"]))
    except sqlite3.IntegrityError:
        raise _duplicate(name) from None
    return _view(call.store.one("SELECT * FROM views WHERE id = ?", (view["id"],)))


@endpoint
def view_media(call: Call) -> Any:
    project = get_project(call)
    view = _get_view(call, project["id"])
    check = Check()
    body = call.body_object(check)
    media_ids = _media_ids(call, check, body, required=True)
    check.done()
    if call.method == "POST":
        _check_members(call, project["id"], media_ids)
    with call.store.transaction() as conn:
        for media_id in media_ids:
            if call.method == "POST":
                conn.execute("INSERT OR IGNORE INTO view_media (view_id, media_id) VALUES (?, ?)", (view["id"],
                                                                                                    media_id))
            else:
                conn.execute("DELETE FROM view_media WHERE view_id = ? AND media_id = ?", (view["id"], media_id))
    return Response(status_code=204)


V = "/api/projects/{project_id}/dataset/views"
ROUTES = [
    Route(V, views, methods=["GET", "POST"]),
    Route(V + "/{dataset_view_id}", one_view, methods=["GET", "PATCH", "DELETE"]),
    Route(V + "/{dataset_view_id}/media", view_media, methods=["POST", "DELETE"]),
]
