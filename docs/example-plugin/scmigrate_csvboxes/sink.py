"""The ``csvboxes:OUT.csv`` sink: writes the boxes as CSV rows and the images into ``OUT_images/``."""

from __future__ import annotations

import csv
import os
import shutil
import threading
from pathlib import Path, PurePosixPath
from typing import Any

from scmigrate import InputError, Item, Project, RunOptions, Sink, Writer, WriteResult

from .source import COLUMNS


def _number(value: float) -> str:
    """``12`` rather than ``12.0``; full precision otherwise."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class CsvBoxesSink(Sink):
    """Writes any project's image boxes (every shape as its bounding box) as a CSV of boxes."""

    name = "csvboxes"
    scheme = "csvboxes"
    location_help = "csvboxes:OUT.csv"
    description = "CSV of boxes plus the images, in OUT_images/ next to the CSV file"

    def open(self, location: str, options: RunOptions) -> CsvBoxesWriter:
        path = Path(self.location_path(location))
        if not path.parent.is_dir():
            raise InputError(f"{location}: folder {path.parent} does not exist")
        if path.exists():
            raise InputError(f"{location}: already exists; choose a new file name")
        return CsvBoxesWriter(path)


class CsvBoxesWriter(Writer):
    """Called from several worker threads at once: shared state is guarded by a lock."""

    def __init__(self, path: Path):
        self.path = path
        self.images = path.parent / (path.stem + "_images")
        self.rows: dict[str, list[list[Any]]] = {}  # image path in the CSV → its rows
        self.empty: set[str] = set()
        self.lock = threading.Lock()

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        self.empty = {label.name for label in project.labels() if label.is_empty}
        self.images.mkdir(exist_ok=True)
        return {}

    def write(self, item: Item) -> WriteResult:
        key = PurePosixPath(item.key)
        if item.media.kind != "image":
            raise ValueError(f"{item.key}: a CSV of boxes holds images only")
        if key.is_absolute() or ".." in key.parts:  # keys come from other people's files
            raise ValueError(f"{item.key}: unsafe media key")
        name = "__".join(key.parts)
        if item.media.extension and not name.lower().endswith(item.media.extension):
            # a cluster's key is a media id without extension: a file named so could not be uploaded again
            name += item.media.extension
        target = self.images / name
        with item.open() as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        image = f"{self.images.name}/{name}"
        rows, notes = [], []
        scene = item.image_scene()
        if scene is None:
            notes.append("not annotated: written as an image without objects")
        for ann in scene.annotations if scene else []:
            x, y, w, h = ann.shape.bbox()
            numbers = [_number(v) for v in (x, y, w, h)]
            rows += [[image, label, *numbers] for label in ann.label_names if label not in self.empty]
        with self.lock:
            self.rows[image] = rows or [[image, "", "", "", "", ""]]
        return WriteResult(ids={"media": image}, bytes=target.stat().st_size, notes=notes)

    def finish(self, complete: bool) -> dict[str, Any]:
        # Rows are sorted so that the file is the same whatever order the workers finished in; an
        # incomplete run writes OUT.csv.partial, so that it never looks finished.
        final = self.path if complete else self.path.with_name(self.path.name + ".partial")
        tmp = final.with_name(final.name + ".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(COLUMNS)
            for image in sorted(self.rows):
                out.writerows(self.rows[image])
        os.replace(tmp, final)
        return {"csv": str(final), "images": len(self.rows)}
