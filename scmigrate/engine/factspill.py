"""Both sides' comparable facts for ``check``, kept on disk and read back group by group in key order.

``check`` pairs media by group (dataset, file name, kind) and can only say a media is missing on
one side once it has read all of both. Held in memory, the facts (sha256, normalised scenes) grow
with the project, ~9 KB per item; here each side's entries go into one temporary sqlite3 table
whose primary key is the group, so the database itself keeps them sorted on disk (an external sort)
and :meth:`FactSpill.groups` merges the two sides in one ordered scan: memory holds one group.

Key columns are stored as UTF-8 bytes (``surrogatepass``: a file name read with ``surrogateescape``
still encodes) and compared by sqlite as bytes, which orders them as Python orders the strings
(UTF-8 keeps code point order), so the lines come out in the order ``sorted()`` gives the groups.
"""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Iterator
from types import TracebackType
from typing import Any

from .. import scratch

__all__ = ["FactSpill"]

#: rows written per transaction: commits are what costs, and the rows of one are in memory until it
_BATCH = 500


def _enc(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _dec(value: bytes) -> str:
    return value.decode("utf-8", "surrogatepass")


class FactSpill:
    """A temporary database of ``(group, side, entry)`` rows; ``side`` is 0 (source) or 1 (destination).

    Entries are pickled: they are this process's own objects, written and read back by it alone,
    in a private temporary database (:func:`scmigrate.scratch.connect`) removed by :meth:`close`.
    """

    def __init__(self) -> None:
        self._db = scratch.connect()
        self._db.execute("CREATE TABLE facts (dataset BLOB, name BLOB, kind BLOB, side INTEGER, seq INTEGER, "
                         "entry BLOB, PRIMARY KEY (dataset, name, kind, side, seq)) WITHOUT ROWID")
        self._pending: list[tuple[bytes, bytes, bytes, int, int, bytes]] = []
        self._seq = itertools.count()

    def add(self, group: tuple[str, str, str], side: int, entry: Any) -> None:
        dataset, name, kind = group
        self._pending.append((_enc(dataset), _enc(name), _enc(kind), side, next(self._seq),
                              pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)))
        if len(self._pending) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            with self._db:  # one transaction per batch
                self._db.execute("BEGIN")
                self._db.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?)", self._pending)
            self._pending.clear()

    def groups(self) -> Iterator[tuple[tuple[str, str, str], list[Any], list[Any]]]:
        """``(group, source entries, destination entries)`` in group order, each side in the order added."""
        self._flush()
        rows = self._db.execute("SELECT dataset, name, kind, side, entry FROM facts "
                                "ORDER BY dataset, name, kind, side, seq")
        for key, members in itertools.groupby(rows, key=lambda r: (r[0], r[1], r[2])):
            sides: tuple[list[Any], list[Any]] = ([], [])
            for row in members:
                sides[row[3]].append(pickle.loads(row[4]))
            yield (_dec(key[0]), _dec(key[1]), _dec(key[2])), sides[0], sides[1]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FactSpill:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
