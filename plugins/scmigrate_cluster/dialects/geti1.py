"""Geti 1.0 – 1.15: media listed by ``GET …/media/images?top=N``, no ``project_configuration``.

Three steps, each a subclass of the one after it in time: ``geti1.14`` (1.14 – 1.15) differs from the
current dialect only in the listing; ``geti1.9`` (1.9 – 1.13) has no organisation discovery (the official
client of the era uses a fixed id) and swaps the token for a bearer token; ``geti1.0`` (1.0 – 1.8) has no
organisation level in its paths at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .current import CurrentDialect

if TYPE_CHECKING:
    from ..http import ClusterHttp

__all__ = ["Geti114Dialect", "Geti19Dialect", "Geti10Dialect", "FIXED_ORGANIZATION"]

#: the organisation id of every Geti 1.9 – 1.13 cluster, as the official client of the era assumes it
FIXED_ORGANIZATION = "000000000000000000000001"


class Geti114Dialect(CurrentDialect):
    """Geti 1.14 – 1.15: current paths and ``x-api-key``, media listed page by page with ``skiptoken``."""

    name = "geti1.14"
    min_version = (1, 14, 0)
    #: ``top`` of the listing: what the clients of the era asked for (no maximum is documented)
    page_size = 100

    @property
    def has_project_configuration(self) -> bool:
        return False

    def _page(self, http: ClusterHttp, d: str, kind: str, top: int, skiptoken: str | None) -> dict[str, Any]:
        path = f"{d}/media/{kind}s"
        params: dict[str, Any] = {"top": top}
        if skiptoken:
            params["skiptoken"] = skiptoken
        page = http.get_json(path, params=params)
        return page if isinstance(page, dict) else {}

    def iter_media(
        self, http: ClusterHttp, d: str, kind: str, name: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every image (or video), ``skiptoken`` = the last id seen; the page after the last is empty.

        ``next_page`` is on every non-empty page, the last included, so only an empty page ends the
        listing. There is no name filter on the server: ``name`` is matched here.
        """
        last: str | None = None
        while True:
            media = self._page(http, d, kind, self.page_size, last).get("media") or []
            if not media:
                return
            for m in media:
                if m.get("type", kind) == kind and (name is None or m.get("name") == name):
                    yield m
            if str(media[-1]["id"]) == last:  # a server that ignores skiptoken must not make us loop
                return
            last = str(media[-1]["id"])

    def count_media(self, http: ClusterHttp, d: str, kind: str) -> int:
        counts = self._page(http, d, kind, 1, None).get("media_count") or {}
        return int(counts.get(f"{kind}s") or 0)


class Geti19Dialect(Geti114Dialect):
    """Geti 1.9 – 1.13: the fixed organisation id; the token is swapped for a bearer token."""

    name = "geti1.9"
    min_version = (1, 9, 0)
    fixed_organization = FIXED_ORGANIZATION
    auth = "pat-swap"


class Geti10Dialect(Geti19Dialect):
    """Geti 1.0 – 1.8: ``/api/v1/workspaces/{w}``, no organisation in the paths."""

    name = "geti1.0"
    min_version = (1, 0, 0)
    fixed_organization = ""

    def workspaces(self, org: str) -> str:
        return "/api/v1/workspaces"

    def workspace(self, org: str, ws: str) -> str:
        return f"/api/v1/workspaces/{ws}"
