"""Label rules of project creation (docs/rest-api.md §7.4).

One task at a time: validate the label objects of a create body, resolve ``parent_id`` names to ids,
add the empty label ("No object", "Empty", "No class") or the anomaly labels as the real server does,
and build the keypoint graph of keypoint-detection tasks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .checks import as_bool, as_list, as_number, as_object, as_str, check_keys, need
from .errors import bad_request, field_error

__all__ = [
    "TRAINABLE_TASKS", "LOCAL_TASKS", "EMPTY_LABEL_NAMES", "LABEL_KEYS", "normalise_color", "default_color",
    "default_group", "make_label", "build_task_labels", "resolve_parent", "build_keypoint_structure",
    "needs_no_class", "check_label_counts", "check_hierarchy", "LabelStyle", "CURRENT_STYLE", "SC1_STYLE",
]

TRAINABLE_TASKS = frozenset({
    "classification", "detection", "segmentation", "rotated_detection", "instance_segmentation", "anomaly",
    "keypoint_detection",
})
#: Tasks whose annotations are local shapes (the rest are global: classification, anomaly).
LOCAL_TASKS = frozenset({"detection", "segmentation", "rotated_detection", "instance_segmentation",
                         "keypoint_detection"})
#: The empty label the real server adds per task type (``DOMAINS_WITH_EMPTY_LABEL`` plus "No class").
EMPTY_LABEL_NAMES = {
    "detection": "No object", "rotated_detection": "No object",
    "segmentation": "Empty", "instance_segmentation": "Empty", "classification": "No class",
}
#: Keys a label object may carry on create (``additionalProperties: false``).
LABEL_KEYS = ("name", "color", "group", "parent_id", "hotkey", "is_empty", "is_anomalous", "is_background")
_COLOR = re.compile(r"^#([a-fA-F0-9]{6}|[a-fA-F0-9]{8})$")
_EMPTY_COLOR = "#000000ff"
# The emulator's own choice of colours for the generated anomaly labels (any valid colour would do).
_NORMAL_COLOR, _ANOMALOUS_COLOR = "#8bc34aff", "#ff5662ff"
ANOMALY_GROUP = "default - anomaly"


@dataclass(frozen=True)
class LabelStyle:
    """What the server adds to a new project on its own, which changed between versions."""

    empty_names: dict[str, str]   # task type → name of the empty label the server adds
    group_by_title: bool = False  # labels without a group land in "default - <task title>" (SC 1.x)
    merge_old_anomaly: bool = True  # anomaly_* tasks become "anomaly" titled "Anomaly" (2.x)


CURRENT_STYLE = LabelStyle(EMPTY_LABEL_NAMES)
#: SC 1.1 (docs/rest-api.md §2.3): "No Object" with a capital O, no "No class", groups named after the task title,
#: the anomaly task types kept as they were sent.
SC1_STYLE = LabelStyle({"detection": "No Object", "rotated_detection": "No Object", "segmentation": "Empty",
                        "instance_segmentation": "Empty"}, group_by_title=True, merge_old_anomaly=False)


def normalise_color(value: Any, field: str) -> str:
    """Check the colour pattern and return it as lower-case ``#rrggbbaa`` (6 digits gain ``ff``)."""
    text = as_str(value, field)
    if not _COLOR.match(text):
        raise field_error(field, f"{text!r} does not match '^#([a-fA-F0-9]{{6}}|[a-fA-F0-9]{{8}})$'")
    text = text.lower()
    return text if len(text) == 9 else text + "ff"


def default_color(name: str) -> str:
    """A 'random' colour for a label without one, derived from its name so that runs repeat."""
    return "#" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:6] + "ff"


def default_group(task_type: str) -> str:
    """The group of labels created without one (all such labels of a task are mutually exclusive)."""
    return f"default - {task_type}"


def make_label(label_id: str, name: str, color: str, group: str, parent_id: str | None = None,
               hotkey: str = "", is_empty: bool = False, is_anomalous: bool = False) -> dict[str, Any]:
    """A stored label document (docs/rest-api.md §7.2, the label object)."""
    return {"id": label_id, "name": name, "color": color, "group": group, "parent_id": parent_id,
            "hotkey": hotkey, "is_empty": is_empty, "is_anomalous": is_anomalous}


def _empty_label(name: str, new_id: Callable[[], str]) -> dict[str, Any]:
    # The code (not the spec examples) creates it black, without hotkey, in a group of its own name.
    return make_label(new_id(), name, _EMPTY_COLOR, name, is_empty=True)


