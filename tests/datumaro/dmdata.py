"""Small datasets written by Datumaro's own exporters, from items with real Pillow images.

Each image shows what is annotated on it (a red square where the dog box is, ...), and the
annotations have known geometry so the tests can compare what the datumaro: source reads.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

LABELS = ["dog", "cat", "car"]
SIZES = [(96, 64), (80, 60), (96, 64), (64, 96)]  # (width, height) per image; one portrait
DOG_BOX = (10.0, 12.0, 30.0, 28.0)  # x, y, w, h


def ring_and_blob(w: int, h: int) -> np.ndarray:
    """A mask with two parts: a square ring (one hole) and a separate blob."""
    m = np.zeros((h, w), dtype=bool)
    m[30:50, 40:60] = True
    m[36:44, 46:54] = False  # the hole
    m[5:15, 70:90] = True
    return m


def write_images(folder: Path) -> list[Path]:
    """Real JPEG files, one per item, drawn with Pillow."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (w, h) in enumerate(SIZES):
        img = Image.new("RGB", (w, h), (90 + 10 * i, 110, 120))
        d = ImageDraw.Draw(img)
        x, y, bw, bh = DOG_BOX
        d.rectangle((x, y, x + bw - 1, y + bh - 1), fill=(200, 30, 30))
        p = folder / f"img{i}.jpg"
        img.save(p, "JPEG", quality=92)
        paths.append(p)
    return paths


def build(tmp: Path, kinds: tuple[str, ...]):
    """A datumaro Dataset of 4 items (subsets train ×3, val ×1) holding the annotation ``kinds``."""
    from datumaro.components.annotation import (
        AnnotationType,
        Bbox,
        Ellipse,
        Label,
        LabelCategories,
        Mask,
        Points,
        PointsCategories,
        Polygon,
        PolyLine,
        RotatedBbox,
    )
    from datumaro.components.dataset import Dataset
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage

    items = []
    for i, path in enumerate(write_images(tmp / "src")):
        w, h = SIZES[i]
        anns = []
        if "bbox" in kinds:
            anns.append(Bbox(*DOG_BOX, label=0, id=1))
        if "polygon" in kinds:
            anns.append(Polygon([30, 5, 60, 5, 45, 30], label=1, id=2))
        if "mask" in kinds and w >= 90:
            anns.append(Mask(ring_and_blob(w, h), label=2, id=3))
        if "label" in kinds:
            anns.append(Label(i % 2, id=4))
        if "points" in kinds:
            anns.append(Points([5, 6, 20, 21, 30, 8], [2, 2, 1], label=0, id=5))
        if "ellipse" in kinds:
            anns.append(Ellipse(40, 30, 60, 50, label=1, id=6))
        if "rotated_bbox" in kinds:
            anns.append(RotatedBbox(48, 32, 20, 10, 30, label=2, id=7))
        if "polyline" in kinds:
            anns.append(PolyLine([1, 1, 10, 10, 20, 5], label=2, id=8))
        items.append(DatasetItem(id=f"img{i}", subset="train" if i < 3 else "val",
                                 media=DmImage.from_file(str(path)), annotations=anns))
    cats = {AnnotationType.label: LabelCategories.from_iterable(LABELS)}
    if "points" in kinds:
        pc = PointsCategories()
        pc.add(0, ["nose", "left ear", "right ear"], joints=[[0, 1], [0, 2]])
        cats[AnnotationType.points] = pc
    return Dataset.from_iterable(items, categories=cats)


def export(tmp: Path, fmt: str, kinds: tuple[str, ...]) -> Path:
    out = tmp / f"out_{fmt}"
    logging.disable(logging.WARNING)  # exporters warn about what a format cannot hold
    try:
        build(tmp, kinds).export(str(out), fmt, save_media=True)
    finally:
        logging.disable(logging.NOTSET)
    return out
