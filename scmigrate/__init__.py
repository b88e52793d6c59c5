"""scmigrate: back up, restore, migrate and seed SC / Intel Geti computer-vision projects.

The public API for plugin authors and scripts. Importing it loads no plugin and no Datumaro.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

from .api import (
    ConversionLog,
    Converter,
    PluginOption,
    Reader,
    RunOptions,
    Sink,
    SizeHint,
    Source,
    Writer,
    WriteResult,
)
from .errors import InputError, LocationError, PluginError, ScmigrateError, TransferIncomplete
from .model import (
    Annotation,
    Configuration,
    Dataset,
    Item,
    Label,
    Media,
    ModelArtifact,
    ModelFile,
    Project,
    RangeLabel,
    Scene,
    ScoredLabel,
    Shape,
    Task,
)

if TYPE_CHECKING:  # for type checkers; at run time __getattr__ below imports it on first use
    from .engine.facade import transfer

__version__ = "0.1.0"

#: Marks a plugin's hook implementations: ``@scmigrate.hookimpl def register_sources(register): ...``
hookimpl = pluggy.HookimplMarker("scmigrate")


def __getattr__(name: str) -> object:
    """``scmigrate.transfer``, imported on first use so that ``import scmigrate`` stays light.

    It is :func:`scmigrate.engine.facade.transfer`:
    ``scmigrate.transfer(from_="coco:x.json", to="x.scz", labels="dog")``.
    """
    if name == "transfer":
        from .engine.facade import transfer

        return transfer
    raise AttributeError(f"module 'scmigrate' has no attribute {name!r}")


__all__ = [
    "hookimpl",
    "transfer",
    "__version__",
    # classes plugins subclass
    "Source", "Reader", "Sink", "Writer", "Converter",
    "PluginOption", "RunOptions", "SizeHint", "WriteResult", "ConversionLog",
    # the interchange model
    "Project", "Task", "Label", "Dataset", "Configuration", "Media", "Shape", "ScoredLabel",
    "Annotation", "Scene", "RangeLabel", "Item", "ModelArtifact", "ModelFile",
    # errors
    "ScmigrateError", "InputError", "LocationError", "PluginError", "TransferIncomplete",
]
