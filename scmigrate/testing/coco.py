"""A deterministic generator of small COCO instance datasets, with their ground truth.

Tests, benchmarks and the demo make their own data with it: real JPEG and PNG files drawn
with Pillow (filled shapes of known geometry, one distinct colour per category, on a noisy
background), a COCO ``instances`` JSON that describes them (boxes, polygons, RLE crowd masks,
images without objects, equal file names in different folders), and switches that break the
dataset in the ways users' files are broken. The same ``seed`` always gives the same bytes.

Run it as ``python -m scmigrate.testing.coco OUTDIR --images N --seed S``.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): plugin tests may import it.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["CATEGORIES", "BROKEN_CASES", "GtObject", "GtImage", "CocoFixture", "make_coco", "main"]

#: name → (COCO's own category id, RGB colour). The ids are COCO's real, non-contiguous ones.
CATEGORIES: dict[str, tuple[int, tuple[int, int, int]]] = {
    "person": (1, (220, 40, 40)),
    "car": (3, (30, 80, 230)),
    "cat": (17, (250, 160, 20)),
    "dog": (18, (120, 70, 20)),
}

#: Values of ``make_coco(broken=...)``; each breaks the dataset in one way a user's file can be broken.
BROKEN_CASES = (
    "not_json",
    "missing_images",
    "missing_annotations",
    "missing_categories",
    "missing_image_file",
    "unknown_category",
    "short_polygon",
    "polygon_outside",
    "box_outside",
)

# Sub-folders cycled through when ``nested``: four images in a row share one file name.
_FOLDERS = ("", "north", "south", "south/deep")
_GRID = (3, 2)  # objects sit in distinct grid cells so they never overlap


@dataclass
class GtObject:
    """One annotation as written. ``kind``: "polygon", "box" (bbox only) or "rle" (crowd mask)."""

    ann_id: int
    category: str
    kind: str
    bbox: tuple[float, float, float, float]
    area: float
    polygon: list[tuple[float, float]] | None = None
    iscrowd: bool = False
    parts: int = 1  # connected regions of an RLE mask
    holes: int = 0  # holes inside an RLE mask


@dataclass
class GtImage:
    """One image: ``file_name`` is relative to the images root (POSIX) and is the media key."""

    image_id: int
    file_name: str
    path: Path
    width: int
    height: int
    format: str  # "JPEG" | "PNG"
    objects: list[GtObject] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.file_name


@dataclass
class CocoFixture:
    """What ``make_coco`` wrote and what a reader must find in it."""

    root: Path
    annotations: Path
    images_dir: Path
    categories: dict[str, int]
    images: list[GtImage]
    broken: str | None = None
    #: for a broken dataset: what is broken (``annotation_id``, ``image_id``, ``file_name``, ``key``, ...)
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return f"coco:{self.annotations}"

    def by_key(self) -> dict[str, GtImage]:
        return {im.key: im for im in self.images}

    def objects(self) -> list[GtObject]:
        return [o for im in self.images for o in im.objects]

    def total_bytes(self) -> int:
        return sum(im.path.stat().st_size for im in self.images if im.path.exists())


def _backgrounds(rng: np.random.Generator, w: int, h: int, pad: int) -> tuple[Image.Image, Image.Image]:
    """Two noisy tiles larger than an image: fine noise for JPEG, blocky noise for PNG.

    Each image is a crop at its own offset, so no two images share bytes, and noise is made
    once per size rather than once per image (that is what keeps 2,000 images to seconds).
    PNG gets 4×4 blocks because fine noise does not deflate (700 KB instead of 80 KB at 640×480).
    """
    fine = np.clip(rng.normal(128, 10, (h + pad, w + pad, 3)), 0, 255).astype(np.uint8)
    small = np.clip(rng.normal(128, 20, ((h + pad) // 4 + 1, (w + pad) // 4 + 1, 3)), 0, 255)
    blocky = np.repeat(np.repeat(small.astype(np.uint8), 4, 0), 4, 1)[: h + pad, : w + pad]
    return Image.fromarray(fine), Image.fromarray(np.ascontiguousarray(blocky))


def _shoelace(points: list[tuple[float, float]]) -> float:
    s = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        s += x1 * y2 - x2 * y1
    return abs(s) / 2


def _bbox_of(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), round(max(xs) - min(xs), 1), round(max(ys) - min(ys), 1))


def _polygon_in(rnd: random.Random, cell: tuple[float, float, float, float], kind: str) -> list[tuple[float, float]]:
    """A polygon inside ``cell`` (x, y, w, h): a star-ish polygon, a rectangle or an ellipse outline."""
    x, y, w, h = cell
    cx, cy = x + w / 2, y + h / 2
    rx, ry = w * rnd.uniform(0.25, 0.42), h * rnd.uniform(0.25, 0.42)
    if kind == "rectangle":
        pts = [(cx - rx, cy - ry), (cx + rx, cy - ry), (cx + rx, cy + ry), (cx - rx, cy + ry)]
    elif kind == "ellipse":
        pts = [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in (2 * math.pi * i / 24 for i in range(24))]
    else:
        n = rnd.randint(3, 8)
        pts = []
        for i in range(n):
            a = 2 * math.pi * i / n + rnd.uniform(-0.2, 0.2)
            r = rnd.uniform(0.55, 1.0)
            pts.append((cx + rx * r * math.cos(a), cy + ry * r * math.sin(a)))
    return [(round(px, 1), round(py, 1)) for px, py in pts]


def _crowd_mask(rnd: random.Random, size: tuple[int, int], cell: tuple[float, float, float,
                                                                       float]) -> tuple[np.ndarray, int, int]:
    """A crowd region in ``cell``: one blob, two separate parts, or a ring (one hole)."""
    w, h = size
    x, y, cw, ch = cell
    mask = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(mask)
    variant = rnd.choice(("blob", "two_parts", "ring"))
    x0, y0, x1, y1 = int(x + cw * 0.1), int(y + ch * 0.1), int(x + cw * 0.9), int(y + ch * 0.9)
    parts, holes = 1, 0
    if variant == "blob":
        d.ellipse((x0, y0, x1, y1), fill=1)
    elif variant == "two_parts":
        mid = (x0 + x1) // 2
        d.rectangle((x0, y0, mid - 4, y1), fill=1)
        d.rectangle((mid + 4, y0, x1, y1), fill=1)
        parts = 2
    else:
        d.ellipse((x0, y0, x1, y1), fill=1)
        ix, iy = (x1 - x0) // 4, (y1 - y0) // 4
        d.ellipse((x0 + ix, y0 + iy, x1 - ix, y1 - iy), fill=0)
        holes = 1
    return np.asarray(mask, dtype=np.uint8), parts, holes


def _rle(mask: np.ndarray, compressed: bool) -> dict[str, Any]:
    """COCO RLE of a mask: pycocotools' compressed string, or the uncompressed list COCO's GT uses."""
    from pycocotools import mask as mask_utils

    if compressed:
        enc = mask_utils.encode(np.asfortranarray(mask))
        counts = enc["counts"]  # bytes from pycocotools; its stubs allow str too
        return {"size": [int(mask.shape[0]), int(mask.shape[1])],
                "counts": counts.decode("ascii") if isinstance(counts, bytes) else counts}
    flat = mask.flatten(order="F")
    bounds = np.concatenate(([0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs = [0] + runs  # counts always start with a run of zeros
    return {"size": [int(mask.shape[0]), int(mask.shape[1])], "counts": runs}


def _mask_bbox(mask: np.ndarray) -> tuple[float, float, float, float]:
    ys, xs = np.nonzero(mask)
    return (float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))


def make_coco(
    out_dir: str | Path,
    images: int = 20,
    seed: int = 0,
    *,
    image_size: tuple[int, int] = (320, 240),
    nested: bool = True,
    empty_ratio: float = 0.15,
    png_ratio: float = 0.2,
    crowd: bool = True,
    jpeg_quality: int = 90,
    broken: str | None = None,
    annotations_name: str = "instances_default.json",
) -> CocoFixture:
    """Write ``out_dir/annotations/<annotations_name>`` and ``out_dir/images/...``; return the truth.

    :param images: how many images. Every fourth image group shares a file name across folders
        when ``nested``; about ``empty_ratio`` of them have no object; ``png_ratio`` are PNG.
    :param image_size: (width, height) of the landscape images; every third image is portrait-ish
        (its width is three quarters) so sizes differ.
    :param crowd: include ``iscrowd=1`` RLE masks (some in pycocotools' compressed form, some
        as COCO's uncompressed count lists; some with two parts, some with a hole).
    :param broken: one of :data:`BROKEN_CASES`, or None for a valid dataset.
    """
    if broken is not None and broken not in BROKEN_CASES:
        raise ValueError(f"broken must be one of {', '.join(BROKEN_CASES)}")
    root = Path(out_dir)
    ann_dir, img_dir = root / "annotations", root / "images"
    ann_dir.mkdir(parents=True, exist_ok=True)
    img_dir.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    nrng = np.random.default_rng(seed)
    pad = 64
    w0, h0 = image_size
    sizes = [(w0, h0), (w0 * 3 // 4, h0)]
    tiles = {s: _backgrounds(nrng, s[0], s[1], pad) for s in sizes}
    names = list(CATEGORIES)
    kinds = ["polygon"] * 9 + ["rectangle"] * 3 + ["ellipse"] * 3 + ["box"] * 2 + (["rle"] * 3 if crowd else [])

    gt_images: list[GtImage] = []
    j_images: list[dict[str, Any]] = []
    j_anns: list[dict[str, Any]] = []
    ann_id = 0
    for i in range(images):
        group = i // len(_FOLDERS) if nested else i
        folder = _FOLDERS[i % len(_FOLDERS)] if nested else ""
        is_png = int((group + 1) * png_ratio) != int(group * png_ratio)  # evenly spread
        ext = "png" if is_png else "jpg"
        file_name = f"{folder}/{group:06d}.{ext}" if folder else f"{group:06d}.{ext}"
        w, h = sizes[1] if i % 3 == 2 else sizes[0]
        fine, blocky = tiles[(w, h)]
        dx, dy = rnd.randrange(pad), rnd.randrange(pad)
        img = (blocky if is_png else fine).crop((dx, dy, dx + w, dy + h))
        draw = ImageDraw.Draw(img)
        gim = GtImage(i + 1, file_name, img_dir / file_name, w, h, "PNG" if is_png else "JPEG")
        n_obj = 0 if rnd.random() < empty_ratio else rnd.randint(1, 4)
        cells = rnd.sample(range(_GRID[0] * _GRID[1]), n_obj)
        cw, ch = w / _GRID[0], h / _GRID[1]
        for c in cells:
            cell = ((c % _GRID[0]) * cw, (c // _GRID[0]) * ch, cw, ch)
            cat = rnd.choice(names)
            cat_id, colour = CATEGORIES[cat]
            kind = rnd.choice(kinds)
            ann_id += 1
            ann: dict[str, Any] = {"id": ann_id, "image_id": gim.image_id, "category_id": cat_id, "iscrowd": 0}
            if kind == "rle":
                mask, parts, holes = _crowd_mask(rnd, (w, h), cell)
                img.paste(colour, (0, 0), Image.fromarray(mask * 255))
                bbox, area = _mask_bbox(mask), float(mask.sum())
                ann.update(iscrowd=1, segmentation=_rle(mask, compressed=ann_id % 2 == 0))
                obj = GtObject(ann_id, cat, "rle", bbox, area, iscrowd=True, parts=parts, holes=holes)
            elif kind == "box":
                pts = _polygon_in(rnd, cell, "rectangle")
                draw.rectangle((pts[0], pts[2]), fill=colour)
                bbox = _bbox_of(pts)
                ann.update(segmentation=[])
                obj = GtObject(ann_id, cat, "box", bbox, bbox[2] * bbox[3])
            else:
                pts = _polygon_in(rnd, cell, kind)
                draw.polygon(pts, fill=colour)
                bbox = _bbox_of(pts)
                ann.update(segmentation=[[v for p in pts for v in p]])
                obj = GtObject(ann_id, cat, "polygon", bbox, _shoelace(pts), polygon=pts)
            ann.update(bbox=list(bbox), area=obj.area)
            j_anns.append(ann)
            gim.objects.append(obj)
        # the image's index as a strip of bits: no two images ever have the same pixels
        for b in range(20):
            draw.rectangle((4 * b, 0, 4 * b + 3, 3), fill=(255, 255, 255) if (i >> b) & 1 else (0, 0, 0))
        gim.path.parent.mkdir(parents=True, exist_ok=True)
        if is_png:
            img.save(gim.path, "PNG", compress_level=1)
        else:
            img.save(gim.path, "JPEG", quality=jpeg_quality)
        gt_images.append(gim)
        j_images.append({"id": gim.image_id, "file_name": file_name, "width": w, "height": h})

    doc: dict[str, Any] = {
        "info": {"description": f"scmigrate.testing.coco seed={seed}"},
        "licenses": [],
        "images": j_images,
        "annotations": j_anns,
        "categories": [{"id": cid, "name": n, "supercategory": ""} for n, (cid, _) in CATEGORIES.items()],
    }
    fixture = CocoFixture(root, ann_dir / annotations_name, img_dir, {n: c for n, (c, _) in CATEGORIES.items()},
                          gt_images)
    text = _break(fixture, doc, broken, ann_id + 1) if broken else json.dumps(doc)
    fixture.annotations.write_text(text, encoding="utf-8")
    return fixture


def _break(fx: CocoFixture, doc: dict[str, Any], case: str, bad_id: int) -> str:
    """Apply one ``BROKEN_CASES`` case to the document (and files); return the JSON text to write."""
    fx.broken = case
    if not fx.images:
        raise ValueError("a broken dataset needs at least one image")
    target = fx.images[min(1, len(fx.images) - 1)]
    where = {"image_id": target.image_id, "file_name": target.file_name, "key": target.key}
    if case == "not_json":
        text = json.dumps(doc, indent=1).rstrip()[:-1]  # the closing brace is missing
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            fx.detail = {"line": exc.lineno, "column": exc.colno}
        return text
    if case.startswith("missing_") and case != "missing_image_file":
        key = case[len("missing_"):]
        del doc[key]
        fx.detail = {"key": key}
        return json.dumps(doc)
    if case == "missing_image_file":
        target.path.unlink()
        fx.detail = where
        return json.dumps(doc)
    w, h = target.width, target.height
    ann: dict[str, Any] = {"id": bad_id, "image_id": target.image_id, "category_id": 18, "iscrowd": 0, "area": 1.0}
    if case == "unknown_category":
        ann.update(category_id=999, bbox=[1, 1, 5, 5], segmentation=[[1, 1, 6, 1, 6, 6]])
    elif case == "short_polygon":
        ann.update(bbox=[1, 1, 5, 5], segmentation=[[1, 1, 6, 6]])
    elif case == "polygon_outside":
        ann.update(bbox=[w - 5, 1, 25, 5], segmentation=[[w - 5, 1, w + 20, 1, w + 20, 6]])
    else:  # box_outside
        ann.update(bbox=[1, h - 5, 10, 40], segmentation=[])
    doc["annotations"].append(ann)
    fx.detail = {**where, "annotation_id": bad_id}
    return json.dumps(doc)


def main(argv: list[str] | None = None) -> int:
    """``python -m scmigrate.testing.coco OUTDIR --images N --seed S``: write a dataset, print a summary."""
    p = argparse.ArgumentParser(prog="python -m scmigrate.testing.coco", description=main.__doc__)
    p.add_argument("outdir")
    p.add_argument("--images", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", default="320x240", help="WIDTHxHEIGHT of the landscape images")
    p.add_argument("--broken", choices=BROKEN_CASES)
    p.add_argument("--flat", action="store_true", help="no nested folders")
    a = p.parse_args(argv)
    try:
        w, h = (int(v) for v in a.size.lower().split("x"))
    except ValueError:
        p.error(f"--size must be WIDTHxHEIGHT, not {a.size!r}")
    fx = make_coco(a.outdir, a.images, a.seed, image_size=(w, h), nested=not a.flat, broken=a.broken)
    summary = {
        "annotations": str(fx.annotations),
        "images_dir": str(fx.images_dir),
        "images": len(fx.images),
        "objects": len(fx.objects()),
        "bytes": fx.total_bytes(),
        "broken": fx.broken,
        "detail": fx.detail,
    }
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
