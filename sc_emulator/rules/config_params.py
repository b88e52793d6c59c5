"""The configurable parameters of an emulated project, shared by both configuration styles (docs/rest-api.md §11).

One table describes every parameter once: its value in the per-project ``state`` dict, its place in the
legacy "configurable parameters" documents (component, optional group, name) and its place in the new
``project_configuration`` / ``training_configuration`` documents (section, key). Both styles read and
write the same state, so a change through one is visible through the other.

State layout (what :func:`default_state` returns)::

    {"global": {"use_ndr": False, "inter_task_reduce_fn": "mean", "project_max_unseen_media": 250},
     "tasks": {<task id>: {"auto_training": True, "enable_dynamic_required_annotations": True,
                           "required_images_auto_training": 12, "min_images_per_label": 0, ...,
                           "batch_size": 8, "learning_rate": 0.004, "max_num_epochs": 200, ...,
                           "model_storage_id": <24 hex>}}}

Hyper-parameter defaults depend on the task type (the emulator's own realistic choice; it cannot train).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .checks import as_bool
from .errors import bad_request
from .labels import TRAINABLE_TASKS

__all__ = ["Param", "TASK_PARAMS", "GLOBAL_PARAMS", "HYPER_GROUP", "default_state", "task_defaults", "derived_id",
           "coerce"]

HYPER_GROUP = "learning_parameters"


@dataclass(frozen=True)
class Param:
    """One configurable parameter (see the module docstring)."""

    key: str                                    # key in the state dict
    data_type: str                              # integer | float | boolean | string
    header: str
    description: str
    min_value: float | None = None
    max_value: float | None = None
    options: tuple[str, ...] = ()
    legacy: tuple[str, str | None, str] | None = None   # (component or HYPER_GROUP, group, name)
    new: tuple[str, str, str] | None = None             # (document "project"|"training", section path, key)

    @property
    def new_type(self) -> str:
        """The type name of the new configuration API."""
        if self.options:
            return "enum"
        return {"integer": "int", "float": "float", "boolean": "bool", "string": "string"}[self.data_type]


_SPLIT = "dataset_preparation.subset_split"
TASK_PARAMS: tuple[Param, ...] = (
    Param("auto_training", "boolean", "Auto-training", "Start training automatically when enough new "
          "annotations exist", legacy=("TASK_NODE", None, "auto_training"), new=("project", "auto_training", "enable")),
    Param("enable_dynamic_required_annotations", "boolean", "Dynamic required annotations",
          "Adapt the number of annotations required for auto-training to the model's performance",
          legacy=("DATASET_COUNTER", None, "use_dynamic_required_annotations"),
          new=("project", "auto_training", "enable_dynamic_required_annotations")),
    Param("required_images_auto_training", "integer", "Number of images required for auto-training",
          "New annotated images per label needed before auto-training starts", 3, 10000,
          legacy=("DATASET_COUNTER", None, "required_images_auto_training"),
          new=("project", "auto_training", "min_images_per_label")),
    Param("label_constraint_first_training", "boolean", "Label constraint for the first training",
          "Require annotations for every label before the first training",
          legacy=("DATASET_COUNTER", None, "label_constraint_first_training")),
    Param("min_images_per_label", "integer", "Minimum images per label",
          "Images per label a training needs (0 = no constraint)", 0, 10000,
          new=("project", "training.constraints", "min_images_per_label")),
    Param("task_max_unseen_media", "integer", "Number of images analysed after training for active learning",
          "Unannotated media scored after each training", 1, 10000,
          legacy=("TASK_ACTIVE_LEARNING", None, "max_unseen_media")),
    Param("auto_subset_fractions", "boolean", "Automatically determine subset proportions",
          "Let the server choose the train/validation/test split", legacy=("SUBSET_MANAGER", None,
                                                                           "auto_subset_fractions"),
          new=("training", _SPLIT, "auto_selection")),
    Param("train_proportion", "float", "Training percentage", "Share of media in the training subset", 0.01, 0.98,
          legacy=("SUBSET_MANAGER", "subset_parameters", "train_proportion"), new=("training", _SPLIT, "training")),
    Param("validation_proportion", "float", "Validation percentage", "Share of media in the validation subset",
          0.01, 0.98, legacy=("SUBSET_MANAGER", "subset_parameters", "validation_proportion"),
          new=("training", _SPLIT, "validation")),
    Param("test_proportion", "float", "Test percentage", "Share of media in the test subset", 0.01, 0.98,
          legacy=("SUBSET_MANAGER", "subset_parameters", "test_proportion"), new=("training", _SPLIT, "test")),
    Param("batch_size", "integer", "Batch size", "Images per training step", 1, 512,
          legacy=(HYPER_GROUP, None, "batch_size"), new=("training", "training", "batch_size")),
    Param("learning_rate", "float", "Learning rate", "Initial learning rate of the optimiser", 1e-07, 0.1,
          legacy=(HYPER_GROUP, None, "learning_rate"), new=("training", "training", "learning_rate")),
    Param("max_num_epochs", "integer", "Maximum number of epochs", "Upper bound of training epochs", 1, 1000,
          legacy=(HYPER_GROUP, None, "max_num_epochs"), new=("training", "training", "max_epochs")),
    Param("enable_lr_finder", "boolean", "Automatic learning-rate finder", "Search a learning rate before training",
          legacy=(HYPER_GROUP, None, "enable_lr_finder")),
    Param("early_stopping_patience", "integer", "Early-stopping patience",
          "Epochs without improvement before training stops", 1, 100,
          legacy=(HYPER_GROUP, None, "early_stop_patience"), new=("training", "training", "early_stopping_patience")),
)
GLOBAL_PARAMS: tuple[Param, ...] = (
    Param("use_ndr", "boolean", "Use near-duplicate removal", "Drop near-duplicate media from training",
          legacy=("PIPELINE_DATASET_MANAGER", None, "use_ndr")),
    Param("inter_task_reduce_fn", "string", "Inter-task score reduction", "How active-learning scores of the "
          "tasks of a chain are combined", options=("mean", "max", "min"),
          legacy=("PROJECT_ACTIVE_LEARNING", None, "inter_task_reduce_fn")),
    Param("project_max_unseen_media", "integer", "Number of media analysed for active learning",
          "Unannotated media scored for the whole project", 1, 10000,
          legacy=("PROJECT_ACTIVE_LEARNING", None, "max_unseen_media")),
)

# task type → (batch_size, learning_rate): typical values of the default models of each task type.
_HYPER_DEFAULTS = {
    "classification": (32, 0.0049), "detection": (8, 0.004), "rotated_detection": (8, 0.007),
    "segmentation": (8, 0.001), "instance_segmentation": (4, 0.007), "anomaly": (32, 0.001),
    "keypoint_detection": (16, 0.001),
}


def derived_id(*parts: str) -> str:
    """A stable 24-hex id derived from ``parts`` (component and model-storage ids need no storage)."""
    return hashlib.sha256("/".join(parts).encode("utf-8")).hexdigest()[:24]


def task_defaults(task: dict[str, Any]) -> dict[str, Any]:
    """The configuration values of a new task of this type."""
    batch, rate = _HYPER_DEFAULTS[task["task_type"]]
    return {"auto_training": True, "enable_dynamic_required_annotations": True,
            "required_images_auto_training": 12, "label_constraint_first_training": False,
            "min_images_per_label": 0, "task_max_unseen_media": 250, "auto_subset_fractions": True,
            "train_proportion": 0.7, "validation_proportion": 0.2, "test_proportion": 0.1,
            "batch_size": batch, "learning_rate": rate, "max_num_epochs": 200, "enable_lr_finder": False,
            "early_stopping_patience": 10, "model_storage_id": derived_id(task["id"], "model_storage")}


def default_state(project: dict[str, Any]) -> dict[str, Any]:
    """The configuration state of a new project: defaults for the project and each trainable task."""
    return {"global": {"use_ndr": False, "inter_task_reduce_fn": "mean", "project_max_unseen_media": 250},
            "tasks": {t["id"]: task_defaults(t) for t in project["pipeline"]["tasks"]
                      if t["task_type"] in TRAINABLE_TASKS}}


def _float_ok(value: int | float) -> bool:
    """A JSON integer with hundreds of digits is no float: refuse it instead of overflowing later."""
    try:
        float(value)
    except OverflowError:
        return False
    return True


def coerce(param: Param, value: Any, name: str) -> Any:
    """Check a value sent for ``param`` (called ``name`` in the request) and return it in the state type."""
    kind = param.data_type
    if kind == "boolean":
        try:
            return as_bool(value, name)
        except Exception:
            raise bad_request(f"Invalid value {value!r} for parameter '{name}': expected a boolean") from None
    if kind == "string":
        if not isinstance(value, str) or (param.options and value not in param.options):
            allowed = f"one of {list(param.options)}" if param.options else "a string"
            raise bad_request(f"Invalid value {value!r} for parameter '{name}': expected {allowed}")
        return value
    number_ok = isinstance(value, (int, float)) and not isinstance(value, bool) and _float_ok(value)
    if kind == "integer" and number_ok and float(value).is_integer():
        value = int(value)
    elif kind == "float" and number_ok:
        value = float(value)
    else:
        expected = "an integer" if kind == "integer" else "a number"
        raise bad_request(f"Invalid value {value!r} for parameter '{name}': expected {expected}")
    if (param.min_value is not None and value < param.min_value) or (
            param.max_value is not None and value > param.max_value):
        raise bad_request(f"Invalid value {value!r} for parameter '{name}': must be between {param.min_value:g} "
                          f"and {param.max_value:g}")
    return value
