"""Send a request on a ``requests.Session`` without ``Session.request``'s per-call merging.

``Session.request`` merges the session's settings into every request through ``merge_setting``,
whose ``isinstance`` against a ``typing.Protocol`` costs ~15 µs on Python 3.11 and runs about a
dozen times per request: ~300 µs of client CPU per request (requests 2.34), more than the rest of
the request's preparation. A transfer sends two or three requests per item, on two shared cores.

:func:`send` does what ``Session.request`` does for our sessions (``trust_env`` off, no session
auth, params or cert: :class:`~.http.ClusterHttp` sets none of them) with plain dict operations:
the session's headers under the request's (a header given as None is dropped, as there), the
session's cookies, its proxies, redirects followed. The tests compare what both put on the wire.

The URL is the other costly step: ``prepare_url`` parses it with urllib3's regular expressions,
IDNA-checks the host and requotes it, ~15 µs (~30 µs with two dozen threads at work) for a URL
that comes out as it went in. A URL without parameters whose path holds only unreserved
characters, with no dot segment, is such a URL once its origin is: each origin is prepared the
full way once, and its URLs are then taken as they are (:func:`_prepare_url`).

:class:`PoolAdapter` does the same for the adapter: ``HTTPAdapter.send`` parses the URL again to
find its connection pool and looks the CA bundle up on disk three times (``exists``, ``isdir``
twice), for every request; it keeps the pool of each origin and what the bundle's path is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import requests
import requests.adapters
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict

__all__ = ["PoolAdapter", "send"]

_ORIGIN = re.compile(r"https?://[^/?#]+")
#: a path that prepare_url leaves as it is: unreserved characters, no segment that starts with a dot
#: (urllib3 removes "." and ".." segments), nothing to quote or unquote, no query or fragment
_PLAIN_PATH = re.compile(r"(?:/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+/?|/")
#: origin → whether prepare_url leaves it as it is (a lowercase host, no IDNA, no default port dropped)
_ORIGINS: dict[str, bool] = {}


def _prepare_url(prep: requests.PreparedRequest, url: str, params: Any) -> None:
    """``prep.prepare_url(url, params)``, without its cost for a URL it would not change."""
    if params is None:
        origin = _ORIGIN.match(url)
        if origin is not None and _PLAIN_PATH.fullmatch(url, origin.end()):
            plain = _ORIGINS.get(origin.group())
            if plain is None:
                probe = requests.PreparedRequest()
                probe.prepare_url(origin.group() + "/", None)
                plain = probe.url == origin.group() + "/"
                if len(_ORIGINS) < 64:
                    _ORIGINS[origin.group()] = plain
            if plain:
                prep.url = url
                return
    prep.prepare_url(url, params)


class PoolAdapter(requests.adapters.HTTPAdapter):
    """An ``HTTPAdapter`` that finds an origin's connection pool, and a CA bundle's kind, once.

    Both answers are kept only where requests' own would be the same every time: no proxy and no
    client certificate (the pool's key then holds only the origin and the verification), and a
    pool that is still open (``HTTPAdapter.close`` and urllib3 1.x close them).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pools: dict[tuple[str, bool | str], Any] = {}
        self._bundle_is_dir: dict[str, bool] = {}

    def get_connection_with_tls_context(self, request: requests.PreparedRequest, verify: bool | str,
                                        proxies: dict[str, str] | None = None, cert: Any = None) -> Any:
        origin = _ORIGIN.match(request.url or "")
        if proxies or cert or origin is None:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        key = (origin.group(), verify)
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:  # a closed pool's queue is gone
            pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
            if len(self._pools) >= 16:
                self._pools.clear()
            self._pools[key] = pool
        return pool

    def cert_verify(self, conn: Any, url: str, verify: bool | str, cert: Any) -> None:
        is_dir = self._bundle_is_dir.get(verify) if isinstance(verify, str) else None
        if is_dir is None or cert or not url[:6].lower() == "https:":
            super().cert_verify(conn, url, verify, cert)  # checks that the bundle exists (OSError if not)
            if isinstance(verify, str) and not cert and url[:6].lower() == "https:":
                self._bundle_is_dir[verify] = os.path.isdir(verify)
            return
        conn.cert_reqs = "CERT_REQUIRED"
        if is_dir:
            conn.ca_cert_dir = verify
        else:
            conn.ca_certs = verify


def send(session: requests.Session, method: str, url: str, *, params: Any = None, json: Any = None,
         data: Any = None, headers: Mapping[str, str | None] | None = None, timeout: Any = None,
         verify: bool | str = True, stream: bool = False) -> requests.Response:
    merged: CaseInsensitiveDict[str] = CaseInsensitiveDict(session.headers)
    for name, value in (headers or {}).items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    prep = requests.PreparedRequest()
    # PreparedRequest.prepare's steps, in its order
    prep.prepare_method(method.upper())
    _prepare_url(prep, url, params)
    prep.prepare_headers(merged)
    if len(session.cookies):
        prep.prepare_cookies(session.cookies)
    else:  # what an empty jar makes (no Cookie header), without building a header from it
        prep._cookies = RequestsCookieJar()
    prep.prepare_body(data, None, json)
    prep.prepare_auth(None, url)
    prep.prepare_hooks(None)
    return session.send(prep, timeout=timeout, verify=verify, stream=stream, proxies=session.proxies, cert=None,
                        allow_redirects=True)
