"""Walk an archive front to back, frame by frame, trusting nothing but the bytes.

Resume uses this to find the last complete member and rebuild the index; verify uses it when
an archive has no usable index. A scan decodes every member fully (sizes, padding, zstd
checksum) and hashes its data, so what it reports as complete really is.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any, cast

import zstandard

from .frames import (
    EndOfArchive,
    FrameError,
    MemberDamaged,
    MemberStream,
    ReadAt,
    Truncated,
    decode_member,
    decompressor,
    frame_length,
    is_skippable,
)
from .layout import INDEX, MAX_JSON
from .tarfmt import END_BLOCKS

__all__ = ["Problem", "Scanned", "describe_region", "index_gaps", "index_miscount", "is_end_frame", "key_of",
           "member_label", "peek_name", "salvage", "scan"]


@dataclass
class Scanned:
    """A complete member found by a scan (``kind`` "member"), or the end blocks / a skippable frame."""

    kind: str
    offset: int
    length: int
    name: str = ""
    size: int = 0
    sha256: str = ""
    crc32: int = 0
    data: bytes | None = None  # the decoded data of small JSON members (not of the index)


@dataclass
class Problem:
    """Where and why a scan had to stop; ``name`` is the member when its header could be read."""

    offset: int
    reason: str
    name: str | None = None
    truncated: bool = False


def peek_name(read_at: ReadAt, offset: int, available: int) -> str | None:
    """The member name in the header of a (possibly cut-short) frame, if it can be decoded."""
    try:
        return MemberStream(read_at, offset, available).name
    except (MemberDamaged, EndOfArchive, zstandard.ZstdError, ValueError):
        return None


def is_end_frame(read_at: ReadAt, offset: int, length: int) -> bool:
    """True if the frame decodes to exactly the two zero blocks that end a tar stream."""
    from .frames import RangeReader

    try:
        # zstandard only calls read(); its stubs ask for IO[bytes], which a RawIOBase is not by name
        reader = decompressor().stream_reader(cast(IO[bytes], RangeReader(read_at, offset, length)),
                                              read_across_frames=False)
        data = reader.read(len(END_BLOCKS) + 1)
        while len(data) <= len(END_BLOCKS):
            more = reader.read(len(END_BLOCKS) + 1 - len(data))
            if not more:
                break
            data += more
        return data == END_BLOCKS
    except zstandard.ZstdError:
        return False


def scan(read_at: ReadAt, file_size: int, start: int = 0) -> Iterator[Scanned | Problem]:
    """Yield each frame from ``start`` as :class:`Scanned`; a :class:`Problem` is the last thing yielded."""
    offset = start
    while offset < file_size:
        try:
            length = frame_length(read_at, offset, file_size)
        except Truncated as e:
            yield Problem(offset, str(e), peek_name(read_at, offset, file_size - offset), truncated=True)
            return
        except FrameError as e:
            yield Problem(offset, str(e))
            return
        if is_skippable(read_at, offset):
            yield Scanned("skippable", offset, length)
        else:
            try:
                stream, data = decode_member(read_at, offset, length, keep_up_to=MAX_JSON)
            except EndOfArchive:
                if not is_end_frame(read_at, offset, length):
                    yield Problem(offset, "end-of-archive frame does not decode to two zero blocks", "end blocks")
                    return
                yield Scanned("end", offset, length)
            except MemberDamaged as e:
                yield Problem(offset, str(e), peek_name(read_at, offset, length))
                return
            else:
                if not stream.name.endswith(".json"):
                    data = None
                yield Scanned("member", offset, length, stream.name, stream.size, stream.sha256 or "",
                              stream.range.crc32, data)
        offset += length


def key_of(ev: Scanned) -> str | None:
    """The key inside a scanned item or model document, if it reads as one."""
    if ev.data is None or not ev.name.startswith(("items/", "models/")):
        return None
    try:
        doc = json.loads(ev.data)
        key = doc["media"]["key"] if ev.name.startswith("items/") else doc["key"]
    except (ValueError, KeyError, TypeError, RecursionError):
        return None
    return key if isinstance(key, str) else None


def member_label(name: str, key: str | None) -> str:
    """A member as a user is shown it: its name, and the item's or model's key where known."""
    if key is None:
        return name
    return f"{name} ({'item' if name.startswith('items/') else 'model'} {key!r})"


def describe_region(read_at: ReadAt, start: int, end: int) -> list[str]:
    """What the frames of bytes ``start``–``end`` hold, one entry per member (for a gap in an index)."""
    out: list[str] = []
    for ev in scan(read_at, end, start):
        if isinstance(ev, Problem):
            out.append(f"{ev.name or 'a frame'} at byte {ev.offset}, damaged ({ev.reason})")
        elif ev.kind == "member":
            out.append(member_label(ev.name, key_of(ev)))
        else:
            out.append(f"{'end-of-archive blocks' if ev.kind == 'end' else 'a skippable frame'} at byte {ev.offset}")
    return out


def index_gaps(read_at: ReadAt, entries: Iterable[dict[str, Any]], index_offset: int) -> tuple[str | None, list[str]]:
    """Check that an index's ``entries``, in offset order, tile the file up to ``index_offset`` (SPEC §5).

    Returns the name of an entry placed over the one before it (or None) and what the bytes no entry
    covers hold, one entry per member (a member an index leaves out would be lost without a word).
    """
    missing: list[str] = []
    expected = 0
    for e in itertools.chain(entries, [{"offset": index_offset}]):
        if e["offset"] < expected:
            return str(e["name"]), missing
        if e["offset"] > expected:
            missing += describe_region(read_at, expected, e["offset"])
        expected = e["offset"] + e.get("length", 0)
    return None, missing


def index_miscount(names: Iterable[str], declared: dict[str, Any]) -> str | None:
    """Where an index's own ``items``/``models`` counts disagree with the entries it lists, or None."""
    listed = {"items": 0, "models": 0}
    for n in names:  # one pass, one name at a time: an index can list a million members
        kind = n.split("/", 1)[0]
        if kind in listed:
            listed[kind] += 1
    wrong = [f"{declared[k]} {k} but lists {listed[k]}" for k in listed if declared.get(k) not in (None, listed[k])]
    return f"{' and '.join(wrong)}" if wrong else None


