"""The ``.scz`` archive: a zstd-compressed tar stream with an index (see archive_spec/SPEC.md).

Registers ``archive`` as both a source (``--from backup.scz``) and a sink (``--to backup.scz``).
Only this module is imported when plugins load; the codec lives in submodules imported on open.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import scmigrate
from scmigrate.api import PluginOption, Reader, RunOptions, Sink, Source, Writer

__all__ = ["ArchiveSink", "ArchiveSource", "register_sinks", "register_sources"]


class ArchiveSource(Source):
    """Reads a ``.scz`` archive written by ``--to x.scz`` (any 1.x format version)."""

    name = "archive"
    suffixes = (".scz",)
    location_help = "PATH.scz"
    description = "scmigrate archive (.scz): project, media, annotations and models"
    options = (PluginOption("salvage", bool, False,
                            "archive source: if its index is incomplete or damaged, or the archive was cut short, "
                            "read the members a walk of its frames finds instead of refusing"),)

    @classmethod
    def locations_in_folder(cls, folder: str) -> list[str] | None:
        return sorted(str(p) for p in Path(folder).glob("*" + cls.suffixes[0]) if p.is_file())

    def open(self, location: str, options: RunOptions) -> Reader:
        from .reader import ArchiveReader

        return ArchiveReader(Path(location), salvage=bool(options.extra.get("salvage")))


class ArchiveSink(Sink):
    """Writes a ``.scz`` archive; ``--resume`` continues an interrupted one."""

    name = "archive"
    suffixes = (".scz",)
    location_help = "PATH.scz"
    description = "scmigrate archive (.scz): streaming, resumable, content-addressed, verifiable"

    @classmethod
    def location_in_folder(cls, folder: str, stem: str) -> str | None:
        """``--all-projects --to FOLDER``: one archive per project, ``FOLDER/<project>.scz``."""
        return os.path.join(folder, stem + cls.suffixes[0])

    def open(self, location: str, options: RunOptions) -> Writer:
        from .writer import ArchiveWriter

        return ArchiveWriter(Path(location), options)

    def preflight(self, location: str, target: Any, options: RunOptions) -> list[str]:
        """Dry run: the refusals of ``open`` (no folder, an existing file without --resume), writing nothing."""
        from scmigrate.errors import InputError

        path = Path(location)
        if not path.parent.is_dir():
            why = "is not a folder" if path.parent.exists() else "does not exist"
            raise InputError(f"{path}: cannot write (folder {path.parent} {why})")
        if path.exists() and not options.resume:
            raise InputError(f"{path}: already exists; run with --resume to continue it, or remove it")
        if not os.access(path.parent, os.W_OK | os.X_OK):
            raise InputError(f"{path}: cannot write (permission denied)")
        return [f"{path}: continued (--resume)" if path.exists() else f"{path}: a new archive would be written"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    register(ArchiveSource)


@scmigrate.hookimpl
def register_sinks(register: Callable[[type], None]) -> None:
    register(ArchiveSink)
