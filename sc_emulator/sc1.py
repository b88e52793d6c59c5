"""SC 1.1 response and request shapes (docs/rest-api.md §2.3), applied on top of the current ones.

The store keeps one form for every dialect; these functions turn a current-dialect body into what an SC 1.1
server answered (projects, media, annotation scenes, status) and an SC 1.1 annotation request (coordinates
normalised to 0..1 of the media size) into the pixel request the annotation rules validate.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import bad_request

_EDGE = 1e-6  # how far x + width may overshoot the media edge through float products (0.9 * 64 + 0.1 * 64)


def project(body: dict[str, Any], score: bool = True) -> dict[str, Any]:
    """``id, name, creation_time, datasets [{id, name}], pipeline, thumbnail`` (+ ``score: 0.0``)."""
    tasks = []
    for task in body["pipeline"]["tasks"]:
        task = {k: v for k, v in task.items() if k != "legacy_type"} | (
            {"task_type": task["legacy_type"]} if "legacy_type" in task else {})
        if "labels" in task:
            task["labels"] = [{k: v for k, v in lab.items() if k not in ("is_anomalous", "is_background")}
                              for lab in task["labels"]]
        tasks.append(task)
    out: dict[str, Any] = {"id": body["id"], "name": body["name"], "creation_time": body["creation_time"],
                           "datasets": [{"id": d["id"], "name": d["name"]} for d in body.get("datasets", [])],
                           "pipeline": {"tasks": tasks, "connections": body["pipeline"]["connections"]},
                           "thumbnail": body["thumbnail"]}
    if score:
        out["score"] = 0.0
    return out


def media(body: dict[str, Any]) -> dict[str, Any]:
    """The media object: name without extension, ``display_url`` ending in ``/display/full `` (the trailing
    space is what the server sent), state ``NONE`` in upper case before any annotation."""
    info = body["media_information"]
    states = [{"task_id": s["task_id"], "state": "NONE" if s["state"] in ("none", None) else s["state"]}
              for s in body.get("annotation_state_per_task", [])]
    return {"id": body["id"], "name": body["name"], "type": body["type"], "upload_time": body["upload_time"],
            "thumbnail": body["thumbnail"],
            "media_information": {"display_url": info["display_url"] + " ", "width": info["width"],
                                  "height": info["height"]},
            "annotation_state_per_task": states}


def _pixel(value: Any, size: int, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value  # the shape rules name the bad field
    if not -_EDGE <= value <= 1 + _EDGE:
        raise bad_request(f"Invalid value received for field '{where}': {value} is not a coordinate normalised "
                          "to 0..1 of the media size")
    return min(max(value, 0.0), 1.0) * size


def scene_request(body: Any, width: int, height: int) -> tuple[Any, list[Any]]:
    """(the request in pixels, the normalised shapes as sent); repeated label ids of one annotation
    are de-duplicated as SC 1.1 did."""
    if not isinstance(body, dict) or not isinstance(body.get("annotations"), list):
        return body, []
    pixel = copy.deepcopy(body)
    originals: list[Any] = []
    for i, ann in enumerate(pixel["annotations"]):
        if not isinstance(ann, dict):
            originals.append(None)
            continue
        if isinstance(ann.get("labels"), list):
            seen, unique = set(), []
            for lab in ann["labels"]:
                key = lab.get("id") if isinstance(lab, dict) else None
                if key is None or key not in seen:
                    unique.append(lab)
                    seen.add(key)
            ann["labels"] = unique
        shape = ann.get("shape")
        originals.append(copy.deepcopy(shape))
        if not isinstance(shape, dict):
            continue
        where = f"annotations[{i}].shape"
        if isinstance(shape.get("points"), list):
            for j, point in enumerate(shape["points"]):
                if isinstance(point, dict):
                    point["x"] = _pixel(point.get("x"), width, f"{where}.points[{j}].x")
                    point["y"] = _pixel(point.get("y"), height, f"{where}.points[{j}].y")
            continue
        for key, size in (("x", width), ("y", height), ("width", width), ("height", height)):
            if key in shape:
                shape[key] = _pixel(shape[key], size, f"{where}.{key}")
        for pos, extent, size in (("x", "width", width), ("y", "height", height)):
            a, b = shape.get(pos), shape.get(extent)
            if isinstance(a, float | int) and isinstance(b, float | int) and 0 < a + b - size <= _EDGE * size:
                shape[extent] = size - a
    return pixel, originals


def keep_sent_shapes(doc: dict[str, Any], originals: list[Any]) -> None:
    """Store the normalised shapes exactly as sent (no pixel round trip), where the rules kept their type."""
    for ann, sent in zip(doc["annotations"], originals, strict=False):
        if isinstance(sent, dict) and sent.get("type") == ann["shape"]["type"]:
            shape = dict(ann["shape"])  # angle and flags as the rules read them
            if "points" in sent:
                shape["points"] = [{"x": float(p["x"]), "y": float(p["y"])} for p in sent["points"]]
            else:
                shape.update({k: float(sent[k]) for k in ("x", "y", "width", "height") if k in sent})
            ann["shape"] = shape


def scene(doc: dict[str, Any], project_doc: dict[str, Any], label_only: bool = False) -> dict[str, Any]:
    """A stored scene as SC 1.1 answered: normalised shapes, labels with name and colour, source N/A."""
    from .rules.pipeline import label_index

    labels = label_index(project_doc, include_deleted=True)
    out = {k: v for k, v in doc.items() if k != "annotations"}
    anns = []
    for ann in doc["annotations"]:
        shown = {k: v for k, v in ann.items() if not (label_only and k == "shape")}
        shown["labels"] = [{"color": labels[lab["id"]][1]["color"] if lab["id"] in labels else "#000000ff",
                            "id": lab["id"], "name": labels[lab["id"]][1]["name"] if lab["id"] in labels else "",
                            "probability": lab.get("probability", 1.0), "source": {"id": "N/A", "type": "N/A"}}
                           for lab in ann["labels"]]
        anns.append(shown)
    out["annotations"] = anns
    return out


def status(body: dict[str, Any]) -> dict[str, Any]:
    """``{is_training, n_required_annotations, n_running_jobs, project_score, status, tasks}``."""
    return {"is_training": False, "n_required_annotations": body["n_required_annotations"], "n_running_jobs": 0,
            "project_score": 0.0,
            "status": {"message": "No training capacity on this cluster (sc_emulator)", "progress": -1.0,
                       "time_remaining": None},
            "tasks": body["tasks"]}
