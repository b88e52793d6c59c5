"""A run's per-item bookkeeping, with a bounded part of it in memory.

A run remembers a little of every item: the ids the target gave it (the report's id map), the
items and blobs an archive already holds, the media a listing has handed on, the uploads a
cluster writer has claimed. As Python objects an entry costs 150–250 bytes, about 500 bytes per
item in all: in a backup of 20,000 items, 10 MB of its growth over one of 2,000. :class:`KeySet`
and :class:`KeyMap` hold up to :data:`SPILL` entries in memory and move them, a batch at a time,
to a private temporary SQLite database (:func:`connect`): a run of fewer items never opens one,
and a larger one's memory does not grow with its count. A Bloom filter (:class:`_Filter`) answers
for most keys the database does not hold, so a lookup rarely reaches it.

Keys are strings (any, surrogates included); a map's values are what JSON holds.
This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): a plugin's reader or writer may
use it too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

__all__ = ["CACHE_KIB", "SPILL", "KeyMap", "KeySet", "connect"]

#: entries held in memory before they move to the database together
SPILL = 1024
#: SQLite's page cache per database, in KiB (its default is 2 MB: a run opens several)
CACHE_KIB = 256
#: rows read per query when iterating
_PAGE = 1000


def connect() -> sqlite3.Connection:
    """A private temporary SQLite database: SQLite keeps it in its page cache up to
    :data:`CACHE_KIB` and in a file past that, which it removes when the connection closes.

    The connection may be used from any thread, one at a time: its owner holds a lock.
    """
    import sqlite3  # here: a run that never spills never needs it (~4 ms of import)

    db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")  # scratch: nothing to recover after a crash
    db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    return db


def _b(key: str) -> str:
    """A key as stored: its UTF-8 bytes (surrogates kept) one character each, so any key is text
    that JSON carries as it is (a batch goes to the database as one JSON array: see ``_move``)."""
    return key.encode("utf-8", "surrogatepass").decode("latin-1")


def _s(stored: str) -> str:
    return stored.encode("latin-1").decode("utf-8", "surrogatepass")


class _Filter:
    """Which keys the database may hold: a Bloom filter, 16 bits and 4 probes per key (about 0.24 %
    false positives), rebuilt four times larger when it fills.

    Most keys a run asks about are new ones, and the filter answers for them without a query, which
    would release the GIL while the caller's lock is held (see :meth:`_Spilled._move`).
    """

    BITS = 16
    PROBES = 4

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._m = capacity * self.BITS
        self._bits = bytearray(self._m // 8 + 1)

    def _hashes(self, raw: str) -> tuple[int, int]:
        """The double hashing's two values: probe ``i`` is bit ``(h1 + i * h2) % m``."""
        h = hash(raw) & 0xFFFF_FFFF_FFFF_FFFF  # this process's hash: the filter never leaves it
        return h & 0xFFFF_FFFF, (h >> 32) | 1

    def add(self, raw: str) -> None:
        h1, h2 = self._hashes(raw)
        m, bits = self._m, self._bits
        for i in range(self.PROBES):
            p = (h1 + i * h2) % m
            bits[p >> 3] |= 1 << (p & 7)

    def may_hold(self, raw: str) -> bool:
        # a plain loop that stops at the first clear bit (most keys asked about are new): asked for
        # every item a writer stores, a generator under all() cost ~1.3 us, this ~0.45 us
        h1, h2 = self._hashes(raw)
        m, bits = self._m, self._bits
        for i in range(self.PROBES):
            p = (h1 + i * h2) % m
            if not bits[p >> 3] >> (p & 7) & 1:
                return False
        return True


