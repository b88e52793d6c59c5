"""The entries of an unfinished backup, kept under ``pending/`` by group commit.

A backup must not let ``write`` return before its item's entry is stored (the engine's journal
then calls the item done), but storing one small file per item costs a sync of the disk each.
So writers hand their entries to a :class:`GroupCommit`: one thread stores every entry waiting
at that moment as one batch file, ``pending/<p>/items/<n>.json`` (a JSON array of entries), and
wakes the writers whose entries it held. Under load a batch holds about one entry per worker.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

from scmigrate.errors import InputError

from .layout import PENDING, Repository, json_bytes, validate

__all__ = ["GroupCommit", "pending_entries"]


class GroupCommit:
    """Stores entries in batches under ``prefix``; :meth:`add` returns once its entry is stored."""

    def __init__(self, repo: Repository, prefix: str) -> None:
        self.repo, self.prefix = repo, prefix
        self._cond = threading.Condition()
        self._buf: list[dict[str, Any]] = []
        self._added = 0  # entries handed in so far
        self._stored = 0  # of those, stored (batches go in the order they were taken)
        self._flushing = False

    def add(self, entry: dict[str, Any]) -> None:
        with self._cond:
            self._buf.append(entry)
            self._added += 1
            mine = self._added
            while self._stored < mine:
                if self._flushing:
                    self._cond.wait()
                    continue
                batch, upto, self._buf = self._buf, self._added, []
                self._flushing = True
                self._cond.release()
                try:
                    self.repo.storage.put_bytes(f"{self.prefix}{uuid.uuid4().hex}.json", json_bytes(batch))
                except BaseException:
                    self._cond.acquire()
                    self._buf[:0] = batch  # not stored: the next writer to wake stores them again
                    self._flushing = False
                    self._cond.notify_all()
                    raise
                self._cond.acquire()
                self._stored, self._flushing = upto, False
                self._cond.notify_all()


def pending_entries(repo: Repository, prefix: str = PENDING) -> Iterator[tuple[str, dict[str, Any]]]:
    """(batch file, entry) for every entry stored under ``prefix``, each checked against its schema."""
    for name in repo.storage.list(prefix):
        if "/items/" not in name:
            continue
        batch = repo.load_json(name)
        if not isinstance(batch, list):
            raise InputError(f"{repo.storage.url(name)}: not a list of item entries")
        for n, entry in enumerate(batch):
            validate("entry", entry, f"{repo.storage.url(name)}: entry {n}")
            yield name, entry
