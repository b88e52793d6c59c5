"""Annotation scenes and video ranges between the cluster's JSON and the interchange model.

Reading resolves label ids to names and drops everything cluster-specific (annotation ids,
user and model ids) so that no id leaks into the model. Writing maps names back to the
target's ids; a name the target does not know is an error naming the item.

This is the edge where "annotated as empty" changes form (rule in :mod:`scmigrate.model.scene`):
the cluster's first-task empty label alone on the full-image box is read as a scene with no
annotations, and such a scene is written as that label (chosen by its flag) on that box.
"""

from __future__ import annotations

from typing import Any

from scmigrate.errors import InputError
from scmigrate.model import (
    Annotation,
    Project,
    RangeLabel,
    Scene,
    ScoredLabel,
    Shape,
    fit,
    read_empty_mark,
)

from .dialects import Dialect
from .projects import LabelIndex

__all__ = ["scene_from_api", "scene_to_api", "ranges_from_api", "ranges_to_api", "scene_revision"]

#: the revision of an image the listing says was never annotated (or whose annotations were removed)
UNANNOTATED = "unannotated"


def scene_revision(media: dict[str, Any]) -> str | None:
    """The revision of an image's annotations from its listing entry (``Item.annotation_revision``).

    Geti 2.x's ``media:query`` names each image's latest annotation scene (``annotation_scene_id``,
    a new id at every annotation ``POST``; empty when none was made). Older listings (``GET
    .../media/images`` of SC 1.x and Geti 1.x) lack the field: None, their scenes are read each time.
    """
    if "annotation_scene_id" not in media:
        return None
    return str(media["annotation_scene_id"] or UNANNOTATED)


def scene_from_api(
    doc: dict[str, Any], idx: LabelIndex, project: Project, dialect: Dialect, width: int | None,
    height: int | None, frame: int | None = None,
) -> Scene | None:
    """One annotation scene read from the cluster, in the model's form; None when it holds nothing
    (a cluster keeps no empty scene: one without annotations was never annotated)."""
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
    if not annotations:
        return None
    scene = Scene(
        annotations=annotations, frame=frame, kind=doc.get("kind", "annotation"),
        state_per_task=states, modified=doc.get("modified"),
    )
    return read_empty_mark(scene, project, width, height)


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
    """The POST body for one scene; a scene with no annotations (annotated as empty) becomes the
    first task's empty label, ``empty_id``, on the full-image box; without that label or the media's
    size it has no body (``annotations`` empty) and is not posted.

    Shapes are fitted to the media on the way (a box 1 px past the edge, from rounding, is not
    worth a 400); one that cannot be fitted is sent as it is, for the cluster to refuse by name.
    """
    anns = []
    for a in scene.annotations:
        fitted = fit(a.shape, width, height).shape or a.shape
        anns.append({"shape": dialect.shape_to_api(fitted, width, height), "labels": _label_ids(a.labels, ids, what)})
    if not anns and empty_id is not None and width and height:
        box = dialect.shape_to_api(Shape.full_image(width, height), width, height)
        anns.append({"shape": box, "labels": [{"id": empty_id, "probability": 1.0}]})
    return {"annotations": anns}


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
