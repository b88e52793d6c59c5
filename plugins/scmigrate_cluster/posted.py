"""Did a POST whose answer was lost arrive? The look-ups for annotation scenes and video ranges.

Posting a scene adds a revision, posting ranges replaces them: sent twice, the result looks the same
but the media's history holds a revision nobody made, and each repeat is one more write to a cluster
that is already failing. So these POSTs are not idempotent to :class:`~.http.ClusterHttp` either:
after an unknown outcome the latest scene (or the ranges) of the media is read and compared with what
was sent, label ids exactly and coordinates within a pixel (the cluster stores them normalised and
answers them rounded). A match is the POST that arrived; anything else is sent again.

A look-up can still miss a POST that a gateway stores after it: :func:`remove_duplicates` checks the
run's result at its end and removes the copies such POSTs left.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import requests

from scmigrate.errors import ScmigrateError

from .dialects import Dialect
from .http import ClusterHttp
from .projects import remove_project_copies

if TYPE_CHECKING:
    from .connection import Connection
    from .uploads import MediaUploads

log = logging.getLogger("scmigrate.cluster")

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


def remove_duplicates(conn: Connection, media: MediaUploads, pid: str, name: str, project_unsure: bool) -> list[str]:
    """The run checks its own result: copies that POSTs with a lost answer left are removed, and listed.

    Datasets need no check (the cluster refuses a second one of a name, 409); media and projects do.
    """
    label = conn.http.label
    try:
        removed = media.remove_duplicates()
        if project_unsure:
            removed += remove_project_copies(conn, pid, name)
    except ScmigrateError as exc:
        line = f"could not check the project for copies that lost answers may have left: {exc}"
        log.warning("%s: %s", label, line)
        return [line]
    for line in removed:
        log.warning("%s: %s", label, line)
    return removed
