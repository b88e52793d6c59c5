"""A lock in object storage: lock objects with a stale timeout (restic's way), as ``flock`` is not there.

An object store has no ``flock``, and not every backend has a conditional create, so the lock of
a target there (``repo:s3://b/geti`` → ``s3://b/geti/.scmigrate.lock/``, ``s3://b/x.scz`` →
``s3://b/x.scz.lock/``) is a folder of small objects, ``<uuid>.json``, each naming its holder
(pid, host, start time, last refresh). A run takes it by

1. removing the stale ones: not refreshed for :data:`STALE`, or of this host (same boot, same pid
   namespace: not another container of the same hostname) with a pid that is not running (a
   ``kill -9``: the next run here takes over at once);
2. refusing if any other one is left, naming its holder;
3. writing its own, then listing again: if another appeared meanwhile (two runs racing), it
   removes its own and refuses (both may refuse; neither writes).

While held, a thread rewrites the object every :data:`REFRESH`; ``release`` deletes it. If it
cannot for ``STALE - REFRESH`` (the store unreachable), another run could soon call the lock stale,
so the run is stopped as an interrupt stops it (resumable), not left writing next to that one.

The guarantee: two runs, on any machines, never write one target at once, given a store that lists
an object once written (S3, GCS and Azure Blob are strongly consistent) and clocks that agree to
within ``STALE - REFRESH`` (25 minutes). A run killed on another machine holds the lock until
:data:`STALE` after its last refresh; the refusal says so.
"""

from __future__ import annotations

import _thread
import contextlib
import json
import logging
import os
import socket
import threading
import time
import uuid

from ..errors import InputError
from ..storage import Storage, StorageError
from .locks import Holder

__all__ = ["REFRESH", "STALE", "ObjectLock"]

#: a lock not refreshed for this long is stale (restic: 30 minutes)
STALE = 30 * 60
#: how often a held lock is refreshed
REFRESH = 5 * 60

log = logging.getLogger(__name__)


def _pid_space() -> str:
    """What makes a pid mean one process: this boot of this kernel and this pid namespace."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        return f"{boot}:{os.stat('/proc/self/ns/pid').st_ino}"
    except OSError:
        return ""  # not Linux: only the age makes a lock stale


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class ObjectLock:
    """An exclusive lock on one target, held as an object in ``storage`` (a folder of lock objects)."""

    def __init__(self, storage: Storage, what: str) -> None:
        self.storage, self.what = storage, what
        self.name = f"{uuid.uuid4().hex}.json"
        self.path = storage.root  # for messages, as TargetLock.path
        #: the holder whose lock this one took over (it died without releasing), if any
        self.took_over: Holder | None = None
        #: True once the lock could not be refreshed for so long that another run may take it over
        self.lost = False
        self._me = Holder.me(what)
        self._stop = threading.Event()
        self._refresher: threading.Thread | None = None

    def _doc(self) -> bytes:
        doc = {**json.loads(self._me.to_bytes()), "refreshed": time.time(), "pid_space": _pid_space()}
        return (json.dumps(doc) + "\n").encode()

    def _others(self) -> list[tuple[str, Holder | None, float, str]]:
        """(object, holder, seconds since its refresh, its pid space) of every lock object but this run's."""
        out = []
        for name in self.storage.list():
            if name == self.name or not name.endswith(".json"):
                continue
            try:
                raw = self.storage.read_bytes(name)
            except StorageError:
                continue  # released since it was listed
            try:
                doc = json.loads(raw)
                age, space = time.time() - float(doc["refreshed"]), str(doc.get("pid_space", ""))
            except (ValueError, KeyError, TypeError):
                age, space = 0.0, ""  # not a lock this scmigrate writes: held, until someone removes it
            out.append((name, Holder.parse(raw), age, space))
        return out

    def _stale(self, holder: Holder | None, age: float, space: str) -> bool:
        if holder is None:
            return False
        if age > STALE:
            return True
        here = holder.host == socket.gethostname() and space == _pid_space() != ""
        return here and holder.pid != os.getpid() and not _alive(holder.pid)

    def _refuse(self, name: str, holder: Holder | None) -> InputError:
        if holder is None:
            who = "an object that is not a scmigrate lock"
        else:
            who = holder.describe()
            if holder.host != socket.gethostname():
                who += f"; if that run died, its lock goes stale {STALE // 60} min after its last refresh"
        return InputError(f"{self.what}: another scmigrate run is writing it ({who}); wait for it to end "
                          f"(lock {self.storage.url(name)})")

    def acquire(self) -> None:
        for name, holder, age, space in self._others():
            if not self._stale(holder, age, space):
                raise self._refuse(name, holder)
            self.storage.delete(name)
            self.took_over = self.took_over or holder
        self.storage.put_bytes(self.name, self._doc())
        rivals = [(n, h) for n, h, age, space in self._others() if not self._stale(h, age, space)]
        if rivals:  # another run wrote its lock between our listing and our write
            with contextlib.suppress(StorageError):
                self.storage.delete(self.name)
            raise self._refuse(*rivals[0])
        self._refresher = threading.Thread(target=self._refresh, name="scmigrate-lock-refresh", daemon=True)
        self._refresher.start()

    def _refresh(self) -> None:
        refreshed = time.monotonic()
        while not self._stop.wait(REFRESH):
            try:
                self.storage.put_bytes(self.name, self._doc())
                refreshed = time.monotonic()
            except StorageError as e:  # the next refresh tries again; STALE leaves room for several
                if time.monotonic() - refreshed < STALE - REFRESH:
                    log.warning("cannot refresh the lock of %s: %s", self.what, e)
                    continue
                # before another run may call it stale and start writing the same target: stop this
                # one as an interrupt does (restic: "lock lost"), resumable with --resume
                self.lost = True
                log.error("the lock of %s could not be refreshed for %d s (%s); stopping before another run "
                          "may take it over: --resume continues", self.what, time.monotonic() - refreshed, e)
                _thread.interrupt_main()
                return

    def release(self) -> None:
        self._stop.set()
        if self._refresher is not None:
            self._refresher.join()
            self._refresher = None
            with contextlib.suppress(StorageError):
                self.storage.delete(self.name)

    def __enter__(self) -> ObjectLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
