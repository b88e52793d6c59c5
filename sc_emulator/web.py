"""Glue between Starlette and the endpoint functions.

Endpoint functions are plain synchronous functions ``fn(call) -> dict | Response``. Most do a few
SQLite statements and some JSON, well under a millisecond, and run on the event loop itself: handing
each to a worker thread and back cost more CPU than the work (0.5 of 1.5 ms per request, measured on
uploads and annotation POSTs, and the emulator shares the machine with the client it serves). The
ones that decode or encode media (thumbnails, video frames, probing a video) or walk the blob store
are declared ``offload=True`` and run in Starlette's thread pool, so that the loop keeps serving
meanwhile. The async wrapper reads the (small, JSON) body first; uploads use
:func:`upload_endpoint`, which streams the body to disk before the sync part runs.
Rule violations (``RuleError`` from ``sc_emulator.rules``) and ``ApiError`` become the error bodies of
docs/rest-api.md §5.1 here, in one place.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from .errors import ApiError, error_response, json_response
from .rules.errors import RuleError
from .upload import UploadedFile, receive_upload

log = logging.getLogger("sc_emulator")

API = "/api/v1"
ORG = API + "/organizations/{organization_id}"
WS = ORG + "/workspaces/{workspace_id}"
PROJ = WS + "/projects/{project_id}"
DS = PROJ + "/datasets/{dataset_id}"
MAX_QUERY_INT = 2 ** 62


class Call:
    """One request as seen by an endpoint function."""

    def __init__(self, request: Request, body: bytes, upload: UploadedFile | None = None) -> None:
        self.request = request
        self.raw_body = body
        self.upload = upload
        self.emu = request.app.state.emulator
        self.params: dict[str, str] = dict(request.path_params)
        self.query = request.query_params
        self.method = request.method

    def json(self, *, allow_empty: bool = False) -> Any:
        """The JSON body; 400 ``bad_request`` when missing or malformed."""
        if not self.raw_body.strip():
            if allow_empty:
                return {}
            raise ApiError(400, "bad_request", "Request body is empty; a JSON body is required.")
        try:
            return json.loads(self.raw_body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, "bad_request", f"Request body is not valid JSON: {exc}") from exc

    def int_query(self, name: str, default: int, low: int = 0, high: int | None = None) -> int:
        """An integer query parameter within bounds; 400 in the FastAPI style otherwise."""
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, "bad_request", {name: ["Not a valid integer."]}) from None
        # Without an explicit upper bound, still stay within SQLite's 64-bit integers (LIMIT/OFFSET).
        top = high if high is not None else MAX_QUERY_INT
        if value < low or value > top:
            bound = f"between {low} and {high}" if high is not None else f"at least {low} and at most {top}"
            # Query-parameter validation answers with an object message, as the real (FastAPI) services do.
            raise ApiError(400, "bad_request", {name: [f"Must be {bound}."]})
        return value

    def bool_query(self, name: str, default: bool = False) -> bool:
        raw = self.query.get(name)
        if raw is None:
            return default
        return raw.strip().lower() in ("1", "true", "yes", "on")

    def check_workspace(self) -> None:
        """404 unless the organisation and workspace in the path are this cluster's (admin routes name
        the project only; dialects before Geti 1.9 have no organisation in their paths)."""
        if "organization_id" in self.params and self.params["organization_id"] != self.emu.org_id:
            raise ApiError(404, "organization_not_found",
                           f"Organization with ID '{self.params.get('organization_id')}' could not be found.")
        if "workspace_id" in self.params and self.params["workspace_id"] != self.emu.workspace_id:
            raise ApiError(404, "workspace_not_found",
                           f"Workspace with ID '{self.params['workspace_id']}' could not be found.")

    def prefix(self) -> str:
        """``/api/v1/organizations/{o}/workspaces/{w}`` (in the cluster's dialect) for URLs in responses."""
        return self.emu.workspace_prefix()


def _to_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return json_response(result)


def _error(exc: Exception) -> Response:
    if isinstance(exc, ApiError):
        return exc.response()
    if isinstance(exc, RuleError):
        return error_response(exc.status, exc.error_code, exc.message)
    log.exception("unhandled error", exc_info=exc)
    return json_response({"internal_server_error": f"{type(exc).__name__}: {exc}"}, 500)


async def _run(fn: Callable[..., Any], arg: Any, offload: bool) -> Any:
    return await run_in_threadpool(fn, arg) if offload else fn(arg)


def endpoint(fn: Callable[[Any], Any] | None = None, *, call: Callable[..., Any] = Call,
             error: Callable[[Exception], Response] = _error,
             body_methods: tuple[str, ...] = ("POST", "PUT", "PATCH"), offload: bool = False) -> Any:
    """Wrap a sync endpoint function as a Starlette endpoint (body read first).

    ``call`` and ``error`` are the dialect's request object and error bodies (the Geti 3.x application
    passes its own); ``body_methods`` are the methods whose body is read; ``offload`` runs the
    function in a worker thread (see the module's docstring). ``@endpoint`` and
    ``@endpoint(offload=True)`` both decorate."""
    if fn is None:
        return functools.partial(endpoint, call=call, error=error, body_methods=body_methods, offload=offload)

    @functools.wraps(fn)
    async def wrapper(request: Request) -> Response:
        body = await request.body() if request.method in body_methods else b""
        try:
            return _to_response(await _run(fn, call(request, body), offload))
        except Exception as exc:  # noqa: BLE001 - every failure must become a body of docs/rest-api.md §5.1
            return error(exc)

    return wrapper


def upload_endpoint(fn: Callable[[Any], Any], precheck: Callable[[Any], None], *, call: Callable[..., Any] = Call,
                    error: Callable[[Exception], Response] = _error, offload: bool = False) -> Callable[[Request], Any]:
    """Like :func:`endpoint`, but the multipart body is streamed to disk first (``call.upload``);
    ``precheck`` validates the path (404s) before a possibly huge body is accepted."""

    @functools.wraps(fn)
    async def wrapper(request: Request) -> Response:
        emu = request.app.state.emulator
        upload = None
        try:
            precheck(call(request, b""))
            upload = await receive_upload(request, emu.store.tmp_dir, emu.knobs.max_upload_bytes)
            return _to_response(await _run(fn, call(request, b"", upload), offload))
        except Exception as exc:  # noqa: BLE001
            return error(exc)
        finally:
            if upload is not None:
                upload.discard()

    return wrapper


#: files up to this size are answered from memory; larger ones are streamed by Starlette's
#: FileResponse, which reads every 64 KB chunk in a worker thread (four thread hops for a 100 KB JPEG)
SMALL_FILE_BYTES = 1 << 20


def file_response(path: Path, media_type: str) -> Response:
    """The file's bytes with ``media_type``; a large file streamed (with Range support)."""
    if path.stat().st_size > SMALL_FILE_BYTES:
        return FileResponse(path, media_type=media_type)
    return Response(path.read_bytes(), media_type=media_type)



class RouteIndex(BaseRoute):
    """All the routes of an application as one, looked up by the path's count of "/".

    Starlette's router asks every route in turn whether it matches, and here twice a request (the
    fault middleware looks up the route template first): the 67 calls cost 30–45 µs, a tenth of the
    emulator's CPU for an upload. A path parameter never spans a "/" (only a ``:path`` one does),
    so a route can only match paths with its own count of "/": the index asks those routes and the
    ``:path`` ones, in their order, and the first full match (else the first partial one, a 405)
    is the same route the router would have found."""

    def __init__(self, routes: list[Any]) -> None:
        self.routes = list(routes)
        self._by_count: dict[int, list[Any]] = {}

    def _candidates(self, count: int) -> list[Any]:
        found = self._by_count.get(count)
        if found is None:
            found = [r for r in self.routes if ":path}" in getattr(r, "path", ":path}") or r.path.count("/") == count]
            if len(self._by_count) < 64:  # counts a client can make up are not worth keeping
                self._by_count[count] = found
        return found

    def lookup(self, scope: Scope) -> tuple[Match, Any, Scope]:
        """The route serving ``scope`` (``Match.FULL``), else the one of another method (``PARTIAL``)."""
        if scope["type"] != "http":
            return Match.NONE, None, {}
        # the route path is the path less the root path (empty unless a proxy sets one)
        count = scope["path"].count("/") - scope.get("root_path", "").count("/")
        partial: tuple[Match, Any, Scope] = (Match.NONE, None, {})
        for route in self._candidates(count):
            match, child = route.matches(scope)
            if match == Match.FULL:
                return match, route, child
            if match == Match.PARTIAL and partial[1] is None:
                partial = (match, route, child)
        return partial

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, route, child = self.lookup(scope)
        return match, ({**child, "sc_emulator.route": route} if route is not None else {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["sc_emulator.route"].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                pass
        raise NoMatchFound(name, path_params)
