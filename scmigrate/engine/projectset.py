"""Which projects a run of several moves: every project of a source, a folder of them, or a choice.

- A source that holds several projects (a cluster) lists them (``Source.list_projects``: ``name``
  and, for clusters, ``id``).
- A folder that no source reads as a whole is a folder of locations, one project each, found by
  the one source that keeps projects as files of a folder (``Source.locations_in_folder``: the
  archive's ``*.scz``), so ``--from backups/ --all-projects`` restores what ``--to backups/`` wrote.
- ``--project`` (repeatable; a glob such as ``'Dog*'``) and ``--project-id`` choose among them. A
  name that matches nothing, or an unknown id, is an error listing what there is, as is a chosen
  project whose name another project shares (a cluster project is read by its name).
"""

from __future__ import annotations

import os
from fnmatch import fnmatchcase
from typing import Any

from ..api import Source
from ..errors import InputError, LocationError
from ..registry import Registry

__all__ = ["GLOB", "choose", "folder_locations", "projects_of"]

#: the characters that make a ``--project`` a pattern rather than a name
GLOB = frozenset("*?[")


def folder_locations(reg: Registry, folder: str) -> list[str] | None:
    """The project locations in ``folder``; ``None`` if ``folder`` is no such folder (a source reads it)."""
    try:
        reg.resolve_source(folder)
        return None  # a source reads the folder itself (a dataset folder, a repository)
    except LocationError:
        from ..storage import is_url

        if not is_url(folder) and not os.path.isdir(folder):
            raise  # a URL is listed below: an object store's folder is a prefix, not a directory
    offers: dict[str, list[str]] = {}
    for r in reg.sources.values():
        found = r.cls.locations_in_folder(folder)
        if found:
            offers[r.name] = list(found)
    if not offers:
        default = Source.locations_in_folder.__func__  # type: ignore[attr-defined]
        kinds = sorted(r.name for r in reg.sources.values()
                       if getattr(r.cls.locations_in_folder, "__func__", None) is not default)
        raise InputError(f"--from {folder}: a folder holding no project (sources that read folders of "
                         f"projects: {', '.join(kinds) or 'none installed'})")
    if len(offers) > 1:
        raise InputError(f"--from {folder}: holds projects of several kinds ({', '.join(sorted(offers))}); "
                         "keep one (--disable-plugin) or move them folder by folder")
    return next(iter(offers.values()))


def projects_of(reg: Registry, source: str, options: Any, names: tuple[str, ...] = (),
                ids: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The projects to move: entries with ``name`` (and ``location`` for a folder's, ``id`` for a cluster's)."""
    locations = folder_locations(reg, source)
    if locations is not None:
        entries = [{"name": os.path.splitext(os.path.basename(loc))[0], "location": loc} for loc in locations]
    else:
        entries = reg.resolve_source(source).list_projects(source, options)
    return choose(entries, names, ids, source)


def choose(entries: list[dict[str, Any]], names: tuple[str, ...], ids: tuple[str, ...],
           where: str) -> list[dict[str, Any]]:
    """The entries that a name, glob or id picks, in the source's order; every one given must pick one."""
    if not names and not ids:
        return list(entries)
    listing = ", ".join(f"{e['name']!r}" + (f" (id {e['id']})" if e.get("id") is not None else "")
                        for e in entries) or "none"
    for pattern in names:
        if not any(fnmatchcase(str(e["name"]), pattern) for e in entries):
            raise InputError(f"{where}: no project {'matches' if GLOB & set(pattern) else 'named'} {pattern!r} "
                             f"(projects: {listing})")
    known_ids = {str(e.get("id")) for e in entries if e.get("id") is not None}
    for pid in ids:
        if pid not in known_ids:
            raise InputError(f"{where}: no project with id {pid!r} (projects: {listing})")
    chosen = [e for e in entries
              if any(fnmatchcase(str(e["name"]), p) for p in names) or str(e.get("id")) in ids]
    for e in chosen:
        twins = [o for o in entries if o["name"] == e["name"]]
        if len(twins) > 1:
            raise InputError(f"{where}: {len(twins)} projects are named {e['name']!r} "
                             f"(ids {', '.join(str(o.get('id')) for o in twins)}); rename one to move it")
    return chosen