def salvage(read_at: ReadAt, file_size: int) -> tuple[list[dict[str, object]], list[str]]:
    """Index entries rebuilt from the frames themselves, and one note per frame that had to be left out.

    Every member kept decoded completely and its data was hashed; a damaged frame whose length
    can still be walked is skipped, and the walk goes on after it (a cut-short one ends it).
    """
    entries: dict[str, dict[str, object]] = {}
    notes: list[str] = []
    offset = 0
    while offset < file_size:
        resume_at = file_size
        for ev in scan(read_at, file_size, offset):
            if isinstance(ev, Problem):
                notes.append(f"{ev.name or 'frame'} at byte {ev.offset} left out: "
                             f"{'cut short' if ev.truncated else 'damaged'} ({ev.reason})")
                if not ev.truncated:
                    try:
                        resume_at = ev.offset + frame_length(read_at, ev.offset, file_size)
                    except FrameError:
                        pass  # not even the frame's structure holds: nothing after it can be found
                break
            if ev.kind != "member" or ev.name == INDEX or ev.name in entries:
                continue
            entry: dict[str, object] = {"name": ev.name, "offset": ev.offset, "length": ev.length,
                                        "size": ev.size, "sha256": ev.sha256, "crc32": ev.crc32}
            key = key_of(ev)
            if key is not None:
                entry["key"] = key
            entries[ev.name] = entry
        offset = resume_at
    return list(entries.values()), notes
