"""``project.json`` of the official SDK's download folder → the interchange ``Project``.

The SDK writes the project without ids: labels, parents and connections by name. Older SDK
versions (and hand-edited files) may still carry ids; those are mapped to names when they can
be resolved, so both readings work.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

from scmigrate.errors import InputError
from scmigrate.model import Dataset, Label, Project, Task

__all__ = ["parse_project", "OLD_ANOMALY_TYPES"]

#: task types of older clusters that are one "anomaly" task today
OLD_ANOMALY_TYPES = ("anomaly_classification", "anomaly_detection", "anomaly_segmentation")


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _list(value: Any, where: str) -> list[Any]:
    """A JSON list (missing or null: empty); anything else is an ``InputError`` naming where."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def _labels(task: dict[str, Any], where: str, label_names: dict[str, str]) -> list[Label]:
    raw = _list(task.get("labels"), f"{where}.labels")
    labels = []
    for j, lb in enumerate(raw):
        at = f"{where}.labels[{j}]"
        if not isinstance(lb, dict):
            raise InputError(f"{at}: expected an object")
        parent = lb.get("parent_id", lb.get("parent"))
        if parent is not None:
            parent = label_names.get(str(parent), str(parent))
        labels.append(Label(
            name=_str(lb.get("name"), at + ".name"),
            color=lb.get("color") or None,
            group=lb.get("group") or None,
            parent=parent,
            hotkey=lb.get("hotkey") or "",
            is_empty=bool(lb.get("is_empty", False)),
            is_anomalous=bool(lb.get("is_anomalous", False)),
        ))
    return labels


def _keypoints(structure: Any, label_names: dict[str, str], where: str) -> dict[str, Any] | None:
    """The keypoint structure with label ids (if any) replaced by names."""
    if not isinstance(structure, dict):
        return None
    edges = [{"nodes": [label_names.get(str(n), n) for n in _list(e.get("nodes"), f"{where}.edges[].nodes")]}
             for e in _list(structure.get("edges"), f"{where}.edges") if isinstance(e, dict)]
    positions = [dict(p, label=label_names.get(str(p.get("label")), p.get("label")))
                 for p in _list(structure.get("positions"), f"{where}.positions") if isinstance(p, dict)]
    return {"edges": edges, "positions": positions}


def parse_project(path: Path, doc: Any, name: str | None, notes: list[str]) -> Project:
    """Build the project from the parsed ``project.json``; ``notes`` receives what was adapted."""
    where = str(path)
    if not isinstance(doc, dict):
        raise InputError(f"{where}: expected a JSON object")
    pipeline = doc.get("pipeline", doc)
    tasks_doc = pipeline.get("tasks") if isinstance(pipeline, dict) else None
    if not isinstance(tasks_doc, list) or not tasks_doc:
        raise InputError(f"{where}: expected \"pipeline\": {{\"tasks\": [...]}}")
    label_names = {str(lb["id"]): lb["name"] for i, t in enumerate(tasks_doc) if isinstance(t, dict)
                   for lb in _list(t.get("labels"), f"{where}: pipeline.tasks[{i}].labels")
                   if isinstance(lb, dict) and "id" in lb and "name" in lb}
    task_titles: dict[str, str] = {}
    tasks = []
    for i, t in enumerate(tasks_doc):
        at = f"{where}: pipeline.tasks[{i}]"
        if not isinstance(t, dict):
            raise InputError(f"{at}: expected an object")
        title, task_type = _str(t.get("title"), at + ".title"), _str(t.get("task_type"), at + ".task_type")
        if task_type in OLD_ANOMALY_TYPES:
            notes.append(f"sdk-folder: task {title!r} of older type {task_type} read as anomaly")
            task_type = "anomaly"
        if "id" in t:
            task_titles[str(t["id"])] = title
        structure = _keypoints(t.get("keypoint_structure"), label_names, at + ".keypoint_structure")
        tasks.append(Task(title, task_type, _labels(t, at, label_names), structure))
    titles = [t.title for t in tasks]
    if len(set(titles)) != len(titles):
        raise InputError(f"{where}: task titles must be unique ({', '.join(titles)})")
    connections = []
    for c in _list(pipeline.get("connections"), f"{where}: pipeline.connections"):
        a, b = (task_titles.get(str(c.get(k)), c.get(k)) if isinstance(c, dict) else None for k in ("from", "to"))
        if a not in titles or b not in titles:
            raise InputError(f"{where}: connection {c!r} names a task that is not in the pipeline")
        connections.append((a, b))
    if not connections:
        connections = list(pairwise(titles))
    datasets = [Dataset(_str(d.get("name"), f"{where}: datasets[].name"), bool(d.get("use_for_training")))
                for d in _list(doc.get("datasets"), f"{where}: datasets") if isinstance(d, dict)]
    project_name = name or doc.get("name") or path.parent.resolve().name
    return Project(name=project_name, tasks=tasks, connections=connections,
                   datasets=datasets or [Dataset("Dataset", True)],
                   origin={"kind": "sdk-folder", "path": str(path.parent)})