def needs_no_class(labels: list[dict[str, Any]]) -> bool:
    """"No class" exists only when no exclusive group holds two or more (non-empty) labels."""
    sizes: dict[str, int] = {}
    for label in labels:
        if not label["is_empty"] and not label.get("is_deleted"):
            sizes[label["group"]] = sizes.get(label["group"], 0) + 1
    return all(n < 2 for n in sizes.values())


def resolve_parent(ref: str | None, own: list[dict[str, Any]], known: dict[str, dict[str, Any]],
                   field: str) -> str | None:
    """A parent given by name (create) or id (edit): in this task or, in a chain, an earlier task."""
    if ref is None:
        return None
    ref = as_str(ref, field)
    candidates = [lab for lab in own if not lab.get("is_deleted")] + list(known.values())
    for lab in candidates:
        if lab["name"] == ref:
            return lab["id"]
    for lab in candidates:
        if lab["id"] == ref:
            return lab["id"]
    raise field_error(field, f"no label named {ref!r} exists to be the parent")


def check_hierarchy(labels: list[dict[str, Any]], known: dict[str, dict[str, Any]]) -> None:
    """A parent lives in another group, and following parents never loops."""
    by_id = {lab["id"]: lab for lab in list(known.values()) + labels}
    for lab in labels:
        seen = {lab["id"]}
        parent = lab["parent_id"]
        if parent is not None and parent not in by_id:
            raise bad_request(f"Label '{lab['name']}' cannot stay while its parent label is deleted")
        if parent is not None and by_id[parent]["group"] == lab["group"]:
            raise bad_request(f"Label '{lab['name']}' and its parent '{by_id[parent]['name']}' are in the same "
                              f"group '{lab['group']}'; a child label must be in another group")
        while parent is not None:
            if parent in seen:
                raise bad_request(f"The parents of label '{lab['name']}' form a cycle")
            seen.add(parent)
            parent = by_id[parent]["parent_id"]


def check_label_counts(task_type: str, title: str, labels: list[dict[str, Any]]) -> None:
    """The per-task minimum number of labels (deleted and empty labels do not count)."""
    live = [lab for lab in labels if not lab["is_empty"] and not lab.get("is_deleted")]
    if task_type in LOCAL_TASKS and not live:
        raise bad_request(f"Task '{title}' of type {task_type} needs at least one label")
    if task_type == "classification":
        own_ids = {lab["id"] for lab in labels}
        top = [lab for lab in live if lab["parent_id"] not in own_ids]
        if len(top) < 2:
            raise bad_request(f"Classification task '{title}' needs at least two top-level labels, "
                              f"got {len(top)}")


def _read_label(raw: Any, field: str, group_default: str) -> dict[str, Any]:
    obj = as_object(raw, field)
    check_keys(obj, LABEL_KEYS, field)
    name = as_str(need(obj, "name"), f"{field}.name", min_length=1)
    color = normalise_color(obj["color"], f"{field}.color") if "color" in obj else default_color(name)
    group = as_str(obj.get("group", group_default), f"{field}.group", min_length=1)
    parent = obj.get("parent_id")
    if parent is not None:
        as_str(parent, f"{field}.parent_id")
    return {"name": name, "color": color, "group": group, "parent": parent,
            "hotkey": as_str(obj.get("hotkey", ""), f"{field}.hotkey"),
            "is_empty": as_bool(obj.get("is_empty", False), f"{field}.is_empty"),
            "is_anomalous": as_bool(obj.get("is_anomalous", False), f"{field}.is_anomalous")}


def _anomaly_labels(given: list[dict[str, Any]], title: str, new_id: Callable[[], str],
                    group: str = ANOMALY_GROUP) -> list[dict[str, Any]]:
    if not given:
        return [make_label(new_id(), "Normal", _NORMAL_COLOR, group),
                make_label(new_id(), "Anomalous", _ANOMALOUS_COLOR, group, is_anomalous=True)]
    if len(given) != 2 or sum(1 for g in given if g["is_anomalous"]) != 1:
        raise bad_request(f"Anomaly task '{title}' takes either no labels or exactly two labels, "
                          "one of them anomalous")
    if any(g["parent"] is not None or g["is_empty"] for g in given):
        raise bad_request(f"The labels of anomaly task '{title}' cannot have a parent or be empty")
    # A normal/anomalous pair is one exclusive choice, so both land in the anomaly group.
    return [make_label(new_id(), g["name"], g["color"], group, hotkey=g["hotkey"],
                       is_anomalous=g["is_anomalous"]) for g in given]


