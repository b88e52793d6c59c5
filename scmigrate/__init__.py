"""scmigrate: back up, restore, migrate and seed SC / Intel Geti computer-vision projects.

The public API for plugin authors and scripts. Importing it loads no plugin and no Datumaro.
"""

from __future__ import annotations

import pluggy

from .api import (
    ConversionLog,
    Converter,
    PluginOption,
    Reader,
    RunOptions,
    SizeHint,
    Sink,
    Source,
    WriteResult,
    Writer,
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

__version__ = "0.1.0"

#: Marks a plugin's hook implementations: ``@scmigrate.hookimpl def register_sources(register): ...``
hookimpl = pluggy.HookimplMarker("scmigrate")



def transfer(from_: str, to: str, **options: object) -> "Report":  # noqa: F821 - lazy import below
    """Move a project: ``scmigrate.transfer(from_="coco:x.json", to="x.scz", labels="dog")``.

    See :func:`scmigrate.engine.facade.transfer`; imported lazily so ``import scmigrate`` stays light.
    """
    from .engine.facade import transfer as _transfer

    return _transfer(from_, to, **options)  # type: ignore[arg-type]


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
