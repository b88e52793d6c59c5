"""Validation of a COCO instances JSON before Datumaro sees it.

Datumaro reports a broken annotation with its own exception types and without the file or
image it came from; users need one line that names the file, the image and the annotation.
So the document is checked here first, with nothing heavier than :mod:`json`, and the
result (an index of images and categories) also tells the reader what to expect.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from scmigrate.errors import InputError

from .filenames import plain_parts, posix_key

__all__ = ["CocoImage", "CocoIndex", "load_coco", "check_coco", "safe_file_name"]

#: coordinates may exceed the image by this much (COCO's own files have half-pixel overshoots)
TOLERANCE = 1.0


@dataclass
class CocoImage:
    """One entry of ``images``: ``file_name`` is relative to the images root and is the media key."""

    id: int
    file_name: str
    width: int | None
    height: int | None
    path: Path
    size: int = 0


@dataclass
class CocoIndex:
    """What the checked document holds, in document order."""

    images: list[CocoImage]
    categories: dict[int, str]
    #: counts of segmentation kinds: "polygon", "rle", "box" (bbox only), "crowd", "keypoints"
    kinds: dict[str, int] = field(default_factory=dict)
    annotated: set[int] = field(default_factory=set)  # image ids with at least one annotation
    #: read as person keypoints: some annotation has keypoints and every category names its points
    keypoints: bool = False


def load_coco(path: Path) -> dict[str, Any]:
    """Parse the JSON file; any problem becomes one :class:`InputError` line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder; coco: needs the instances JSON file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a COCO JSON file (not UTF-8 text: byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}: not a COCO file: the top level is a {type(doc).__name__}, not an object")
    for key in ("images", "annotations", "categories"):
        if key not in doc:
            raise InputError(f"{path}: not a COCO instances file: it lacks {key!r}")
        if not isinstance(doc[key], list):
            raise InputError(f"{path}: {key!r} must be a list, not {type(doc[key]).__name__}")
    return doc


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def safe_file_name(name: str) -> bool:
    """A relative path that stays inside the images folder (no absolute path, no '..', no drive)."""
    plain = plain_parts(name)
    if plain is not None:
        return ".." not in plain and ":" not in plain[0]
    p = PurePosixPath(name.replace("\\", "/"))
    return bool(name) and not p.is_absolute() and ".." not in p.parts and ":" not in p.parts[0]


def _rle_counts(text: str) -> list[int] | None:
    """The runs of COCO's compressed RLE string, or None if it is not one.

    Each run is a little-endian sequence of 5-bit groups stored as characters from "0"; 0x20
    marks "more groups follow", 0x10 in the last group the sign; from the third run on, a run
    is stored as its difference from the run two places before.
    """
    runs: list[int] = []
    value = shift = 0
    for ch in text:
        c = ord(ch) - 48
        if not 0 <= c < 64:
            return None
        value |= (c & 0x1F) << shift
        shift += 5
        if c & 0x20:
            continue
        if c & 0x10:
            value -= 1 << shift
        if len(runs) > 2:
            value += runs[-2]
        runs.append(value)
        value = shift = 0
    return runs if shift == 0 else None


def check_coco(doc: dict[str, Any], path: Path, images_root: Path, hint: str = "") -> CocoIndex:
    """Check every category, image and annotation; return the index or raise one ``InputError``.

    ``hint`` is appended to "file not found" (how to name another images folder).
    """
    categories: dict[int, str] = {}
    names: dict[str, int] = {}
    for n, cat in enumerate(doc["categories"]):
        if not isinstance(cat, dict) or not isinstance(cat.get("id"), int) or not isinstance(cat.get("name"), str):
            raise InputError(f"{path}: category #{n + 1} needs an integer 'id' and a string 'name'")
        cid, name = cat["id"], cat["name"]
        if cid in categories:
            raise InputError(f"{path}: category id {cid} is defined twice")
        if name in names:
            raise InputError(f"{path}: category name {name!r} is used by ids {names[name]} and {cid}")
        categories[cid], names[name] = name, cid

    images: dict[int, CocoImage] = {}
    by_key: dict[str, int] = {}
    for n, im in enumerate(doc["images"]):
        if not isinstance(im, dict) or not isinstance(im.get("id"), int) or not isinstance(im.get("file_name"), str):
            raise InputError(f"{path}: image #{n + 1} needs an integer 'id' and a string 'file_name'")
        iid, fname = im["id"], im["file_name"]
        if iid in images:
            raise InputError(f"{path}: image id {iid} is defined twice ({images[iid].file_name}, {fname})")
        if not safe_file_name(fname):
            raise InputError(f"{path}: image {iid}: file_name {fname!r} "
                             "must be a relative path inside the images folder")
        w, h = im.get("width"), im.get("height")
        if w is not None and (not isinstance(w, int) or w <= 0) or h is not None and (not isinstance(h, int) or h <= 0):
            raise InputError(f"{path}: image {iid} ({fname}): width and height must be positive integers")
        key = posix_key(fname)
        if key in by_key:  # one file, two entries: the second would overwrite the first's annotations
            raise InputError(f"{path}: images {by_key[key]} and {iid} are the same file {key!r}")
        by_key[key] = iid
        file = images_root / key
        try:
            size = file.stat().st_size
        except OSError:
            raise InputError(f"{path}: image {iid} ({fname}): file not found: {file}{hint}") from None
        images[iid] = CocoImage(iid, key, w, h, file, size)

    kinds: dict[str, int] = {}
    annotated: set[int] = set()
    seen_ids: set[int] = set()
    keypoints = any(isinstance(a, dict) and a.get("keypoints") for a in doc["annotations"]) and all(
        isinstance(c.get("keypoints"), list) for c in doc["categories"])
    for n, ann in enumerate(doc["annotations"]):
        if not isinstance(ann, dict) or not isinstance(ann.get("id"), int):
            raise InputError(f"{path}: annotation #{n + 1} needs an integer 'id'")
        aid = ann["id"]
        if aid in seen_ids:
            raise InputError(f"{path}: annotation id {aid} is used twice")
        seen_ids.add(aid)
        iid = ann.get("image_id")
        if not isinstance(iid, int) or iid not in images:  # a list or dict is not even hashable
            raise InputError(f"{path}: annotation {aid}: image_id {iid!r} is not in 'images'")
        im = images[iid]
        where = f"{path}: annotation {aid} on image {iid} ({im.file_name})"
        if not isinstance(ann.get("category_id"), int) or ann["category_id"] not in categories:
            raise InputError(f"{where}: unknown category id {ann.get('category_id')!r}")
        if ann.get("iscrowd") not in (0, 1) or isinstance(ann.get("iscrowd"), bool):
            raise InputError(f"{where}: 'iscrowd' must be 0 or 1, not {ann.get('iscrowd')!r}")
        if keypoints:
            _check_keypoints(ann, where)
        kinds_here = _check_shapes(ann, im, where)
        for k in kinds_here:
            kinds[k] = kinds.get(k, 0) + 1
        annotated.add(iid)
    return CocoIndex(list(images.values()), categories, kinds, annotated, keypoints)


