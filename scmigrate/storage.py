"""Where archives and repositories live: a local folder or an object-store URL, behind one interface.

A location is a local path or a URL of any scheme fsspec knows (``s3://``, ``gs://``, ``az://``,
``file://``, ...). Local folders are served by plain files (a local ``open_read`` is an ordinary
file object, so local speed is what it was); everything else through fsspec, whose backends are
extras (``pip install 'scmigrate[s3]'``). Credentials and endpoints come from each backend's own
standard chain (for S3: the ``AWS_*`` environment variables, ``AWS_ENDPOINT_URL``, ``~/.aws``,
profiles); scmigrate never takes them as arguments and never prints them.

Members appear under their name only when complete (:meth:`Storage.write_atomic`); an archive,
which is written by appending and may be resumed, goes through :meth:`Storage.open_append`
(see :mod:`scmigrate.staging` for how that maps onto object stores).

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): plugins may import it.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, BinaryIO

from .errors import InputError

__all__ = ["Appender", "Storage", "StorageError", "is_url", "split_location", "storage_for"]

#: scheme → the extra that installs its fsspec backend
_EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "az": "azure", "abfs": "azure", "abfss": "azure",
           "adl": "azure"}
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_TMP = ".~tmp-"  # local temporary files of write_atomic; never listed
#: ranged reads on object stores: block size and how many blocks one open member caches
READ_BLOCK = 1 << 20
READ_BLOCKS = 32


class StorageError(InputError):
    """One line naming the URL or path and what is wrong (exit 2)."""


def _scrub(text: str) -> str:
    """Backend messages never carry secrets we know of (belt and braces: they should not have any)."""
    for var in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AZURE_STORAGE_KEY",
                "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN"):
        value = os.environ.get(var)
        if value and len(value) >= 4:
            text = text.replace(value, "***")
    return " ".join(text.split())


def reason(e: BaseException) -> str:
    """What went wrong, in a few words, for a one-line message."""
    if isinstance(e, FileNotFoundError) and not e.args[1:]:
        text = str(e.args[0]) if e.args else ""
        text = "not found" if not text or "/" in text else text
    elif isinstance(e, PermissionError):
        text = f"access denied: {e.strerror or e}; check the credentials and the permissions"
    elif isinstance(e, OSError) and e.strerror:
        text = e.strerror
    else:
        text = str(e) or type(e).__name__
    return _scrub(text)


class Appender(ABC):
    """A member written by appending at its end, that an interrupted write can continue.

    ``size`` is what is there when opened (what an interrupted write left); the writer reads it
    back with ``read_at``, cuts it with ``truncate`` and appends with ``write``. ``publish`` makes
    it durable and complete under its name; ``close`` stops, keeping what was written for a resume.
    """

    size: int

    @abstractmethod
    def read_at(self, offset: int, n: int) -> bytes: ...

    @abstractmethod
    def truncate(self, size: int) -> None: ...

    @abstractmethod
    def write(self, data: bytes | memoryview) -> None: ...

    @abstractmethod
    def publish(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


class Storage(ABC):
    """A folder-like place: a local directory or an fsspec URL prefix (s3://bucket/prefix)."""

    root: str  # as the user wrote it, for messages (never credentials)

    def url(self, name: str) -> str:
        """The full location of a member, for messages."""
        return posixpath.join(self.root, name) if self.root else name

    def _fail(self, name: str, what: str, e: BaseException) -> StorageError:
        return StorageError(f"{self.url(name)}: cannot {what} ({reason(e)})")

    @abstractmethod
    def exists(self, name: str) -> bool: ...

    @abstractmethod
    def size(self, name: str) -> int: ...

    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]: ...

    @abstractmethod
    def open_read(self, name: str) -> BinaryIO: ...

    def read_bytes(self, name: str) -> bytes:
        with self.open_read(name) as f:
            return f.read()

    @abstractmethod
    def write_atomic(self, name: str) -> AbstractContextManager[BinaryIO]:
        """Write a member; it appears under ``name`` only when the block exits without error (a reader
        never sees it half written); on error nothing is left (no temp file, no orphaned multipart upload)."""

    def put_bytes(self, name: str, data: bytes) -> None:
        with self.write_atomic(name) as f:
            f.write(data)

    @abstractmethod
    def put_if_absent(self, name: str, data: bytes) -> bool:
        """Store ``data`` unless ``name`` exists (content-addressed blobs); False if it existed."""

    @abstractmethod
    def delete(self, name: str) -> None: ...

    @abstractmethod
    def lock_path(self) -> str | None:
        """A local path for the engine's flock, or None (object stores: lock objects, by URL)."""

    def make_folder(self) -> None:
        """Create the folder itself where that means something (a local one); an object store's
        prefix exists once something is written under it."""

    def abort_uploads(self, prefix: str = "", exact: bool = False) -> int:
        """Abort the unfinished multipart uploads under ``prefix`` (with ``exact``: of the member ``prefix``),
        which a writer killed mid-upload leaves behind, invisible but billed; returns how many.

        Only while holding the lock that keeps every other writer out. Local folders have none."""
        return 0

    @abstractmethod
    def open_append(self, name: str, resume: bool) -> Appender:
        """Append to ``name``; with ``resume``, continue what is there (refused without it)."""

    @abstractmethod
    def check_append(self, name: str, resume: bool) -> bool:
        """What ``open_append`` would refuse, raised now, writing nothing; True if it would continue something."""

    def check_writable(self, name: str) -> None:
        """What would refuse a first write of ``name`` here (a local folder that cannot be made, an object
        store's missing bucket or refused credentials), raised now, writing nothing."""

    def _exists_refusal(self, name: str) -> StorageError:
        return StorageError(f"{self.url(name)}: already exists; run with --resume to continue it, or remove it")


