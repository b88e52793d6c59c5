"""Reading one project from a cluster: project, media stream, lazily loaded scenes, models."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from scmigrate.api import Reader, RunOptions, SizeHint
from scmigrate.model import Item, Media, ModelArtifact, ModelFile, Project, Scene

from .connection import Connection
from .filetypes import HEAD_BYTES, extension_of
from .http import HttpError
from .projects import LabelIndex, project_from_api, require_project
from .scenes import ranges_from_api, scene_from_api, scene_revision
from .settings import read_configuration
from .streams import DownloadStream

__all__ = ["ClusterReader"]


class ClusterReader(Reader):
    """The project named by ``--project`` on a connected cluster."""

    def __init__(self, conn: Connection, options: RunOptions) -> None:
        self.conn = conn
        self.http = conn.http
        self.d = conn.dialect
        self.options = options
        self.doc = require_project(conn, options.project)
        self.pid = str(self.doc["id"])
        self._project: Project | None = None
        self.idx = LabelIndex()

    # ------------------------------------------------------------------ project

    def project(self) -> Project:
        if self._project is None:
            origin = {"kind": "cluster", "url": self.http.base_url, "version": self.conn.version,
                      "dialect": self.d.name}
            project, self.idx = project_from_api(self.doc, origin)
            if not self.doc.get("datasets"):
                p = self.d.project(self.conn.w, self.pid)
                self.doc["datasets"] = self.http.get_json(f"{p}/datasets").get("datasets", [])
                project, self.idx = project_from_api(self.doc, origin)
            trainable = [t.title for t in project.trainable_tasks]
            project.configuration = read_configuration(self.conn, self.pid, self.idx, trainable)
            self._project = project
        return self._project

    def _datasets(self) -> list[tuple[str, str]]:
        self.project()
        return [(str(d["id"]), d["name"]) for d in self.doc.get("datasets") or []]

    def _dpath(self, did: str) -> str:
        return self.d.dataset(self.conn.w, self.pid, did)

    def size_hint(self) -> SizeHint:
        counts = {"image": 0, "video": 0}
        asks = [(self._dpath(did), kind) for did, _ in self._datasets() for kind in counts]
        with ThreadPoolExecutor(max(1, min(8, len(asks)))) as pool:  # one round trip, not one per count
            for (_, kind), n in zip(asks, pool.map(lambda a: self.d.count_media(self.http, *a), asks), strict=True):
                counts[kind] += n
        return SizeHint(items=sum(counts.values()), images=counts["image"], videos=counts["video"])

    def notes(self) -> list[str]:
        """The reading side's retries, for the report (the writing side's are in its ``sink_facts``)."""
        lines = []
        if self.d.reencodes_images:
            lines.append(f"{self.http.label}: this cluster ({self.d.name}) serves images re-encoded as JPEG: the "
                         "copy holds the server's bytes, not the files once uploaded")
        s = self.http.stats.to_dict(self.http.limiter)
        if not s["retries_total"]:
            return lines
        why = ", ".join(f"{reason}: {n}" for reason, n in sorted(s["retries"].items()))
        line = f"{self.http.label}: {s['retries_total']} retried request(s) while reading ({why})"
        c = s["concurrency"]
        if c["shrinks"]:
            line += f"; rate-limited: concurrency lowered to {c['lowest']} of {c['max']}"
        return lines + [line]

    def describe(self) -> dict[str, Any]:
        facts = dict(self.conn.facts(), project_id=self.pid, http=self.http.stats.to_dict(self.http.limiter))
        if self.d.reencodes_images:
            facts["reencodes_images"] = True  # scmigrate check then compares decoded pixels
        return facts

    # ------------------------------------------------------------------ items

    def items(self) -> Iterator[Item]:
        for did, dname in self._datasets():
            d = self._dpath(did)
            for kind in ("image", "video"):
                for m in self.d.iter_media(self.http, d, kind):
                    yield self._item(d, dname, kind, m)

    def _item(self, d: str, dname: str, kind: str, m: dict[str, Any]) -> Item:
        info = m.get("media_information") or {}
        stated = info.get("extension")
        ext = stated or (".jpg" if kind == "image" else ".mp4")
        if not ext.startswith("."):
            ext = "." + ext
        mid = str(m["id"])
        media = Media(
            key=mid, kind=kind, name=m["name"], filename=m["name"] + ext, dataset=dname,
            size=info.get("size"), width=info.get("width"), height=info.get("height"),
            fps=info.get("frame_rate"), frame_count=info.get("frame_count"), duration=info.get("duration"),
            frame_stride=info.get("frame_stride"), upload_time=m.get("upload_time"),
            uploader=m.get("uploader_id"), source_id=mid,
        )
        path = self.d.media_bytes(d, kind, mid)
        # the extension unsaid (before Geti 2.5): the first bytes tell it, unless the server re-encodes (SC 1.x)
        sniff = not stated and not (kind == "image" and self.d.reencodes_images)
        return Item(
            media=media,
            open=lambda: DownloadStream(self.http, path),  # type: ignore[arg-type,return-value]
            load=lambda item: self._load(item, d, path if sniff else None),
            annotation_revision=scene_revision(m) if kind == "image" else None,
        )

    def _sniff_extension(self, media: Media, path: str) -> None:
        """Name the file after what its first bytes are (one short ranged GET; the rest is never read)."""
        resp = self.http.request("GET", path, stream=True, headers={"Range": f"bytes=0-{HEAD_BYTES - 1}"},
                                 ok=(200, 206))
        assert isinstance(resp, requests.Response)
        try:
            head = resp.raw.read(HEAD_BYTES, decode_content=True)
        finally:
            resp.close()
        ext = extension_of(head)
        if ext:
            media.filename = media.name + ext

    def _load(self, item: Item, d: str, sniff_path: str | None = None) -> None:
        media = item.media
        assert media.source_id is not None  # every media this reader lists has its cluster id
        if sniff_path:
            self._sniff_extension(media, sniff_path)
        if media.kind == "image":
            url = self.d.annotations(d, "image", media.source_id) + "/latest"
            scenes: list[Scene] = []
            try:
                resp = self.http.request("GET", url, ok=(200, 204))
            except HttpError as exc:
                if exc.error_code != "annotation_not_found":  # some versions answer 404 for "none yet"
                    raise
                resp = None
            if isinstance(resp, requests.Response) and resp.status_code == 200 and resp.content:
                doc = self.http.json_of(resp, f"GET {url}")
                scene = scene_from_api(doc, self.idx, self.project(), self.d, media.width, media.height)
                if scene is not None:
                    scenes.append(scene)
            item.scenes = scenes
            item.ranges = []
            return
        item.scenes = self._video_scenes(d, media)
        item.ranges = self._ranges(d, media)

    def _video_scenes(self, d: str, media: Media) -> list[Scene]:
        """Every annotated frame, from the whole-video GET paged by frame range (500 per call)."""
        assert media.source_id is not None
        base = self.d.media(d, "video", media.source_id) + "/annotations/latest"
        last = max(0, int(media.frame_count or 1) - 1)
        start, scenes = 0, {}
        while start <= last:
            resp = self.http.request("GET", base, params={"start_frame": start, "end_frame": last}, ok=(200, 204))
            assert isinstance(resp, requests.Response)
            if resp.status_code == 204 or not resp.content:
                break
            doc = self.http.json_of(resp, f"GET {base}")
            anns = doc.get("video_annotations") or []
            top = start - 1
            for a in anns:
                frame = int((a.get("media_identifier") or {}).get("frame_index", -1))
                if frame < 0:
                    continue
                scene = scene_from_api(a, self.idx, self.project(), self.d, media.width, media.height, frame=frame)
                if scene is not None:
                    scenes[frame] = scene
                top = max(top, frame)
            props = doc.get("video_annotation_properties") or {}
            total = props.get("total_count")
            if not anns or top < start or (isinstance(total, int) and len(anns) >= total):
                break
            if len(anns) < self.d.video_annotation_page:
                break
            start = top + 1
        return [scenes[f] for f in sorted(scenes)]

    def _ranges(self, d: str, media: Media) -> list[Any]:
        assert media.source_id is not None
        url = self.d.media(d, "video", media.source_id) + "/range_annotation"
        try:
            doc = self.http.get_json(url)
        except HttpError:
            return []  # a task type without ranges
        return ranges_from_api(doc or {}, self.idx)

    # ------------------------------------------------------------------ models

    def models(self) -> Iterator[ModelArtifact]:
        """Model groups, model details and exported files (the engine asks only with ``--with-models``)."""
        self.project()
        p = self.d.project(self.conn.w, self.pid)
        groups = self.http.get_json(f"{p}/model_groups").get("model_groups") or []
        for g in groups:
            summary = {k: v for k, v in g.items() if k != "models"}
            summary["task_title"] = self.idx.task_title_by_id.get(str(g.get("task_id")))
            for m in g.get("models") or []:
                base = f"{p}/model_groups/{g['id']}/models/{m['id']}"
                detail = self.http.get_json(base)
                files = [self._model_file("base.zip", f"{base}/export", detail.get("size"))]
                for opt_model in detail.get("optimized_models") or []:
                    files.append(self._model_file(
                        f"optimized-{opt_model['id']}.zip", f"{base}/optimized_models/{opt_model['id']}/export",
                        opt_model.get("size"),
                    ))
                yield ModelArtifact(key=f"model-{m['id']}", metadata={"model_group": summary, "model": detail},
                                    files=files)

    def _model_file(self, name: str, path: str, size: Any) -> ModelFile:
        return ModelFile(name, lambda: DownloadStream(self.http, path), size if isinstance(size, int) else None)  # type: ignore[arg-type,return-value]

    def close(self) -> None:
        self.http.close()
