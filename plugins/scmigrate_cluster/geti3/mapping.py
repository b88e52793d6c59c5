"""Which Geti 3.x project(s) an interchange project becomes, decided before anything is written.

A 3.x project has one task (``detection``, ``instance_segmentation`` or ``classification``, the
latter multi-class or multi-label) and one flat label list. :func:`plan_targets` maps the source's
pipeline onto that, task by task, and says in plan lines what it converts and what it loses (the
losses are what ``--strict`` refuses). Ids: a target project's id is a UUIDv5 of the source's
identity and the target's name, and each label's a UUIDv5 of that project id and the label's
name — stable when a run is repeated (an unknown outcome of the create is found again by id) but
distinct for two copies of one project on one server, where label ids must be unique.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from scmigrate.errors import InputError
from scmigrate.model import Label, Project, Task

__all__ = ["TargetLabel", "Target", "Mapping", "plan_targets", "NAMESPACE", "NAME_MAX"]

#: the namespace of every id scmigrate chooses on a Geti 3.x server
NAMESPACE = uuid.UUID("6f0e3c52-8d4b-5a1e-9f27-3b8c1d2e4a60")
NAME_MAX = 50
_COLOUR = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})([0-9A-Fa-f]{2})?$")


@dataclass
class TargetLabel:
    name: str
    id: str
    color: str | None = None
    hotkey: str | None = None

    def create(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.color:
            body["color"] = self.color
        if self.hotkey:
            body["hotkey"] = self.hotkey
        return body


@dataclass
class Target:
    """One 3.x project to create, and how the source's scenes become its annotations.

    ``scenes`` is ``"box"`` (rectangles), ``"outline"`` (polygons) or ``"global"`` (one
    ``full_image`` annotation); ``labels_from`` names the source labels whose shapes it takes
    (by source name → target name: hierarchical classification keeps leaves only).
    """

    name: str
    id: str
    task_type: str
    exclusive: bool
    labels: list[TargetLabel]
    source_task: str
    scenes: str
    labels_from: dict[str, str] = field(default_factory=dict)

    def create_body(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name,
                "task": {"task_type": self.task_type, "exclusive_labels": self.exclusive,
                         "labels": [lb.create() for lb in self.labels]}}

    def label_id(self, source_name: str) -> str | None:
        name = self.labels_from.get(source_name)
        return next((lb.id for lb in self.labels if lb.name == name), None) if name else None


@dataclass
class Mapping:
    targets: list[Target]
    lines: list[str]
    losses: list[str]

    def refuse_losses(self, label: str) -> None:
        """``--strict``: any loss the mapping already knows of is an error."""
        if self.losses:
            more = f" (and {len(self.losses) - 1} more)" if len(self.losses) > 1 else ""
            raise InputError(f"{label}: moving to Geti 3.x would lose: {self.losses[0]}{more} (--strict)")


def project_uuid(project: Project, target_name: str) -> str:
    origin = project.origin or {}
    source = str(origin.get("project_id") or f"{origin.get('url', '')}/{project.name}")
    return str(uuid.uuid5(NAMESPACE, f"{source}\x1f{target_name}"))


def colour(value: str | None, name: str, losses: list[str]) -> str | None:
    """``#rrggbbaa`` → ``#rrggbb`` (3.x takes no alpha); a translucent one is a reported loss."""
    if not value:
        return None
    m = _COLOUR.match(value)
    if m is None:
        losses.append(f"label {name!r}: colour {value!r} is not #RRGGBB (the server picks one)")
        return None
    if m.group(2) is not None and m.group(2).lower() != "ff":
        losses.append(f"label {name!r}: the transparency of colour {value} (3.x colours are opaque)")
    return "#" + m.group(1)


def _labels(keep: list[Label], pid: str, losses: list[str]) -> list[TargetLabel]:
    out: list[TargetLabel] = []
    hotkeys: set[str] = set()
    for lb in keep:
        if len(lb.name) > NAME_MAX:
            raise InputError(f"label {lb.name[:20]!r}...: Geti 3.x takes label names of at most {NAME_MAX} characters;"
                             " rename it with --label-map")
        hotkey = lb.hotkey or None
        if hotkey and hotkey in hotkeys:
            losses.append(f"label {lb.name!r}: hotkey {hotkey!r} (another label of the project has it)")
            hotkey = None
        if hotkey:
            hotkeys.add(hotkey)
        out.append(TargetLabel(lb.name, str(uuid.uuid5(uuid.UUID(pid), lb.name)), colour(lb.color, lb.name, losses),
                               hotkey))
    return out


def _groups(labels: list[Label]) -> list[str]:
    return list(dict.fromkeys(lb.group or lb.name for lb in labels))


