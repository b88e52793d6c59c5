"""The folder the official SDK downloads a project into (``sdk-folder:DIR``).

Layout read (see ``docs/rest-api.md`` §16.3)::

    DIR/project.json                                  pipeline, labels (by name), datasets
    DIR/images/<dataset>/<media name>.jpg             "_<24-hex media id>" appended when names repeat
    DIR/videos/<dataset>/<media name>.mp4
    DIR/annotations/<file stem>.json                  latest scene of an image (flat, all datasets)
    DIR/annotations/<video file stem>_frame_<i>.json  the scene of frame i of a video
    DIR/models/, predictions/, deployment/            not read

Backups made from SC 1.x clusters hold coordinates normalised to [0, 1]: when every coordinate of
every annotation file lies in [0, 1] the folder is read as normalised and scaled by each media's
size (``--sdk-coordinates pixels|normalised`` overrides the detection). A symbolic link that leads
out of the folder is refused unless ``--follow-links`` says to read through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scmigrate.api import PluginOption, Reader, RunOptions, SizeHint, Source
from scmigrate.errors import InputError
from scmigrate.model import Annotation, Dataset, Item, Media, Project, Scene, ScoredLabel, Shape, read_empty_mark

from ._files import (
    directory_of,
    examples,
    image_media,
    is_image,
    is_video,
    load_json,
    number,
    opener,
    sorted_entries,
    video_media,
)
from .sdk_project import parse_project

__all__ = ["SdkFolderSource", "SdkFolderReader"]

_ID_SUFFIX = re.compile(r"^(?P<name>.+)_(?P<id>[0-9a-f]{24})$")
_FRAME_FILE = re.compile(r"^(?P<video>.+)_frame_(?P<index>\d+)$")
_SCALED = {"x": 0, "y": 1, "width": 0, "height": 1}  # field → axis (0 = width, 1 = height)
_MODES = ("auto", "pixels", "normalised", "normalized")


class SdkFolderSource(Source):
    """Reads the official SDK's project download folder (also SC 1.x backups)."""

    name = "sdk-folder"
    scheme = "sdk-folder"
    location_help = "sdk-folder:DIR"
    description = "folder written by the official SDK's project download (project.json, images/, annotations/)"
    options = (PluginOption("sdk-coordinates", str, "auto",
                            "sdk-folder: annotation coordinates: auto (detect SC 1.x normalised), pixels, normalised"),
               PluginOption("follow-links", bool, False,
                            "sdk-folder: read files that symbolic links inside the folder point to outside it"))

    def open(self, location: str, options: RunOptions) -> SdkFolderReader:
        return SdkFolderReader(directory_of(location, "sdk-folder"), options)


