"""The ``.scz`` archive: a zstd-compressed tar stream with an index (see archive_spec/SPEC.md).

Registers ``archive`` as both a source (``--from backup.scz``) and a sink (``--to backup.scz``).
Locations are local paths or object-store URLs (``s3://bucket/x.scz``): both go through
:mod:`scmigrate.storage`.
Only this module is imported when plugins load; the codec lives in submodules imported on open.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import scmigrate
from scmigrate.api import PluginOption, Reader, RunOptions, Sink, Source, Writer

__all__ = ["ArchiveSink", "ArchiveSource", "register_sinks", "register_sources"]

_URL_SCZ = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://.+\.scz$", re.IGNORECASE)


def _claims(location: str) -> bool:
    """``scheme://.../x.scz`` for any storage fsspec may know (checked on open), except http(s): those name clusters."""
    return bool(_URL_SCZ.match(location)) and not location.lower().startswith(("http://", "https://"))


class ArchiveSource(Source):
    """Reads a ``.scz`` archive written by ``--to x.scz`` (any 1.x format version)."""

    name = "archive"
    suffixes = (".scz",)
    location_help = "PATH.scz or URL.scz"
    description = "scmigrate archive (.scz): project, media, annotations and models"
    options = (PluginOption("salvage", bool, False,
                            "archive source: if its index is incomplete or damaged, or the archive was cut short, "
                            "read the members a walk of its frames finds instead of refusing"),)

    @classmethod
    def claims(cls, location: str) -> bool:
        return super().claims(location) or _claims(location)

    @classmethod
    def locations_in_folder(cls, folder: str) -> list[str] | None:
        from scmigrate.storage import is_url, storage_for

        if is_url(folder):  # an object store's folder: the archives directly under the prefix
            storage = storage_for(folder)
            return [storage.url(n) for n in storage.list() if "/" not in n and n.endswith(cls.suffixes[0])]
        names = os.listdir(folder) if os.path.isdir(folder) else []
        return sorted(os.path.join(folder, n) for n in names
                      if n.endswith(cls.suffixes[0]) and os.path.isfile(os.path.join(folder, n)))

    def open(self, location: str, options: RunOptions) -> Reader:
        from .reader import ArchiveReader

        return ArchiveReader(location, salvage=bool(options.extra.get("salvage")))


class ArchiveSink(Sink):
    """Writes a ``.scz`` archive; ``--resume`` continues an interrupted one."""

    name = "archive"
    suffixes = (".scz",)
    location_help = "PATH.scz or URL.scz"
    description = "scmigrate archive (.scz): streaming, resumable, content-addressed, verifiable"

    @classmethod
    def claims(cls, location: str) -> bool:
        return super().claims(location) or _claims(location)

    @classmethod
    def location_in_folder(cls, folder: str, stem: str) -> str | None:
        """``--all-projects --to FOLDER``: one archive per project, ``FOLDER/<project>.scz``."""
        return os.path.join(folder, stem + cls.suffixes[0])

    def open(self, location: str, options: RunOptions) -> Writer:
        from .writer import ArchiveWriter

        return ArchiveWriter(location, options)

    def lock_file(self, location: str, options: RunOptions) -> str | None:
        """In object storage, lock objects beside the archive (``s3://b/x.scz.lock/``), which every machine
        sees; a local archive (None): the engine's ``x.scz.lock`` beside it."""
        from scmigrate.storage import split_location

        return location + ".lock" if _claims(location) and split_location(location)[0].lock_path() is None else None

    def preflight(self, location: str, target: Any, options: RunOptions) -> list[str]:
        """Dry run: the refusals of ``open`` (no folder or bucket, something there without --resume).

        Writes nothing."""
        from scmigrate.storage import split_location

        storage, name = split_location(location)
        there = storage.check_append(name, options.resume)
        if not there:
            return [f"{location}: a new archive would be written"]
        from .writer import ArchiveWriter

        with ArchiveWriter(location, options) as w:  # reads what is there; changes nothing before begin()
            sealed = w.finished()
        return [f"nothing to resume: {sealed}" if sealed else f"{location}: continued (--resume)"]


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    register(ArchiveSource)


@scmigrate.hookimpl
def register_sinks(register: Callable[[type], None]) -> None:
    register(ArchiveSink)
