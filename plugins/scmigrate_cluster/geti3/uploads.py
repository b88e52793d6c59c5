"""Putting one media file into a Geti 3.x project: multipart, or TUS 1.0.0 for large files.

Multipart (field ``file``) is what every 3.x server takes. A server that offers resumable
uploads (``/api/uploads`` and ``.../dataset/media:from-upload`` in its OpenAPI paths) gets files
above :data:`TUS_ABOVE` in 16 MiB chunks: a chunk that fails is resent from the offset the
server reports (``HEAD``), so a dropped connection costs one chunk, not the file.
"""

from __future__ import annotations

import base64
import mimetypes
import uuid
from collections.abc import Callable
from typing import Any

import requests

from scmigrate.errors import InputError, PluginError
from scmigrate.spool import Spool

from ..http import ClusterHttp, HttpError, Recovered
from ..streams import MultipartBody

__all__ = ["upload", "TUS_ABOVE", "CHUNK"]

TUS_ABOVE = 64 << 20
CHUNK = 16 << 20
_TUS = {"Tus-Resumable": "1.0.0"}
#: statuses that blame the file itself, not the server
_ITEM_FAULTS = frozenset({400, 413, 415, 422})


def _refused(what: str, exc: HttpError) -> Exception:
    kind = InputError if exc.status in _ITEM_FAULTS else PluginError
    return kind(f"{what}: the server refused the upload: {exc}")


def upload(http: ClusterHttp, media_path: str, spool: Spool, filename: str, what: str, tus: bool,
           lookup: Callable[[], dict[str, Any] | None]) -> dict[str, Any]:
    """The media document of the uploaded file; ``lookup`` finds it after an unknown outcome."""
    if tus and spool.size > TUS_ABOVE:
        return _tus(http, media_path, spool, filename, what)
    ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    boundary = uuid.uuid4().hex
    try:
        resp = http.request(
            "POST", media_path, body=lambda: MultipartBody(spool, filename, ctype, boundary=boundary),
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
            idempotent=False, on_unknown=lookup,
        )
    except HttpError as exc:
        raise _refused(what, exc) from None
    http.stats.add("bytes_sent", spool.size)
    if isinstance(resp, Recovered):
        return resp.value
    assert isinstance(resp, requests.Response)
    return http.json_of(resp, f"POST {media_path}")


def _tus(http: ClusterHttp, media_path: str, spool: Spool, filename: str, what: str) -> dict[str, Any]:
    meta = "filename " + base64.b64encode(filename.encode("utf-8")).decode("ascii")
    try:
        resp = http.request("POST", "/api/uploads", ok=(201,),
                            headers={**_TUS, "Upload-Length": str(spool.size), "Upload-Metadata": meta})
        assert isinstance(resp, requests.Response)
        location = resp.headers.get("Location") or ""
        upload_id = location.rstrip("/").rsplit("/", 1)[-1]
        path = f"/api/uploads/{upload_id}"
        offset = int(resp.headers.get("Upload-Offset") or 0)
        stalled = 0
        while offset < spool.size:
            new = _chunk(http, path, spool, offset)
            stalled = 0 if new > offset else stalled + 1
            if stalled > http.retries:
                raise PluginError(f"{what}: the resumable upload makes no progress at byte {offset}")
            offset = new
        doc = http.send_json("POST", media_path + ":from-upload", {"upload_id": upload_id})
    except HttpError as exc:
        raise _refused(what, exc) from None
    http.stats.add("bytes_sent", spool.size)
    return doc


def _chunk(http: ClusterHttp, path: str, spool: Spool, offset: int) -> int:
    """Send the chunk at ``offset``; the new offset (re-read with HEAD when the answer was lost)."""
    size = min(CHUNK, spool.size - offset)

    def body() -> bytes:
        spool.file.seek(offset)
        return spool.file.read(size)

    def where() -> int | None:
        head = http.request("HEAD", path, headers=_TUS, ok=(200, 204), retries=2)
        assert isinstance(head, requests.Response)
        return int(head.headers.get("Upload-Offset") or offset)

    headers = {**_TUS, "Content-Type": "application/offset+octet-stream", "Upload-Offset": str(offset)}
    try:
        resp = http.request("PATCH", path, body=body, headers=headers, ok=(204,), idempotent=False,
                            on_unknown=where)
    except HttpError as exc:
        if exc.status != 409:  # 409: the server holds another offset than we thought
            raise
        return int(where() or offset)
    if isinstance(resp, Recovered):
        return int(resp.value)
    assert isinstance(resp, requests.Response)
    return int(resp.headers.get("Upload-Offset") or offset + size)
