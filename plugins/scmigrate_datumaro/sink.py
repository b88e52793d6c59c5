"""The ``datumaro:FORMAT:DIR`` sink: a project exported through Datumaro's own exporters.

Workers call :meth:`DatumaroWriter.write` from several threads: each one spools the media's
original bytes into ``DIR/.scmigrate-spool/`` and records the item's annotations under a lock.
The Datumaro dataset is built and exported once, in :meth:`DatumaroWriter.finish`; the spool
files are handed to Datumaro by path, so its exporters copy them byte for byte (no re-encoding).

A video becomes its annotated frames (:mod:`.video_frames`): each one an image item
``<video name>_frame_<index>.png`` of the video's subset, with that frame's annotations. None of
the five formats reads a video back here (Datumaro's own can name one, but the ``datumaro:``
source refuses video items), so frames as images are what makes the export read back.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar

from scmigrate.api import RunOptions, Sink, Writer, WriteResult
from scmigrate.errors import InputError
from scmigrate.model import Item, Project, Scene

from .dmlogs import datumaro_logs
from .export_shapes import (
    FORMATS,
    MODELS_LINE,
    RANGE_LOSS,
    SKELETON,
    FormatInfo,
    project_losses,
    range_losses,
    to_datumaro,
    video_lines,
)
from .video_frames import FRAME_EXTENSION, frame_stem, save_frames

__all__ = ["DatumaroSink", "DatumaroWriter"]

SPOOL = ".scmigrate-spool"


def _parse(location: str) -> tuple[str, Path]:
    rest = DatumaroSink.location_path(location)
    fmt, sep, path = rest.partition(":")
    if not sep or not path:
        raise InputError(f"{location}: name the format: datumaro:FORMAT:DIR, FORMAT one of {', '.join(FORMATS)}")
    if fmt not in FORMATS:
        raise InputError(f"{location}: datumaro: writes {', '.join(FORMATS)}, not {fmt!r}")
    return fmt, Path(path).expanduser()


def _check_target(location: str, path: Path) -> None:
    if path.exists() and (not path.is_dir() or any(p.name != SPOOL for p in path.iterdir())):
        raise InputError(f"{location}: {path} already exists and is not empty; choose a new folder")
    if not path.parent.is_dir():
        raise InputError(f"{location}: folder {path.parent} does not exist")


class DatumaroSink(Sink):
    """COCO, YOLO (Ultralytics), VOC, Datumaro and CVAT folders, written by Datumaro."""

    name: ClassVar[str] = "datumaro"
    scheme: ClassVar[str | None] = "datumaro"
    location_help: ClassVar[str] = "datumaro:FORMAT:DIR (FORMAT: " + ", ".join(FORMATS) + ")"
    description: ClassVar[str] = "a dataset folder written by Datumaro's exporters: " + ", ".join(FORMATS)

    def open(self, location: str, options: RunOptions) -> Writer:
        fmt, path = _parse(location)
        _check_target(location, path)
        return DatumaroWriter(fmt, path, strict=options.strict)

    def preflight(self, location: str, target: Project, options: RunOptions) -> list[str]:
        fmt, path = _parse(location)
        _check_target(location, path)
        lines = [f"{fmt} (Datumaro exporter {exporter_of(fmt, target)}) in {path}"]
        renamed = subset_names(target, fmt, location)
        losses = project_losses(target, fmt) + [f"dataset {old!r}: written as subset {new!r}"
                                                 for old, new in renamed.items() if old != new]
        if options.strict and _strict_losses(losses, target):
            raise InputError(f"{location}: {fmt} cannot hold {_strict_losses(losses, target)[0]} (--strict)")
        lines += [f"lost in {fmt}: {line}" for line in losses + range_losses(target)]
        lines += [f"lost in {fmt}: {line}" for line in _shape_losses(target, FORMATS[fmt])]
        return lines + video_lines(fmt)


def exporter_of(fmt: str, project: Project) -> str:
    """The Datumaro exporter: COCO's keypoints file for a keypoint project (it holds the boxes too)."""
    if fmt == "coco" and any(t.task_type == "keypoint_detection" for t in project.trainable_tasks):
        return "coco_person_keypoints"
    return FORMATS[fmt].exporter


