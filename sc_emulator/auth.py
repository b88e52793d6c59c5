"""The auth proxy in front of the services: personal access tokens, cookies and the CSRF header.

Order as the real proxy: ``Authorization`` first, then ``x-api-key``, then the ``geti-cookie`` cookie
(parsed leniently: official clients send valueless cookie names next to it). Failures answer 401 with a
plain-text body, not JSON. The CSRF header is enforced only in ``strict`` mode.

Dialects with the browser login (``sc1``, ``geti1.0``, ``geti1.9``) accept the ``_oauth2_proxy`` session
cookie and the bearer tokens of the PAT swap instead of the token itself; a request without any credential is
sent to ``/oauth2/start`` as oauth2-proxy does, for the web UI's pages as for the API: only the login pages
themselves and the public API paths are open.
The admin routes always take the cluster's token.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode

from starlette.types import ASGIApp, Receive, Scope, Send

from .faults import ADMIN_PREFIX
from .login import LOGIN_PAGES, SESSION_COOKIE, public_paths

MUTATING = ("POST", "PUT", "PATCH", "DELETE")


def _cookie(header: str, name: str) -> str | None:
    for piece in header.split(";"):
        key, sep, value = piece.strip().partition("=")
        if sep and key == name:
            return value.strip().strip('"')
    return None


def presented_tokens(headers: dict[str, str]) -> list[str]:
    """Every credential the request carries, in the proxy's order of preference."""
    found = []
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        found.append(auth[7:].strip())
    if headers.get("x-api-key"):
        found.append(headers["x-api-key"].strip())
    cookie = _cookie(headers.get("cookie", ""), "geti-cookie")
    if cookie:
        found.append(cookie)
    return found


class AuthMiddleware:
    """Rejects requests without the credentials of the cluster's dialect (admin routes: the token)."""

    def __init__(self, app: ASGIApp, emulator: Any) -> None:
        self.app, self.emu = app, emulator
        self.token, self.csrf, self.dialect = emulator.token, emulator.settings.csrf, emulator.dialect
        self.public = public_paths(self.dialect)

    def _guarded(self, path: str) -> bool:
        if path in self.public:
            return False
        if path.startswith(ADMIN_PREFIX) or not self.dialect.login:
            return True
        if path.startswith("/api/"):  # another era's API prefix is no route at all (404), as observed
            return path.startswith(self.dialect.api + "/")
        return not path.startswith(LOGIN_PAGES)  # oauth2-proxy guards the web UI (``/``) as well

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._guarded(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        tokens = presented_tokens(headers)
        if self.dialect.api_key or scope["path"].startswith(ADMIN_PREFIX):
            if not tokens:
                await _plain(send, 401, "Missing authorization token")
                return
            if not any(hmac.compare_digest(t.encode(), self.token.encode()) for t in tokens):
                await _plain(send, 401, "Invalid authorization token")
                return
        elif not self._session_ok(headers, tokens):
            if tokens:
                await _plain(send, 401, "Invalid authorization token")
            else:
                await _to_login(send, scope)
            return
        if (self.csrf == "strict" and scope["method"] in MUTATING and not scope["path"].startswith(ADMIN_PREFIX)
                and headers.get("x-geti-csrf-protection") != "1"):
            await _plain(send, 403, "CSRF protection header x-geti-csrf-protection: 1 is required")
            return
        await self.app(scope, receive, send)


    def _session_ok(self, headers: dict[str, str], tokens: list[str]) -> bool:
        sessions = self.emu.sessions
        if sessions.valid(_cookie(headers.get("cookie", ""), SESSION_COOKIE)):
            return True
        bearer = headers.get("authorization", "")
        return self.dialect.pat_swap and bearer.lower().startswith("bearer ") and sessions.valid(bearer[7:].strip())


async def _to_login(send: Send, scope: Scope) -> None:
    """What oauth2-proxy answers a request without a session: a redirect into the login."""
    target = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope.get("query_string") else "")
    location = "/oauth2/start?" + urlencode({"rd": target})
    await send({"type": "http.response.start", "status": 302,
                "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0"),
                            (b"content-type", b"text/html; charset=utf-8")]})
    await send({"type": "http.response.body", "body": b""})


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