class _Spilled:
    """The memory part, the database part and the lock both kinds share."""

    _table = ""

    def __init__(self, spill: int = SPILL) -> None:
        self._spill = max(1, spill)
        self._db: sqlite3.Connection | None = None
        self._stored = 0  # rows in the database
        self._moves = 0  # batches moved to the database: an iteration that sees one ends in an error
        self._filter = _Filter(0)  # made to size at the first move
        self._lock = threading.RLock()

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = connect()
            self._db.execute(f"CREATE TABLE t (k TEXT PRIMARY KEY{self._table}) WITHOUT ROWID")
        return self._db

    def _row(self, key: str) -> tuple[Any, ...] | None:
        if self._db is None:
            return None
        raw = _b(key)
        if not self._filter.may_hold(raw):
            return None
        row: tuple[Any, ...] | None = self._db.execute("SELECT * FROM t WHERE k = ?", (raw,)).fetchone()
        return row

    def _move(self, keys: list[str], values: list[str] | None = None) -> None:
        """Insert ``keys`` (stored forms, none in the database yet), with their ``values``, at once.

        One statement over one JSON array, not ``executemany``: SQLite is entered once, and the
        GIL released once. ``executemany`` releases it for every row, and with two dozen workers
        ready to run each row waited to take it back, while the caller's lock (the report's, an
        upload table's) was held: a batch of 1,024 stalled every worker for up to seconds.
        """
        db = self._open()
        if values is None:
            db.execute("INSERT INTO t SELECT value FROM json_each(?)", (json.dumps(keys),))
        else:
            db.execute("INSERT INTO t SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') "
                       "FROM json_each(?)", (json.dumps(list(zip(keys, values, strict=True))),))
        self._stored += len(keys)
        self._moves += 1
        if self._stored > self._filter.capacity:
            self._filter = _Filter(4 * max(self._stored, self._spill))
            for (raw,) in db.execute("SELECT k FROM t"):
                self._filter.add(raw)
        else:
            for raw in keys:
                self._filter.add(raw)

    _mem: set[str] | dict[str, Any]

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        with self._lock:
            return key in self._mem or self._row(key) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._mem) + self._stored

    def _rows(self, moves: int) -> Iterator[tuple[Any, ...]]:
        """The database's rows, a page at a time (the lock is taken per page, not held between).

        ``moves`` is :attr:`_moves` when the iteration began: a batch moved since would be seen
        twice (once in memory, once here), so that is an error, as changing a dict while
        iterating over it is.
        """
        last: str | None = None  # the empty key sorts first: the first page has no lower bound
        while True:
            with self._lock:
                if self._moves != moves:
                    raise RuntimeError("the set or map changed while it was iterated over")
                if self._db is None:
                    return
                page = (self._db.execute("SELECT * FROM t ORDER BY k LIMIT ?", (_PAGE,)) if last is None else
                        self._db.execute("SELECT * FROM t WHERE k > ? ORDER BY k LIMIT ?", (last, _PAGE))).fetchall()
            yield from page
            if len(page) < _PAGE:
                return
            last = page[-1][0]

    def __iter__(self) -> Iterator[str]:
        with self._lock:
            mem, moves = list(self._mem), self._moves
        yield from mem
        for row in self._rows(moves):
            yield _s(row[0])


class KeySet(_Spilled):
    """A set of strings; thread-safe. :meth:`add` says whether the key was new."""

    def __init__(self, keys: Iterable[str] = (), spill: int = SPILL) -> None:
        super().__init__(spill)
        self._mem: set[str] = set()
        for k in keys:
            self.add(k)

    def add(self, key: str) -> bool:
        """Add ``key``; False when it was already there."""
        with self._lock:
            if key in self._mem or self._row(key) is not None:
                return False
            self._mem.add(key)
            if len(self._mem) >= self._spill:
                self._move([_b(k) for k in self._mem])
                self._mem = set()
            return True


class KeyMap(_Spilled, MutableMapping[str, Any]):
    """A dict of strings to JSON values; thread-safe. A value read back from the database is a
    copy: a value is changed by setting it again, not in place."""

    _table = ", v TEXT NOT NULL"

    def __init__(self, spill: int = SPILL) -> None:
        super().__init__(spill)
        self._mem: dict[str, Any] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        with self._lock:
            if key not in self._mem and self._row(key) is not None:
                assert self._db is not None
                self._db.execute("UPDATE t SET v = ? WHERE k = ?", (json.dumps(value), _b(key)))
                return
            self._mem[key] = value
            if len(self._mem) >= self._spill:
                self._move([_b(k) for k in self._mem], [json.dumps(v) for v in self._mem.values()])
                self._mem = {}

    def __getitem__(self, key: str) -> Any:
        with self._lock:
            if key in self._mem:
                return self._mem[key]
            row = self._row(key)
        if row is None:
            raise KeyError(key)
        return json.loads(row[1])

    def __delitem__(self, key: str) -> None:
        with self._lock:
            if key in self._mem:
                del self._mem[key]
                return
            if self._row(key) is None:
                raise KeyError(key)
            assert self._db is not None
            self._db.execute("DELETE FROM t WHERE k = ?", (_b(key),))
            self._stored -= 1

    def items(self) -> Iterator[tuple[str, Any]]:  # type: ignore[override]
        """Each pair once, read in one pass (not a lookup per key)."""
        with self._lock:
            mem, moves = list(self._mem.items()), self._moves
        yield from mem
        for k, v in self._rows(moves):
            yield _s(k), json.loads(v)
