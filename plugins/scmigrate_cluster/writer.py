"""Writing one project to a cluster: create (or resume, or continue into) it, then upload items.

``begin`` creates the project and its datasets, validates ``--set`` against the target's own
configuration documents (deleting a project it just created if they are wrong, so a typo
leaves nothing behind), carries the source's settings over where the target accepts them and
switches auto-training off. ``write`` uploads one media with its original file name and posts
its scenes; it is called from many threads. ``finish`` restores auto-training.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import requests

from scmigrate.api import RunOptions, Writer, WriteResult
from scmigrate.errors import InputError, PluginError, ScmigrateError
from scmigrate.model import Item, ModelArtifact, Project
from scmigrate.spool import Spool

from .connection import Connection, opt
from .http import HttpError
from .posted import ranges_arrived, remove_duplicates, scene_arrived
from .projects import (
    create_body,
    edit_labels,
    find_project,
    generated_labels_put,
    label_ids,
    project_from_api,
)
from .scenes import ranges_to_api, scene_to_api
from .settings import TargetSettings, parse_sets
from .uploads import ITEM_FAULTS, MediaUploads

__all__ = ["ClusterWriter"]

log = logging.getLogger("scmigrate.cluster")

_ON = {"on", "true", "1", "yes"}
_OFF = {"off", "false", "0", "no"}


class ClusterWriter(Writer):
    """A project on a connected cluster, created or continued by ``begin``."""

    def __init__(self, conn: Connection, options: RunOptions) -> None:
        self.conn, self.http, self.d = conn, conn.http, conn.dialect
        self.options = options
        self.into_existing = bool(opt(options, "into-existing", False))
        auto = opt(options, "auto-train")
        if auto is not None and str(auto).lower() not in _ON | _OFF:
            raise InputError(f"--auto-train {auto!r}: expected on or off")
        self.auto_train: bool | None = None if auto is None else str(auto).lower() in _ON
        self.sets = parse_sets(opt(options, "set"))
        self._lock = threading.Lock()
        self.media = MediaUploads(self.http, self.d)
        self._uploaded: dict[str, dict[str, Any]] = {}
        self.refused: list[str] = []
        self.pid = ""
        self.ids: dict[str, str] = {}
        self.empty_id: str | None = None
        self.datasets: dict[str, str] = {}
        self.check_existing = self.into_existing
        self.settings: TargetSettings | None = None
        self.state: dict[str, Any] = {}
        #: a project POST whose outcome was unknown was sent again: a late copy may appear
        self.project_unsure = False
        self._project_name = ""

    # ------------------------------------------------------------------ begin

    def begin(self, project: Project, state: dict[str, Any] | None) -> dict[str, Any]:
        created = False
        w = self.conn.w
        doc: dict[str, Any] | None
        if state and state.get("project_id"):
            try:
                doc = self.d.project_doc(self.http.get_json(self.d.project(w, state["project_id"])))
            except HttpError as exc:
                raise InputError(
                    f"{self.http.label}: the project of the interrupted run ({state['project_id']}) is gone: {exc}"
                ) from None
            self.check_existing = True  # items in flight when the run stopped may have arrived
            self.state = dict(state)
        else:
            doc = find_project(self.conn, project.name)
            # [issue 9] the interrupted run's journal says it was creating the project, not whether it
            # did: a project of that name is the one it created (its begin never finished, so no item
            # of ours is in it yet); finish its begin as if this run had created it
            intended = bool(state and state.get("begin_unconfirmed"))  # scmigrate.engine.journal.UNCONFIRMED
            if doc is not None and intended:
                created = self.check_existing = True
            elif doc is not None and (self.into_existing or self.options.resume):
                # --resume without a journal (a kill after a complete run removed it): what the
                # project holds is skipped, as with --into-existing
                self.check_existing = True
            elif doc is not None:
                raise InputError(
                    f"{self.http.label}: a project named {project.name!r} already exists; pass --into-existing "
                    "to add to it (media already there are skipped) or choose another name with --to-project"
                )
            if doc is None:
                doc = self._create(project)
                created = True
            # [/issue 9]
            self.state = {"project_id": str(doc["id"]), "created": created}
        assert doc is not None  # found, resumed or created above
        self.pid = str(doc["id"])
        self._project_name = project.name
        try:
            return self._prepare(project, doc, created)
        except BaseException:
            # a refusal (a --set the target rejects, a dataset it will not create) or a lost cluster:
            # a project we just created holds nothing yet, so leave nothing behind; one we continue
            # into gets its auto-training back if we had switched it off
            if created:
                self._delete_created()
            elif self.settings is not None and "auto_training_restore" in self.state:
                self._restore_auto_training(retries=1)
            raise

    def _prepare(self, project: Project, doc: dict[str, Any], created: bool) -> dict[str, Any]:
        """After the project exists: labels, settings, auto-training off, datasets; the writer's state."""
        if created:
            doc = self._align_generated_labels(project, doc)
        _, idx = project_from_api(doc, {})
        self.ids, self.empty_id = label_ids(project, idx)
        missing = [lb.name for lb in project.labels() if lb.name not in self.ids and not lb.is_empty]
        if missing:
            names = ", ".join(repr(n) for n in missing)
            hint = "" if created else "; --into-existing needs a project with the same labels"
            raise InputError(f"{self.http.label}: project {project.name!r} has no label {names}{hint}")
        trainable = [t["title"] for t in doc["pipeline"]["tasks"] if t["task_type"] not in ("dataset", "crop")]
        self.settings = TargetSettings(self.conn, self.pid, idx, trainable)
        typed = self.settings.validate_sets(self.sets)
        if "auto_training_restore" not in self.state:
            # what finish() sets: the source's switch per task where it has one, else the target's own
            # (a project we continue into keeps its own settings; only --set/--auto-train change them)
            restore = self.settings.auto_training()
            if created:
                restore.update({t: bool(v) for t, v in project.configuration.auto_training.items() if t in restore})
            self.state["auto_training_restore"] = restore
            self._carry_settings(project if created else None, typed)
        self.settings.set_auto_training({t: False for t in trainable})
        self._map_datasets(project, doc)
        self.state["datasets"] = dict(self.datasets)
        return dict(self.state)

    def _delete_created(self) -> None:
        """Remove the project this run created in ``begin`` (best effort: the cluster may be gone)."""
        try:
            self.http.request("DELETE", self.d.project(self.conn.w, self.pid), retries=1)
        except Exception as exc:  # noqa: BLE001 - the error that brought us here is the one to show
            log.warning("%s: could not remove the project %s this run created (%s); remove it or pass "
                        "--into-existing next time", self.http.label, self.pid, type(exc).__name__)

    def _create(self, project: Project) -> dict[str, Any]:
        path = f"{self.conn.w}/projects"

        def lookup() -> Any:
            found = find_project(self.conn, project.name)
            self.project_unsure = self.project_unsure or found is None  # sent again: see _remove_duplicates
            return found

        try:
            doc = self.http.send_json("POST", path, self.d.create_body(create_body(project)), idempotent=False,
                                      on_unknown=lookup)
        except HttpError as exc:
            raise InputError(f"{self.http.label}: cannot create project {project.name!r}: {exc}") from None
        if not doc.get("datasets"):
            doc = self.http.get_json(self.d.project(self.conn.w, doc["id"]))
        return self.d.project_doc(doc)

    def _align_generated_labels(self, project: Project, doc: dict[str, Any]) -> dict[str, Any]:
        """Give the labels the cluster generated the source's name, colour and hotkey; a refusal is reported."""
        put = generated_labels_put(project, doc)
        if put is None:
            return doc
        path = self.d.project(self.conn.w, doc["id"])
        try:
            put = self.d.edit_body(put)
            return self.d.project_doc(self.http.send_json("PUT", path, put) or self.http.get_json(path))
        except HttpError as exc:
            self.refused.append(f"names/colours/hotkeys of the cluster's generated labels: {exc}")
            return doc

    def _carry_settings(self, project: Project | None, typed_sets: dict[str, dict[str, Any]]) -> None:
        """Re-apply the source's training parameters where accepted, then ``--set`` on top."""
        assert self.settings is not None
        for title in self.settings.tasks:
            source = project.configuration.training_parameters.get(title) or {} if project is not None else {}
            accepted, refused = self.settings.carry(title, source)
            self.refused.extend(refused)
            accepted.update(typed_sets.get(title, {}))
            problems = self.settings.apply(title, accepted)
            if problems and typed_sets.get(title):
                raise InputError(problems[0])
            self.refused.extend(problems)

    def _map_datasets(self, project: Project, doc: dict[str, Any]) -> None:
        dp = f"{self.d.project(self.conn.w, self.pid)}/datasets"
        have = {d["name"]: str(d["id"]) for d in doc.get("datasets") or []}
        training = next((d for d in doc.get("datasets") or [] if d.get("use_for_training")), None)
        src_training = project.training_dataset()
        if training is not None:
            if src_training.name not in have and not self.into_existing:
                self.http.send_json("PUT", f"{dp}/{training['id']}", {"name": src_training.name})
                have.pop(training["name"], None)
                have[src_training.name] = str(training["id"])
            self.datasets[src_training.name] = have.get(src_training.name, str(training["id"]))
        for ds in project.datasets:
            if ds.name not in self.datasets:
                self.datasets[ds.name] = have.get(ds.name) or self._create_dataset(dp, ds.name)

    def _create_dataset(self, dp: str, name: str) -> str:
        def lookup() -> Any:
            found = [d for d in self.http.get_json(dp).get("datasets", []) if d.get("name") == name]
            return found[0] if found else None

        try:
            doc = self.http.send_json("POST", dp, {"name": name}, idempotent=False, on_unknown=lookup)
        except HttpError as exc:
            if exc.status != 409:
                raise
            doc = lookup()
        return str(doc["id"])

    def _dataset(self, name: str) -> str:
        with self._lock:
            if name not in self.datasets:
                dp = f"{self.d.project(self.conn.w, self.pid)}/datasets"
                self.datasets[name] = self._create_dataset(dp, name)
            return self.datasets[name]

    # ------------------------------------------------------------------ items

    def write(self, item: Item, look: bool | None = None) -> WriteResult:
        """``look``: first look for the media on the target (default: with --into-existing or resuming)."""
        item.resolve()
        m = item.media
        if m.kind == "video" and not self.d.holds_videos:
            raise InputError(f"{m.dataset}/{m.filename}: {self.http.label} ({self.d.name}) cannot hold videos")
        did = self._dataset(m.dataset or "Dataset")
        dpath = self.d.dataset(self.conn.w, self.pid, did)
        filename = os.path.basename(m.filename) or f"{m.name}{m.extension}"
        stem = os.path.splitext(filename)[0]
        look = self.check_existing if look is None else look
        found = self.media.find_existing(dpath, m.kind, stem, m.size) if look else None
        if found is not None:
            self._post_scenes(item, dpath, found, skip_present=True)
            return WriteResult(ids={"media": str(found["id"])}, skipped=True, notes=["already on the cluster"])
        with self._lock:
            doc = self._uploaded.get(item.key)  # a retried item: its media arrived, its scenes did not
        size = 0
        if doc is None:
            with Spool(item.open(), expected=m.size) as spool:
                # the bytes sent are the bytes the source vouched for, or the item fails naming them
                spool.check(m.sha256, what=f"{m.dataset}/{filename}: media bytes")
                doc = self.media.upload(dpath, m, filename, stem, spool)
            size = spool.size
            with self._lock:
                self._uploaded[item.key] = doc
        self._post_scenes(item, dpath, doc)
        with self._lock:
            self._uploaded.pop(item.key, None)
        return WriteResult(ids={"media": str(doc["id"])}, bytes=size)

    def _annotated(self, dpath: str, kind: str, mid: str, frame: int | None = None) -> bool:
        """Whether the image (or one video frame) on the target has a latest annotation."""
        resp = self.http.request("GET", self.d.annotations(dpath, kind, mid, frame) + "/latest", ok=(200, 204, 404))
        assert isinstance(resp, requests.Response)
        if resp.status_code != 200 or not resp.content:
            return False
        return bool(self.http.json_of(resp, "annotations/latest").get("annotations"))

    def _post_scenes(self, item: Item, dpath: str, doc: dict[str, Any], skip_present: bool = False) -> None:
        """Post the item's ranges and scenes; with ``skip_present`` (media already on the target), only
        the scenes it lacks: a run can stop between two frames of a video, so each frame is checked."""
        m = item.media
        mid = str(doc["id"])
        info = doc.get("media_information") or {}
        width, height = info.get("width") or m.width, info.get("height") or m.height
        what = f"{m.dataset}/{m.filename}"
        if skip_present and m.kind == "image" and self._annotated(dpath, "image", mid):
            return
        if m.kind == "video" and item.ranges:
            # ranges make the cluster annotate frames itself: re-post them and every frame over them
            # (the latest scene ends up the same), rather than take a generated frame for ours
            skip_present = False
            url = self.d.media(dpath, "video", mid) + "/range_annotation"
            ranges = ranges_to_api(item.ranges, self.ids, what)
            self._send(what, url, ranges, lambda: ranges_arrived(self.http, url, ranges))
        for scene in item.scenes or []:
            if m.kind == "image" and scene.frame is not None:
                continue
            frame = scene.frame if m.kind == "video" else None
            if m.kind == "video" and frame is None:
                continue
            body = scene_to_api(scene, self.ids, self.empty_id, self.d, width, height, what)
            if not body["annotations"]:
                continue
            if skip_present and frame is not None and self._annotated(dpath, "video", mid, frame):
                continue
            url = self.d.annotations(dpath, m.kind, mid, frame)
            self._send(what, url, body, functools.partial(scene_arrived, self.http, self.d, url, body, width, height))

    def _send(self, what: str, path: str, body: Any, arrived: Callable[[], Any]) -> None:
        """POST annotations; after an unknown outcome ``arrived`` says whether they are there already."""
        try:
            self.http.send_json("POST", path, body, idempotent=False, on_unknown=arrived)
        except HttpError as exc:
            kind = InputError if exc.status in ITEM_FAULTS else PluginError
            raise kind(f"{what}: the cluster refused the annotations: {exc}") from None

    # ------------------------------------------------------------------ sync (scmigrate sync)

    def edit_labels(self, project: Project, add: list[str], delete: list[str]) -> None:
        """Add ``project``'s labels ``add`` to the existing target project, delete ``delete``; before ``begin``."""
        edit_labels(self.conn, project, add, delete)

    def add_media(self, item: Item) -> WriteResult:
        """Upload ``item`` with its scenes: the sync's listing of the target says it lacks it."""
        return self.write(item, look=False)

    def replace_scenes(self, item: Item, media_id: str) -> WriteResult:
        """Make the media ``media_id`` (already on the target) carry ``item``'s scenes: posting a scene
        makes it the media's latest, which is what a reader sees. Called after ``begin``."""
        item.resolve()
        m = item.media
        dpath = self.d.dataset(self.conn.w, self.pid, self._dataset(m.dataset or "Dataset"))
        self._post_scenes(item, dpath, {"id": media_id})
        return WriteResult(ids={"media": media_id})

    def delete_media(self, dataset: str, kind: str, media_id: str) -> None:
        """Remove one media (and its annotations) from the target project. Called after ``begin``."""
        dpath = self.d.dataset(self.conn.w, self.pid, self._dataset(dataset or "Dataset"))
        try:
            self.http.request("DELETE", self.d.media(dpath, kind, media_id), ok=(200, 204))
        except HttpError as exc:
            raise PluginError(f"{dataset}/{media_id}: the cluster refused to delete the media: {exc}") from None

    # ------------------------------------------------------------------ end

    def write_model(self, model: ModelArtifact) -> WriteResult:
        return WriteResult(skipped=True, notes=["clusters do not accept model uploads"])

    def finish(self, complete: bool) -> dict[str, Any]:
        facts: dict[str, Any] = {"project_id": self.pid, "cluster": self.http.base_url}
        if self.settings is not None:
            # restored even when items failed: a project left with auto-training off looks normal and
            # silently never trains again; a --resume switches it off again for its own upload
            restored = self._restore_auto_training()
            if restored is not None:
                facts["auto_training"] = restored
        facts["refused_settings"] = list(self.refused)
        removed = remove_duplicates(self.conn, self.media, self.pid, self._project_name, self.project_unsure)
        if removed:
            facts["duplicates_removed"] = removed
        facts["http"] = self.http.stats.to_dict(self.http.limiter)
        return facts

    def abort(self) -> None:
        """Interrupted (Ctrl-C, a fatal error): give the project its auto-training back, quickly."""
        if self.settings is not None:
            # the workers have stopped; a user who pressed Ctrl-C at a hung cluster should not wait minutes
            self.http.timeout = (5.0, 10.0)
            self._restore_auto_training(retries=1)

    def _restore_auto_training(self, retries: int | None = None) -> dict[str, bool] | None:
        """Switch auto-training to what it should be after the upload; None (reported) if the cluster refused."""
        assert self.settings is not None
        wanted = {t: bool(v) for t, v in (self.state.get("auto_training_restore") or {}).items()}
        if self.auto_train is not None:
            wanted = {t: self.auto_train for t in self.settings.tasks}
        try:
            self.settings.set_auto_training(wanted, retries=retries)
            return wanted
        except ScmigrateError as exc:
            line = f"auto-training: could not switch it back to {wanted}: {exc}"
            self.refused.append(line)
            if any(wanted.values()):  # left off where it should be on: say so now, not only in the report
                log.warning("%s: auto-training of project %s is still OFF (%s); a --resume that completes "
                            "switches it back on, or switch it on in the cluster's UI",
                            self.http.label, self.pid, type(exc).__name__)
            return None

    def close(self) -> None:
        self.http.close()

