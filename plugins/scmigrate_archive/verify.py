"""``scmigrate verify x.scz``: re-check every byte and every document of an archive, naming each problem.

With an intact trailer and index, every member listed in the index is decoded and re-hashed
(the CRC-32 of its compressed frame catches any changed byte, even one the decoder would not
notice; the sha256 of its data catches wrong content), and the members must tile the file
without gaps: the members in a gap are named from their own tar headers. Without a usable index
the file is walked frame by frame instead. Unless ``quick``, every JSON member is then parsed
and validated against its schema, and checked against the others (an item's blob and labels, a
model's files, ...), as a restore would: an archive that verifies is one a restore reads.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import zstandard

from scmigrate import schema
from scmigrate.errors import InputError

from .entries import in_file_order
from .frames import (
    EndOfArchive,
    MemberDamaged,
    MemberStream,
    RangeReader,
    decode_member,
)
from .layout import INDEX, MANIFEST, MAX_INDEX, MAX_JSON, PROJECT
from .references import ProjectFacts, item_problems, model_problems, project_problems
from .scan import Problem, describe_region, is_end_frame, key_of, member_label, scan

if TYPE_CHECKING:
    from .reader import ArchiveReader

__all__ = ["verify"]


def _label(entries: Mapping[str, dict[str, Any]], name: str) -> str | None:
    """How to name a member to a user (with the item key where there is one), when the index says.

    Asked only for a member with a problem: a table of every member's label would grow with the
    archive."""
    e = entries.get(name)
    if e is not None and e["name"].startswith(("items/", "models/")) and "key" in e:
        return member_label(e["name"], e["key"])
    if name.startswith("blobs/"):
        for item in in_file_order(entries, "items/"):
            if item.get("blob") == name and "key" in item:
                return f"{name} (media of item {item['key']!r})"
    return None


class _Content:
    """The schema and cross-reference checks of JSON members (SPEC §4, §11), member by member."""

    _KINDS = {MANIFEST: "manifest", PROJECT: "project", INDEX: "index"}

    def __init__(self, reader: ArchiveReader, entries: Mapping[str, dict[str, Any]]) -> None:
        self.reader, self.entries = reader, entries
        self.facts: ProjectFacts | None = None
        self.last_key: str | None = None  # the key inside the member just checked, to name it by

    def check(self, name: str, data: bytes) -> list[str]:
        """Problems of one member's data (only JSON members have any to find)."""
        self.last_key = None
        kind = self._KINDS.get(name) or {"items": "item", "models": "model"}.get(name.split("/")[0])
        if kind is None:
            return []
        try:
            doc = schema.loads(data, name)
            schema.validate(kind, doc, self.reader.version, where=name)
        except InputError as e:
            return [str(e).removeprefix(f"{name}: ")]
        entry = self.entries.get(name, {})
        if kind in ("item", "model"):
            self.last_key = doc["media"]["key"] if kind == "item" else doc["key"]
        if kind == "project":
            self.facts = ProjectFacts.of(doc)
            return project_problems(doc)
        if kind == "item":
            out = item_problems(name, doc, self.facts, self.entries)
            if entry.get("key", doc["media"]["key"]) != doc["media"]["key"] or entry.get("blob",
                                                                                         doc["blob"]) != doc["blob"]:
                out.append("its index entry names another key or blob than the item itself")
            return out
        if kind == "model":
            out = model_problems(name, doc, self.entries)
            if entry.get("key", doc["key"]) != doc["key"]:
                out.append("its index entry names another key than the model itself")
            return out
        return []


def _check_entry(reader: ArchiveReader, e: dict[str, Any], content: _Content | None) -> list[str]:
    keep = content is not None and e["name"].endswith(".json") and e["size"] <= MAX_JSON
    parts: list[bytes] = []
    try:
        stream = MemberStream(reader.read_at, e["offset"], e["length"], expect_sha256=e["sha256"])
        if stream.name != e["name"]:
            return [f"header names {stream.name!r}"]
        if stream.size != e["size"]:
            return [f"size {stream.size} in its header, {e['size']} in the index"]
        while chunk := stream.read(1 << 20):
            if keep:
                parts.append(chunk)
    except EndOfArchive:
        return ["frame holds end-of-archive blocks instead of the member"]
    except (MemberDamaged, zstandard.ZstdError) as err:
        return [str(err)]
    if stream.range.crc32 != e["crc32"]:
        return ["compressed bytes changed (CRC-32 mismatch)"]
    if content is not None and e["name"].endswith(".json") and not keep:
        return [f"declares {e['size']} bytes, more than a JSON member may hold"]
    return content.check(e["name"], b"".join(parts)) if keep and content is not None else []


