"""Models and jobs (docs/rest-api.md §12, §13) plus the admin route that places trained models.

The emulator cannot train: ``:train`` and ``:optimize`` create a job that fails at once with a clear
message (what a cluster without training capacity reports), and models exist only when a test places
them through ``POST /_emulator/projects/{project_id}/models`` — base and optimized export zips included —
so that model backup can be tested against real bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any
from urllib.parse import urlencode

from starlette.responses import FileResponse
from starlette.routing import Route

from .errors import ApiError, json_response, not_found
from .ids import now_iso, object_id
from .records import project_record
from .rules.pipeline import trainable_tasks
from .store import dumps, loads
from .web import PROJ, WS, Call, endpoint

NO_CAPACITY = ("This cluster has no training capacity: sc_emulator cannot train or optimize models. "
               "Place trained models with POST /_emulator/projects/{project_id}/models.")
_SUMMARY_KEYS = ("id", "name", "creation_date", "size", "version", "performance", "label_schema_in_sync",
                 "score_up_to_date", "active_model", "purge_info")


def _public_model(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k != "base_blob"}
    out["optimized_models"] = [{k: v for k, v in o.items() if k != "blob"} for o in doc["optimized_models"]]
    return out


def _group_body(call: Call, group: dict[str, Any]) -> dict[str, Any]:
    rows = call.emu.store.all("SELECT doc FROM models WHERE group_id = ? ORDER BY seq DESC", (group["id"],))
    return {**group, "models": [{k: loads(r["doc"]).get(k) for k in _SUMMARY_KEYS} for r in rows]}


def _group(call: Call) -> dict[str, Any]:
    row, _ = project_record(call)
    gid = call.params["model_group_id"]
    found = call.emu.store.one("SELECT doc FROM model_groups WHERE id = ? AND project_id = ?", (gid, row["id"]))
    if found is None:
        raise ApiError(404, "model_storage_not_found", f"Model group with ID '{gid}' could not be found.")
    return loads(found["doc"])


def _model(call: Call) -> dict[str, Any]:
    group = _group(call)
    mid = call.params["model_id"]
    found = call.emu.store.one("SELECT doc FROM models WHERE id = ? AND group_id = ?", (mid, group["id"]))
    if found is None:
        raise not_found("model", mid)
    return loads(found["doc"])


@endpoint
def list_groups(call: Call) -> dict:
    row, _ = project_record(call)
    task_id = call.query.get("task_id")
    rows = call.emu.store.all("SELECT doc FROM model_groups WHERE project_id = ? ORDER BY seq", (row["id"],))
    groups = [loads(r["doc"]) for r in rows]
    return {"model_groups": [_group_body(call, g) for g in groups if not task_id or g["task_id"] == task_id]}


@endpoint
def get_group(call: Call) -> dict:
    return _group_body(call, _group(call))


@endpoint
def get_model(call: Call) -> dict:
    return _public_model(_model(call))


def _zip(call: Call, digest: str, filename: str) -> FileResponse:
    return FileResponse(call.emu.store.blob_path(digest), media_type="application/zip", filename=filename)


@endpoint
def export_model(call: Call) -> FileResponse:
    doc = _model(call)
    return _zip(call, doc["base_blob"], f"{doc['name']}_base.zip".replace(" ", "_"))


@endpoint
def export_optimized(call: Call) -> FileResponse:
    doc = _model(call)
    oid = call.params["optimized_model_id"]
    for opt in doc["optimized_models"]:
        if opt["id"] == oid:
            return _zip(call, opt["blob"], f"{opt['name']}.zip".replace(" ", "_"))
    raise not_found("model", oid)


def _object_body(call: Call, allow_empty: bool = False) -> dict[str, Any]:
    """The JSON body, which must be an object: anything else is 400 ``bad_request`` (never a 500)."""
    body = call.json(allow_empty=allow_empty)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", f"The request body must be a JSON object, not {type(body).__name__}.")
    return body


def _failed_job(call: Call, job_type: str, project: dict[str, Any], project_id: str, metadata: dict) -> dict:
    now = now_iso()
    job = {"id": object_id(), "type": job_type, "name": "Training" if job_type == "train" else "Optimization",
           "author": call.emu.user_id, "creation_time": now, "start_time": now, "end_time": now, "state": "failed",
           "steps": [{"index": 1, "step_name": "Waiting for resources", "state": "failed", "progress": 0,
                      "message": NO_CAPACITY.replace("{project_id}", project_id)}],
           "cancellation_info": {"cancellable": False, "is_cancelled": False, "user_uid": None, "cancel_time": None},
           "metadata": {"project": {"id": project_id, "name": project["name"]}, **metadata}}
    with call.emu.store.transaction() as conn:
        conn.execute("INSERT INTO jobs (id, project_id, created, doc) VALUES (?, ?, ?, ?)",
                     (job["id"], project_id, now, dumps(job)))
    return {"job_id": job["id"]}


@endpoint
def train(call: Call) -> dict:
    row, project = project_record(call)
    body = _object_body(call, allow_empty=True)
    tasks = trainable_tasks(project)
    task_id = body.get("task_id")
    if task_id is None and len(tasks) > 1:
        raise ApiError(400, "bad_request", "This project has several tasks: 'task_id' is required to train.")
    task = next((t for t in tasks if t["id"] == (task_id or tasks[0]["id"])), None)
    if task is None:
        raise ApiError(400, "bad_request", f"Task '{task_id}' is not a trainable task of this project.")
    meta = {"task": {"task_id": task["id"], "name": task["title"], "model_template_id": body.get("model_template_id"),
                     "model_architecture": None, "dataset_storage_id": None}}
    return _failed_job(call, "train", project, row["id"], meta)


@endpoint
def optimize(call: Call) -> dict:
    row, project = project_record(call)
    _model(call)
    return _failed_job(call, "optimize_pot", project, row["id"], {})


# -- jobs -----------------------------------------------------------------------------------------
def _job_row(call: Call) -> Any:
    call.check_workspace()
    found = call.emu.store.one("SELECT * FROM jobs WHERE id = ?", (call.params["job_id"],))
    if found is None:
        raise not_found("job", call.params["job_id"])
    return found


@endpoint
def list_jobs(call: Call) -> dict:
    call.check_workspace()
    limit, skip = call.int_query("limit", 10, 1, 1000), call.int_query("skip", 0)
    jobs = [loads(r["doc"]) for r in call.emu.store.all("SELECT doc FROM jobs ORDER BY seq DESC")]
    project_id = call.query.get("project_id")
    states, types = call.query.getlist("state"), call.query.getlist("job_type")
    jobs = [j for j in jobs if (not project_id or j["metadata"]["project"]["id"] == project_id)
            and (not states or j["state"] in states) and (not types or j["type"] in types)]
    counts = {f"n_{s}_jobs": sum(1 for j in jobs if j["state"] == s)
              for s in ("scheduled", "running", "finished", "failed", "cancelled")}
    body: dict[str, Any] = {"jobs": jobs[skip:skip + limit], "jobs_count": counts}
    if skip + limit < len(jobs):
        query = dict(call.query)
        query.update({"limit": str(limit), "skip": str(skip + limit)})
        body["next_page"] = f"{call.request.url.path}?{urlencode(query)}"
    return body


@endpoint
def get_job(call: Call) -> dict:
    return loads(_job_row(call)["doc"])


@endpoint
def cancel_job(call: Call) -> Any:
    job = loads(_job_row(call)["doc"])
    if job["state"] in ("finished", "failed", "cancelled"):
        raise ApiError(412, "job_cannot_be_cancelled", f"Job '{job['id']}' is {job['state']} and cannot be cancelled.")
    raise ApiError(412, "job_cannot_be_cancelled", "Job cannot be cancelled.")


@endpoint
def delete_job(call: Call) -> Any:
    row = _job_row(call)
    with call.emu.store.transaction() as conn:
        conn.execute("DELETE FROM jobs WHERE id = ?", (row["id"],))
    return json_response("Job deleted.", 202)


# -- admin: place a trained model -----------------------------------------------------------------
def _b64(value: Any, where: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ApiError(400, "bad_request", f"{where} must be base64 bytes") from None


@endpoint
def place_model(call: Call) -> dict:
    row, project = project_record(call)
    body = _object_body(call)
    tasks = trainable_tasks(project)
    task_id = body.get("task_id") or tasks[0]["id"]
    task = next((t for t in tasks if t["id"] == task_id), None)
    if task is None:
        raise ApiError(400, "bad_request", f"Task '{task_id}' is not a trainable task of this project.")
    store = call.emu.store
    template = body.get("model_template_id", f"Custom_{task['task_type']}_model")
    base = _b64(body.get("base_zip_b64"), "base_zip_b64")
    extra = body.get("optimized", [])
    if not isinstance(extra, list) or not all(isinstance(opt, dict) for opt in extra):
        raise ApiError(400, "bad_request", "optimized must be a list of objects {zip_b64, model_format, ...}")
    # Decode everything before storing anything: a refused request must leave no orphan blob behind.
    payloads = [_b64(opt.get("zip_b64"), f"optimized[{i}].zip_b64") for i, opt in enumerate(extra)]
    optimized = []
    for opt, data in zip(extra, payloads, strict=True):
        optimized.append({"id": object_id(), "name": opt.get("name", f"{template} OpenVINO FP16"),
                          "model_format": opt.get("model_format", "OpenVINO"),
                          "precision": opt.get("precision",
                                               ["FP16"]), "optimization_type": opt.get("optimization_type", "MO"),
                          "model_status": "SUCCESS", "has_xai_head": False, "size": len(data),
                          "creation_date": now_iso(), "blob": hashlib.sha256(data).hexdigest()})
    with store.transaction() as conn:
        # Under the write lock, as media uploads adopt blobs: a concurrent delete cannot drop a shared blob
        # between its storing here and the insert of the model that refers to it.
        base_digest = store.put_blob_bytes(base)
        for data in payloads:
            store.put_blob_bytes(data)
        found = None
        for g in conn.execute("SELECT doc FROM model_groups WHERE project_id = ?", (row["id"],)).fetchall():
            g = loads(g["doc"])
            if g["task_id"] == task["id"] and g["model_template_id"] == template:
                found = g
        if found is None:
            found = {"id": object_id(), "name": body.get("group_name", template), "task_id": task["id"],
                     "model_template_id": template, "learning_approach": "fully_supervised",
                     "lifecycle_stage": "active"}
            conn.execute("INSERT INTO model_groups (id, project_id, doc) VALUES (?, ?, ?)",
                         (found["id"], row["id"], dumps(found)))
        version = conn.execute("SELECT COUNT(*) FROM models WHERE group_id = ?", (found["id"],)).fetchone()[0] + 1
        if body.get("active", True):  # one active model per task
            for m in conn.execute("SELECT id, doc FROM models WHERE project_id = ?", (row["id"],)).fetchall():
                doc = loads(m["doc"])
                if doc["task_id"] == task["id"] and doc["active_model"]:
                    doc["active_model"] = False
                    conn.execute("UPDATE models SET doc = ? WHERE id = ?", (dumps(doc), m["id"]))
        model = {"id": object_id(), "name": body.get("name", f"{template} v{version}"), "creation_date": now_iso(),
                 "size": len(base), "version": version, "performance": {"score": body.get("score")},
                 "label_schema_in_sync": True, "score_up_to_date": True, "active_model": bool(body.get("active", True)),
                 "purge_info": {"is_purged": False, "purge_time": None, "user_uid": None},
                 "architecture": body.get("architecture", template), "fps_throughput": 0.0, "latency": 0.0,
                 "precision": body.get("precision",
                                       ["FP32"]), "total_disk_size": len(base) + sum(o["size"] for o in optimized),
                 "target_device": "CPU", "previous_revision_id": "", "previous_trained_revision_id": "",
                 "labels": [lab for lab in task.get("labels", []) if not lab.get("is_deleted")],
                 "training_dataset_info": {"dataset_storage_id": None, "dataset_revision_id": None, "n_samples": 0,
                                           "n_images": 0, "n_frames": 0},
                 "training_framework": {"type": "otx", "version": "2.2.0"}, "task_id": task["id"],
                 "optimized_models": optimized, "base_blob": base_digest}
        conn.execute("INSERT INTO models (id, group_id, project_id, doc) VALUES (?, ?, ?, ?)",
                     (model["id"], found["id"], row["id"], dumps(model)))
    return {"model_group_id": found["id"], "model_id": model["id"],
            "optimized_model_ids": [o["id"] for o in optimized]}


MG = PROJ + "/model_groups/{model_group_id}"
ADMIN_PROJ = "/_emulator/projects/{project_id}"
ROUTES = [
    Route(PROJ + "/model_groups", list_groups, methods=["GET"]),
    Route(MG, get_group, methods=["GET"]),
    Route(MG + "/models/{model_id}", get_model, methods=["GET"]),
    Route(MG + "/models/{model_id}/export", export_model, methods=["GET"]),
    Route(MG + "/models/{model_id}/optimized_models/{optimized_model_id}/export", export_optimized, methods=["GET"]),
    Route(MG + "/models/{model_id}:optimize", optimize, methods=["POST"]),
    Route(PROJ + ":train", train, methods=["POST"]),
    Route(WS + "/jobs", list_jobs, methods=["GET"]),
    Route(WS + "/jobs/{job_id}", get_job, methods=["GET"]),
    Route(WS + "/jobs/{job_id}", delete_job, methods=["DELETE"]),
    Route(WS + "/jobs/{job_id}:cancel", cancel_job, methods=["POST"]),
]
ADMIN_ROUTES = [Route(ADMIN_PROJ + "/models", place_model, methods=["POST"])]