class SdkFolderReader(Reader):
    """An opened download folder; project.json and every annotation file are checked at open."""

    def __init__(self, root: Path, options: RunOptions):
        self.root, self.options = root, options
        self._notes: list[str] = []
        project_file = root / "project.json"
        if not project_file.is_file():
            raise InputError(f"sdk-folder:{root}: no project.json (not a folder downloaded by the SDK)")
        self._project = parse_project(project_file, load_json(project_file), options.project, self._notes)
        self._label_names = {lb.name for t in self._project.tasks for lb in t.labels}
        self.media: list[tuple[str, Path, str, str, str | None]] = []  # kind, path, dataset, name, id
        self._collect_media()
        self._ann_dir = root / "annotations"
        self.image_files: dict[Path, Path] = {}  # media file → its annotation file
        self.frame_files: dict[Path, dict[int, Path]] = {}  # video file → frame index → file
        self._match_annotations()
        if not self.options.get("follow-links", False):
            self._refuse_links_out()
        self.normalised = self._coordinates_normalised()
        skipped = [d for d in ("models", "predictions", "deployment") if (root / d).exists()]
        if skipped:
            self._notes.append(f"sdk-folder: {', '.join(d + '/' for d in skipped)} not read")

    # ------------------------------------------------------------------ discovery

    def _collect_media(self) -> None:
        training = self._project.training_dataset().name
        seen = {d.name for d in self._project.datasets}
        suffixed = 0
        for kind, folder, wanted in (("image", "images", is_image), ("video", "videos", is_video)):
            base = self.root / folder
            if not base.is_dir():
                continue
            for entry in sorted_entries(base):
                if entry.is_dir():
                    files, dataset = [p for p in sorted_entries(entry) if wanted(p)], entry.name
                elif wanted(entry):
                    files, dataset = [entry], training
                else:
                    continue
                if dataset not in seen:
                    seen.add(dataset)
                    self._project.datasets.append(Dataset(dataset, False))
                for path in files:
                    match = _ID_SUFFIX.match(path.stem)
                    suffixed += bool(match)
                    name, media_id = (match["name"], match["id"]) if match else (path.stem, None)
                    self.media.append((kind, path, dataset, name, media_id))
        if not self.media:
            self._notes.append("sdk-folder: no images/ or videos/ found: the project has no media")
        if suffixed:
            self._notes.append(f"sdk-folder: {suffixed} media names carry the SDK's '_<media id>' suffix "
                               f"(repeated names): names restored without it")

    def _match_annotations(self) -> None:
        files = {p.stem: p for p in sorted_entries(self._ann_dir) if p.suffix == ".json" and p.is_file()} \
            if self._ann_dir.is_dir() else {}
        owners: dict[str, Path] = {}
        videos: dict[str, Path] = {}
        for kind, path, _dataset, _, _ in self.media:
            if path.stem in owners:
                first, second = (p.relative_to(self.root).as_posix() for p in (owners[path.stem], path))
                raise InputError(f"sdk-folder:{self.root}: {first} and {second} have the same name: "
                                 f"annotations/{path.stem}.json cannot be told apart")
            owners[path.stem] = path
            if kind == "video":
                videos[path.stem] = path
            elif path.stem in files:
                self.image_files[path] = files[path.stem]
        orphans = []
        for stem, ann in files.items():
            if stem in owners and owners[stem] in self.image_files:
                continue
            match = _FRAME_FILE.match(stem)
            if match and match["video"] in videos:
                self.frame_files.setdefault(videos[match["video"]], {})[int(match["index"])] = ann
            else:
                orphans.append(ann.name)
        if orphans:
            self._notes.append(f"sdk-folder: {len(orphans)} annotation files match no media and are ignored: "
                               f"{examples(orphans)}")
        images = sum(1 for m in self.media if m[0] == "image")
        if images - len(self.image_files):
            self._notes.append(f"sdk-folder: {images - len(self.image_files)} images have no annotation "
                               f"file and stay unannotated")

    def _refuse_links_out(self) -> None:
        """A link to a file outside the folder would copy that file into the target, unasked: refused, named."""
        root = self.root.resolve()
        paths = [self.root / "project.json", *(m[1] for m in self.media), *self._annotation_files()]
        for path in paths:
            target = path.resolve()
            if target != root and root not in target.parents:
                raise InputError(f"sdk-folder:{self.root}: {path.relative_to(self.root).as_posix()} links to "
                                 f"{target}, outside the folder; pass --follow-links to read it anyway")

    def _annotation_files(self) -> Iterator[Path]:
        yield from self.image_files.values()
        for frames in self.frame_files.values():
            yield from frames.values()

    def _coordinates_normalised(self) -> bool:
        mode = str(self.options.get("sdk-coordinates", "auto")).lower()
        if mode not in _MODES:
            raise InputError(f"--sdk-coordinates {mode}: expected one of auto, pixels, normalised")
        # Parse every file now even when the mode is forced: a malformed file fails before any transfer.
        coordinates: list[float] = []
        for path in self._annotation_files():
            for ann in self._read(path)[1]:
                shape = ann["shape"]
                coordinates.extend(number(shape.get(k), f"{path}: shape.{k}") for k in _SCALED if k in shape)
                coordinates.extend(number(p[k], f"{path}: shape.points[].{k}")
                                   for p in shape.get("points") or [] for k in ("x", "y"))
        if mode == "auto":
            normalised = bool(coordinates) and all(0.0 <= c <= 1.0 for c in coordinates)
        else:
            normalised = mode != "pixels"
        if normalised:
            how = "detected: every coordinate lies in [0, 1]" if mode == "auto" else "--sdk-coordinates"
            self._notes.append(f"sdk-folder: annotation coordinates are normalised to [0, 1] (SC 1.x backup; "
                               f"{how}): scaled to pixels by each media's width and height")
        return normalised

    def _read(self, path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One annotation file and its annotation list, checked for structure and label names."""
        doc = load_json(path)
        anns = doc.get("annotations") if isinstance(doc, dict) else None
        if not isinstance(anns, list):
            raise InputError(f"{path}: expected an object with an \"annotations\" list")
        for i, ann in enumerate(anns):
            where = f"{path}: annotations[{i}]"
            if not isinstance(ann, dict) or not isinstance(ann.get("shape"), dict):
                raise InputError(f"{where}: expected an object with a \"shape\"")
            points = ann["shape"].get("points")
            if points is not None and not (isinstance(points, list)
                                           and all(isinstance(p, dict) and "x" in p and "y" in p for p in points)):
                raise InputError(f"{where}: shape.points must be a list of {{\"x\", \"y\"}}")
            labels = ann.get("labels")
            if not isinstance(labels, list) or not labels:
                raise InputError(f"{where}: expected a non-empty \"labels\" list")
            for lb in labels:
                name = lb.get("name") if isinstance(lb, dict) else None
                if name not in self._label_names:
                    raise InputError(f"{where}: label {name!r} is not a label of project.json")
                if lb.get("probability") is not None:
                    number(lb["probability"], f"{where}: label {name!r}: probability")
        return doc, anns

    # ------------------------------------------------------------------ reading

    def _scene(self, path: Path, media: Media, frame: int | None) -> Scene:
        doc, anns = self._read(path)
        scale = (media.width or 0, media.height or 0) if self.normalised else (1, 1)
        annotations = []
        for i, ann in enumerate(anns):
            shape = dict(ann["shape"])
            for key, axis in _SCALED.items():
                if key in shape:
                    shape[key] = shape[key] * scale[axis]
            if "points" in shape:
                shape["points"] = [{"x": p["x"] * scale[0], "y": p["y"] * scale[1]} for p in shape["points"]]
            try:
                parsed = Shape.from_dict(shape)
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(f"{path}: annotations[{i}].shape: {exc.__class__.__name__} {exc}") from None
            # Annotation ids and label sources (user and model ids) are the old cluster's ids: not kept,
            # as the cluster source does not keep them either.
            labels = [ScoredLabel(lb["name"], float(lb.get("probability") if lb.get("probability") is not None
                                                    else 1.0)) for lb in ann["labels"]]
            annotations.append(Annotation(parsed, labels))
        scene = Scene(annotations, frame=frame, kind=doc.get("kind") or "annotation", modified=doc.get("modified"))
        return read_empty_mark(scene, self._project, media.width, media.height)  # the cluster's empty mark

    def project(self) -> Project:
        return self._project

    def items(self) -> Iterator[Item]:
        for kind, path, dataset, name, media_id in self.media:
            if kind == "image":
                media = image_media(path, self.root, dataset, name, media_id)
                ann = self.image_files.get(path)
                scenes = [self._scene(ann, media, None)] if ann else []
            else:
                media = video_media(path, self.root, dataset, name, media_id)
                frames = self.frame_files.get(path, {})
                scenes = [self._scene(frames[i], media, i) for i in sorted(frames)]
            yield Item(media=media, open=opener(path), scenes=scenes, ranges=[])

    def size_hint(self) -> SizeHint:
        images = sum(1 for m in self.media if m[0] == "image")
        return SizeHint(items=len(self.media), images=images, videos=len(self.media) - images,
                        bytes=sum(m[1].stat().st_size for m in self.media))

    def notes(self) -> list[str]:
        return list(self._notes)

    def describe(self) -> dict[str, Any]:
        return {"coordinates": "normalised" if self.normalised else "pixels",
                "annotation_files": len(self.image_files) + sum(len(f) for f in self.frame_files.values())}
