"""Routes that only the dialects before Geti 1.16 have (docs/rest-api.md §2, §6.4): media listed by ``GET ?top=N``, the
workspace list without organisation, SC 1.1's project list, Geti 1.14's organisation lookup with the token in
the path, and SC 1.1's 308 on a doubled slash.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode

from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from .api_media import media_body
from .errors import ApiError
from .records import dataset_record, project_body, project_record
from .store import loads
from .web import DS, WS, Call, endpoint

DEFAULT_TOP = 100
MAX_TOP = 1000


def _list_media(call: Call, kind: str) -> dict[str, Any]:
    """One page of a dataset's images or videos, after ``skiptoken`` (the id of the last item seen).

    ``next_page`` is set on every non-empty page, the last one included; the page after the last item is
    empty and has none (SC 1.1 as observed; Geti 1.x listed the same way)."""
    _, project = project_record(call)
    ds = dataset_record(call)
    top = call.int_query("top", DEFAULT_TOP, 1, MAX_TOP)
    store = call.emu.store
    after = 0
    token = call.query.get("skiptoken")
    if token:
        found = store.one("SELECT seq FROM media WHERE id = ? AND dataset_id = ?", (token, ds["id"]))
        if found is None:
            raise ApiError(400, "bad_request", f"Invalid skiptoken '{token}': no such media in this dataset.")
        after = found["seq"]
    rows = store.all("SELECT * FROM media WHERE dataset_id = ? AND type = ? AND seq > ? ORDER BY seq LIMIT ?",
                     (ds["id"], kind, after, top))
    counts = {r["type"]: r["n"] for r in store.all(
        "SELECT type, COUNT(*) AS n FROM media WHERE dataset_id = ? GROUP BY type", (ds["id"],))}
    media_count = {"images": counts.get("image", 0)}
    if call.emu.dialect.videos:
        media_count["videos"] = counts.get("video", 0)
    body: dict[str, Any] = {"media": [media_body(call, r, loads(r["info"]), project) for r in rows],
                            "media_count": media_count}
    if rows:
        body["next_page"] = f"{call.request.url.path}?{urlencode({'top': top, 'skiptoken': rows[-1]['id']})}"
    return body


@endpoint
def list_images(call: Call) -> dict[str, Any]:
    return _list_media(call, "image")


@endpoint
def list_videos(call: Call) -> dict[str, Any]:
    return _list_media(call, "video")


def _workspace(call: Call) -> dict[str, Any]:
    emu = call.emu
    return {"id": emu.workspace_id, "name": emu.dialect.workspace_name, "description": emu.dialect.workspace_name,
            "creation_date": emu.created, "creator_name": "admin"}


@endpoint
def sc1_workspaces(call: Call) -> list[dict[str, Any]]:
    return [_workspace(call)]  # type: ignore[return-value]  # a bare list, as SC 1.1 answered


@endpoint
def geti1_workspaces(call: Call) -> dict[str, Any]:
    return {"workspaces": [_workspace(call)]}  # geti-sdk 1.x reads "workspaces" from every Geti (SC: "items")


@endpoint
def sc1_projects(call: Call) -> dict[str, Any]:
    """All projects at once, ``{"items": [...]}``: no paging, no count, no score."""
    call.check_workspace()
    rows = call.emu.store.all("SELECT * FROM projects ORDER BY seq")
    bodies = [project_body(call, r, loads(r["doc"])) for r in rows]
    return {"items": [{k: v for k, v in body.items() if k != "score"} for body in bodies]}


@endpoint
def pat_organization_in_path(call: Call) -> dict[str, Any]:
    """Geti 1.14/1.15: the organisation of the token named in the path (the proxy has checked the header)."""
    if not hmac.compare_digest(call.params["token"].encode(), call.emu.token.encode()):
        raise ApiError(404, "personal_access_token_not_found", "Personal access token not found.")
    return {"organizationId": call.emu.org_id}


def legacy_routes(dialect: Any) -> list[Route]:
    """The routes of ``dialect`` that the current dialect does not have."""
    routes = []
    if not dialect.media_query:
        routes += [Route(dialect.map_path(DS + "/media/images"), list_images, methods=["GET"]),
                   Route(dialect.map_path(DS + "/media/videos"), list_videos, methods=["GET"])]
    if dialect.name == "sc1":
        projects = dialect.map_path(WS + "/projects")
        routes += [Route(dialect.api + "/workspaces", sc1_workspaces, methods=["GET"]),
                   Route(projects, sc1_projects, methods=["GET"]),
                   Route(projects + "/", sc1_projects, methods=["GET"])]
    elif not dialect.org_scoped:
        routes.append(Route(dialect.api + "/workspaces", geti1_workspaces, methods=["GET"]))
    if dialect.pat_org_in_path:
        routes.append(Route(dialect.api + "/personal_access_tokens/organization/{token}", pat_organization_in_path,
                            methods=["GET"]))
    return routes


class DoubleSlashMiddleware:
    """``/api/v1.0//product_info`` → 308 to ``/api/v1.0/product_info`` (SC 1.1's ingress did so)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or "//" not in path:
            await self.app(scope, receive, send)
            return
        while "//" in path:
            path = path.replace("//", "/")
        query = scope.get("query_string", b"").decode("latin-1")
        location = path + ("?" + query if query else "")
        await send({"type": "http.response.start", "status": 308,
                    "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
