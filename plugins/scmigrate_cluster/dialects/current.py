"""The current dialect: Geti 1.16 – 2.13 (organisation-scoped paths, ``POST media:query``)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from scmigrate.model import Shape
from scmigrate.scratch import KeySet

if TYPE_CHECKING:
    from ..http import ClusterHttp

__all__ = ["Dialect", "CurrentDialect"]


class Dialect(ABC):
    """The interface the reader and writer use; one subclass per cluster generation.

    Paths are absolute (``/api/...``); ``w`` is the workspace prefix from :meth:`workspace`, ``d``
    a dataset prefix from :meth:`dataset`. Shapes pass through :meth:`shape_from_api` and
    :meth:`shape_to_api`, which is where a dialect with normalised coordinates converts.
    """

    name = "abstract"
    min_version: tuple[int, int, int] = (0, 0, 0)
    video_annotation_page = 500

    def __init__(self, version: tuple[int, int, int]) -> None:
        self.version = version

    @abstractmethod
    def workspaces(self, org: str) -> str: ...

    @abstractmethod
    def workspace(self, org: str, ws: str) -> str: ...

    @abstractmethod
    def project(self, w: str, pid: str) -> str: ...

    @abstractmethod
    def dataset(self, w: str, pid: str, did: str) -> str: ...

    @abstractmethod
    def media(self, d: str, kind: str, mid: str) -> str: ...

    @abstractmethod
    def media_bytes(self, d: str, kind: str, mid: str) -> str: ...

    @abstractmethod
    def upload(self, d: str, kind: str) -> str: ...

    @abstractmethod
    def annotations(self, d: str, kind: str, mid: str, frame: int | None = None) -> str: ...

    @property
    @abstractmethod
    def has_project_configuration(self) -> bool: ...

    @abstractmethod
    def iter_media(
        self, http: ClusterHttp, d: str, kind: str, name: str | None = None
    ) -> Iterator[dict[str, Any]]: ...

    @abstractmethod
    def count_media(self, http: ClusterHttp, d: str, kind: str) -> int: ...

    #: the organisation id of a dialect that has a fixed one (Geti 1.9–1.13) or none (older): no discovery
    fixed_organization: str | None = None
    #: how a client logs in (``logins.py``): the token as ``x-api-key``, the token swapped for a bearer
    #: token (``pat-swap``; a user name and password also work there), or only a user name and password
    #: (``browser``)
    auth = "x-api-key"

    #: projects listed with limit/skip (SC 1.x answers them all at once)
    paged_projects = True
    #: ``display/full`` answers a re-encoded image, not the uploaded bytes (SC 1.x)
    reencodes_images = False
    holds_videos = True

    def project_doc(self, doc: dict[str, Any]) -> dict[str, Any]:
        """A project document as the current dialect words it (task types, label flags)."""
        return doc

    def create_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """The current dialect's project-creation body in this dialect's words."""
        return body

    def edit_body(self, body: dict[str, Any]) -> dict[str, Any]:
        """A project edit (``PUT``) built from :meth:`project_doc`'s words, in this dialect's."""
        return body

    def cannot_hold(self, project: Any) -> list[str]:
        """What of ``project`` this dialect's clusters cannot store (conversion losses), one line each."""
        return []

    @abstractmethod
    def shape_from_api(self, d: dict[str, Any], width: int | None, height: int | None) -> Shape: ...

    @abstractmethod
    def shape_to_api(self, shape: Shape, width: int | None, height: int | None) -> dict[str, Any]: ...