def _check_index(reader: ArchiveReader, lines: list[str]) -> bool:
    """Check the index frame and the end blocks against the trailer; True if the index is usable."""
    t = reader.trailer
    assert t is not None
    ok = reader.index_loaded
    if not ok:
        lines.append(str(reader.problem).removeprefix(f"{reader.path}: "))
    elif reader.miscount:
        lines.append(reader.miscount)
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


def _unlisted(reader: ArchiveReader, start: int, end: int) -> list[str]:
    return [f"{what}: not listed in the index (bytes {start}-{end})" for what in describe_region(reader.read_at, start,
                                                                                                 end)]


def _verify_by_index(reader: ArchiveReader, quick: bool, lines: list[str]) -> None:
    entries = reader.entries
    content = None if quick else _Content(reader, entries)
    expected = 0
    for e in in_file_order(entries):
        if e["offset"] > expected:
            lines += _unlisted(reader, expected, e["offset"])
        elif e["offset"] < expected:
            lines.append(f"{_label(entries, e['name']) or e['name']}: its frame overlaps the member before it in "
                         "the index")
        expected = max(expected, e["offset"] + e["length"])
    # items are checked against the project's names: read it first, wherever it sits
    first = [entries[PROJECT]] if content is not None and PROJECT in entries else []
    rest = (e for e in in_file_order(entries) if not first or e["name"] != PROJECT)
    for e in itertools.chain(first, rest):
        if content is not None:
            content.last_key = None
        problems = _check_entry(reader, e, content)
        if problems:
            label = _label(entries, e["name"]) or member_label(e["name"], content.last_key if content else None)
            lines += [f"{label}: {why}" for why in problems]
    assert reader.trailer is not None
    if expected < reader.trailer.index_offset:
        lines += _unlisted(reader, expected, reader.trailer.index_offset)


def _verify_by_walking(reader: ArchiveReader, quick: bool, lines: list[str]) -> None:
    """No index to go by: walk the frames, check what they hold, and report where the damage starts."""
    seen: dict[str, dict[str, Any]] = {}
    content = None if quick else _Content(reader, seen)
    last = None
    seen_index = seen_end = False
    for ev in scan(reader.read_at, reader.size):
        if isinstance(ev, Problem):
            what = ev.name or f"frame at byte {ev.offset}"
            why = ev.reason
            if not ev.name and last:  # too little of it is left to read its header: say where it sits
                why = f"{'the file ends inside it' if ev.truncated else why}; it is the member after {last}"
            lines.append(f"{what}: {'truncated' if ev.truncated else 'damaged'} ({why})")
            break
        if ev.kind == "member" and ev.name != INDEX:
            seen[ev.name] = {"name": ev.name, "sha256": ev.sha256, "size": ev.size}
            if content is not None and ev.data is not None:
                lines += [f"{ev.name}: {why}" for why in content.check(ev.name, ev.data)]
            last = member_label(ev.name, key_of(ev))
        seen_index = seen_index or ev.name == INDEX
        seen_end = seen_end or ev.kind == "end"
    else:
        if not seen_index:
            lines.append(f"{INDEX}: missing (the write was interrupted; resume with --resume)")
        elif not seen_end:
            lines.append("end-of-archive blocks: missing (the file is truncated)")


def verify(reader: ArchiveReader, quick: bool = False) -> list[str]:
    """One line per damaged member (or region), naming it; an empty list means intact.

    ``quick``: only the bytes (CRC-32, zstd checksum, sha256, tiling), not what the JSON says.
    """
    lines: list[str] = []
    usable = False
    if reader.trailer is None:
        lines.append("trailer: missing or damaged (the archive is incomplete, truncated, or its end is damaged)")
    else:
        usable = _check_index(reader, lines)
    if usable:
        _verify_by_index(reader, quick, lines)
    else:
        _verify_by_walking(reader, quick, lines)
    return lines
