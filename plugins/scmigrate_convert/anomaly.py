"""Anomaly target (SC 2.x): one image-level label, "Normal" or "Anomalous", on the full-image box.

Sources map as follows:

- an anomaly task of any generation (``anomaly``, and the older ``anomaly_classification``,
  ``anomaly_detection``, ``anomaly_segmentation``) keeps its two labels (names, colours, hotkeys);
  its label with ``is_anomalous`` is Anomalous, the other Normal;
- an image with any anomalous label, or with any object of a detection/segmentation source,
  is **Anomalous** (objects mark defects); the local anomalous shapes of the older anomaly
  detection/segmentation tasks are dropped (2.x anomaly is image-level) and logged;
- an image annotated as empty, or holding only the normal label, is **Normal**;
- other image-level labels (a classification source) are not anomaly labels: dropped and logged.
"""

from __future__ import annotations

from scmigrate.api import RunOptions
from scmigrate.model import Label, ScoredLabel, Task

from .base import BaseConverter
from .labels import ANOMALY_TYPES, SourceInfo
from .scenes import Out, Parsed, relabel

__all__ = ["AnomalyConverter"]

_GROUP = "default - anomaly"  # the group SC gives the two anomaly labels


class AnomalyConverter(BaseConverter):
    name = "anomaly"
    description = "Normal / Anomalous on the whole image (older anomaly task types mapped)"
    task_types = ("anomaly",)
    rules = (
        "an image with an anomalous label or any object → Anomalous (full-image box)",
        "local anomaly shapes (older anomaly detection/segmentation) dropped: anomaly is image-level",
        "empty images and images with only the normal label → Normal",
    )

    def tasks(self, info: SourceInfo, options: RunOptions) -> list[Task]:
        src = [lb for t in info.tasks_of_type(*ANOMALY_TYPES) for lb in t.labels if not lb.is_empty]
        normal = next((lb for lb in src if not lb.is_anomalous), None)
        anomalous = next((lb for lb in src if lb.is_anomalous), None)
        labels = [
            Label(normal.name if normal else "Normal", (normal and normal.color) or "#25a18eff",
                  (normal and normal.group) or _GROUP, None, normal.hotkey if normal else ""),
            Label(anomalous.name if anomalous else "Anomalous", (anomalous and anomalous.color) or "#ff5662ff",
                  (anomalous and anomalous.group) or _GROUP, None, anomalous.hotkey if anomalous else "",
                  is_anomalous=True),
        ]
        return [Task(info.title_for(self.name, set()), self.name, labels)]

    @staticmethod
    def _names(out: Out) -> tuple[str, str]:
        task = out.target.trainable_tasks[0]
        anomalous = next(lb.name for lb in task.labels if lb.is_anomalous)
        normal = next(lb.name for lb in task.labels if not lb.is_anomalous and not lb.is_empty)
        return normal, anomalous

    def place_empty(self, out: Out, parsed: Parsed) -> bool:
        normal, _ = self._names(out)
        out.log.converted("empty image → Normal")
        return out.add_full_image([ScoredLabel(normal)])

    def fill(self, out: Out, parsed: Parsed, info: SourceInfo, through: bool) -> None:
        normal, anomalous = self._names(out)
        found: dict[str, ScoredLabel] = {}
        for sl in parsed.image_labels:
            if info.is_anomalous(sl.name) or sl.name == anomalous:
                found.setdefault(anomalous, relabel(sl, anomalous))
            elif info.role(sl.name) == "anomaly" or sl.name == normal:
                found.setdefault(normal, relabel(sl, normal))
            else:
                out.drop(f"label {sl.name}: not an anomaly label")
        for obj in parsed.objects:
            anomaly_labels = [sl for sl in obj.labels if info.role(sl.name) == "anomaly"]
            if anomaly_labels:
                # a local shape of an older anomaly detection/segmentation task
                if any(info.is_anomalous(sl.name) for sl in anomaly_labels):
                    found.setdefault(anomalous, ScoredLabel(anomalous))
                out.log.dropped(f"{obj.kind}: anomaly is image-level")
            else:
                out.log.converted(f"{obj.kind} → Anomalous (image-level)")
                found.setdefault(anomalous, ScoredLabel(anomalous))
        chosen = found.get(anomalous) or found.get(normal)
        if chosen is not None:
            out.add_full_image([chosen], parsed.image_id)