# --------------------------------------------------------------------------- local folders


class LocalStorage(Storage):
    """A local folder; members are plain files (``a/b`` is a file in subfolder ``a``)."""

    def __init__(self, folder: str, root: str | None = None) -> None:
        self.folder = folder or "."
        self.root = folder if root is None else root

    def url(self, name: str) -> str:
        return os.path.join(self.root, name) if self.root else name

    def _path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def exists(self, name: str) -> bool:
        return os.path.exists(self._path(name))

    def size(self, name: str) -> int:
        try:
            return os.stat(self._path(name)).st_size
        except OSError as e:
            raise self._fail(name, "read", e) from None

    def list(self, prefix: str = "") -> Iterator[str]:
        top = os.path.join(self.folder, prefix.rpartition("/")[0])
        found = []
        for here, _dirs, files in os.walk(top):
            rel = os.path.relpath(here, self.folder).replace(os.sep, "/")
            rel = "" if rel == "." else rel + "/"
            found += [rel + f for f in files if not f.startswith(_TMP) and (rel + f).startswith(prefix)]
        return iter(sorted(found))

    def open_read(self, name: str) -> BinaryIO:
        try:
            return open(self._path(name), "rb")
        except OSError as e:
            raise self._fail(name, "read", e) from None

    def _temp(self, name: str) -> tuple[str, BinaryIO]:
        folder, base = os.path.split(self._path(name))
        try:
            if folder:
                os.makedirs(folder, exist_ok=True)
            tmp = os.path.join(folder, f"{_TMP}{uuid.uuid4().hex[:12]}-{base}")
            return tmp, open(tmp, "xb")
        except OSError as e:
            raise self._fail(name, "write", e) from None

    @contextlib.contextmanager
    def write_atomic(self, name: str) -> Iterator[BinaryIO]:
        tmp, f = self._temp(name)
        try:
            with f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path(name))
        except OSError as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise self._fail(name, "write", e) from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def put_if_absent(self, name: str, data: bytes) -> bool:
        tmp, f = self._temp(name)
        try:
            with f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, self._path(name))  # fails if it exists: no two writers replace each other
            return True
        except FileExistsError:
            return False
        except OSError as e:
            raise self._fail(name, "write", e) from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def delete(self, name: str) -> None:
        path = self._path(name)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise self._fail(name, "delete", e) from None
        # folders exist only for their members here, as on an object store: drop the emptied ones
        top, parent = os.path.realpath(self.folder), os.path.dirname(os.path.realpath(path))
        while parent != top and parent.startswith(top + os.sep):
            try:
                os.rmdir(parent)
            except OSError:
                break
            parent = os.path.dirname(parent)

    def lock_path(self) -> str | None:
        return os.path.realpath(self.folder)

    def make_folder(self) -> None:
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as e:
            raise StorageError(f"{self.root}: cannot create the folder ({reason(e)})") from None

    def check_writable(self, name: str) -> None:
        folder = there = os.path.abspath(self.folder)  # the folder, or the nearest of its parents that exists
        while not os.path.exists(there):
            there = os.path.dirname(there)
        if not os.path.isdir(there):
            raise StorageError(f"{self.url(name)}: cannot write ({there} is not a folder)")
        if not os.access(there, os.W_OK | os.X_OK):
            on = "" if there == folder else f" on {there}"
            raise StorageError(f"{self.url(name)}: cannot write (permission denied{on})")

    def check_append(self, name: str, resume: bool) -> bool:
        path, folder = self._path(name), self.folder
        if not os.path.isdir(folder):
            why = "is not a folder" if os.path.exists(folder) else "does not exist"
            raise StorageError(f"{self.url(name)}: cannot write (folder {self.root or '.'} {why})")
        exists = os.path.exists(path)
        if exists and not resume:
            raise self._exists_refusal(name)
        self.check_writable(name)  # the folder exists: its permissions
        return exists

    def open_append(self, name: str, resume: bool) -> Appender:
        exists = self.check_append(name, resume)
        try:
            f = open(self._path(name), "r+b" if exists else "xb", buffering=0)
        except OSError as e:
            raise self._fail(name, "write", e) from None
        return _FileAppender(f, self.url(name))


