"""The reader shared by the ``coco`` and ``datumaro`` sources: Datumaro items → scmigrate items.

The sources decide which files the items are and what their keys are; this module builds the
project (one task whose type is guessed from the shapes present, all labels) and yields the
items. Scenes are built lazily in ``Item.load`` (in the engine's worker threads): turning masks
into polygons costs CPU and the image header is read only then. Media bytes are the original
file, streamed, never decoded.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from scmigrate.api import Reader, SizeHint
from scmigrate.errors import InputError
from scmigrate.imagesize import image_size
from scmigrate.model import Dataset, Item, Label, Media, Project, Scene, Task

from .filenames import path_stem
from .groups import classification_groups
from .mapping import MAPPED, MappingStats, keypoint_names, map_annotations, outlined

__all__ = ["Categories", "Entry", "DatumaroReader", "distinct_names", "label_colour", "guess_task_type"]

_TITLES = {
    "detection": "Detection",
    "rotated_detection": "Rotated detection",
    "instance_segmentation": "Instance segmentation",
    "classification": "Classification",
    "keypoint_detection": "Keypoint detection",
}


@dataclass
class Categories:
    """What the reader uses of a dataset's categories: Datumaro's ``LabelCategories`` (or the same
    shape, :class:`.coco_native.NativeLabels`), its ``PointsCategories``, the mask colormap."""

    labels: Any = None
    points: Any = None
    colormap: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, categories: dict[Any, Any]) -> Categories:
        """From Datumaro's categories (keyed by ``AnnotationType``)."""
        from datumaro.components.annotation import AnnotationType

        # VOC's label map and Datumaro's own format keep colours (as the mask colormap): those win
        colormap = getattr(categories.get(AnnotationType.mask), "colormap", None) or {}
        return cls(categories.get(AnnotationType.label), categories.get(AnnotationType.points), colormap)


@dataclass
class Entry:
    """One media of the source: a Datumaro item and where its bytes are."""

    item: Any  # datumaro DatasetItem, or a coco_native.NativeItem (its annotations are what is used)
    key: str
    filename: str
    dataset: str
    path: Path | None = None  # the original file; None for media that exist only in memory
    data: Callable[[], bytes] | None = None  # encoded bytes of in-memory media
    size: int | None = None


def distinct_names(entries: list[Entry]) -> int:
    """Give images whose file name repeats within a dataset a name that includes their folder.

    Keys are unique anyway; names are what people see on a cluster, where four images called
    ``000000`` (from ``000000.jpg``, ``north/``, ``south/``, ``south/deep/``) could not be told
    apart. Such an image is renamed after its path (``north_000000.jpg``); the others keep
    their file name. Returns how many were renamed.
    """
    found = [(e.dataset, path_stem(e.filename)) for e in entries]
    stems = Counter(found)
    taken = set(stems)
    renamed = 0
    for e, stem_key in zip(entries, found, strict=True):
        if stems[stem_key] < 2:
            continue  # unique: keeps its own name
        path = PurePosixPath(e.key.partition("#")[0])
        if len(path.parts) < 2:
            continue  # the one at the top of the folder: keeps its own name
        name = PurePosixPath(e.filename)
        stem = "_".join(path.parent.parts + (name.stem,))
        candidate, n = stem, 1
        while (e.dataset, candidate) in taken:
            n += 1
            candidate = f"{stem}_{n}"
        taken.add((e.dataset, candidate))
        e.filename = candidate + name.suffix
        renamed += 1
    return renamed


def label_colour(name: str) -> str:
    """A colour derived from the name alone, so every run and every machine gives the same one."""
    h = int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:4], "big")
    r, g, b = colorsys.hsv_to_rgb((h % 360) / 360, 0.55 + (h >> 9) % 40 / 100, 0.75 + (h >> 17) % 20 / 100)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}ff"


