"""Annotation-scene rules (docs/rest-api.md §10, §10.8): validation, normalised storage, rendering and states.

:func:`validate_scene` checks a ``POST .../annotations`` body against the project (labels, shapes per
task, geometry, exclusive groups, chains and empty labels) and returns the annotations as stored
(coordinates in [0, 1]); :func:`render_annotations` turns them back into pixels as the real server
answers; :func:`state_per_task` computes ``annotation_state_per_task``.
"""

from __future__ import annotations

import datetime as _dt
import uuid
from collections.abc import Callable
from typing import Any

from .checks import as_list, as_number, as_object, as_str, need
from .errors import bad_request
from .labels import LOCAL_TASKS
from .pipeline import label_index, trainable_tasks
from .shapes import is_full_image_box, normalise_shape, overlaps, read_shape, render_shape

__all__ = ["ALLOWED_SHAPES", "validate_scene", "render_annotations", "state_per_task"]

ALLOWED_SHAPES = {
    "detection": {"RECTANGLE"}, "rotated_detection": {"RECTANGLE", "ROTATED_RECTANGLE"},
    "segmentation": {"POLYGON", "ELLIPSE", "RECTANGLE"}, "instance_segmentation": {"POLYGON", "ELLIPSE", "RECTANGLE"},
    "keypoint_detection": {"KEYPOINT"}, "classification": {"RECTANGLE"}, "anomaly": {"RECTANGLE"},
}


def _annotation_id(value: Any, new_uuid: Callable[[], str]) -> str:
    """Keep a client's UUID; anything else (absent, ObjectId, junk) gets a fresh one."""
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value)) if len(value) == 36 else new_uuid()
        except ValueError:
            pass
    return new_uuid()


def _read_labels(raw: Any, field: str, project: dict[str, Any]) -> list[dict[str, Any]]:
    live = label_index(project)
    every = label_index(project, include_deleted=True)
    out, seen = [], set()
    for i, item in enumerate(as_list(need(raw, "labels"), f"{field}.labels", min_items=1)):
        where = f"{field}.labels[{i}]"
        obj = as_object(item, where)  # extra keys (name, color, source, ...) are tolerated, as the real server
        label_id = as_str(need(obj, "id"), f"{where}.id")
        if label_id not in live:
            state = "has been deleted from" if label_id in every else "does not exist in"
            raise bad_request(f"Label '{label_id}' {state} the project (annotation {field})")
        if label_id in seen:
            raise bad_request(f"Label '{live[label_id][1]['name']}' appears twice on annotation {field}")
        seen.add(label_id)
        probability = as_number(obj.get("probability", 1.0), f"{where}.probability", 0, 1)
        out.append({"id": label_id, "probability": float(probability)})
    return out


def _check_exclusive(label_ids: list[str], by_id: dict[str, dict[str, Any]], field: str) -> None:
    """No two labels of one group on an annotation, counting the ancestors of hierarchical labels."""
    holder: dict[str, str] = {}
    for label_id in label_ids:
        current: str | None = label_id
        while current is not None:
            label = by_id[current]
            other = holder.setdefault(label["group"], current)
            if other != current:
                raise bad_request(f"Labels '{by_id[other]['name']}' and '{label['name']}' belong to the same "
                                  f"exclusive group '{label['group']}' and cannot be on one annotation ({field})")
            current = label["parent_id"]


