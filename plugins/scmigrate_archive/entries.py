"""The index's entries in memory: read as a stream, kept as compact rows.

An index lists two members per item (~250 bytes of JSON each). Parsed whole, as ``json.loads``
does, a 20,000-item index is held three times at once (the bytes, the text, ~40,000 dicts: about
50 MB), and a dict per entry stays for the reader's life. :func:`read_index` parses the index
member by member from its decoded stream (each entry validated against the index schema as it
comes, the top-level fields once at the end), and :class:`IndexEntries` keeps one packed row per
member (the sha256 as 32 bytes) in a temporary SQLite database, handing out the entry dicts readers
use only when asked: a reader's memory does not grow with the member count (rows in a dict were
~8 MB at 20,000 items).
"""

from __future__ import annotations

import codecs
import json
import re
import sqlite3
import struct
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from scmigrate import schema, scratch
from scmigrate.errors import InputError

__all__ = ["CHUNK", "DuplicateEntry", "IndexEntries", "in_file_order", "read_index"]

_WS = json.decoder.WHITESPACE  # type: ignore[attr-defined]  # the decoder's own whitespace rule
_FIELDS = ("offset", "length", "size", "crc32")
#: bytes decoded per step: what the parser holds beyond the entries is about twice this
CHUNK = 1 << 16


_ROW = struct.Struct("<QQQI32s")  # offset, length, size, crc32, sha256: then the blob name, the key
#: rows read per query when iterating
_PAGE = 1000
_HEX_NAME = re.compile(r"(blobs|items|models)/([0-9a-f]{64})(.*)")


def _packed_name(name: str) -> bytes:
    """A member name in 33 bytes plus its extension (the hex digest as bytes): a third of the str."""
    m = _HEX_NAME.fullmatch(name)
    if m is None:
        return name.encode()
    return b"bim"[("blobs", "items", "models").index(m[1])].to_bytes(1, "big") + bytes.fromhex(m[2]) + m[3].encode()


def _unpacked_name(packed: bytes) -> str:
    kind = {98: "blobs/", 105: "items/", 109: "models/"}.get(packed[0]) if len(packed) >= 33 else None
    if kind is None or packed[:1] not in b"bim":
        return packed.decode()
    return kind + packed[1:33].hex() + packed[33:].decode()


class DuplicateEntry(KeyError):
    """:meth:`IndexEntries.add` of a name it holds already."""


