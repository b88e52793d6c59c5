"""What a cluster holds for one project, read straight from the REST API with ``requests``.

The end-to-end tests judge a recipe by the project it left on the cluster, read through the
documented REST API (``docs/rest-api.md``), not through scmigrate's own cluster reader: a
mistake the reader shares with the writer cannot hide a wrong result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import requests

__all__ = ["Ann", "Image", "ProjectView", "read_project"]


@dataclass
class Ann:
    """One annotation: its shape type, its (rounded) geometry and its label names."""

    shape: str
    geometry: dict[str, Any]
    labels: list[str]


@dataclass
class Image:
    name: str
    width: int
    height: int
    annotations: list[Ann] | None  # None: never annotated (204)
    sha256: str  # of the bytes the cluster serves as the original image

    def is_full_box(self, ann: Ann) -> bool:
        g = ann.geometry
        return ann.shape == "RECTANGLE" and (g["x"], g["y"], g["width"], g["height"]) == (0, 0, self.width, self.height)


@dataclass
class ProjectView:
    name: str
    task_types: list[str]  # the trainable tasks, in pipeline order
    task_labels: list[list[str]]  # per trainable task: its label names (empty labels included)
    empty_labels: set[str]
    groups: dict[str, str]  # label name → its (exclusive) group
    images: dict[str, Image] = field(default_factory=dict)  # by media id
    videos: int = 0

    def labels_of(self, task_type: str) -> list[str]:
        return self.task_labels[self.task_types.index(task_type)]


class _Rest:
    def __init__(self, url: str, token: str, ca_bundle: str | None) -> None:
        self.url = url.rstrip("/")
        self.s = requests.Session()
        self.s.headers["x-api-key"] = token
        self.verify = ca_bundle or True  # per request: a session's verify loses to $REQUESTS_CA_BUNDLE

    def raw(self, method: str, path: str, **kw: Any) -> requests.Response:
        r = self.s.request(method, self.url + path, timeout=30, verify=self.verify, **kw)
        r.raise_for_status()
        return r

    def call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.raw(method, path, **kw)
        return r.json() if r.status_code != 204 and r.content else None

    def workspace(self) -> str:
        org = self.call("GET", "/api/v1/personal_access_tokens/organization")["organizationId"]
        ws = self.call("GET", f"/api/v1/organizations/{org}/workspaces")["workspaces"][0]["id"]
        return f"/api/v1/organizations/{org}/workspaces/{ws}"


def read_project(url: str, token: str, ca_bundle: str | None, name: str) -> ProjectView:
    """The project called ``name``: tasks, labels, and every image of every dataset with its latest scene."""
    rest = _Rest(url, token, ca_bundle)
    w = rest.workspace()
    found = [p for p in rest.call("GET", f"{w}/projects", params={"limit": 100})["projects"] if p["name"] == name]
    assert len(found) == 1, f"expected one project {name!r} on the cluster, found {len(found)}"
    pp = f"{w}/projects/{found[0]['id']}"
    project = rest.call("GET", pp)
    tasks = [t for t in project["pipeline"]["tasks"] if t["task_type"] not in ("dataset", "crop")]
    label_names = {lb["id"]: lb["name"] for t in tasks for lb in t.get("labels", [])}
    view = ProjectView(name, [t["task_type"] for t in tasks],
                       [[lb["name"] for lb in t.get("labels", [])] for t in tasks],
                       {lb["name"] for t in tasks for lb in t.get("labels", []) if lb.get("is_empty")},
                       {lb["name"]: lb["group"] for t in tasks for lb in t.get("labels", [])})
    for ds in rest.call("GET", f"{pp}/datasets")["datasets"]:
        dp = f"{pp}/datasets/{ds['id']}"
        skip = 0
        while True:
            page = rest.call("POST", f"{dp}/media:query", params={"limit": 100, "skip": skip},
                             json={"condition": "and", "rules": []})
            media = page.get("media", [])
            for m in media:
                if m["type"] == "video":
                    view.videos += 1
                    continue
                scene = rest.call("GET", f"{dp}/media/images/{m['id']}/annotations/latest")
                anns = None if scene is None else [
                    Ann(a["shape"]["type"], {k: v for k, v in a["shape"].items() if k != "type"},
                        [label_names[lb["id"]] for lb in a["labels"]])
                    for a in scene["annotations"]]
                info = m["media_information"]
                data = rest.raw("GET", f"{dp}/media/images/{m['id']}/display/full").content
                view.images[m["id"]] = Image(m["name"], info["width"], info["height"], anns,
                                             hashlib.sha256(data).hexdigest())
            skip += len(media)
            if len(media) < 100:
                break
    return view
