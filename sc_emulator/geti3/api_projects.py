"""Projects (one task each) and their flat label list: ``/api/projects`` and ``.../labels``."""

from __future__ import annotations

import random
import sqlite3
import uuid
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from ..ids import now_iso
from ..store import dumps, loads
from .media_files import thumbnail_response
from .schema import MISSING, Check
from .web import Call, HTTPError, endpoint, json_response, not_found

TASK_TYPES = ("classification", "detection", "instance_segmentation")
COLOR_PATTERN = r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$"
# Label names 1..50 characters; hotkeys and project names have no length rule in the request schema.
NAME_MAX = 50
DUPLICATES = "Either label names or hotkeys have duplicates"


def get_project(call: Call) -> dict[str, Any]:
    """The project of the path (400 malformed id, 404 unknown) as a plain dict."""
    project_id = call.path_uuid("project_id")
    row = call.store.one("SELECT * FROM projects WHERE id = ?", (project_id,))
    if row is None:
        raise not_found("Project", project_id)
    return dict(row)


def project_labels(call: Call, project_id: str) -> list[dict[str, Any]]:
    rows = call.store.all("SELECT id, name, color, hotkey FROM labels WHERE project_id = ? ORDER BY seq",
                          (project_id,))
    return [dict(r) for r in rows]


def project_view(call: Call, project: dict[str, Any]) -> dict[str, Any]:
    return {"id": project["id"], "name": project["name"],
            "task": {"task_type": project["task_type"], "exclusive_labels": bool(project["exclusive_labels"]),
                     "labels": project_labels(call, project["id"])},
            "active_pipeline": False, "created_at": project["created"]}


def _label_create(check: Check, value: Any, loc: tuple) -> dict[str, Any] | None:
    item = check.obj(value, loc)
    if item is None:
        return None
    label_id = check.uuid_(item.get("id", MISSING), loc + ("id",), required=False)
    return {"id": label_id or str(uuid.uuid4()),
            "name": check.str_(item.get("name", MISSING), loc + ("name",), min_len=1, max_len=NAME_MAX),
            "color": check.str_(item.get("color", MISSING), loc + ("color",), required=False,
                                pattern=COLOR_PATTERN) or f"#{random.randrange(1 << 24):06x}",
            "hotkey": check.str_(item.get("hotkey", MISSING), loc + ("hotkey",), required=False)}


def _check_unique(labels: list[dict[str, Any]]) -> None:
    names = [lab["name"] for lab in labels]
    hotkeys = [lab["hotkey"] for lab in labels if lab["hotkey"] is not None]
    if len(set(names)) != len(names) or len(set(hotkeys)) != len(hotkeys):
        raise HTTPError(409, DUPLICATES)


def _insert_labels(call: Call, conn: sqlite3.Connection, project_id: str, labels: list[dict[str, Any]]) -> None:
    for label in labels:
        if call.store.one("SELECT 1 FROM labels WHERE id = ?", (label["id"],)):
            raise HTTPError(409, f"Label with ID '{label['id']}' already exists.")
        conn.execute("INSERT INTO labels (id, project_id, name, color, hotkey) VALUES (?, ?, ?, ?, ?)",
                     (label["id"], project_id, label["name"], label["color"], label["hotkey"]))


@endpoint
def projects(call: Call) -> Any:
    if call.method == "GET":
        rows = call.store.all("SELECT * FROM projects ORDER BY seq")
        return [project_view(call, dict(r)) for r in rows]
    check = Check()
    body = call.body_object(check)
    project_id = check.uuid_(body.get("id", MISSING), ("body", "id"), required=False) or str(uuid.uuid4())
    name = check.str_(body.get("name", MISSING), ("body", "name"))
    task = check.obj(body.get("task", MISSING), ("body", "task")) or {}
    task_type = exclusive = None
    labels: list[dict[str, Any]] = []
    if task:
        task_type = check.enum(task.get("task_type", MISSING), ("body", "task", "task_type"), TASK_TYPES)
        exclusive = check.bool_(task.get("exclusive_labels", MISSING), ("body", "task", "exclusive_labels"), False)
        for i, item in enumerate(check.list_(task.get("labels", []), ("body", "task", "labels")) or []):
            labels.append(_label_create(check, item, ("body", "task", "labels", i)) or {})
    check.done()
    _check_unique(labels)
    with call.store.transaction() as conn:
        if call.store.one("SELECT 1 FROM projects WHERE id = ?", (project_id,)):
            raise HTTPError(409, f"Project with ID {project_id} already exists.")
        conn.execute("INSERT INTO projects (id, name, task_type, exclusive_labels, created) VALUES (?, ?, ?, ?, ?)",
                     (project_id, name, task_type, int(bool(exclusive)), now_iso()))
        _insert_labels(call, conn, project_id, labels)
    return json_response(project_view(call, get_project_by_id(call, project_id)), 201)


def get_project_by_id(call: Call, project_id: str) -> dict[str, Any]:
    return dict(call.store.one("SELECT * FROM projects WHERE id = ?", (project_id,)))


@endpoint
def one_project(call: Call) -> Any:
    project = get_project(call)
    if call.method == "GET":
        return project_view(call, project)
    if call.method == "PATCH":
        check = Check()
        body = call.body_object(check)
        name = check.str_(body.get("name", MISSING), ("body", "name"))
        check.done()
        with call.store.transaction() as conn:
            conn.execute("UPDATE projects SET name = ? WHERE id = ?", (name, project["id"]))
        return project_view(call, get_project_by_id(call, project["id"]))
    delete_project_data(call, project["id"])
    return Response(status_code=204)


