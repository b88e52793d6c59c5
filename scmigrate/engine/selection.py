"""Label selection and renaming (``--labels``, ``--label-map``, ``--keep-empty``).

Applied before the converter sees anything, so converters only ever meet the labels the user
chose. The rules:

- ``--labels a,b`` keeps only those labels (by their source name, or by their new name under
  ``--label-map``). Empty labels (``is_empty``) always stay: they are structure, not a choice.
  An unknown name is an ``InputError`` naming it and listing the existing labels.
- ``--label-map old=new`` renames; several old names mapping to one new name merge into one label.
- With ``--labels``, an item left with no selected annotation (and an unannotated item) is
  dropped, unless ``--keep-empty``: then its scenes become empty scenes ("annotated: no objects").
- Without ``--labels`` nothing is dropped; unannotated items stay unannotated unless
  ``--keep-empty`` makes them empty scenes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..api import RunOptions
from ..errors import InputError
from ..model import Annotation, Item, Label, Project, RangeLabel, Scene, ScoredLabel

__all__ = ["Selection", "parse_label_map"]


def _as_selected(item: Item) -> bool:
    """Whether a selection that keeps every label leaves ``item``'s scenes and ranges as they are:
    it drops an annotation or range without labels and a label named twice in one of them."""
    for scene in item.scenes or []:
        for ann in scene.annotations:
            if not ann.labels or (len(ann.labels) > 1 and len({sl.name for sl in ann.labels}) < len(ann.labels)):
                return False
    return all(rng.labels and len(set(rng.labels)) == len(rng.labels) for rng in item.ranges or [])


def parse_label_map(pairs: list[str] | tuple[str, ...] | str | None) -> dict[str, str]:
    """``["old=new", "a=b"]`` (or ``"old=new,a=b"``) → ``{"old": "new", "a": "b"}``."""
    if not pairs:
        return {}
    if isinstance(pairs, str):
        pairs = [pairs]
    out: dict[str, str] = {}
    for chunk in pairs:
        for pair in chunk.split(","):
            if not pair.strip():
                continue
            old, sep, new = pair.partition("=")
            if not sep or not old.strip() or not new.strip():
                raise InputError(f"--label-map: {pair!r} is not of the form OLD=NEW")
            out[old.strip()] = new.strip()
    return out


@dataclass
class Selection:
    """The label choices of one run, resolved against the source project."""

    keep: set[str] | None  # source label names to keep; None = all
    rename: dict[str, str]
    keep_empty: bool
    empty_labels: set[str]

    @classmethod
    def build(cls, project: Project, options: RunOptions) -> Selection:
        """Check the options against ``project``; ``InputError`` names any unknown label."""
        labels = project.labels()
        existing = [lb.name for lb in labels]
        for old in options.label_map:
            if old not in existing:
                raise InputError(
                    f"--label-map: label {old!r} does not exist; existing labels: {', '.join(existing) or 'none'}"
                )
        rename = dict(options.label_map)
        keep: set[str] | None = None
        if options.labels:
            keep = set()
            for wanted in options.labels:
                hits = [n for n in existing if n == wanted or rename.get(n) == wanted]
                if not hits:
                    raise InputError(
                        f"--labels: label {wanted!r} does not exist; existing labels: {', '.join(existing) or 'none'}"
                    )
                keep.update(hits)
        empty = {lb.name for lb in labels if lb.is_empty}
        return cls(keep=keep, rename=rename, keep_empty=options.keep_empty, empty_labels=empty)

    @property
    def drops_items(self) -> bool:
        """Whether items may be dropped (then ``--max-items`` counts after selection)."""
        return self.keep is not None

    @property
    def keeps_scenes(self) -> bool:
        """Whether every scene passes as it is (no ``--labels``, ``--label-map``, ``--keep-empty``)."""
        return self.keep is None and not self.rename and not self.keep_empty

    def _selected(self, name: str) -> bool:
        return self.keep is None or name in self.keep or name in self.empty_labels

    def _new(self, name: str) -> str:
        return self.rename.get(name, name)

    def project(self, project: Project) -> Project:
        """The project with unselected labels removed and renamed labels merged."""
        tasks = []
        for task in project.tasks:
            if not task.trainable:
                tasks.append(task)
                continue
            merged: dict[str, Label] = {}
            for lb in task.labels:
                if not self._selected(lb.name):
                    continue
                new = self._new(lb.name)
                if new in merged:
                    continue  # merged into the first label of that name: keep its colour and group
                parent = lb.parent
                if parent is not None:
                    parent = self._new(parent) if self._selected(parent) else None
                merged[new] = dataclasses.replace(lb, name=new, parent=parent)
            tasks.append(dataclasses.replace(task, labels=list(merged.values())))
        return dataclasses.replace(project, tasks=tasks)

    def _annotation(self, ann: Annotation) -> Annotation | None:
        labels: list[ScoredLabel] = []
        seen: set[str] = set()
        for sl in ann.labels:
            if not self._selected(sl.name):
                continue
            new = self._new(sl.name)
            if new not in seen:
                seen.add(new)
                labels.append(dataclasses.replace(sl, name=new))
        return dataclasses.replace(ann, labels=labels) if labels else None

    def _is_real(self, ann: Annotation) -> bool:
        """An annotation that counts as "selected": one not made only of empty labels."""
        empty_new = {self._new(e) for e in self.empty_labels}
        return any(n not in empty_new for n in ann.label_names)

    def apply(self, item: Item) -> Item | None:
        """A new item with scenes and ranges filtered and renamed; ``None`` = drop the item.

        ``item`` must be resolved; it is not modified (a failed item is retried from it).
        """
        if self.keeps_scenes and _as_selected(item):
            # nothing to choose or rename and nothing to drop: the same scenes (the model's objects
            # are values, no one changes them in place), without a copy of every label of every box
            return Item(media=item.media, open=item.open, scenes=list(item.scenes or []),
                        ranges=list(item.ranges or []), annotation_revision=item.annotation_revision)
        scenes: list[Scene] = []
        any_real = False
        for scene in item.scenes or []:
            anns = [a for a in (self._annotation(x) for x in scene.annotations) if a is not None]
            real = any(self._is_real(a) for a in anns)
            any_real = any_real or real
            if self.keep is not None and not real:
                # nothing the user chose is in this scene: an empty scene, or (for now) nothing
                anns = []
                if not self.keep_empty:
                    continue
            scenes.append(dataclasses.replace(scene, annotations=anns))
        ranges: list[RangeLabel] = []
        for rng in item.ranges or []:
            names = []
            for n in rng.labels:
                if self._selected(n) and self._new(n) not in names:
                    names.append(self._new(n))
            if names:
                ranges.append(RangeLabel(rng.start_frame, rng.end_frame, names))
                any_real = True
        if self.keep is not None and not any_real and not self.keep_empty:
            return None
        if not scenes and not ranges and self.keep_empty and item.media.kind == "image":
            scenes = [Scene()]  # unannotated → annotated as empty, as the user asked
        revision = item.annotation_revision if self.keeps_scenes else None  # the source's scenes, as read
        return Item(media=item.media, open=item.open, scenes=scenes, ranges=ranges, annotation_revision=revision)

    def describe(self, project: Project) -> list[str]:
        """Lines for ``--dry-run``."""
        lines = []
        if self.keep is not None:
            dropped = [lb.name for lb in project.labels() if not self._selected(lb.name)]
            lines.append(f"labels kept: {', '.join(sorted(self.keep))}")
            if dropped:
                lines.append(f"labels dropped: {', '.join(dropped)}")
            lines.append(
                "items with none of these labels: "
                + ("kept as empty images" if self.keep_empty else "skipped")
            )
        for old, new in self.rename.items():
            lines.append(f"label renamed: {old} → {new}")
        if self.keep is None and self.keep_empty:
            lines.append("unannotated images: kept as empty images")
        return lines
