"""The interchange model: the records that pass from a source, through converters, to a sink.

Every record has a JSON form (``to_dict``/``from_dict``) that validates against the schemas
in ``archive_spec/v1/``; the archive stores exactly these documents. Labels are referred to by
**name** everywhere in this model: ids of any cluster never leak into it (they travel only in
``source_id`` fields, for the report's id map). Coordinates are pixels of the original media.
An image annotated as empty is a scene with no annotations, one not annotated has no scene
(:mod:`.scene` says how a cluster's empty label maps to this). :func:`fit` fits a shape to its image.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): plugins may import it.
"""

from __future__ import annotations

from .fitting import MAX_POLYGON_POINTS, Fitted, fit, min_area_rotated
from .media import Item, Media, ModelArtifact, ModelFile
from .project import (
    GLOBAL_TASK_TYPES,
    TASK_TYPES,
    TRAINABLE_TASK_TYPES,
    Configuration,
    Dataset,
    Label,
    Project,
    Task,
)
from .scene import (
    SHAPE_TYPES,
    Annotation,
    RangeLabel,
    Scene,
    ScoredLabel,
    Shape,
    read_empty_mark,
)

__all__ = [
    "TASK_TYPES", "TRAINABLE_TASK_TYPES", "GLOBAL_TASK_TYPES", "SHAPE_TYPES",
    "Label", "Task", "Dataset", "Configuration", "Project",
    "Media", "Shape", "ScoredLabel", "Annotation", "Scene", "RangeLabel", "Item", "ModelFile", "ModelArtifact",
    "read_empty_mark", "MAX_POLYGON_POINTS", "Fitted", "fit", "min_area_rotated",
]
