"""The snapshot repository's layout (archive_spec/SPEC.md, "Snapshot repository"): names, blobs, snapshots.

A repository is a folder-like :class:`~scmigrate.storage.Storage`::

    config.json                      marks the folder as a repository (format version)
    blobs/ab/<sha256>[.zst]          content-addressed: media bytes, annotations documents
    snapshots/<id>.json              one per snapshot; id = sha256 of the document's bytes
    index/<id>.json                  its summary (all but the items): listings read these, not the snapshots
    pending/<project>/...            the item entries of a backup not finished yet (resume)

Blobs are written before the snapshot that refers to them, and a snapshot is written last and
atomically, so a reader never sees a snapshot whose blobs are missing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import IO, Any, BinaryIO

import zstandard

import scmigrate
from scmigrate.errors import InputError
from scmigrate.storage import Storage, StorageError, storage_for

__all__ = ["FORMAT_VERSION", "Repository", "SnapshotInfo", "blob_name", "json_bytes", "validate"]

FORMAT_VERSION = "1.0"
CONFIG = "config.json"
SNAPSHOTS = "snapshots/"
INDEX = "index/"
PENDING = "pending/"
_CHUNK = 1 << 20

# Media formats that compress no further: stored as they are, so a restore reads them directly.
_COMPRESSED_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"\x1a\x45\xdf\xa3", b"PK\x03\x04",
                     b"\x00\x00\x00\x0cjP", b"BM6")


def json_bytes(doc: Any) -> bytes:
    """The one JSON form of a document in a repository (sorted keys: equal documents, equal bytes)."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def blob_name(sha: str, compressed: bool) -> str:
    return f"blobs/{sha[:2]}/{sha}" + (".zst" if compressed else "")


def already_compressed(head: bytes) -> bool:
    """Whether bytes starting with ``head`` are a compressed media format (JPEG, PNG, WebP, MP4, ...)."""
    return head.startswith(_COMPRESSED_MAGIC) or head[4:8] == b"ftyp"


@cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    from archive_spec import SPEC_DIR

    resources = []
    for folder in ("v1", "repo-v1"):
        for path in sorted((SPEC_DIR / folder).glob("*.schema.json")):
            doc = json.loads(path.read_text(encoding="utf-8"))
            resources.append((doc["$id"], Resource.from_contents(doc)))
    registry = Registry().with_resources(resources)
    return Draft202012Validator(registry.contents(f"https://scmigrate.invalid/repo/v1/{kind}.schema.json"),
                                registry=registry)


