"""Loading stored entities by the ids in a request path, and presenting them as the real services do."""

from __future__ import annotations

from typing import Any

from .errors import ApiError, not_found
from .ids import is_object_id
from .rules.pipeline import strip_deleted_labels, trainable_tasks
from .store import Store, loads
from .web import Call


def _check_id(kind: str, ident: str) -> None:
    if not is_object_id(ident):
        # The real services reject malformed ObjectIds in the path before looking anything up.
        raise ApiError(400, "bad_request", f"Invalid {kind} ID '{ident}': expected a 24-character hexadecimal ID.")


def project_record(call: Call) -> tuple[Any, dict[str, Any]]:
    """The project row and its stored document, or 404 ``project_not_found``."""
    call.check_workspace()
    pid = call.params["project_id"]
    _check_id("project", pid)
    row = call.emu.store.one("SELECT * FROM projects WHERE id = ?", (pid,))
    if row is None:
        raise not_found("project", pid)
    return row, loads(row["doc"])


def dataset_record(call: Call) -> Any:
    """The dataset row of the path (after its project), or 404 ``dataset_not_found``."""
    did = call.params["dataset_id"]
    _check_id("dataset", did)
    row = call.emu.store.one("SELECT * FROM datasets WHERE id = ? AND project_id = ?",
                             (did, call.params["project_id"]))
    if row is None:
        raise not_found("dataset", did)
    return row


def media_record(call: Call, kind: str) -> tuple[Any, dict[str, Any]]:
    """The image or video row of the path and its info dict, or 404 ``image_not_found``/``video_not_found``."""
    key = "image_id" if kind == "image" else "video_id"
    mid = call.params[key]
    _check_id(kind, mid)
    row = call.emu.store.one("SELECT * FROM media WHERE id = ? AND dataset_id = ? AND type = ?",
                             (mid, call.params["dataset_id"], kind))
    if row is None:
        raise not_found(kind, mid)
    return row, loads(row["info"])


def frame_index(call: Call, info: dict[str, Any]) -> int:
    """The ``frame_index`` of the path as an index into the video, or 400 ``bad_request``."""
    raw = call.params["frame_index"]
    # str.isdigit() also accepts digits such as '²' that int() refuses: only ASCII digits are an index.
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= info["frame_count"]:
        raise ApiError(400, "bad_request", f"Frame index '{raw}' is out of range: the video has "
                       f"{info['frame_count']} frames (0..{info['frame_count'] - 1}).")
    return int(raw)


def dataset_body(row: Any) -> dict[str, Any]:
    return {"id": row["id"], "name": row["name"], "creation_time": row["created"],
            "use_for_training": bool(row["use_for_training"])}


def project_body(call: Call, row: Any, doc: dict[str, Any], *, with_datasets: bool = True,
                 include_deleted: bool = False, with_size: bool = False) -> dict[str, Any]:
    """The project object of docs/rest-api.md §7.2 from its stored document."""
    store: Store = call.emu.store
    shown = doc if include_deleted else strip_deleted_labels(doc)
    body: dict[str, Any] = {
        "id": row["id"], "name": doc["name"], "creation_time": row["created"], "creator_id": call.emu.user_id,
        "pipeline": shown["pipeline"],
        "performance": {"score": None, "task_performances": [
            {call.emu.dialect.performance_task_key: t["id"], "score": None} for t in trainable_tasks(doc)]},
        "thumbnail": f"{call.prefix()}/projects/{row['id']}/thumbnail",
        "storage_info": {},
    }
    if not call.emu.at_least("1.8.0"):  # both arrived in 1.8; geti-sdk 1.5 refuses a project that has them
        del body["performance"]["task_performances"], body["storage_info"]
    if with_size:
        total = sum(loads(m["info"]).get("size", 0)
                    for m in store.all("SELECT info FROM media WHERE project_id = ?", (row["id"],)))
        body["storage_info"] = {"size": total, "size_excluding_models": total,
                                "size_excluding_non_active_models": total}
    if with_datasets:
        rows = store.all("SELECT * FROM datasets WHERE project_id = ? ORDER BY seq", (row["id"],))
        body["datasets"] = [dataset_body(r) for r in rows]
    if call.emu.dialect.is_sc1:
        from . import sc1

        return sc1.project(body)
    return body


def delete_media_rows(store: Store, where: str, args: tuple) -> None:
    """Delete media (with their scenes, ranges, blobs and cached renderings) selected by ``where``."""
    rows = store.all(f"SELECT id, info FROM media WHERE {where}", args)
    digests = []
    with store.transaction() as conn:
        for row in rows:
            conn.execute("DELETE FROM scenes WHERE media_id = ?", (row["id"],))
            conn.execute("DELETE FROM ranges WHERE video_id = ?", (row["id"],))
            conn.execute("DELETE FROM media WHERE id = ?", (row["id"],))
            digests.append(loads(row["info"])["blob"])
    with store.write_lock:  # pairs with the adoption of blobs in uploads
        for digest in set(digests):
            store.drop_blob_if_unused(digest)
    for row in rows:
        for cached in store.cache_dir.glob(f"{row['id']}*"):
            cached.unlink(missing_ok=True)