class _FileAppender(Appender):
    """A local file, appended in place: its trailer (not its name) says it is complete."""

    def __init__(self, f: Any, url: str) -> None:
        self._f, self._url = f, url
        self.size = os.fstat(f.fileno()).st_size
        f.seek(self.size)

    def _fail(self, e: OSError) -> StorageError:
        return StorageError(f"{self._url}: cannot write ({reason(e)})")

    def read_at(self, offset: int, n: int) -> bytes:
        return os.pread(self._f.fileno(), n, offset)

    def truncate(self, size: int) -> None:
        try:
            self._f.truncate(size)
            self._f.seek(size)
        except OSError as e:
            raise self._fail(e) from None

    def write(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        try:
            while view:  # an unbuffered write may write less than asked
                view = view[self._f.write(view):]
        except OSError as e:
            raise self._fail(e) from None

    def publish(self) -> None:
        try:
            os.fsync(self._f.fileno())
        except OSError as e:
            raise self._fail(e) from None

    def close(self) -> None:
        self._f.close()


# --------------------------------------------------------------------------- locations


def _filesystem(location: str, scheme: str) -> Any:
    try:
        import fsspec
    except ImportError:  # pragma: no cover - a core dependency
        raise StorageError(f"{location}: object storage needs fsspec: pip install fsspec") from None
    try:
        return fsspec.filesystem(scheme, skip_instance_cache=True)  # credentials as the environment has them now
    except ImportError:
        extra = _EXTRAS.get(scheme)
        how = f"pip install 'scmigrate[{extra}]'" if extra else f"install the fsspec backend for {scheme}://"
        raise StorageError(f"{location}: the {scheme}:// backend is not installed; {how}") from None
    except ValueError:
        raise StorageError(f"{location}: unknown storage scheme {scheme}:// (fsspec knows no such protocol)") from None
    except Exception as e:
        raise StorageError(f"{location}: cannot open its storage ({reason(e)})") from None


def is_url(location: str) -> bool:
    """Whether ``location`` is a URL (``s3://b/x``, ``file:///x``) rather than a local path."""
    return _URL.match(location) is not None


def storage_for(location: str) -> Storage:
    """A local path or a URL with a scheme fsspec knows (``file://`` URLs are local folders)."""
    m = _URL.match(location)
    if m is None:
        return LocalStorage(location)
    scheme = m.group(1).lower()
    if scheme == "file":
        return LocalStorage(location[len("file://"):], root=location)
    from .staging import FsspecStorage

    return FsspecStorage(_filesystem(location, scheme), location.rstrip("/"), location[m.end():].rstrip("/"))


def split_location(location: str) -> tuple[Storage, str]:
    """``"s3://b/x/dogs.scz"`` → ``(Storage("s3://b/x"), "dogs.scz")``; ``"dogs.scz"`` → (the current folder, it)."""
    m = _URL.match(location)
    if m is not None:
        head, sep, name = location[m.end():].rstrip("/").rpartition("/")
        if not sep or not name:  # "s3://bucket": a bucket is a folder, not an object in it
            raise StorageError(f"{location}: names a bucket or host, not an object in it")
        return storage_for(location[: m.end()] + head), name
    head, name = os.path.split(location)
    if not name:
        raise StorageError(f"{location}: names a folder, not a file")
    return storage_for(head), name
