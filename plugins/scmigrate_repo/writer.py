"""Write one snapshot: blobs first (only what the repository lacks), the snapshot document last.

Incremental: an item whose media the previous snapshot of the project already holds, by the
identity the source gives (key, and of ``source_id``, ``size``, ``upload_time``, ``sha256``,
``filename`` each one the source sets), is not opened at all: its bytes are not fetched again.
Its annotations are not read either when the source gives their revision
(``Item.annotation_revision``) and it is the one the parent stored, under the same labels
(:meth:`RepoWriter.holds_annotations`); otherwise the engine reads them and they are stored
anew when they changed (blobs are named by the hash of their JSON, so an unchanged one is a
name already there).

Each written item's entry is kept under ``pending/<project>/`` before ``write`` returns (in
batches, :mod:`.pending`), so an interrupted backup resumes (``--resume``) from its entries, and
the engine's journal never records an item the repository could not name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from typing import Any

import scmigrate
from scmigrate.api import RunOptions, Writer, WriteResult
from scmigrate.model import Item, Media, Project
from scmigrate.spool import Spool

from .layout import PENDING, Repository, json_bytes, utc_now, validate
from .pending import GroupCommit, pending_entries

__all__ = ["RepoWriter", "pending_dir"]

_SPOOL = 1 << 20
#: the media fields that say "these are the same bytes" when the source sets them
IDENTITY = ("source_id", "size", "upload_time", "sha256", "filename", "kind")


def pending_dir(project: str) -> str:
    return f"{PENDING}{hashlib.sha256(project.encode()).hexdigest()[:16]}/"


def same_media(new: Media, old: dict[str, Any]) -> bool:
    """Whether ``new`` (as the source describes it) is the media ``old`` (a snapshot's record) holds."""
    given = [f for f in IDENTITY if getattr(new, f) is not None]
    if not any(f in given for f in ("size", "upload_time", "sha256")):
        return False  # a name alone says nothing about the bytes
    return all(getattr(new, f) == old.get(f) for f in given)


class RepoWriter(Writer):
    """The sink side of ``repo:PATH``; ``write`` is called from several threads at once."""

    def __init__(self, repo: Repository, options: RunOptions) -> None:
        self.repo, self.options = repo, options
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, Any]] = {}
        self._resumed: set[str] = set()
        self._parent: dict[str, Any] | None = None
        self._parent_id: str | None = None
        self._prev: dict[str, dict[str, Any]] = {}
        self._project: Project | None = None
        self._pending = ""
        self._commit: GroupCommit | None = None
        self._started = utc_now()
        self._present: dict[str, bool] = {}  # blob name -> in the repository
        self._same_labels = False  # the parent's labels are the project's: its scenes may be kept
        self._stats = {"new_media": 0, "changed_annotations": 0, "bytes_added": 0, "reused_media": 0,
                       "reused_annotations": 0}

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        self._project = project
        self._pending = pending_dir(project.name)
        run = f"{self._pending}run.json"
        old = self.repo.storage.exists(run) and self.repo.load_json(run)
        if old and self.options.resume and old.get("project") == project.name:
            self._started, self._parent_id = old["started"], old.get("parent")
            for _, entry in pending_entries(self.repo, self._pending):
                self._entries[entry["media"]["key"]] = entry
            self._resumed = set(self._entries)
        else:
            for name in list(self.repo.storage.list(self._pending)):  # an abandoned backup: start over
                self.repo.storage.delete(name)
            infos = self.repo.infos(project.name)
            self._parent_id = infos[-1].id if infos else None
            self.repo.storage.put_bytes(run, json_bytes({"project": project.name, "parent": self._parent_id,
                                                         "started": self._started}))
        self._commit = GroupCommit(self.repo, f"{self._pending}items/")
        if self._parent_id is not None:
            self._parent = self.repo.snapshot(self._parent_id, entries=False)  # an entry kept is checked in write
            self._prev = {e["media"]["key"]: e for e in self._parent["items"]}
            self._same_labels = _label_names(Project.from_dict(self._parent["project"])) == _label_names(project)
        return {"repository": self.repo.root, "parent": self._parent_id}

    def done_keys(self) -> set[str]:
        return set(self._resumed)

    def _held(self, item: Item) -> dict[str, Any] | None:
        """The parent's entry of ``item`` when it holds the same media bytes (still in the repository:
        asked once per item, since ``holds_annotations`` and ``write`` both want it; nothing prunes
        while the backup holds the lock)."""
        prev = self._prev.get(item.key)
        if prev is None or not same_media(item.media, prev["media"]):
            return None
        with self._lock:
            there = self._present.get(prev["blob"])
        if there is None:
            there = self.repo.storage.exists(prev["blob"])
            with self._lock:
                self._present[prev["blob"]] = there
        return prev if there else None

    def _same_revision(self, item: Item) -> bool:
        revision, prev = item.annotation_revision, self._prev.get(item.key)
        return bool(self._same_labels and revision and prev and prev.get("annotation_revision") == revision)

    def holds_annotations(self, item: Item) -> bool:
        """The parent stored this media, and its annotations at the revision the source lists now."""
        return self._same_revision(item) and self._held(item) is not None

    def write(self, item: Item) -> WriteResult:
        media, key = item.media, item.key
        prev = self._held(item)
        added = ann_added = 0
        if prev is not None:
            size, sha, blob, new = prev["media"]["size"], prev["media"]["sha256"], prev["blob"], False
        else:
            with Spool(item.open(), max_memory=_SPOOL, expected=media.size) as spool:
                spool.check(media.sha256, media.size, what=f"{key}: media bytes")
                size, sha = spool.size, spool.sha256
                blob, added = self.repo.put_blob_file(spool.file, sha)
            new = True
        kept = prev is not None and self._same_revision(item)
        if kept:
            assert prev is not None
            ann_blob = prev["annotations"]  # the source lists the revision the parent stored: not read
        else:
            ann_blob, ann_added = self.repo.put_blob(json_bytes(item.annotations_dict()), compress=True)
        entry = {"media": dataclasses.replace(media, size=size, sha256=sha).to_dict(), "blob": blob,
                 "annotations": ann_blob}
        if item.annotation_revision:
            entry["annotation_revision"] = item.annotation_revision
        parent = self._prev.get(key)
        if entry != parent:  # one the parent holds as it is was valid when it was written
            validate("entry", entry, f"{self.repo.root}: item {key!r}")
        assert self._commit is not None, "begin() first"
        self._commit.add(entry)
        with self._lock:
            self._entries[key] = entry
            self._stats["bytes_added"] += added + ann_added
            self._stats["new_media" if new else "reused_media"] += 1
            self._stats["reused_annotations"] += kept
            if parent is not None and parent["annotations"] != ann_blob:
                self._stats["changed_annotations"] += 1  # a media of the parent whose scenes changed
        return WriteResult(ids={"blob": blob}, bytes=added)

    def finish(self, complete: bool) -> dict[str, Any]:
        facts: dict[str, Any] = {"repository": self.repo.root, "complete": False}
        if not complete or self._project is None:
            return facts
        removed = sorted(set(self._prev) - set(self._entries))
        items = [self._entries[k] for k in sorted(self._entries)]
        stats = {"items": len(items), "new_media": self._stats["new_media"],
                 "changed_annotations": self._stats["changed_annotations"], "removed_media": len(removed),
                 "bytes_added": self._stats["bytes_added"], "bytes": sum(e["media"]["size"] for e in items)}
        doc = {"format_version": "1.0", "time": self._started, "created_by": f"scmigrate {scmigrate.__version__}",
               "project": self._project.to_dict(), "parent": self._parent_id, "items": items, "stats": stats}
        sid = self.repo.write_snapshot(doc)
        for name in list(self.repo.storage.list(self._pending)):
            self.repo.storage.delete(name)
        facts.update(complete=True, snapshot=sid, **stats, removed=removed,
                     annotations_not_read=self._stats["reused_annotations"],
                     summary=(f"snapshot {sid[:8]}: {stats['new_media']} new media, "
                              f"{stats['changed_annotations']} changed scenes, {len(removed)} removed media, "
                              f"{stats['bytes_added'] / 1e6:.1f} MB added to the repository"))
        return facts


def _label_names(project: Project) -> list[tuple[str, list[str]]]:
    """What a scene read from the source depends on besides its revision: a renamed label renames it."""
    return [(t.title, sorted(lb.name for lb in t.labels)) for t in project.trainable_tasks]