def validate(kind: str, doc: Any, where: str) -> None:
    """Check ``doc`` against ``archive_spec/repo-v1/<kind>.schema.json``; one-line ``InputError`` naming ``where``."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(kind).iter_errors(doc))
    if error is not None:
        path = "/".join(str(p) for p in error.absolute_path) or "(document)"
        raise InputError(f"{where}: {path}: {error.message[:160]}")


@dataclass(frozen=True)
class SnapshotInfo:
    """What ``scmigrate snapshots`` lists of one snapshot (read from its document)."""

    id: str
    time: str
    project: str
    parent: str | None
    stats: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "time": self.time, "project": self.project, "parent": self.parent, **self.stats}

    def summary(self) -> dict[str, Any]:
        """Its ``index/<id>.json`` document."""
        return {"id": self.id, "time": self.time, "project": self.project, "parent": self.parent,
                "stats": self.stats}

    @classmethod
    def of(cls, sid: str, doc: dict[str, Any]) -> SnapshotInfo:
        """The summary of snapshot ``sid`` whose document (or summary) is ``doc``."""
        project = doc["project"] if isinstance(doc["project"], str) else doc["project"]["name"]
        return cls(sid, doc["time"], project, doc["parent"], doc["stats"])


class Repository:
    """One snapshot repository; every read and write goes through its :class:`Storage`."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.root = storage.root

    @classmethod
    def open(cls, path: str, create: bool = False) -> Repository:
        """The repository at ``path``; with ``create``, a new one if the folder is empty or absent."""
        if not path:
            raise InputError("repo:: give the repository's folder, e.g. repo:/backups/geti")
        repo = cls(storage_for(path))
        if repo.storage.exists(CONFIG):
            doc = repo.load_json(CONFIG, "config")
            if not str(doc["format_version"]).startswith("1."):
                raise InputError(f"{repo.storage.url(CONFIG)}: repository format {doc['format_version']} "
                                 "is newer than this scmigrate reads (1.x)")
            return repo
        if not create:
            raise InputError(f"{path}: not a scmigrate snapshot repository (no {CONFIG}); "
                             "a first backup (--to repo:PATH) creates one")
        if any(not n.startswith(".") for n in repo.storage.list()):  # the lock file is made first
            raise InputError(f"{path}: the folder holds other files; a new repository needs an empty folder")
        repo.storage.put_bytes(CONFIG, json_bytes({
            "format": "scmigrate-repo", "format_version": FORMAT_VERSION,
            "created_at": utc_now(), "created_by": f"scmigrate {scmigrate.__version__}"}))
        return repo

    # ------------------------------------------------------------------ documents

    def load_json(self, name: str, kind: str | None = None) -> Any:
        where = self.storage.url(name)
        data = self.storage.read_bytes(name)
        if name.endswith(".zst"):
            data = _decompress(data, where)
        try:
            doc = json.loads(data)
        except ValueError:
            raise InputError(f"{where}: not valid JSON") from None
        if kind is not None:
            validate(kind, doc, where)
        return doc

    # ------------------------------------------------------------------ blobs

    def put_blob(self, data: bytes, compress: bool | None = None) -> tuple[str, int]:
        """Store ``data`` (once); returns its name and the bytes it added (0 if it was there)."""
        sha = hashlib.sha256(data).hexdigest()
        compress = not already_compressed(data[:16]) if compress is None else compress
        name = blob_name(sha, compress)
        if self.storage.exists(name):
            return name, 0
        stored = zstandard.ZstdCompressor(level=3, write_checksum=True).compress(data) if compress else data
        return name, len(stored) if self.storage.put_if_absent(name, stored) else 0

    def put_blob_file(self, src: IO[bytes], sha: str) -> tuple[str, int]:
        """Store a spooled file whose sha256 is ``sha``; returns its name and the bytes it added."""
        src.seek(0)
        head = src.read(16)
        src.seek(0)
        compress = not already_compressed(head)
        name = blob_name(sha, compress)
        if self.storage.exists(name):
            return name, 0
        with self.storage.write_atomic(name) as out:
            if compress:
                with zstandard.ZstdCompressor(level=3, write_checksum=True).stream_writer(out, closefd=False) as z:
                    for chunk in iter(lambda: src.read(_CHUNK), b""):
                        z.write(chunk)
            else:
                for chunk in iter(lambda: src.read(_CHUNK), b""):
                    out.write(chunk)
        return name, self.storage.size(name)

    def open_blob(self, name: str) -> BinaryIO:
        """The original bytes of a blob, as a stream (decompressed if stored compressed)."""
        fh = self.storage.open_read(name)
        if name.endswith(".zst"):
            return zstandard.ZstdDecompressor().stream_reader(fh, closefd=True)  # type: ignore[return-value]
        return fh

    def blobs(self) -> Iterator[str]:
        return self.storage.list("blobs/")

    # ------------------------------------------------------------------ snapshots

    def snapshot_ids(self) -> list[str]:
        return [n[len(SNAPSHOTS):-len(".json")] for n in self.storage.list(SNAPSHOTS) if n.endswith(".json")]

    def snapshot(self, sid: str, check: bool = True, entries: bool = True) -> dict[str, Any]:
        """One snapshot's document, validated; ``entries=False``: all but its items (each entry was
        validated when written, and ``check`` ties the bytes to the id: what a backup's parent needs)."""
        name = f"{SNAPSHOTS}{sid}.json"
        data = self.storage.read_bytes(name)
        where = self.storage.url(name)
        if check and hashlib.sha256(data).hexdigest() != sid:
            raise InputError(f"{where}: damaged (its bytes do not hash to its id)")
        try:
            doc = json.loads(data)
        except ValueError:
            raise InputError(f"{where}: not valid JSON") from None
        validate("snapshot", doc if entries or not isinstance(doc, dict) else {**doc, "items": []}, where)
        if not isinstance(doc["items"], list):
            raise InputError(f"{where}: items: not a list")
        return doc  # type: ignore[no-any-return]

    def infos(self, project: str | None = None) -> list[SnapshotInfo]:
        """Every snapshot (of ``project``), oldest first.

        Each comes from its summary (``index/<id>.json``, a few hundred bytes) where there is a valid
        one, else from the snapshot's document (a whole project's items: a backup or a listing then
        costs as much per snapshot kept). A summary without its snapshot is ignored."""
        summaries = {n[len(INDEX):-len(".json")] for n in self.storage.list(INDEX) if n.endswith(".json")}
        out = []
        for sid in self.snapshot_ids():
            info = self.summary(sid) if sid in summaries else None
            if info is None:
                info = SnapshotInfo.of(sid, self.snapshot(sid, check=False, entries=False))  # no items needed
            if project is None or info.project == project:
                out.append(info)
        return sorted(out, key=lambda s: (s.time, s.id))

    def summary(self, sid: str) -> SnapshotInfo | None:
        """The summary ``index/<sid>.json`` says; None when it is absent or not valid (the snapshot decides)."""
        try:
            doc = self.load_json(f"{INDEX}{sid}.json", "summary")
        except (InputError, StorageError):
            return None
        return SnapshotInfo.of(sid, doc) if doc["id"] == sid else None

    def write_snapshot(self, doc: dict[str, Any]) -> str:
        """Store ``doc``, whose items the writer validated one by one, as a new snapshot, then its summary;
        returns its id. Killed between the two, the snapshot is whole and is listed from its document."""
        validate("snapshot", {**doc, "items": []}, f"{self.root}: new snapshot")
        data = json_bytes(doc)
        sid = hashlib.sha256(data).hexdigest()
        self.storage.put_bytes(f"{SNAPSHOTS}{sid}.json", data)  # last, atomically: the snapshot now exists
        self.storage.put_bytes(f"{INDEX}{sid}.json", json_bytes(SnapshotInfo.of(sid, doc).summary()))
        return sid

    def forget_snapshot(self, sid: str) -> None:
        """Remove a snapshot, then its summary (a summary left alone is ignored, and pruned)."""
        self.storage.delete(f"{SNAPSHOTS}{sid}.json")
        self.storage.delete(f"{INDEX}{sid}.json")

    def orphan_summaries(self) -> list[str]:
        """Summaries whose snapshot is gone (a ``forget`` interrupted between its two deletions)."""
        ids = set(self.snapshot_ids())
        return [n for n in self.storage.list(INDEX) if n[len(INDEX):-len(".json")] not in ids]

    def select(self, selector: str | None, project: str | None) -> str:
        """The id of the snapshot ``selector`` names (an id prefix, ``latest`` or None = latest) of ``project``."""
        infos = self.infos()
        if selector and selector != "latest":
            hits = [s for s in infos if s.id.startswith(selector.lower())]
            if not hits:
                raise InputError(f"{self.root}: no snapshot {selector!r} (scmigrate snapshots repo:{self.root})")
            if len(hits) > 1:
                raise InputError(f"{self.root}: {selector!r} names {len(hits)} snapshots; give more of the id")
            if project and hits[0].project != project:
                raise InputError(f"{self.root}: snapshot {selector} is of project {hits[0].project!r}, "
                                 f"not {project!r}")
            return hits[0].id
        projects = sorted({s.project for s in infos})
        if project is None:
            if len(projects) != 1:
                raise InputError(f"{self.root}: holds {len(projects)} projects ({', '.join(projects) or 'none'}); "
                                 "pick one with --project")
            project = projects[0]
        mine = [s for s in infos if s.project == project]
        if not mine:
            raise InputError(f"{self.root}: no snapshot of project {project!r} "
                             f"(it holds {', '.join(projects) or 'none'})")
        return mine[-1].id


def utc_now() -> str:
    """UTC to the microsecond: two backups in one second still sort in the order they ran."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _decompress(data: bytes, where: str) -> bytes:
    try:
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    except zstandard.ZstdError as e:
        raise StorageError(f"{where}: damaged ({e})") from None