def delete_project_data(call: Call, project_id: str) -> None:
    """The project row cascades to everything it owns; blobs no other media uses go too."""
    digests = [loads(r["info"]).get("digest") for r in
               call.store.all("SELECT info FROM media WHERE project_id = ?", (project_id,))]
    with call.store.transaction() as conn:
        conn.execute("DELETE FROM view_media WHERE view_id IN (SELECT id FROM views WHERE project_id = ?)",
                     (project_id,))
        for table in ("views", "items", "media", "labels", "training_configs"):
            conn.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,))
        conn.execute("DELETE FROM projects WHERE id = ?", (project_id,))
    for digest in filter(None, digests):
        call.store.drop_blob_if_unused(digest)


def _minimum(project: dict[str, Any]) -> int:
    return 2 if project["task_type"] == "classification" and project["exclusive_labels"] else 1


@endpoint
def patch_labels(call: Call) -> Any:
    project = get_project(call)
    check = Check()
    body = call.body_object(check)
    add = [_label_create(check, v, ("body", "labels_to_add", i)) or {}
           for i, v in enumerate(check.list_(body.get("labels_to_add", []), ("body", "labels_to_add")) or [])]
    edits: list[dict[str, Any]] = []
    for i, v in enumerate(check.list_(body.get("labels_to_edit", []), ("body", "labels_to_edit")) or []):
        loc = ("body", "labels_to_edit", i)
        item = check.obj(v, loc) or {}
        edits.append({"id": check.uuid_(item.get("id", MISSING), loc + ("id",)),
                      "name": check.str_(item.get("new_name", MISSING), loc + ("new_name",), required=False,
                                         min_len=1, max_len=NAME_MAX),
                      "color": check.str_(item.get("new_color", MISSING), loc + ("new_color",), required=False,
                                          pattern=COLOR_PATTERN),
                      "hotkey": check.str_(item.get("new_hotkey", MISSING), loc + ("new_hotkey",),
                                           required=False)})
    removes: list[str] = []
    for i, v in enumerate(check.list_(body.get("labels_to_remove", []), ("body", "labels_to_remove")) or []):
        item = check.obj(v, ("body", "labels_to_remove", i)) or {}
        label_id = check.uuid_(item.get("id", MISSING), ("body", "labels_to_remove", i, "id"))
        if label_id is not None:
            removes.append(label_id)
    check.done()
    current = {lab["id"]: lab for lab in project_labels(call, project["id"])}
    for label_id in [e["id"] for e in edits] + removes:
        if label_id not in current:
            raise not_found("Label", label_id)
    result = {k: dict(v) for k, v in current.items()}
    for edit in edits:
        for field in ("name", "color", "hotkey"):
            if edit[field] is not None:
                result[edit["id"]][field] = edit[field]
    for label_id in removes:
        result.pop(label_id, None)
    after = list(result.values()) + add
    needed = _minimum(project)
    if len(after) < needed:
        kind = "Multiclass classification projects" if needed == 2 else "A project"
        raise HTTPError(409, f"{kind} requires at least {needed} label{'s' if needed > 1 else ''}.")
    _check_unique(after)
    with call.store.transaction() as conn:
        for edit in edits:
            lab = result[edit["id"]]
            conn.execute("UPDATE labels SET name = ?, color = ?, hotkey = ? WHERE id = ?",
                         (lab["name"], lab["color"], lab["hotkey"], lab["id"]))
        for label_id in removes:
            conn.execute("DELETE FROM labels WHERE id = ?", (label_id,))
        if removes:
            _strip_labels(call, conn, project, set(removes))
        _insert_labels(call, conn, project["id"], add)
    return project_labels(call, project["id"])


def _strip_labels(call: Call, conn: sqlite3.Connection, project: dict[str, Any], removed: set[str]) -> None:
    """Removed labels leave every shape; shapes left without labels go. A multiclass item left empty
    becomes unannotated (an empty list is not a valid multiclass annotation)."""
    multiclass = _minimum(project) == 2
    rows = call.store.all("SELECT media_id, annotations FROM items WHERE project_id = ? AND annotations IS NOT NULL",
                          (project["id"],))
    for row in rows:
        annotations = loads(row["annotations"])
        kept = []
        for ann in annotations:
            ann["labels"] = [lab for lab in ann["labels"] if lab["id"] not in removed]
            if ann["labels"]:
                kept.append(ann)
        if dumps(kept) == row["annotations"]:
            continue
        label_ids = sorted({lab["id"] for ann in kept for lab in ann["labels"]})
        if not kept and multiclass:
            conn.execute("UPDATE items SET annotations = NULL, user_reviewed = 0, label_ids = '[]' "
                         "WHERE media_id = ?", (row["media_id"],))
        else:
            conn.execute("UPDATE items SET annotations = ?, label_ids = ? WHERE media_id = ?",
                         (dumps(kept), dumps(label_ids), row["media_id"]))


@endpoint(offload=True)  # decodes
def thumbnail(call: Call) -> Any:
    project = get_project(call)
    row = call.store.one("SELECT id FROM media WHERE project_id = ? ORDER BY seq LIMIT 1", (project["id"],))
    if row is None:
        return Response(status_code=204)
    return thumbnail_response(call, row["id"], None)


P = "/api/projects/{project_id}"
ROUTES = [
    Route("/api/projects", projects, methods=["GET", "POST"]),
    Route(P, one_project, methods=["GET", "PATCH", "DELETE"]),
    Route(P + "/labels", patch_labels, methods=["PATCH"]),
    Route(P + "/thumbnail", thumbnail, methods=["GET"]),
]
