"""zstd frames as the .scz container: walking their structure, decoding one member, the trailer.

Every member of the tar stream sits in its own zstd frame, so a frame boundary is a member
boundary. The frame walker finds a frame's length from its block headers without decompressing
(for resume and verify); the decoder reads one member with a bounded window and never more output
than the member's own header declares (a "zstd bomb" ends at the first surplus byte).
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Callable
from typing import IO, Any, cast

import zstandard

from .layout import MAX_WINDOW
from .tarfmt import BLOCK, HeaderError, padding, parse_header

__all__ = [
    "NamedDamage",
    "TRAILER_SIZE",
    "EndOfArchive",
    "FrameError",
    "MemberDamaged",
    "MemberStream",
    "RangeReader",
    "ReadAt",
    "Trailer",
    "Truncated",
    "decode_member",
    "decompressor",
    "frame_length",
    "is_skippable",
    "pack_trailer",
    "unpack_trailer",
]

#: ``read_at(offset, n)`` → up to ``n`` bytes of the archive file starting at ``offset``.
ReadAt = Callable[[int, int], bytes]

_ZSTD_MAGIC = 0xFD2FB528
_SKIPPABLE = range(0x184D2A50, 0x184D2A60)
_TRAILER_MAGIC = 0x184D2A5E
_TRAILER_ID = b"SCZINDEX"
_TRAILER = struct.Struct("<II8sQQQII")  # frame magic, payload size, id, offsets/lengths, crcs
TRAILER_SIZE = _TRAILER.size + 4  # + CRC-32 of the payload
_MAX_BLOCK = 128 << 10
#: the largest step a member stream reads and decodes at once
_ONE_READ = 256 << 10


class FrameError(ValueError):
    """Bytes that are not a well-formed zstd frame."""


class Truncated(FrameError):
    """A frame that runs past the end of the file."""


class MemberDamaged(ValueError):
    """A member whose frame decodes wrongly: bad header, sizes, padding, checksum or hash."""


class EndOfArchive(Exception):
    """The frame starts with a zero block: the tar end-of-archive marker, not a member."""


def decompressor() -> zstandard.ZstdDecompressor:
    """A decompressor whose window (the memory a frame can demand) is capped."""
    return zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW)


#: decompressors of finished member streams, for the next ones: a new one costs a context
#: allocation (~8 µs), twice per item a restore reads. A decompressor serves one stream at a time
#: (its streams share its context), so one is only put here when its stream has ended. The list
#: never holds more than were in use at once (one is made only when none is idle), so it keeps the
#: window buffers of the busiest moment and adds nothing to the peak memory.
_IDLE: list[zstandard.ZstdDecompressor] = []
_IDLE_MAX = 64


def is_skippable(read_at: ReadAt, offset: int) -> bool:
    head = read_at(offset, 4)
    return len(head) == 4 and struct.unpack("<I", head)[0] in _SKIPPABLE


def frame_length(read_at: ReadAt, offset: int, end: int) -> int:
    """Compressed length of the zstd or skippable frame at ``offset``, from its structure alone."""
    head = read_at(offset, 18)
    if len(head) < 8:
        raise Truncated(f"frame at byte {offset} is cut short")
    magic = struct.unpack_from("<I", head)[0]
    if magic in _SKIPPABLE:
        total = 8 + struct.unpack_from("<I", head, 4)[0]
    elif magic == _ZSTD_MAGIC:
        fhd = head[4]
        fcs_flag, single, checksum, dict_flag = fhd >> 6, (fhd >> 5) & 1, (fhd >> 2) & 1, fhd & 3
        if fhd & 0x08:
            raise FrameError(f"frame at byte {offset}: reserved bit set")
        if dict_flag:
            raise FrameError(f"frame at byte {offset}: uses a dictionary (never written by scmigrate)")
        fcs_size = (1 if single else 0, 2, 4, 8)[fcs_flag]
        pos = offset + 5 + (0 if single else 1) + fcs_size
        while True:
            raw = read_at(pos, 3)
            if len(raw) < 3:
                raise Truncated(f"frame at byte {offset} is cut short")
            block = int.from_bytes(raw, "little")
            last, kind, size = block & 1, (block >> 1) & 3, block >> 3
            if kind == 3 or size > _MAX_BLOCK:
                raise FrameError(f"frame at byte {offset}: invalid block at byte {pos}")
            pos += 3 + (1 if kind == 1 else size)
            if last:
                break
            if pos > end:
                raise Truncated(f"frame at byte {offset} is cut short")
        total = pos + 4 * checksum - offset
    else:
        raise FrameError(f"no zstd frame at byte {offset}")
    if offset + total > end:
        raise Truncated(f"frame at byte {offset} is cut short")
    return total


class RangeReader(io.RawIOBase):
    """A byte range of the archive as a stream; keeps the CRC-32 of what passed through."""

    def __init__(self, read_at: ReadAt, offset: int, length: int, chunk: int = 1 << 16, crc: bool = True) -> None:
        self._read_at, self._pos, self._left, self._chunk = read_at, offset, length, chunk
        self._crc = crc
        #: the CRC-32 of what was read (0 throughout with ``crc=False``)
        self.crc32 = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._left if n is None or n < 0 else min(n, self._left, self._chunk)
        data = self._read_at(self._pos, n) if n else b""
        self._pos += len(data)
        self._left -= len(data)
        if self._crc:
            self.crc32 = zlib.crc32(data, self.crc32)
        return data

    def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def drain(self) -> int:
        """Read (and CRC) what the decoder left of the range; returns how many bytes that was."""
        left = self._left
        while self._left and self.read(self._chunk):
            pass
        return left


class MemberStream(io.RawIOBase):
    """One member's data, decoded from its frame; checks padding, sizes and (optionally) sha256.

    ``crc=False`` leaves ``range.crc32`` at 0: for a reader that trusts the sha256 and the frame's
    own checksum, not the CRC-32 of its compressed bytes (which verify and the index check)."""

    def __init__(self, read_at: ReadAt, offset: int, length: int, expect_sha256: str | None = None,
                 crc: bool = True) -> None:
        # a frame up to _ONE_READ is read in one call (an image: one pread, one decoder step)
        step = max(1 << 16, min(length, _ONE_READ))
        self.range = RangeReader(read_at, offset, length, chunk=step, crc=crc)
        try:
            self._dctx: zstandard.ZstdDecompressor | None = _IDLE.pop()
        except IndexError:
            self._dctx = decompressor()
        # zstandard only calls read(); its stubs ask for IO[bytes], which a RawIOBase is not by name
        self._z = self._dctx.stream_reader(cast(IO[bytes], self.range), read_size=step, read_across_frames=False)
        self._sha = hashlib.sha256()
        self._expect = expect_sha256
        block = self._exact(BLOCK, "tar header")
        if not any(block):
            raise EndOfArchive()
        try:
            self.name, self.size = parse_header(block)
        except HeaderError as e:
            raise MemberDamaged(str(e)) from None
        self._left = self.size
        self.sha256: str | None = None

    def _exact(self, n: int, what: str) -> bytes:
        parts, got = [], 0
        while got < n:
            try:
                part = self._z.read(n - got)
            except zstandard.ZstdError as e:
                raise MemberDamaged(f"zstd frame does not decode ({e})") from None
            if not part:
                raise MemberDamaged(f"frame ends inside the {what}")
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._left == 0:
            if self.sha256 is None:
                self._finish()
            return b""
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._exact(min(n, 1 << 20), "member data")
        self._left -= len(data)
        self._sha.update(data)
        return data

    def readinto(self, buf: bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)

    def _finish(self) -> None:
        pad = padding(self.size)
        if pad and self._exact(pad, "padding").strip(b"\0"):
            raise MemberDamaged("non-zero tar padding")
        try:
            extra = self._z.read(1)
        except zstandard.ZstdError as e:  # the frame's content checksum is checked here
            raise MemberDamaged(f"zstd frame does not decode ({e})") from None
        if extra:
            raise MemberDamaged("frame holds more data than the member's declared size")
        self.range.drain()
        self.sha256 = self._sha.hexdigest()
        # decoded to its end, and (sha256 set) never read from again: its decompressor is free
        if self._dctx is not None and len(_IDLE) < _IDLE_MAX:
            _IDLE.append(self._dctx)
        self._dctx = None
        if self._expect is not None and self.sha256 != self._expect:
            raise MemberDamaged("sha256 of the data does not match")


def decode_member(read_at: ReadAt, offset: int, length: int, keep_up_to: int = 0,
                  limit: int | None = None) -> tuple[MemberStream, bytes | None]:
    """Decode a whole member; returns the finished stream (name, size, sha256, range.crc32) and,
    when its size is at most ``keep_up_to``, its data. A member whose header declares more than
    ``limit`` bytes is refused before any of its data is decoded (SPEC §10)."""
    stream = MemberStream(read_at, offset, length)
    if limit is not None and stream.size > limit:
        raise MemberDamaged(f"{stream.name} declares {stream.size} bytes, more than the {limit} it may hold")
    keep = stream.size <= keep_up_to
    parts = []
    while True:
        chunk = stream.read(1 << 20)
        if not chunk:
            break
        if keep:
            parts.append(chunk)
    return stream, (b"".join(parts) if keep else None)


class Trailer:
    """The skippable frame that ends a complete archive and points at its index."""

    def __init__(self, index_offset: int, index_length: int, end_length: int, index_crc: int, end_crc: int):
        self.index_offset, self.index_length, self.end_length = index_offset, index_length, end_length
        self.index_crc, self.end_crc = index_crc, end_crc

    @property
    def end_offset(self) -> int:
        return self.index_offset + self.index_length


def pack_trailer(t: Trailer) -> bytes:
    body = _TRAILER.pack(_TRAILER_MAGIC, TRAILER_SIZE - 8, _TRAILER_ID, t.index_offset, t.index_length,
                         t.end_length, t.index_crc, t.end_crc)
    return body + struct.pack("<I", zlib.crc32(body[8:]))


def unpack_trailer(raw: bytes, file_size: int) -> Trailer | None:
    """The trailer in the last bytes of a file, or None if they are not a consistent trailer."""
    if len(raw) != TRAILER_SIZE:
        return None
    magic, size, ident, ioff, ilen, elen, icrc, ecrc = _TRAILER.unpack_from(raw)
    if magic != _TRAILER_MAGIC or size != TRAILER_SIZE - 8 or ident != _TRAILER_ID:
        return None
    if struct.unpack_from("<I", raw, _TRAILER.size)[0] != zlib.crc32(raw[8 : _TRAILER.size]):
        return None
    if ioff + ilen + elen + TRAILER_SIZE != file_size or ilen <= 0 or elen <= 0:
        return None
    return Trailer(ioff, ilen, elen, icrc, ecrc)


class NamedDamage(io.RawIOBase):
    """A member's stream whose damage, found while reading, is raised as ``fail(error)`` (naming the member)."""

    def __init__(self, inner: MemberStream, fail: Callable[[Exception], Exception]) -> None:
        self._inner, self._fail = inner, fail

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        try:
            data = self._inner.read(len(buf))
        except (MemberDamaged, zstandard.ZstdError) as e:
            raise self._fail(e) from None
        buf[: len(data)] = data
        return len(data)
