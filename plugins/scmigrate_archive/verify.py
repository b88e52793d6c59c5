"""``scmigrate verify x.scz``: re-check every byte of an archive and name each damaged member.

With an intact trailer and index, every member listed in the index is decoded and re-hashed
(the CRC-32 of its compressed frame catches any changed byte, even one the decoder would not
notice; the sha256 of its data catches wrong content), and the members must tile the file
without gaps. Without a usable index the file is scanned frame by frame instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import zstandard

from .frames import (
    EndOfArchive,
    MemberDamaged,
    MemberStream,
    RangeReader,
    decode_member,
)
from .layout import INDEX, MAX_INDEX
from .scan import Problem, is_end_frame, scan

if TYPE_CHECKING:
    from .reader import ArchiveReader

__all__ = ["verify"]


def _labels(entries: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Member name → how to name it to a user (with the item key where there is one)."""
    out: dict[str, str] = {}
    for e in entries.values():
        if e["name"].startswith("items/") and "key" in e:
            out[e["name"]] = f"{e['name']} (item {e['key']!r})"
            if e.get("blob"):
                out.setdefault(e["blob"], f"{e['blob']} (media of item {e['key']!r})")
        elif e["name"].startswith("models/") and "key" in e:
            out[e["name"]] = f"{e['name']} (model {e['key']!r})"
    return out


def _check_entry(reader: ArchiveReader, e: dict[str, Any]) -> str | None:
    try:
        stream = MemberStream(reader.read_at, e["offset"], e["length"], expect_sha256=e["sha256"])
        if stream.name != e["name"]:
            return f"header names {stream.name!r}"
        if stream.size != e["size"]:
            return f"size {stream.size} in its header, {e['size']} in the index"
        while stream.read(1 << 20):
            pass
    except EndOfArchive:
        return "frame holds end-of-archive blocks instead of the member"
    except (MemberDamaged, zstandard.ZstdError) as err:
        return str(err)
    if stream.range.crc32 != e["crc32"]:
        return "compressed bytes changed (CRC-32 mismatch)"
    return None


def _check_index(reader: ArchiveReader, lines: list[str]) -> bool:
    """Check the index frame and the end blocks against the trailer; True if the index is usable."""
    t = reader.trailer
    assert t is not None
    ok = reader.problem is None
    if not ok:
        lines.append(str(reader.problem).removeprefix(f"{reader.path}: "))
    try:
        stream, _ = decode_member(reader.read_at, t.index_offset, t.index_length, keep_up_to=0)
        if stream.name != INDEX or stream.size > MAX_INDEX or stream.range.crc32 != t.index_crc:
            raise MemberDamaged("does not match the trailer")
    except (MemberDamaged, EndOfArchive, zstandard.ZstdError) as err:
        if ok:
            lines.append(f"{INDEX}: damaged ({err})")
        ok = False
    rng = RangeReader(reader.read_at, t.end_offset, t.end_length)
    rng.drain()
    if rng.crc32 != t.end_crc or not is_end_frame(reader.read_at, t.end_offset, t.end_length):
        lines.append(f"end-of-archive blocks (byte {t.end_offset}): damaged")
    return ok


def verify(reader: ArchiveReader) -> list[str]:
    """One line per damaged member (or region), naming it; an empty list means intact."""
    lines: list[str] = []
    usable = False
    if reader.trailer is None:
        lines.append("trailer: missing or damaged (the archive is incomplete, truncated, or its end is damaged)")
    else:
        usable = _check_index(reader, lines)
    if usable:
        labels = _labels(reader.entries)
        expected = 0
        for e in sorted(reader.entries.values(), key=lambda e: e["offset"]):
            if e["offset"] != expected:
                lines.append(f"bytes {expected}-{e['offset']}: not covered by the index")
            why = _check_entry(reader, e)
            if why:
                lines.append(f"{labels.get(e['name'], e['name'])}: {why}")
            expected = e["offset"] + e["length"]
        assert reader.trailer is not None
        if expected != reader.trailer.index_offset:
            lines.append(f"bytes {expected}-{reader.trailer.index_offset}: not covered by the index")
        return lines
    # No index to go by: walk the frames and report where the damage starts.
    seen_index = seen_end = False
    for ev in scan(reader.read_at, reader.size):
        if isinstance(ev, Problem):
            what = ev.name or f"frame at byte {ev.offset}"
            lines.append(f"{what}: {'truncated' if ev.truncated else 'damaged'} ({ev.reason})")
            break
        seen_index = seen_index or ev.name == INDEX
        seen_end = seen_end or ev.kind == "end"
    else:
        if not seen_index:
            lines.append(f"{INDEX}: missing (the write was interrupted; resume with --resume)")
        elif not seen_end:
            lines.append("end-of-archive blocks: missing (the file is truncated)")
    return lines
