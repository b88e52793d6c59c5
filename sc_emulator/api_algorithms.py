"""Supported algorithms (docs/rest-api.md §3.7): the model architectures a task can train.

Global (``{api}/supported_algorithms``) up to Geti 1.8 and on SC 1.x, per project
(``{P}/supported_algorithms``) from Geti 1.9 on. geti-sdk 1.x reads this list whenever it opens a project's
configuration or models (a download does), and builds each entry into an object of fixed fields: the keys
below are exactly those of each era (1.x ``algorithm_name``; 1.9 adds the recommendation keys; 2.x ``name``).
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from .records import project_record
from .web import API, PROJ, Call, endpoint

# (task type, model template id, name, size in MB, GFLOPs, category): one fast and one accurate per task
_CATALOGUE = [
    ("detection", "Custom_Object_Detection_Gen3_ATSS", "MobileNetV2-ATSS", "9.1", 20.6, "balance"),
    ("detection", "Custom_Object_Detection_YOLOX", "YOLOX", "20.4", 6.5, "speed"),
    ("rotated_detection", "Custom_Rotated_Detection_via_Instance_Segmentation_MaskRCNN_ResNet50",
     "MaskRCNN-ResNet50", "177.9", 533.8, "accuracy"),
    ("segmentation", "Custom_Semantic_Segmentation_Lite-HRNet-18-mod2_OCR", "Lite-HRNet-18-mod2", "4.8", 3.6,
     "balance"),
    ("instance_segmentation", "Custom_Counting_Instance_Segmentation_MaskRCNN_ResNet50", "MaskRCNN-ResNet50",
     "177.9", 533.8, "accuracy"),
    ("classification", "Custom_Image_Classification_EfficinetNet-B0", "EfficientNet-B0", "4.09", 0.81, "balance"),
    ("classification", "Custom_Image_Classification_MobileNet-V3-large-1x", "MobileNet-V3-large-1x", "2.97", 0.44,
     "speed"),
    ("anomaly", "ote_anomaly_padim", "PADIM", "4.6", 3.9, "speed"),
    ("keypoint_detection", "Keypoint_Detection_RTMPose_Tiny", "RTMPose-Tiny", "3.3", 0.9, "balance"),
]
_OLD_ANOMALY = ("anomaly_classification", "anomaly_detection", "anomaly_segmentation")


def _entries(call: Call) -> list[dict[str, Any]]:
    emu = call.emu
    out = []
    for task_type, template, name, size, gflops, category in _CATALOGUE:
        # Task types as geti-sdk's enum has them: the merged "anomaly" from 2.5 (before, each anomaly type had
        # the algorithms of its own), keypoint detection from 2.10; an unknown one fails its whole download.
        if task_type == "keypoint_detection" and not emu.at_least("2.10.0"):
            continue
        types = _OLD_ANOMALY if task_type == "anomaly" and not emu.at_least("2.5.0") else (task_type,)
        for shown in types:
            first = template == next(t for k, t, *_ in _CATALOGUE if k == task_type)
            if emu.at_least("2.0.0"):
                entry = {"name": name, "task_type": shown, "model_template_id": template, "model_size": size,
                         "gigaflops": gflops, "summary": f"{name} for {shown}", "default_algorithm": first,
                         "performance_category": category, "lifecycle_stage": "active"}
            else:
                entry = {"algorithm_name": name, "model_size": size, "model_template_id": template,
                         "gigaflops": gflops, "summary": f"{name} for {shown}", "task_type": shown,
                         "supports_auto_hpo": False}
                if emu.at_least("1.9.0"):
                    entry.update(recommended_choice=first, performance_category=category, lifecycle_stage="active")
            out.append(entry)
    wanted = call.query.get("task_type")
    return [e for e in out if not wanted or e["task_type"] == wanted.lower()]


@endpoint
def global_algorithms(call: Call) -> dict[str, Any]:
    return {"supported_algorithms": _entries(call)}


@endpoint
def project_algorithms(call: Call) -> dict[str, Any]:
    project_record(call)
    return {"supported_algorithms": _entries(call)}


ROUTES = [  # each dialect keeps one of the two (dialects.py)
    Route(API + "/supported_algorithms", global_algorithms, methods=["GET"]),
    Route(PROJ + "/supported_algorithms", project_algorithms, methods=["GET"]),
]
