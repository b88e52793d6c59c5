"""Small builders for the converter tests: projects, media and scenes made in code."""

from __future__ import annotations

from scmigrate.api import ConversionLog, RunOptions
from scmigrate.model import Annotation, Label, Media, Project, Scene, ScoredLabel, Shape, Task
from scmigrate_convert import CONVERTERS

W, H = 200, 100
BY_NAME = {c.name: c for c in CONVERTERS}


def converter(name: str):
    """A fresh converter instance (as the registry makes one per run)."""
    return BY_NAME[name]()


def media(w: int | None = W, h: int | None = H, key: str = "img1") -> Media:
    return Media(key=key, kind="image", name=key, filename=f"{key}.jpg", width=w, height=h)


def labels(*names: str, group: str | None = None) -> list[Label]:
    return [Label(n, group=group) for n in names]


def single(task_type: str, names: list[Label] | tuple[str, ...], empty: str | None = None,
           title: str | None = None, name: str = "src", **task_kw) -> Project:
    """A source project with one trainable task (labels given by name or as Label objects)."""
    lbs = [lb if isinstance(lb, Label) else Label(lb) for lb in names]
    if empty:
        lbs.append(Label(empty, color="#000000ff", group=empty, is_empty=True))
    task = Task(title or task_type.capitalize(), task_type, lbs, **task_kw)
    return Project.chain(name, task)


def coco_like(*names: str) -> Project:
    """What a dataset source gives: an instance-segmentation task with plain labels."""
    return single("instance_segmentation", names)


def ann(shape: Shape, *names: str, ann_id: str | None = None) -> Annotation:
    return Annotation(shape, [ScoredLabel(n) for n in names], ann_id)


def rect(x, y, w, h) -> Shape:
    return Shape.rectangle(x, y, w, h)


def poly(*pts) -> Shape:
    return Shape.polygon(list(pts))


def full(*names: str) -> Annotation:
    return ann(rect(0, 0, W, H), *names)


def run(name: str, source: Project, *scenes: Scene, m: Media | None = None, options: RunOptions | None = None,
        survey: bool = False):
    """Build the target and convert each scene: (target, [results], log)."""
    conv = converter(name)
    if survey:
        conv.survey(source, scenes)
    target = conv.target_project(source, options or RunOptions())
    log = ConversionLog()
    results = [conv.convert(s, m or media(), source, target, log) for s in scenes]
    return target, results, log


def names_of(scene: Scene) -> list[list[str]]:
    return [a.label_names for a in scene.annotations]


def task_summary(project: Project) -> list[tuple[str, list[str]]]:
    return [(t.task_type, [lb.name for lb in t.labels]) for t in project.trainable_tasks]