class IndexEntries(Mapping[str, dict[str, Any]]):
    """Index entries by member name; ``entries[name]`` is a fresh dict each time (read-only).

    One bytes row per member holds its numbers, hashes and names (~150 bytes for an item's entry,
    against ~600 as a dict of Python objects), kept in a private temporary SQLite database
    (:func:`scmigrate.scratch.connect`: on disk past a small page cache, removed when the
    connection closes), so the reader's memory does not grow with the archive's member count.
    Readers look members up from several threads: one lock serialises the connection's use.
    """

    def __init__(self) -> None:
        self._db = scratch.connect()
        # item and blob (an item's blob, packed) and size beside the row: what size_hint sums in one query
        self._db.execute("CREATE TABLE rows (seq INTEGER PRIMARY KEY, name BLOB UNIQUE NOT NULL, "
                         "offset INTEGER NOT NULL, row BLOB NOT NULL, item INTEGER NOT NULL, blob BLOB, "
                         "size INTEGER NOT NULL)")
        self._lock = threading.Lock()
        self._count = 0
        self._in_order = True  # listed in file order (as writers do): iterating by offset needs no sort
        self._last = -1

    def add(self, e: dict[str, Any]) -> None:
        blob = _packed_name(e["blob"]) if e.get("blob") is not None else b""
        key = e["key"].encode("utf-8", "surrogatepass") if e.get("key") is not None else None
        # int(): the schema's integers include 5.0 (JSON Schema counts it as one)
        row = b"".join((_ROW.pack(*(int(e[f]) for f in _FIELDS), bytes.fromhex(e["sha256"])),
                        len(blob).to_bytes(1, "big"), blob, b"" if key is None else b"\x01" + key))
        item = e["name"].startswith("items/")
        try:
            with self._lock:
                self._db.execute("INSERT INTO rows (name, offset, row, item, blob, size) VALUES (?, ?, ?, ?, ?, ?)",
                                 (_packed_name(e["name"]), int(e["offset"]), row, item,
                                  blob if item and blob else None, int(e["size"])))
                self._count += 1
        except sqlite3.IntegrityError:  # the name's UNIQUE: the one look-up a listing needs, made by SQLite
            raise DuplicateEntry(e["name"]) from None
        self._in_order = self._in_order and int(e["offset"]) > self._last
        self._last = max(self._last, int(e["offset"]))

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _row(self, packed: bytes) -> bytes | None:
        found = self._query("SELECT row FROM rows WHERE name = ?", (packed,))
        return found[0][0] if found else None

    def _entry(self, packed: bytes, row: bytes) -> dict[str, Any]:
        offset, length, size, crc, sha = _ROW.unpack_from(row)
        at = _ROW.size + 1 + row[_ROW.size]
        entry = {"name": _unpacked_name(packed), "offset": offset, "length": length, "size": size, "crc32": crc,
                 "sha256": sha.hex()}
        if at < len(row):
            entry["key"] = row[at + 1:].decode("utf-8", "surrogatepass")
        if row[_ROW.size]:
            entry["blob"] = _unpacked_name(row[_ROW.size + 1: at])
        return entry

    def __getitem__(self, name: str) -> dict[str, Any]:
        packed = _packed_name(name)
        row = self._row(packed)
        if row is None:
            raise KeyError(name)
        return self._entry(packed, row)

    def get(self, name: str, default: Any = None) -> Any:
        packed = _packed_name(name)
        row = self._row(packed)
        return default if row is None else self._entry(packed, row)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._row(_packed_name(name)) is not None

    def _pages(self, order: str) -> Iterator[tuple[bytes, bytes]]:
        """Every (name, row) by ``order`` (``seq``: as added; ``offset``), a page per query: a lookup
        from another thread can run between two pages."""
        after: tuple[int, int] = (-1, -1)
        while True:
            page = self._query(f"SELECT {order}, seq, name, row FROM rows WHERE ({order}, seq) > (?, ?) "
                               f"ORDER BY {order}, seq LIMIT {_PAGE}", after)
            for _, _, packed, row in page:
                yield packed, row
            if len(page) < _PAGE:
                return
            after = (page[-1][0], page[-1][1])

    def __iter__(self) -> Iterator[str]:
        return (_unpacked_name(packed) for packed, _ in self._pages("seq"))

    def values(self) -> Iterator[dict[str, Any]]:  # type: ignore[override]
        return (self._entry(packed, row) for packed, row in self._pages("seq"))

    def __len__(self) -> int:
        return self._count

    def item_totals(self) -> tuple[int, int]:
        """How many items are listed, and the sizes of their blobs summed (once per item that holds one)."""
        [(items, held)] = self._query("SELECT count(*), coalesce(sum(b.size), 0) FROM rows AS i "
                                      "LEFT JOIN rows AS b ON b.name = i.blob WHERE i.item")
        return int(items), int(held)

    def by_offset(self, prefix: str = "") -> Iterator[dict[str, Any]]:
        """The entries whose name starts with ``prefix``, in file order, one at a time."""
        kind = _packed_name(prefix + "0" * 64)[:1] if prefix else b""
        for packed, row in self._pages("seq" if self._in_order else "offset"):
            if packed.startswith(kind):
                entry = self._entry(packed, row)
                if entry["name"].startswith(prefix):
                    yield entry


def in_file_order(entries: Mapping[str, dict[str, Any]], prefix: str = "") -> Iterator[dict[str, Any]]:
    """The entries whose name starts with ``prefix``, by offset: from an index one at a time,
    from the plain dict a walk of the frames builds (``--salvage``) sorted."""
    if isinstance(entries, IndexEntries):
        return entries.by_offset(prefix)
    return iter(sorted((e for e in entries.values() if e["name"].startswith(prefix)), key=lambda e: e["offset"]))


