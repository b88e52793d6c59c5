"""Resumable uploads (TUS 1.0.0, the ``/api/uploads`` router of the 3.3 development head) and their
consumption by ``POST /api/projects/{pid}/dataset/media:from-upload``.

Extensions: creation, creation-with-upload, creation-defer-length, termination, expiration, checksum.
Bytes go to ``<data>/uploads/<id>.part``; a chunk is first written aside and appended only once it is
whole, within ``Upload-Length`` and (if given) matches its ``Upload-Checksum`` — a rejected chunk leaves
the offset where it was. Served only when the ``tus`` switch is on (3.2.0 had no such router).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import time
import uuid
from email.utils import formatdate
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..ids import now_iso
from .api_projects import get_project
from .media_files import accept_file, split_name
from .schema import MISSING, Check, Invalid
from .web import Call, HTTPError, endpoint, json_response, not_found, stream_endpoint

VERSION = "1.0.0"
EXTENSIONS = "creation,creation-with-upload,creation-defer-length,termination,expiration,checksum"
CHECKSUMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}
OCTETS = "application/offset+octet-stream"
TTL_SECONDS = 24 * 3600
MAX_METADATA = 8 * 1024


def _require_tus(request: Request) -> None:
    if "x-http-method-override" in request.headers:
        raise HTTPError(400, "X-HTTP-Method-Override is not supported.")
    if request.headers.get("tus-resumable") != VERSION:
        raise HTTPError(412, f"Unsupported TUS version; this server speaks {VERSION}.", {"Tus-Version": VERSION})


def _int_header(request: Request, name: str) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise HTTPError(400, f"Invalid {name} header: {raw!r}.")
    return int(raw)


def _within_limit(emu: Any, length: int | None) -> int:
    """The server's size limit (``Tus-Max-Size``); 413 when the declared length exceeds it."""
    limit = int(emu.settings.upload_max_size)
    if length is not None and length > limit:
        raise HTTPError(413, f"Upload-Length exceeds the maximum size of {limit} bytes.")
    return limit


