"""The ``coco:`` and ``datumaro:`` sources.

``claims()`` is a prefix check. Datumaro (with pandas, pyarrow, OpenCV) takes ~0.4 s to import, so it is imported
only inside ``open()``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar

from scmigrate.api import PluginOption, Reader, RunOptions, Source
from scmigrate.errors import InputError

from .coco_check import CocoIndex, check_coco, load_coco, safe_file_name
from .coco_native import plain, read_plain
from .dmlogs import datumaro_logs
from .filenames import path_name

if TYPE_CHECKING:
    from .reader import Categories

__all__ = ["CocoSource", "DatumaroSource"]


def _one_line(exc: BaseException | None) -> str:
    """The error and its causes (Datumaro wraps the useful one) on one line, bounded."""
    parts: list[str] = []
    for _ in range(6):  # a bounded walk down the chain of causes
        if exc is None or len(parts) == 3:
            break
        part = " ".join(str(exc).split()) or type(exc).__name__
        if not any(part in p for p in parts):  # Datumaro often repeats the cause in its message
            parts.append(part)
        exc = exc.__cause__ or exc.__context__
    text = ": ".join(parts)
    return text if len(text) < 300 else text[:297] + "..."


class CocoSource(Source):
    """A COCO instances JSON and its images folder."""

    name: ClassVar[str] = "coco"
    scheme: ClassVar[str | None] = "coco"
    location_help: ClassVar[str] = "coco:PATH/instances.json (or a folder holding exactly one)"
    description: ClassVar[str] = "COCO instances: boxes, polygons, RLE masks (as polygons), iscrowd"
    options: ClassVar[tuple[PluginOption, ...]] = (
        PluginOption(
            "images", "path", None,
            "folder of the COCO images (default: next to the annotations folder, images/<subset>/, <subset>/ "
            "as in COCO's val2017/, or images/; else the JSON's folder)",
        ),
    )

    @classmethod
    def _json_path(cls, location: str) -> Path:
        path = Path(cls.location_path(location)).expanduser()
        if not path.is_dir():
            return path
        found = sorted(path.glob("annotations/instances_*.json")) + sorted(path.glob("instances_*.json"))
        if len(found) != 1:
            what = ", ".join(str(p) for p in found) if found else "no instances_*.json in it or in annotations/"
            raise InputError(f"{path}: coco: needs one instances JSON file; the folder holds {what}")
        return found[0]

    @staticmethod
    def _images_root(json_path: Path, options: RunOptions, names: list[str]) -> Path:
        """``--images``, else the usual folder that holds the first images (``names``: their file_name)."""
        given = options.get("images")
        if given is not None:
            root = Path(given).expanduser()
            if not root.is_dir():
                raise InputError(f"--images {root}: not a folder")
            return root
        parent = json_path.parent
        # COCO's own layout puts instances_val2017.json's images in val2017/ next to annotations/;
        # Datumaro's in images/<subset>/
        subset = re.sub(r"^(instances|person_keypoints)_", "", json_path.stem)
        folders = [root for root in (parent.parent / "images" / subset, parent.parent / subset,
                                     parent.parent / "images", parent / "images", parent) if root.is_dir()]
        names = [n for n in names if safe_file_name(n)]
        # the folder holding most of them: a sub-folder may hold some by chance (images/north/0.jpg)
        return max(folders, key=lambda root: sum((root / n).is_file() for n in names))  # first wins a tie

    def open(self, location: str, options: RunOptions) -> Reader:
        path = self._json_path(location)
        doc = load_coco(path)
        probe = [im["file_name"] for im in doc["images"][:20]
                 if isinstance(im, dict) and isinstance(im.get("file_name"), str)]
        root = self._images_root(path, options, probe)
        index = check_coco(doc, path, root, hint="" if options.get("images") else
                           f" (images are looked for in {root}; name their folder with --images DIR)")
        from .reader import Categories, DatumaroReader, Entry  # numpy: only once a location is opened

        if plain(doc, path, index):
            items, labels = read_plain(doc, index)
            del doc
            by_id: Callable[[int], Any] = items.__getitem__
            categories = Categories(labels)
        else:
            del doc  # Datumaro parses the file itself; keep one copy in memory, not two
            by_id, categories = _datumaro_coco(path, index)
        entries = [
            Entry(by_id(im.id), im.file_name, path_name(im.file_name), "Dataset", im.path, size=im.size)
            for im in index.images
        ]
        notes = [f"COCO file {path}, images from {root}: {len(entries)} images, "
                 f"{len(index.annotated)} with annotations, {len(index.categories)} categories"]
        if index.kinds.get("crowd"):
            notes.append(f"{index.kinds['crowd']} iscrowd regions are kept as polygons of the crowd region")
        return DatumaroReader(
            name=options.project or path.stem,
            origin={"kind": "coco", "path": str(path), "images": str(root)},
            entries=entries,
            categories=categories,
            datasets=["Dataset"],
            notes=notes,
            strict=options.strict,
            project_type=options.project_type,
        )


def _datumaro_coco(path: Path, index: CocoIndex) -> tuple[Callable[[int], Any], Categories]:
    """Datumaro's COCO extractor for what :func:`.coco_native.plain` leaves to it: (item by image id, categories)."""
    from datumaro.plugins.data_formats.coco import base as coco_base
    from datumaro.plugins.data_formats.coco.format import CocoImporterType

    from .reader import Categories

    kind = coco_base.CocoPersonKeypointsBase if index.keypoints else coco_base.CocoInstancesBase
    try:
        # Image files are resolved here, against --images; the "roboflow" layout is the one in
        # which Datumaro assumes nothing about where the JSON sits relative to the images.
        extractor = kind(str(path), coco_importer_type=CocoImporterType.roboflow, subset="default")
    except Exception as exc:  # Datumaro's own errors: one line, naming the file
        raise InputError(f"{path}: Datumaro could not read it: {_one_line(exc)}") from None
    return extractor.get_dataset_item, Categories.of(extractor.categories())


