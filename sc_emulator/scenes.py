"""Storage side of annotation scenes: saving a new "latest" scene and summarising scenes per media.

Validation, coordinate normalisation, rendering and per-task states are the domain rules of
``sc_emulator.rules.annotations``; this module only persists their results. Each scene row keeps
the label ids it uses and its per-task states beside the document, so ``media:query`` can filter on
labels and annotation state without loading every scene.
"""

from __future__ import annotations

from typing import Any

from .ids import new_uuid, now_iso, object_id
from .rules.pipeline import trainable_tasks
from .store import Store, dumps, loads

IMAGE_FRAME = -1  # frame_index of an image's scenes


def media_state(states: list[dict[str, Any]]) -> str:
    """The media-level ``annotation_scene_state`` used by ``media:query`` from the per-task states."""
    values = [s.get("state") for s in states]
    if values and all(v in ("annotated", "to_revisit") for v in values):
        return "annotated"
    if any(v in ("annotated", "partially_annotated", "to_revisit") for v in values):
        return "partially_annotated"
    return "unannotated"


def empty_states(project: dict[str, Any], value: str | None = "none") -> list[dict[str, Any]]:
    return [{"task_id": t["id"], "state": value} for t in trainable_tasks(project)]


def build_scene(project: dict[str, Any], width: int, height: int, body: Any, identifier: dict[str, Any],
                user_id: str) -> dict[str, Any]:
    """Validate a posted scene (``rules.annotations``) and return the stored scene document (normalised shapes)."""
    from .rules.annotations import state_per_task, validate_scene

    stored = validate_scene(project, width, height, body, new_uuid)
    modified = now_iso()
    for ann in stored:
        ann.setdefault("modified", modified)
        for label in ann.get("labels", []):
            label.setdefault("source", {"user_id": user_id, "model_id": None, "model_storage_id": None})
    revisit = body.get("labels_to_revisit_full_scene", []) if isinstance(body, dict) else []
    return {"id": object_id(), "kind": "annotation", "media_identifier": identifier, "modified": modified,
            "labels_to_revisit_full_scene": revisit if isinstance(revisit, list) else [],
            "annotation_state_per_task": state_per_task(project, stored), "annotations": stored}


def render_scene(doc: dict[str, Any], width: int, height: int, label_only: bool = False,
                 named_from: dict[str, Any] | None = None) -> dict[str, Any]:
    """The scene as the API answers it: pixel shapes rounded by the rules; no shapes with ``label_only``;
    with ``named_from`` (a project document) each label also carries its name and colour, as servers before
    Geti 1.16 sent them (geti-sdk 1.x writes the labels of a download as served and uploads them by name)."""
    from .rules.annotations import render_annotations
    from .rules.pipeline import label_index

    out = {k: v for k, v in doc.items() if k != "annotations"}
    rendered = render_annotations(doc["annotations"], width, height)
    if label_only:
        rendered = [{k: v for k, v in ann.items() if k != "shape"} for ann in rendered]
    if named_from is not None:
        index = label_index(named_from, include_deleted=True)
        for ann in rendered:
            ann["labels"] = [{**lab, "name": index[lab["id"]][1]["name"], "color": index[lab["id"]][1]["color"]}
                             if lab.get("id") in index else lab for lab in ann.get("labels", [])]
    out["annotations"] = rendered
    return out


def save_scene(conn: Any, media_id: str, frame_index: int, doc: dict[str, Any]) -> None:
    """Insert ``doc`` as the new latest scene of (media, frame); older scenes stay as history."""
    labels = sorted({lab["id"] for ann in doc["annotations"] for lab in ann.get("labels", [])})
    conn.execute("UPDATE scenes SET latest = 0 WHERE media_id = ? AND frame_index = ? AND latest = 1",
                 (media_id, frame_index))
    conn.execute("INSERT INTO scenes (id, media_id, frame_index, latest, created, labels, state, doc) "
                 "VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
                 (doc["id"], media_id, frame_index, doc["modified"], dumps(labels),
                  dumps(doc["annotation_state_per_task"]), dumps(doc)))


def latest_scene(store: Store, media_id: str, frame_index: int) -> dict[str, Any] | None:
    row = store.one("SELECT doc FROM scenes WHERE media_id = ? AND frame_index = ? AND latest = 1",
                    (media_id, frame_index))
    return loads(row["doc"]) if row else None


class SceneSummary:
    """Latest-scene facts of one media item (all frames together for videos)."""

    def __init__(self) -> None:
        self.labels: set[str] = set()
        self.frames: dict[int, dict[str, Any]] = {}  # frame_index -> {"state", "labels", "id", "created"}

    def add(self, row: Any) -> None:
        labels = set(loads(row["labels"]))
        self.labels |= labels
        self.frames[row["frame_index"]] = {"states": loads(row["state"]), "labels": labels, "id": row["id"],
                                           "created": row["created"]}

    @property
    def image(self) -> dict[str, Any] | None:
        return self.frames.get(IMAGE_FRAME)

    def state(self) -> str:
        """Media-level state: an image's own, or for a video annotated when any frame is annotated."""
        if IMAGE_FRAME in self.frames:
            return media_state(self.frames[IMAGE_FRAME]["states"])
        frame_states = [media_state(f["states"]) for f in self.frames.values()]
        if frame_states and all(s == "annotated" for s in frame_states):
            return "annotated"
        return "partially_annotated" if frame_states else "unannotated"

    def last_created(self) -> str:
        return max((f["created"] for f in self.frames.values()), default="")


def summaries(store: Store, dataset_id: str) -> dict[str, SceneSummary]:
    """Media id → summary of its latest scenes, for every media of a dataset."""
    rows = store.all("SELECT s.id, s.media_id, s.frame_index, s.labels, s.state, s.created FROM scenes s "
                     "JOIN media m ON m.id = s.media_id WHERE m.dataset_id = ? AND s.latest = 1", (dataset_id,))
    out: dict[str, SceneSummary] = {}
    for row in rows:
        out.setdefault(row["media_id"], SceneSummary()).add(row)
    return out


def summaries_of(store: Store, media_ids: list[str]) -> dict[str, SceneSummary]:
    """Media id → summary of its latest scenes, for the given media only (one page of a listing)."""
    out: dict[str, SceneSummary] = {}
    for start in range(0, len(media_ids), 500):  # SQLite's limit on bound parameters is far above this
        chunk = media_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.all("SELECT id, media_id, frame_index, labels, state, created FROM scenes "
                             f"WHERE latest = 1 AND media_id IN ({marks})", tuple(chunk)):
            out.setdefault(row["media_id"], SceneSummary()).add(row)
    return out


def media_summary(store: Store, media_id: str) -> SceneSummary:
    summary = SceneSummary()
    for row in store.all("SELECT id, media_id, frame_index, labels, state, created FROM scenes "
                         "WHERE media_id = ? AND latest = 1", (media_id,)):
        summary.add(row)
    return summary
