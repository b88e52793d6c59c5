"""Annotation scenes and video ranges between the cluster's JSON and the interchange model.

Reading resolves label ids to names and drops everything cluster-specific (annotation ids,
user and model ids) so that no id leaks into the model. Writing maps names back to the
target's ids; a name the target does not know is an error naming the item.
"""

from __future__ import annotations

from typing import Any

from scmigrate.errors import InputError
from scmigrate.model import Annotation, RangeLabel, Scene, ScoredLabel, Shape

from .dialects import Dialect
from .projects import LabelIndex

__all__ = ["scene_from_api", "scene_to_api", "ranges_from_api", "ranges_to_api"]


def scene_from_api(
    doc: dict[str, Any], idx: LabelIndex, dialect: Dialect, width: int | None, height: int | None,
    frame: int | None = None,
) -> Scene:
    """One annotation scene read from the cluster."""
    annotations = []
    for a in doc.get("annotations") or []:
        labels = []
        for lb in a.get("labels") or []:
            known = idx.label_by_id.get(str(lb.get("id")))
            if known is None:
                continue  # a label deleted since: nothing in the model can refer to it
            labels.append(ScoredLabel(known.name, float(lb.get("probability", 1.0) or 0.0)))
        if labels and a.get("shape"):
            annotations.append(Annotation(dialect.shape_from_api(a["shape"], width, height), labels))
    states = {
        idx.task_title_by_id.get(str(s.get("task_id")), str(s.get("task_id"))): str(s.get("state"))
        for s in doc.get("annotation_state_per_task") or []
        if s.get("state") is not None
    }
    return Scene(
        annotations=annotations, frame=frame, kind=doc.get("kind", "annotation"),
        state_per_task=states, modified=doc.get("modified"),
    )


def _label_ids(names: list[ScoredLabel], ids: dict[str, str], what: str) -> list[dict[str, Any]]:
    out = []
    for lb in names:
        lid = ids.get(lb.name)
        if lid is None:
            raise InputError(f"{what}: label {lb.name!r} is not in the target project")
        out.append({"id": lid, "probability": lb.probability})
    return out


def scene_to_api(
    scene: Scene, ids: dict[str, str], empty_id: str | None, dialect: Dialect,
    width: int | None, height: int | None, what: str,
) -> dict[str, Any]:
    """The POST body for one scene; a scene with no annotations becomes the empty label.

    In the model a present scene with zero annotations means "annotated as empty", which a
    cluster expresses as the first task's empty label on the full-image box.
    """
    anns = []
    for a in scene.annotations:
        shape = dialect.shape_to_api(_clip(a.shape, width, height), width, height)
        anns.append({"shape": shape, "labels": _label_ids(a.labels, ids, what)})
    if not anns and empty_id is not None and width and height:
        box = {"type": "RECTANGLE", "x": 0, "y": 0, "width": width, "height": height}
        anns.append({"shape": box, "labels": [{"id": empty_id, "probability": 1.0}]})
    return {"annotations": anns}


def _clip(shape: Shape, width: int | None, height: int | None) -> Shape:
    """Keep rectangles inside the media: a box 1 px past the edge (rounding) is not worth a 400."""
    if shape.type != "RECTANGLE" or not width or not height:
        return shape
    x, y = max(0.0, shape.x), max(0.0, shape.y)
    w = min(shape.width - (x - shape.x), width - x)
    h = min(shape.height - (y - shape.y), height - y)
    return Shape.rectangle(x, y, max(1.0, w), max(1.0, h))


def ranges_from_api(doc: dict[str, Any], idx: LabelIndex) -> list[RangeLabel]:
    out = []
    for r in doc.get("range_labels") or []:
        names = [idx.label_by_id[str(i)].name for i in r.get("label_ids") or [] if str(i) in idx.label_by_id]
        out.append(RangeLabel(int(r["start_frame"]), int(r["end_frame"]), names))
    return out


def ranges_to_api(ranges: list[RangeLabel], ids: dict[str, str], what: str) -> dict[str, Any]:
    body = []
    for r in ranges:
        missing = [n for n in r.labels if n not in ids]
        if missing:
            raise InputError(f"{what}: range label {missing[0]!r} is not in the target project")
        body.append({"start_frame": r.start_frame, "end_frame": r.end_frame, "label_ids": [ids[n] for n in r.labels]})
    return {"range_labels": body}