_FORMAT = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


class DatumaroSource(Source):
    """Any dataset Datumaro imports: ``datumaro:FORMAT:PATH``, or ``datumaro:PATH`` to detect the format."""

    name: ClassVar[str] = "datumaro"
    scheme: ClassVar[str | None] = "datumaro"
    location_help: ClassVar[str] = "datumaro:FORMAT:PATH or datumaro:PATH (format detected)"
    description: ClassVar[str] = "every format Datumaro imports (VOC, YOLO, ImageNet, CVAT, Datumaro, ...)"

    @classmethod
    def parse(cls, location: str) -> tuple[str | None, Path]:
        """``(format or None, path)``; a prefix that is an existing path is a path, not a format."""
        rest = cls.location_path(location)
        head, sep, tail = rest.partition(":")
        if sep and _FORMAT.match(head) and not Path(rest).exists():
            return head, Path(tail).expanduser()
        return None, Path(rest).expanduser()

    def __init__(self) -> None:
        self._captured: list[str] = []  # Datumaro's warnings while importing: notes, not stderr lines

    def open(self, location: str, options: RunOptions) -> Reader:
        fmt, path = self.parse(location)
        if not path.exists():
            raise InputError(f"{location}: {path} does not exist")
        from datumaro.components.dataset import Dataset as DmDataset
        from datumaro.components.environment import Environment

        from .reader import Categories, DatumaroReader

        env = Environment()
        # Datumaro names a few exporters differently from the importer that reads their output
        # (an Ultralytics YOLO export is read by "yolo"): accept the name a user exported with.
        fmt = _IMPORTER_OF.get(fmt, fmt) if fmt is not None else None
        missing = _set_aside_unloadable(env, fmt, path)
        if fmt is None:
            try:
                with datumaro_logs(self._captured):
                    found = env.detect_dataset(str(path))
            except Exception as exc:
                raise InputError(f"{location}: Datumaro could not detect a format: {_one_line(exc)}") from None
            fmt = _pick_format(found)
            if fmt is None:
                what = "no format it knows" if not found else "several formats: " + ", ".join(sorted(found))
                unchecked = (" (not checked, a Python module is missing: " + "; ".join(
                    _needs(f, m) for f, m in sorted(missing.items())) + ")") if missing and not found else ""
                raise InputError(f"{location}: Datumaro detected {what}; name one as datumaro:FORMAT:{path}{unchecked}")
        elif fmt in missing:
            raise InputError(f"{location}: {_needs(fmt, missing[fmt])}")
        elif fmt not in env.importers:
            raise InputError(f"{location}: Datumaro has no format {fmt!r}; known: {', '.join(sorted(env.importers))}")
        try:
            with datumaro_logs(self._captured):
                if fmt == "imagenet_with_subset_dirs":
                    items, categories = _imagenet_subsets(path, env)
                else:
                    ds = DmDataset.import_from(str(path), fmt, env=env)
                    items, categories = list(ds), ds.categories()
        except Exception as exc:
            raise InputError(f"{location}: Datumaro could not import it as {fmt}: {_one_line(exc)}") from None
        if fmt == "cvat":
            _refuse_cvat_video(items, location)
        entries, skipped = _entries(items, path)
        if not entries:
            raise InputError(f"{location}: Datumaro found no images in it as {fmt}"
                             + (f" ({skipped[0]})" if skipped else ""))
        subsets = list(dict.fromkeys(e.dataset for e in entries))
        if len(subsets) > 1:  # one dataset per subset; training uses "train" if there is one, else the first
            subsets.sort(key=lambda s: s != "train")
        else:
            subsets = ["Dataset"]
            for e in entries:
                e.dataset = "Dataset"
        notes = [f"Datumaro format {fmt}: {len(entries)} images in {len(subsets)} dataset(s)"]
        notes += [f"Datumaro: {line}" for line in dict.fromkeys(self._captured)]
        notes += skipped[:5] + ([f"... and {len(skipped) - 5} more skipped"] if len(skipped) > 5 else [])
        return DatumaroReader(
            name=options.project or path.resolve().name,
            origin={"kind": "datumaro", "format": fmt, "path": str(path)},
            entries=entries,
            categories=Categories.of(categories),
            datasets=subsets,
            notes=notes,
            strict=options.strict,
            project_type=options.project_type,
        )


