"""Shape arithmetic for the converters: bounding boxes, box ↔ outline, one object in two shapes.

Fitting a shape to its image (clipping, validity) is the model's :mod:`scmigrate.model.fitting`,
shared with the sinks; the full-image box is :meth:`scmigrate.model.Shape.full_image`.
"""

from __future__ import annotations

from scmigrate.model import Shape

__all__ = ["to_box", "union_box", "box_to_polygon", "box_to_rotated", "same_object"]


def to_box(shape: Shape) -> Shape:
    """The axis-aligned RECTANGLE around any shape."""
    x, y, w, h = shape.bbox()
    return Shape.rectangle(x, y, w, h)


def union_box(shapes: list[Shape]) -> Shape:
    """The axis-aligned RECTANGLE around several shapes (the parts of one object)."""
    boxes = [s.bbox() for s in shapes]
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return Shape.rectangle(x0, y0, x1 - x0, y1 - y0)


def box_to_polygon(shape: Shape) -> Shape:
    """A (rotated) rectangle as its 4-corner polygon."""
    return Shape.polygon(shape.corners())


def box_to_rotated(shape: Shape) -> Shape:
    """A RECTANGLE as a ROTATED_RECTANGLE with angle 0 (what SC itself does in rotated detection)."""
    return Shape.rotated_rectangle(shape.x + shape.width / 2, shape.y + shape.height / 2,
                                   shape.width, shape.height, 0.0)


def same_object(box: Shape, outline: Shape) -> bool:
    """Whether a RECTANGLE is the bounding box of ``outline`` (both describe one object).

    Sources such as COCO carry an object's box and its polygon as two annotations; they are the
    same object when every edge of the outline's bounding box is within 2 px (or 2 % of the
    object's size) of the rectangle's.
    """
    ox, oy, ow, oh = outline.bbox()
    tol = max(2.0, 0.02 * max(box.width, box.height))
    return (abs(ox - box.x) <= tol and abs(oy - box.y) <= tol
            and abs(ox + ow - box.x - box.width) <= tol and abs(oy + oh - box.y - box.height) <= tol)

