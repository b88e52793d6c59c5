"""Project configuration in both styles of docs/rest-api.md §11 (and the official client's use of it, §16.1).

- legacy "configurable parameters": :func:`legacy_document` (``GET {P}/configuration``; the ``global`` and
  ``task_chain`` parts answer ``configuration/global`` and ``configuration/task_chain[/{task}]``) and
  :func:`apply_legacy` (the POSTs, values only ``{"name", "value"}`` keyed by ``entity_identifier``);
- new: :func:`project_configuration_document` / :func:`apply_project_configuration` and
  :func:`training_configuration_document` / :func:`apply_training_configuration` (GET / PATCH 204).

All read and write one ``state`` dict per project (:func:`default_state`, layout in
:mod:`.config_params`); the ``apply_*`` functions validate the whole request first and return a new state,
so a refused request changes nothing. Errors are 400 ``bad_request`` naming the offending item.
"""

from __future__ import annotations

import copy
from typing import Any

from .checks import as_list, as_object, as_str, need
from .config_params import (
    GLOBAL_PARAMS,
    HYPER_GROUP,
    TASK_PARAMS,
    Param,
    coerce,
    default_state,
    derived_id,
    task_defaults,
)
from .errors import bad_request
from .labels import TRAINABLE_TASKS

__all__ = ["default_state", "legacy_document", "apply_legacy", "project_configuration_document",
           "apply_project_configuration", "training_configuration_document", "apply_training_configuration"]

_HEADERS = {
    "TASK_NODE": ("General", "General settings of the task"),
    "DATASET_COUNTER": ("Annotation requirements", "When the task has enough annotations to train"),
    "SUBSET_MANAGER": ("Subset splitting", "How media are split into training, validation and test subsets"),
    "TASK_ACTIVE_LEARNING": ("Active learning", "Active-learning settings of the task"),
    "PROJECT_ACTIVE_LEARNING": ("Active learning", "Active-learning settings of the project"),
    "PIPELINE_DATASET_MANAGER": ("Dataset management", "Dataset settings of the whole pipeline"),
    HYPER_GROUP: ("Learning parameters", "Hyper-parameters of the task's models"),
}
_GROUP_HEADERS = {"subset_parameters": "Subset parameters"}
_SPLIT_KEYS = ("train_proportion", "validation_proportion", "test_proportion")


# ------------------------------------------------------------------ shared helpers

def _tasks(project: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in project["pipeline"]["tasks"] if t["task_type"] in TRAINABLE_TASKS]


def _task(project: dict[str, Any], task_id: str | None) -> dict[str, Any]:
    """The task named by ``task_id``; without one, the only trainable task (chains must name one)."""
    tasks = _tasks(project)
    if task_id is None:
        if len(tasks) != 1:
            raise bad_request("This project has several tasks: a task_id is required")
        return tasks[0]
    for task in tasks:
        if task["id"] == task_id:
            return task
    raise bad_request(f"Task '{task_id}' is not a trainable task of this project")


