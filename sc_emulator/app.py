"""Assembly of one emulated cluster: its identity, its store, the routes and the middleware stack."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from . import (
    api_admin,
    api_algorithms,
    api_annotations,
    api_config,
    api_discovery,
    api_media,
    api_media_query,
    api_models,
    api_projects,
)
from .auth import AuthMiddleware
from .dialects import CURRENT, get_dialect, parse_version, route_table
from .errors import json_response
from .faults import FaultBook, FaultMiddleware, Knobs
from .ids import new_token, new_uuid, now_iso, object_id, token_well_formed
from .legacy import DoubleSlashMiddleware, legacy_routes
from .login import PASSWORD_FILE, Sessions, load_or_create_password, login_routes
from .store import Store
from .web import RouteIndex

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
    version: str | None = None  # None: the dialect's default version
    csrf: str = "lenient"
    knobs: Knobs = field(default_factory=Knobs)
    dialect: str = CURRENT
    user: str = "admin"
    password_file: Path | None = None


class Emulator:
    """The cluster's identity and state, shared by all endpoints (``request.app.state.emulator``)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dialect = get_dialect(settings.dialect)
        self.store = Store(settings.data_dir)
        self.org_id = self.dialect.fixed_org or self._meta_default("organization_id", new_uuid)
        # SC 1.x used ObjectIds for workspaces too; the id is chosen once, when the data dir is new.
        self.workspace_id = self._meta_default("workspace_id", object_id if self.dialect.name == "sc1" else new_uuid)
        self.user_id = self._meta_default("user_id", new_uuid)
        self.created = self._meta_default("created", now_iso)
        self.token = load_or_create_token(Path(settings.data_dir), settings.token_file)
        self.password = (load_or_create_password(Path(settings.data_dir), settings.password_file)
                         if self.dialect.login else "")
        self.knobs = settings.knobs
        self.book = FaultBook(self.knobs)
        self.sessions = Sessions(lambda: self.knobs.session_ttl)
        self.version = settings.version or self.dialect.default_version

    def at_least(self, version: str) -> bool:
        """Whether the reported product version is ``version`` or later (fields that arrived mid-dialect)."""
        return parse_version(self.version) >= parse_version(version)

    def workspace_prefix(self) -> str:
        """``{W}`` in this cluster's dialect, for URLs in responses."""
        return self.dialect.workspace_prefix(self.org_id, self.workspace_id)

    def banner(self) -> list[str]:
        """Start-up lines after the URL (never the token itself)."""
        lines = [f"organization_id: {self.org_id}", f"workspace_id: {self.workspace_id}",
                 f"token file: {self.settings.token_file or Path(self.settings.data_dir) / TOKEN_FILE}"]
        if self.dialect.login:
            password_file = self.settings.password_file or Path(self.settings.data_dir) / PASSWORD_FILE
            lines.append(f"login: {self.settings.user} (password file: {password_file})")
        return [*lines, f"dialect: {self.dialect.name}"]

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
    # Offloaded endpoints and upload batches run in the thread pool (sc_emulator.web); size it for the
    # 64+ concurrent keep-alive clients we promise.
    anyio.to_thread.current_default_thread_limiter().total_tokens = 96
    yield


def create_app(settings: Settings) -> Any:
    """The ASGI application of ``settings.dialect``: faults (outermost) → auth → routes.

    The one place where the dialect picks the routes: the current ones rewritten into the dialect's
    paths (``dialects.route_table``), behind the dialect's own login and listing routes."""
    emulator = Emulator(settings)
    canonical = (api_admin.ROUTES + api_algorithms.ROUTES + api_discovery.ROUTES + api_projects.ROUTES
                 + api_media.ROUTES + api_media_query.ROUTES + api_annotations.ROUTES + api_config.ROUTES
                 + api_models.ROUTES + api_models.ADMIN_ROUTES)
    own = login_routes(emulator.dialect) + legacy_routes(emulator.dialect)
    routes = route_table(emulator.dialect, canonical, own)
    app = Starlette(routes=[RouteIndex(routes)], lifespan=_lifespan,
                    exception_handlers={404: _not_found, HTTPException: _http_error})
    app.state.emulator = emulator
    stack: Any = AuthMiddleware(app, emulator)
    stack = FaultMiddleware(stack, emulator.book, app.router)
    if emulator.dialect.name == "sc1":
        stack = DoubleSlashMiddleware(stack)
    stack.emulator = emulator  # for the server runner's banner
    return stack
