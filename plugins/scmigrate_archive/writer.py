"""Write a .scz archive: append-only, one zstd frame per member, index and trailer at the end.

Memory stays flat whatever the project's size: media are spooled to temporary files while they
are hashed (:class:`scmigrate.spool.Spool`; their size and sha256 go into the tar header, so
they must be known before the member starts, and are checked against what the source
declared), compressed outside the lock (:mod:`.members`: in one call from memory, through a
temporary file above 1 MiB), and only then appended under the lock. Index entries are validated
as they are made and spooled to a temporary file; the seal joins them. A crash leaves a prefix
of complete frames plus at most one partial frame, which ``--resume`` cuts away (see :mod:`.scan`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
import time
import zlib
from typing import IO, Any

import zstandard

import scmigrate
from scmigrate import schema
from scmigrate.api import RunOptions, Writer, WriteResult
from scmigrate.errors import InputError
from scmigrate.model import Item, ModelArtifact, Project
from scmigrate.scratch import KeySet
from scmigrate.spool import Spool
from scmigrate.storage import StorageError, split_location

from .frames import TRAILER_SIZE, Trailer, pack_trailer, unpack_trailer
from .layout import (
    CHUNK,
    FORMAT_VERSION,
    INDEX,
    MANIFEST,
    PROJECT,
    READS_MAJOR,
    blob_name,
    item_member,
    model_member,
)
from .members import Readable, compress_member, frame_bytes, json_bytes
from .scan import Problem
from .tarfmt import END_BLOCKS

__all__ = ["ArchiveWriter"]

_SPOOL = 1 << 20  # per-worker memory before a media's spool spills to disk


class ArchiveWriter(Writer):
    """The ``.scz`` writer; ``write`` may be called from many threads at once."""

    def __init__(self, path: str | os.PathLike[str], options: RunOptions) -> None:
        self.path = str(path)  # a local path or a URL: for messages
        self._lock = threading.Lock()
        self._mtime = int(time.time())
        self._pos = 0
        # member names and keys held (one per item, two with its blob): past 1,024 of each,
        # on disk (scmigrate.scratch), so a backup's memory does not grow with the project
        self._blobs = KeySet()
        self._done = KeySet()
        self._models = KeySet()
        self._counts = {"members": 0, "items": 0, "models": 0}
        self._has: set[str] = set()  # manifest / project present
        self._project_name: str | None = None
        self._project_labels: list[tuple[str, list[str]]] | None = None
        self._failed: str | None = None
        self._closed = False
        self._sealed = False  # resuming a finished archive: its index and trailer are in place
        storage, name = split_location(self.path)
        # refuses a missing folder or bucket, and something already there unless resuming
        self._out = storage.open_append(name, options.resume)
        self._entries = tempfile.TemporaryFile()  # index entries, one JSON line each
        if self._out.size:
            try:
                self._resume()
            except BaseException:
                self.close()  # a refused resume changes nothing
                raise

    # ----------------------------------------------------------------------- resume

    def _resume(self) -> None:
        """Keep every complete member, cut the rest (a partial frame, or the old index/trailer)."""
        from .scan import scan

        size = self._out.size
        cut = size
        for ev in scan(self._out.read_at, size):
            if isinstance(ev, Problem) and not ev.truncated:
                # a crash only ever leaves a cut-short frame at the end; anything else is damage
                # (or not an archive at all), and cutting there could throw away good members
                what = ("not a scmigrate archive" if ev.offset == 0
                        else f"{ev.name or 'a member'} at byte {ev.offset} is damaged")
                raise InputError(f"{self.path}: cannot resume: {what} ({ev.reason}); run scmigrate verify")
            if isinstance(ev, Problem) or ev.kind != "member" or ev.name == INDEX:
                cut = ev.offset
                if not isinstance(ev, Problem) and ev.name == INDEX:
                    trailer = unpack_trailer(self._out.read_at(size - TRAILER_SIZE, TRAILER_SIZE), size) \
                        if size >= TRAILER_SIZE else None
                    self._sealed = trailer is not None and trailer.index_offset == ev.offset
                break
            if not self._has and ev.name != MANIFEST:
                raise InputError(f"{self.path}: cannot resume: not a scmigrate archive (no manifest first)")
            key = blob = None
            if ev.name.endswith(".json"):
                doc = self._resumed_doc(ev.name, ev.data)
                if ev.name.startswith(("items/", "models/")):
                    key = doc["media"]["key"] if ev.name.startswith("items/") else doc["key"]
                    want = item_member(key) if ev.name.startswith("items/") else model_member(key)
                    blobs = [doc["blob"]] if ev.name.startswith("items/") else [f["blob"] for f in doc["files"]]
                    if ev.name != want or not all(b in self._blobs for b in blobs):
                        cut = ev.offset  # not what this writer would have written: keep what precedes it
                        break
                    blob = doc.get("blob")
                    (self._done if ev.name.startswith("items/") else self._models).add(key)
                    self._counts["items" if ev.name.startswith("items/") else "models"] += 1
                else:
                    self._has.add(ev.name)  # manifest.json, project.json
                    if ev.name == PROJECT:
                        self._project_name = doc["name"]
                        self._project_labels = _label_sets(Project.from_dict(doc))
            else:
                self._blobs.add(ev.name)
            self._record(ev.name, ev.offset, ev.length, ev.size, ev.sha256, ev.crc32, key, blob)
        # cut only in begin(), once the project is known to match: a refused resume leaves the file as it was
        self._pos = cut

    def _resumed_doc(self, name: str, data: bytes | None) -> dict[str, Any]:
        kind = name.split("/")[0].rstrip("s") if "/" in name else name[: -len(".json")]
        try:
            doc = json.loads(data or b"")
        except ValueError:
            raise InputError(f"{self.path}: {name}: not valid JSON; cannot resume") from None
        if kind == "manifest":
            major = schema.parse_version(str(doc.get("format_version", "0")))[0] if isinstance(doc, dict) else 0
            if major != READS_MAJOR:
                raise InputError(f"{self.path}: cannot resume an archive of format version {doc.get('format_version')}")
        schema.validate(kind, doc, FORMAT_VERSION, where=f"{self.path}: {name}")
        return doc

    # ----------------------------------------------------------------------- appending

    def _record(self, name: str, offset: int, length: int, size: int, sha: str, crc: int,
                key: str | None = None, blob: str | None = None) -> None:
        entry: dict[str, Any] = {"name": name, "offset": offset, "length": length, "size": size,
                                 "sha256": sha, "crc32": crc}
        if key is not None:
            entry["key"] = key
        if blob is not None:
            entry["blob"] = blob
        # validated once, here, where it is made: the seal only joins the lines
        schema.validate("index", {"format_version": FORMAT_VERSION, "members": [entry]}, FORMAT_VERSION,
                        where=f"{self.path}: {INDEX} entry {self._counts['members']}")
        self._entries.write(json_bytes(entry) + b"\n")
        self._counts["members"] += 1

    def _append(self, frame: Readable | bytes, length: int) -> int:
        """Copy a compressed frame to the end of the archive (lock held); returns its offset."""
        if self._failed:
            raise InputError(self._failed)
        offset = self._pos
        try:
            if isinstance(frame, bytes):
                self._out.write(frame)
            else:
                while True:
                    chunk = frame.read(CHUNK)
                    if not chunk:
                        break
                    self._out.write(chunk)
        except (OSError, StorageError) as e:
            why = str(e).removeprefix(f"{self.path}: ") if isinstance(e, StorageError) else \
                f"cannot write ({e.strerror or e})"
            self._failed = f"{self.path}: {why}; what was written is kept: run again with --resume"
            with contextlib.suppress(Exception):
                self._out.truncate(offset)  # best effort; resume would cut the partial frame anyway
            raise InputError(self._failed) from None
        self._pos = offset + length
        return offset

    def _add_bytes(self, name: str, data: bytes, key: str | None = None, blob: str | None = None) -> None:
        """Compress in one call outside any lock, then append and record (takes the lock)."""
        frame, crc = frame_bytes(name, data, self._mtime)
        sha = hashlib.sha256(data).hexdigest()
        with self._lock:
            offset = self._append(frame, len(frame))
            self._record(name, offset, len(frame), len(data), sha, crc, key, blob)

    def _add_json(self, kind: str, name: str, doc: Any, key: str | None = None, blob: str | None = None) -> None:
        schema.validate(kind, doc, FORMAT_VERSION, where=f"{self.path}: {name}")
        self._add_bytes(name, json_bytes(doc), key, blob)

    def _blob_frame(self, spool: Spool, name: str) -> tuple[bytes | IO[bytes], int, int]:
        """The blob member of ``spool``'s bytes, compressed (outside any lock): ``(frame, length, crc)``;
        in memory (most media) in one compress call, else streamed through a temporary file."""
        if spool.data is not None:
            frame, crc = frame_bytes(name, spool.data, self._mtime)
            return frame, len(frame), crc
        return compress_member(name, spool.size, spool.file, self._mtime)

    def _add_blob(self, spool: Spool, filename: str) -> str:
        size, sha = spool.size, spool.sha256
        name = blob_name(sha, filename)
        with self._lock:
            present = name in self._blobs
        if not present:
            frame, length, crc = self._blob_frame(spool, name)
            with contextlib.ExitStack() as stack:
                if not isinstance(frame, bytes):
                    stack.enter_context(frame)
                with self._lock:
                    if name not in self._blobs:  # another thread may have stored the same bytes meanwhile
                        self._record_blob(name, self._append(frame, length), length, size, sha, crc)
        return name

    def _record_blob(self, name: str, offset: int, length: int, size: int, sha: str, crc: int) -> None:
        """(lock held) Index the blob frame just appended at ``offset``."""
        self._record(name, offset, length, size, sha, crc)
        self._blobs.add(name)

    # ----------------------------------------------------------------------- Writer API

    def finished(self) -> str | None:
        """A finished archive is one snapshot: ``--resume`` leaves it as it is (the engine asks first)."""
        return f"{self.path} is a finished archive (recurring backups go to a repo:PATH)" if self._sealed else None

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        if self._sealed:
            raise InputError(f"{self.path}: a finished archive; nothing to resume, and it is not added to")
        if PROJECT in self._has:
            if self._project_name != project.name:
                raise InputError(f"{self.path}: holds project {self._project_name!r}, not {project.name!r}; "
                                 "cannot resume into it")
            if self._project_labels != _label_sets(project):
                # e.g. other --labels or --project-type than the interrupted run: the items written now
                # would refer to labels its project.json does not have
                had = "; ".join(f"{task}: {', '.join(names)}" for task, names in self._project_labels or [])
                raise InputError(f"{self.path}: holds project {project.name!r} with other tasks or labels "
                                 f"({had}); resume with the options of the interrupted run")
        # cut what resume found after the last good member (the debris of a crash, or an index whose
        # trailer never landed) and append from there
        self._out.truncate(self._pos)
        if MANIFEST not in self._has:
            manifest = {"format_version": FORMAT_VERSION, "created_by": f"scmigrate {scmigrate.__version__}",
                        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            self._add_json("manifest", MANIFEST, manifest)
            self._has.add(MANIFEST)
        if PROJECT not in self._has:
            self._add_json("project", PROJECT, project.to_dict())
            self._has.add(PROJECT)
        return {"archive": str(self.path)}

    def done_keys(self) -> set[str]:
        with self._lock:
            return set(self._done)

    def write(self, item: Item) -> WriteResult:
        item.resolve()
        key, member = item.key, item_member(item.key)
        with self._lock:
            if key in self._done:
                return WriteResult(ids={"member": member}, skipped=True)
        if PROJECT not in self._has:
            raise RuntimeError("ArchiveWriter.begin() must be called before write()")
        with Spool(item.open(), max_memory=_SPOOL, expected=item.media.size) as spool, \
                contextlib.ExitStack() as stack:
            media = item.media
            # what the source said the bytes are is what the archive's index will promise
            spool.check(media.sha256, media.size, what=f"{key}: media bytes")
            size, sha = spool.size, spool.sha256
            media_doc = media.to_dict()
            media_doc["size"], media_doc["sha256"] = size, sha
            blob = blob_name(sha, media.filename)
            doc = {"media": media_doc, "blob": blob, "annotations": item.annotations_dict()}
            # validate before storing anything, so an invalid item leaves no orphan blob behind
            schema.validate("item", doc, FORMAT_VERSION, where=f"{self.path}: {member} (item {key!r})")
            data = json_bytes(doc)
            frame, crc = frame_bytes(member, data, self._mtime)
            with self._lock:
                present = blob in self._blobs
            blob_frame: bytes | IO[bytes] | None = None
            if not present:
                blob_frame, blob_len, blob_crc = self._blob_frame(spool, blob)
                if not isinstance(blob_frame, bytes):
                    stack.enter_context(blob_frame)
            item_sha = hashlib.sha256(data).hexdigest()
            with self._lock:
                if key in self._done:  # the same key written twice at once: keep exactly one
                    return WriteResult(ids={"member": member}, skipped=True)
                if blob_frame is not None and blob in self._blobs:
                    blob_frame = None  # another thread stored the same bytes meanwhile
                if isinstance(blob_frame, bytes):
                    # blob and item in one write: one system call (and one release of the GIL) fewer
                    at = self._append(blob_frame + frame, blob_len + len(frame))
                    self._record_blob(blob, at, blob_len, size, sha, blob_crc)
                    offset = at + blob_len
                else:
                    if blob_frame is not None:
                        self._record_blob(blob, self._append(blob_frame, blob_len), blob_len, size, sha, blob_crc)
                    offset = self._append(frame, len(frame))
                self._record(member, offset, len(frame), len(data), item_sha, crc, key, blob)
                self._done.add(key)
                self._counts["items"] += 1
        return WriteResult(ids={"member": member, "blob": blob}, bytes=size)

    def write_model(self, model: ModelArtifact) -> WriteResult:
        member = model_member(model.key)
        with self._lock:
            if model.key in self._models:
                return WriteResult(ids={"member": member}, skipped=True)
        files, total = [], 0
        for f in model.files:
            with Spool(f.open(), max_memory=_SPOOL, expected=f.size) as spool:
                size, sha = spool.size, spool.sha256
                files.append({"name": f.name, "blob": self._add_blob(spool, f.name), "size": size,
                              "sha256": sha})
            total += size
        self._add_json("model", member, {"key": model.key, "metadata": model.metadata, "files": files},
                       key=model.key)
        with self._lock:
            self._models.add(model.key)
            self._counts["models"] += 1
        return WriteResult(ids={"member": member}, bytes=total)

    def finish(self, complete: bool) -> dict[str, Any]:
        """Seal with index, end blocks and trailer when ``complete``; otherwise leave it resumable."""
        facts = {"archive": str(self.path), "complete": False, "items": self._counts["items"]}
        if self._closed:
            return facts
        if complete and not self._failed and PROJECT in self._has:
            self._seal()
            facts.update(complete=True, bytes=self._pos, members=self._counts["members"] + 1)  # + index
        self.close()
        return facts

    def _seal(self) -> None:
        with self._lock:
            index = tempfile.TemporaryFile()
            with index:
                head = {"format_version": FORMAT_VERSION, "items": self._counts["items"],
                        "models": self._counts["models"]}
                index.write(json_bytes(head)[:-1] + b',"members":[')
                self._entries.seek(0)
                for n, line in enumerate(self._entries):  # line by line: the index is never held in memory
                    index.write((b"," if n else b"") + line.rstrip(b"\n"))
                index.write(b"]}")
                size = index.tell()
                index.seek(0)
                frame, ilen, icrc = compress_member(INDEX, size, index, self._mtime)
            with frame:
                ioff = self._append(frame, ilen)
            end = zstandard.ZstdCompressor(level=1, write_checksum=True).compress(END_BLOCKS)
            self._append(end, len(end))
            trailer = pack_trailer(Trailer(ioff, ilen, len(end), icrc, zlib.crc32(end)))
            self._append(trailer, len(trailer))
            self._out.publish()  # local: to stable storage; object store: the object appears only now

    def abort(self) -> None:
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._out.close()
            self._entries.close()


def _label_sets(project: Project) -> list[tuple[str, list[str]]]:
    """What items' scenes may refer to: each task's type and label names (colours etc. may vary)."""
    return [(task.task_type, sorted(lb.name for lb in task.labels)) for task in project.tasks]
