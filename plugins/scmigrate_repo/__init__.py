"""The snapshot repository ``repo:PATH``: recurring backups that store only what changed.

Registers ``repo`` as a sink (``--to repo:PATH``: one more snapshot of the project) and as a
source (``--from repo:PATH[@ID|@latest]``: one snapshot, the newest by default). See
archive_spec/SPEC.md, "Snapshot repository". Submodules are imported on open.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import scmigrate
from scmigrate.api import PluginOption, Reader, RunOptions, Sink, Source, Writer

if TYPE_CHECKING:
    from scmigrate.storage import Storage

__all__ = ["RepoSink", "RepoSource", "parse_location", "register_sinks", "register_sources"]

_SELECTOR = re.compile(r"^(.*)@(latest|[0-9a-fA-F]{4,64})$")


def parse_location(location: str) -> tuple[str, str | None]:
    """``repo:/b/geti@3f9c2a`` → (``/b/geti``, ``3f9c2a``); no ``@``: (path, None) = the latest."""
    path = location.removeprefix("repo:")
    m = _SELECTOR.match(path)
    return (m.group(1), m.group(2)) if m else (path, None)


class RepoSource(Source):
    """One snapshot of a repository; ``--project`` picks the project when it holds several."""

    name = "repo"
    scheme = "repo"
    location_help = "repo:PATH[@ID|@latest]"
    description = "snapshot repository: one snapshot (the newest of --project by default)"
    selects_project = True
    options = (
        PluginOption("read-data", bool, False, "verify repo:: also re-hash every blob"),
        PluginOption("read-data-subset", str, None, "verify repo:: re-hash only the part N/M of the blobs"),
    )

    def open(self, location: str, options: RunOptions) -> Reader:
        from .layout import Repository
        from .reader import RepoReader

        path, selector = parse_location(location)
        return RepoReader(Repository.open(path), selector, options)

    def list_projects(self, location: str, options: RunOptions) -> list[dict[str, Any]]:
        from .layout import Repository

        path, _ = parse_location(location)
        latest: dict[str, Any] = {}
        for info in Repository.open(path).infos():
            latest[info.project] = info
        return [{"name": p, "snapshot": i.id[:8], "time": i.time, "images": i.stats.get("items", 0)}
                for p, i in sorted(latest.items())]


    # ------------------------------------------------ the repository's own commands (scmigrate snapshots, forget)

    def snapshots(self, location: str, project: str | None) -> list[dict[str, Any]]:
        """``scmigrate snapshots``: every snapshot (of ``project``), oldest first."""
        from .layout import Repository

        return [i.to_dict() for i in Repository.open(RepoSink._path(location)).infos(project)]

    def forget(self, location: str, keep: dict[str, int], project: str | None, dry_run: bool) -> list[dict[str, Any]]:
        """``scmigrate forget``: each snapshot with ``keep`` and the policies that keep it; the caller locks."""
        from .layout import Repository
        from .retention import forget

        decisions = forget(Repository.open(RepoSink._path(location)), keep, project, dry_run)
        return [{**d.info.to_dict(), "keep": d.keep, "reasons": d.reasons} for d in decisions]

    def prune(self, location: str, dry_run: bool, forgotten: frozenset[str] = frozenset()) -> dict[str, Any]:
        """``scmigrate prune`` / ``forget --prune``: the blobs no snapshot refers to, removed; the caller locks.

        ``forgotten``: snapshot ids a dry run of ``forget`` would remove, counted as gone.
        """
        from .layout import Repository
        from .retention import prune

        repo = Repository.open(RepoSink._path(location))
        if not dry_run:
            repo.storage.abort_uploads()  # what a killed backup left (the caller holds the lock)
        result = prune(repo, dry_run, forgotten)
        return {"unused": result.unused, "bytes": result.bytes, "referenced": result.kept}


class RepoSink(Sink):
    """A new snapshot of the project per run; blobs the repository holds are not stored again."""

    name = "repo"
    scheme = "repo"
    location_help = "repo:PATH"
    description = "snapshot repository: incremental, deduplicated, resumable backups with retention"
    holds_projects = True

    def open(self, location: str, options: RunOptions) -> Writer:
        from .layout import Repository
        from .writer import RepoWriter

        repo = Repository.open(self._path(location), create=True)
        repo.storage.abort_uploads()  # what a killed backup left: the engine holds the lock, no one else writes
        return RepoWriter(repo, options)

    def lock_file(self, location: str, options: RunOptions) -> str:
        """The repository's lock, one for every project in it (``forget``/``prune`` take it too)."""
        from .locking import repo_lock_file

        return repo_lock_file(self._path(location))

    def preflight(self, location: str, target: Any, options: RunOptions) -> list[str]:
        from scmigrate.errors import InputError
        from scmigrate.storage import storage_for

        from .layout import CONFIG, Repository

        path = self._path(location)
        try:
            repo = Repository.open(path)
        except InputError:
            storage = storage_for(path)
            if _has_files(path, storage):
                raise
            # what the run's first write would refuse (a missing bucket, a folder under a file): -n says it too
            storage.check_writable(CONFIG)
            return [f"{path}: a new repository would be made"]
        infos = repo.infos(target.name)
        return [f"{path}: snapshot {len(infos) + 1} of {target.name!r}" +
                (f" (against {infos[-1].id[:8]})" if infos else "")]

    @staticmethod
    def _path(location: str) -> str:
        from scmigrate.errors import InputError

        path, selector = parse_location(location)
        if selector:
            raise InputError(f"{location}: a backup writes a new snapshot; leave out @{selector}")
        return path


def _has_files(path: str, storage: Storage) -> bool:
    import os

    if os.path.exists(path) and not os.path.isdir(path):
        return True
    return any(True for _ in storage.list())


@scmigrate.hookimpl
def register_sources(register: Callable[[type], None]) -> None:
    register(RepoSource)


@scmigrate.hookimpl
def register_sinks(register: Callable[[type], None]) -> None:
    register(RepoSink)