def _classification(task: Task, chained: bool, lines: list[str], losses: list[str]) -> tuple[bool, list[Label]]:
    """``(exclusive, labels kept)`` for a 2.x classification task."""
    labels = [lb for lb in task.labels if not lb.is_empty]
    parents = {lb.parent for lb in labels if lb.parent}
    if chained:
        lines.append(f"{task.title}: the classes of the boxes become multi-label classes of the whole image")
        losses.append(f"{task.title}: which box carried which class (3.x classifies whole images)")
        return False, labels
    if parents:
        leaves = [lb for lb in labels if lb.name not in parents]
        lines.append(f"{task.title}: hierarchical → multi-class with the leaf labels "
                     f"({', '.join(lb.name for lb in leaves)}); an image is classified by its deepest label")
        losses.append(f"{task.title}: the parent labels {', '.join(sorted(parents))} (3.x has no hierarchy)")
        return True, leaves
    groups = _groups(labels)
    if len(groups) == 1 and len(labels) >= 2:
        lines.append(f"{task.title}: multi-class (one label per image)")
        return True, labels
    if len(groups) == len(labels):
        lines.append(f"{task.title}: multi-label (any labels per image; none = reviewed empty)")
        return False, labels
    lines.append(f"{task.title}: {len(groups)} label groups → one multi-label list")
    losses.append(f"{task.title}: the exclusivity of the label groups {', '.join(groups)}")
    return False, labels


def _target(project: Project, task: Task, name: str, chained: bool, lines: list[str],
            losses: list[str]) -> Target:
    pid = project_uuid(project, name)
    kind = task.task_type
    keep = [lb for lb in task.labels if not lb.is_empty]
    exclusive = False
    if kind == "keypoint_detection":
        raise InputError(f"{task.title}: keypoint detection cannot move to Geti 3.x (it has no keypoint task); "
                         "keep the project on Geti 2.x or back it up to a .scz archive")
    if kind == "detection":
        task_type, scenes = "detection", "box"
    elif kind in ("instance_segmentation", "segmentation", "rotated_detection"):
        task_type, scenes = "instance_segmentation", "outline"
        if kind == "segmentation":
            lines.append(f"{task.title}: semantic segmentation → instance segmentation (each polygon an instance)")
        if kind == "rotated_detection":
            lines.append(f"{task.title}: rotated detection → instance segmentation, each rotated box a 4-point "
                         "polygon (default; --project-type detection keeps their bounding boxes instead)")
    elif kind == "classification":
        task_type, scenes = "classification", "global"
        exclusive, keep = _classification(task, chained, lines, losses)
    elif kind == "anomaly":
        task_type, scenes, exclusive = "classification", "global", True
        lines.append(f"{task.title}: anomaly → multi-class classification with the labels "
                     f"{' / '.join(lb.name for lb in keep)} (3.x has no anomaly task)")
        losses.append(f"{task.title}: which label means anomalous, and any anomaly boxes or masks")
    else:
        raise InputError(f"{task.title}: task type {kind!r} has no Geti 3.x counterpart")
    if task_type == "classification" and exclusive and len(keep) < 2:
        exclusive = False  # a 3.x multi-class project needs two labels
    empties = [lb.name for lb in task.labels if lb.is_empty]
    if empties:
        lines.append(f"{task.title}: the empty label {', '.join(repr(n) for n in empties)} is not created; an image "
                     "annotated as empty becomes reviewed with no annotations"
                     + (" (not allowed in multi-class: left unannotated, reported)" if exclusive else ""))
    labels = _labels(keep, pid, losses)
    mapped = {lb.name: lb.name for lb in keep}
    return Target(name, pid, task_type, exclusive, labels, task.title, scenes, mapped)


def plan_targets(project: Project, views: bool) -> Mapping:
    """The 3.x project(s) for ``project``; InputError for what cannot move at all (keypoints)."""
    lines: list[str] = []
    losses: list[str] = []
    tasks = project.trainable_tasks
    if not tasks:
        raise InputError(f"{project.name}: the project has no task; Geti 3.x needs one")
    if len(tasks) == 1:
        targets = [_target(project, tasks[0], project.name, False, lines, losses)]
    else:
        lines.append(f"task chain {' → '.join(t.title for t in tasks)}: one Geti 3.x project per task, each with "
                     "the full images and that task's annotations (--project-type TYPE keeps one task instead)")
        targets = [_target(project, t, f"{project.name} · {t.title}", True, lines, losses) for t in tasks]
    groups = {lb.group for t in tasks for lb in t.labels if lb.group and not lb.is_empty}
    if any(t.task_type != "classification" for t in tasks) and len(groups) > len(tasks):
        losses.append(f"label groups ({', '.join(sorted(groups))}): 3.x keeps one flat label list")
    if len(project.datasets) > 1:
        names = ", ".join(d.name for d in project.datasets)
        lines.append(f"datasets {names}: merged into the one dataset" + (", each kept as a dataset view" if views
                     else "; this server has no dataset views, so which media was in which dataset is lost"))
        if not views:
            losses.append(f"the datasets {names} (no dataset views on this server)")
    if (project.configuration.raw.get("geti3") or {}).get("dataset_views") and not views:
        losses.append("the dataset views of the source (this server has none)")
    if project.configuration.training_parameters:
        # not a --strict loss: a 2.x project always has parameters (mostly defaults), and none map
        lines.append("the 2.x training parameters are not carried (3.x has another schema: set those you "
                     "changed again on the server)")
    lines.append("annotations are stored as reviewed (the 3.x REST API stores every annotation so, predictions "
                 "included); video range annotations are not kept (3.x has none; annotated frames are); models "
                 "cannot be imported into 3.x (retrain)")
    for t in targets:
        lines.append(f"→ project {t.name!r} [{t.task_type}{', multi-class' if t.exclusive else ''}] id {t.id}: "
                     + ", ".join(f"{lb.name} {lb.id}" for lb in t.labels))
    lines += [f"loses: {what}" for what in losses]
    return Mapping(targets, lines, losses)