def _check_annotation(ann: dict[str, Any], tasks: list[dict[str, Any]], by_id: dict[str, dict[str, Any]],
                      width: int, height: int, field: str) -> None:
    """Rules for one annotation: mixing, empty labels, shapes per task, chains."""
    shape = ann["shape"]
    per_task = [[by_id[lab["id"]] for lab in ann["labels"] if lab["id"] in {x["id"] for x in t["labels"]}]
                for t in tasks]
    for task, labels in zip(tasks, per_task, strict=True):
        if any(lab["is_empty"] for lab in labels) and any(not lab["is_empty"] for lab in labels):
            raise bad_request(f"Empty and non-empty labels of task '{task['title']}' cannot be on the same "
                              f"annotation ({field})")
    first, first_labels = tasks[0], per_task[0]
    first_empty = bool(first_labels) and first_labels[0]["is_empty"]
    if first_empty and (len(ann["labels"]) != 1 or not is_full_image_box(shape, width, height)):
        raise bad_request(f"The empty label '{first_labels[0]['name']}' must be alone on the full-image box "
                          f"{{RECTANGLE 0, 0, {width}×{height}}} ({field})")
    if first_labels and not first_empty:
        if shape["type"] not in ALLOWED_SHAPES[first["task_type"]]:
            raise bad_request(f"Task '{first['title']}' ({first['task_type']}) does not accept {shape['type']} "
                              f"shapes ({field})")
        if first["task_type"] not in LOCAL_TASKS and not is_full_image_box(shape, width, height):
            raise bad_request(f"Labels of task '{first['title']}' ({first['task_type']}) must be on the full-image "
                              f"box {{RECTANGLE 0, 0, {width}×{height}}} ({field})")
        if first["task_type"] == "keypoint_detection" and len(first_labels) != 1:
            raise bad_request(f"A keypoint annotation carries exactly one keypoint label ({field})")
    if len(tasks) < 2 or not per_task[1]:
        return
    second, second_labels = tasks[1], per_task[1]
    on_parent_box = bool(first_labels) and not first_empty
    if second_labels[0]["is_empty"] or second["task_type"] == "classification":
        if not on_parent_box:
            raise bad_request(f"Labels of task '{second['title']}' of the chain must be on a box of task "
                              f"'{first['title']}', together with its label ({field})")
    elif first_labels:
        raise bad_request(f"Segmentation shapes of task '{second['title']}' are separate annotations without "
                          f"labels of task '{first['title']}' ({field})")
    elif shape["type"] not in ALLOWED_SHAPES[second["task_type"]]:
        raise bad_request(f"Task '{second['title']}' ({second['task_type']}) does not accept {shape['type']} "
                          f"shapes ({field})")


def _check_scene(anns: list[dict[str, Any]], tasks: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]) -> None:
    """Rules across annotations: an empty box excludes the other annotations of its task that overlap it."""
    task_of = {lab["id"]: t["id"] for t in tasks for lab in t["labels"]}
    first = tasks[0]
    for i, ann in enumerate(anns):
        for task in tasks:
            if task is not first and task["task_type"] == "classification":
                continue  # chained class labels live on the boxes themselves; boxes may overlap
            empty = [lab for lab in ann["labels"] if task_of[lab["id"]] == task["id"] and by_id[lab["id"]]["is_empty"]]
            global_first = task is first and task["task_type"] not in LOCAL_TASKS
            own = any(task_of[lab["id"]] == task["id"] for lab in ann["labels"])
            if not empty and not (global_first and own):
                continue
            for j, other in enumerate(anns):
                if j == i or not overlaps(ann["shape"], other["shape"]):
                    continue
                other_tasks = {task_of[lab["id"]] for lab in other["labels"]}
                if task is not first and first["id"] in other_tasks:
                    continue  # another box of the first task, not a shape of the second task
                if task["id"] in other_tasks:
                    what = f"the empty label '{by_id[empty[0]['id']]['name']}'" if empty else "a full-image label"
                    raise bad_request(f"Annotation annotations[{j}] of task '{task['title']}' overlaps "
                                      f"annotations[{i}] that carries {what}")


