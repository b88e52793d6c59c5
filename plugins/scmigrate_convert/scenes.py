"""Reading a source scene into objects and image-level labels, and writing the target scene.

:func:`parse` turns the annotations of one image (or video frame) into

- **objects**: local shapes with the labels that say what they are (object, keypoint, or
  old-style local anomaly labels), plus ``extra`` labels on the same shape (the class of a
  detection→classification box, the second task's empty label on a parent box);
- **image-level labels**: classification/anomaly labels on the full-image box;
- **empty**: the image is annotated as holding nothing: a scene with zero annotations, the one
  form of the model (see :mod:`scmigrate.model.scene`).

When a source carries one object as two annotations (COCO: a box and a polygon with the same
label), they are paired into one object (rule in :func:`geometry.same_object`), except in
pass-through where every annotation stays as it was.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from scmigrate.api import ConversionLog
from scmigrate.model import (
    MAX_POLYGON_POINTS,
    Annotation,
    Media,
    Project,
    Scene,
    ScoredLabel,
    Shape,
    fit,
)

from .geometry import same_object
from .labels import SourceInfo

__all__ = ["Obj", "Parsed", "parse", "merge_parts", "Out", "relabel"]

_OUTLINES = ("POLYGON", "ELLIPSE", "ROTATED_RECTANGLE")


def relabel(sl: ScoredLabel, name: str) -> ScoredLabel:
    """The same scored label (probability, source) under another name."""
    return dataclasses.replace(sl, name=name)


@dataclass
class Obj:
    """One object of the source scene: its shapes (1, or a box and its outline) and labels."""

    labels: list[ScoredLabel]
    shapes: list[Shape]
    extra: list[ScoredLabel] = field(default_factory=list)
    id: str | None = None

    def shape(self, *types: str) -> Shape | None:
        return next((s for s in self.shapes if s.type in types), None)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sl.name for sl in self.labels)

    @property
    def kind(self) -> str:
        """The shape types, for log keys: ``"POLYGON"`` or ``"RECTANGLE+POLYGON"``."""
        return "+".join(s.type for s in self.shapes)


@dataclass
class Parsed:
    objects: list[Obj] = field(default_factory=list)
    image_labels: list[ScoredLabel] = field(default_factory=list)
    empty: bool = False
    image_id: str | None = None  # the annotation that held the image-level labels
    lost: bool = False  # something was dropped while parsing


def parse(scene: Scene, media: Media, info: SourceInfo, log: ConversionLog, pair: bool) -> Parsed:
    """Split a source scene into objects, image-level labels and the empty flag."""
    w, h = media.width, media.height
    out = Parsed(empty=not scene.annotations)
    for ann in scene.annotations:
        # a degenerate shape is nothing in any target: drop it before it is turned into another
        checked = fit(ann.shape, None, None)
        if checked.shape is None:
            log.dropped(f"{ann.shape.type}: {checked.reason}")
            out.lost = True
            continue
        roles = [info.role(sl.name) for sl in ann.labels]
        objs = [sl for sl, r in zip(ann.labels, roles, strict=True) if r in ("object", "keypoint")]
        image = [sl for sl, r in zip(ann.labels, roles, strict=True) if r in ("class", "anomaly")]
        empties = [sl for sl, r in zip(ann.labels, roles, strict=True) if r == "empty"]
        if objs:
            out.objects.append(Obj(objs, [ann.shape], image + empties, ann.id))
        elif image and ann.shape.is_full_image(w, h):
            out.image_id = out.image_id or ann.id
            for sl in image:
                if sl.name not in {x.name for x in out.image_labels}:
                    out.image_labels.append(sl)
        elif image:
            # class or anomaly labels on a local shape: the local anomaly shapes of older
            # anomaly detection/segmentation tasks, or a chain's class on its box
            out.objects.append(Obj(image, [ann.shape], empties, ann.id))
        elif empties:
            # the model marks an empty image by a scene without annotations; an empty label
            # belongs next to the label of the object it speaks of (a chain's second task)
            log.dropped(f"{ann.shape.type}: empty label without an object")
            out.lost = True
    if pair:
        out.objects = _pair(out.objects)
    return out


def _pair(objects: list[Obj]) -> list[Obj]:
    """Merge a RECTANGLE and an outline with the same labels that describe one object."""
    boxes = [o for o in objects if len(o.shapes) == 1 and o.shapes[0].type == "RECTANGLE"]
    merged: set[int] = set()
    for o in objects:
        if len(o.shapes) != 1 or o.shapes[0].type not in _OUTLINES:
            continue
        for b in boxes:
            if id(b) in merged or b.names != o.names or not same_object(b.shapes[0], o.shapes[0]):
                continue
            b.shapes.append(o.shapes[0])
            b.extra += [x for x in o.extra if x.name not in {e.name for e in b.extra}]
            merged.add(id(b))
            merged.add(id(o))
            o.shapes = []  # absorbed
            break
    return [o for o in objects if o.shapes]


_PART_ID = re.compile(r"^(?P<object>.+)\.\d+$")


def merge_parts(objects: list[Obj]) -> list[Obj]:
    """One object per source object: its parts (outlines with ids ``<id>.1``, ``<id>.2`` ... and the
    same labels, as dataset sources give a mask in several pieces or a COCO object drawn as several
    polygons) become one object with several outlines. For targets that make one box per object."""
    first: dict[tuple[str, tuple[str, ...]], Obj] = {}
    out: list[Obj] = []
    for o in objects:
        match = _PART_ID.match(o.id or "")
        if match is None or len(o.shapes) != 1 or o.shapes[0].type not in _OUTLINES:
            out.append(o)
            continue
        key = (match["object"], o.names)
        whole = first.get(key)
        if whole is None:
            whole = first[key] = Obj(list(o.labels), list(o.shapes), list(o.extra), match["object"])
            out.append(whole)
        else:
            whole.shapes += o.shapes
            whole.extra += [x for x in o.extra if x.name not in {e.name for e in whole.extra}]
    return out


class Out:
    """The target scene under construction: every shape is fitted to the image on the way in."""

    def __init__(self, scene: Scene, media: Media, target: Project, log: ConversionLog):
        self.scene, self.media, self.target, self.log = scene, media, target, log
        self.annotations: list[Annotation] = []
        self.lost = False
        self._ids: set[str] = set()
        self._names = {lb.name for lb in target.labels()}

    def keep_labels(self, labels: list[ScoredLabel], allowed: set[str] | None = None) -> list[ScoredLabel]:
        """The labels the target (or ``allowed``) has; each other one is logged as dropped."""
        allowed = self._names if allowed is None else allowed
        kept: list[ScoredLabel] = []
        for sl in labels:
            if sl.name in allowed:
                if sl.name not in {k.name for k in kept}:
                    kept.append(sl)
            else:
                self.log.dropped(f"label {sl.name}: not in the target task")
        return kept

    def prefit(self, shape: Shape) -> Shape | None:
        """``shape`` fitted to the image (logged), before it is turned into another type."""
        fitted = fit(shape, self.media.width, self.media.height)
        if fitted.shape is None:
            self.log.dropped(f"{shape.type}: {fitted.reason}")
            self.lost = True
            return None
        if fitted.clipped:
            self.log.converted(f"{shape.type} clipped to the image")
        if fitted.simplified:
            self.log.converted(f"POLYGON simplified to at most {MAX_POLYGON_POINTS} points")
        return fitted.shape

    def add(self, shape: Shape, labels: list[ScoredLabel], ann_id: str | None = None) -> bool:
        """Fit ``shape`` to the image and append it; a shape that cannot be fitted is logged."""
        fitted_shape = self.prefit(shape)
        if fitted_shape is None:
            return False
        # one source annotation may give several target ones: only the first keeps its id
        if ann_id is not None and ann_id in self._ids:
            ann_id = None
        if ann_id is not None:
            self._ids.add(ann_id)
        self.annotations.append(Annotation(fitted_shape, list(labels), ann_id))
        return True

    def drop(self, what: str) -> None:
        """A shape the target cannot use."""
        self.log.dropped(what)
        self.lost = True

    def add_full_image(self, labels: list[ScoredLabel], ann_id: str | None = None) -> bool:
        """Image-level labels on the full-image box; impossible when the image size is unknown."""
        w, h = self.media.width, self.media.height
        if w is None or h is None:
            self.drop("image-level labels: image size unknown")
            return False
        return self.add(Shape.full_image(w, h), labels, ann_id)

    def result(self) -> Scene:
        titles = {t.title for t in self.target.tasks}
        return Scene(
            annotations=self.annotations,
            frame=self.scene.frame,
            kind=self.scene.kind,
            state_per_task={k: v for k, v in self.scene.state_per_task.items() if k in titles},
            modified=self.scene.modified,
        )