def build_task_labels(task_type: str, title: str, raw_labels: Any, field: str, new_id: Callable[[], str],
                      known: dict[str, dict[str, Any]], style: LabelStyle = CURRENT_STYLE) -> list[dict[str, Any]]:
    """Validate the create-time labels of one task and return its stored labels.

    ``known`` maps the names of labels of earlier tasks (in pipeline order) to their stored labels; it is
    used for name uniqueness and for parents across a chain, and is extended with this task's labels.
    """
    raws = as_list(raw_labels if raw_labels is not None else [], field)
    group_default = f"default - {title}" if style.group_by_title else default_group(task_type)
    given = [_read_label(raw, f"{field}[{i}]", group_default) for i, raw in enumerate(raws)]
    names: set[str] = set(known)
    for item in given:
        if item["name"] in names:
            raise bad_request(f"Label names must be unique: '{item['name']}' is used more than once")
        names.add(item["name"])
    if task_type == "anomaly":
        labels = _anomaly_labels(given, title, new_id, group_default if style.group_by_title else ANOMALY_GROUP)
    else:
        if any(g["is_anomalous"] for g in given):
            raise bad_request(f"Only anomaly tasks have anomalous labels (task '{title}')")
        empties = [g for g in given if g["is_empty"]]
        if empties and task_type not in style.empty_names:
            raise bad_request(f"Tasks of type {task_type} have no empty label (task '{title}')")
        if len(empties) > 1:
            raise bad_request(f"Task '{title}' can have only one empty label")
        labels = []
        for item in given:
            group = item["name"] if item["is_empty"] and item["group"] == group_default else item["group"]
            labels.append(make_label(new_id(), item["name"], item["color"], group, hotkey=item["hotkey"],
                                     is_empty=item["is_empty"]))
        for i, (item, label) in enumerate(zip(given, labels, strict=True)):
            if item["parent"] is not None and item["is_empty"]:
                raise field_error(f"{field}[{i}].parent_id", "an empty label cannot have a parent")
            label["parent_id"] = resolve_parent(item["parent"], labels, known, f"{field}[{i}].parent_id")
        check_hierarchy(labels, known)
        check_label_counts(task_type, title, labels)
        wants_empty = task_type in style.empty_names and (task_type != "classification" or needs_no_class(labels))
        if wants_empty and not empties:
            empty = _empty_label(style.empty_names[task_type], new_id)
            if empty["name"] in names:
                raise bad_request(f"Label names must be unique: '{empty['name']}' is reserved for the empty "
                                  f"label of task '{title}'")
            labels.append(empty)
    for label in labels:
        known[label["name"]] = label
    return labels


def build_keypoint_structure(raw: Any, labels: list[dict[str, Any]], field: str) -> dict[str, Any]:
    """The keypoint graph with label names (create) or ids (edit) turned into ids; every keypoint placed."""
    obj = as_object(raw, field)
    check_keys(obj, ("edges", "positions"), field)
    live = [lab for lab in labels if not lab.get("is_deleted")]
    by_ref = {lab["name"]: lab["id"] for lab in live} | {lab["id"]: lab["id"] for lab in live}

    def ref(value: Any, where: str) -> str:
        text = as_str(value, where)
        if text not in by_ref:
            raise field_error(where, f"{text!r} is not a keypoint label of this task")
        return by_ref[text]

    edges = []
    for i, edge in enumerate(as_list(obj.get("edges", []), f"{field}.edges")):
        edge = as_object(edge, f"{field}.edges[{i}]")
        check_keys(edge, ("nodes",), f"{field}.edges[{i}]")
        nodes = as_list(need(edge, "nodes"), f"{field}.edges[{i}].nodes", min_items=2, max_items=2)
        ids = [ref(n, f"{field}.edges[{i}].nodes[{j}]") for j, n in enumerate(nodes)]
        if ids[0] == ids[1]:
            raise field_error(f"{field}.edges[{i}].nodes", "an edge joins two different keypoints")
        edges.append({"nodes": ids})
    positions, placed = [], set()
    for i, pos in enumerate(as_list(need(obj, "positions"), f"{field}.positions")):
        where = f"{field}.positions[{i}]"
        pos = as_object(pos, where)
        check_keys(pos, ("label", "x", "y"), where)
        label_id = ref(need(pos, "label"), f"{where}.label")
        if label_id in placed:
            raise field_error(f"{where}.label", "this keypoint already has a position")
        placed.add(label_id)
        positions.append({"label": label_id, "x": as_number(need(pos, "x"), f"{where}.x", 0, 1),
                          "y": as_number(need(pos, "y"), f"{where}.y", 0, 1)})
    missing = [lab["name"] for lab in live if lab["id"] not in placed]
    if missing:
        raise field_error(f"{field}.positions", f"no position for keypoint(s) {', '.join(missing)}")
    return {"edges": edges, "positions": positions}
