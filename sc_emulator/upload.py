"""Streaming multipart/form-data reception: the file part goes straight to disk while it is hashed.

The request body is fed chunk by chunk to python-multipart's push parser; the ``file`` part is written
to a temporary file in the data directory (never held whole in memory) and its SHA-256 computed on the
way, so the finished file can be renamed into the content-addressed blob store.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from .errors import ApiError

MAX_FIELD_BYTES = 1 << 20  # non-file fields (upload_info) are small JSON strings
BATCH_BYTES = 1 << 20


@dataclass
class UploadedFile:
    """A received ``file`` part, already on disk."""

    path: Path | None = None
    filename: str = ""
    size: int = 0
    digest: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None


class _PartSink:
    """Callbacks for MultipartParser: routes part data to the temp file or to a small field buffer."""

    def __init__(self, tmp_dir: Path, max_bytes: int) -> None:
        self.tmp_dir, self.max_bytes = tmp_dir, max_bytes
        self.result = UploadedFile()
        self._header_field = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._is_file = False
        self._handle: Any = None
        self._hash: Any = None
        self._buffer = bytearray()
        self.too_large = False

    def on_part_begin(self) -> None:
        self._headers, self._buffer = {}, bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = params.get(b"name", b"").decode("utf-8", "replace")
        filename = params.get(b"filename")
        self._is_file = self._name == "file" and self.result.path is None
        if self._is_file:
            self.result.filename = (filename or b"").decode("utf-8", "replace")
            self.result.path = self.tmp_dir / f"upload-{os.urandom(8).hex()}"
            self._handle = open(self.result.path, "wb")
            self._hash = hashlib.sha256()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._is_file and self._handle is not None:
            self.result.size += len(chunk)
            if self.result.size > self.max_bytes:
                self.too_large = True
                return
            self._hash.update(chunk)
            self._handle.write(chunk)
        elif len(self._buffer) + len(chunk) <= MAX_FIELD_BYTES:
            self._buffer += chunk

    def on_part_end(self) -> None:
        if self._is_file and self._handle is not None:
            self._handle.close()
            self._handle = None
            self.result.digest = self._hash.hexdigest()
        elif self._name:
            self.result.fields[self._name] = self._buffer.decode("utf-8", "replace")
        self._is_file = False

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _too_large(max_bytes: int) -> ApiError:
    return ApiError(413, "payload_too_large",
                    f"The file is too large. The maximum file size is {max_bytes / (1024 * 1024):.0f} MB.")


async def receive_upload(request: Request, tmp_dir: Path, max_bytes: int) -> UploadedFile:
    """Parse a multipart upload from the raw request stream; the caller must ``discard()`` the file."""
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ApiError(400, "bad_request", "Expected a multipart/form-data body with a 'file' field.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes + 64 * 1024:
        raise _too_large(max_bytes)
    sink = _PartSink(tmp_dir, max_bytes)
    parser = MultipartParser(boundary, callbacks={
        "on_part_begin": sink.on_part_begin, "on_part_data": sink.on_part_data,
        "on_part_end": sink.on_part_end, "on_header_field": sink.on_header_field,
        "on_header_value": sink.on_header_value, "on_header_end": sink.on_header_end,
        "on_headers_finished": sink.on_headers_finished,
    })
    batch = bytearray()
    try:
        # Parsing, hashing and writing run in a worker thread, one ~1 MB batch at a time: a 1 GB upload
        # then neither blocks the event loop nor sits in memory. The last, smaller batch (all of a
        # typical image) is parsed on the loop: the hop to a thread costs more than that work.
        async for chunk in request.stream():
            batch += chunk
            if len(batch) >= BATCH_BYTES:
                await anyio.to_thread.run_sync(parser.write, bytes(batch))
                batch.clear()
                if sink.too_large:
                    raise _too_large(max_bytes)
        if batch:
            parser.write(bytes(batch))
        if sink.too_large:
            raise _too_large(max_bytes)
        parser.finalize()
    except ApiError:
        sink.close()
        sink.result.discard()
        raise
    except Exception as exc:
        sink.close()
        sink.result.discard()
        raise ApiError(400, "bad_request", f"Malformed multipart body: {exc}") from exc
    sink.close()
    if sink.result.path is None or not sink.result.digest:
        sink.result.discard()
        raise ApiError(400, "bad_request", "No file provided. Upload the media in the form field 'file'.")
    return sink.result
