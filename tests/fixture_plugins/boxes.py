"""A converter plugin for tests: ``--project-type boxes`` (detection-like: polygons become boxes)."""

from __future__ import annotations

import dataclasses

import scmigrate
from scmigrate.api import ConversionLog, Converter, RunOptions
from scmigrate.model import Annotation, Media, Project, Scene, Shape, Task


class Boxes(Converter):
    name = "boxes"
    description = "boxes only (test converter)"

    def target_project(self, source: Project, options: RunOptions) -> Project:
        labels = [dataclasses.replace(lb, parent=None, group="boxes") for lb in source.labels() if not lb.is_empty]
        return Project.chain(source.name, Task("Boxes", "detection", labels))

    def convert(self, scene: Scene, media: Media, source: Project, target: Project,
                log: ConversionLog) -> Scene | None:
        out = []
        for ann in scene.annotations:
            if ann.shape.type == "KEYPOINT":
                log.dropped("KEYPOINT: not used by boxes")
                continue
            if ann.shape.type != "RECTANGLE":
                log.converted(f"{ann.shape.type} → RECTANGLE")
            out.append(Annotation(Shape.rectangle(*ann.shape.bbox()), ann.labels))
        return dataclasses.replace(scene, annotations=out)

    def plan(self, source: Project, target: Project) -> list[str]:
        return ["POLYGON, ELLIPSE, ROTATED_RECTANGLE → RECTANGLE (bounding box)", "KEYPOINT → dropped"]


@scmigrate.hookimpl
def register_converters(register):
    register(Boxes)
