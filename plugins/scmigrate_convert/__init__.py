"""Converters: fit a source project and its scenes to one target project type (``--project-type``).

One converter per type: detection, rotated_detection, segmentation, instance_segmentation,
classification, anomaly, keypoint_detection and the chains detection_to_segmentation and
detection_to_classification. Each builds the target pipeline (labels, empty labels, groups),
rewrites scenes into it and tallies every conversion and every loss in the ConversionLog.
"""

from __future__ import annotations

from collections.abc import Callable

import scmigrate

from .anomaly import AnomalyConverter
from .chains import DetectionToClassification, DetectionToSegmentation
from .classification import ClassificationConverter
from .detection import DetectionConverter, RotatedDetectionConverter
from .keypoint import KeypointConverter
from .segmentation import InstanceSegmentationConverter, SegmentationConverter

__all__ = ["CONVERTERS", "register_converters"]

CONVERTERS = (
    DetectionConverter,
    RotatedDetectionConverter,
    SegmentationConverter,
    InstanceSegmentationConverter,
    ClassificationConverter,
    AnomalyConverter,
    KeypointConverter,
    DetectionToSegmentation,
    DetectionToClassification,
)


@scmigrate.hookimpl
def register_converters(register: Callable[[type], None]) -> None:
    """Register one converter per target project type."""
    for cls in CONVERTERS:
        register(cls)
