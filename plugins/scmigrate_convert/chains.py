"""The two task chains: detection → segmentation and detection → classification.

detection_to_segmentation ("dog" / "dog shape"): for every source object labelled X, a
RECTANGLE labelled X (detection) and its outline labelled "X shape" (segmentation). The outline
is the object's POLYGON or ELLIPSE (a ROTATED_RECTANGLE becomes a 4-point POLYGON; a box-only
object gets its box as a 4-point POLYGON, the segmentation rule). The box is the object's own
RECTANGLE, widened if needed so that the outline lies inside it, or the outline's bounding box.

detection_to_classification: boxes carry the detection label and the class label on the same
annotation. With a hierarchical source, top-level labels are detected and their descendants are
the classes ("animal" boxes classified "dog"/"cat"); otherwise one detection label, "object",
is detected and the source labels are its classes.

Empty labels: an image annotated as empty stays an empty scene (a cluster sink marks it with the
detection task's "No object" on the full-image box); the second task's empty label (from a chain
source) stays on its parent box, with the parent label. A project that already is this chain passes through.
"""

from __future__ import annotations

import dataclasses

from scmigrate.api import RunOptions
from scmigrate.model import Label, Project, Shape, Task

from .base import BaseConverter, need_labels
from .classification import needs_no_class
from .detection import box_of, local_task, one_per_group
from .geometry import box_to_polygon, to_box
from .labels import SourceInfo, color_for, empty_label, local_labels, object_labels
from .scenes import Out, Parsed, merge_parts, relabel
from .segmentation import outline_of

__all__ = ["DetectionToSegmentation", "DetectionToClassification", "SHAPE_SUFFIX", "OBJECT_LABEL"]

SHAPE_SUFFIX = " shape"
OBJECT_LABEL = "object"


def _copy_tasks(info: SourceInfo) -> list[Task]:
    """The source's own trainable tasks (pass-through), each with its empty label ensured."""
    tasks = []
    for t in info.project.trainable_tasks:
        labels = [dataclasses.replace(lb, color=lb.color or color_for(lb.name)) for lb in t.labels]
        if t.empty_label() is None and (t.task_type != "classification" or needs_no_class(labels)):
            labels.append(empty_label(t.task_type, info))
        tasks.append(Task(t.title, t.task_type, labels, t.keypoint_structure))
    return tasks


class _Chain(BaseConverter):
    def fill(self, out: Out, parsed: Parsed, info: SourceInfo, through: bool) -> None:
        for sl in parsed.image_labels:
            out.drop(f"label {sl.name}: image-level label not used by {self.name}")
        if through:
            self._fill_through(out, parsed)
        else:
            self._fill_objects(out, parsed, info)

    def _fill_through(self, out: Out, parsed: Parsed) -> None:
        first, second = out.target.trainable_tasks
        top = {lb.name for lb in first.labels if not lb.is_empty}
        allowed = top | {lb.name for lb in second.labels}
        for obj in parsed.objects:
            labels = one_per_group(out, out.keep_labels(obj.labels + obj.extra, allowed))
            if not labels:
                continue
            if labels[0].name in top:
                shape = box_of(out, obj, first.task_type)
            else:
                shape = outline_of(out, obj, second.task_type, through=True)
            if shape is not None:
                out.add(shape, labels, obj.id)

    def _fill_objects(self, out: Out, parsed: Parsed, info: SourceInfo) -> None:
        raise NotImplementedError


class DetectionToSegmentation(_Chain):
    name = "detection_to_segmentation"
    description = 'the "dog" / "dog shape" pipeline: a box per object, its outline in the box'
    task_types = ("detection", "segmentation")
    rules = (
        "each object X → RECTANGLE 'X' (detection) + its outline 'X shape' (segmentation)",
        "POLYGON/ELLIPSE kept as the outline, its bounding box made the RECTANGLE",
        "an object in several parts → one RECTANGLE around them, each part an 'X shape'",
        "box-only objects: the box as a 4-point POLYGON outline; KEYPOINT dropped",
        "empty images stay empty (on a cluster: the detection task's empty label on the full-image box)",
    )

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        if self.passthrough(info.project):
            return _copy_tasks(info)
        taken: set[str] = set()
        det = local_task(info, "detection", info.title_for("detection", taken))
        seg_title = info.title_for("segmentation", taken)
        srcs = object_labels(info, "detection")
        seg = local_labels(srcs, group=f"{seg_title} labels", rename="{}" + SHAPE_SUFFIX)
        return [det, Task(seg_title, "segmentation", seg + [empty_label("segmentation", info)])]

    def _fill_objects(self, out: Out, parsed: Parsed, info: SourceInfo) -> None:
        det_task = out.target.trainable_tasks[0]
        allowed = {lb.name for lb in det_task.labels if not lb.is_empty}
        for obj in merge_parts(parsed.objects):
            labels = one_per_group(out, out.keep_labels(obj.labels + obj.extra, allowed))
            if not labels:
                continue
            parts = [s for s in obj.shapes if s.type in ("POLYGON", "ELLIPSE")]
            rot = obj.shape("ROTATED_RECTANGLE")
            box = obj.shape("RECTANGLE")
            if not parts and rot is not None:
                parts = [box_to_polygon(rot)]
            if box is None and not parts:
                out.drop(f"{obj.kind}: not used by {self.name}")
                continue
            for part in parts:  # the box holds every part of the object
                box = _covering_box(box, part)
            assert box is not None
            parts = parts or [box_to_polygon(box)]
            out.log.converted(f"{obj.kind} → RECTANGLE + {parts[0].type}")
            if out.add(box, labels, obj.id):
                for part in parts:
                    out.add(part, [relabel(sl, sl.name + SHAPE_SUFFIX) for sl in labels])


