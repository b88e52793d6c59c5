"""What the last ``scmigrate sync`` of a source onto a target left equal, so the next one need not read it.

For each media pair the sync left equal, the record keeps both sides' media ids and annotation
revisions (``Item.annotation_revision``: a Geti 2.x listing names each image's latest scene). A
pair whose ids and revisions are all still the same was not edited on either side since: its
annotations are not read again. Anything else (a source or target that names no revision, as
videos and older clusters do; another label set on either side) is read and compared in full.

The record lives in the state directory (``$XDG_STATE_HOME/scmigrate/sync``), one file per
(source, its project, target, target project); losing it only makes the next sync read everything.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from ..errors import InputError
from ..model import Item, Project
from .journal import state_dir
from .report import write_json

__all__ = ["Key", "SyncRecord", "label_signature"]

#: a media as sync matches it: (dataset, file name, kind)
Key = tuple[str, str, str]


def label_signature(a: Project, b: Project) -> str:
    """What scenes read from either side depend on besides their revision (a renamed label renames them)."""
    names = [[(t.title, sorted(lb.name for lb in t.labels)) for t in p.trainable_tasks] for p in (a, b)]
    return hashlib.sha256(json.dumps(names).encode()).hexdigest()


def _pair(x: Item, y: Item) -> list[str | None]:
    return [x.media.source_id, x.annotation_revision, y.media.source_id, y.annotation_revision]


class SyncRecord:
    """The pairs a sync of ``source`` (project ``project``) onto ``target`` (project ``name``) left equal."""

    def __init__(self, source: str, project: str | None, target: str, name: str, labels: str) -> None:
        digest = hashlib.sha256(json.dumps([source, project, target, name]).encode()).hexdigest()[:24]
        self.path = state_dir("sync") / f"{digest}.json"
        self.labels = labels
        self.pairs: dict[str, list[Any]] = {}
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        if isinstance(doc, dict) and doc.get("labels") == labels and isinstance(doc.get("pairs"), dict):
            self.pairs = doc["pairs"]

    @staticmethod
    def key(key: Key) -> str:
        return "/".join(key)

    def unchanged(self, key: Key, x: Item, y: Item) -> bool:
        """Whether both sides are as the last sync left them equal (each names its revision)."""
        pair = _pair(x, y)
        return None not in pair and self.pairs.get(self.key(key)) == pair

    def save(self, equal: dict[Key, tuple[Item, Item]], labels: str | None = None) -> None:
        """Keep ``equal`` (key → (source item, target item) as listed now) as what this sync left equal."""
        pairs = {self.key(k): _pair(x, y) for k, (x, y) in equal.items() if None not in _pair(x, y)}
        doc = {"labels": labels or self.labels, "pairs": pairs}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json(self.path, doc, "the sync record")  # replaced atomically
        except (OSError, InputError):
            pass  # best effort: without it the next sync reads everything