def subset_names(project: Project, fmt: str, location: str) -> dict[str, str]:
    """Dataset name → subset name. Ultralytics YOLO allows only train, val and test, and needs the first two."""
    names = {d.name: d.name for d in project.datasets}
    if fmt != "yolo_ultralytics":
        return names
    training = project.training_dataset().name
    for d in names:
        if d not in ("train", "val", "test"):
            names[d] = "train" if d == training and "train" not in names else "val"
    if not {"train", "val"} <= set(names.values()):
        raise InputError(f"{location}: Ultralytics YOLO needs a training and a validation subset; the project "
                         f"has only the dataset(s) {', '.join(names)} (add a 'val' dataset, or choose another format)")
    return names


def _strict_losses(losses: list[str], project: Project) -> list[str]:
    """The losses that matter under --strict: everything but what no dataset format holds."""
    return [line for line in losses if line != MODELS_LINE]


def _shape_losses(project: Project, fmt: FormatInfo) -> list[str]:
    """The shapes the project's tasks draw that the format stores otherwise."""
    drawn = {"detection": "RECTANGLE", "rotated_detection": "ROTATED_RECTANGLE", "segmentation": "POLYGON",
             "instance_segmentation": "POLYGON"}
    out = []
    for t in project.trainable_tasks:
        kind = drawn.get(t.task_type)
        if kind and kind not in fmt.shapes:
            into = "polygons" if fmt.polygons and kind != "POLYGON" else "bounding boxes"
            out.append(f"{t.task_type} shapes ({kind}): written as {into}")
    return out


#: a record of the dataset: (subset, item id, spooled image file, Datumaro annotations)
_Record = tuple[str, str, Path, list[Any]]


