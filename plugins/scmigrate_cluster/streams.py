"""Byte streams to and from a cluster: resumable downloads and a streaming multipart body.

Media bytes are never held whole: downloads are read from the socket as the sink consumes
them, and uploads are sent from a :class:`scmigrate.spool.Spool` (kept in memory up to a few
MB, on disk above) whose size is known, so the request carries a ``Content-Length`` and can be re-sent after a
retry without fetching the media from the source again.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import requests

from scmigrate.spool import Spool

from .http import ClusterHttp, ClusterUnreachable

__all__ = ["DownloadStream", "MultipartBody", "multipart_body"]


class DownloadStream(io.RawIOBase):
    """A GET whose body is read on demand; a dropped connection resumes where it stopped.

    It asks for the remaining bytes with ``Range``; a server that ignores ranges (200) is
    read from the start again and the bytes already delivered are skipped.
    """

    def __init__(self, http: ClusterHttp, path: str) -> None:
        super().__init__()
        self._http, self._path = http, path
        self._pos = 0
        self._failures = 0
        self._resp: requests.Response | None = None
        self._expected: int | None = None
        self._open()

    def _open(self) -> None:
        headers = {"Range": f"bytes={self._pos}-"} if self._pos else None
        resp = self._http.request("GET", self._path, stream=True, headers=headers, ok=(200, 206))
        assert isinstance(resp, requests.Response)
        if self._pos and resp.status_code == 200:
            skip = self._pos
            while skip:
                chunk = resp.raw.read(min(skip, 1 << 16), decode_content=True)
                if not chunk:
                    raise OSError("short body while skipping")
                skip -= len(chunk)
        self._expected = _total_length(resp, self._expected)
        self._resp = resp

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to ``size`` bytes, as the connection hands them over.

        Not :class:`io.RawIOBase`'s own ``read``, which zero-fills a buffer of ``size`` to read
        into: asked for 1 MiB, each small image cost two of them. Never more than the rest of
        the body is asked for (its length is known), so urllib3 sets aside no more than that.
        """
        if size is None or size < 0:
            return self.readall()
        while True:
            if self._expected is not None:
                size = min(size, self._expected - self._pos)
            if size <= 0:
                return b""
            try:
                assert self._resp is not None
                data = self._resp.raw.read(size, decode_content=True)
                if not data and self._expected is not None and self._pos < self._expected:
                    raise OSError(f"connection closed at byte {self._pos} of {self._expected}")
                n = len(data)
                self._pos += n
                self._http.stats.add("bytes_received", n)
                return data
            except (OSError, requests.exceptions.RequestException, Exception) as exc:  # noqa: BLE001
                # urllib3 raises ProtocolError/IncompleteRead/ReadTimeoutError on a dropped body
                self._failures += 1
                if self._failures > self._http.retries:
                    raise ClusterUnreachable(
                        f"{self._http.label}: GET {self._path}: download kept failing: {type(exc).__name__}"
                    ) from None
                self._http.stats.retry("download resumed")
                if self._resp is not None:
                    self._resp.close()
                    self._resp = None
                if self._expected is not None and self._pos >= self._expected:
                    return b""  # everything arrived; only the connection's end was lost
                self._open()

    def close(self) -> None:
        if self._resp is not None:
            self._resp.close()
            self._resp = None
        super().close()


def _total_length(resp: requests.Response, known: int | None) -> int | None:
    """The full size of the resource: ``Content-Range`` total on a 206, ``Content-Length`` on a 200."""
    if resp.headers.get("Content-Encoding"):
        return known  # lengths count compressed bytes; we count decoded ones
    if resp.status_code == 206:
        total = (resp.headers.get("Content-Range") or "").rsplit("/", 1)[-1]
        return int(total) if total.isdigit() else known
    length = resp.headers.get("Content-Length")
    return int(length) if length and length.isdigit() else known


def _frame(boundary: str, filename: str, content_type: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file's bytes in a one-part ``multipart/form-data`` body."""
    safe = filename.replace('"', "_").replace("\r", "_").replace("\n", "_")
    head = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{safe}\"\r\n"
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head, f"\r\n--{boundary}--\r\n".encode()


def multipart_body(spool: Spool, filename: str, content_type: str, boundary: str) -> bytes | MultipartBody:
    """The upload's body: one ``bytes`` when the spool holds the media in memory (most media), so the
    request goes out in one write instead of a Python read and a TLS write per 8 KB block (a copy
    of a few hundred KB costs far less); a :class:`MultipartBody` streaming from disk above that."""
    if spool.data is None:
        return MultipartBody(spool, filename, content_type, boundary=boundary)
    head, tail = _frame(boundary, filename, content_type)
    return b"".join((head, spool.data, tail))


class MultipartBody(io.RawIOBase):
    """``multipart/form-data`` with one ``file`` part, read in blocks from a :class:`~scmigrate.spool.Spool`."""

    def __init__(
        self, spool: Spool, filename: str, content_type: str = "application/octet-stream",
        boundary: str | None = None,
    ) -> None:
        super().__init__()
        self.boundary = boundary or uuid.uuid4().hex
        head, tail = _frame(self.boundary, filename, content_type)
        self._parts: list[Any] = [io.BytesIO(head), spool.rewind(), io.BytesIO(tail)]
        self._len = len(head) + spool.size + len(tail)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return self._len

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        out = b""
        while self._parts and (n < 0 or len(out) < n):
            chunk = self._parts[0].read(-1 if n < 0 else n - len(out))
            if not chunk:
                self._parts.pop(0)
                continue
            out += chunk
        return out

    def close(self) -> None:
        # the spool outlives one attempt: a retry sends it again
        self._parts = []
        super().close()
