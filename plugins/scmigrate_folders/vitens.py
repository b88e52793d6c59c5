"""The Vitens / NOUS folder (``vitens:DIR``): images plus one or more JSON annotation files per image.

Layout accepted (``DIR`` itself and its direct sub-folders are searched):

* the images are the image files of one folder: ``DIR/images/`` (or ``img``, ``imgs``, ...), or any
  single sub-folder holding images, or ``DIR`` itself;
* the annotations are the ``.json`` files of one folder: ``DIR/annotations/`` (or ``labels``,
  ``json``, ...), or any single sub-folder holding JSON files, or ``DIR`` itself (flat layout);
* an annotation file is named ``<image stem>_<anything>.json`` (or ``<image stem>.json``); the
  longest image stem that fits wins, so ``plate_1_a.json`` belongs to ``plate_1.jpg`` when both
  ``plate.jpg`` and ``plate_1.jpg`` exist.

Each file holds ``{"data": [{"shapes": [...], "labels": [{"name": ...}]}]}``; the labels of an
entry apply to each of its shapes. A ``point`` with radius ``r`` becomes an ELLIPSE (the circle's
bounding box), a ``polygon`` a POLYGON. Coordinates normalised to [0, 1] are detected per file
and scaled by the image's width and height (each axis by its own size); a radius is scaled like
``x``, by the width, so that a circle stays a circle (and its box a square) on any image.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scmigrate.api import Reader, RunOptions, SizeHint, Source
from scmigrate.errors import InputError
from scmigrate.model import Annotation, Item, Label, Project, Scene, ScoredLabel, Shape, Task

from ._files import directory_of, examples, image_media, is_image, load_json, number, opener, sorted_entries, visible

__all__ = ["VitensSource", "VitensReader"]

_IMAGE_DIR_NAMES = ("images", "image", "imgs", "img", "pictures", "photos")
_ANNOTATION_DIR_NAMES = ("annotations", "annotation", "labels", "label", "json", "jsons", "anns")


@dataclass
class _RawShape:
    """A shape as the file gives it, before scaling: a circle ``(x, y, r)`` or a polygon."""

    kind: str  # "circle" | "polygon"
    points: list[tuple[float, float]]
    radius: float
    labels: list[str]


@dataclass
class _ParsedFile:
    path: Path
    shapes: list[_RawShape] = field(default_factory=list)
    normalised: bool = False
    skipped: Counter[str] = field(default_factory=Counter)


class VitensSource(Source):
    """Reads a Vitens / NOUS colony-counting folder as a segmentation-like project."""

    name = "vitens"
    scheme = "vitens"
    location_help = "vitens:DIR"
    description = "Vitens/NOUS folder: images + <image stem>_<x>.json files of points (circles) and polygons"

    def open(self, location: str, options: RunOptions) -> VitensReader:
        return VitensReader(directory_of(location, "vitens"), options)


def _is_json(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".json" and visible(path)


def _pick(root: Path, dirs: list[Path], preferred: tuple[str, ...], what: str) -> Path | None:
    if len(dirs) <= 1:
        return dirs[0] if dirs else None
    named = [d for d in dirs if d.name.lower() in preferred]
    if len(named) == 1:
        return named[0]
    listed = ", ".join(str(d.relative_to(root)) or "." for d in dirs)
    raise InputError(f"vitens:{root}: {what} files in several folders ({listed}); expected one image "
                     f"folder (e.g. images/) and one annotation folder (e.g. annotations/)")


def find_layout(root: Path) -> tuple[Path, Path | None]:
    """The image folder and the annotation folder (None if there are no JSON files at all)."""
    candidates = [root] + [d for d in sorted_entries(root) if d.is_dir()]
    image_dirs = [d for d in candidates if any(is_image(p) for p in d.iterdir())]
    json_dirs = [d for d in candidates if any(_is_json(p) for p in d.iterdir())]
    images = _pick(root, image_dirs, _IMAGE_DIR_NAMES, "image")
    if images is None:
        raise InputError(f"vitens:{root}: no images found (expected {root}/images/*.jpg and "
                         f"{root}/annotations/<image stem>_<x>.json)")
    return images, _pick(root, json_dirs, _ANNOTATION_DIR_NAMES, "annotation (.json)")


def parse_file(path: Path, strict: bool) -> _ParsedFile:
    """Read one annotation file; structural errors are ``InputError``s naming the file and entry."""
    doc = load_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), list):
        raise InputError(f"{path}: expected an object with a \"data\" list")
    parsed = _ParsedFile(path)
    coordinates: list[float] = []
    for i, entry in enumerate(doc["data"]):
        where = f"{path}: data[{i}]"
        if not isinstance(entry, dict):
            raise InputError(f"{where}: expected an object")
        shapes, labels = entry.get("shapes") or [], entry.get("labels") or []
        if not isinstance(shapes, list) or not isinstance(labels, list):
            raise InputError(f"{where}: \"shapes\" and \"labels\" must be lists")
        names = []
        for lb in labels:
            if not isinstance(lb, dict) or not isinstance(lb.get("name"), str) or not lb["name"]:
                raise InputError(f"{where}: every label needs a \"name\"")
            if lb["name"] not in names:
                names.append(lb["name"])
        for j, shape in enumerate(shapes):
            raw = _parse_shape(shape, names, f"{where}.shapes[{j}]", parsed, strict)
            if raw is not None:
                parsed.shapes.append(raw)
                coordinates.extend(c for p in raw.points for c in p)
                if raw.kind == "circle":
                    coordinates.append(raw.radius)
    # Why per file: data sets merged from several tools mix pixel and normalised files.
    parsed.normalised = bool(coordinates) and all(0.0 <= c <= 1.0 for c in coordinates)
    return parsed


def _skip(parsed: _ParsedFile, reason: str, where: str, strict: bool) -> None:
    if strict:
        raise InputError(f"{where}: {reason}")
    parsed.skipped[reason] += 1


def _parse_shape(shape: Any, labels: list[str], where: str, parsed: _ParsedFile, strict: bool) -> _RawShape | None:
    if not isinstance(shape, dict):
        raise InputError(f"{where}: expected an object")
    kind = shape.get("type")
    if kind not in ("point", "polygon"):
        _skip(parsed, f"unknown shape type {kind!r}", where, strict)
        return None
    geometry = shape.get("geometry")
    points = geometry.get("points") if isinstance(geometry, dict) else None
    if not isinstance(points, list) or not all(isinstance(p, dict) for p in points):
        raise InputError(f"{where}: expected \"geometry\": {{\"points\": [{{\"x\", \"y\"}}, ...]}}")
    xy = [(number(p.get("x"), where + ".x"), number(p.get("y"), where + ".y")) for p in points]
    if not labels:
        _skip(parsed, "shape without a label", where, strict)
        return None
    if kind == "polygon":
        if len(xy) < 3:
            _skip(parsed, "polygon with fewer than 3 points", where, strict)
            return None
        return _RawShape("polygon", xy, 0.0, labels)
    if len(xy) != 1 or points[0].get("r") is None:
        _skip(parsed, "point without exactly one centre and a radius r", where, strict)
        return None
    radius = number(points[0]["r"], where + ".r")
    if radius <= 0:
        _skip(parsed, "point with a radius ≤ 0", where, strict)
        return None
    return _RawShape("circle", xy, radius, labels)


def to_annotation(raw: _RawShape, normalised: bool, width: int, height: int) -> Annotation:
    """Scale a raw shape to pixels (if normalised) and make it an annotation."""
    sx, sy = (width, height) if normalised else (1, 1)
    labels = [ScoredLabel(n) for n in raw.labels]
    if raw.kind == "circle":
        (x, y), r = raw.points[0], raw.radius * sx  # one scale for the radius: a circle stays round
        return Annotation(Shape.ellipse(x * sx - r, y * sy - r, 2 * r, 2 * r), labels)
    return Annotation(Shape.polygon([(x * sx, y * sy) for x, y in raw.points]), labels)


class VitensReader(Reader):
    """An opened Vitens folder. Every annotation file is parsed at open (errors show up in --dry-run)."""

    def __init__(self, root: Path, options: RunOptions):
        self.root, self.options = root, options
        self.images_dir, self.annotations_dir = find_layout(root)
        self.images = [p for p in sorted_entries(self.images_dir) if is_image(p)]
        self._notes: list[str] = [f"vitens: images in {self._rel(self.images_dir)}, annotations in "
                                  f"{self._rel(self.annotations_dir) if self.annotations_dir else '(none)'}"]
        self.files_for: dict[Path, list[_ParsedFile]] = {}
        self._labels: list[str] = []
        self._match_files()

    def _rel(self, path: Path) -> str:
        return (path.relative_to(self.root).as_posix() or ".") + "/"

    def _match_files(self) -> None:
        by_stem: dict[str, list[Path]] = {}
        for image in self.images:
            by_stem.setdefault(image.stem, []).append(image)
        json_files = [] if self.annotations_dir is None else [
            p for p in sorted_entries(self.annotations_dir) if _is_json(p)]
        orphans: list[str] = []
        normalised: list[str] = []
        skipped: Counter[str] = Counter()
        for path in json_files:
            owner = self._image_for(path, by_stem)
            if owner is None:
                orphans.append(path.name)
                continue
            parsed = parse_file(path, self.options.strict)
            self.files_for.setdefault(owner, []).append(parsed)
            skipped.update({f"{reason} (e.g. {path.name})": n for reason, n in parsed.skipped.items()})
            if parsed.normalised:
                normalised.append(path.name)
            for shape in parsed.shapes:
                self._labels.extend(n for n in shape.labels if n not in self._labels)
        unannotated = [p.name for p in self.images if p not in self.files_for]
        merged = [p.name for p, files in self.files_for.items() if len(files) > 1]
        if normalised:
            self._notes.append(f"vitens: {len(normalised)} of {len(json_files) - len(orphans)} annotation files "
                               f"have coordinates normalised to [0, 1], scaled by each image's width and "
                               f"height: {examples(normalised)}")
        if unannotated:
            self._notes.append(f"vitens: {len(unannotated)} images have no annotation file and stay "
                               f"unannotated: {examples(unannotated)}")
        if merged:
            self._notes.append(f"vitens: {len(merged)} images have several annotation files, merged into "
                               f"one scene: {examples(merged)}")
        for reason, n in sorted(skipped.items()):
            self._notes.append(f"vitens: skipped {n} shape(s): {reason}")
        if orphans:
            self._notes.append(f"vitens: {len(orphans)} annotation files match no image and are ignored: "
                               f"{examples(orphans)}")

    @staticmethod
    def _image_for(path: Path, by_stem: dict[str, list[Path]]) -> Path | None:
        stem = path.stem
        # Longest image stem first: "a_1_x.json" → "a_1.jpg" rather than "a.jpg".
        cuts = [len(stem)] + [i for i in range(len(stem) - 1, 0, -1) if stem[i] == "_"]
        for cut in cuts:
            images = by_stem.get(stem[:cut])
            if images:
                if len(images) > 1:
                    raise InputError(f"{path}: matches several images ({', '.join(p.name for p in images)})")
                return images[0]
        return None

    def project(self) -> Project:
        labels = [Label(name) for name in self._labels]
        name = self.options.project or self.root.resolve().name
        return Project.chain(name, Task("Segmentation", "segmentation", labels),
                             origin={"kind": "vitens", "path": str(self.root)})

    def items(self) -> Iterator[Item]:
        for image in self.images:
            media = image_media(image, self.root)
            files = self.files_for.get(image)
            scenes = []
            if files is not None:
                annotations = [to_annotation(raw, f.normalised, media.width or 0, media.height or 0)
                               for f in files for raw in f.shapes]
                scenes.append(Scene(annotations))
            yield Item(media=media, open=opener(image), scenes=scenes, ranges=[])

    def size_hint(self) -> SizeHint:
        return SizeHint(items=len(self.images), images=len(self.images), videos=0,
                        bytes=sum(p.stat().st_size for p in self.images))

    def notes(self) -> list[str]:
        return list(self._notes)

    def describe(self) -> dict[str, Any]:
        return {"images_folder": self._rel(self.images_dir),
                "annotations_folder": self._rel(self.annotations_dir) if self.annotations_dir else None}
