"""The thread pump of a transfer: one reader thread, a bounded queue, a pool of worker threads.

The reader thread pulls items into a queue of ``2 × workers`` entries and blocks when it is full,
so memory stays flat whatever the project's size (back-pressure). The pool knows nothing of items:
``admit`` decides what enters the queue and ``process`` what a worker does with an entry.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Pool", "SKIP", "STOP"]

_END = object()
#: what ``admit`` returns for an item that does not enter the queue
SKIP = object()
#: what ``admit`` returns to stop reading (e.g. ``--max-items`` reached)
STOP = object()


class Pool:
    """Runs passes of ``admit`` (reader thread) and ``process`` (worker threads) over items.

    An error while reading ends the pass and is kept in ``reader_error``; an error from ``process``
    stops every thread and is kept in ``fatal`` (the first one wins). ``stop`` ends a pass early.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, int(workers or 1))
        self.stop = threading.Event()
        self.reader_error: BaseException | None = None
        self.fatal: BaseException | None = None
        self.threads: list[threading.Thread] = []

    def run(self, items: Iterator[Any], admit: Callable[[Any], Any], process: Callable[[Any], None]) -> None:
        """One pass: returns when the reader is done and the workers drained the queue (or stopped)."""
        q: queue.Queue[Any] = queue.Queue(maxsize=2 * self.workers)
        producer = threading.Thread(target=self._produce, args=(items, q, admit), daemon=True,
                                    name="scmigrate-reader")
        pool = [threading.Thread(target=self._work, args=(q, process), daemon=True, name=f"scmigrate-worker-{i}")
                for i in range(self.workers)]
        self.threads = [producer, *pool]
        for t in self.threads:
            t.start()
        # join with a timeout so that Ctrl-C reaches this (main) thread promptly
        for t in self.threads:
            while t.is_alive():
                t.join(0.2)

    def stop_threads(self, grace: float = 30.0) -> None:
        """Stop taking items and let the workers finish the ones in hand (bounded by ``grace``).

        Otherwise an item could land after the journal closed: in the target and counted in the
        report, but unknown to ``--resume``. A second Ctrl-C ends the wait.
        """
        self.stop.set()
        deadline = time.monotonic() + grace
        for t in self.threads[1:]:  # the workers; the reader thread only feeds them and may be blocked
            t.join(max(0.0, deadline - time.monotonic()))

    def _put(self, q: queue.Queue[Any], entry: Any) -> bool:
        while True:
            try:
                q.put(entry, timeout=0.2)
                return True
            except queue.Full:
                if self.stop.is_set():
                    return False

    def _produce(self, items: Iterator[Any], q: queue.Queue[Any], admit: Callable[[Any], Any]) -> None:
        try:
            for item in items:
                if self.stop.is_set():
                    break
                entry = admit(item)
                if entry is SKIP:
                    continue
                if entry is STOP or not self._put(q, entry):
                    break
        except BaseException as exc:  # noqa: BLE001 - reported after the workers finish
            self.reader_error = exc
        finally:
            for _ in range(self.workers):
                if not self._put(q, _END):
                    break

    def _work(self, q: queue.Queue[Any], process: Callable[[Any], None]) -> None:
        while True:
            try:
                entry = q.get(timeout=0.2)
            except queue.Empty:
                if self.stop.is_set():
                    return
                continue
            if entry is _END or self.stop.is_set():
                return
            try:
                process(entry)
            except BaseException as exc:  # noqa: BLE001 - e.g. the journal's disk is full: stop, never hang
                self.fatal = self.fatal or exc
                self.stop.set()
                return