#: the package that provides a Python module an optional Datumaro format needs
_PACKAGE_OF = {"google": "protobuf", "sklearn": "scikit-learn", "cv2": "opencv-python", "PIL": "Pillow"}


def _needs(fmt: str, module: str) -> str:
    package = _PACKAGE_OF.get(module, module)
    return f"Datumaro's format {fmt} needs the Python module {module!r}: pip install {package}"


def _set_aside_unloadable(env: Any, wanted: str | None, path: Path) -> dict[str, str]:
    """Unregister the importers whose module cannot be imported; {format: missing module}.

    Detection imports every candidate importer, and one missing optional module (``google`` for
    AVA's protobuf files) made the whole detection fail with only "No module named 'google'".
    """
    missing: dict[str, str] = {}
    if wanted is not None:
        names = [wanted]
    else:  # the candidates Datumaro's detection will load: those of the file endings found
        from datumaro.util.os_util import get_all_file_extensions

        endings = get_all_file_extensions(str(path), {"__MSOSX", "__MACOSX"}) or [""]
        names = list(dict.fromkeys(n for e in endings for n, _ in env.importers.extension_groups.get(e, [])))
    for name in names:
        if name not in env.importers:
            continue
        try:
            env.importers.get(name)  # a lazy plugin imports its module here
        except ModuleNotFoundError as exc:
            missing[name] = (exc.name or str(exc)).split(".")[0]  # the package to install
    for name in missing:
        env.importers.unregister(name)
        for group in env.importers.extension_groups.values():
            group[:] = [(n, v) for n, v in group if n != name]
    return missing


_IMPORTER_OF = {"yolo_ultralytics": "yolo", "ultralytics": "yolo", "mot_seq_gt": "mot_seq", "mots_png": "mots"}


def _imagenet_subsets(path: Path, env: Any) -> tuple[list[Any], dict[Any, Any]]:
    """ImageNet with subset folders, read one subset folder at a time, their labels united.

    Datumaro's own importer refuses such a folder as soon as two subsets hold different labels
    ("merging of datasets with different categories"), which is what its exporter writes.
    """
    from datumaro.components.annotation import AnnotationType, LabelCategories
    from datumaro.components.dataset import Dataset as DmDataset

    merged = LabelCategories()
    items: list[Any] = []
    for sub in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        ds = DmDataset.import_from(str(sub), "imagenet", env=env)
        cats = ds.categories()[AnnotationType.label]
        remap = {}
        for i, c in enumerate(cats):
            found = merged.find(c.name)[0]
            remap[i] = found if found is not None else merged.add(c.name, parent=c.parent)
        for group in cats.label_groups:
            if all(g.name != group.name for g in merged.label_groups):
                merged.add_label_group(group.name, list(group.labels), group.group_type)
        for item in ds:
            anns = [a.wrap(label=remap[a.label]) if getattr(a, "label", None) is not None else a
                    for a in item.annotations]
            items.append(item.wrap(subset=sub.name, annotations=anns))
    return items, {AnnotationType.label: merged}


