"""The ``csvboxes:FILE.csv`` source: a Source (claims, open) and its Reader (project, items)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from scmigrate import (
    Annotation,
    InputError,
    Item,
    Label,
    Media,
    Project,
    Reader,
    RunOptions,
    Scene,
    ScoredLabel,
    Shape,
    SizeHint,
    Source,
    Task,
)

COLUMNS = ("image", "label", "x", "y", "width", "height")


class CsvBoxesSource(Source):
    """A CSV of bounding boxes, read as a detection project."""

    name = "csvboxes"
    # Claims every "csvboxes:..." location: exact and cheap, as scmigrate asks every source about every location.
    scheme = "csvboxes"
    location_help = "csvboxes:FILE.csv"
    description = "CSV of boxes: image,label,x,y,width,height (image paths relative to the CSV)"

    def open(self, location: str, options: RunOptions) -> CsvBoxesReader:
        path = Path(self.location_path(location))
        if not path.is_file():
            raise InputError(f"{location}: no such file")
        return CsvBoxesReader(path, options)


class CsvBoxesReader(Reader):
    """Parses the whole CSV at open, so that a bad row fails before anything is transferred."""

    def __init__(self, path: Path, options: RunOptions):
        self.path, self.options = path, options
        self.boxes: dict[str, list[Annotation]] = {}  # image path → its boxes, in file order
        self.labels: list[str] = []
        with open(path, newline="", encoding="utf-8") as fh:
            rows = csv.DictReader(fh)
            missing = [c for c in COLUMNS if c not in (rows.fieldnames or [])]
            if missing:
                raise InputError(f"{path}: missing columns {', '.join(missing)} (expected {','.join(COLUMNS)})")
            for row in rows:
                self._add(row, f"{path}:{rows.line_num}")

    def _add(self, row: dict[str, str], where: str) -> None:
        image = (row["image"] or "").strip()
        if not image:
            raise InputError(f"{where}: empty image path")
        if not (self.path.parent / image).is_file():
            raise InputError(f"{where}: image {image} not found next to the CSV file")
        boxes = self.boxes.setdefault(image, [])
        label = (row["label"] or "").strip()
        if not label:  # an image without objects: present, annotated as empty
            return
        try:
            x, y, w, h = (float(row[c]) for c in COLUMNS[2:])
        except (TypeError, ValueError):
            raise InputError(f"{where}: x, y, width and height must be numbers") from None
        if w <= 0 or h <= 0:
            raise InputError(f"{where}: width and height must be positive")
        boxes.append(Annotation(Shape.rectangle(x, y, w, h), [ScoredLabel(label)]))
        if label not in self.labels:
            self.labels.append(label)

    def project(self) -> Project:
        task = Task("Detection", "detection", [Label(name) for name in self.labels])
        return Project.chain(self.options.project or self.path.stem, task, origin={"kind": "csvboxes"})

    def items(self) -> Iterator[Item]:
        from PIL import Image  # imported only when reading, never at plugin load

        for image, boxes in self.boxes.items():
            file = self.path.parent / image
            with Image.open(file) as im:
                width, height = im.size
            media = Media(key=image, kind="image", name=file.stem, filename=file.name,
                          size=file.stat().st_size, width=width, height=height)
            # open must return a *fresh* stream on every call: sinks may retry an upload.
            yield Item(media=media, open=lambda file=file: open(file, "rb"), scenes=[Scene(boxes)], ranges=[])

    def size_hint(self) -> SizeHint:
        return SizeHint(items=len(self.boxes), images=len(self.boxes), videos=0)

    def notes(self) -> list[str]:
        empty = sum(1 for boxes in self.boxes.values() if not boxes)
        return [f"csvboxes: {len(self.boxes)} images, {empty} of them without objects"]
