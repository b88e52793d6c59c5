"""Project creation rules: the pipeline and its tasks (docs/rest-api.md §7.3, §7.6).

:func:`build_project` validates a ``POST {W}/projects`` body and returns the stored project document
(``name`` and ``pipeline`` with ids); the server adds ``id``, ``creation_time``, ``datasets`` and the rest.
:func:`apply_project_edit` (the PUT rules) lives in :mod:`.project_edit` and is re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import Any

from .checks import as_list, as_object, as_str, check_keys, need
from .errors import bad_request, field_error
from .labels import CURRENT_STYLE, TRAINABLE_TASKS, LabelStyle, build_keypoint_structure, build_task_labels
from .project_edit import apply_project_edit

__all__ = ["TASK_TYPES", "OLD_ANOMALY_TYPES", "build_project", "apply_project_edit", "trainable_tasks",
           "iter_labels", "label_index", "strip_deleted_labels"]

TASK_TYPES = frozenset({"dataset", "crop"}) | TRAINABLE_TASKS
#: Task types of older servers that 2.x answers as ``anomaly`` with the title "Anomaly".
OLD_ANOMALY_TYPES = frozenset({"anomaly_classification", "anomaly_detection", "anomaly_segmentation"})
_TASK_KEYS = ("title", "task_type", "labels", "keypoint_structure")
_CHAIN_SECOND = frozenset({"classification", "segmentation"})
#: SC 1.x knew neither the merged "anomaly" type nor keypoint detection.
_OLD_TASK_TYPES = TASK_TYPES - {"anomaly", "keypoint_detection"}


def _read_tasks(pipeline: dict[str, Any], style: LabelStyle) -> list[dict[str, Any]]:
    tasks = as_list(need(pipeline, "tasks"), "pipeline.tasks", min_items=1)
    read, titles = [], set()
    for i, raw in enumerate(tasks):
        field = f"pipeline.tasks[{i}]"
        task = as_object(raw, field)
        check_keys(task, _TASK_KEYS, field)
        title = as_str(need(task, "title"), f"{field}.title", min_length=1)
        task_type = as_str(need(task, "task_type"), f"{field}.task_type")
        known_types = TASK_TYPES if style.merge_old_anomaly else _OLD_TASK_TYPES
        if task_type not in known_types and task_type not in OLD_ANOMALY_TYPES:
            allowed = ", ".join(sorted(known_types | (frozenset() if style.merge_old_anomaly else OLD_ANOMALY_TYPES)))
            raise field_error(f"{field}.task_type", f"{task_type!r} is not one of [{allowed}]")
        if title in titles:
            raise bad_request("Task titles must be unique")
        titles.add(title)
        read.append({"index": i, "title": title, "task_type": task_type, "raw": task})
    return read


def _read_connections(pipeline: dict[str, Any], titles: set[str]) -> list[tuple[str, str]]:
    if "connections" not in pipeline:
        raise bad_request("'connections' is a required property")
    edges = []
    for i, raw in enumerate(as_list(pipeline["connections"], "pipeline.connections")):
        field = f"pipeline.connections[{i}]"
        conn = as_object(raw, field)
        check_keys(conn, ("from", "to"), field)
        ends = []
        for key in ("from", "to"):
            title = as_str(need(conn, key), f"{field}.{key}")
            if title not in titles:
                raise field_error(f"{field}.{key}", f"there is no task titled {title!r}")
            ends.append(title)
        if ends[0] == ends[1]:
            raise field_error(field, "a task cannot be connected to itself")
        edges.append((ends[0], ends[1]))
    return edges


def _ordered_path(tasks: list[dict[str, Any]], edges: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Check that the connections form one of the allowed shapes and return the tasks in pipeline order."""
    connected = {t for edge in edges for t in edge}
    if any(t["title"] not in connected for t in tasks) or len(tasks) < 2:
        raise bad_request("One or more tasks are not connected in the pipeline")
    if len(set(edges)) != len(edges):
        raise bad_request("The pipeline contains the same connection twice")
    by_title = {t["title"]: t for t in tasks}
    nexts = {src: dst for src, dst in edges}
    starts = [t for t in tasks if all(dst != t["title"] for _, dst in edges)]
    fan = len(nexts) != len(edges) or len({dst for _, dst in edges}) != len(edges)
    if fan or len(starts) != 1 or len(edges) != len(tasks) - 1:
        raise bad_request("The pipeline must be a single chain of tasks starting at the dataset task")
    path = [starts[0]]
    while path[-1]["title"] in nexts:
        path.append(by_title[nexts[path[-1]["title"]]])
    if len(path) != len(tasks):
        raise bad_request("One or more tasks are not connected in the pipeline")
    kinds = ["anomaly" if t["task_type"] in OLD_ANOMALY_TYPES else t["task_type"] for t in path]
    single = len(kinds) == 2 and kinds[0] == "dataset" and kinds[1] in TRAINABLE_TASKS
    chain = (len(kinds) == 4 and kinds[:3] == ["dataset", "detection", "crop"] and kinds[3] in _CHAIN_SECOND)
    if not (single or chain):
        raise bad_request("Unsupported pipeline " + " → ".join(kinds) + ": use dataset → <task> or "
                          "dataset → detection → crop → classification|segmentation")
    return path


