"""The HTTP session every cluster request goes through: pooling, timeouts, retries, TLS, auth.

One ``requests.Session`` whose keep-alive pool holds as many connections as the concurrency limit
can reach (:mod:`.limiter`). Every request carries a connect and a read
timeout. Connection errors, 429, 500, 502, 503 and 504 are retried with exponential backoff and
full jitter, honouring ``Retry-After``, up to ``--low-level-retries`` times, and counted.
A request that is not safe to repeat (an upload, a POST that creates) whose outcome is unknown is
not blindly sent again: the caller's ``on_unknown`` check looks on the cluster first. Unknown is
every answer that does not prove the request was turned away before the work: a dropped
connection or a read timeout after the body was sent, any 5xx (retried or not) and a 429 (a
gateway or a proxy in front of the service may answer either after the service stored it).

TLS: the session's ``trust_env`` is off because, with it on, requests silently replaces the
``verify`` we choose by ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` (psf/requests#3829), which
would make ``--ca-bundle`` a no-op on machines that set them. We pass ``verify=`` with every
request and take proxies from the environment ourselves.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
import requests.utils

from scmigrate.errors import InputError, PluginError

from . import prepared
from .limiter import AUTO_MAXIMUM, AUTO_START, AdaptiveLimiter, HttpStats

__all__ = ["ClusterHttp", "HttpError", "ClusterUnreachable", "Recovered", "RETRY_STATUSES"]

log = logging.getLogger("scmigrate.cluster")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_BACKOFF_BASE = 0.2
_BACKOFF_CAP = 8.0
_RETRY_AFTER_CAP = 30.0


def _unknown_outcome(status: int) -> bool:
    """Whether a request answered ``status`` may or may not have been processed (see the module docstring)."""
    return status >= 500 or status == 429


class HttpError(PluginError):
    """The cluster answered an error that retrying will not fix; the text names the request."""

    def __init__(self, message: str, status: int, error_code: str = "", body: Any = None, html: bool = False):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.body = body
        self.html = html  # the answer was a web page, not the API's JSON


class ClusterUnreachable(PluginError):
    """The cluster could not be reached after every retry; ``reason`` says how, in words."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class Recovered:
    """An upload with an unknown outcome that the check found on the cluster: ``value`` is what it found."""

    value: Any