def _covering_box(box: Shape | None, outline: Shape | None) -> Shape:
    """The object's box, widened to hold its outline (SC wants the outline inside the box)."""
    if outline is None:
        assert box is not None
        return box
    ob = to_box(outline)
    if box is None:
        return ob
    x0, y0 = min(box.x, ob.x), min(box.y, ob.y)
    x1, y1 = max(box.x + box.width, ob.x + ob.width), max(box.y + box.height, ob.y + ob.height)
    if (x0, y0, x1, y1) == (box.x, box.y, box.x + box.width, box.y + box.height):
        return box
    return Shape.rectangle(x0, y0, x1 - x0, y1 - y0)


class DetectionToClassification(_Chain):
    name = "detection_to_classification"
    description = "boxes with the detection label and the class label on the same annotation"
    task_types = ("detection", "classification")
    rules = (
        "each object → RECTANGLE with its detection label and its class label (one around all its parts)",
        "POLYGON, ELLIPSE, ROTATED_RECTANGLE → bounding RECTANGLE; KEYPOINT dropped",
        "empty images stay empty (on a cluster: the detection task's empty label on the full-image box)",
    )

    @staticmethod
    def _split(info: SourceInfo) -> tuple[list[Label], bool]:
        """The source's object labels and whether they form a hierarchy (some parent among them)."""
        srcs = object_labels(info, "detection")
        names = {lb.name for lb in srcs}
        return srcs, any(lb.parent in names for lb in srcs)

    def extra_plan(self, source: Project, target: Project) -> list[str]:
        if self.passthrough(source):
            return []
        _, hierarchical = self._split(self.info(source))
        if hierarchical:  # say the one rule that applies, not both
            return ["hierarchical source: top-level labels detected, their descendants are the classes"]
        return [f"flat source: one detection label '{OBJECT_LABEL}', the source labels are the classes"]

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        if self.passthrough(info.project):
            return _copy_tasks(info)
        taken: set[str] = set()
        det_title = info.title_for("detection", taken)
        cls_title = info.title_for("classification", taken)
        srcs, hierarchical = self._split(info)
        need_labels(srcs, self.name, info.project)
        names = {lb.name for lb in srcs}
        roots = [lb for lb in srcs if lb.parent not in names]
        if hierarchical:
            det_labels = local_labels(roots, group=f"{det_title} labels")
            classes = [lb for lb in srcs if lb.parent in names]
        else:
            det_labels = [Label(OBJECT_LABEL, color_for(OBJECT_LABEL), f"{det_title} labels")]
            classes = srcs
        cls_labels = []
        for lb in classes:
            # a parent in the detection task is implied by the box, not repeated as a parent here
            parent = lb.parent if lb.parent in {c.name for c in classes} else None
            group = lb.group if hierarchical and lb.group else (
                f"{lb.parent} classes" if hierarchical else f"{cls_title} labels")
            cls_labels.append(Label(lb.name, lb.color or color_for(lb.name), group, parent, lb.hotkey))
        if needs_no_class(cls_labels):
            cls_labels.append(empty_label("classification", info))
        det = Task(det_title, "detection", det_labels + [empty_label("detection", info)])
        return [det, Task(cls_title, "classification", cls_labels)]

    def _fill_objects(self, out: Out, parsed: Parsed, info: SourceInfo) -> None:
        det_task, cls_task = out.target.trainable_tasks
        det_names = {lb.name for lb in det_task.labels if not lb.is_empty}
        cls_names = {lb.name for lb in cls_task.labels if not lb.is_empty}
        for obj in merge_parts(parsed.objects):
            labels = out.keep_labels(obj.labels + obj.extra, det_names | cls_names)
            if not labels:
                continue
            det = next((sl for sl in labels if sl.name in det_names), None)
            classes = [sl for sl in labels if sl.name in cls_names]
            if det is None and classes:
                root = self._root(info, classes[0].name, det_names)
                det = relabel(classes[0], root) if root else None
            if det is None:
                out.drop(f"label {labels[0].name}: no detection label to carry it")
                continue
            box = box_of(out, obj, self.name)
            if box is not None:
                out.add(box, one_per_group(out, [det] + classes), obj.id)

    @staticmethod
    def _root(info: SourceInfo, name: str, det_names: set[str]) -> str | None:
        """The detection label of a class: its ancestor in the detection task, or the one label."""
        lb = info.labels.get(name)
        hops = 0
        while lb is not None and lb.parent and hops < 32:
            if lb.parent in det_names:
                return lb.parent
            lb = info.labels.get(lb.parent)
            hops += 1
        return next(iter(det_names)) if len(det_names) == 1 else None
