"""Configuration (docs/rest-api.md §11): the legacy "configurable parameters" API and the new
``project_configuration`` / ``training_configuration`` documents, all views of one stored state per
project (``rules.configuration`` builds and applies them), so both styles stay consistent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from .errors import ApiError
from .records import project_record
from .rules import configuration as rules
from .store import dumps, loads
from .web import PROJ, Call, endpoint


def _load(call: Call) -> tuple[str, dict[str, Any], dict[str, Any]]:
    row, doc = project_record(call)
    project = {**doc, "id": row["id"]}
    state = loads(row["config"])
    if state is None:
        state = rules.default_state(project)
    return row["id"], project, state


def _save(call: Call, change: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]) -> None:
    store = call.emu.store
    with store.write_lock:  # read-modify-write of the state must not interleave with another PATCH
        pid, project, state = _load(call)
        new_state = change(project, state)
        with store.transaction() as conn:
            conn.execute("UPDATE projects SET config = ? WHERE id = ?", (dumps(new_state), pid))


def _legacy(call: Call) -> dict[str, Any]:
    pid, project, state = _load(call)
    return rules.legacy_document(project, state, call.emu.workspace_id, pid)


def _task_id(call: Call) -> str | None:
    return call.params.get("task_id") or call.query.get("task_id") or None


@endpoint
def legacy_all(call: Call) -> Any:
    if call.method == "POST":
        body = call.json()
        _save(call, lambda p, s: rules.apply_legacy(p, s, body, "all"))
    return _legacy(call)


@endpoint
def legacy_global(call: Call) -> Any:
    if call.method == "POST":
        body = call.json()
        _save(call, lambda p, s: rules.apply_legacy(p, s, body, "global"))
    return {"global": _legacy(call)["global"]}


@endpoint
def legacy_chain(call: Call) -> Any:
    if call.method == "POST":
        body = call.json()
        _save(call, lambda p, s: rules.apply_legacy(p, s, body, "task_chain"))
    return {"task_chain": _legacy(call)["task_chain"]}


@endpoint
def legacy_task(call: Call) -> Any:
    task_id = call.params["task_id"]
    if call.method == "POST":
        body = call.json()
        _save(call, lambda p, s: rules.apply_legacy(p, s, body, ("task", task_id)))
    for entry in _legacy(call)["task_chain"]:
        if entry["task_id"] == task_id:
            return entry
    raise ApiError(400, "bad_request", f"Task '{task_id}' is not a trainable task of this project")


@endpoint
def project_configuration(call: Call) -> Any:
    task_id = _task_id(call)
    if call.method == "PATCH":
        body = call.json()
        _save(call, lambda p, s: rules.apply_project_configuration(p, s, body, task_id))
        return Response(status_code=204)
    _, project, state = _load(call)
    return rules.project_configuration_document(project, state, task_id)


@endpoint
def training_configuration(call: Call) -> Any:
    task_id = _task_id(call)
    if call.method == "PATCH":
        body = call.json()
        _save(call, lambda p, s: rules.apply_training_configuration(p, s, body, task_id))
        return Response(status_code=204)
    _, project, state = _load(call)
    return rules.training_configuration_document(project, state, task_id, call.query.get("model_manifest_id"))


ROUTES = [
    Route(PROJ + "/configuration", legacy_all, methods=["GET", "POST"]),
    Route(PROJ + "/configuration/global", legacy_global, methods=["GET", "POST"]),
    Route(PROJ + "/configuration/task_chain", legacy_chain, methods=["GET", "POST"]),
    Route(PROJ + "/configuration/task_chain/{task_id}", legacy_task, methods=["GET", "POST"]),
    Route(PROJ + "/project_configuration", project_configuration, methods=["GET", "PATCH"]),
    Route(PROJ + "/training_configuration", training_configuration, methods=["GET", "PATCH"]),
]
