"""A folder-like place to keep members in: a local directory (this local-only version).

The interface is the one both the archive and the snapshot repository build on; the object-storage
branch provides the same classes over fsspec (``s3://bucket/prefix``). Until it lands, a location
with a scheme is refused in one line.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): plugins may import it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, ContextManager

from .errors import InputError

__all__ = ["LocalStorage", "Storage", "StorageError", "split_location", "storage_for"]


class StorageError(InputError):
    """A member that cannot be read or written: one line naming the URL/path and what is wrong (exit 2)."""


class Storage(ABC):
    """A folder-like place: a local directory or an fsspec URL prefix (s3://bucket/prefix)."""

    root: str

    @abstractmethod
    def url(self, name: str) -> str: ...
    @abstractmethod
    def exists(self, name: str) -> bool: ...
    @abstractmethod
    def size(self, name: str) -> int: ...
    @abstractmethod
    def list(self, prefix: str = "") -> Iterator[str]: ...
    @abstractmethod
    def open_read(self, name: str) -> BinaryIO: ...
    @abstractmethod
    def write_atomic(self, name: str) -> ContextManager[BinaryIO]: ...
    @abstractmethod
    def delete(self, name: str) -> None: ...
    @abstractmethod
    def lock_path(self) -> str | None: ...

    def read_bytes(self, name: str) -> bytes:
        with self.open_read(name) as fh:
            return fh.read()

    def put_bytes(self, name: str, data: bytes) -> None:
        with self.write_atomic(name) as fh:
            fh.write(data)

    def put_if_absent(self, name: str, data: bytes) -> bool:
        if self.exists(name):
            return False
        self.put_bytes(name, data)
        return True


class LocalStorage(Storage):
    """A local directory; members are files below it, ``/`` separated."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._path = Path(root)

    def _p(self, name: str) -> Path:
        if name.startswith("/") or ".." in name.split("/"):
            raise StorageError(f"{self.root}: {name!r} is not a member name")
        return self._path / name

    def url(self, name: str) -> str:
        return str(self._p(name))

    def exists(self, name: str) -> bool:
        return self._p(name).is_file()

    def size(self, name: str) -> int:
        try:
            return self._p(name).stat().st_size
        except OSError as e:
            raise StorageError(f"{self.url(name)}: {e.strerror or e}") from None

    def list(self, prefix: str = "") -> Iterator[str]:
        base = self._path
        start = self._p(prefix) if prefix else base
        folder = start if start.is_dir() else start.parent
        if not folder.is_dir():
            return iter(())
        names = []
        for dirpath, _, files in os.walk(folder):
            for f in files:
                rel = os.path.relpath(os.path.join(dirpath, f), base).replace(os.sep, "/")
                if rel.startswith(prefix) and not f.startswith(".tmp-"):
                    names.append(rel)
        return iter(sorted(names))

    def open_read(self, name: str) -> BinaryIO:
        try:
            return open(self._p(name), "rb")
        except OSError as e:
            raise StorageError(f"{self.url(name)}: cannot read ({e.strerror or e})") from None

    @contextlib.contextmanager
    def _atomic(self, name: str) -> Iterator[BinaryIO]:
        path = self._p(name)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        except OSError as e:
            raise StorageError(f"{self.url(name)}: cannot write ({e.strerror or e})") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise StorageError(f"{self.url(name)}: cannot write ({exc.strerror or exc})") from None
            raise

    def write_atomic(self, name: str) -> ContextManager[BinaryIO]:
        return self._atomic(name)

    def put_if_absent(self, name: str, data: bytes) -> bool:
        if self.exists(name):
            return False
        self.put_bytes(name, data)  # content-addressed: two writers of one name write the same bytes
        return True

    def delete(self, name: str) -> None:
        path = self._p(name)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # folders exist only for their members here (as on an object store): drop emptied ones
        parent = path.parent
        while parent != self._path and self._path in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent

    def lock_path(self) -> str | None:
        return os.path.realpath(self._path)


def storage_for(location: str) -> Storage:
    """A local path (this version); a URL with a scheme is refused until the fsspec backend lands."""
    if "://" in location:
        raise StorageError(f"{location}: URLs need the object-storage backend, which this scmigrate lacks")
    return LocalStorage(location)


def split_location(location: str) -> tuple[Storage, str]:
    """``"x/dogs.scz"`` → ``(Storage("x"), "dogs.scz")``."""
    head, _, tail = location.rstrip("/").rpartition("/")
    return storage_for(head or "."), tail
