"""A connected Geti 3.x server: its paths, project lookup and paged listings.

Every request goes through the shared :class:`~scmigrate_cluster.http.ClusterHttp` (pooling,
retries, TLS); Geti 3.x has no authentication, so no token is sent unless the user gave one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from scmigrate.errors import InputError

from ..dialects import Geti3Dialect
from ..http import ClusterHttp, HttpError

__all__ = ["Geti3Connection", "PAGE", "TASK_TITLES"]

#: the server's largest page (``limit`` above it is a 422)
PAGE = 100
#: the title a 3.x project's one task gets in the interchange model (3.x tasks have none)
TASK_TITLES = {"detection": "Detection", "instance_segmentation": "Instance segmentation",
               "classification": "Classification"}


@dataclass
class Geti3Connection:
    """A Geti 3.x server after detection."""

    http: ClusterHttp
    dialect: Geti3Dialect

    @property
    def version(self) -> str:
        return self.dialect.version_text

    def facts(self) -> dict[str, Any]:
        return {"url": self.http.base_url, "version": f"Geti {self.version}", "dialect": self.dialect.name,
                "authentication": "none", "features": ", ".join(self.dialect.features()) or "none"}

    # ------------------------------------------------------------------ paths

    @staticmethod
    def project(pid: str) -> str:
        return f"/api/projects/{pid}"

    def media(self, pid: str, mid: str = "") -> str:
        return f"/api/projects/{pid}/dataset/media" + (f"/{mid}" if mid else "")

    def views(self, pid: str) -> str | None:
        prefix = self.dialect.views
        return prefix.replace("{}", pid) if prefix else None

    # ------------------------------------------------------------------ projects

    def projects(self) -> list[dict[str, Any]]:
        """Every project (the list is not paged)."""
        doc = self.http.get_json("/api/projects")
        return [p for p in doc if isinstance(p, dict)] if isinstance(doc, list) else []

    def find(self, name: str) -> dict[str, Any] | None:
        return next((p for p in self.projects() if p.get("name") == name), None)

    def get_project(self, pid: str) -> dict[str, Any] | None:
        try:
            return self.http.get_json(self.project(pid), retries=2)
        except HttpError as exc:
            if exc.status in (400, 404):
                return None
            raise

    def require(self, name: str | None) -> dict[str, Any]:
        """The project to read; a missing or unknown name (or id) is an error listing the names."""
        projects = self.projects()
        listing = ", ".join(repr(n) for n in sorted(str(p.get("name")) for p in projects)) or "none"
        if not name:
            if len(projects) == 1:
                return projects[0]
            raise InputError(f"{self.http.label}: choose a project with --project (projects: {listing})")
        found = [p for p in projects if p.get("name") == name] or [p for p in projects if p.get("id") == name]
        if len(found) > 1:
            ids = ", ".join(str(p["id"]) for p in found)
            raise InputError(f"{self.http.label}: {len(found)} projects are named {name!r} (Geti 3.x allows it); "
                             f"give one by id with --project (ids: {ids})")
        if not found:
            raise InputError(f"{self.http.label}: no project named {name!r} (projects: {listing})")
        return found[0]

    # ------------------------------------------------------------------ paged listings

    def paged(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a ``{items, pagination}`` listing, ``limit`` 100 and ``offset``.

        Stops on an empty page or when ``offset + count`` reaches ``total``, so a server whose
        pagination is off cannot make us loop.
        """
        offset = 0
        while True:
            page = self.http.get_json(path, params={**(params or {}), "limit": PAGE, "offset": offset})
            items = page.get("items") or []
            yield from items
            pag = page.get("pagination") or {}
            offset += len(items)
            total = pag.get("total")
            if not items or (isinstance(total, int) and offset >= total):
                return

    def media_count(self, pid: str, **filters: Any) -> int:
        page = self.http.get_json(self.media(pid), params={**filters, "limit": 1})
        return int((page.get("pagination") or {}).get("total") or 0)

    def annotations(self, pid: str, mid: str, frame: int | None = None) -> dict[str, Any] | None:
        """The annotations of an image (or a video frame); None when it was never annotated (404)."""
        path = self.media(pid, mid) + "/annotations"
        resp = self.http.request("GET", path, params={"frame_index": frame} if frame is not None else None,
                                 ok=(200, 404))
        assert isinstance(resp, requests.Response)
        if resp.status_code == 404:
            return None
        return self.http.json_of(resp, f"GET {path}")

    def frames(self, pid: str, mid: str, frame_count: int | None) -> Iterator[dict[str, Any]]:
        """The annotated frames of a video (``/frames`` answers windows of frame indexes)."""
        last = max(0, int(frame_count or 1) - 1)
        step = 500
        low = 0
        while low <= last:
            high = min(last, low + step - 1)
            yield from self.http.get_json(self.media(pid, mid) + "/frames",
                                          params={"frame_index_from": low, "frame_index_to": high}) or []
            low = high + 1
