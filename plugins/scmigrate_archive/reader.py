"""Read a .scz archive by random access: trailer → index → only the frames that are asked for.

Nothing from the file is trusted before it is checked: the manifest's version before anything
else, the trailer's CRC, the index against its schema and the file's bounds, each member's tar
header against its index entry, and every JSON member against its schema before it is used.
Damage shows up as :class:`~scmigrate.errors.InputError` naming the file and the member.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO

import zstandard

from scmigrate import schema
from scmigrate.api import Reader, SizeHint
from scmigrate.errors import InputError
from scmigrate.model import Item, Media, ModelArtifact, ModelFile, Project, RangeLabel, Scene, read_empty_mark
from scmigrate.spool import CheckedReader
from scmigrate.storage import split_location

from .entries import CHUNK as INDEX_CHUNK
from .entries import IndexEntries, in_file_order, read_index
from .frames import (
    TRAILER_SIZE,
    EndOfArchive,
    FrameError,
    MemberDamaged,
    MemberStream,
    NamedDamage,
    decode_member,
    frame_length,
    unpack_trailer,
)
from .layout import INDEX, MANIFEST, MAX_INDEX, MAX_JSON, PROJECT, READS_MAJOR, item_member
from .references import ProjectFacts, item_problems, model_problems, project_problems
from .scan import index_gaps, index_miscount, salvage

__all__ = ["INCOMPLETE", "ArchiveReader"]

log = logging.getLogger(__name__)

INCOMPLETE = ("incomplete archive (its end is missing: a write was interrupted or the file was cut short); "
              "a write of yours finishes with --resume")


class ArchiveReader(Reader):
    """An opened ``.scz``. ``opener`` exists so tests can watch which bytes are read.

    ``salvage``: ignore the index and read what a walk of the frames finds, leaving out (and
    naming) what is damaged: for archives whose index leaves members out or is damaged, that
    were cut short, or that hold a damaged member.
    """

    def __init__(self, path: str | os.PathLike[str], opener: Callable[[Any], BinaryIO] | None = None,
                 salvage: bool = False) -> None:
        self.path = path  # a local path or a URL: for messages
        self.salvaged: list[str] | None = None  # when salvaging: what had to be left out
        # local: a plain file; object stores: ranged reads (scmigrate.storage says why each fails)
        self._f = opener(path) if opener else _open(str(path))
        self._lock = threading.Lock()
        #: a local file's descriptor (else None): pread needs no lock, so workers reading media do not queue
        self._fd = None if opener else _descriptor(self._f)
        self._f.seek(0, os.SEEK_END)
        self.size = self._f.tell()
        self.manifest = self._read_manifest()
        self.version = self.manifest["format_version"]
        self.trailer = unpack_trailer(self.read_at(self.size - TRAILER_SIZE, TRAILER_SIZE), self.size) \
            if self.size >= TRAILER_SIZE else None
        self.problem: str | None = None
        self._scene_project: Project | None = None  # what an old archive's empty-label boxes mean
        self.entries: Mapping[str, dict[str, Any]] = IndexEntries()
        self.index_size = 0
        self.miscount: str | None = None
        self._declared: dict[str, Any] = {}
        self.index_loaded = False  # the index was read and checked (it may still leave members out)
        self._project: dict[str, Any] | None = None
        self._facts: ProjectFacts | None = None
        if salvage:
            self._salvage()
        elif self.trailer is None:
            self.problem = INCOMPLETE
        else:
            try:
                self._load_index()
                self._check_coverage()
            except InputError as e:
                self.problem = str(e)
        if self.problem is None:
            try:  # now, so that reading one item later reads only that item's frames (SPEC §9)
                self._project_doc()
            except InputError:
                pass  # project() and items() raise it again

    # ----------------------------------------------------------------------- low level

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset`` (thread-safe: items' streams are read from worker threads)."""
        if offset < 0 or n <= 0:
            return b""
        if self._fd is not None:
            return os.pread(self._fd, min(n, max(0, self.size - offset)), offset)
        with self._lock:
            self._f.seek(offset)
            return self._f.read(min(n, max(0, self.size - offset)))

    def _fail(self, member: str, why: str) -> InputError:
        return InputError(f"{self.path}: {member}: {why}")

    def _read_manifest(self) -> dict[str, Any]:
        """The first member; its ``format_version`` decides whether we may read on."""
        try:
            length = frame_length(self.read_at, 0, self.size)
            stream, data = decode_member(self.read_at, 0, length, keep_up_to=MAX_JSON, limit=MAX_JSON)
        except (FrameError, MemberDamaged, EndOfArchive, zstandard.ZstdError) as e:
            raise InputError(f"{self.path}: not a scmigrate archive, or its {MANIFEST} is damaged ({e})") from None
        if stream.name != MANIFEST or data is None:
            raise InputError(f"{self.path}: not a scmigrate archive (first member is {stream.name!r})")
        doc = self._parse(MANIFEST, data)
        version = doc.get("format_version") if isinstance(doc, dict) else None
        try:
            major, _ = schema.parse_version(str(version))
        except ValueError:
            raise self._fail(MANIFEST, f"format_version {version!r} is not MAJOR.MINOR") from None
        if major > READS_MAJOR:
            raise InputError(f"{self.path}: format version {version} is newer than this scmigrate reads "
                             f"({READS_MAJOR}.x); upgrade scmigrate")
        if major < 1:
            raise self._fail(MANIFEST, f"unknown format version {version}")
        schema.validate("manifest", doc, str(version), where=f"{self.path}: {MANIFEST}")
        return doc

    def _parse(self, name: str, data: bytes) -> Any:
        return schema.loads(data, f"{self.path}: {name}", walk=name != INDEX)

    def _load_index(self) -> None:
        t = self.trailer
        assert t is not None
        try:
            stream = MemberStream(self.read_at, t.index_offset, t.index_length)
            if stream.size > MAX_INDEX:
                raise MemberDamaged(f"{stream.name} declares {stream.size} bytes, more than the {MAX_INDEX} "
                                    "it may hold")
            if stream.name != INDEX:
                raise MemberDamaged("does not match the trailer")
            # parsed as it is decoded, entry by entry: the index is never held whole (entries.py)
            head, entries = read_index(iter(lambda: stream.read(INDEX_CHUNK), b""), self.version,
                                       f"{self.path}: {INDEX}")
        except (MemberDamaged, EndOfArchive, zstandard.ZstdError) as e:
            raise self._fail(INDEX, f"damaged ({e}); run scmigrate verify") from None
        if stream.range.crc32 != t.index_crc:
            raise self._fail(INDEX, "damaged (does not match the trailer); run scmigrate verify")
        self.problem = None
        self.index_size = stream.size
        self.index_loaded = True
        self._declared = {k: head.get(k) for k in ("items", "models")}
        for member in entries.by_offset():
            if member["offset"] + member["length"] > t.index_offset:
                raise self._fail(INDEX, f"places {member['name']} outside the archive's member area")
        self.entries = entries

    def _check_coverage(self) -> None:
        """The index must account for every member: its entries tile the file up to the index
        (SPEC §5) and its item and model counts match. A member it leaves out would be lost
        without a word, so the archive is refused (``--salvage`` reads it by walking the frames)."""
        assert self.trailer is not None
        overlap, missing = index_gaps(self.read_at, in_file_order(self.entries), self.trailer.index_offset)
        if overlap is not None:
            raise self._fail(INDEX, f"places {overlap} over the member before it; run scmigrate verify")
        wrong = index_miscount(self.entries, self._declared)
        if wrong:
            self.miscount = f"{INDEX}: declares {wrong}"
        if missing:
            shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
            raise self._fail(INDEX, f"does not list {shown}; read it with --salvage, or run scmigrate verify")
        if self.miscount:
            raise InputError(f"{self.path}: {self.miscount}; read it with --salvage, or run scmigrate verify")

    def _salvage(self) -> None:
        """Replace the index by what a walk of every frame finds (each member decoded and hashed)."""
        entries, self.salvaged = salvage(self.read_at, self.size)
        for why in self.salvaged:
            log.warning("%s: %s", self.path, why)
        self.entries = {str(e["name"]): e for e in entries}
        if PROJECT not in self.entries:
            self.problem = f"{PROJECT}: not found by walking the frames; there is nothing to salvage"
            return
        for e in self.entries.values():
            if e["name"].startswith("items/"):
                try:
                    e["blob"] = self._json(e["name"], "item")["blob"]
                except InputError:
                    pass  # items() says what is wrong with it
        self.problem = None

    def _ready(self) -> None:
        if self.problem:
            named = self.problem.startswith(str(self.path))
            raise InputError(self.problem if named else f"{self.path}: {self.problem}")

    def _stream(self, entry: dict[str, Any]) -> MemberStream:
        """Open one member's frame, checking its header against the index entry."""
        try:
            # the sha256 and the frame's checksum check what is read: the CRC-32 is for verify
            stream = MemberStream(self.read_at, entry["offset"], entry["length"], expect_sha256=entry["sha256"],
                                  crc=False)
        except (MemberDamaged, EndOfArchive, zstandard.ZstdError) as e:
            raise self._fail(entry["name"], f"damaged ({e}); run scmigrate verify") from None
        if stream.name != entry["name"] or stream.size != entry["size"]:
            raise self._fail(entry["name"], "damaged (its header does not match the index); run scmigrate verify")
        return stream

    def _json(self, name: str, kind: str, entry: dict[str, Any] | None = None) -> Any:
        """The member ``name`` parsed and checked against the schema of ``kind``; ``entry``: its
        index entry when the caller has it already."""
        entry = self.entries.get(name) if entry is None else entry
        if entry is None:
            raise self._fail(name, "missing from the archive")
        if entry["size"] > MAX_JSON:
            raise self._fail(name, f"declares {entry['size']} bytes, more than a JSON member may hold")
        stream = self._stream(entry)
        parts = []
        try:
            while chunk := stream.read(1 << 20):
                parts.append(chunk)
        except MemberDamaged as e:
            raise self._fail(name, f"damaged ({e}); run scmigrate verify") from None
        doc = self._parse(name, b"".join(parts))
        schema.validate(kind, doc, self.version, where=f"{self.path}: {name}")
        return doc

    def _opener(self, blob: str) -> Callable[[], BinaryIO]:
        """A function that opens ``blob`` when called (a model file is read only if its sink wants it)."""
        return lambda: self.open_member(blob)

    def open_member(self, name: str, label: str = "", entry: dict[str, Any] | None = None) -> BinaryIO:
        """A buffered stream of one member's data (sha256 checked when it reaches the end);
        ``entry``: its index entry when the caller has it already (no second look-up)."""
        entry = self.entries.get(name) if entry is None else entry
        if entry is None:
            raise self._fail(name + label, "missing from the archive")
        where = name + label

        def fail(e: Exception) -> Exception:
            return self._fail(where, f"damaged ({e}); run scmigrate verify")

        return CheckedReader(NamedDamage(self._stream(entry), fail), entry["sha256"])

    # ----------------------------------------------------------------------- Reader API

    def project(self) -> Project:
        self._ready()
        return Project.from_dict(self._project_doc())

    def _labels_project(self) -> Project:
        """The project, read once, for what old archives' empty-label boxes mean."""
        if self._scene_project is None:
            self._scene_project = self.project()
        return self._scene_project

    def items(self) -> Iterator[Item]:
        self._ready()
        for entry in in_file_order(self.entries, "items/"):
            try:
                item = self._item(entry["name"], entry)
            except InputError as e:
                if self.salvaged is None:
                    raise
                self._left_out(str(e).removeprefix(f"{self.path}: "))
                continue
            yield item

    def _left_out(self, why: str) -> None:
        assert self.salvaged is not None
        self.salvaged.append(f"left out: {why}")
        log.warning("%s: left out: %s", self.path, why)

    def notes(self) -> list[str]:
        if self.salvaged is None:
            return []
        found = sum(n.startswith("items/") for n in self.entries)
        return [f"{self.path}: salvaged by walking its frames (the index was not used): {found} item(s) found",
                *(f"{self.path}: {n}" for n in self.salvaged)]

    def item(self, key: str) -> Item:
        """One item by key, reading only its own frames."""
        self._ready()
        name = item_member(key)
        if name not in self.entries:
            raise InputError(f"{self.path}: no item {key!r}")
        return self._item(name)

    def _project_doc(self) -> dict[str, Any]:
        """``project.json``, validated and checked once; items are checked against its names."""
        if self._project is None:
            doc = self._json(PROJECT, "project")
            problems = project_problems(doc)
            if problems:
                raise self._fail(PROJECT, problems[0])
            self._project, self._facts = doc, ProjectFacts.of(doc)
        return self._project

    def _item(self, name: str, entry: dict[str, Any] | None = None) -> Item:
        doc = self._json(name, "item", entry)
        self._project_doc()
        assert self._facts is not None
        blob = doc["blob"]
        # the blob's entry, looked up once here in the reader thread: the checks and the opener use it
        # (the index is one SQLite table behind a lock; a look-up per open made the workers queue on it)
        found = self.entries.get(blob)
        problems = item_problems(name, doc, self._facts, {blob: found} if found is not None else {})
        media = Media.from_dict(doc["media"])
        if problems:
            raise self._fail(f"{name} (item {media.key!r})", problems[0])
        label = f" (media of item {media.key!r})"
        ann = doc["annotations"]
        # archives written before the model had one form of "annotated empty" may hold the
        # cluster's (its empty label on the full-image box): read as the same, an empty scene
        scenes = [read_empty_mark(Scene.from_dict(s), self._labels_project, media.width, media.height)
                  for s in ann["scenes"]]
        return Item(media=media, open=lambda: self.open_member(blob, label, found),
                    scenes=scenes,
                    ranges=[RangeLabel.from_dict(r) for r in ann["ranges"]])

    def models(self) -> Iterator[ModelArtifact]:
        self._ready()
        for entry in in_file_order(self.entries, "models/"):
            doc = self._json(entry["name"], "model")
            problems = model_problems(entry["name"], doc, self.entries)
            if problems:
                raise self._fail(f"{entry['name']} (model {doc['key']!r})", problems[0])
            files = [ModelFile(f["name"], self._opener(f["blob"]), f["size"]) for f in doc["files"]]
            yield ModelArtifact(doc["key"], doc["metadata"], files)

    def size_hint(self) -> SizeHint:
        if self.problem:
            return SizeHint()
        if isinstance(self.entries, IndexEntries):
            items, held = self.entries.item_totals()
            return SizeHint(items=items, bytes=held)
        items = held = 0  # entries a walk of the frames found (--salvage)
        for e in in_file_order(self.entries, "items/"):
            items += 1
            held += self.entries[e["blob"]]["size"] if e.get("blob") in self.entries else 0
        return SizeHint(items=items, bytes=held)

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {
            "format_version": self.version,
            "created_by": self.manifest.get("created_by"),
            "created_at": self.manifest.get("created_at"),
            "complete": self.problem is None,
            "compressed_bytes": self.size,
        }
        if self.problem:
            facts["problem"] = self.problem
            return facts
        counts = {"items/": 0, "models/": 0, "blobs/": 0}
        uncompressed = logical = 0
        named: set[str] = set()
        for e in self.entries.values():  # one at a time: an index can list a million members
            uncompressed += e["size"]
            kind = e["name"][: e["name"].find("/") + 1]
            if kind in counts:
                counts[kind] += 1
            if kind == "items/" and e.get("blob") in self.entries:
                logical += self.entries[e["blob"]]["size"]
                named.add(e["blob"])
        stored_media = sum(self.entries[n]["size"] for n in named)
        facts.update(members=len(self.entries) + 1,  # + the index itself
                     items=counts["items/"], models=counts["models/"], blobs=counts["blobs/"],
                     uncompressed_bytes=uncompressed + self.index_size, media_bytes=logical,
                     stored_media_bytes=stored_media, dedup_saved_bytes=logical - stored_media)
        return facts

    def verify(self, quick: bool = False) -> list[str]:
        from .verify import verify

        if self.salvaged is not None:  # verify judges the archive as written, index and all
            plain = ArchiveReader(self.path)
            try:
                return verify(plain, quick)
            finally:
                plain.close()
        return verify(self, quick)

    def close(self) -> None:
        self._f.close()


def _open(location: str) -> BinaryIO:
    storage, name = split_location(location)
    return storage.open_read(name)


def _descriptor(f: BinaryIO) -> int | None:
    """The OS file descriptor of a plain local file; None for object-store streams (no ``fileno``)."""
    try:
        fd = f.fileno()
        os.pread(fd, 1, 0)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return fd