def _check_keypoints(ann: dict[str, Any], where: str) -> None:
    """In a keypoints file every annotation has ``keypoints``: (x, y, visibility) triplets."""
    kps = ann.get("keypoints")
    if not isinstance(kps, list) or not all(_number(v) for v in kps):
        raise InputError(f"{where}: 'keypoints' must be a list of numbers [x1, y1, v1, ...] "
                         "(the categories name keypoints, so every annotation needs them)")
    if len(kps) % 3:
        raise InputError(f"{where}: 'keypoints' holds {len(kps)} numbers, not (x, y, visibility) triplets")


def _check_shapes(ann: dict[str, Any], im: CocoImage, where: str) -> list[str]:
    """Check the bbox and segmentation of one annotation; return the kinds of shape it holds."""
    w = im.width if im.width is not None else math.inf
    h = im.height if im.height is not None else math.inf
    found: list[str] = []
    seg = ann.get("segmentation")
    if isinstance(seg, dict):
        size, counts = seg.get("size"), seg.get("counts")
        if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) for v in size)):
            raise InputError(f"{where}: RLE mask needs 'size': [height, width]")
        if not isinstance(counts, (list, str)):
            raise InputError(f"{where}: RLE mask needs 'counts' (a list or a string)")
        if im.width is not None and im.height is not None and size != [im.height, im.width]:
            raise InputError(f"{where}: RLE mask size {size} differs from the image's [{im.height}, {im.width}]")
        # Checked here because pycocotools fails later, in a worker, without naming the annotation
        runs = _rle_counts(counts) if isinstance(counts, str) else counts
        if runs is None or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in runs):
            raise InputError(f"{where}: RLE mask 'counts' is not a valid run-length encoding")
        if sum(runs) != size[0] * size[1]:
            raise InputError(f"{where}: RLE mask 'counts' cover {sum(runs)} pixels, "
                             f"not the {size[0]}x{size[1]} = {size[0] * size[1]} of its 'size'")
        found.append("rle")
    elif isinstance(seg, list) and seg and seg != [[]]:
        for poly in seg:
            if not (isinstance(poly, list) and all(_number(v) for v in poly)):
                raise InputError(f"{where}: a polygon must be a flat list of numbers [x1, y1, x2, y2, ...]")
            if len(poly) % 2:
                raise InputError(f"{where}: polygon has an odd number of coordinates ({len(poly)})")
            if len(poly) < 6:
                raise InputError(f"{where}: polygon has {len(poly) // 2} points; at least 3 are needed")
            xs, ys = poly[0::2], poly[1::2]
            if min(xs) < -TOLERANCE or min(ys) < -TOLERANCE or max(xs) > w + TOLERANCE or max(ys) > h + TOLERANCE:
                raise InputError(
                    f"{where}: polygon lies outside the {im.width}x{im.height} image "
                    f"(x {min(xs)}..{max(xs)}, y {min(ys)}..{max(ys)})"
                )
        found.append("polygon")
    elif seg not in (None, [], [[]]):
        raise InputError(f"{where}: 'segmentation' must be a list of polygons or an RLE object")
    # the box after the segmentation: a polygon outside its image is the more telling message
    if "bbox" not in ann:
        raise InputError(f"{where}: it lacks 'bbox'")
    bbox = ann["bbox"]
    if bbox != []:
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(_number(v) for v in bbox)):
            raise InputError(f"{where}: 'bbox' must be 4 numbers [x, y, width, height]")
        x, y, bw, bh = bbox
        if bw < 0 or bh < 0:
            raise InputError(f"{where}: box {bbox} has a negative width or height")
        if x < -TOLERANCE or y < -TOLERANCE or x + bw > w + TOLERANCE or y + bh > h + TOLERANCE:
            raise InputError(f"{where}: box {bbox} lies outside the {im.width}x{im.height} image")
        if not found:
            found.append("box")
    if ann.get("iscrowd"):
        found.append("crowd")
    if ann.get("keypoints"):
        found.append("keypoints")
    return found
