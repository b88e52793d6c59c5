"""The auth proxy in front of the services: personal access tokens, cookies and the CSRF header.

Order as the real proxy: ``Authorization`` first, then ``x-api-key``, then the ``geti-cookie`` cookie
(parsed leniently: official clients send valueless cookie names next to it). Failures answer 401 with a
plain-text body, not JSON. The CSRF header is enforced only in ``strict`` mode.
"""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from .faults import ADMIN_PREFIX

PUBLIC_PATHS = ("/api/v1/product_info", "/deployment-config.json", "/api/v1/health")
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
    """Rejects requests without the cluster's token (admin routes included)."""

    def __init__(self, app: ASGIApp, token: str, csrf: str = "lenient") -> None:
        self.app, self.token, self.csrf = app, token, csrf

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        tokens = presented_tokens(headers)
        if not tokens:
            await _plain(send, 401, "Missing authorization token")
            return
        if not any(hmac.compare_digest(t.encode(), self.token.encode()) for t in tokens):
            await _plain(send, 401, "Invalid authorization token")
            return
        if (self.csrf == "strict" and scope["method"] in MUTATING and not scope["path"].startswith(ADMIN_PREFIX)
                and headers.get("x-geti-csrf-protection") != "1"):
            await _plain(send, 403, "CSRF protection header x-geti-csrf-protection: 1 is required")
            return
        await self.app(scope, receive, send)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
