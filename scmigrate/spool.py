"""Spool a stream while hashing it: the one copy a sink makes of the bytes it is given.

This module is public (:data:`scmigrate.api.PUBLIC_MODULES`): plugins may import it. A sink often
needs a media's size and sha256 before it can send the first byte (a tar header holds the size, an
upload announces ``Content-Length``), and may need to send the bytes more than once (a retried
request). :class:`Spool` copies a source stream once into a temporary file, kept in memory up to
``max_memory`` bytes (then also readable as :attr:`Spool.data`) and on disk above, hashing as it
goes, and can then :meth:`~Spool.check` what it copied against the size and sha256 the source
declared. Memory stays flat whatever the media's size.

A source whose streams check their own bytes (an archive member is read against its sha256) hands
out a :class:`CheckedReader`: the spool then takes the digest from it instead of computing it a
second time (a restore hashed every image twice).

    with Spool(item.open()) as spool:
        spool.check(item.media.sha256, item.media.size, what=item.key)
        send(spool.file, spool.size)
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from types import TracebackType
from typing import IO, BinaryIO

from .errors import InputError

__all__ = ["CHUNK", "CheckedReader", "Spool"]

#: bytes read from the source per call
CHUNK = 1 << 20


class CheckedReader(io.BufferedReader):
    """A buffered stream over ``raw`` whose end is only reached when its bytes have ``sha256``.

    The promise is the raw stream's: reading it to its end raises (an ``OSError`` or an
    ``InputError`` naming what is damaged) instead of returning the last empty read when the bytes
    do not match. :class:`Spool` reads every stream to its end, so it can take :attr:`sha256` from
    here; a stream that only claims a digest it does not check must not be one of these."""

    def __init__(self, raw: io.RawIOBase, sha256: str, buffer_size: int = 1 << 16) -> None:
        super().__init__(raw, buffer_size=buffer_size)
        self.sha256 = sha256


def _ask(size: int, expected: int | None) -> int:
    """How many bytes to ask the stream for after ``size`` of them.

    A stream's ``read(n)`` may set aside ``n`` bytes before it knows how many there are (a raw
    stream zero-fills a buffer of ``n``; an HTTP body allocates ``n``): asked for a fixed 1 MiB,
    every 2 KB thumbnail cost two such buffers, churning the allocator (memory the process keeps)
    and CPU. With the size the source declared, the bytes are asked for as they are, then one byte
    to see the stream end; a stream longer than declared is read on by chunks (:meth:`check` says so).
    """
    if expected is None or size > expected:
        return CHUNK
    return min(CHUNK, expected - size) or 1


class Spool:
    """The bytes of ``stream``, copied once (the stream is closed), with their size and sha256.

    ``expected`` is the size the source declared, if it did: the stream is read in steps of that
    size (see :func:`_ask`), which changes nothing of what is copied or checked.
    ``file`` is positioned at 0 after the copy; :meth:`rewind` puts it back there for another
    read. Use it as a context manager, or call :meth:`close`, to free the temporary file.
    """

    def __init__(self, stream: BinaryIO, max_memory: int = 4 << 20, expected: int | None = None) -> None:
        checked = stream.sha256 if isinstance(stream, CheckedReader) else None
        digest = None if checked else hashlib.sha256()
        parts: list[bytes] = []
        size = 0
        spilled: IO[bytes] | None = None
        try:
            with stream:
                while True:
                    chunk = stream.read(_ask(size, expected))
                    if not chunk:
                        break
                    if digest is not None:
                        digest.update(chunk)
                    size += len(chunk)
                    if spilled is not None:
                        spilled.write(chunk)
                        continue
                    parts.append(chunk)
                    if size > max_memory:
                        spilled = tempfile.TemporaryFile()
                        spilled.writelines(parts)
                        parts = []
        except BaseException:
            if spilled is not None:
                spilled.close()
            raise
        self.size = size
        if digest is not None:
            checked = digest.hexdigest()
        # (read to its end, a checked stream has raised unless its bytes are its sha256)
        assert checked is not None
        self.sha256: str = checked
        #: the bytes themselves when they fit in ``max_memory`` (most media do), else None: a
        #: sink that sends or compresses them in one call saves the copies a file costs
        self.data: bytes | None = None
        if spilled is None:
            self.data = parts[0] if len(parts) == 1 else b"".join(parts)
            self.file: IO[bytes] = io.BytesIO(self.data)  # shares the bytes, no copy
        else:
            self.file = spilled
        self.file.seek(0)

    def check(self, sha256: str | None, size: int | None = None, *, what: str) -> None:
        """An :class:`InputError` naming ``what`` when the bytes are not the ``sha256`` (and
        ``size``) they were declared to be; ``None`` means not declared, nothing to check."""
        if size is not None and size != self.size:
            raise InputError(f"{what}: the {self.size} bytes read do not match the {size} the source declared")
        if sha256 and sha256.lower() != self.sha256:
            raise InputError(f"{what}: the bytes read do not match the sha256 the source declared "
                             f"({self.sha256[:12]}… read, {sha256[:12]}… declared)")

    def rewind(self) -> IO[bytes]:
        """``file`` at its start, for another pass over the bytes."""
        self.file.seek(0)
        return self.file

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