def validate_scene(project: dict[str, Any], width: int, height: int, body: Any, new_uuid: Callable[[], str], *,
                   now: str | None = None, user_id: str | None = None) -> list[dict[str, Any]]:
    """Validate an annotation-scene request for a ``width``×``height`` media; return the stored annotations.

    Each stored annotation is ``{"id", "modified", "shape" (normalised), "labels": [{"id", "probability",
    "source"}], "labels_to_revisit"}``; ``source`` is filled only when ``user_id`` is given.
    """
    if body == {}:
        raise bad_request("Server received empty annotation data")
    body = as_object(body, "body")
    raw_anns = as_list(need(body, "annotations"), "annotations")
    tasks = trainable_tasks(project)
    by_id = {label_id: label for label_id, (_, label) in label_index(project).items()}
    modified = now or _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")
    pixel_anns, stored, ids = [], [], set()
    for i, raw in enumerate(raw_anns):
        field = f"annotations[{i}]"
        obj = as_object(raw, field)
        shape = read_shape(need(obj, "shape"), f"{field}.shape", width, height)
        labels = _read_labels(obj, field, project)
        _check_exclusive([lab["id"] for lab in labels], by_id, field)
        ann = {"shape": shape, "labels": labels}
        _check_annotation(ann, tasks, by_id, width, height, field)
        if shape["type"] == "RECTANGLE" and tasks[0]["task_type"] == "rotated_detection" and not (
                by_id[labels[0]["id"]]["is_empty"]):
            # rotated detection stores plain boxes as rotated rectangles with angle 0
            shape = {"type": "ROTATED_RECTANGLE", "x": shape["x"] + shape["width"] / 2,
                     "y": shape["y"] + shape["height"] / 2, "width": shape["width"], "height": shape["height"],
                     "angle": 0.0}
        ann_id = _annotation_id(obj.get("id"), new_uuid)
        if ann_id in ids:
            raise bad_request(f"Annotation ids must be unique: '{ann_id}' is used more than once")
        ids.add(ann_id)
        revisit = [as_str(x, f"{field}.labels_to_revisit") for x in as_list(obj.get("labels_to_revisit", []),
                                                                             f"{field}.labels_to_revisit")]
        pixel_anns.append(ann)
        if user_id is not None:  # without a user the caller adds the source (it knows who posted)
            for lab in labels:
                lab["source"] = {"user_id": user_id, "model_id": None, "model_storage_id": None}
        stored.append({"id": ann_id, "modified": modified, "shape": normalise_shape(shape, width, height),
                       "labels": labels, "labels_to_revisit": [x for x in revisit if x in by_id]})
    _check_scene(pixel_anns, tasks, by_id)
    return stored


def render_annotations(stored: list[dict[str, Any]], width: int, height: int) -> list[dict[str, Any]]:
    """Stored annotations → the response form in pixels (rounded as the real server rounds)."""
    return [{**ann, "shape": render_shape(ann["shape"], width, height)} for ann in stored]


def state_per_task(project: dict[str, Any], stored: list[dict[str, Any]]) -> list[dict[str, str]]:
    """``annotation_state_per_task``: annotated / partially_annotated / none for every trainable task.

    A chain's second task is judged on the first task's boxes (its ROIs): annotated when every box has
    its second-task label (classification) or overlapping shapes or the empty label (segmentation).
    """
    tasks = trainable_tasks(project)
    index = label_index(project)
    label_ids = [[index[lab["id"]] for lab in ann["labels"] if lab["id"] in index] for ann in stored]
    states = []
    first = tasks[0]
    of_first = [any(t["id"] == first["id"] for t, _ in labs) for labs in label_ids]
    states.append({"task_id": first["id"], "state": "annotated" if any(of_first) else "none"})
    if len(tasks) == 2:
        second = tasks[1]
        rois = [i for i, labs in enumerate(label_ids)
                if any(t["id"] == first["id"] and not lab["is_empty"] for t, lab in labs)]
        separate = [i for i, labs in enumerate(label_ids) if i not in rois
                    and any(t["id"] == second["id"] for t, _ in labs)]

        def covered(i: int) -> bool:
            if any(t["id"] == second["id"] for t, _ in label_ids[i]):
                return True
            return any(overlaps(stored[i]["shape"], stored[j]["shape"]) for j in separate)

        if not any(of_first):
            state = "partially_annotated" if separate else "none"
        elif not rois:
            state = "annotated"  # the first task said "nothing here": nothing is left for the second
        else:
            done = sum(1 for i in rois if covered(i))
            state = "annotated" if done == len(rois) else "partially_annotated" if done else "none"
        states.append({"task_id": second["id"], "state": state})
    return states
