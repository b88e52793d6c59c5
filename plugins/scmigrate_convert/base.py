"""The skeleton every converter of this plugin shares: parse, handle empty images, fill, finish.

A subclass says which tasks the target has (:meth:`tasks`) and how objects and image-level
labels become target annotations (:meth:`fill`). The shared rules live here:

- an image annotated as empty stays a scene without annotations, the model's one form of it
  (:meth:`place_empty`), when the target's first task has an empty label to say it with on a
  cluster; otherwise it is left unannotated (anomaly and keypoints override this);
- when nothing is left after conversion, the image is **empty** if only labels outside the
  target were dropped (``--labels`` picked others), and **left unannotated** (``None``) if
  shapes were lost, because "no objects" would then be false;
- a scene of a project of the target's own type passes through: no pairing of boxes with
  outlines, every shape the target accepts kept as it is.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from scmigrate.api import ConversionLog, Converter, RunOptions
from scmigrate.errors import InputError
from scmigrate.model import Media, Project, Scene, Task

from .labels import SourceInfo, build_project
from .scenes import Out, Parsed, parse

__all__ = ["BaseConverter"]


class BaseConverter(Converter):
    """Shared plumbing; subclasses implement :meth:`tasks` and :meth:`fill`."""

    #: the trainable task types of the target, in pipeline order
    task_types: ClassVar[tuple[str, ...]] = ()
    #: plan lines specific to the type (shape rules), shown by ``--dry-run``
    rules: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._infos: dict[int, tuple[Project, SourceInfo]] = {}

    # ------------------------------------------------------------------ project

    def info(self, source: Project) -> SourceInfo:
        """The source's label roles, computed once per source project (thread-safe)."""
        with self._lock:
            hit = self._infos.get(id(source))
            if hit is None or hit[0] is not source:
                hit = (source, SourceInfo.of(source))
                self._infos[id(source)] = hit
            return hit[1]

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        """The target's trainable tasks with their labels (empty labels included)."""
        raise NotImplementedError

    def target_project(self, source: Project, options: RunOptions) -> Project:
        info = self.info(source)
        tasks = self.tasks(info, options)
        return build_project(source, tasks, self.name)

    def passthrough(self, source: Project) -> bool:
        """Whether the source already has the target's type (its valid scenes must not change)."""
        return source.project_type == self.name

    # ------------------------------------------------------------------ scenes

    def convert(
        self, scene: Scene, media: Media, source: Project, target: Project, log: ConversionLog
    ) -> Scene | None:
        info = self.info(source)
        through = self.passthrough(source)
        parsed = parse(scene, media, info, log, pair=not through)
        out = Out(scene, media, target, log)
        if parsed.empty:
            return out.result() if self.place_empty(out, parsed) else None
        self.fill(out, parsed, info, through)
        if out.annotations:
            return out.result()
        if out.lost or parsed.lost:
            log.dropped("image: nothing left after conversion, left unannotated")
            return None
        # only labels outside the target were seen: the image holds none of the target's objects
        return out.result() if self.place_empty(out, parsed) else None

    def place_empty(self, out: Out, parsed: Parsed) -> bool:
        """Keep the image annotated as empty (no annotations); False = leave it unannotated.

        The sink says "empty" its own way (a cluster: the first task's empty label on the
        full-image box), so the target must have that label.
        """
        if out.target.trainable_tasks[0].empty_label() is None:
            out.log.dropped(f"empty image: {self.name} has no empty label")
            return False
        return True

    def fill(self, out: Out, parsed: Parsed, info: SourceInfo, through: bool) -> None:
        """Append the target's annotations for the parsed objects and image-level labels."""
        raise NotImplementedError

    # ------------------------------------------------------------------ dry run

    def plan(self, source: Project, target: Project) -> list[str]:
        lines = [f"project type: {source.project_type or 'none'} → {target.project_type}"]
        for task in target.trainable_tasks:
            names = ", ".join(
                lb.name + (" (empty)" if lb.is_empty else "") + (" (anomalous)" if lb.is_anomalous else "")
                for lb in task.labels
            )
            lines.append(f"task {task.title!r} ({task.task_type}): {names}")
        if self.passthrough(source):
            lines.append("scenes pass through: shapes are only clipped to the image where needed")
        else:
            lines.extend(self.rules)
        lines.append("shapes slightly outside the image are clipped; degenerate shapes "
                     "(zero area, fewer than 3 points) are dropped")
        lines.append("labels not in the target are dropped (matched by name)")
        lines.extend(self.extra_plan(source, target))
        return lines

    def extra_plan(self, source: Project, target: Project) -> list[str]:
        return []


def need_labels(labels: list[Any], what: str, source: Project, at_least: int = 1) -> None:
    """A clear error when the source gives too few labels for a task."""
    if len(labels) < at_least:
        have = ", ".join(getattr(lb, "name", str(lb)) for lb in labels) or "none"
        raise InputError(
            f"project {source.name!r}: {what} needs at least {at_least} label(s) from the source; found: {have}"
        )
