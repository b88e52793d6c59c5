"""Logins for clusters that do not take the token as ``x-api-key``: the PAT swap and the browser login.

Geti 1.0 – 1.13 trade a personal access token for a bearer token (``POST service_accounts/access_token``);
SC 1.x has no tokens at all, so a user name and password go through oauth2-proxy and the Dex form as a
browser's would, and the session cookies it sets carry every later request. Both end: :class:`ClusterHttp`
calls :meth:`reauthenticate` when an answer says the session is gone (401, a redirect into the login) and
repeats that request once. Secrets are registered with the session's mask, never put in a message.
"""

from __future__ import annotations

import html
import re
import threading
from typing import TYPE_CHECKING, Any

import requests

from scmigrate.errors import InputError

from .http import HttpError

if TYPE_CHECKING:
    from .http import ClusterHttp

__all__ = ["PatSwap", "BrowserLogin", "SESSION_COOKIE"]

SESSION_COOKIE = "_oauth2_proxy"
_FORM_ACTION = re.compile(r"<form[^>]*\baction=\"([^\"]+)\"", re.IGNORECASE)


class _Login:
    """A credential that is turned into a session; one login at a time however many workers hit 401."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0

    def login(self, http: ClusterHttp) -> None:
        raise NotImplementedError

    def reauthenticate(self, http: ClusterHttp, seen: int) -> None:
        """Log in again, unless another worker already did since generation ``seen``."""
        with self._lock:
            if self._generation == seen:
                self.login(http)

    @property
    def generation(self) -> int:
        return self._generation

    def _done(self) -> None:
        self._generation += 1


class PatSwap(_Login):
    """Geti 1.0 – 1.13: the personal access token buys a bearer token."""

    path = "/api/v1/service_accounts/access_token"

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def login(self, http: ClusterHttp) -> None:
        http.session.headers.pop("x-api-key", None)
        http.session.headers.pop("Authorization", None)
        try:
            doc = http.send_json("POST", self.path, {"service_id": self._token}, retries=2, reauth=False)
        except HttpError as exc:
            if exc.status in (401, 403):
                raise InputError(f"{http.label}: the cluster refused the access token (HTTP {exc.status} on "
                                 "the token swap)") from None
            raise
        bearer = doc.get("access_token") if isinstance(doc, dict) else None
        if not bearer:
            raise InputError(f"{http.label}: the token swap answered no access_token")
        http.add_secret(str(bearer))
        http.session.headers["Authorization"] = f"Bearer {bearer}"
        self._done()


class BrowserLogin(_Login):
    """SC 1.x (and Geti 1.x without a token): oauth2-proxy, then the Dex password form, then cookies."""

    def __init__(self, username: str, password: str) -> None:
        super().__init__()
        self.username = username
        self._password = password

    #: a login that other workers' requests disturb (each one sent to ``/oauth2/start`` gets a new CSRF
    #: cookie in the shared jar, and the callback then refuses ours) is started again this many times
    attempts = 3

    def login(self, http: ClusterHttp) -> None:
        http.add_secret(self._password)
        http.session.headers.pop("x-api-key", None)
        for attempt in range(self.attempts):
            try:
                self._flow(http)
                break
            except HttpError as exc:
                if exc.status not in (400, 403) or attempt + 1 == self.attempts:
                    raise InputError(f"{http.label}: the login of user {self.username!r} failed "
                                     f"(HTTP {exc.status} in the oauth2-proxy/Dex flow)") from None
        self._done()

    def _flow(self, http: ClusterHttp) -> None:
        http.session.cookies.clear()
        # GET /user/login follows oauth2-proxy and Dex to the password form
        form = http.request("GET", "/user/login", retries=2, reauth=False)
        assert isinstance(form, requests.Response)
        match = _FORM_ACTION.search(form.text if "html" in form.headers.get("Content-Type", "") else "")
        if not match:
            raise InputError(f"{http.label}: GET /user/login led to no login form; is this an SC 1.x cluster?")
        action = html.unescape(match.group(1))
        fields = {"login": self.username, "password": self._password}
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        # the form answers 303 to the approval, then the callback sets the session cookie
        http.request("POST", action, body=lambda: fields, headers=headers, retries=2, reauth=False)
        if not any(c.name == SESSION_COOKIE for c in http.session.cookies):
            raise InputError(f"{http.label}: the cluster refused the login of user {self.username!r} "
                             "(wrong user name or password)")


def login_for(http: ClusterHttp, dialect: Any, token: str | None, username: str | None,
              password: str | None) -> Any:
    """The login a dialect needs with the credentials given, performed; None for ``x-api-key``."""
    login: _Login | None = None
    if username and password is not None and getattr(dialect, "auth", "") in ("pat-swap", "browser"):
        login = BrowserLogin(username, password)
    elif getattr(dialect, "auth", "") == "pat-swap" and token:
        login = PatSwap(token)
    elif getattr(dialect, "auth", "") == "browser":
        raise InputError(f"{http.label}: this cluster ({dialect.name}) has no access tokens: give a user name "
                         "and password (`scmigrate clusters add NAME --url URL --username USER --password-stdin`)")
    elif not token:
        raise InputError(f"{http.label}: this cluster ({dialect.name}) needs an access token, not a password")
    if login is not None:
        login.login(http)
        http.auth = login
    return login
