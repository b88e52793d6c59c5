"""What the source's labels mean, and the labels, tasks and settings of a target project.

Labels are matched by **name** only (so ``--label-map`` renames carry through), empty labels
by their ``is_empty`` flag, never by name (the cluster spelled them "No Object" and "No object").
A label a scene uses but the source project does not declare is treated as an object label.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
from dataclasses import dataclass, field

from scmigrate.errors import InputError
from scmigrate.model import Configuration, Dataset, Label, Project, Task

__all__ = [
    "LOCAL_TYPES",
    "ANOMALY_TYPES",
    "TITLES",
    "SourceInfo",
    "color_for",
    "empty_label",
    "local_labels",
    "object_labels",
    "structure_names",
    "build_project",
    "check_unique",
]

#: Task types whose labels sit on local shapes (boxes, outlines).
LOCAL_TYPES = ("detection", "rotated_detection", "segmentation", "instance_segmentation")
#: The anomaly task of 2.x and the three older anomaly task types it replaced.
ANOMALY_TYPES = ("anomaly", "anomaly_classification", "anomaly_detection", "anomaly_segmentation")
#: Default task titles (a task of the same type in the source keeps its own title).
TITLES = {
    "detection": "Detection",
    "rotated_detection": "Rotated detection",
    "segmentation": "Segmentation",
    "instance_segmentation": "Instance segmentation",
    "classification": "Classification",
    "anomaly": "Anomaly",
    "keypoint_detection": "Keypoint detection",
}
#: The name of the empty label SC adds to each task type. Classification's is conditional.
EMPTY_LABELS = {
    "detection": "No object",
    "rotated_detection": "No object",
    "segmentation": "Empty",
    "instance_segmentation": "Empty",
    "classification": "No class",
}
# A fixed palette so that a label without a colour gets the same one on every run.
_PALETTE = (
    "#1f77b4ff", "#ff7f0eff", "#2ca02cff", "#d62728ff", "#9467bdff", "#8c564bff", "#e377c2ff",
    "#7f7f7fff", "#bcbd22ff", "#17becfff", "#5b69ffff", "#ff5662ff", "#26518eff", "#c9e649ff",
    "#00a5e3ff", "#f7dab3ff", "#708541ff", "#e96115ff", "#9b5de5ff", "#3d9970ff",
)


def color_for(name: str) -> str:
    """A deterministic colour for a label that has none (the same name → the same colour)."""
    digest = hashlib.sha1(name.encode("utf-8")).digest()
    return _PALETTE[digest[0] % len(_PALETTE)]


@dataclass
class SourceInfo:
    """The source project's labels indexed by name, with their role.

    Roles: ``empty`` (an is_empty label), ``class`` (classification), ``anomaly`` (any anomaly
    task; ``Label.is_anomalous`` tells Normal from Anomalous), ``keypoint``, ``object``
    (detection/segmentation labels, and labels of sources without a trainable task).
    ``level`` is 0 for the first trainable task, 1 for the second task of a chain.
    """

    project: Project
    labels: dict[str, Label] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)
    level: dict[str, int] = field(default_factory=dict)
    task_types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, project: Project) -> SourceInfo:
        info = cls(project)
        trainable = [t for t in project.tasks if t.task_type not in ("dataset", "crop")]
        for task in project.tasks:
            level = trainable.index(task) if task in trainable else 0
            for lb in task.labels:
                if lb.name in info.labels:
                    continue
                info.labels[lb.name] = lb
                info.level[lb.name] = level
                info.task_types[lb.name] = task.task_type
                info.roles[lb.name] = _role(task.task_type, lb)
        return info

    def role(self, name: str) -> str:
        return self.roles.get(name, "object")

    def is_anomalous(self, name: str) -> bool:
        lb = self.labels.get(name)
        return bool(lb and lb.is_anomalous)

    def tasks_of_type(self, *types: str) -> list[Task]:
        return [t for t in self.project.tasks if t.task_type in types]

    def title_for(self, task_type: str, taken: set[str]) -> str:
        """The title of the source's task of this type, else the default title; unique in ``taken``."""
        same = self.tasks_of_type(task_type)
        title = same[0].title if same else TITLES[task_type]
        base, n = title, 2
        while title in taken:
            title, n = f"{base} {n}", n + 1
        taken.add(title)
        return title


def _role(task_type: str, lb: Label) -> str:
    if lb.is_empty:
        return "empty"
    if task_type == "classification":
        return "class"
    if task_type in ANOMALY_TYPES:
        return "anomaly"
    if task_type == "keypoint_detection":
        return "keypoint"
    return "object"


