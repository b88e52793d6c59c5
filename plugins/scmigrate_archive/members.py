"""One archive member as one zstd frame: the unit the writer appends (see archive_spec/SPEC.md).

Each member (tar header, data, padding) is compressed on its own, outside the writer's lock, with
its compressed length and CRC-32 known before it is appended: in one call when its data is in
memory (:func:`frame_bytes`, most media and every JSON member), else streamed into a spooled
temporary file (:func:`compress_member`).
"""

from __future__ import annotations

import json
import tempfile
import threading
import zlib
from typing import IO, Any, Protocol

import zstandard

from scmigrate.errors import InputError

from .layout import CHUNK, level_for
from .tarfmt import header, padding

__all__ = ["Readable", "compress_member", "frame_bytes", "json_bytes", "BytesReader"]


class Readable(Protocol):
    """What a member's data is read from: a file, a spool or :class:`BytesReader`."""

    def read(self, n: int = -1, /) -> bytes: ...

_SPOOL = 1 << 20  # per-worker memory before a temporary file spills to disk
_local = threading.local()


# made once: json.dumps with any option builds a new encoder per call
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)


def json_bytes(doc: Any) -> bytes:
    return _ENCODER.encode(doc).encode("utf-8")


def _compressor(level: int) -> zstandard.ZstdCompressor:
    """This thread's compressor for ``level``: building one costs more than compressing a small
    member (tens of µs at level 12), and one must not be used by two threads at once."""
    cache: dict[int, zstandard.ZstdCompressor] = _local.__dict__.setdefault("by_level", {})
    c = cache.get(level)
    if c is None:
        c = cache[level] = zstandard.ZstdCompressor(level=level, write_checksum=True)
    return c


def frame_bytes(name: str, data: bytes, mtime: int) -> tuple[bytes, int]:
    """A member whose data is in memory as one frame, in one call: ``(frame, CRC-32 of it)``.

    The frame declares its content size and carries its checksum, as a streamed one does.
    """
    member = b"".join((header(name, len(data), mtime), data, bytes(padding(len(data)))))
    frame = _compressor(level_for(name)).compress(member)
    return frame, zlib.crc32(frame)


def compress_member(name: str, size: int, src: Readable, mtime: int) -> tuple[IO[bytes], int, int]:
    """One tar member (header, data, padding) as one zstd frame in a spooled temp file.

    Returns ``(file positioned at 0, compressed length, CRC-32 of the compressed bytes)``.
    """
    total = 512 + size + padding(size)
    cobj = _compressor(level_for(name)).compressobj(size=total)
    out = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
    crc, length, left = 0, 0, size

    def emit(data: bytes) -> None:
        nonlocal crc, length
        if data:
            out.write(data)
            crc = zlib.crc32(data, crc)
            length += len(data)

    emit(cobj.compress(header(name, size, mtime)))
    while left:
        chunk = src.read(min(CHUNK, left))
        if not chunk:
            raise InputError(f"{name}: the data ended {left} bytes early")
        left -= len(chunk)
        emit(cobj.compress(chunk))
    if src.read(1):
        raise InputError(f"{name}: the data is longer than declared")
    emit(cobj.compress(bytes(padding(size))))
    emit(cobj.flush())
    out.seek(0)
    return out, length, crc


class BytesReader:
    """A minimal reader over bytes (``io.BytesIO`` would copy them)."""

    def __init__(self, data: bytes) -> None:
        self._view, self._pos = memoryview(data), 0

    def read(self, n: int = -1) -> bytes:
        end = len(self._view) if n < 0 else self._pos + n
        out = bytes(self._view[self._pos : end])
        self._pos += len(out)
        return out