def read_index(chunks: Iterator[bytes], version: str, where: str) -> tuple[dict[str, Any], IndexEntries]:
    """The index's top-level fields (``members`` left out) and its entries, from its data in chunks.

    Raises :class:`InputError` naming ``where`` (and the entry) for what is not JSON, not valid
    against the index schema, or lists a member twice.
    """
    entries = IndexEntries()
    head: dict[str, Any] = {}
    parser = _Parser(chunks, where)
    parser.expect("{")
    members_seen = False
    n = 0

    def entry(doc: Any) -> None:
        nonlocal n
        try:
            schema.validate("index", {"format_version": version, "members": [doc]}, version, where=where)
        except InputError as e:  # named by its place in the index, as a whole-document check would
            raise InputError(str(e).replace(f"{where}: members/0", f"{where}: members/{n}", 1)) from None
        try:
            entries.add(doc)
        except DuplicateEntry:
            raise InputError(f"{where}: lists {doc['name']} twice") from None
        n += 1

    if not parser.consume("}"):
        while True:
            key = parser.value()
            if not isinstance(key, str):
                raise parser.bad("expected a property name")
            parser.expect(":")
            if key in head or (key == "members" and members_seen):
                raise InputError(f"{where}: not valid JSON (the key {key!r} appears twice)")
            if key == "members" and parser.consume("["):
                members_seen = True
                parser.elements("]", entry)
            else:
                head[key] = parser.value()  # a "members" that is no array is left to the schema to name
            if parser.consume("}"):
                break
            parser.expect(",")
    parser.end()
    schema.validate("index", {**head, **({"members": []} if members_seen else {})}, version, where=where)
    head.pop("members", None)
    return head, entries


class _Parser:
    """Top-level JSON structure read from a stream of chunks, each value by the strict decoder."""

    def __init__(self, chunks: Iterator[bytes], where: str) -> None:
        self._chunks, self._where = chunks, where
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._buf, self._pos, self._eof = "", 0, False

    def bad(self, why: str) -> InputError:
        return InputError(f"{self._where}: not valid JSON ({why})")

    def _more(self) -> bool:
        if self._eof:
            return False
        if self._pos > CHUNK:  # drop what has been parsed
            self._buf, self._pos = self._buf[self._pos:], 0
        try:
            chunk = next(self._chunks, None)
            text = self._utf8.decode(chunk or b"", final=chunk is None)
        except UnicodeDecodeError as e:
            raise self.bad(f"not UTF-8 ({e.reason})") from None
        self._eof = chunk is None
        self._buf += text
        return True

    def _skip(self) -> None:
        while True:
            self._pos = _WS.match(self._buf, self._pos).end()
            if self._pos < len(self._buf) or not self._more():
                return

    def consume(self, char: str) -> bool:
        self._skip()
        if self._buf.startswith(char, self._pos):
            self._pos += 1
            return True
        return False

    def expect(self, char: str) -> None:
        if not self.consume(char):
            raise self.bad(f"expected {char!r} at character {self._pos}")

    def value(self) -> Any:
        self._skip()
        while True:
            try:
                doc, end = schema.JSON_DECODER.raw_decode(self._buf, self._pos)
            except ValueError as e:  # json.JSONDecodeError, and NaN refused
                if self._more():
                    continue  # the value may go on in the next chunk
                raise self.bad(str(e)) from None
            # a number at the end of the text read so far may go on in the next chunk
            if end < len(self._buf) or not self._more():
                self._pos = end
                return doc

    def elements(self, close: str, each: Callable[[Any], None]) -> None:
        if self.consume(close):
            return
        while True:
            each(self.value())
            if self.consume(close):
                return
            self.expect(",")

    def end(self) -> None:
        self._skip()
        if self._pos < len(self._buf):
            raise self.bad(f"extra data at character {self._pos}")
