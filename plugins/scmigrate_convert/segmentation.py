"""Segmentation and instance segmentation targets: every object becomes an outline.

The rule for boxes: a POLYGON or ELLIPSE is kept as it is; a RECTANGLE becomes a 4-point
POLYGON **only when the object has no polygon** — when a source gives one object as a box and
a polygon with the same label (COCO does), the polygon is kept and the box is dropped as
redundant. A ROTATED_RECTANGLE becomes its 4-corner POLYGON; a KEYPOINT is dropped.
A project that already is of the target type passes through: its RECTANGLEs stay RECTANGLEs
(SC accepts them in segmentation) and nothing is paired. The empty label is "Empty".
"""

from __future__ import annotations

from scmigrate.model import Shape

from .detection import LocalShapeConverter
from .geometry import box_to_polygon
from .scenes import Obj, Out

__all__ = ["SegmentationConverter", "InstanceSegmentationConverter", "outline_of"]


def outline_of(out: Out, obj: Obj, task: str, through: bool = False) -> Shape | None:
    """The POLYGON/ELLIPSE (or, in pass-through, RECTANGLE) of an object, logging how it was made."""
    if through and len(obj.shapes) == 1 and obj.shapes[0].type in ("RECTANGLE", "POLYGON", "ELLIPSE"):
        return obj.shapes[0]
    outline = obj.shape("POLYGON", "ELLIPSE")
    if outline is not None:
        if obj.shape("RECTANGLE") is not None:
            out.log.converted(f"{obj.kind} → {outline.type}")
        return outline
    rot = obj.shape("ROTATED_RECTANGLE")
    if rot is not None:
        out.log.converted("ROTATED_RECTANGLE → POLYGON")
        return box_to_polygon(rot)
    box = obj.shape("RECTANGLE")
    if box is not None:
        out.log.converted("RECTANGLE → POLYGON")
        return box_to_polygon(box)
    out.drop(f"{obj.shapes[0].type}: not used by {task}")
    return None


class SegmentationConverter(LocalShapeConverter):
    name = "segmentation"
    description = "outlines: polygons and ellipses kept, boxes become polygons only where no polygon exists"
    task_types = ("segmentation",)
    rules = (
        "POLYGON and ELLIPSE kept; ROTATED_RECTANGLE → 4-point POLYGON",
        "RECTANGLE → 4-point POLYGON only where the object has no polygon (else the box is dropped)",
        "KEYPOINT dropped; image-level (classification, anomaly) labels dropped",
        "empty images stay empty (on a cluster: the empty label on the full-image box)",
    )

    def shape_for(self, out: Out, obj: Obj, through: bool) -> Shape | None:
        return outline_of(out, obj, self.name, through)


class InstanceSegmentationConverter(SegmentationConverter):
    name = "instance_segmentation"
    description = "one outline per object instance (same shape rules as segmentation)"
    task_types = ("instance_segmentation",)
