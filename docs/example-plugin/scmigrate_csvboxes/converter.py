"""``--project-type largest_box_classification``: classify each image by the label of its largest box."""

from __future__ import annotations

from scmigrate import (
    Annotation,
    ConversionLog,
    Converter,
    Label,
    Media,
    Project,
    RunOptions,
    Scene,
    ScoredLabel,
    Shape,
    Task,
)


class LargestBoxClassification(Converter):
    """Turns a detection-like project into a multi-class classification project."""

    name = "largest_box_classification"
    description = "classification: each image gets the label of its largest box"

    def target_project(self, source: Project, options: RunOptions) -> Project:
        # One exclusive group: multi-class classification. Empty labels have no class to become.
        labels = [Label(lb.name, lb.color, group="Classes") for lb in source.labels() if not lb.is_empty]
        return Project.chain(options.project or source.name, Task("Classification", "classification", labels),
                             datasets=source.datasets, origin=source.origin)

    def convert(self, scene: Scene, media: Media, source: Project, target: Project,
                log: ConversionLog) -> Scene | None:
        classes = {lb.name for lb in target.labels()}
        boxes = [a for a in scene.annotations if any(n in classes for n in a.label_names)]
        if not boxes:
            log.dropped("image without boxes: left unannotated")
            return None  # None = leave the media unannotated (no class is known)
        largest = max(boxes, key=lambda a: a.shape.bbox()[2] * a.shape.bbox()[3])
        name = next(n for n in largest.label_names if n in classes)
        log.converted(f"largest {largest.shape.type} → image label")
        if len(boxes) > 1:
            log.dropped("smaller boxes", len(boxes) - 1)  # a loss: an error under --strict
        whole = Shape.rectangle(0, 0, media.width or 0, media.height or 0)
        return Scene([Annotation(whole, [ScoredLabel(name)])], frame=scene.frame)

    def plan(self, source: Project, target: Project) -> list[str]:
        return ["each image: the label of its largest box on the full-image box; smaller boxes dropped"]