def _not_sent(exc: Exception) -> bool:
    """True when the request never reached the server (safe to send again)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    text = repr(exc)
    return any(s in text for s in ("NewConnectionError", "Connection refused", "NameResolutionError"))


def _why(exc: Exception) -> str:
    """What went wrong with the connection, in words (requests' texts repeat the whole URL)."""
    text = repr(exc)
    for needle, words in (("Connection refused", "connection refused"), ("NameResolutionError", "unknown host"),
                          ("Connection reset", "connection reset"), ("RemoteDisconnected", "connection closed"),
                          ("IncompleteRead", "answer cut short")):
        if needle in text:
            return words
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    return type(exc).__name__


def _short(path: str) -> str:
    """A path without the organisation/workspace prefix, for messages people read."""
    return re.sub(r"^/api/v1/organizations/[^/]+/workspaces/[^/]+", "…", path)


def _session_lost(resp: requests.Response) -> bool:
    """The answer says the login is gone: 401, or oauth2-proxy sent the request into the login pages."""
    if resp.status_code == 401:
        return True
    if any("/oauth2/start" in step.headers.get("Location", "") for step in [*resp.history, resp]):
        return True
    path = resp.url.split("://", 1)[-1].partition("/")[2]
    return path.startswith(("dex/", "oauth2/")) and "html" in resp.headers.get("Content-Type", "")


def _retry_after(resp: requests.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class ClusterHttp:
    """Requests to one cluster, relative to its base URL (``https://host``)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        verify: bool | str = True,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retries: int = 10,
        workers: int | None = 8,
        label: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.label = label or self.base_url
        self.verify = verify
        self.timeout = (connect_timeout, timeout)
        self.retries = max(0, int(retries))
        #: set when a request gave up because the cluster could not be reached: later connection
        #: failures are not retried until an answer arrives, so a cluster that went away fails the
        #: remaining items in seconds, not after the full backoff for each of them
        self.down = False
        self._token = token
        self._secrets: list[str] = [token] if token else []
        #: the login of a cluster without ``x-api-key`` (``logins.py``); asked to log in again when an
        #: answer says the session ended, after which the request is sent once more
        self.auth: Any = None
        self.stats = HttpStats()
        # workers=None: an automatic limit from AUTO_START up to AUTO_MAXIMUM; N: fixed at N
        if workers is None:
            self.limiter = AdaptiveLimiter(AUTO_MAXIMUM, start=AUTO_START)
        else:
            self.limiter = AdaptiveLimiter(max(1, workers))
        if verify is False:
            # the user asked for --insecure and was warned once; urllib3 would repeat it on every request
            import warnings

            import urllib3

            warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
        self.session = requests.Session()
        self.session.trust_env = False  # see the module docstring
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        # every permit the limiter can grant needs its own kept-alive connection, plus a few for the
        # requests that run outside the workers (listing pages, the reader thread's size hint)
        pool = self.limiter.maximum + 4
        adapter = prepared.PoolAdapter(pool_connections=4, pool_maxsize=pool, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update(
            {"x-geti-csrf-protection": "1", "User-Agent": "scmigrate-cluster/0.1"}
        )
        if token:
            self.session.headers["x-api-key"] = token

    # ------------------------------------------------------------------ helpers

    def mask(self, text: str) -> str:
        """``text`` with the token (and any password or session token) replaced, for foreign text."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def add_secret(self, secret: str) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def close(self) -> None:
        # --debug shows what the connection did, the concurrency it settled on included
        log.debug("%s: %s", self.label, self.stats.to_dict(self.limiter))
        self.session.close()

    # ------------------------------------------------------------------ requests

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        body: Callable[[], Any] | None = None,
        headers: dict[str, str] | None = None,
        stream: bool = False,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        retries: int | None = None,
        idempotent: bool = True,
        on_unknown: Callable[[], Any] | None = None,
        reauth: bool = True,
    ) -> requests.Response | Recovered:
        """Send one request with retries; return the response (status in ``ok``) or raise.

        ``body`` is a factory so that a retry sends a fresh stream. For ``idempotent=False``
        requests an unknown outcome calls ``on_unknown()``: a non-None result is returned as
        :class:`Recovered` and the request is not sent again.
        """
        url = self.url(path)
        limit = self.retries if retries is None else retries
        attempt = 0
        relogin = reauth and self.auth is not None  # one new login per request, not a loop
        while True:
            generation = self.auth.generation if relogin else 0
            data = body() if body is not None else None
            resp: requests.Response | None = None
            unknown = False
            started = self.limiter.acquire()
            status = 0  # no answer, unless one arrives
            try:
                self.stats.add("requests")
                try:
                    resp = prepared.send(self.session, method, url, params=params, json=json, data=data,
                                         headers=headers, timeout=self.timeout, verify=self.verify, stream=stream)
                except requests.exceptions.SSLError as exc:
                    raise self._tls_error(exc) from None
                except (
                    requests.exceptions.ConnectionError,
                    requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                ) as exc:
                    reason = "timeout" if isinstance(exc, requests.exceptions.Timeout) else "connection"
                    unknown = not _not_sent(exc)
                    failure: Exception = exc
                finally:
                    close = getattr(data, "close", None)
                    if close is not None:
                        close()
                if resp is not None:
                    status = resp.status_code
            finally:
                self.limiter.release(started, status)
            if resp is not None:
                self.down = False
                if relogin and _session_lost(resp):
                    relogin = False
                    resp.close()
                    self.stats.retry("login")  # the report counts it with the other retries
                    log.info("%s: the login session ended; logging in again", self.label)
                    self.auth.reauthenticate(self, generation)
                    continue
                if resp.status_code in ok:
                    return resp
                if resp.status_code not in RETRY_STATUSES:
                    error = self.error_for(method, path, resp)
                    resp.close()
                    found = self._look(on_unknown) if not idempotent and _unknown_outcome(resp.status_code) else None
                    if found is not None:
                        return found
                    raise error
                reason = str(resp.status_code)
                unknown = _unknown_outcome(resp.status_code)
                failure = self.error_for(method, path, resp)
                wait_hint = _retry_after(resp)
                resp.close()
            else:
                wait_hint = None
            check = not idempotent and unknown
            last = attempt >= limit or (self.down and resp is None)
            if not last:
                backoff = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))
                # waited before the check too: a gateway that timed out (504) may still be storing the upload
                time.sleep(max(backoff, min(wait_hint, _RETRY_AFTER_CAP)) if wait_hint is not None else backoff)
            if check:
                recovered = self._look(on_unknown)
                if recovered is not None:
                    return recovered
            if last:
                if isinstance(failure, HttpError):
                    raise failure
                if self.down and attempt < limit:
                    raise ClusterUnreachable(
                        f"{self.label}: {method} {_short(path)}: the cluster stopped answering ({_why(failure)})",
                        _why(failure),
                    )
                self.down = True
                raise ClusterUnreachable(
                    f"{self.label}: {method} {_short(path)} failed after {attempt + 1} attempts: {_why(failure)}",
                    _why(failure),
                )
            self.stats.retry(reason)
            attempt += 1

    def _look(self, on_unknown: Callable[[], Any] | None) -> Recovered | None:
        """After an unknown outcome: what the caller's check found on the cluster, counted."""
        self.stats.add("unknown_outcomes")
        found = on_unknown() if on_unknown is not None else None
        if found is None:
            return None
        self.stats.add("recovered")
        return Recovered(found)

    def get_json(self, path: str, **kw: Any) -> Any:
        resp = self.request("GET", path, **kw)
        assert isinstance(resp, requests.Response)
        return self.json_of(resp, f"GET {path}")

    def send_json(self, method: str, path: str, payload: Any, **kw: Any) -> Any:
        resp = self.request(method, path, json=payload, **kw)
        if isinstance(resp, Recovered):
            return resp.value
        if resp.status_code == 204 or not resp.content:
            return None
        return self.json_of(resp, f"{method} {path}")

    def json_of(self, resp: requests.Response, what: str) -> Any:
        """The JSON body, or a clear error when the server answered HTML or garbage."""
        ctype = resp.headers.get("Content-Type", "")
        try:
            if "json" not in ctype.lower():
                raise ValueError(ctype or "no content type")
            return resp.json()
        except ValueError:
            kind = "HTML" if "html" in ctype.lower() or resp.content[:20].lstrip().startswith(b"<") else "not JSON"
            raise InputError(
                f"{self.label}: {what} answered {kind} ({ctype or 'no content type'}), "
                "not the SC REST API; is this the cluster's URL?"
            ) from None

    def error_for(self, method: str, path: str, resp: requests.Response) -> HttpError:
        """An :class:`HttpError` naming the request, the status and the cluster's message."""
        code, message, body, html = "", "", None, False
        try:
            body = resp.json()
            if isinstance(body, dict):
                code = str(body.get("error_code") or "")
                message = body.get("message") or body.get("detail") or ""
                if not isinstance(message, str):
                    message = str(message)
        except ValueError:
            html = "html" in resp.headers.get("Content-Type", "").lower() or resp.content[:20].lstrip().startswith(b"<")
            message = "" if html else resp.text[:200].strip()
        text = f"{self.label}: {method} {_short(path)} → HTTP {resp.status_code}"
        if code:
            text += f" {code}"
        if message:
            text += f": {message}"
        return HttpError(self.mask(text), resp.status_code, code, body, html)

    def _tls_error(self, exc: Exception) -> InputError:
        detail = self.mask(str(exc))
        bundle = self.verify if isinstance(self.verify, str) else None
        if bundle and ("NO_CERTIFICATE_OR_CRL_FOUND" in detail or "PEM lib" in detail):
            return InputError(f"{bundle}: not a file of PEM CA certificates (needed for TLS to {self.label})")
        trusted_by = f" by {bundle}" if bundle else ""
        if "WRONG_VERSION_NUMBER" in detail or "wrong version number" in detail:
            return InputError(f"{self.label}: the server does not speak TLS on this port; check the URL "
                              "(scheme, host and port)")
        if "CERTIFICATE_VERIFY_FAILED" in detail or "certificate verify failed" in detail:
            why = f"its certificate is not trusted{trusted_by} (self-signed or a private CA)"
        elif "hostname" in detail.lower() or "match" in detail.lower():
            why = "its certificate does not match the host name"
        else:
            why = "the TLS handshake failed"
        return InputError(
            f"{self.label}: TLS verification failed: {why}; pass the cluster's CA certificate with "
            "--ca-bundle FILE (or, only if you must, --insecure)"
        )
