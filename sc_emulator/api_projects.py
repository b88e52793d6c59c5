"""Projects and datasets (docs/rest-api.md §7, §8): list, create, get, edit, delete, status, thumbnail."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from . import sc1
from .errors import ApiError, json_response
from .ids import now_iso, object_id
from .mediainfo import image_thumbnail, jpeg_bytes, video_frame
from .records import dataset_body, dataset_record, delete_media_rows, project_body, project_record
from .rules.labels import CURRENT_STYLE, SC1_STYLE
from .rules.pipeline import apply_project_edit, build_project, trainable_tasks
from .store import dumps, loads
from .web import DS, PROJ, WS, Call, endpoint

MAX_PROJECTS = 10000
MAX_DATASETS = 100


@endpoint
def list_projects(call: Call) -> dict:
    call.check_workspace()
    limit = call.int_query("limit", 10, 1, 100)
    skip = call.int_query("skip", 0)
    name = call.query.get("name", "")
    sort_by = call.query.get("sort_by", "creation_date")
    direction = call.query.get("sort_direction", "dsc").replace("desc", "dsc")
    if sort_by not in ("name", "creation_date") or direction not in ("asc", "dsc"):
        raise ApiError(400, "bad_request", "sort_by must be name|creation_date and sort_direction asc|dsc")
    column = "name COLLATE NOCASE" if sort_by == "name" else "seq"
    order = "ASC" if direction == "asc" else "DESC"
    store = call.emu.store
    total = store.one("SELECT COUNT(*) AS n FROM projects")["n"]
    pattern = "%" + name.replace("%", r"\%").replace("_", r"\_") + "%"
    rows = store.all(f"SELECT * FROM projects WHERE name LIKE ? ESCAPE '\\' ORDER BY {column} {order} "
                     "LIMIT ? OFFSET ?", (pattern, limit, skip))
    with_size = call.bool_query("with_size")
    projects = [project_body(call, r, loads(r["doc"]), with_datasets=call.emu.dialect.datasets_in_list,
                             with_size=with_size) for r in rows]
    next_page = ""
    if projects:
        # Real servers set next_page on every non-empty page, the last one included (docs/rest-api.md §15.1).
        query = dict(call.query)
        query.update({"limit": str(limit), "skip": str(skip + limit)})
        next_page = f"{call.request.url.path}?{urlencode(query)}"
    return {"projects": projects, "project_counts": total, "project_page_count": len(projects),
            "next_page": next_page}


@endpoint
def project_names(call: Call) -> dict:
    call.check_workspace()
    rows = call.emu.store.all("SELECT id, name FROM projects ORDER BY seq DESC")
    return {"projects": [{"id": r["id"], "name": r["name"]} for r in rows]}


@endpoint
def create_project(call: Call) -> Response:
    call.check_workspace()
    doc = build_project(call.json(), object_id, SC1_STYLE if call.emu.dialect.is_sc1 else CURRENT_STYLE)
    store = call.emu.store
    pid, created = object_id(), now_iso()
    with store.transaction() as conn:
        if conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] >= MAX_PROJECTS:
            raise ApiError(409, "max_number_of_projects_reached", "The maximum number of projects is reached.")
        conn.execute("INSERT INTO projects (id, name, created, doc, config) VALUES (?, ?, ?, ?, 'null')",
                     (pid, doc["name"], created, dumps(doc)))
        conn.execute("INSERT INTO datasets (id, project_id, name, created, use_for_training) VALUES (?,?,?,?,1)",
                     (object_id(), pid, "Dataset", created))
    row = store.one("SELECT * FROM projects WHERE id = ?", (pid,))
    return json_response(project_body(call, row, doc), 201)


@endpoint
def get_project(call: Call) -> dict:
    row, doc = project_record(call)
    return project_body(call, row, doc, include_deleted=call.bool_query("include_deleted_labels"),
                        with_size=call.bool_query("with_size"))


@endpoint
def edit_project(call: Call) -> dict:
    row, doc = project_record(call)
    new_doc = apply_project_edit(doc, call.json(), object_id)
    with call.emu.store.transaction() as conn:
        conn.execute("UPDATE projects SET name = ?, doc = ? WHERE id = ?", (new_doc["name"], dumps(new_doc), row["id"]))
    row = call.emu.store.one("SELECT * FROM projects WHERE id = ?", (row["id"],))
    return project_body(call, row, new_doc)


@endpoint(offload=True)  # every media's blob checked and removed
def delete_project(call: Call) -> dict:
    row, _ = project_record(call)
    store = call.emu.store
    delete_media_rows(store, "project_id = ?", (row["id"],))
    model_docs = [loads(r["doc"]) for r in store.all("SELECT doc FROM models WHERE project_id = ?", (row["id"],))]
    with store.transaction() as conn:
        for table in ("datasets", "model_groups", "models", "jobs"):
            conn.execute(f"DELETE FROM {table} WHERE project_id = ?", (row["id"],))
        conn.execute("DELETE FROM projects WHERE id = ?", (row["id"],))
        for doc in model_docs:
            for digest in [doc["base_blob"]] + [o["blob"] for o in doc["optimized_models"]]:
                store.drop_blob_if_unused(digest)
    return {"result": "success"}


@endpoint
def project_status(call: Call) -> dict:
    row, doc = project_record(call)
    store = call.emu.store
    annotated = store.one("SELECT COUNT(DISTINCT s.media_id) AS n FROM scenes s JOIN media m ON m.id = s.media_id "
                          "WHERE m.project_id = ? AND s.latest = 1", (row["id"],))["n"]
    tasks = [{"id": t["id"], "title": t["title"], "is_training": False, "ready_to_train": False,
              "required_annotations": {"value": 0, "details": []}, "n_new_annotations": annotated,
              "status": {"progress": -1.0, "message": "No training capacity on this cluster (sc_emulator)"}}
             for t in trainable_tasks(doc)]
    body = {"is_training": False, "n_required_annotations": 0, "n_new_annotations": annotated,
            "project_performance": {"score": None, "task_performances": []},
            "status": {"progress": -1.0, "time_remaining": None}, "tasks": tasks}
    return sc1.status(body) if call.emu.dialect.is_sc1 else body


@endpoint(offload=True)  # decodes
def project_thumbnail(call: Call) -> Response:
    row, _ = project_record(call)
    store = call.emu.store
    media = store.one("SELECT * FROM media WHERE project_id = ? ORDER BY seq LIMIT 1", (row["id"],))
    if media is None:
        return Response(status_code=204)
    info = loads(media["info"])
    path = store.blob_path(info["blob"])
    if media["type"] == "image":
        data = image_thumbnail(path)
    else:
        data = jpeg_bytes(video_frame(path, info["frame_count"] // 2, info["fps"]), 256)
    return Response(data, media_type="image/jpeg")


# -- datasets -------------------------------------------------------------------------------------
@endpoint
def list_datasets(call: Call) -> dict:
    row, _ = project_record(call)
    rows = call.emu.store.all("SELECT * FROM datasets WHERE project_id = ? ORDER BY seq", (row["id"],))
    return {"datasets": [dataset_body(r) for r in rows]}


def _dataset_name(call: Call) -> str:
    body = call.json()
    name = body.get("name") if isinstance(body, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "bad_request", "Invalid value received for field 'name': a non-empty string is required")
    return name


def _name_taken(conn, project_id: str, name: str, except_id: str = "") -> None:
    if conn.execute("SELECT 1 FROM datasets WHERE project_id = ? AND name = ? AND id != ?",
                    (project_id, name, except_id)).fetchone():
        raise ApiError(409, "dataset_already_exists",
                       f"A dataset with the name '{name}' already exists in this project.")


@endpoint
def create_dataset(call: Call) -> Response:
    row, _ = project_record(call)
    name = _dataset_name(call)
    did, store = object_id(), call.emu.store
    with store.transaction() as conn:
        _name_taken(conn, row["id"], name)
        if conn.execute("SELECT COUNT(*) FROM datasets WHERE project_id = ?",
                        (row["id"],)).fetchone()[0] >= MAX_DATASETS:
            raise ApiError(409, "max_number_of_datasets_reached", "The maximum number of datasets is reached.")
        conn.execute("INSERT INTO datasets (id, project_id, name, created, use_for_training) VALUES (?,?,?,?,0)",
                     (did, row["id"], name, now_iso()))
    return json_response(dataset_body(store.one("SELECT * FROM datasets WHERE id = ?", (did,))), 201)


@endpoint
def get_dataset(call: Call) -> dict:
    project_record(call)
    return dataset_body(dataset_record(call))


@endpoint
def rename_dataset(call: Call) -> dict:
    project_record(call)
    ds = dataset_record(call)
    name = _dataset_name(call)
    store = call.emu.store
    with store.transaction() as conn:
        _name_taken(conn, ds["project_id"], name, ds["id"])
        conn.execute("UPDATE datasets SET name = ? WHERE id = ?", (name, ds["id"]))
    return dataset_body(store.one("SELECT * FROM datasets WHERE id = ?", (ds["id"],)))


@endpoint(offload=True)  # every media's blob checked and removed
def delete_dataset(call: Call) -> dict:
    project_record(call)
    ds = dataset_record(call)
    if ds["use_for_training"]:
        raise ApiError(400, "bad_request", "The training dataset of a project cannot be deleted.")
    store = call.emu.store
    delete_media_rows(store, "dataset_id = ?", (ds["id"],))
    with store.transaction() as conn:
        conn.execute("DELETE FROM datasets WHERE id = ?", (ds["id"],))
    return {"result": "success"}


ROUTES = [
    Route(WS + "/projects", list_projects, methods=["GET"]),
    Route(WS + "/projects", create_project, methods=["POST"]),
    Route(WS + "/projects_names", project_names, methods=["GET"]),
    Route(PROJ, get_project, methods=["GET"]),
    Route(PROJ, edit_project, methods=["PUT"]),
    Route(PROJ, delete_project, methods=["DELETE"]),
    Route(PROJ + "/status", project_status, methods=["GET"]),
    Route(PROJ + "/thumbnail", project_thumbnail, methods=["GET"]),
    Route(PROJ + "/datasets", list_datasets, methods=["GET"]),
    Route(PROJ + "/datasets", create_dataset, methods=["POST"]),
    Route(DS, get_dataset, methods=["GET"]),
    Route(DS, rename_dataset, methods=["PUT"]),
    Route(DS, delete_dataset, methods=["DELETE"]),
]
