"""Classification target: image-level labels on the full-image box, from the objects present.

The kind of classification is decided from the source:

- a source with a classification task keeps its labels, groups and parents (pass-through);
- **hierarchical** when some source labels have a parent among the chosen labels (children of one
  parent form one exclusive group);
- **multi-label** (one group per label) when an image holds 2+ different labels — known from
  :meth:`ClassificationConverter.survey` — and, when no survey was made, whenever the source has
  several labels (multi-label loses no image; multi-class would drop those with several objects);
- **multi-class** (one exclusive group) when the survey found no image with 2+ labels.

"No class" (is_empty) is added only when no exclusive group has 2+ labels, as SC does. An image
whose labels clash in one exclusive group is left unannotated and logged.
"""

from __future__ import annotations

from collections.abc import Iterable

from scmigrate.api import RunOptions
from scmigrate.model import Label, Project, Scene, ScoredLabel, Task

from .base import BaseConverter, need_labels
from .labels import SourceInfo, color_for, empty_label, object_labels
from .scenes import Out, Parsed

__all__ = ["ClassificationConverter", "class_labels", "needs_no_class", "clashes"]


def needs_no_class(labels: list[Label]) -> bool:
    """SC adds "No class" only if no exclusive group has 2 or more labels."""
    sizes: dict[str | None, int] = {}
    for lb in labels:
        if not lb.is_empty:
            sizes[lb.group] = sizes.get(lb.group, 0) + 1
    return all(n < 2 for n in sizes.values())


def class_labels(srcs: list[Label], title: str, multi_label: bool) -> tuple[list[Label], str]:
    """Classification labels from source labels, and the kind of classification they make."""
    names = {lb.name for lb in srcs}
    hierarchical = any(lb.parent in names for lb in srcs)
    out = []
    for lb in srcs:
        parent = lb.parent if lb.parent in names else None
        if hierarchical:
            group = lb.group or (f"{parent} classes" if parent else f"{title} labels")
        elif multi_label:
            group = lb.name  # one group per label: labels may co-occur
        else:
            group = f"{title} labels"
        out.append(Label(lb.name, lb.color or color_for(lb.name), group, parent, lb.hotkey))
    kind = "hierarchical" if hierarchical else "multi-label" if multi_label else "multi-class"
    return out, kind


def clashes(target: Project, names: list[str]) -> bool:
    """Whether two labels (with their ancestors) fall in one exclusive group."""
    groups: dict[str | None, set[str]] = {}
    for name in names:
        lb = target.label(name)
        hops = 0
        while lb is not None and hops < 32:
            groups.setdefault(lb.group, set()).add(lb.name)
            lb = target.label(lb.parent) if lb.parent else None
            hops += 1
    return any(len(v) > 1 for v in groups.values())


class ClassificationConverter(BaseConverter):
    name = "classification"
    description = "image-level labels from the objects present (multi-class, multi-label or hierarchical)"
    task_types = ("classification",)
    wants_survey = True
    rules = (
        "every object (RECTANGLE, POLYGON, ELLIPSE, ...) → its label on the full-image box",
        "empty images stay empty when the project has 'No class' (on a cluster: it on the full-image box), "
        "else unannotated",
    )

    def __init__(self) -> None:
        super().__init__()
        self.cooccurrence: bool | None = None  # None: no survey made

    def survey(self, source: Project, scenes: Iterable[Scene]) -> None:
        """Find out whether any image holds 2+ different labels (then: multi-label)."""
        info = self.info(source)
        self.cooccurrence = False
        for scene in scenes:
            names = {sl.name for a in scene.annotations for sl in a.labels if info.role(sl.name) != "empty"}
            if len(names) >= 2:
                self.cooccurrence = True
                return

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        title = info.title_for(self.name, set())
        own = info.tasks_of_type("classification")
        if own:
            srcs = [lb for lb in own[0].labels if not lb.is_empty]
            labels = [Label(lb.name, lb.color or color_for(lb.name), lb.group or f"{title} labels",
                            lb.parent, lb.hotkey) for lb in srcs]
        else:
            srcs = object_labels(info, self.name) or [
                lb for lb in info.labels.values() if info.role(lb.name) == "anomaly"
            ]
            labels, _ = class_labels(srcs, title, self.cooccurrence is not False)
        need_labels(srcs, self.name, info.project, at_least=2)
        if needs_no_class(labels):
            labels.append(empty_label(self.name, info))
        return [Task(title, self.name, labels)]

    def fill(self, out: Out, parsed: Parsed, info: SourceInfo, through: bool) -> None:
        task = out.target.trainable_tasks[0]
        allowed = {lb.name for lb in task.labels if not lb.is_empty}
        present: list[ScoredLabel] = list(parsed.image_labels)
        for obj in parsed.objects:
            out.log.converted(f"{obj.kind} → image-level label")
            present += [sl for sl in obj.labels + obj.extra if info.role(sl.name) != "empty"]
        unique: list[ScoredLabel] = []
        for sl in present:
            if all(u.name != sl.name for u in unique):
                unique.append(sl)
        kept = out.keep_labels(unique, allowed)
        if not kept:
            return
        if clashes(out.target, [sl.name for sl in kept]):
            out.drop("image with several labels of one exclusive group: left unannotated")
            return
        out.add_full_image(kept, parsed.image_id)

    def extra_plan(self, source: Project, target: Project) -> list[str]:
        task = target.trainable_tasks[0]
        labels = [lb for lb in task.labels if not lb.is_empty]
        if any(lb.parent for lb in labels):
            kind = "hierarchical"
        elif len({lb.group for lb in labels}) == len(labels) and len(labels) > 1:
            kind = "multi-label"
        else:
            kind = "multi-class"
        why = {None: "no survey of the images", True: "some images hold 2+ labels",
               False: "no image holds 2+ labels"}[self.cooccurrence]
        lines = [f"classification kind: {kind} ({why})"]
        if kind != "multi-label":
            lines.append("an image with 2 different labels of one exclusive group is left unannotated")
        return lines