def build_project(body: dict[str, Any], new_id: Callable[[], str], style: LabelStyle = CURRENT_STYLE) -> dict[str, Any]:
    """Validate a project-create body and return the stored ``{"name", "pipeline"}`` document.

    With a style that keeps the old anomaly types, such a task is stored as ``anomaly`` (so every rule
    applies) with its own title and the type it was created with in ``legacy_type``."""
    body = as_object(body, "body")
    name = as_str(need(body, "name"), "name", min_length=1)
    pipeline = as_object(need(body, "pipeline"), "pipeline")
    read = _read_tasks(pipeline, style)
    path = _ordered_path(read, _read_connections(pipeline, {t["title"] for t in read}))
    known: dict[str, dict[str, Any]] = {}
    stored: list[dict[str, Any]] = []
    for item in path:
        field = f"pipeline.tasks[{item['index']}]"
        raw, task_type, title = item["raw"], item["task_type"], item["title"]
        legacy_type = task_type if task_type in OLD_ANOMALY_TYPES and not style.merge_old_anomaly else None
        if task_type in OLD_ANOMALY_TYPES:
            task_type, title = "anomaly", title if legacy_type else "Anomaly"
        task: dict[str, Any] = {"id": new_id(), "title": title, "task_type": task_type}
        if legacy_type:
            task["legacy_type"] = legacy_type
        if task_type not in TRAINABLE_TASKS:
            if raw.get("labels") or "keypoint_structure" in raw:
                raise field_error(field, f"a {task_type} task has no labels")
            stored.append(task)
            continue
        task["labels"] = build_task_labels(task_type, title, raw.get("labels"), f"{field}.labels", new_id, known,
                                           style)
        task["label_schema_id"] = new_id()
        if task_type == "keypoint_detection":
            task["keypoint_structure"] = build_keypoint_structure(
                need(raw, "keypoint_structure"), task["labels"], f"{field}.keypoint_structure")
        elif "keypoint_structure" in raw:
            raise field_error(f"{field}.keypoint_structure", "only keypoint_detection tasks have one")
        stored.append(task)
    by_title = {item["title"]: task["id"] for item, task in zip(path, stored, strict=True)}
    connections = [{"from": by_title[a["title"]], "to": by_title[b["title"]]} for a, b in pairwise(path)]
    return {"name": name, "pipeline": {"tasks": stored, "connections": connections}}


def trainable_tasks(project: dict[str, Any]) -> list[dict[str, Any]]:
    """The tasks that have labels, in pipeline order (dataset and crop left out)."""
    return [t for t in project["pipeline"]["tasks"] if t["task_type"] in TRAINABLE_TASKS]


def iter_labels(project: dict[str, Any], include_deleted: bool = False) -> Iterator[tuple[dict, dict]]:
    """Yield ``(task, label)`` for every label of the project."""
    for task in trainable_tasks(project):
        for label in task.get("labels", []):
            if include_deleted or not label.get("is_deleted"):
                yield task, label


def label_index(project: dict[str, Any], include_deleted: bool = False) -> dict[str, tuple[dict, dict]]:
    """Label id → ``(task, label)``."""
    return {label["id"]: (task, label) for task, label in iter_labels(project, include_deleted)}


def strip_deleted_labels(project: dict[str, Any]) -> dict[str, Any]:
    """A copy of the project as GET answers without ``include_deleted_labels`` (deleted labels left out)."""
    out = dict(project)
    pipeline = dict(project["pipeline"])
    tasks = []
    for task in pipeline["tasks"]:
        task = dict(task)
        if "labels" in task:
            task["labels"] = [lab for lab in task["labels"] if not lab.get("is_deleted")]
        tasks.append(task)
    pipeline["tasks"] = tasks
    out["pipeline"] = pipeline
    return out
