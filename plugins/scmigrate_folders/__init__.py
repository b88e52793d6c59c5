"""Folder sources: the Vitens/NOUS folder, the classification folder and the SDK download folder.

``vitens:DIR``, ``folders:DIR`` and ``sdk-folder:DIR``; ``sdk-folder:DIR`` is a sink too. The source classes import only
scmigrate's public API; Pillow and PyAV are imported when a folder is read.
"""

from __future__ import annotations

from collections.abc import Callable

import scmigrate

from .classfolders import ClassFoldersSource
from .sdk_folder import SdkFolderSource
from .sdk_folder_sink import SdkFolderSink
from .vitens import VitensSource

__all__ = ["VitensSource", "ClassFoldersSource", "SdkFolderSource", "SdkFolderSink", "register_sources",
           "register_sinks"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    """Provide the three folder sources."""
    register(VitensSource)
    register(ClassFoldersSource)
    register(SdkFolderSource)


@scmigrate.hookimpl
def register_sinks(register: Callable[[type], None]) -> None:
    """Provide the SDK download folder as a sink."""
    register(SdkFolderSink)