def _task_values(state: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    return {**task_defaults(task), **state.get("tasks", {}).get(task["id"], {})}


def _check_split(values: dict[str, Any], title: str) -> None:
    total = sum(values[k] for k in _SPLIT_KEYS)
    if abs(total - 1.0) > 1e-6:
        raise bad_request(f"The subset proportions of task '{title}' must add up to 1, got {total:g}")


def _items(raw: Any, where: str, id_key: str) -> list[tuple[str, Any]]:
    """``[{id_key, "value", ...}]`` → pairs; extra keys (header, type, ...) are tolerated, as clients send
    back whole GET documents."""
    pairs = []
    for i, item in enumerate(as_list(raw, where)):
        obj = as_object(item, f"{where}[{i}]")
        name = as_str(need(obj, id_key), f"{where}[{i}].{id_key}")
        if "value" not in obj:
            raise bad_request(f"Parameter '{name}' has no value")
        pairs.append((name, obj["value"]))
    return pairs


# ------------------------------------------------------------------ legacy documents

def _legacy_param(param: Param, value: Any, default: Any) -> dict[str, Any]:
    out = {"name": param.legacy[2], "header": param.header, "description": param.description,  # type: ignore[index]
           "data_type": param.data_type, "template_type": "selectable" if param.options else "input",
           "value": value, "default_value": default, "editable": True, "warning": None, "ui_rules": {}}
    if param.min_value is not None:
        out["min_value"], out["max_value"] = param.min_value, param.max_value
    if param.options:
        # a selectable string names the enumeration of its options (geti-sdk 1.x requires the key)
        out["options"], out["enum_name"] = list(param.options), param.key.title().replace("_", "")
    return out


def _components(params: tuple[Param, ...], values: dict[str, Any], defaults: dict[str, Any], ident: dict[str, Any],
                model_storage_id: str | None, scope_id: str) -> list[dict[str, Any]]:
    order: list[str] = []
    for param in params:
        if param.legacy and param.legacy[0] not in order:
            order.append(param.legacy[0])
    out = []
    for name in order:
        header, description = _HEADERS[name]
        if name == HYPER_GROUP:
            entity = {"type": "HYPER_PARAMETER_GROUP", "workspace_id": ident["workspace_id"],
                      "model_storage_id": model_storage_id, "group_name": name}
        else:
            entity = {**ident, "component": name}
        comp: dict[str, Any] = {"id": derived_id(scope_id, name), "name": name.lower(), "header": header,
                                "description": description,
                                "type": "PARAMETER_GROUP" if name == HYPER_GROUP else "CONFIGURABLE_PARAMETERS",
                                "entity_identifier": entity, "parameters": []}
        groups: dict[str, dict[str, Any]] = {}
        for param in params:
            if not param.legacy or param.legacy[0] != name:
                continue
            item = _legacy_param(param, values[param.key], defaults[param.key])
            group = param.legacy[1]
            if group is None:
                comp["parameters"].append(item)
            else:
                groups.setdefault(group, {"name": group, "header": _GROUP_HEADERS.get(group, group),
                                          "type": "PARAMETER_GROUP", "parameters": []})["parameters"].append(item)
        if groups:
            comp["groups"] = list(groups.values())
        out.append(comp)
    return out


def legacy_document(project: dict[str, Any], state: dict[str, Any], workspace_id: str,
                    project_id: str) -> dict[str, Any]:
    """``GET {P}/configuration``.

    Returns ``{"global": [component], "task_chain": [{"task_id", "task_title", "components"}]}``.
    """
    base = {"type": "COMPONENT_PARAMETERS", "workspace_id": workspace_id, "project_id": project_id}
    glob_defaults = default_state(project)["global"]
    project_key = project.get("id", "")  # the same key apply_legacy uses to recognise component ids
    glob_values = {**glob_defaults, **state.get("global", {})}
    chain = []
    for task in _tasks(project):
        values = _task_values(state, task)
        chain.append({"task_id": task["id"], "task_title": task["title"], "components": _components(
            TASK_PARAMS, values, task_defaults(task), {**base, "task_id": task["id"]}, values["model_storage_id"],
            task["id"])})
    return {"global": _components(GLOBAL_PARAMS, glob_values, glob_defaults, base, None, project_key),
            "task_chain": chain}


def _component_name(comp: dict[str, Any], where: str, ids: dict[str, str]) -> str:
    entity = comp.get("entity_identifier")
    if isinstance(entity, dict):
        if entity.get("type") == "HYPER_PARAMETER_GROUP":
            return as_str(entity.get("group_name"), f"{where}.entity_identifier.group_name")
        if "component" in entity:
            return as_str(entity["component"], f"{where}.entity_identifier.component")
    ident = comp.get("id")
    if isinstance(ident, str) and ident in ids:  # a list or object id would not even be hashable
        return ids[ident]
    raise bad_request(f"{where}: a component needs an entity_identifier naming its component")


def _apply_components(raw: Any, params: tuple[Param, ...], values: dict[str, Any], where: str,
                      scope_id: str, task_id: str | None) -> None:
    by_place = {p.legacy: p for p in params if p.legacy}
    names = {p.legacy[0] for p in params if p.legacy}
    ids = {derived_id(scope_id, n): n for n in names}
    for i, comp in enumerate(as_list(raw, where)):
        at = f"{where}[{i}]"
        comp = as_object(comp, at)
        name = _component_name(comp, at, ids)
        if name not in names:
            raise bad_request(f"Unknown configurable component '{name}' ({at})")
        entity = comp.get("entity_identifier")
        if task_id and isinstance(entity, dict) and entity.get("task_id") not in (None, task_id):
            raise bad_request(f"{at}: entity_identifier.task_id '{entity['task_id']}' does not match task '{task_id}'")
        blocks = [(None, comp.get("parameters", []))]
        for j, group in enumerate(as_list(comp.get("groups", []), f"{at}.groups")):
            group = as_object(group, f"{at}.groups[{j}]")
            blocks.append((as_str(need(group, "name"), f"{at}.groups[{j}].name"), group.get("parameters", [])))
        for group_name, items in blocks:
            for pname, value in _items(items, f"{at}.parameters", "name"):
                param = by_place.get((name, group_name, pname))
                if param is None:
                    inside = f"{name}/{group_name}" if group_name else name
                    raise bad_request(f"Unknown parameter '{pname}' in component '{inside}'")
                values[param.key] = coerce(param, value, pname)


def apply_legacy(project: dict[str, Any], state: dict[str, Any], body: Any, scope: Any) -> dict[str, Any]:
    """The legacy POSTs; ``scope`` is "all" | "global" | "task_chain" | ("task", task_id). Returns the new state."""
    body = as_object(body, "body")
    new = copy.deepcopy(state)
    new.setdefault("global", {})
    new.setdefault("tasks", {})
    chain: list[tuple[str, Any]] = []
    if scope in ("all", "global") and "global" in body:
        values = {**default_state(project)["global"], **new["global"]}
        _apply_components(body["global"], GLOBAL_PARAMS, values, "global", project.get("id", ""), None)
        new["global"] = values
    elif scope == "global":
        raise bad_request("'global' is a required property")
    if scope in ("all", "task_chain"):
        if scope == "task_chain" and "task_chain" not in body:
            raise bad_request("'task_chain' is a required property")
        for i, entry in enumerate(as_list(body.get("task_chain", []), "task_chain")):
            entry = as_object(entry, f"task_chain[{i}]")
            chain.append((as_str(need(entry, "task_id"), f"task_chain[{i}].task_id"), entry.get("components", [])))
    elif isinstance(scope, tuple) and scope[0] == "task":
        chain.append((scope[1], need(body, "components")))
    elif scope not in ("all", "global"):
        raise ValueError(f"unknown scope {scope!r}")
    for i, (task_id, components) in enumerate(chain):
        task = _task(project, task_id)
        values = _task_values(new, task)
        _apply_components(components, TASK_PARAMS, values, f"task_chain[{i}].components", task["id"], task_id)
        _check_split(values, task["title"])
        new["tasks"][task["id"]] = values
    return new


# ------------------------------------------------------------------ new documents

def _new_param(param: Param, value: Any, default: Any) -> dict[str, Any]:
    out = {"key": param.new[2], "name": param.header, "type": param.new_type,  # type: ignore[index]
           "description": param.description, "value": value, "default_value": default}
    if param.min_value is not None:
        out["min_value"], out["max_value"] = param.min_value, param.max_value
    if param.options:
        out["allowed_values"] = list(param.options)
    return out


def _section(document: str, path: str, task: dict[str, Any], values: dict[str, Any]) -> list[dict[str, Any]]:
    defaults = task_defaults(task)
    return [_new_param(p, values[p.key], defaults[p.key]) for p in TASK_PARAMS
            if p.new and p.new[0] == document and p.new[1] == path]


def project_configuration_document(project: dict[str, Any], state: dict[str, Any],
                                   task_id: str | None = None) -> dict[str, Any]:
    """``GET {P}/project_configuration``: one entry per task (or only ``task_id``)."""
    tasks = [_task(project, task_id)] if task_id else _tasks(project)
    configs = []
    for task in tasks:
        values = _task_values(state, task)
        configs.append({"task_id": task["id"],
                        "training": {"constraints": _section("project", "training.constraints", task, values)},
                        "auto_training": _section("project", "auto_training", task, values)})
    return {"task_configs": configs}


def _apply_tree(tree: dict[str, Any], document: str, values: dict[str, Any], skeleton: dict[str, Any],
                prefix: str = "") -> None:
    """Apply a partial ``{"key", "value"}`` tree whose shape follows ``skeleton`` (a GET document)."""
    for name, sub in tree.items():
        path = f"{prefix}.{name}" if prefix else name
        if name not in skeleton:
            raise bad_request(f"Unknown configuration section '{path}'")
        if isinstance(skeleton[name], dict):
            _apply_tree(as_object(sub, path), document, values, skeleton[name], path)
            continue
        params = {p.new[2]: p for p in TASK_PARAMS if p.new and p.new[0] == document and p.new[1] == path}
        for key, value in _items(sub, path, "key"):
            if key not in params:
                raise bad_request(f"Unknown parameter '{key}' in '{path}'")
            values[params[key].key] = coerce(params[key], value, key)


def apply_project_configuration(project: dict[str, Any], state: dict[str, Any], body: Any,
                                task_id: str | None = None) -> dict[str, Any]:
    """``PATCH {P}/project_configuration`` (answered 204); returns the new state."""
    body = as_object(body, "body")
    new = copy.deepcopy(state)
    new.setdefault("tasks", {})
    for i, entry in enumerate(as_list(need(body, "task_configs"), "task_configs")):
        entry = as_object(entry, f"task_configs[{i}]")
        named = entry.get("task_id")
        if task_id and named not in (None, task_id):
            raise bad_request(f"task_configs[{i}].task_id '{named}' does not match the task_id '{task_id}' of the "
                              "request")
        task = _task(project, named or task_id)
        values = _task_values(new, task)
        tree = {k: v for k, v in entry.items() if k != "task_id"}
        _apply_tree(tree, "project", values, project_configuration_document(project, new, task["id"])
                    ["task_configs"][0])
        new["tasks"][task["id"]] = values
    return new


def training_configuration_document(project: dict[str, Any], state: dict[str, Any], task_id: str | None = None,
                                    model_manifest_id: str | None = None) -> dict[str, Any]:
    """``GET {P}/training_configuration`` for one task (``task_id`` is required for chains)."""
    task = _task(project, task_id)
    values = _task_values(state, task)
    return {"task_id": task["id"], "model_manifest_id": model_manifest_id,
            "dataset_preparation": {"subset_split": _section("training", "dataset_preparation.subset_split", task,
                                                             values),
                                    "filtering": {}, "augmentation": {}},
            "training": _section("training", "training", task, values), "evaluation": []}


def apply_training_configuration(project: dict[str, Any], state: dict[str, Any], body: Any,
                                 task_id: str | None = None) -> dict[str, Any]:
    """``PATCH {P}/training_configuration`` with a partial key/value tree (answered 204); returns the new state."""
    body = as_object(body, "body")
    task = _task(project, task_id if task_id is not None else body.get("task_id"))
    if body.get("task_id") not in (None, task["id"]):
        raise bad_request(f"task_id '{body['task_id']}' in the body does not match the task of the request")
    new = copy.deepcopy(state)
    new.setdefault("tasks", {})
    values = _task_values(new, task)
    skeleton = training_configuration_document(project, new, task["id"])
    tree = {k: v for k, v in body.items() if k not in ("task_id", "model_manifest_id")}
    _apply_tree(tree, "training", values, skeleton)
    _check_split(values, task["title"])
    new["tasks"][task["id"]] = values
    return new
