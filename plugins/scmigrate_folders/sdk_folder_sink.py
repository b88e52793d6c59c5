"""``sdk-folder:DIR`` as a sink: the official SDK's download layout, read back identical by the source.

Written as the SDK lays it out (``docs/rest-api.md`` §16.3), with one difference: each media keeps
its real extension (the SDK names every image ``.jpg`` whatever its bytes are)::

    DIR/project.json                                  written last: an unfinished folder has none
    DIR/images/<dataset>/<media name>.<ext>           "_<24 hex>" appended when a name repeats
    DIR/videos/<dataset>/<media name>.<ext>
    DIR/annotations/<file stem>.json                  an image's scene (none: not annotated)
    DIR/annotations/<file stem>_frame_<i>.json        the scene of frame i of a video

Workers call ``write`` from several threads: names are taken under a lock, files are written
outside it (each item writes its own files only).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

from scmigrate.api import RunOptions, Sink, Writer, WriteResult
from scmigrate.errors import InputError
from scmigrate.model import Item, Project, Scene

__all__ = ["SdkFolderSink", "SdkFolderWriter"]

_UNSAFE = re.compile(r"[/\\\x00]")


def _target(location: str) -> Path:
    rest = SdkFolderSink.location_path(location)
    if not rest:
        raise InputError(f"{location}: expected sdk-folder:DIR")
    path = Path(rest).expanduser()
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise InputError(f"{location}: {path} already exists and is not empty; choose a new folder")
    if not path.parent.is_dir():
        raise InputError(f"{location}: folder {path.parent} does not exist")
    return path


def _not_held(project: Project) -> list[str]:
    lines = ["configuration and models: not written"]
    if any(t.is_global for t in project.trainable_tasks):
        lines.insert(0, "video range labels: not held by the SDK folder (frame annotations are); "
                        "--strict fails a video that has any")
    return lines


class SdkFolderSink(Sink):
    """Writes the SDK's project download folder."""

    name = "sdk-folder"
    scheme = "sdk-folder"
    location_help = "sdk-folder:DIR"
    description = "the official SDK's project download folder (media keep their real extension)"

    def open(self, location: str, options: RunOptions) -> SdkFolderWriter:
        return SdkFolderWriter(_target(location), strict=options.strict)

    def preflight(self, location: str, target: Project, options: RunOptions) -> list[str]:
        path = _target(location)
        return [f"SDK download folder {path}"] + [f"lost: {line}" for line in _not_held(target)]


class SdkFolderWriter(Writer):
    def __init__(self, root: Path, strict: bool = False) -> None:
        self.root, self.strict = root, strict
        self.lock = threading.Lock()
        self.stems: set[str] = set()  # annotation file stems taken (flat: all datasets together)
        self.losses: Counter[str] = Counter()
        self.project: Project | None = None
        self.written = 0

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        self.project = project
        self.colours = {lb.name: lb.color for lb in project.labels()}
        (self.root / "annotations").mkdir(parents=True, exist_ok=True)
        return {}

    def _stem(self, item: Item) -> str:
        """The media's file stem: its name, with the SDK's "_<24 hex>" suffix when the name is taken."""
        name = _UNSAFE.sub("_", item.media.name or PurePosixPath(item.media.filename).stem) or "media"
        with self.lock:
            stem = name
            if stem in self.stems:
                digest = hashlib.sha256(item.key.encode("utf-8")).hexdigest()
                stem = f"{name}_{digest[:24]}"
                n = 24
                while stem in self.stems:  # two keys sharing 24 hex digits: vanishingly rare
                    n += 1
                    stem = f"{name}_{digest[:24]}{n}"
            self.stems.add(stem)
        return stem

    def _scene_doc(self, scene: Scene) -> dict[str, Any]:
        anns = []
        for a in scene.annotations:
            labels = [{"name": lb.name, "color": self.colours.get(lb.name), "probability": lb.probability}
                      for lb in a.labels]
            anns.append({"labels": labels, "shape": a.shape.to_dict(), "labels_to_revisit": []})
        doc: dict[str, Any] = {"annotations": anns, "kind": scene.kind, "labels_to_revisit_full_scene": []}
        if scene.modified:
            doc["modified"] = scene.modified
        return doc

    def write(self, item: Item) -> WriteResult:
        media = item.media
        if item.ranges and self.strict:  # a loss as in every dataset sink: refused before anything is written
            raise InputError(f"{item.key}: the SDK folder cannot hold {len(item.ranges)}× video range label (--strict)")
        folder = "videos" if media.kind == "video" else "images"
        stem = self._stem(item)
        ext = PurePosixPath(media.filename).suffix or (".mp4" if media.kind == "video" else ".jpg")
        dataset = _UNSAFE.sub("_", media.dataset) or "Dataset"
        target = self.root / folder / dataset / f"{stem}{ext}"
        target.parent.mkdir(parents=True, exist_ok=True)
        with item.open() as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        for scene in item.scenes or []:
            name = stem if scene.frame is None else f"{stem}_frame_{scene.frame}"
            if scene.frame is not None and media.kind != "video":
                continue
            _write_json(self.root / "annotations" / f"{name}.json", self._scene_doc(scene))
        if item.ranges:
            with self.lock:
                self.losses["video range label: not held"] += len(item.ranges)
        with self.lock:
            self.written += 1
        return WriteResult(ids={"media": target.relative_to(self.root).as_posix()}, bytes=target.stat().st_size)

    def finish(self, complete: bool) -> dict[str, Any]:
        assert self.project is not None
        doc = self.project.to_dict()
        doc.pop("origin", None)
        doc.pop("configuration", None)
        name = "project.json" if complete else "project.json.partial"
        _write_json(self.root / name, doc)
        with self.lock:
            return {"path": str(self.root), "media": self.written, "lost": dict(self.losses),
                    "not_held": _not_held(self.project)}


def _write_json(path: Path, doc: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
    os.replace(tmp, path)
