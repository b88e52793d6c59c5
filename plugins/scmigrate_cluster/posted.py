"""Did a POST whose answer was lost arrive? The look-ups for annotation scenes and video ranges.

Posting a scene adds a revision, posting ranges replaces them: sent twice, the result looks the same
but the media's history holds a revision nobody made, and each repeat is one more write to a cluster
that is already failing. So these POSTs are not idempotent to :class:`~.http.ClusterHttp` either:
after an unknown outcome the latest scene (or the ranges) of the media is read and compared with what
was sent, label ids exactly and coordinates within a pixel (the cluster stores them normalised and
answers them rounded). A match is the POST that arrived; anything else is sent again.
"""

from __future__ import annotations

from typing import Any

import requests

from .dialects import Dialect
from .http import ClusterHttp

__all__ = ["scene_arrived", "ranges_arrived"]

#: pixels two coordinates may differ by and still be the ones sent
_TOLERANCE = 1.0


def _flat(dialect: Dialect, shape: dict[str, Any], width: int | None, height: int | None) -> tuple[Any, ...]:
    """A cluster shape as ``(type, coordinates...)`` in pixels."""
    d = dialect.shape_from_api(shape, width, height).to_dict()
    values: list[Any] = [d["type"]]
    for key, value in sorted(d.items()):
        if key == "points":
            values += [c for p in value for c in (float(p["x"]), float(p["y"]))]
        elif key != "type":
            values.append(float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value)
    return tuple(values)


def _alike(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float):
            if abs(x - y) > _TOLERANCE + 1e-6:
                return False
        elif x != y:
            return False
    return True


def _annotations(dialect: Dialect, doc: Any, width: int | None, height: int | None) -> list[tuple[Any, ...]]:
    out = []
    for a in (doc or {}).get("annotations") or []:
        if not a.get("shape"):
            continue
        ids = tuple(sorted(str(lb.get("id")) for lb in a.get("labels") or []))
        out.append((ids, _flat(dialect, a["shape"], width, height)))
    return out


def scene_arrived(http: ClusterHttp, dialect: Dialect, url: str, body: dict[str, Any], width: int | None,
                  height: int | None) -> dict[str, Any] | None:
    """The latest scene at ``url`` (``.../annotations``) when it is the one ``body`` posted, else None."""
    resp = http.request("GET", url + "/latest", ok=(200, 204, 404))
    assert isinstance(resp, requests.Response)
    if resp.status_code != 200 or not resp.content:
        return None
    doc = http.json_of(resp, "annotations/latest")
    held, sent = _annotations(dialect, doc, width, height), _annotations(dialect, body, width, height)
    if len(held) != len(sent):
        return None
    for ids, shape in sent:
        match = next((h for h in held if h[0] == ids and _alike(h[1], shape)), None)
        if match is None:
            return None
        held.remove(match)
    return dict(doc)


def ranges_arrived(http: ClusterHttp, url: str, body: dict[str, Any]) -> dict[str, Any] | None:
    """The ranges at ``url`` (``.../range_annotation``) when they are the ones ``body`` posted, else None."""

    def key(ranges: Any) -> list[tuple[int, int, tuple[str, ...]]]:
        return sorted((int(r["start_frame"]), int(r["end_frame"]),
                       tuple(sorted(str(i) for i in r.get("label_ids") or []))) for r in ranges or [])

    doc = http.get_json(url)
    return dict(doc) if key(doc.get("range_labels")) == key(body.get("range_labels")) else None
