"""Endpoint glue of the Geti 3.x application: every failure becomes FastAPI's ``{"detail": ...}`` body.

Endpoint functions are synchronous ``fn(call) -> body | Response`` run in the thread pool (SQLite and file
work block). :class:`HTTPError` carries a status and a human ``detail``; :class:`~.schema.Invalid` becomes
``422`` with the list of field errors; the multipart reader of the 2.x app is reused, its errors mapped.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import web as shared
from ..errors import ApiError, json_response
from ..upload import UploadedFile
from .schema import MISSING, Check, Invalid

log = logging.getLogger("sc_emulator.geti3")


class HTTPError(Exception):
    """An error answer ``{"detail": detail}`` with that status (and optional headers)."""

    def __init__(self, status: int, detail: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers or {}


def detail_response(status: int, detail: Any, headers: dict[str, str] | None = None) -> Response:
    return json_response({"detail": detail}, status, headers)


def not_found(kind: str, ident: str) -> HTTPError:
    """The backend's generic 404: ``"<Kind> with ID <id> not found."``."""
    return HTTPError(404, f"{kind} with ID {ident} not found.")


class Call:
    """One request as an endpoint function sees it."""

    def __init__(self, request: Request, body: bytes, upload: UploadedFile | None = None) -> None:
        self.request = request
        self.raw_body = body
        self.upload = upload
        self.emu = request.app.state.emulator
        self.store = self.emu.store
        self.params: dict[str, str] = dict(request.path_params)
        self.query = request.query_params
        self.headers = request.headers
        self.method = request.method

    def json(self) -> Any:
        """The JSON body, ``MISSING`` when there is none; malformed JSON → 422 ``json_invalid``."""
        if not self.raw_body.strip():
            return MISSING
        try:
            return json.loads(self.raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Invalid([{"type": "json_invalid", "loc": ["body", getattr(exc, "pos", 0)],
                            "msg": "JSON decode error", "input": {}, "ctx": {"error": str(exc)}}]) from None

    def body_object(self, check: Check) -> dict[str, Any]:
        """The body as an object (422 when absent or not an object)."""
        body = check.obj(self.json(), ("body",))
        if body is None:
            check.done()
        return body or {}

    def path_uuid(self, name: str) -> str:
        """A path id validated as the backend's custom UUID type: malformed → 400."""
        raw = self.params[name]
        try:
            return str(uuid.UUID(raw))
        except ValueError:
            raise HTTPError(400, f"Invalid {name}: '{raw}' must be a valid UUID format.") from None

    def q(self, name: str) -> Any:
        value = self.query.get(name)
        return MISSING if value is None else value

    def q_list(self, name: str) -> list[str]:
        return self.query.getlist(name)


def _error(exc: Exception) -> Response:
    if isinstance(exc, HTTPError):
        return detail_response(exc.status, exc.detail, exc.headers)
    if isinstance(exc, Invalid):
        return detail_response(422, exc.errors)
    if isinstance(exc, ApiError):  # the shared multipart reader
        status = 422 if exc.status == 400 else exc.status
        return detail_response(status, str(exc.message))
    log.exception("unhandled error", exc_info=exc)
    return detail_response(500, f"{type(exc).__name__}: {exc}")


def endpoint(fn: Callable[[Call], Any] | None = None, *, offload: bool = False) -> Any:
    """Wrap a sync endpoint function (body read first, DELETE bodies too); ``offload``: in a worker
    thread (``sc_emulator.web``: for the functions that decode media). ``@endpoint`` or
    ``@endpoint(offload=True)``."""
    return shared.endpoint(fn, call=Call, error=_error, body_methods=("POST", "PUT", "PATCH", "DELETE"),
                           offload=offload)


def upload_endpoint(fn: Callable[[Call], Any], precheck: Callable[[Call], None]) -> Callable[[Request], Any]:
    """Multipart upload: ``precheck`` (404s) first, then the ``file`` part streamed to disk and
    handed to ``fn`` in a worker thread (it probes the media: PyAV for a video)."""
    return shared.upload_endpoint(fn, precheck, call=Call, error=_error, offload=True)


def stream_endpoint(fn: Callable[[Request], Any]) -> Callable[[Request], Any]:
    """An async endpoint that reads the body itself (TUS chunks); errors as detail bodies."""

    @functools.wraps(fn)
    async def wrapper(request: Request) -> Response:
        try:
            result = await fn(request)
            return result if isinstance(result, Response) else json_response(result)
        except Exception as exc:  # noqa: BLE001
            return _error(exc)

    return wrapper