def guess_task_type(kinds: Counter[str]) -> str:
    """The task type the shapes suggest: keypoints, regions, rotated boxes, boxes, then image labels."""
    if kinds["points"]:
        return "keypoint_detection"
    if kinds["polygon"] or kinds["mask"] or kinds["ellipse"]:
        return "instance_segmentation"
    if kinds["rotated_bbox"]:
        return "rotated_detection"
    if kinds["bbox"]:
        return "detection"
    if kinds["label"]:
        return "classification"
    return "detection"


class DatumaroReader(Reader):
    """Yields :class:`Entry` items as scmigrate items; builds the project from Datumaro's categories."""

    def __init__(
        self,
        *,
        name: str,
        origin: dict[str, Any],
        entries: list[Entry],
        categories: Categories,
        datasets: list[str],
        notes: list[str] | None = None,
        strict: bool = False,
        project_type: str | None = None,
    ) -> None:
        self._name = name
        self._origin = origin
        self._entries = entries
        renamed = distinct_names(entries)
        self._labels = categories.labels
        self._points = categories.points
        colormap = categories.colormap
        self._colours = {self._labels[i].name: "#{:02x}{:02x}{:02x}ff".format(*(int(v) for v in rgb[:3]))
                         for i, rgb in colormap.items()
                         if self._labels is not None and isinstance(i, int) and 0 <= i < len(self._labels)}
        self._datasets = datasets
        self._notes = list(notes or [])
        self._strict = strict
        self.stats = MappingStats()
        self._counted: set[str] = set()  # keys whose mapping is in ``stats``
        self._counted_lock = threading.Lock()
        self.kinds: Counter[str] = Counter()
        self._multi_label = False
        self._used_points: dict[int, int] = {}  # label id → number of points
        # a keypoint target (guessed whenever there are points) has no boxes: a skeleton's box is not another shape
        self._skeleton_boxes = project_type in (None, "keypoint_detection")
        used: set[int] = set()
        other_uses: set[int] = set()  # labels some annotation other than Points carries
        for e in entries:
            n_labels = 0
            regions = outlined(e.item.annotations, self._skeleton_boxes)
            for a in e.item.annotations:
                kind = a.type.name
                if kind == "bbox" and a.group and (a.group, a.label) in regions:
                    continue  # a region's own box (COCO writes both): not counted as a box
                self.kinds[kind] += 1
                if getattr(a, "label", None) is not None:
                    used.add(a.label)
                    if kind != "points":
                        other_uses.add(a.label)
                n_labels += kind == "label"
                if kind == "points" and a.label is not None:
                    self._used_points[a.label] = len(a.points) // 2
            self._multi_label |= n_labels > 1
        self.task_type = guess_task_type(self.kinds)
        self._other_uses = other_uses
        # Image-level labels (VOC's ImageSets/Main, CVAT's tags) are not objects: they belong to a
        # classification target only; for any other target they are dropped, and counted.
        self._image_labels = (project_type or self.task_type) in ("classification", "anomaly")
        # a target other than keypoints has no use for points: dropped here, so that an image whose only
        # objects are points stays unannotated instead of becoming a reviewed "no objects" image
        self._project_type = project_type
        self._drop_points = project_type is not None and project_type != "keypoint_detection"
        # VOC and others declare a "background" class that no annotation carries; it is not a label
        self._skip = {
            c.name for i, c in enumerate(self._labels or []) if c.name.lower() == "background" and i not in used
        }
        if self._skip:
            self._notes.append("the unused 'background' class is not made a label")
        if renamed:
            self._notes.append(f"{renamed} images share a file name with another in a different folder: "
                               "named after their folder too (north/0001.jpg → north_0001)")

    # ------------------------------------------------------------------ project

    def _label_name(self, label_id: int | None) -> str | None:
        if label_id is None or self._labels is None:
            return None
        try:
            return self._labels[label_id].name
        except (IndexError, KeyError):
            return None

    def project(self) -> Project:
        title = _TITLES[self.task_type]
        names = [c.name for c in self._labels if c.name not in self._skip] if self._labels is not None else []
        keypoint_structure = None
        if self.task_type == "keypoint_detection":
            # the points are the task's labels; labels of other shapes stay too, for converters to use
            points, keypoint_structure = self._keypoint_labels()
            # the label that only carries a skeleton (COCO's "person" without boxes) is not a label of its own
            carriers = {self._label_name(i) for i in self._used_points if i not in self._other_uses}
            names = points + [n for n in names if n not in points and n not in carriers]
        labels = [Label(name=n, color=self._colours.get(n) or label_colour(n)) for n in names]
        if self._labels is not None and self.task_type != "keypoint_detection":
            parents = {c.name: c.parent for c in self._labels}
            for lb in labels:  # a hierarchy only where the parent is itself a label (not a COCO supercategory)
                if parents.get(lb.name) and parents[lb.name] in parents:
                    lb.parent = parents[lb.name]
        if self.task_type == "classification":
            # groups matter to classification only; elsewhere the converter building the target decides
            classification_groups(labels, self._labels, title, self._multi_label)
        task = Task(title, self.task_type, labels, keypoint_structure=keypoint_structure)
        datasets = [Dataset(d, use_for_training=i == 0) for i, d in enumerate(self._datasets)]
        return Project.chain(self._name, task, datasets=datasets, origin=dict(self._origin))

    def _point_names(self) -> set[str]:
        return {n for label_id, count in self._used_points.items()
                for n in keypoint_names(self._points, label_id, self._label_name(label_id) or "point", count)}

    def _keypoint_labels(self) -> tuple[list[str], dict[str, Any]]:
        """Keypoint tasks label each point: the labels are the point names, the edges Datumaro's joints."""
        names: list[str] = []
        edges: list[dict[str, Any]] = []
        for label_id, count in sorted(self._used_points.items()):
            pts = keypoint_names(self._points, label_id, self._label_name(label_id) or "point", count)
            names.extend(n for n in pts if n not in names)
            joints = []
            if self._points is not None:
                try:
                    joints = sorted(self._points[label_id].joints)
                except (KeyError, IndexError):
                    joints = []
            # COCO's skeletons count from 1; Datumaro passes them through as they are
            base = 1 if joints and min(min(j) for j in joints) >= 1 and max(max(j) for j in joints) == count else 0
            for a, b in joints:
                if 0 <= a - base < count and 0 <= b - base < count:
                    edges.append({"nodes": [pts[a - base], pts[b - base]]})
        positions = [
            {"label": n, "x": round(0.5 + 0.4 * _cos(i, len(names)), 4), "y": round(0.5 + 0.4 * _sin(i, len(names)), 4)}
            for i, n in enumerate(names)
        ]
        return names, {"edges": edges, "positions": positions}

    # ------------------------------------------------------------------ items

    def size_hint(self) -> SizeHint:
        sizes = [e.size for e in self._entries]
        total = sum(s for s in sizes if s is not None) if all(s is not None for s in sizes) else None
        return SizeHint(items=len(self._entries), bytes=total, images=len(self._entries), videos=0)

    def notes(self) -> list[str]:
        lines = list(self._notes)
        lines.append(f"guessed task type: {self.task_type} (from {_summary(self.kinds) or 'no annotations'})")
        lines.append("images without annotations stay unannotated (--keep-empty: annotated as empty)")
        if self.kinds["label"] and not self._image_labels:
            lines.append(f"{self.kinds['label']} image-level labels: not objects, dropped for {self.task_type} "
                         "(kept for --project-type classification)")
        # known at open, so --dry-run can say it before anything is read
        lines.extend(f"{n} {kind} annotations: no such shape on a cluster, dropped"
                     for kind, n in sorted(self.kinds.items()) if kind not in MAPPED)
        if self.task_type == "keypoint_detection" and self._project_type is None:
            others = [lb.name for lb in self.project().trainable_tasks[0].labels
                      if lb.name not in self._point_names()]
            if others:  # a cluster wants a position for every label of a keypoint task
                lines.append(f"keypoint task: the labels {', '.join(others)} of other shapes have no keypoint "
                             "position and a cluster refuses them; --project-type keypoint_detection keeps "
                             "the keypoints only")
        if self.kinds["mask"]:
            lines.append("masks become one polygon per part; holes are kept by a keyhole cut")
        done = {k: v for k, v in self.stats.snapshot().items() if "→" not in k}
        lines.extend(f"{what}: {n}" for what, n in sorted(done.items()))
        return lines

    def items(self) -> Iterator[Item]:
        for e in self._entries:
            media = Media(key=e.key, kind="image", name=path_stem(e.filename), filename=e.filename,
                          dataset=e.dataset, size=e.size)
            yield Item(media, open=self._opener(e), load=self._loader(e))

    @staticmethod
    def _opener(e: Entry) -> Callable[[], BinaryIO]:
        if e.path is not None:
            path = e.path
            # unbuffered: the media stream is read in large chunks (a sink's spool), where a buffer in
            # between only copies (~30 µs per 100 KB image), and the image header in one or two reads
            # (image_size buffers what it leaves to Pillow); a buffered open also costs two system calls
            return lambda: open(path, "rb", buffering=0)
        data = e.data
        assert data is not None
        return lambda: io.BytesIO(data())

    def _loader(self, e: Entry) -> Callable[[Item], None]:
        def load(item: Item) -> None:
            _datumaro_thread_setup()

            with self._opener(e)() as f:
                item.media.width, item.media.height = image_size(f, str(e.path or e.key))
            if item.media.size is None and e.data is not None:
                item.media.size = len(e.data())
            anns = list(e.item.annotations)
            here = MappingStats()
            if not self._image_labels:
                labels = [a for a in anns if a.type.name == "label"]
                if labels:
                    here.add("image-level label (not an object): dropped", len(labels))
                    anns = [a for a in anns if a.type.name != "label"]
            if self._drop_points and any(a.type.name == "points" for a in anns):
                here.add(f"points (keypoints): not used by {self._project_type}: dropped",
                         sum(a.type.name == "points" for a in anns))
                anns = [a for a in anns if a.type.name != "points"]
            size = lambda: (item.media.width, item.media.height)  # noqa: E731  (bound late, after the header)
            mapped = map_annotations(anns, self._label_name, size, self._points, here, self._skeleton_boxes)
            if len(e.item.annotations) and not mapped:
                here.add("image whose every annotation was dropped: left unannotated")
            lost = {what: n for what, n in here.snapshot().items() if "dropped" in what}
            if lost and self._strict:
                what = "; ".join(f"{n}× {w.removesuffix(': dropped')}" for w, n in sorted(lost.items()))
                raise InputError(f"{e.path or e.key}: reading it would drop {what} (--strict)")
            with self._counted_lock:  # a retried item is read again: count it once
                first = e.key not in self._counted
                self._counted.add(e.key)
            if first:
                self.stats.merge(here)
            # no annotation at all is "not annotated" (as in every file source); --keep-empty, applied
            # by the engine, makes such an image annotated as empty
            item.scenes = [Scene(annotations=mapped)] if mapped else []
            item.ranges = []

        return load


def _datumaro_thread_setup() -> None:
    """Give this worker thread Datumaro's image backend.

    Datumaro keeps its image backend in a ContextVar that has no default and is set once, at
    import, in the importing thread; every other thread starts with an empty context, so
    loading a lazy mask (VOC, Datumaro, CVAT) from a worker raised ``LookupError``.
    """
    if "datumaro" not in sys.modules:
        return  # items read without Datumaro (coco_native) have no lazy masks
    from datumaro.util.image import IMAGE_BACKEND, ImageBackend

    try:
        IMAGE_BACKEND.get()
    except LookupError:
        IMAGE_BACKEND.set(ImageBackend.cv2)


def _cos(i: int, n: int) -> float:
    import math

    return math.cos(2 * math.pi * i / max(n, 1))


def _sin(i: int, n: int) -> float:
    import math

    return math.sin(2 * math.pi * i / max(n, 1))


def _summary(kinds: Counter[str]) -> str:
    return ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
