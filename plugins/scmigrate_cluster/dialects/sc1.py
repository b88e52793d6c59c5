"""Sonoma Creek 1.0 / 1.1: ``/api/v1.0``, a browser login instead of tokens, coordinates in 0..1.

What differs from Geti 1.0, which it otherwise resembles: the prefix; projects listed unpaged as
``{"items": [...]}``; shapes as fractions of the media size; the three anomaly task types the interchange
model calls ``anomaly`` (their labels carry no ``is_anomalous`` flag: the server names them itself);
no videos; and ``display/full`` serves a re-encoded JPEG instead of the uploaded bytes.
"""

from __future__ import annotations

from typing import Any

from scmigrate.model import Shape

from .geti1 import Geti10Dialect

__all__ = ["Sc1Dialect"]

#: the SC 1.x anomaly task types; the first is what an interchange ``anomaly`` task becomes
ANOMALY_TYPES = ("anomaly_classification", "anomaly_detection", "anomaly_segmentation")
#: task types an SC 1.x server does not know
UNKNOWN_TASK_TYPES = frozenset({"keypoint_detection", "rotated_detection"})
#: a pixel value recomputed from a fraction this close to an integer is that integer (w/W*W can miss by 1e-13)
_GRID = 1e-6


def _to_grid(value: float) -> float:
    nearest = round(value)
    return float(nearest) if abs(value - nearest) < _GRID else value


class Sc1Dialect(Geti10Dialect):
    """SC 1.x: see the module docstring."""

    name = "sc1"
    min_version = (1, 0, 0)
    auth = "browser"
    paged_projects = False
    reencodes_images = True
    holds_videos = False

    def workspaces(self, org: str) -> str:
        return "/api/v1.0/workspaces"

    def workspace(self, org: str, ws: str) -> str:
        return f"/api/v1.0/workspaces/{ws}"

    # ------------------------------------------------------------------ projects

    def project_doc(self, doc: dict[str, Any]) -> dict[str, Any]:
        """As the current dialect words it: one ``anomaly`` type with a flagged anomalous label, and no group
        where the server filled in ``default - <task title>``."""
        for t in (doc.get("pipeline") or {}).get("tasks") or []:
            for lb in t.get("labels") or []:
                if lb.get("group") == f"default - {t.get('title')}":
                    lb["group"] = None  # the server's group for labels given none: not the source's
            if t.get("task_type") in ANOMALY_TYPES:
                t["sc1_task_type"] = t["task_type"]
                t["task_type"] = "anomaly"
                labels = [lb for lb in t.get("labels") or [] if not lb.get("is_empty")]
                if labels and not any("is_anomalous" in lb for lb in labels):
                    # SC 1.x creates "Normal" then "Anomalous" and has no flag: a renamed pair keeps that order
                    named = [lb for lb in labels if str(lb.get("name", "")).lower() == "anomalous"]
                    flagged = named[0] if named else labels[-1]
                    for lb in labels:
                        lb["is_anomalous"] = lb is flagged
        return doc

    def create_body(self, body: dict[str, Any]) -> dict[str, Any]:
        for t in body["pipeline"]["tasks"]:
            if t["task_type"] == "anomaly":
                t["task_type"] = ANOMALY_TYPES[0]
        return body

    def edit_body(self, body: dict[str, Any]) -> dict[str, Any]:
        for t in body["pipeline"]["tasks"]:
            for lb in t.get("labels") or []:
                if lb.get("group") is None:
                    lb["group"] = f"default - {t['title']}"  # undoing project_doc: the server wants a string
        return body

    def cannot_hold(self, project: Any) -> list[str]:
        lost = [f"task {t.title!r} ({t.task_type}: SC 1.x has no such tasks)" for t in project.tasks
                if t.task_type in UNKNOWN_TASK_TYPES]
        lost.append("videos (SC 1.x accepts images only: video items fail)")
        return lost + super().cannot_hold(project)

    # ------------------------------------------------------------------ coordinates

    def shape_from_api(self, d: dict[str, Any], width: int | None, height: int | None) -> Shape:
        """Fractions of the media size back to pixels, on the pixel grid the source had where it had one."""
        if not width or not height:
            raise ValueError("an SC 1.x shape needs the media size to be converted to pixels")
        s = Shape.from_dict(d)
        s.x, s.y, s.width, s.height = (_to_grid(s.x * width), _to_grid(s.y * height),
                                       _to_grid(s.width * width), _to_grid(s.height * height))
        s.points = [(_to_grid(px * width), _to_grid(py * height)) for px, py in s.points]
        return s

    def shape_to_api(self, shape: Shape, width: int | None, height: int | None) -> dict[str, Any]:
        if not width or not height:
            raise ValueError("an SC 1.x shape needs the media size to be converted to fractions")
        d = shape.to_dict()
        for key, size in (("x", width), ("y", height), ("width", width), ("height", height)):
            if key in d:
                d[key] = d[key] / size
        if "points" in d:
            d["points"] = [{"x": p["x"] / width, "y": p["y"] / height} for p in d["points"]]
        return d