def object_labels(info: SourceInfo, target_type: str) -> list[Label]:
    """The source labels a local target task (detection, segmentation, ...) is built from.

    A source task of the target's own type wins (pass-through); otherwise the first local task of
    the source (a detection→segmentation source gives its detection labels); a source without a
    local task gives every object label it declares (e.g. a dataset with labels only).
    """
    same = info.tasks_of_type(target_type)
    local = same or info.tasks_of_type(*LOCAL_TYPES)
    if local:
        return [lb for lb in local[0].labels if not lb.is_empty]
    found = [info.labels[n] for n, r in info.roles.items() if r == "object"]
    if found:
        return found
    # a keypoint source may also label whole objects (COCO's "person" boxes around the points)
    return [lb for t in info.tasks_of_type("keypoint_detection") for lb in t.labels
            if not lb.is_empty and lb.name not in structure_names(t.keypoint_structure)]


def structure_names(structure: dict | None) -> set[str]:
    """The labels a keypoint structure names (its positions and edge ends)."""
    structure = structure or {}
    names = {p.get("label") for p in structure.get("positions", [])}
    names |= {n for e in structure.get("edges", []) for n in e.get("nodes", [])}
    return {n for n in names if isinstance(n, str)}


def empty_label(task_type: str, info: SourceInfo, group: str | None = None) -> Label:
    """The empty label of a task, reusing the source's own (colour, hotkey, name) for the same type."""
    for task in info.tasks_of_type(task_type):
        src = task.empty_label()
        if src is not None:
            return dataclasses.replace(src)
    name = EMPTY_LABELS[task_type]
    # The colour SC itself gives empty labels; the group is the label's own.
    return Label(name=name, color="#000000ff", group=group or name, hotkey="", is_empty=True)


def local_labels(sources: list[Label], group: str, rename: str = "{}") -> list[Label]:
    """Labels of a local task made from source labels: colours and hotkeys kept.

    ``rename`` formats the new name (``"{} shape"``); a renamed label gets its own deterministic
    colour and no hotkey (the source's hotkey stays with the original name). Groups are the
    source's when it had one, else ``group``; a parent is kept only if it is in the same task.
    """
    names = {rename.format(lb.name) for lb in sources}
    out = []
    for lb in sources:
        name = rename.format(lb.name)
        same = name == lb.name
        parent = rename.format(lb.parent) if lb.parent else None
        out.append(Label(
            name=name,
            color=(lb.color or color_for(name)) if same else color_for(name),
            group=(lb.group or group) if same else group,
            parent=parent if parent in names else None,
            hotkey=lb.hotkey if same else "",
        ))
    return out


def check_unique(tasks: list[Task]) -> None:
    """SC wants label names unique in a project: say which one clashes."""
    seen: dict[str, str] = {}
    for task in tasks:
        for lb in task.labels:
            if lb.name in seen:
                raise InputError(
                    f"label {lb.name!r} would be in both {seen[lb.name]!r} and {task.title!r}; "
                    "rename it with --label-map"
                )
            seen[lb.name] = task.title


def _carry_configuration(source: Project, target_tasks: list[Task], same_pipeline: bool) -> Configuration:
    """Settings keyed by task title are kept for target tasks of the same title and type."""
    src_types = {t.title: t.task_type for t in source.tasks}
    keep = {t.title for t in target_tasks if src_types.get(t.title) == t.task_type}
    cfg = source.configuration
    return Configuration(
        auto_training={k: v for k, v in cfg.auto_training.items() if k in keep},
        training_parameters={k: dict(v) for k, v in cfg.training_parameters.items() if k in keep},
        # The cluster's own documents describe the whole pipeline: valid only if it is unchanged.
        raw=copy.deepcopy(cfg.raw) if same_pipeline else {},
    )


def build_project(source: Project, tasks: list[Task], target_type: str) -> Project:
    """The target project: the chain of ``tasks``, with the source's name, datasets and settings."""
    if not source.datasets:
        datasets = [Dataset("Dataset", True)]
    else:
        datasets = [Dataset(d.name, d.use_for_training, d.source_id) for d in source.datasets]
    check_unique(tasks)
    same = source.project_type == target_type
    return Project.chain(
        source.name,
        *tasks,
        datasets=datasets,
        configuration=_carry_configuration(source, tasks, same),
        origin=dict(source.origin),
    )
