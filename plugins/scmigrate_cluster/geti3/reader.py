"""Reading one Geti 3.x project: its one task, media (original bytes), annotations, and the rest.

The interchange project has one task titled after the 3.x task type; its labels keep name,
colour and hotkey, multi-class labels share one group and multi-label ones have a group each.
What the model has no field for is kept in ``configuration.raw["geti3"]``, which an archive
stores verbatim, so that 3.x → archive → 3.x restores it: the source ids, each item's subset,
the dataset views (members by media key) and the training configuration that differs from the
defaults, per model architecture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scmigrate.api import Reader, RunOptions, SizeHint
from scmigrate.model import Configuration, Dataset, Item, Label, Media, ModelArtifact, ModelFile, Project, Scene, Task

from ..streams import DownloadStream
from .api import TASK_TITLES, Geti3Connection
from .scenes import scene_from_geti3

__all__ = ["Geti3Reader", "project_from_geti3", "RAW_KEY"]

#: where a 3.x project's own facts go in ``Configuration.raw``
RAW_KEY = "geti3"


def project_from_geti3(doc: dict[str, Any], origin: dict[str, Any]) -> Project:
    """A 3.x project document as an interchange project (one task)."""
    task = doc.get("task") or {}
    task_type = str(task.get("task_type"))
    title = TASK_TITLES.get(task_type, task_type)
    exclusive = bool(task.get("exclusive_labels"))
    labels = []
    for lb in task.get("labels") or []:
        group = lb["name"] if task_type == "classification" and not exclusive else title
        labels.append(Label(name=lb["name"], color=lb.get("color"), group=group, hotkey=lb.get("hotkey") or ""))
    return Project.chain(str(doc.get("name")), Task(title, task_type, labels),
                         origin=dict(origin, project_id=doc.get("id")))


def _leaves(elements: list[dict[str, Any]], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for el in elements or []:
        key = prefix + str(el.get("key"))
        if el.get("type") == "parameter_group":
            yield from _leaves(el.get("parameters") or [], key + ".")
        else:
            yield key, el


class Geti3Reader(Reader):
    """The project named by ``--project`` on a Geti 3.x server."""

    def __init__(self, conn: Geti3Connection, options: RunOptions) -> None:
        self.conn, self.http = conn, conn.http
        self.options = options
        self.doc = conn.require(options.project)
        self.pid = str(self.doc["id"])
        self.names = {str(lb["id"]): lb["name"] for lb in (self.doc.get("task") or {}).get("labels") or []}
        self._project: Project | None = None

    # ------------------------------------------------------------------ project

    def project(self) -> Project:
        if self._project is None:
            origin = {"kind": "cluster", "url": self.http.base_url, "version": self.conn.version,
                      "dialect": self.conn.dialect.name}
            project = project_from_geti3(self.doc, origin)
            raw = {"project_id": self.pid, "labels": {v: k for k, v in self.names.items()},
                   "task": {k: v for k, v in (self.doc.get("task") or {}).items() if k != "labels"},
                   "subsets": self._subsets(), "dataset_views": self._views(),
                   "training_configuration": self._training_configuration()}
            project.configuration = Configuration(raw={RAW_KEY: raw})
            project.datasets = [Dataset("Dataset", True)]
            self._project = project
        return self._project

    def _subsets(self) -> dict[str, str]:
        """Media key (or ``<video key>@<frame>``) → subset, for the items not ``unassigned``."""
        found = {str(i["id"]): str(i["subset"]) for i in self.conn.paged(f"/api/projects/{self.pid}/dataset/items")
                 if i.get("subset") not in (None, "unassigned")}
        out = {}
        for mid, subset in found.items():
            doc = self.http.get_json(self.conn.media(self.pid, mid))
            key = f"{doc['video_id']}@{doc['frame_index']}" if doc.get("type") == "video_frame" else mid
            out[key] = subset
        return out

    def _views(self) -> list[dict[str, Any]]:
        path = self.conn.views(self.pid)
        if path is None:
            return []
        out = []
        for view in self.http.get_json(path) or []:
            members = [str(m["id"]) for m in self.conn.paged(self.conn.media(self.pid),
                                                              {"dataset_view_id": view["id"], "sort_direction": "asc"})]
            out.append({"name": view["name"], "id": view["id"], "media": members})
        return out

    def _training_configuration(self) -> dict[str, dict[str, Any]]:
        """Per model architecture, the parameters whose value is not the default (dotted keys)."""
        if not self.conn.dialect.training_configuration:
            return {}
        task_type = (self.doc.get("task") or {}).get("task_type")
        doc = self.http.get_json("/api/model_architectures", params={"task": task_type})
        out: dict[str, dict[str, Any]] = {}
        for arch in (doc or {}).get("model_architectures") or []:
            conf = self.http.get_json(f"/api/projects/{self.pid}/training_configuration",
                                      params={"model_architecture_id": arch["id"]})
            changed = {k: p.get("value") for k, p in _leaves(conf.get("parameters") or [])
                       if p.get("value") != p.get("default_value")}
            if changed:
                out[str(arch["id"])] = changed
        return out

    def size_hint(self) -> SizeHint:
        images = self.conn.media_count(self.pid)
        return SizeHint(items=images, images=None, videos=None)

    def notes(self) -> list[str]:
        return [f"{self.http.label}: Geti {self.conn.version} (dialect geti3, no authentication)"]

    def describe(self) -> dict[str, Any]:
        return dict(self.conn.facts(), project_id=self.pid, http=self.http.stats.to_dict(self.http.limiter))

    def models(self) -> Iterator[ModelArtifact]:
        """Each model's metadata and variant zips (kept by an archive; no 3.x server can import them)."""
        for m in self.http.get_json(f"/api/projects/{self.pid}/models") or []:
            base = f"/api/projects/{self.pid}/models/{m['id']}/variants"
            files = [self._model_file(f"{v.get('format')}-{v.get('precision')}-{v['id']}.zip",
                                      f"{base}/{v['id']}/binary", v.get("weights_size"))
                     for v in m.get("variants") or [] if not v.get("files_deleted")]
            yield ModelArtifact(key=f"model-{m['id']}", metadata={"model": m}, files=files)

    def _model_file(self, name: str, path: str, size: Any) -> ModelFile:
        return ModelFile(name, lambda: DownloadStream(self.http, path), size if isinstance(size, int) else None)  # type: ignore[arg-type,return-value]

    # ------------------------------------------------------------------ items

    def items(self) -> Iterator[Item]:
        self.project()
        for m in self.conn.paged(self.conn.media(self.pid), {"sort_direction": "asc"}):
            if m.get("type") in ("image", "video"):
                yield self._item(m)

    def _item(self, m: dict[str, Any]) -> Item:
        mid = str(m["id"])
        kind = str(m["type"])
        fmt = str(m.get("format") or ("jpg" if kind == "image" else "mp4"))
        media = Media(key=mid, kind=kind, name=str(m["name"]), filename=f"{m['name']}.{fmt}", dataset="Dataset",
                      size=m.get("size"), width=m.get("width"), height=m.get("height"), fps=m.get("fps"),
                      frame_count=m.get("frame_count"), duration=m.get("duration"), source_id=mid)
        path = self.conn.media(self.pid, mid) + "/binary?raw=true"  # the original bytes, never a re-encoding
        return Item(media=media, open=lambda: DownloadStream(self.http, path),  # type: ignore[arg-type,return-value]
                    load=self._load)

    def _load(self, item: Item) -> None:
        m = item.media
        scenes: list[Scene] = []
        if m.kind == "image":
            doc = self.conn.annotations(self.pid, str(m.source_id))
            if doc is not None:
                scenes.append(scene_from_geti3(doc, self.names, m.width, m.height))
        else:
            for f in self.conn.frames(self.pid, str(m.source_id), m.frame_count):
                data = f.get("annotation_data") or {}
                scenes.append(scene_from_geti3(data, self.names, m.width, m.height, frame=int(f["frame_index"])))
        item.scenes = scenes
        item.ranges = []

    def close(self) -> None:
        self.http.close()
