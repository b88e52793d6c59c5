"""The classification folder (``folders:DIR``): one sub-folder per class, nested ones a hierarchy.

``DIR/cat/1.jpg`` is an image of class ``cat``. ``DIR/animal/cat/1.jpg`` makes ``cat`` a child of
``animal``: the labels of one level under one parent form one exclusive group (the top level is
group ``Classes``, the children of ``animal`` group ``animal``), and the image carries only its
leaf label (the parents are implied by the hierarchy). Images directly in ``DIR`` are yielded
unannotated. Each annotated image gets a scene with one annotation on the full-image box.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scmigrate.api import Reader, RunOptions, SizeHint, Source
from scmigrate.errors import InputError
from scmigrate.model import Annotation, Item, Label, Project, Scene, ScoredLabel, Shape, Task

from ._files import directory_of, examples, image_media, is_image, opener, sorted_entries

__all__ = ["ClassFoldersSource", "ClassFoldersReader", "TOP_GROUP"]

#: the exclusive group of the top-level classes
TOP_GROUP = "Classes"


class ClassFoldersSource(Source):
    """Reads an ImageNet-style folder tree as a classification project."""

    name = "folders"
    scheme = "folders"
    location_help = "folders:DIR"
    description = "classification folder: one sub-folder per class (nested sub-folders = label hierarchy)"

    def open(self, location: str, options: RunOptions) -> ClassFoldersReader:
        return ClassFoldersReader(directory_of(location, "folders"), options)


class ClassFoldersReader(Reader):
    """An opened class-folder tree; the tree is walked once, at open."""

    def __init__(self, root: Path, options: RunOptions):
        self.root, self.options = root, options
        self.labels: list[Label] = []
        self._folder_of: dict[str, Path] = {}  # label name → folder, to name clashes
        #: (image, leaf label or None for the root's unannotated images)
        self.images: list[tuple[Path, str | None]] = []
        self._ignored: list[str] = []
        self._walk(root, None)
        if not self.images:
            raise InputError(f"folders:{root}: no images found (expected {root}/<class>/<image>.jpg)")

    def _walk(self, folder: Path, parent: str | None) -> None:
        for entry in sorted_entries(folder):
            if entry.is_dir():
                self._add_label(entry, parent)
                self._walk(entry, entry.name)
            elif is_image(entry):
                self.images.append((entry, parent))
            elif entry.is_file():
                self._ignored.append(entry.relative_to(self.root).as_posix())

    def _add_label(self, folder: Path, parent: str | None) -> None:
        name = folder.name
        if name in self._folder_of:
            other = self._folder_of[name].relative_to(self.root).as_posix()
            raise InputError(f"folders:{self.root}: class folders {other}/ and "
                             f"{folder.relative_to(self.root).as_posix()}/ would both be label {name!r}; "
                             f"label names must be unique, rename one folder")
        self._folder_of[name] = folder
        self.labels.append(Label(name, group=parent or TOP_GROUP, parent=parent))

    def project(self) -> Project:
        name = self.options.project or self.root.resolve().name
        return Project.chain(name, Task("Classification", "classification", list(self.labels)),
                             origin={"kind": "folders", "path": str(self.root)})

    def _names(self) -> dict[Path, str]:
        """Names for images whose file name repeats in another class folder (cat/1.jpg → cat_1).

        A cluster shows names only; ten images called "1" could not be told apart there. Images
        with a name of their own keep it.
        """
        stems = Counter(path.stem for path, _ in self.images)
        taken = set(stems)
        names = {}
        for path, _ in self.images:
            rel = path.relative_to(self.root)
            if stems[path.stem] < 2 or len(rel.parts) < 2:
                continue
            stem = "_".join(rel.parent.parts + (path.stem,))
            name, n = stem, 1
            while name in taken:
                n += 1
                name = f"{stem}_{n}"
            taken.add(name)
            names[path] = name
        return names

    def items(self) -> Iterator[Item]:
        names = self._names()
        for path, label in self.images:
            media = image_media(path, self.root, name=names.get(path))
            scenes = []
            if label is not None:
                box = Shape.full_image(media.width or 0, media.height or 0)
                scenes.append(Scene([Annotation(box, [ScoredLabel(label)])]))
            yield Item(media=media, open=opener(path), scenes=scenes, ranges=[])

    def size_hint(self) -> SizeHint:
        return SizeHint(items=len(self.images), images=len(self.images), videos=0,
                        bytes=sum(os.path.getsize(p) for p, _ in self.images))

    def notes(self) -> list[str]:
        notes = []
        depth = max((self._depth(lb) for lb in self.labels), default=0)
        tops = [lb.name for lb in self.labels if lb.parent is None]
        notes.append(f"folders: {len(self.labels)} classes ({len(tops)} top-level"
                     + (f", hierarchy {depth} levels deep)" if depth > 1 else ")"))
        loose = [p.name for p, label in self.images if label is None]
        if loose:
            notes.append(f"folders: {len(loose)} images at the top of the folder have no class and stay "
                         f"unannotated: {examples(loose)}")
        parents = {lb.name: lb.parent for lb in self.labels}
        used: set[str] = set()
        for _, name in self.images:
            while name is not None and name not in used:
                used.add(name)
                name = parents.get(name)
        empty = [lb.name for lb in self.labels if lb.name not in used]
        if empty:
            notes.append(f"folders: {len(empty)} class folders hold no image at all: {examples(empty)}")
        if self._ignored:
            notes.append(f"folders: {len(self._ignored)} files are not images and are ignored: "
                         f"{examples(self._ignored)}")
        return notes

    def _depth(self, label: Label) -> int:
        parents = {lb.name: lb.parent for lb in self.labels}
        depth, name = 1, label.parent
        while name is not None:
            depth, name = depth + 1, parents.get(name)
        return depth

    def describe(self) -> dict[str, Any]:
        return {"classes": [lb.name for lb in self.labels]}
