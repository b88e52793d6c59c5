"""Model architectures, training configuration per (project, architecture) and the (empty) model list.

The emulator cannot train: it offers a few architectures per task, each with one small parameter tree,
stores the PATCHed overrides (dotted keys) and lists no models, as a fresh server does (models cannot be
imported into Geti 3.x).
"""

from __future__ import annotations

import copy
from typing import Any

from starlette.routing import Route

from ..store import dumps, loads
from .api_projects import TASK_TYPES, get_project
from .schema import Check
from .web import Call, HTTPError, endpoint, not_found

# Emulator stand-ins (names of well-known families; ids are this emulator's, not a promise about the server's).
ARCHITECTURES = {
    "classification": [("efficientnet_b0", "EfficientNet-B0"), ("mobilenet_v3_large", "MobileNet-V3-large")],
    "detection": [("yolox_s", "YOLOX-S"), ("rtmdet_tiny", "RTMDet-tiny"), ("dfine_x", "D-FINE-X")],
    "instance_segmentation": [("maskrcnn_r50", "Mask R-CNN ResNet-50"), ("rtmdet_inst_tiny", "RTMDet-Inst-tiny")],
}


def _param(key: str, name: str, value_type: str, default: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "parameter", "key": key, "name": name, "description": name, "depends_on": None,
            "value_type": value_type, "value": default, "default_value": default, **extra}


def _group(key: str, name: str, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "parameter_group", "key": key, "name": name, "description": name, "depends_on": None,
            "parameters": parameters}


def _defaults() -> list[dict[str, Any]]:
    return [
        _group("training", "Training", [
            _param("max_epochs", "Maximum epochs", "int", 200, min_value=1, max_value=1000, allowed_values=None),
            _param("learning_rate", "Learning rate", "float", 0.001, min_value=1e-6, max_value=1.0,
                   allowed_values=None),
            _group("early_stopping", "Early stopping", [
                _param("enable", "Enable", "bool", True),
                _param("patience", "Patience", "int", 10, min_value=1, max_value=100, allowed_values=None)]),
        ]),
        _group("dataset_preparation", "Dataset preparation", [
            _param("input_size", "Input size", "str", "auto", allowed_values=["auto", "256", "512", "640"])]),
    ]


def _leaves(elements: list[dict[str, Any]], prefix: str = "") -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for el in elements:
        key = prefix + el["key"]
        if el["type"] == "parameter_group":
            found.update(_leaves(el["parameters"], key + "."))
        else:
            found[key] = el
    return found


def _architecture(call: Call, project: dict[str, Any]) -> str:
    check = Check()
    arch = check.str_(call.q("model_architecture_id"), ("query", "model_architecture_id"))
    check.done()
    if arch not in {a for a, _ in ARCHITECTURES[project["task_type"]]}:
        raise HTTPError(404, f"Model architecture '{arch}' not found.")
    return arch


def _coerce(key: str, param: dict[str, Any], value: Any) -> Any:
    kind = param["value_type"]
    ok = {"bool": isinstance(value, bool), "str": isinstance(value, str),
          "int": isinstance(value, int) and not isinstance(value, bool),
          "float": isinstance(value, (int, float)) and not isinstance(value, bool)}.get(kind, False)
    if not ok:
        raise HTTPError(400, f"Invalid value for '{key}': expected {kind}, got {value!r}.")
    if param.get("allowed_values") and value not in param["allowed_values"]:
        raise HTTPError(400, f"Invalid value for '{key}': {value!r} is not one of {param['allowed_values']}.")
    low, high = param.get("min_value"), param.get("max_value")
    if (low is not None and value < low) or (high is not None and value > high):
        raise HTTPError(400, f"Invalid value for '{key}': {value!r} is outside [{low}, {high}].")
    return value


@endpoint
def training_configuration(call: Call) -> Any:
    project = get_project(call)
    arch = _architecture(call, project)
    row = call.store.one("SELECT overrides FROM training_configs WHERE project_id = ? AND architecture_id = ?",
                         (project["id"], arch))
    overrides: dict[str, Any] = loads(row["overrides"]) if row else {}
    tree = _defaults()
    leaves = _leaves(tree)
    if call.method == "PATCH":
        check = Check()
        body = call.body_object(check)
        for key, value in body.items():
            if key not in leaves:
                raise HTTPError(400, f"Unknown training configuration parameter '{key}'.")
            overrides[key] = _coerce(key, leaves[key], value)
        with call.store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO training_configs (project_id, architecture_id, overrides) "
                         "VALUES (?, ?, ?)", (project["id"], arch, dumps(overrides)))
    for key, value in overrides.items():
        leaves[key]["value"] = value
    return {"parameters": copy.deepcopy(tree)}


@endpoint
def model_architectures(call: Call) -> Any:
    check = Check()
    task = check.enum(call.q("task"), ("query", "task"), TASK_TYPES)
    check.done()
    items = [{"id": arch, "task": task, "name": name, "description": f"{name} (sc_emulator stand-in)",
              "capabilities": {"xai": False, "tiling": False}, "license": "Apache-2.0",
              "stats": {"gigaflops": None, "trainable_parameters": None}, "support_status": "active"}
             for arch, name in ARCHITECTURES[task]]
    return {"model_architectures": items, "top_picks": {"default": items[0]["id"]}}


@endpoint
def models(call: Call) -> Any:
    get_project(call)
    return []  # the emulator cannot train, and models cannot be imported into Geti 3.x


@endpoint
def one_model(call: Call) -> Any:
    get_project(call)
    raise not_found("Model", call.path_uuid("model_id"))


P = "/api/projects/{project_id}"
ROUTES = [
    Route(P + "/training_configuration", training_configuration, methods=["GET", "PATCH"]),
    Route("/api/model_architectures", model_architectures, methods=["GET"]),
    Route(P + "/models", models, methods=["GET"]),
    Route(P + "/models/{model_id}", one_model, methods=["GET", "PATCH", "DELETE"]),
]