def _refuse_cvat_video(items: list[Any], location: str) -> None:
    """CVAT for video holds tracks: refused, in one line, as every video is here.

    Datumaro reads a track's shapes as shapes of the frame images ``images/frame_NNNNNN.png`` (which
    CVAT's export holds and Datumaro's own track export does not write), and keeps the shapes of the
    frames where the object is *outside* the view as if it were there. CVAT writes the same task as
    CVAT for images, each frame an image with its shapes.
    """
    tracks = {a.attributes["track_id"] for item in items for a in item.annotations if "track_id" in a.attributes}
    if tracks:
        raise InputError(f"{location}: CVAT for video ({len(tracks)} track(s)): datumaro: reads images, not videos "
                         "(export the task from CVAT as 'CVAT for images', each frame an image)")


def _pick_format(found: list[str]) -> str | None:
    """The one detected format, or the family format when the others are its parts.

    A full VOC folder matches "voc" and also "voc_detection", "voc_segmentation", ...: each
    part reads a subset of what "voc" reads, so "voc" is the answer. Anything else is ambiguous.
    """
    if len(found) == 1:
        return found[0]
    for fmt in found:
        if all(other == fmt or other.startswith(fmt + "_") for other in found):
            return fmt
    return None


def _entries(items: list[Any], root: Path) -> tuple[list[Any], list[str]]:
    """Media of each item: its file when there is one (key = path relative to ``root``), else encoded bytes."""
    from datumaro.components.media import Image as DmImage
    from datumaro.components.media import Video, VideoFrame

    from .reader import Entry

    base = root.resolve() if root.is_dir() else root.resolve().parent
    entries: list[Entry] = []
    skipped: list[str] = []
    keys: set[str] = set()
    for item in items:
        media = item.media
        if isinstance(media, (Video, VideoFrame)):  # a VideoFrame is an Image to Datumaro: its file is the video
            video = getattr(getattr(media, "video", media), "path", "?")
            raise InputError(f"{root}: item {item.id!r} is a frame of the video {video}: datumaro: reads images, "
                             "not videos (upload the video with its own tool, or extract its frames as images)")
        if not isinstance(media, DmImage):
            skipped.append(f"item {item.id!r}: {type(media).__name__} media is not an image: skipped")
            continue
        file = getattr(media, "path", None)
        if file and os.path.isfile(file):
            p = Path(file).resolve()
            try:
                key = p.relative_to(base).as_posix()
            except ValueError:
                key = f"{item.subset}/{p.name}"
            entry = Entry(item, key, p.name, item.subset, p, size=p.stat().st_size)
        elif media.has_data:
            name = f"{PurePosixPath(str(item.id)).name}.png"
            key = f"{item.subset}/{item.id}.png"
            entry = Entry(item, key, name, item.subset, None, data=_png_encoder(media))
        else:
            raise InputError(f"{root}: item {item.id!r} ({item.subset}): image file not found: {file or '?'}")
        base_key, n = entry.key, 1
        while entry.key in keys:  # e.g. one file listed in two subsets: keep both, keys stay unique
            n += 1
            entry.key = f"{base_key}#{n}"
        keys.add(entry.key)
        entries.append(entry)
    return entries, skipped


def _png_encoder(media: Any):
    """Media that exist only as pixels (MNIST, CIFAR, ...) have no original file: PNG is lossless."""

    def encode() -> bytes:
        import cv2

        ok, buf = cv2.imencode(".png", media.data)  # Datumaro holds pixels as BGR, as OpenCV does
        if not ok:
            raise InputError("could not encode an in-memory image as PNG")
        return buf.tobytes()

    return encode