def _metadata(header: str) -> dict[str, str]:
    if len(header.encode()) > MAX_METADATA:
        raise HTTPError(400, "Upload-Metadata header is too large.")
    found: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        if key in found:
            raise HTTPError(400, f"Duplicate Upload-Metadata key: {key!r}.")
        try:
            found[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise HTTPError(400, f"Upload-Metadata value of {key!r} is not valid base64.") from None
    return found


def _sanitize(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
    return base or "upload"


def _part(emu: Any, upload_id: str) -> Path:
    return Path(emu.store.uploads_dir) / f"{upload_id}.part"


def _row(emu: Any, raw_id: str) -> dict[str, Any]:
    try:
        upload_id = str(uuid.UUID(raw_id))
    except ValueError:
        raise Invalid([{"type": "uuid_parsing", "loc": ["path", "upload_id"], "input": raw_id,
                        "msg": "Input should be a valid UUID, invalid character or length"}]) from None
    row = emu.store.one("SELECT * FROM uploads WHERE id = ?", (upload_id,))
    if row is None:
        raise not_found("Upload", upload_id)
    upload = dict(row)
    if upload["state"] == "consumed":
        raise HTTPError(410, "Upload has already been consumed.")
    if upload["expires"] < time.time():
        raise HTTPError(410, "Upload has expired.")
    return upload


def _state_headers(upload: dict[str, Any]) -> dict[str, str]:
    headers = {"Upload-Offset": str(upload["offset"]), "Cache-Control": "no-store",
               "Upload-Expires": formatdate(upload["expires"], usegmt=True)}
    if upload["size"] is None:
        headers["Upload-Defer-Length"] = "1"
    else:
        headers["Upload-Length"] = str(upload["size"])
    return headers


def _upload_view(upload: dict[str, Any]) -> dict[str, Any]:
    return {"id": upload["id"], "filename": upload["filename"], "size": upload["size"], "offset": upload["offset"],
            "state": upload["state"], "created_at": upload["created"],
            "expires_at": formatdate(upload["expires"], usegmt=True)}


def _options(emu: Any) -> Response:
    return Response(status_code=204, headers={"Tus-Version": VERSION, "Tus-Extension": EXTENSIONS,
                                              "Tus-Max-Size": str(emu.settings.upload_max_size),
                                              "Tus-Checksum-Algorithm": ",".join(CHECKSUMS)})


async def _receive_chunk(request: Request, upload: dict[str, Any], limit: int) -> None:
    """Append the request body at ``upload['offset']``; 413 / 460 leave the stored bytes untouched."""
    emu = request.app.state.emulator
    checksum = request.headers.get("upload-checksum")
    digest = None
    if checksum:
        algorithm, _, expected = checksum.partition(" ")
        if algorithm not in CHECKSUMS:
            raise HTTPError(400, f"Unsupported checksum algorithm {algorithm!r}.")
        digest = CHECKSUMS[algorithm]()
    room = (upload["size"] if upload["size"] is not None else limit) - upload["offset"]
    aside = Path(emu.store.tmp_dir) / f"chunk-{os.urandom(8).hex()}"
    received = 0
    try:
        with open(aside, "wb") as handle:
            async for data in request.stream():
                received += len(data)
                if received > room:
                    raise HTTPError(413, "The chunk exceeds the upload length.")
                if digest is not None:
                    digest.update(data)
                await run_in_threadpool(handle.write, data)
        if digest is not None and base64.b64encode(digest.digest()).decode() != expected.strip():
            raise HTTPError(460, "Checksum mismatch.")

        def append() -> None:
            with open(aside, "rb") as src, open(_part(emu, upload["id"]), "ab") as dst:
                while block := src.read(1 << 20):
                    dst.write(block)

        await run_in_threadpool(append)
    finally:
        aside.unlink(missing_ok=True)
    upload["offset"] += received
    done = upload["size"] is not None and upload["offset"] == upload["size"]
    upload["state"] = "completed" if done else ("in_progress" if upload["offset"] else "pending")
    upload["expires"] = time.time() + TTL_SECONDS
    with emu.store.transaction() as conn:
        conn.execute("UPDATE uploads SET offset = ?, state = ?, size = ?, expires = ? WHERE id = ?",
                     (upload["offset"], upload["state"], upload["size"], upload["expires"], upload["id"]))


async def _locked(request: Request, upload: dict[str, Any], limit: int) -> None:
    locks: set[str] = request.app.state.emulator.upload_locks
    if upload["id"] in locks:
        raise HTTPError(423, "The upload is locked by another request.")
    locks.add(upload["id"])
    try:
        await _receive_chunk(request, upload, limit)
    finally:
        locks.discard(upload["id"])


@stream_endpoint
async def uploads(request: Request) -> Any:
    emu = request.app.state.emulator
    if request.method == "OPTIONS":
        return _options(emu)
    if request.method == "GET":
        rows = emu.store.all("SELECT * FROM uploads ORDER BY seq DESC")
        return [_upload_view(dict(r)) for r in rows]
    _require_tus(request)
    length, defer = _int_header(request, "upload-length"), request.headers.get("upload-defer-length")
    if (length is None) == (defer is None) or (defer is not None and defer != "1"):
        raise HTTPError(400, "Exactly one of Upload-Length or Upload-Defer-Length: 1 is required.")
    limit = _within_limit(emu, length)
    meta = _metadata(request.headers.get("upload-metadata", ""))
    has_body = int(request.headers.get("content-length") or 0) > 0
    if has_body and request.headers.get("content-type") != OCTETS:
        raise HTTPError(415, f"A creation body must be {OCTETS}.")
    upload: dict[str, Any] = {"id": str(uuid.uuid4()),
                              "filename": _sanitize(meta.get("filename") or meta.get("name") or ""),
              "filetype": meta.get("filetype") or meta.get("type"), "size": length, "offset": 0,
              "state": "completed" if length == 0 else "pending", "created": now_iso(),
              "expires": time.time() + TTL_SECONDS}
    _part(emu, upload["id"]).touch()
    with emu.store.transaction() as conn:
        conn.execute("INSERT INTO uploads (id, filename, filetype, size, offset, state, created, expires) "
                     "VALUES (:id, :filename, :filetype, :size, :offset, :state, :created, :expires)", upload)
    if has_body:
        await _locked(request, upload, limit)
    return Response(status_code=201, headers={"Location": f"/api/uploads/{upload['id']}", **_state_headers(upload)})


@stream_endpoint
async def one_upload(request: Request) -> Any:
    emu = request.app.state.emulator
    if request.method == "OPTIONS":
        return _options(emu)
    if request.method == "GET":
        return _upload_view(_row(emu, request.path_params["upload_id"]))
    _require_tus(request)
    upload = _row(emu, request.path_params["upload_id"])
    if request.method == "HEAD":
        return Response(status_code=204, headers=_state_headers(upload))
    if request.method == "DELETE":
        with emu.store.transaction() as conn:
            conn.execute("DELETE FROM uploads WHERE id = ?", (upload["id"],))
        _part(emu, upload["id"]).unlink(missing_ok=True)
        return Response(status_code=204)
    if request.headers.get("content-type") != OCTETS:
        raise HTTPError(415, f"PATCH requests must be {OCTETS}.")
    offset = _int_header(request, "upload-offset")
    if offset is None:
        raise HTTPError(400, "Upload-Offset header is required.")
    if offset != upload["offset"]:
        raise HTTPError(409, f"Upload-Offset {offset} does not match the current offset {upload['offset']}.")
    length = _int_header(request, "upload-length")
    limit = _within_limit(emu, length)
    if length is not None:
        if upload["size"] is not None and length != upload["size"]:
            raise HTTPError(400, "Upload-Length cannot be changed once set.")
        if length < upload["offset"]:
            raise HTTPError(400, "Upload-Length is smaller than the bytes already received.")
        upload["size"] = length
    await _locked(request, upload, limit)
    return Response(status_code=204, headers=_state_headers(upload))


@endpoint(offload=True)  # probes the media (PyAV for a video)
def media_from_upload(call: Call) -> Any:
    project = get_project(call)
    check = Check()
    body = call.body_object(check)
    upload_id = check.uuid_(body.get("upload_id", MISSING), ("body", "upload_id"))
    name = check.str_(body.get("name", MISSING), ("body", "name"), required=False, min_len=1, max_len=255)
    check.done()
    upload = _row(call.emu, upload_id or "")
    if upload["id"] in call.emu.upload_locks:
        raise HTTPError(423, "The upload is locked by another request.")
    if upload["state"] != "completed":
        raise HTTPError(409, "Upload is not complete.")
    media_name, ext = split_name(name or upload["filename"])
    part = _part(call.emu, upload["id"])
    digest = hashlib.sha256()
    with open(part, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    view = accept_file(call, project["id"], part, digest.hexdigest(), media_name, ext)  # moves the file
    with call.store.transaction() as conn:
        conn.execute("UPDATE uploads SET state = 'consumed' WHERE id = ?", (upload["id"],))
    return json_response(view, 201)


ROUTES = [
    Route("/api/uploads", uploads, methods=["GET", "POST", "OPTIONS"]),
    Route("/api/uploads/{upload_id}", one_upload, methods=["GET", "HEAD", "PATCH", "DELETE", "OPTIONS"]),
    Route("/api/projects/{project_id}/dataset/media:from-upload", media_from_upload, methods=["POST"]),
]
