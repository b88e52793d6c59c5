"""One run per target at a time: an exclusive ``flock`` on a lock file that names its holder.

Any run that writes a target (a plain run, ``--resume``, ``--into-existing``) takes the target's
lock before it opens the target, and a second run is refused in one line naming the holder's
pid, host and start time. The lock is the kernel's ``flock``, not the file's existence: when the
holder dies, even by SIGKILL, the kernel drops its lock and the next run takes over the file
(whose content then only tells who held it last). So a stale lock needs no cleaning up.

Where the lock file lives (:func:`lock_path`):

- a file target (``x.scz``): ``x.scz.lock`` beside it, by its real path (a symlink and its
  target share one lock);
- a folder target (a repository, a dataset folder): ``.scmigrate.lock`` inside it;
- a target in object storage (``s3://b/x.scz``, ``repo:s3://b/geti``), whose sink names its lock
  by URL (``lock_file``): no ``flock`` there, but lock objects with a stale timeout
  (:mod:`.lock_objects`), which cover every machine;
- anything else (a cluster): the state directory, keyed by the sink's *scope* of the location
  (for a cluster: its URL and workspace, so a configured name and its URL share one lock) and
  the target project's name.

A lock file in a shared folder (NFS) covers the machines that mount it as far as their ``flock``
does (Linux maps it onto NFS byte-range locks). A lock in the state directory covers one machine.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import InputError
from .journal import local_path, state_dir

if TYPE_CHECKING:
    from .lock_objects import ObjectLock

__all__ = ["Holder", "TargetLock", "hold", "lock_at", "lock_path"]

#: the name of the lock file of a folder target
FOLDER_LOCK = ".scmigrate.lock"


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: recorded in the lock file, shown to the run that is refused."""

    pid: int
    host: str
    started: str
    target: str = ""

    @classmethod
    def me(cls, target: str) -> Holder:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return cls(os.getpid(), socket.gethostname(), stamp, target)

    @classmethod
    def parse(cls, raw: bytes) -> Holder | None:
        try:
            doc = json.loads(raw)
            return cls(int(doc["pid"]), str(doc["host"]), str(doc["started"]), str(doc.get("target", "")))
        except (ValueError, KeyError, TypeError):
            return None  # an empty file (the holder died before writing it) or not ours

    def to_bytes(self) -> bytes:
        doc = {"pid": self.pid, "host": self.host, "started": self.started, "target": self.target}
        return (json.dumps(doc) + "\n").encode()

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host}, started {self.started}"


def lock_path(location: str, project: str, scope: str | None = None) -> Path:
    """The lock file of a run writing ``project`` to ``location`` (see the module's docstring).

    :param scope: what the sink says identifies the location (default: the location itself).
    """
    local = local_path(location)
    if local is not None:
        if local.is_dir():
            return Path(os.path.realpath(local)) / FOLDER_LOCK
        return Path(os.path.realpath(local) + ".lock")
    key = scope or location
    digest = hashlib.sha256(f"{key}\0{project}".encode()).hexdigest()[:16]
    safe = re.sub(r"[^\w.-]+", "_", f"{key}-{project}")[:60]
    return state_dir("locks") / f"{safe}-{digest}.lock"


class TargetLock:
    """An exclusive, non-blocking lock on one target; ``acquire`` refuses if another run holds it."""

    def __init__(self, path: Path, what: str) -> None:
        self.path, self.what = path, what
        self._fh: IO[bytes] | None = None
        #: the holder whose lock this one took over (it died without releasing), if any
        self.took_over: Holder | None = None

    def acquire(self) -> None:
        """Take the lock or raise ``InputError`` naming the holder.

        The file is re-checked after locking: a holder that releases unlinks its file, and a run
        that opened the old file just before would otherwise lock an inode no one else can see.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise InputError(f"{self.path}: cannot create the lock's folder ({e.strerror or e})") from None
        for _ in range(20):
            try:
                fh = open(self.path, "a+b")
            except OSError as e:
                raise InputError(f"{self.path}: cannot open the lock file ({e.strerror or e})") from None
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                fh.seek(0)
                holder = Holder.parse(fh.read(4096))
                fh.close()
                if e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise InputError(f"{self.path}: cannot lock ({e.strerror or e})") from None
                who = holder.describe() if holder is not None else "a process that has not said who it is yet"
                raise InputError(f"{self.what}: another scmigrate run is writing it ({who}); wait for it to end "
                                 f"(lock {self.path})") from None
            if _same_file(fh, self.path):
                break
            fh.close()  # the file was released and unlinked meanwhile: lock the new one
        else:
            raise InputError(f"{self.path}: cannot lock (the lock file keeps changing)")
        fh.seek(0)
        self.took_over = Holder.parse(fh.read(4096))
        fh.seek(0)
        fh.truncate()
        fh.write(Holder.me(self.what).to_bytes())
        fh.flush()
        self._fh = fh

    def release(self) -> None:
        """Unlink the file (still holding the lock, so no run can have it half-taken), then unlock."""
        fh, self._fh = self._fh, None
        if fh is None:
            return
        with contextlib.suppress(OSError):
            if _same_file(fh, self.path):
                self.path.unlink()
        fh.close()  # closing the last descriptor drops the flock

    def __enter__(self) -> TargetLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _same_file(fh: IO[bytes], path: Path) -> bool:
    try:
        a, b = os.fstat(fh.fileno()), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def lock_at(where: str, what: str) -> TargetLock | ObjectLock:
    """The lock at ``where``: a local lock file (``flock``) or a URL in object storage (lock objects)."""
    from ..storage import storage_for

    storage = storage_for(where)
    local = storage.lock_path()
    if local is None:
        from .lock_objects import ObjectLock

        return ObjectLock(storage, what)
    return TargetLock(Path(local), what)


@contextlib.contextmanager
def hold(sink: Any, location: str, project: str, options: Any) -> Iterator[TargetLock | ObjectLock]:
    """Hold the lock of ``project`` at ``location`` (written by ``sink``) for the ``with`` block.

    ``sink.lock_scope(location, options)``, where a sink defines it, names what identifies the
    location (a cluster's URL for a configured name); a sink without it is keyed by the location.
    ``sink.lock_file(location, options)``, where a sink defines it and it returns a path, is the
    lock file itself (or a URL, see :func:`lock_at`): a snapshot repository (``repo:PATH``) has one
    for all its projects, inside it; an archive in object storage has one beside it.
    """
    file_of = getattr(sink, "lock_file", None)
    own = file_of(location, options) if callable(file_of) else None
    if own:
        with lock_at(own, location) as lock:
            yield lock
        return
    scope_of = getattr(sink, "lock_scope", None)
    scope = scope_of(location, options) if callable(scope_of) else None
    lock = TargetLock(lock_path(location, project, scope), location if local_path(location) else
                      f"{location} project {project!r}")
    with lock:
        yield lock
