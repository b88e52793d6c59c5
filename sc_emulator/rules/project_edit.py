"""Project edit rules: ``PUT {P}`` (docs/rest-api.md §7.5).

The client sends the whole project back with ids: the project may be renamed; labels are matched by
``id``; labels without ``id`` are new; ``"is_deleted": true`` deletes a label (it stays stored, marked
deleted); ``name``, ``color`` and ``hotkey`` are editable; a changed ``group`` is refused with
``cannot_change_label_group``; ``color`` is required on every label.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .checks import as_bool, as_list, as_object, as_str, check_keys, need
from .errors import RuleError, bad_request, field_error, required
from .labels import (
    EMPTY_LABEL_NAMES,
    LABEL_KEYS,
    build_keypoint_structure,
    check_hierarchy,
    check_label_counts,
    default_group,
    make_label,
    needs_no_class,
    normalise_color,
    resolve_parent,
)

__all__ = ["apply_project_edit"]

_PUT_LABEL_KEYS = LABEL_KEYS + ("id", "is_deleted", "revisit_affected_annotations")
_TASK_KEYS = ("id", "title", "task_type", "labels", "keypoint_structure", "label_schema_id")


def _edit_existing(label: dict[str, Any], obj: dict[str, Any], own: list[dict[str, Any]],
                   known: dict[str, dict[str, Any]], field: str) -> bool:
    """Apply one edited label in place; return True when something changed."""
    before = dict(label)
    if obj.get("is_deleted") is True:
        if label["is_empty"]:
            raise bad_request(f"The empty label '{label['name']}' cannot be deleted")
        label["is_deleted"] = True
        return True
    if "group" in obj and as_str(obj["group"], f"{field}.group") != label["group"]:
        raise RuleError(f"The group of label '{label['name']}' cannot be changed "
                        f"(from '{label['group']}' to '{obj['group']}')", 400, "cannot_change_label_group")
    if "parent_id" in obj and obj["parent_id"] != label["parent_id"]:
        parent = resolve_parent(obj["parent_id"], own, known, f"{field}.parent_id")
        if parent != label["parent_id"]:
            raise field_error(f"{field}.parent_id", f"the parent of label '{label['name']}' cannot be changed")
    for flag in ("is_empty", "is_anomalous"):
        if flag in obj and as_bool(obj[flag], f"{field}.{flag}") != label[flag]:
            raise field_error(f"{field}.{flag}", f"{flag} of label '{label['name']}' cannot be changed")
    if "name" in obj:
        label["name"] = as_str(obj["name"], f"{field}.name", min_length=1)
    label["color"] = normalise_color(obj["color"], f"{field}.color")
    if "hotkey" in obj:
        label["hotkey"] = as_str(obj["hotkey"], f"{field}.hotkey")
    return label != before


def _new_label(obj: dict[str, Any], task: dict[str, Any], known: dict[str, dict[str, Any]], field: str,
               new_id: Callable[[], str]) -> dict[str, Any]:
    if task["task_type"] == "anomaly":
        raise bad_request(f"Labels cannot be added to anomaly task '{task['title']}'")
    if obj.get("is_deleted") is True:
        raise field_error(f"{field}.is_deleted", "a new label cannot be deleted")
    if obj.get("is_empty") or obj.get("is_anomalous"):
        raise field_error(field, "a new label cannot be an empty or anomalous label")
    name = as_str(need(obj, "name"), f"{field}.name", min_length=1)
    label = make_label(new_id(), name, normalise_color(obj["color"], f"{field}.color"),
                       as_str(obj.get("group", default_group(task["task_type"])), f"{field}.group", min_length=1),
                       hotkey=as_str(obj.get("hotkey", ""), f"{field}.hotkey"))
    label["parent_id"] = resolve_parent(obj.get("parent_id"), task["labels"], known, f"{field}.parent_id")
    return label


def _edit_task_labels(task: dict[str, Any], raw_labels: Any, field: str, known: dict[str, dict[str, Any]],
                      new_id: Callable[[], str]) -> bool:
    by_id = {lab["id"]: lab for lab in task["labels"]}
    changed = False
    for i, raw in enumerate(as_list(raw_labels, field)):
        where = f"{field}[{i}]"
        obj = as_object(raw, where)
        check_keys(obj, _PUT_LABEL_KEYS, where)
        if "color" not in obj and obj.get("is_deleted") is not True:
            raise field_error(where, str(required("color")))
        if "is_deleted" in obj:
            as_bool(obj["is_deleted"], f"{where}.is_deleted")
        if "id" in obj:
            label_id = as_str(obj["id"], f"{where}.id")
            if label_id not in by_id:
                raise RuleError(f"Label '{label_id}' does not exist in task '{task['title']}'", 400,
                                "label_not_found")
            if by_id[label_id].get("is_deleted"):
                continue  # deleted labels are sent back by clients that asked for them; they stay deleted
            changed |= _edit_existing(by_id[label_id], obj, task["labels"], known, where)
        else:
            label = _new_label(obj, task, known, where, new_id)
            task["labels"].append(label)
            by_id[label["id"]] = label
            changed = True
    return changed


def _refresh_no_class(task: dict[str, Any], new_id: Callable[[], str]) -> None:
    """Keep "No class" only while no exclusive group holds two labels (as at creation)."""
    empties = [lab for lab in task["labels"] if lab["is_empty"] and not lab.get("is_deleted")]
    wanted = needs_no_class(task["labels"])
    if wanted and not empties:
        name = EMPTY_LABEL_NAMES["classification"]
        task["labels"].append(make_label(new_id(), name, "#000000ff", name, is_empty=True))
    elif not wanted:
        for lab in empties:
            lab["is_deleted"] = True


def _check_names_and_parents(tasks: list[dict[str, Any]]) -> None:
    names: set[str] = set()
    live_ids = set()
    for task in tasks:
        for lab in task.get("labels", []):
            if lab.get("is_deleted"):
                continue
            live_ids.add(lab["id"])
            if lab["name"] in names:
                raise bad_request(f"Label names must be unique: '{lab['name']}' is used more than once")
            names.add(lab["name"])
    for task in tasks:
        for lab in task.get("labels", []):
            if not lab.get("is_deleted") and lab["parent_id"] is not None and lab["parent_id"] not in live_ids:
                raise bad_request(f"Label '{lab['name']}' cannot stay while its parent label is deleted")


def apply_project_edit(current: dict[str, Any], body: dict[str, Any], new_id: Callable[[], str]) -> dict[str, Any]:
    """Apply a ``PUT {P}`` body to the stored project ``current`` and return the new stored document."""
    body = as_object(body, "body")
    project = copy.deepcopy(current)
    project["name"] = as_str(need(body, "name"), "name", min_length=1)
    pipeline = as_object(need(body, "pipeline"), "pipeline")
    stored = {t["id"]: t for t in project["pipeline"]["tasks"]}
    raw_tasks = as_list(need(pipeline, "tasks"), "pipeline.tasks")
    seen: dict[str, dict[str, Any]] = {}
    for i, raw in enumerate(raw_tasks):
        field = f"pipeline.tasks[{i}]"
        obj = as_object(raw, field)
        check_keys(obj, _TASK_KEYS, field)
        task_id = as_str(need(obj, "id"), f"{field}.id")
        if task_id not in stored or task_id in seen:
            raise field_error(f"{field}.id", f"{task_id!r} is not a task of this project (or is listed twice)")
        if "task_type" in obj and obj["task_type"] != stored[task_id]["task_type"]:
            raise field_error(f"{field}.task_type", "the type of a task cannot be changed")
        seen[task_id] = obj
    if set(seen) != set(stored):
        raise bad_request("Tasks cannot be added to or removed from a project")
    if "connections" in pipeline:
        as_list(pipeline["connections"], "pipeline.connections")
    known: dict[str, dict[str, Any]] = {}  # live labels of earlier tasks, for parents across a chain
    for task in project["pipeline"]["tasks"]:
        obj = seen[task["id"]]
        field = f"pipeline.tasks[{[t.get('id') for t in raw_tasks].index(task['id'])}]"
        if "labels" not in task:
            if obj.get("labels"):
                raise field_error(f"{field}.labels", f"a {task['task_type']} task has no labels")
            continue
        changed = "labels" in obj and _edit_task_labels(task, obj["labels"], f"{field}.labels", known, new_id)
        if task["task_type"] == "classification" and changed:
            _refresh_no_class(task, new_id)
        live = [lab for lab in task["labels"] if not lab.get("is_deleted")]
        check_label_counts(task["task_type"], task["title"], task["labels"])
        check_hierarchy(live, known)
        if task["task_type"] == "keypoint_detection":
            if "keypoint_structure" in obj:
                raw_graph = obj["keypoint_structure"]
            else:  # keep the stored graph, minus the keypoints deleted just now
                live_ids = {lab["id"] for lab in live}
                old = task["keypoint_structure"]
                raw_graph = {"edges": [e for e in old["edges"] if set(e["nodes"]) <= live_ids],
                             "positions": [p for p in old["positions"] if p["label"] in live_ids]}
            task["keypoint_structure"] = build_keypoint_structure(raw_graph, task["labels"],
                                                                  f"{field}.keypoint_structure")
        if changed:
            task["label_schema_id"] = new_id()  # a new label schema revision, as the real server makes
        known.update({lab["name"]: lab for lab in live})
    _check_names_and_parents(project["pipeline"]["tasks"])
    return project
