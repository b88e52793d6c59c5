"""The body of an annotation POST: schema checks (422) and the per-task rules of the server (400).

Shapes carry absolute pixel coordinates: ``full_image`` (classification), ``rectangle`` with integer
``x, y, width, height`` (detection) and ``polygon`` with ``points`` as ``{x, y}`` objects (instance
segmentation). ``[]`` means "reviewed, nothing here" and is refused for multiclass classification.
"""

from __future__ import annotations

from typing import Any

from .schema import MISSING, Check
from .web import HTTPError

SHAPES = ("rectangle", "polygon", "full_image")
SUBSETS = ("unassigned", "training", "validation", "testing")
TASK_SHAPE = {"classification": "full_image", "detection": "rectangle", "instance_segmentation": "polygon"}


def _shape(check: Check, value: Any, loc: tuple) -> dict[str, Any] | None:
    tag = check.tag(value, loc, SHAPES)
    if tag is None:
        return None
    loc = loc + (tag,)
    if tag == "full_image":
        return {"type": "full_image"}
    if tag == "rectangle":
        fields = {k: check.int_(value.get(k, MISSING), loc + (k,), ge=0) for k in ("x", "y", "width", "height")}
        return {"type": "rectangle", **fields}
    points = []
    for i, point in enumerate(check.list_(value.get("points", MISSING), loc + ("points",)) or []):
        ploc = loc + ("points", i)
        if not isinstance(point, dict):
            check.fail(ploc, "model_type", "Input should be a valid dictionary or instance of Point", point,
                       {"class_name": "Point"})
            continue
        points.append({"x": check.num(point.get("x", MISSING), ploc + ("x",), ge=0),
                       "y": check.num(point.get("y", MISSING), ploc + ("y",), ge=0)})
    return {"type": "polygon", "points": points}


def parse_body(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """``(annotations, subset)`` of a SetMediaAnnotations body; 422 on schema violations."""
    check = Check()
    obj = check.obj(body, ("body",))
    if obj is None:
        check.done()
        return [], None
    annotations = []
    for i, item in enumerate(check.list_(obj.get("annotations", MISSING), ("body", "annotations")) or []):
        loc = ("body", "annotations", i)
        ann = check.obj(item, loc)
        if ann is None:
            continue
        shape = None
        if "shape" in ann:
            shape = _shape(check, ann["shape"], loc + ("shape",))
        else:
            check.fail(loc + ("shape",), "missing", "Field required", MISSING)
        labels = []
        for j, ref in enumerate(check.list_(ann.get("labels", MISSING), loc + ("labels",)) or []):
            ref_obj = check.obj(ref, loc + ("labels", j))
            if ref_obj is not None:
                labels.append({"id": check.uuid_(ref_obj.get("id", MISSING), loc + ("labels", j, "id"))})
        conf = ann.get("confidences")
        if conf is not None:
            for j, c in enumerate(check.list_(conf, loc + ("confidences",)) or []):
                check.num(c, loc + ("confidences", j))
        # confidences are model scores: a user-reviewed annotation never keeps them
        annotations.append({"shape": shape, "labels": labels, "confidences": None})
    subset = check.enum(obj.get("subset", MISSING), ("body", "subset"), SUBSETS, required=False)
    check.bool_(obj.get("user_reviewed", MISSING), ("body", "user_reviewed"), True)  # checked, then ignored
    check.done()
    return annotations, subset


def validate(project: dict[str, Any], label_ids: set[str], width: int, height: int,
             annotations: list[dict[str, Any]]) -> None:
    """The server's annotation validation for the project's task; 400 with a message on violation."""
    task = project["task_type"]
    expected = TASK_SHAPE[task]
    for ann in annotations:
        for ref in ann["labels"]:
            if ref["id"] not in label_ids:
                raise HTTPError(400, f"Label with ID {ref['id']} does not exist in the project.")
    if task == "classification":
        multiclass = bool(project["exclusive_labels"])
        if not annotations:
            if multiclass:
                raise HTTPError(400, "Multiclass classification annotations must contain exactly one label; "
                                "an empty annotation list is not allowed.")
            return
        if len(annotations) != 1 or annotations[0]["shape"]["type"] != "full_image":
            raise HTTPError(400, "Classification annotations must consist of exactly one 'full_image' shape.")
        if multiclass and len(annotations[0]["labels"]) != 1:
            raise HTTPError(400, "Multiclass classification annotations must have exactly one label.")
        if not annotations[0]["labels"]:
            raise HTTPError(400, "A classification annotation needs at least one label.")
        return
    for ann in annotations:
        shape = ann["shape"]
        if shape["type"] != expected:
            raise HTTPError(400, f"Shape '{shape['type']}' is not allowed in a {task} project; use '{expected}'.")
        if len(ann["labels"]) != 1:
            raise HTTPError(400, f"Each {expected} must have exactly one label.")
        if shape["type"] == "rectangle":
            if shape["x"] + shape["width"] > width or shape["y"] + shape["height"] > height:
                raise HTTPError(400, f"Rectangle {shape['x']},{shape['y']},{shape['width']}x{shape['height']} "
                                f"exceeds the media bounds {width}x{height}.")
        else:
            for point in shape["points"]:
                if point["x"] > width or point["y"] > height:
                    raise HTTPError(400, f"Polygon point ({point['x']}, {point['y']}) is outside the media "
                                    f"bounds {width}x{height}.")
