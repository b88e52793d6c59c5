"""Assembly of the Geti 3.x application: settings, state, the routes, discovery and the middleware.

Discovery is what a client sees first: ``GET /health``, ``GET /api/openapi.json`` (``info.title`` "Geti",
``info.version``, and ``paths`` listing exactly the routes served, so features can be detected), and —
with the ``spa`` switch, on by default as in the Docker image — the UI page (``200 text/html``) for every
unknown GET path, ``/api/v1/product_info`` included; other unknown methods then get 405.
No authentication of any kind. The test knobs and ``/_emulator`` admin routes are the 2.x app's.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import api_admin
from .. import web as shared_web
from ..faults import ADMIN_PREFIX, FaultBook, FaultMiddleware, Knobs
from . import api_annotations, api_media, api_projects, api_training, api_uploads, api_views
from .store import Geti3Store
from .web import detail_response, json_response

UI_PAGE = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Geti</title></head>"
           "<body><div id=\"root\"></div><!-- sc_emulator: Geti 3.x UI placeholder --></body></html>")


@dataclass
class Geti3Settings:
    """Everything ``sc-emulator serve --dialect geti3`` accepts."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = True
    url_file: Path | None = None
    version: str = "3.2.0"
    spa: bool = True
    tus: bool = True
    upload_max_size: int = 50 * 1024 ** 3
    knobs: Knobs = field(default_factory=Knobs)


class Geti3Emulator:
    """State shared by the endpoints (``request.app.state.emulator``)."""

    def __init__(self, settings: Geti3Settings) -> None:
        self.settings = settings
        self.store = Geti3Store(settings.data_dir)
        self.knobs = settings.knobs
        self.book = FaultBook(self.knobs)
        self.version = settings.version
        self.upload_locks: set[str] = set()  # TUS uploads with a PATCH in flight (423 for a second one)

    def banner(self) -> list[str]:
        return ["dialect: geti3 (no authentication)",
                f"spa catch-all: {'on' if self.settings.spa else 'off'}; "
                f"resumable uploads: {'on' if self.settings.tus else 'off'}"]


def _openapi(routes: list[Any], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if route.path.startswith(ADMIN_PREFIX) or route.path == "/api/openapi.json":
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = {"operationId": f"{route.name}_{method.lower()}"}
    return {"openapi": "3.1.0", "info": {"title": "Geti", "version": version}, "paths": paths}


def _admin_info(request: Request) -> Response:
    emu = request.app.state.emulator
    return json_response({"dialect": "geti3", "version": emu.version, "data_dir": str(emu.settings.data_dir),
                          "tls": emu.settings.tls, "spa": emu.settings.spa, "tus": emu.settings.tus})


class HeadersMiddleware:
    """Headers the real server puts on every answer (and ``Tus-Resumable`` on the upload routes)."""

    def __init__(self, app: ASGIApp, tus: bool) -> None:
        self.app, self.tus = app, tus

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tus = self.tus and scope["path"].startswith("/api/uploads")

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"cross-origin-embedder-policy", b"credentialless"),
                            (b"cross-origin-opener-policy", b"same-origin")]
                if tus:
                    headers.append((b"tus-resumable", b"1.0.0"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add_headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    return detail_response(status, {404: "Not Found", 405: "Method Not Allowed"}.get(status, str(exc)))


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    anyio.to_thread.current_default_thread_limiter().total_tokens = 96
    yield


def _injected(status: int) -> dict[str, Any]:
    return {"detail": f"Injected HTTP {status} (sc_emulator test knob)."}


def build_app(settings: Geti3Settings) -> Any:
    """The ASGI application: faults (outermost) → headers → routes. No authentication layer."""
    emulator = Geti3Emulator(settings)
    admin = [Route(ADMIN_PREFIX + "/info", _admin_info, methods=["GET"])]
    admin += [r for r in api_admin.ROUTES if r.path != ADMIN_PREFIX + "/info"]  # knobs, faults, counters, reset
    api = (api_projects.ROUTES + api_media.ROUTES + api_annotations.ROUTES + api_views.ROUTES
           + api_training.ROUTES + (api_uploads.ROUTES if settings.tus else []))
    health = Route("/health", lambda request: json_response({"status": "ok"}), methods=["GET"], name="health")
    served = [health] + api
    document = _openapi(served, settings.version)
    openapi = Route("/api/openapi.json", lambda request: json_response(document), methods=["GET"], name="openapi")
    docs = Route("/api/docs", lambda request: HTMLResponse(UI_PAGE.replace("Geti<", "Geti API<")), methods=["GET"])
    routes = admin + [openapi, docs] + served
    if settings.spa:
        routes.append(Route("/{path:path}", lambda request: HTMLResponse(UI_PAGE), methods=["GET"], name="ui"))
    app = Starlette(routes=[shared_web.RouteIndex(routes)], lifespan=_lifespan,
                    exception_handlers={HTTPException: _http_error})
    app.state.emulator = emulator
    stack: Any = HeadersMiddleware(app, settings.tus)
    stack = FaultMiddleware(stack, emulator.book, app.router, error_body=_injected)
    stack.emulator = emulator
    return stack
