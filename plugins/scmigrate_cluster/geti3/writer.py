"""Writing one interchange project to Geti 3.x: create the target project(s), then upload items.

``begin`` decides the mapping (:mod:`.mapping`) — one 3.x project, or one per task of a chain —
refuses a name clash (3.x allows duplicate names, which would hide which copy is which) and, under
``--strict``, any loss; it creates the projects with their chosen ids and labels, the dataset
views, and re-applies a 3.x source's training configuration. ``write`` (many threads) uploads each
media once per target project, posts its annotations (with the subset a 3.x source had) and adds
it to its views. ``finish`` reports the projects, the label ids and what could not be kept.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections import Counter
from typing import Any

from scmigrate.api import RunOptions, Writer, WriteResult
from scmigrate.errors import InputError, PluginError
from scmigrate.model import Item, ModelArtifact, Project
from scmigrate.scratch import KeySet
from scmigrate.spool import Spool

from ..connection import opt
from ..http import HttpError
from .api import Geti3Connection
from .mapping import Mapping, Target, plan_targets
from .reader import RAW_KEY
from .scenes import scene_to_geti3
from .uploads import upload

__all__ = ["Geti3Writer", "preflight"]

log = logging.getLogger("scmigrate.cluster")


def _refuse_2x_options(conn: Geti3Connection, options: RunOptions) -> None:
    """Options of the 2.x sink that mean nothing here: refused rather than silently ignored."""
    for name in ("into-existing", "auto-train", "set"):
        if opt(options, name):
            raise InputError(f"{conn.http.label}: --{name} is not supported for a Geti 3.x target")


def preflight(conn: Geti3Connection, target: Project, options: RunOptions) -> list[str]:
    """``--dry-run``: the mapping, every loss, and what the real run would refuse (refused now)."""
    _refuse_2x_options(conn, options)
    mapping = plan_targets(target, views=conn.dialect.views is not None)
    if options.strict:
        mapping.refuse_losses(conn.http.label)
    lines = [f"{conn.http.label}: Geti {conn.version} (dialect geti3, no authentication)"] + mapping.lines
    if options.resume:
        return lines + ["continues the project(s) of the interrupted run"]
    for t in mapping.targets:
        _refuse_clash(conn, t)
    return lines


def _refuse_clash(conn: Geti3Connection, t: Target) -> None:
    if conn.find(t.name) is not None:
        raise InputError(f"{conn.http.label}: a project named {t.name!r} already exists; choose another name "
                         "with --to-project (or remove that project)")


class Geti3Writer(Writer):
    """The Geti 3.x project(s) made from one source project."""

    def __init__(self, conn: Geti3Connection, options: RunOptions) -> None:
        _refuse_2x_options(conn, options)
        self.conn, self.http, self.options = conn, conn.http, options
        self.source_project_id: str | None = None
        self.mapping: Mapping | None = None
        self.empty: frozenset[str] = frozenset()
        self.raw: dict[str, Any] = {}
        self.state: dict[str, Any] = {}
        self.check_existing = False
        self.refused: list[str] = []
        self.notes: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._existing: dict[str, dict[str, list[tuple[Any, str]]]] = {}
        self._claimed = KeySet()  # the ids of the media this run uploaded or took: on disk past a bound
        #: (item key, target id) → media document: an item retried after its annotations failed
        #: keeps the media it uploaded instead of uploading it again
        self._uploaded: dict[tuple[str, str], dict[str, Any]] = {}
        self._view_members: dict[str, list[str]] = {}

    @property
    def targets(self) -> list[Target]:
        assert self.mapping is not None
        return self.mapping.targets

    # ------------------------------------------------------------------ begin

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        self.mapping = plan_targets(project, views=self.conn.dialect.views is not None)
        if self.options.strict:
            self.mapping.refuse_losses(self.http.label)
        self.empty = frozenset(lb.name for lb in project.labels() if lb.is_empty)
        self.source_project_id = (project.origin or {}).get("project_id")
        self.raw = dict(project.configuration.raw.get(RAW_KEY) or {})
        for view in self.raw.get("dataset_views") or []:
            for key in view.get("media") or []:
                self._view_members.setdefault(str(key), []).append(str(view["name"]))
        if state and state.get("projects"):
            for t in self.targets:
                if self.conn.get_project(t.id) is None:
                    raise InputError(f"{self.http.label}: the project {t.name!r} of the interrupted run ({t.id}) "
                                     "is gone; start again without --resume")
            self.check_existing = True  # items in flight when the run stopped may have arrived
            self.state = dict(state)
            return dict(self.state)
        # the interrupted run's journal said it was creating the projects, not whether it did; the ids
        # are ours and stable, so a project with one is the one it created (holding none of our items
        # yet, or, after --resume without a journal, some: those are skipped)
        continuing = bool(state and state.get("begin_unconfirmed")) or self.options.resume
        todo = []
        for t in self.targets:
            if continuing and self.conn.get_project(t.id) is not None:
                self.check_existing = True
                continue
            _refuse_clash(self.conn, t)
            if self.conn.get_project(t.id) is not None:
                raise InputError(f"{self.http.label}: this server already holds this migration as project {t.id} "
                                 "(renamed since); remove it, or choose another name with --to-project")
            todo.append(t)
        created: list[Target] = []
        try:
            for t in todo:
                self._create(t)
                created.append(t)
            views = self._views(project)
            self._training_configuration()
        except BaseException:
            for t in created:  # a project we just made holds nothing yet: leave nothing behind
                try:
                    self.http.request("DELETE", self.conn.project(t.id), retries=1)
                except Exception as exc:  # noqa: BLE001 - the error that brought us here is the one to show
                    log.warning("%s: could not remove the project %s this run created (%s)", self.http.label,
                                t.id, type(exc).__name__)
            raise
        self.state = {"projects": [{"name": t.name, "id": t.id} for t in self.targets], "views": views}
        return dict(self.state)

    def _create(self, t: Target) -> None:
        try:
            self.http.send_json("POST", "/api/projects", t.create_body(), idempotent=False,
                                on_unknown=lambda: self.conn.get_project(t.id))
        except HttpError as exc:
            raise InputError(f"{self.http.label}: cannot create project {t.name!r}: {exc}") from None

    def _views(self, project: Project) -> dict[str, dict[str, str]]:
        """Target id → view name → view id: the source's 3.x views, else one per source dataset."""
        names = [str(v["name"]) for v in self.raw.get("dataset_views") or []]
        if not names and len(project.datasets) > 1:
            names = [d.name for d in project.datasets]
        out: dict[str, dict[str, str]] = {}
        for t in self.targets:
            path = self.conn.views(t.id)
            if path is None or not names:
                continue
            out[t.id] = {}
            for name in names:
                try:
                    doc = self.http.send_json("POST", path, {"name": name})
                except HttpError as exc:
                    if exc.status != 409:
                        raise
                    doc = next(v for v in self.http.get_json(path) if v.get("name") == name)
                out[t.id][name] = str(doc["id"])
        return out

    def _training_configuration(self) -> None:
        """A 3.x source's changed training parameters, per architecture; refusals are reported."""
        task_type = (self.raw.get("task") or {}).get("task_type")
        for t in self.targets:
            if t.task_type != task_type or not self.conn.dialect.training_configuration:
                continue
            for arch, params in (self.raw.get("training_configuration") or {}).items():
                try:
                    self.http.send_json("PATCH", f"/api/projects/{t.id}/training_configuration", params,
                                        params={"model_architecture_id": arch})
                except HttpError as exc:
                    self.refused.append(f"training configuration of {arch}: {exc}")

    # ------------------------------------------------------------------ items

    def write(self, item: Item) -> WriteResult:
        item.resolve()
        m = item.media
        filename = os.path.basename(m.filename) or f"{m.name}{m.extension}"
        stem = os.path.splitext(filename)[0]  # what 3.x names the media
        what = f"{m.dataset}/{filename}"
        notes: list[str] = []
        if item.ranges:
            notes.append(f"{len(item.ranges)} range annotation(s) not kept (3.x has none)")
        bodies = {t.id: self._bodies(item, t, notes) for t in self.targets} if m.width and m.height else None
        if self.options.strict and notes:
            raise InputError(f"{what}: moving to Geti 3.x would lose: {'; '.join(dict.fromkeys(notes))} (--strict)")
        ids: dict[str, str] = {}
        size = 0
        spool: Spool | None = None
        try:
            for t in self.targets:
                with self._lock:
                    doc = self._uploaded.get((item.key, t.id))
                if doc is None and self.check_existing:
                    doc = self._find_existing(t, stem, m.size)
                if doc is None:
                    if spool is None:
                        spool = Spool(item.open(), expected=m.size)
                        # the bytes sent are the bytes the source vouched for, or the item fails naming them
                        spool.check(m.sha256, what=f"{what}: media bytes")
                    doc = upload(self.http, self.conn.media(t.id), spool, filename, what, self.conn.dialect.tus,
                                 functools.partial(self._lookup, t, stem, spool.size))
                    size += spool.size
                    with self._lock:
                        self._uploaded[(item.key, t.id)] = doc
                mid = str(doc["id"])
                ids[t.name] = mid
                if bodies is None:
                    item.media.width, item.media.height = doc.get("width"), doc.get("height")
                    mine = self._bodies(item, t, notes)
                    if self.options.strict and notes:  # the size was known only after the upload
                        raise InputError(f"{what}: moving to Geti 3.x would lose: "
                                         f"{'; '.join(dict.fromkeys(notes))} (--strict)")
                else:
                    mine = bodies[t.id]
                self._post(t, mid, m.key, mine, what)
                self._assign(t, mid, m)
        finally:
            if spool is not None:
                spool.close()
        with self._lock:
            self.notes.update(dict.fromkeys(notes, 1))
            for t in self.targets:
                self._uploaded.pop((item.key, t.id), None)
        out = {"media": ids[self.targets[0].name]} if len(self.targets) == 1 else ids
        return WriteResult(ids=out, bytes=size, notes=list(dict.fromkeys(notes)))

    def _bodies(self, item: Item, t: Target, notes: list[str]) -> list[tuple[int | None, list[Any]]]:
        """``(frame, annotations)`` to post for ``t``; scenes that map to nothing are left out."""
        m = item.media
        out = []
        for scene in item.scenes or []:
            if (m.kind == "image") != (scene.frame is None):
                continue
            anns = scene_to_geti3(scene, t, self.empty, int(m.width or 0), int(m.height or 0), notes)
            if anns is not None:
                out.append((scene.frame, anns))
        return out

    def _post(self, t: Target, mid: str, key: str, bodies: list[tuple[int | None, list[Any]]], what: str) -> None:
        subsets = self.raw.get("subsets") or {}
        path = self.conn.media(t.id, mid) + "/annotations"
        for frame, anns in bodies:
            body: dict[str, Any] = {"annotations": anns}
            subset = subsets.get(key if frame is None else f"{key}@{frame}")
            if subset:
                body["subset"] = subset
            try:
                self.http.send_json("POST", path, body, params={"frame_index": frame} if frame is not None else None)
            except HttpError as exc:
                kind = InputError if exc.status in (400, 422) else PluginError
                where = f" frame {frame}" if frame is not None else ""
                raise kind(f"{what}{where}: the server refused the annotations: {exc}") from None

    def _assign(self, t: Target, mid: str, m: Any) -> None:
        views = (self.state.get("views") or {}).get(t.id) or {}
        wanted = self._view_members.get(m.key) or ([m.dataset] if not self.raw.get("dataset_views") else [])
        path = self.conn.views(t.id)
        for name in wanted:
            if name in views and path:
                suffix = "/media:assign" if self.conn.dialect.views_assign_suffix else "/media"
                self.http.send_json("POST", f"{path}/{views[name]}{suffix}", {"media_ids": [mid]})

    def _index(self, t: Target) -> dict[str, list[tuple[Any, str]]]:
        index: dict[str, list[tuple[Any, str]]] = {}
        for doc in self.conn.paged(self.conn.media(t.id)):
            index.setdefault(str(doc["name"]), []).append((doc.get("size"), str(doc["id"])))
        return index

    def _find_existing(self, t: Target, name: str, size: int | None) -> dict[str, Any] | None:
        """Media already in the target with this name (and size, when known): a resumed run's."""
        with self._lock:
            if t.id not in self._existing:
                self._existing[t.id] = self._index(t)
            for size_of, mid in self._existing[t.id].get(name, []):
                if (size is None or size_of == size) and mid not in self._claimed:
                    self._claimed.add(mid)
                    return self.http.get_json(self.conn.media(t.id, mid))
        return None

    def _lookup(self, t: Target, stem: str, size: int) -> dict[str, Any] | None:
        """After an upload with an unknown outcome: the media it may have created (newest first)."""
        for doc in self.conn.paged(self.conn.media(t.id), {"sort_direction": "desc"}):
            with self._lock:
                if doc.get("name") == stem and doc.get("size") == size and str(doc["id"]) not in self._claimed:
                    self._claimed.add(str(doc["id"]))
                    return doc
        return None

    # ------------------------------------------------------------------ end

    def write_model(self, model: ModelArtifact) -> WriteResult:
        return WriteResult(skipped=True, notes=["Geti 3.x cannot import models (retrain on the server)"])

    def finish(self, complete: bool) -> dict[str, Any]:
        targets = self.targets if self.mapping is not None else []
        return {
            "cluster": self.http.base_url, "dialect": "geti3",
            "projects": [{"name": t.name, "id": t.id, "task_type": t.task_type, "exclusive_labels": t.exclusive,
                          "source_task": t.source_task, "label_ids": {lb.name: lb.id for lb in t.labels}}
                         for t in targets],
            "project_id": targets[0].id if len(targets) == 1 else None,
            "source_project_id": self.source_project_id,
            "losses": list(self.mapping.losses) if self.mapping is not None else [],
            "item_notes": dict(self.notes),
            "refused_settings": list(self.refused),
            "http": self.http.stats.to_dict(self.http.limiter),
        }

    def close(self) -> None:
        self.http.close()
