"""Send a request on a ``requests.Session`` without ``Session.request``'s per-call merging.

``Session.request`` merges the session's settings into every request through ``merge_setting``,
whose ``isinstance`` against a ``typing.Protocol`` costs ~15 µs on Python 3.11 and runs about a
dozen times per request: ~300 µs of client CPU per request (requests 2.34), more than the rest of
the request's preparation. A transfer sends two or three requests per item, on two shared cores.

:func:`send` does what ``Session.request`` does for our sessions (``trust_env`` off, no session
auth, params or cert: :class:`~.http.ClusterHttp` sets none of them) with plain dict operations:
the session's headers under the request's (a header given as None is dropped, as there), the
session's cookies, its proxies, redirects followed. The tests compare what both put on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

__all__ = ["send"]


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
    # an empty jar adds no Cookie header; building the header from it still costs a mock request
    prep.prepare(method=method.upper(), url=url, headers=merged, params=params, json=json, data=data,
                 cookies=session.cookies if len(session.cookies) else None)
    return session.send(prep, timeout=timeout, verify=verify, stream=stream, proxies=session.proxies, cert=None,
                        allow_redirects=True)
