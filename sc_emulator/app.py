"""Assembly of one emulated cluster: its identity, its store, the routes and the middleware stack."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

import anyio.to_thread

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import (api_admin, api_annotations, api_config, api_discovery, api_media, api_media_query, api_models,
               api_projects)
from .auth import AuthMiddleware
from .errors import json_response
from .faults import FaultBook, FaultMiddleware, Knobs
from .ids import new_token, new_uuid, now_iso, token_well_formed
from .store import Store

TOKEN_FILE = "token.txt"


@dataclass
class Settings:
    """Everything ``sc-emulator serve`` accepts."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    token_file: Path | None = None
    url_file: Path | None = None
    version: str = "2.13.0"
    csrf: str = "lenient"
    knobs: Knobs = field(default_factory=Knobs)


class Emulator:
    """The cluster's identity and state, shared by all endpoints (``request.app.state.emulator``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.data_dir)
        self.org_id = self._meta_default("organization_id", new_uuid)
        self.workspace_id = self._meta_default("workspace_id", new_uuid)
        self.user_id = self._meta_default("user_id", new_uuid)
        self.created = self._meta_default("created", now_iso)
        self.token = load_or_create_token(Path(settings.data_dir), settings.token_file)
        self.knobs = settings.knobs
        self.book = FaultBook(self.knobs)
        self.version = settings.version

    def banner(self) -> list[str]:
        """Start-up lines after the URL (never the token itself)."""
        return [f"organization_id: {self.org_id}", f"workspace_id: {self.workspace_id}",
                f"token file: {self.settings.token_file or Path(self.settings.data_dir) / TOKEN_FILE}"]

    def _meta_default(self, key: str, make: Any) -> str:
        value = self.store.meta(key)
        if value is None:
            value = make()
            self.store.set_meta(key, value)
        return value


def load_or_create_token(data_dir: Path, token_file: Path | None) -> str:
    """The cluster's personal access token: read from ``token_file`` if it holds one, otherwise the one
    stored in the data dir, otherwise a new one (written to both places, mode 0600)."""
    candidates = [p for p in (token_file, data_dir / TOKEN_FILE) if p is not None]
    for path in candidates:
        if path.exists():
            token = path.read_text().strip()
            if not token_well_formed(token):
                raise SystemExit(f"{path}: not a personal access token in the geti_pat_<43>_<6> format")
            break
    else:
        token = new_token()
    for path in candidates:
        if not path.exists() or path.read_text().strip() != token:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(token + "\n")
    return token


async def _not_found(request: Request, exc: Exception) -> Response:
    return json_response({"endpoint_not_found_response": f"The endpoint {request.method} "
                          f"{request.url.path} does not exist."}, 404)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 405:
        return json_response({"http_status": 405, "error_code": "method_not_allowed",
                              "message": f"Method {request.method} is not allowed for {request.url.path}."}, 405)
    return json_response({"http_status": status, "error_code": "bad_request",
                          "message": str(getattr(exc, "detail", exc))}, status)


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    # Endpoints run in the thread pool; size it for the 64+ concurrent keep-alive clients we promise.
    anyio.to_thread.current_default_thread_limiter().total_tokens = 96
    yield


def create_app(settings: Settings) -> Any:
    """The ASGI application: faults (outermost) → auth → routes."""
    emulator = Emulator(settings)
    routes = (api_admin.ROUTES + api_discovery.ROUTES + api_projects.ROUTES + api_media.ROUTES + api_media_query.ROUTES
              + api_annotations.ROUTES + api_config.ROUTES + api_models.ROUTES + api_models.ADMIN_ROUTES)
    app = Starlette(routes=routes, lifespan=_lifespan, exception_handlers={404: _not_found, HTTPException: _http_error})
    app.state.emulator = emulator
    stack: Any = AuthMiddleware(app, emulator.token, settings.csrf)
    stack = FaultMiddleware(stack, emulator.book, app.router)
    stack.emulator = emulator  # for the server runner's banner
    return stack
