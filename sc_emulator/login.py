"""The browser login of clusters before Geti 1.14 (docs/rest-api.md §3.1, §3.2): oauth2-proxy in front of Dex.

``GET /user/login`` (or any page without a session, ``/`` included) → ``/oauth2/start`` (sets
``_oauth2_proxy_csrf``) → ``/dex/auth`` → ``/dex/auth/<connector>`` → ``/dex/auth/<connector>/login`` (the HTML
form, as Dex serves a password connector) → ``POST`` to that same URL with form fields ``login`` and
``password`` → 303 ``/dex/approval`` → 302 ``/oauth2/callback`` → the session cookie ``_oauth2_proxy``, and 302
back to the page first asked for. geti-sdk 1.x logs in exactly so: ``GET /``, 302s followed by hand, the
form posted to the URL where they ended. Geti 1.0–1.13 also swap a
personal access token for a bearer token at ``POST {api}/service_accounts/access_token``. Sessions and bearer
tokens live in memory and expire after the ``session_ttl`` knob; ``POST /_emulator/sessions/expire`` ends them
all at once (a client's "logged out mid-run"). The password is compared, never logged or echoed.
"""

from __future__ import annotations

import hmac
import html
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

SESSION_COOKIE = "_oauth2_proxy"
CSRF_COOKIE = "_oauth2_proxy_csrf"
PASSWORD_FILE = "password.txt"
_STEP_TTL = 600.0  # seconds a half-finished login (request id, code) stays usable


def load_or_create_password(data_dir: Path, password_file: Path | None) -> str:
    """The login password: read from ``password_file`` (or ``D/password.txt``), else generated there (0600)."""
    path = password_file or data_dir / PASSWORD_FILE
    if path.exists():
        password = path.read_text().strip()
        if not password:
            raise SystemExit(f"{path}: the password file is empty")
        return password
    password = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password


class Sessions:
    """Session cookies and bearer tokens with their expiry, plus the short-lived steps of a login."""

    def __init__(self, ttl: Any) -> None:
        self._ttl = ttl  # a callable: the knob may change while the server runs
        self._lock = threading.Lock()
        self._live: dict[str, float] = {}
        self._steps: dict[str, tuple[str, float]] = {}

    def issue(self) -> str:
        value = secrets.token_urlsafe(32)
        with self._lock:
            self._live[value] = time.monotonic() + float(self._ttl())
        return value

    def valid(self, value: str | None) -> bool:
        if not value:
            return False
        with self._lock:
            expiry = self._live.get(value)
            if expiry is None:
                return False
            if expiry < time.monotonic():
                del self._live[value]
                return False
            return True

    def end(self, value: str | None) -> None:
        with self._lock:
            self._live.pop(value or "", None)

    def expire_all(self) -> int:
        with self._lock:
            count = len(self._live)
            self._live.clear()
            self._steps.clear()
            return count

    def put_step(self, payload: str) -> str:
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._steps[key] = (payload, time.monotonic() + _STEP_TTL)
        return key

    def take_step(self, key: str | None) -> str | None:
        with self._lock:
            payload, expiry = self._steps.pop(key or "", ("", 0.0))
        return payload if expiry >= time.monotonic() else None


