"""A plain COCO instances file read without Datumaro: the same annotations, from the JSON parsed once.

Importing Datumaro (pandas, pyarrow, OpenCV) costs ~0.4 s and its COCO extractor parses the file a
second time, for files that hold nothing but boxes and polygons. For those, :func:`read_plain`
builds the objects the shared reader (:mod:`.reader`) consumes: annotations exposing the
attributes of Datumaro's ``Bbox`` and ``Polygon`` that :mod:`.mapping` reads, with Datumaro's
numbers (float32, rounded to 2 decimals; a box kept as its corners, so its width is a difference
of two such values), its label numbering (categories sorted by id) and its annotation order
(each image's annotations back to front). Anything else (RLE masks, keypoints, a
``dataset_meta.json`` that overrides the categories, the fields Datumaro would refuse or warn
about) goes to Datumaro as before: :func:`plain` says which.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .coco_check import CocoIndex

__all__ = ["Kind", "NativeAnnotation", "NativeItem", "NativeLabel", "NativeLabels", "plain", "read_plain"]

#: what Datumaro reads instead of the file's categories when it sits in the dataset root
_META_FILE = "dataset_meta.json"


class Kind(enum.Enum):
    """The annotation types of a plain file; ``.name`` as Datumaro's ``AnnotationType``."""

    bbox = 1
    polygon = 2


@dataclass(slots=True)
class NativeAnnotation:
    type: Kind
    points: list[float]
    label: int | None
    id: int
    group: int
    attributes: dict[str, Any]

    # a box is kept as its corners, as Datumaro keeps it: x, y, w, h are derived the same way
    @property
    def x(self) -> float:
        return self.points[0]

    @property
    def y(self) -> float:
        return self.points[1]

    @property
    def w(self) -> float:
        return self.points[2] - self.points[0]

    @property
    def h(self) -> float:
        return self.points[3] - self.points[1]


@dataclass(slots=True)
class NativeItem:
    """What the reader uses of a Datumaro ``DatasetItem``: its annotations."""

    annotations: list[NativeAnnotation] = field(default_factory=list)


@dataclass(slots=True)
class NativeLabel:
    name: str
    parent: str | None


class NativeLabels(list[NativeLabel]):
    """The label categories, indexed as Datumaro's ``LabelCategories`` (no label groups in COCO)."""

    label_groups: tuple[Any, ...] = ()  # read-only: shared by every instance


def plain(doc: dict[str, Any], json_path: Path, index: CocoIndex) -> bool:
    """Whether the checked document holds only what :func:`read_plain` reads exactly as Datumaro does."""
    if index.keypoints or index.kinds.get("rle"):
        return False
    # Datumaro's roboflow layout looks for its meta file two folders up from the JSON
    if (json_path.parent.parent / _META_FILE).is_file():
        return False
    for cat in doc["categories"]:
        # Datumaro refuses an empty name, warns about id 0 (its "no class"), and keeps "supercategory"
        # as the label's parent: anything but text or nothing is for it to judge
        if not cat["name"] or cat["id"] == 0 or not isinstance(cat.get("supercategory"), (str, type(None))):
            return False
    for ann in doc["annotations"]:
        if not isinstance(ann.get("segmentation"), list):  # missing: Datumaro warns; a dict is RLE
            return False
        if not isinstance(ann.get("attributes", {}), dict):
            return False
        score = ann.get("score", 0)
        if not isinstance(score, (int, float)) or isinstance(score, bool):
            return False
    return True


def read_plain(doc: dict[str, Any], index: CocoIndex) -> tuple[dict[int, NativeItem], NativeLabels]:
    """The items (by image id) and label categories of a document :func:`plain` accepted."""
    import numpy as np

    def coords(values: list[float]) -> list[float]:
        # Datumaro's Shape converter: float32, rounded to 2 decimals, back to Python floats
        return np.array(values, dtype=np.float32).round(2).tolist()

    cats = sorted(doc["categories"], key=lambda c: c["id"])
    labels = NativeLabels(NativeLabel(c["name"], c.get("supercategory")) for c in cats)
    label_of = {c["id"]: n for n, c in enumerate(cats)}
    items = {im.id: NativeItem() for im in index.images}
    for ann in reversed(doc["annotations"]):  # Datumaro pops them from the end of the list
        ann_id = ann["id"]
        attributes = ann.get("attributes", {})
        if "score" in ann:
            attributes["score"] = ann["score"]
        attributes["is_crowd"] = bool(ann["iscrowd"])
        label = label_of[ann["category_id"]]
        out = items[ann["image_id"]].annotations
        seg = ann["segmentation"]
        if seg and seg != [[]]:
            out.extend(NativeAnnotation(Kind.polygon, coords(poly), label, ann_id, ann_id, attributes)
                       for poly in seg)
        bbox = ann["bbox"]
        if bbox:
            x, y, w, h = bbox
            out.append(NativeAnnotation(Kind.bbox, coords([x, y, x + w, y + h]), label, ann_id, ann_id, attributes))
    return items, labels