class CurrentDialect(Dialect):
    """Geti 1.16–2.13: ``/api/v1/organizations/{o}/workspaces/{w}/…``, pixel coordinates."""

    name = "geti-2"
    min_version = (1, 16, 0)
    #: page size of the media listing: the servers' maximum (their code accepts 1–1000, the published
    #: text says at most 100, and the two disagree on the default too, so it is always sent)
    page_size = 1000
    #: ... but the first page, which only has to say the total, is small: it comes back sooner, and
    #: what the caller does with the first media (their downloads) starts sooner
    first_page_size = 100
    #: listing pages asked for ahead of the one being handed on. Each holds a page of parsed media
    #: (~2.5 KB apiece): four held 13 MB at 20,000 media, where a listing of 2,000 holds at most
    #: 5 MB. One fetched while the caller works through the other keeps far ahead of the downloads
    #: (1,000 media per 20 ms request against ~300 downloaded per second)
    pages_ahead = 1
    #: the whole-video annotation GET returns at most this many frames per call
    video_annotation_page = 500

    # ------------------------------------------------------------------ URLs

    def workspaces(self, org: str) -> str:
        return f"/api/v1/organizations/{org}/workspaces"

    def workspace(self, org: str, ws: str) -> str:
        return f"/api/v1/organizations/{org}/workspaces/{ws}"

    def project(self, w: str, pid: str) -> str:
        return f"{w}/projects/{pid}"

    def dataset(self, w: str, pid: str, did: str) -> str:
        return f"{w}/projects/{pid}/datasets/{did}"

    def media(self, d: str, kind: str, mid: str) -> str:
        return f"{d}/media/{kind}s/{mid}"

    def media_bytes(self, d: str, kind: str, mid: str) -> str:
        """The original bytes: ``display/full`` for images, ``display/stream`` for videos."""
        return f"{self.media(d, kind, mid)}/display/{'full' if kind == 'image' else 'stream'}"

    def upload(self, d: str, kind: str) -> str:
        return f"{d}/media/{kind}s"

    def annotations(self, d: str, kind: str, mid: str, frame: int | None = None) -> str:
        base = self.media(d, kind, mid)
        return f"{base}/frames/{frame}/annotations" if frame is not None else f"{base}/annotations"

    @property
    def has_project_configuration(self) -> bool:
        """``project_configuration``/``training_configuration`` exist from 2.12."""
        return self.version >= (2, 12, 0)

    # ------------------------------------------------------------------ listing

    def iter_media(
        self, http: ClusterHttp, d: str, kind: str, name: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every image (or video) of a dataset, in upload order.

        The first page gives the total; the pages after it are the same query with ``skip``
        advanced (what ``next_page`` says), so :attr:`pages_ahead` of them are fetched at once and
        yielded in order: a backup that finds nothing else to read is mostly this listing. Should
        the pages not add up to the total (media added or removed meanwhile, a server that pages
        otherwise), the media missed are found by following ``next_page`` from the start. That walk
        stops on an empty page, when ``next_page`` is absent, or when the total is reached, so a
        server that sets ``next_page`` on its last page cannot make us loop.
        """
        rules = [{"field": "media_type", "operator": "equal", "value": kind}]
        if name is not None:
            rules.append({"field": "media_name", "operator": "equal", "value": name})
        body = {"condition": "and", "rules": rules}
        path = f"{d}/media:query"
        total_key = "total_matched_images" if kind == "image" else "total_matched_videos"

        def page(skip: int, limit: int = self.page_size) -> dict[str, Any]:
            params = {"limit": limit, "skip": skip, "sort_by": "media_upload_date"}
            resp = http.request("POST", path, params=params, json=body)
            return http.json_of(resp, f"POST {path}")  # type: ignore[arg-type]

        first = page(0, min(self.first_page_size, self.page_size))
        media, stated = first.get("media") or [], first.get(total_key)
        total = stated if isinstance(stated, int) else 0
        more = bool(media) and bool(first.get("next_page")) and len(media) < total
        # a server that pages by less than asked (its own maximum) is followed at its size
        step = self.page_size if len(media) >= min(self.first_page_size, self.page_size) else len(media)
        skips = iter(range(len(media), total, step) if more else ())
        # at most pages_ahead pages are asked for or waiting at any time (a slow caller, a backup busy
        # with downloads, must not make the whole listing pile up in memory); the first of them before
        # the first page's media are handed on, so that the caller's work overlaps the server's
        pool = ThreadPoolExecutor(self.pages_ahead) if more else None
        ahead: deque[Future[dict[str, Any]]] = deque()

        def refill() -> None:
            while pool is not None and len(ahead) < self.pages_ahead:
                skip = next(skips, None)
                if skip is None:
                    return
                ahead.append(pool.submit(page, skip))

        seen = KeySet()  # one per media: past 1,024, on disk

        def unseen(batch: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
            batch.reverse()
            while batch:  # popped as handed on: a page's media are freed as the caller drops them
                m = batch.pop()
                if seen.add(str(m.get("id"))) and m.get("type", kind) == kind:
                    yield m

        try:
            refill()
            yield from unseen(media)
            while ahead:
                batch = ahead.popleft().result().get("media") or []
                refill()
                yield from unseen(batch)
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        if more and len(seen) < total:
            yield from self._walk(http, path, body, kind, total_key, seen)

    def _walk(self, http: ClusterHttp, path: str, body: dict[str, Any], kind: str, total_key: str,
              seen: KeySet) -> Iterator[dict[str, Any]]:
        """Follow ``next_page`` with the same body from the first page, yielding media not in ``seen``."""
        params: dict[str, Any] | None = {"limit": self.page_size, "skip": 0, "sort_by": "media_upload_date"}
        count = 0
        while True:
            resp = http.request("POST", path, params=params, json=body)
            page = http.json_of(resp, f"POST {path}")  # type: ignore[arg-type]
            media = page.get("media") or []
            for m in media:
                if str(m.get("id")) not in seen and m.get("type", kind) == kind:
                    seen.add(str(m.get("id")))
                    yield m
            count += len(media)
            total = page.get(total_key)
            nxt = page.get("next_page")
            if not media or not nxt or (isinstance(total, int) and count >= total):
                return
            path, params = nxt, None

    def count_media(self, http: ClusterHttp, d: str, kind: str) -> int:
        body = {"condition": "and", "rules": [{"field": "media_type", "operator": "equal", "value": kind}]}
        path = f"{d}/media:query"
        resp = http.request("POST", path, params={"limit": 1, "skip": 0}, json=body)
        page = http.json_of(resp, f"POST {path}")  # type: ignore[arg-type]
        return int(page.get(f"total_matched_{kind}s") or page.get(f"total_{kind}s") or 0)

    # ------------------------------------------------------------------ coordinates

    def shape_from_api(self, d: dict[str, Any], width: int | None, height: int | None) -> Shape:
        """A cluster shape (pixels in this dialect) as a model shape."""
        return Shape.from_dict(d)

    def shape_to_api(self, shape: Shape, width: int | None, height: int | None) -> dict[str, Any]:
        """A model shape as the cluster expects it (pixels, integers where the server rounds)."""
        return shape.to_dict()