def _local(target: str | None) -> str:
    """Only same-site paths as redirect targets (``//host`` would leave the site)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


async def user_login(request: Request) -> Response:
    return RedirectResponse("/oauth2/start?" + urlencode({"rd": _local(request.query_params.get("rd"))}), 302)


async def oauth2_start(request: Request) -> Response:
    csrf = secrets.token_urlsafe(16)
    state = f"{csrf}:{_local(request.query_params.get('rd'))}"
    query = urlencode({"client_id": "oauth2-proxy", "redirect_uri": "/oauth2/callback", "response_type": "code",
                       "scope": "openid profile email groups", "state": state})
    response = RedirectResponse("/dex/auth?" + query, 302)
    _set_cookie(request, response, CSRF_COOKIE, csrf, max_age=900)
    return response


async def dex_auth(request: Request) -> Response:
    # One connector only: Dex skips its chooser page and goes straight to the connector.
    connector = request.app.state.emulator.dialect.connector
    return RedirectResponse(f"/dex/auth/{connector}?{request.url.query}", 302)


async def dex_connector(request: Request) -> Response:
    # A password connector: Dex sends the browser on to its login page, which takes the POST as well.
    connector = request.app.state.emulator.dialect.connector
    return RedirectResponse(f"/dex/auth/{connector}/login?{request.url.query}", 302)


def login_form(request: Request, error: str = "", status: int = 200) -> HTMLResponse:
    """The Dex password form (also answered, with the error, after a wrong password); it posts to its own URL."""
    connector = request.app.state.emulator.dialect.connector
    action = html.escape(f"/dex/auth/{connector}/login?{request.url.query}", quote=True)
    notice = f'<div id="login-error" class="dex-error-box">{html.escape(error)}</div>' if error else ""
    page = (f"<!DOCTYPE html><html><head><title>Log in to SC</title></head><body><h2>Log in to Your Account</h2>"
            f'{notice}<form method="post" action="{action}">'
            '<label for="login">Email Address</label><input id="login" name="login" type="text" required>'
            '<label for="password">Password</label><input id="password" name="password" type="password" required>'
            '<button type="submit" id="submit-login">Login</button></form></body></html>')
    return HTMLResponse(page, status)


async def dex_login(request: Request) -> Response:
    if request.method == "GET":
        return login_form(request)
    emu = request.app.state.emulator
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    login = (fields.get("login") or [""])[0]
    password = (fields.get("password") or [""])[0]
    user_ok = hmac.compare_digest(login.encode(), emu.settings.user.encode())
    password_ok = hmac.compare_digest(password.encode(), emu.password.encode())
    if not (user_ok and password_ok):
        return login_form(request, "Invalid Email Address and password.")
    state = request.query_params.get("state", "")
    request_id = emu.sessions.put_step(state)
    return RedirectResponse("/dex/approval?" + urlencode({"req": request_id}), 303)


async def dex_approval(request: Request) -> Response:
    emu = request.app.state.emulator
    state = emu.sessions.take_step(request.query_params.get("req"))
    if state is None:
        return HTMLResponse("<html><body>Login session expired or unknown; start again.</body></html>", 400)
    code = emu.sessions.put_step(state)
    return RedirectResponse("/oauth2/callback?" + urlencode({"code": code, "state": state}), 302)


async def oauth2_callback(request: Request) -> Response:
    emu = request.app.state.emulator
    state = emu.sessions.take_step(request.query_params.get("code"))
    csrf, _, target = (state or "").partition(":")
    if state is None or state != request.query_params.get("state") or not hmac.compare_digest(
            csrf.encode(), (request.cookies.get(CSRF_COOKIE) or "").encode()):
        return HTMLResponse("<html><body>403 Forbidden: unable to find a valid CSRF token. Please try again."
                            "</body></html>", 403)
    response = RedirectResponse(_local(target), 302)
    _set_cookie(request, response, SESSION_COOKIE, emu.sessions.issue())
    return response


async def sign_out(request: Request) -> Response:
    request.app.state.emulator.sessions.end(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/", 302)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def home(request: Request) -> Response:
    return HTMLResponse("<!DOCTYPE html><html><head><title>SC</title></head><body>sc_emulator</body></html>")


async def access_token(request: Request) -> Response:
    """The PAT swap of Geti 1.0–1.13: ``{"service_id": <token>}`` → ``{"access_token"}``."""
    emu = request.app.state.emulator
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        body = None
    service_id = body.get("service_id") if isinstance(body, dict) else None
    if not isinstance(service_id, str) or not hmac.compare_digest(service_id.encode(), emu.token.encode()):
        return PlainTextResponse("Invalid service id", 401)
    return Response(json.dumps({"access_token": emu.sessions.issue()}), media_type="application/json")


def public_paths(dialect: Any) -> tuple[str, ...]:
    """API paths reachable without a session (product_info, the PAT swap)."""
    paths = [dialect.api + "/product_info", dialect.api + "/health"]
    if dialect.map_path("/deployment-config.json"):  # the web UI's config, where the era had one
        paths.append("/deployment-config.json")
    if dialect.pat_swap:
        paths.append(dialect.api + "/service_accounts/access_token")
    return tuple(paths)


#: what oauth2-proxy lets through without a session: the login pages themselves (its own and Dex's)
LOGIN_PAGES = ("/user/login", "/oauth2/", "/dex/")


def login_routes(dialect: Any) -> list[Route]:
    """The login pages of a dialect with browser login (none for the others)."""
    if not dialect.login:
        return []
    connector = quote(dialect.connector)
    routes = [
        Route("/", home, methods=["GET"]),
        Route("/user/login", user_login, methods=["GET"]),
        Route("/oauth2/start", oauth2_start, methods=["GET"]),
        Route("/oauth2/callback", oauth2_callback, methods=["GET"]),
        Route("/oauth2/sign_out", sign_out, methods=["GET", "POST"]),
        Route("/dex/auth", dex_auth, methods=["GET"]),
        Route(f"/dex/auth/{connector}", dex_connector, methods=["GET"]),
        Route(f"/dex/auth/{connector}/login", dex_login, methods=["GET", "POST"]),
        Route("/dex/approval", dex_approval, methods=["GET"]),
    ]
    if dialect.pat_swap:
        routes.append(Route(dialect.api + "/service_accounts/access_token", access_token, methods=["POST"]))
    return routes