class DatumaroWriter(Writer):
    def __init__(self, fmt: str, path: Path, strict: bool = False) -> None:
        self.fmt_name, self.fmt, self.path, self.strict = fmt, FORMATS[fmt], path, strict
        self.spool = path / SPOOL
        self.lock = threading.Lock()
        self.records: dict[str, list[_Record]] = {}  # item key → its records (one image, or a video's frames)
        self.ids: set[tuple[str, str]] = set()
        self.assigned: dict[str, tuple[str, str]] = {}  # record key → (subset, item id): a retry keeps its own
        self.losses: Counter[str] = Counter()
        self.counted: set[str] = set()  # item keys whose losses are counted: a retried item counts once
        self.videos: set[str] = set()  # item keys of videos (their records are frames)
        self.project: Project | None = None

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        self.project = project
        where = f"datumaro:{self.fmt_name}:{self.path}"
        self.subsets = subset_names(project, self.fmt_name, where)
        refused = _strict_losses(project_losses(project, self.fmt_name), project)
        if self.strict and refused:
            raise InputError(f"{where}: {self.fmt_name} cannot hold {refused[0]} (--strict)")
        self.spool.mkdir(parents=True, exist_ok=True)
        return {}

    def _item_id(self, key: str, subset: str, stem: str, notes: list[str]) -> tuple[str, str]:
        """A unique id for the record ``key``, after ``stem`` (``_2``, ``_3``... when taken, said in ``notes``).

        Unique in ``subset``, or in the whole dataset where every subset's images share one folder
        (VOC's JPEGImages/, CVAT's images/): there a repeated name would overwrite another's file.
        """
        stem = stem.replace("/", "_").replace("\\", "_") or "image"
        scope = "" if self.fmt.one_folder else subset
        with self.lock:
            if key in self.assigned:
                return self.assigned[key]
            candidate, n = stem, 1
            while (scope, candidate) in self.ids:
                n += 1
                candidate = f"{stem}_{n}"
            self.ids.add((scope, candidate))
            self.assigned[key] = (subset, candidate)
        if candidate != stem:
            notes.append("media name already taken" + (" (one images folder for every subset)" if scope == "" else "")
                         + ": written as <name>_<n>")
        return subset, candidate

    def _annotations(self, scene: Scene, losses: Counter[str], what: str) -> list[Any]:
        """One scene (an image's or a frame's) as Datumaro annotations; its losses added to ``losses``."""
        assert self.project is not None
        found = Counter[str]()
        anns = to_datumaro(scene, self.project, self.fmt, self._label_ids(), found)
        if not scene.annotations or not anns and not found:
            found[f"{what} annotated as empty (reviewed, no objects): written without annotations"] += 1
        losses.update(found)
        return anns

    def _refuse(self, item: Item, losses: Counter[str]) -> None:
        if losses and self.strict:
            what = "; ".join(f"{n}× {w}" for w, n in sorted(losses.items()))
            raise InputError(f"{item.key}: {self.fmt_name} cannot hold {what} (--strict)")

    def _keep(self, item: Item, records: list[_Record], losses: Counter[str]) -> None:
        with self.lock:
            if item.media.kind == "video":
                self.videos.add(item.key)
            if item.key not in self.counted:
                self.counted.add(item.key)
                self.losses.update(losses)
            self.records[item.key] = records

    def write(self, item: Item) -> WriteResult:
        assert self.project is not None
        if item.media.kind == "video":
            return self._write_video(item)
        subset, notes = self.subsets.get(item.media.dataset, item.media.dataset), list[str]()
        subset, item_id = self._item_id(item.key, subset, PurePosixPath(item.media.filename).stem or item.media.name,
                                        notes)
        ext = PurePosixPath(item.media.filename).suffix or ".jpg"
        file = self.spool / subset / f"{item_id}{ext}"
        file.parent.mkdir(parents=True, exist_ok=True)
        with item.open() as src, open(file, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        losses: Counter[str] = Counter()
        scene = item.image_scene()
        anns = self._annotations(scene, losses, "image") if scene is not None else []
        self._refuse(item, losses)
        self._keep(item, [(subset, item_id, file, anns)], losses)
        return WriteResult(ids={"media": f"{subset}/{item_id}"}, bytes=file.stat().st_size, notes=notes)

    def _write_video(self, item: Item) -> WriteResult:
        """The video's annotated frames, decoded one at a time into the spool; ranges counted as lost."""
        scenes = {s.frame: s for s in item.scenes or [] if s.frame is not None}
        losses: Counter[str] = Counter()
        if item.ranges:
            losses[RANGE_LOSS] += len(item.ranges)
        anns = {i: self._annotations(scenes[i], losses, "video frame") for i in sorted(scenes)}
        self._refuse(item, losses)  # before the video is decoded: --strict fails it at once
        if not scenes:
            self._keep(item, [], losses)
            return WriteResult(notes=["video without annotated frames: nothing written"])
        subset, notes = self.subsets.get(item.media.dataset, item.media.dataset), list[str]()
        stem = PurePosixPath(item.media.filename).stem or item.media.name
        ids = {i: self._item_id(f"{item.key}#frame{i}", subset, frame_stem(stem, i), notes) for i in anns}
        folder = self.spool / subset
        folder.mkdir(parents=True, exist_ok=True)
        # PyAV reads a file (an MP4's index may sit at its end): the stream is spooled next to the frames
        with tempfile.NamedTemporaryFile(dir=self.spool, suffix=item.media.extension or ".mp4") as video:
            with item.open() as src:
                shutil.copyfileobj(src, video, 1 << 20)
            video.flush()
            files = save_frames(Path(video.name), anns, lambda i: folder / f"{ids[i][1]}{FRAME_EXTENSION}",
                                item.key)
        self._keep(item, [(subset, ids[i][1], files[i], anns[i]) for i in sorted(anns)], losses)
        return WriteResult(ids={"media": f"{subset}/{ids[min(anns)][1]}"},  # the first frame's item
                           bytes=sum(f.stat().st_size for f in files.values()), notes=notes)

    def _label_ids(self) -> dict[str, int]:
        assert self.project is not None
        names = self._label_names()
        return {n: i for i, n in enumerate(names)}

    def _label_names(self) -> list[str]:
        assert self.project is not None
        names = [lb.name for lb in self.project.labels() if not lb.is_empty]
        names = list(dict.fromkeys(names))
        if any(t.task_type == "keypoint_detection" for t in self.project.trainable_tasks):
            names.append(SKELETON)
        return names

    def _categories(self) -> dict[Any, Any]:
        from datumaro.components.annotation import AnnotationType, LabelCategories, MaskCategories, PointsCategories

        assert self.project is not None
        labels = LabelCategories()
        by_name = {lb.name: lb for lb in self.project.labels()}
        names = self._label_names()
        for n in names:
            parent = by_name[n].parent if n in by_name and self.fmt.hierarchy else None
            labels.add(n, parent=parent or "")
        cats: dict[Any, Any] = {AnnotationType.label: labels}
        colours = {}
        for i, n in enumerate(names):
            colour = by_name[n].color if n in by_name else None
            if colour and len(colour) >= 7:
                colours[i] = tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))
        if colours and self.fmt_name in ("voc", "datumaro"):
            cats[AnnotationType.mask] = MaskCategories(colormap=colours)
        task = next((t for t in self.project.trainable_tasks if t.task_type == "keypoint_detection"), None)
        if task is not None:
            points = PointsCategories()
            kp = [lb.name for lb in task.labels if not lb.is_empty]
            joints = [[kp.index(a), kp.index(b)] for e in (task.keypoint_structure or {}).get("edges", [])
                      for a, b in [e.get("nodes", [None, None])] if a in kp and b in kp]
            points.add(names.index(SKELETON), kp, joints=joints)
            cats[AnnotationType.points] = points
        return cats

    def finish(self, complete: bool) -> dict[str, Any]:
        from datumaro.components.dataset import Dataset
        from datumaro.components.dataset_base import DatasetItem
        from datumaro.components.media import Image

        assert self.project is not None
        if not complete:  # the engine reports the failed items; a dataset missing some is not written
            shutil.rmtree(self.spool, ignore_errors=True)
            return {"format": self.fmt_name, "path": str(self.path), "images": 0,
                    "not_written": "some items failed: the dataset was not exported"}
        with self.lock:
            records = sorted((r for rs in self.records.values() for r in rs), key=lambda r: (r[0], r[1]))
            losses = Counter(self.losses)
            videos = [rs for key, rs in self.records.items() if key in self.videos]
        items, next_id = [], 1
        for subset, item_id, file, anns in records:
            # ids unique in the whole dataset (COCO's must be), in each scene's order
            numbered = [a.wrap(id=next_id + k) for k, a in enumerate(anns)]
            next_id += len(anns)
            items.append(DatasetItem(id=item_id, subset=subset, media=Image.from_file(str(file)),
                                     annotations=numbered))
        dataset = Dataset.from_iterable(items, categories=self._categories())
        out = self.path
        warnings: list[str] = []  # exporters warn about what the losses above already count
        try:
            with datumaro_logs(warnings):
                dataset.export(str(out), exporter_of(self.fmt_name, self.project), save_media=True)
        except Exception as exc:
            raise InputError(f"datumaro:{self.fmt_name}:{self.path}: Datumaro could not export: {exc}") from None
        shutil.rmtree(self.spool, ignore_errors=True)
        not_held = [line for line in project_losses(self.project, self.fmt_name) if "reviewed, no objects" not in line]
        frames = sum(len(rs) for rs in videos)
        return {"format": self.fmt_name, "path": str(out), "images": len(items) - frames,
                "videos": sum(bool(rs) for rs in videos), "frames": frames,
                "lost": dict(sorted(losses.items())), "not_held": not_held,
                "datumaro_warnings": list(dict.fromkeys(warnings))[:20]}

    def abort(self) -> None:
        pass  # the spool stays: a rerun into the same folder starts over (its files are replaced)
