"""Folder sources: the Vitens/NOUS folder, the classification folder and the SDK download folder.

``vitens:DIR``, ``folders:DIR`` and ``sdk-folder:DIR``. The source classes import only
scmigrate's public API; Pillow and PyAV are imported when a folder is read.
"""

from __future__ import annotations

from typing import Callable

import scmigrate

from .classfolders import ClassFoldersSource
from .sdk_folder import SdkFolderSource
from .vitens import VitensSource

__all__ = ["VitensSource", "ClassFoldersSource", "SdkFolderSource", "register_sources"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    """Provide the three folder sources."""
    register(VitensSource)
    register(ClassFoldersSource)
    register(SdkFolderSource)
