"""Annotations (docs/rest-api.md §10): scenes of images and video frames, whole-video latest, range annotations.

Validation, normalisation, rounding and per-task states are the domain rules of ``rules.annotations``, called
through :mod:`.scenes`; this module resolves the media, persists scenes and shapes the responses.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from . import sc1
from .api_media import IMG, VID
from .errors import ApiError
from .records import dataset_record, frame_index, media_record, project_record
from .scenes import IMAGE_FRAME, build_scene, latest_scene, render_scene, save_scene
from .store import dumps, loads
from .web import Call, endpoint

MAX_N_ANNOTATIONS_RETURNED = 500


def _resolve(call: Call, kind: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    _, project = project_record(call)
    dataset_record(call)
    row, info = media_record(call, kind)
    return row, info, project


def _post(call: Call, row: Any, info: dict[str, Any], project: dict[str, Any], frame: int) -> dict:
    ident = ({"type": "image", "image_id": row["id"]} if frame == IMAGE_FRAME
             else {"type": "video_frame", "video_id": row["id"], "frame_index": frame})
    if call.emu.dialect.normalised:
        body, sent = sc1.scene_request(call.json(), info["width"], info["height"])
    else:
        body, sent = call.json(), []
    doc = build_scene(project, info["width"], info["height"], body, ident, call.emu.user_id)
    if call.emu.dialect.normalised:
        sc1.keep_sent_shapes(doc, sent)
    with call.emu.store.transaction() as conn:
        save_scene(conn, row["id"], frame, doc)
    if call.emu.dialect.is_sc1:
        return sc1.scene(doc, project)
    return _render(call, doc, info, project)


def _render(call: Call, doc: dict[str, Any], info: dict[str, Any], project: dict[str, Any],
            label_only: bool = False) -> dict[str, Any]:
    named = project if call.emu.dialect.scene_label_names else None
    return render_scene(doc, info["width"], info["height"], label_only, named_from=named)


def _get(call: Call, row: Any, info: dict[str, Any], frame: int, project: dict[str, Any]) -> Any:
    which = call.params.get("annotation_id", "latest")
    store = call.emu.store
    if which == "latest":
        doc = latest_scene(store, row["id"], frame)
    else:
        found = store.one("SELECT doc FROM scenes WHERE id = ? AND media_id = ? AND frame_index = ?",
                          (which, row["id"], frame))
        doc = loads(found["doc"]) if found else None
    if doc is None:
        # "annotation_not_found" is answered 204 with an empty body by the real server.
        return Response(status_code=204)
    if call.emu.dialect.is_sc1:
        return sc1.scene(doc, project, call.bool_query("label_only"))
    return _render(call, doc, info, project, call.bool_query("label_only"))


@endpoint
def post_image(call: Call) -> dict:
    row, info, project = _resolve(call, "image")
    return _post(call, row, info, project, IMAGE_FRAME)


@endpoint
def get_image(call: Call) -> Any:
    row, info, project = _resolve(call, "image")
    return _get(call, row, info, IMAGE_FRAME, project)


@endpoint
def post_frame(call: Call) -> dict:
    row, info, project = _resolve(call, "video")
    return _post(call, row, info, project, frame_index(call, info))


@endpoint
def get_frame(call: Call) -> Any:
    row, info, project = _resolve(call, "video")
    return _get(call, row, info, frame_index(call, info), project)


@endpoint
def get_video(call: Call) -> dict:
    row, info, project = _resolve(call, "video")
    last = info["frame_count"] - 1
    start = call.int_query("start_frame", 0, 0)
    end = min(call.int_query("end_frame", last, 0), last)
    skip = call.int_query("frameskip", 1, 1)
    if start > end:
        raise ApiError(400, "bad_request", f"start_frame {start} is after end_frame {end}.")
    rows = call.emu.store.all("SELECT frame_index, doc FROM scenes WHERE media_id = ? AND latest = 1 "
                              "AND frame_index BETWEEN ? AND ? ORDER BY frame_index", (row["id"], start, end))
    wanted = [r for r in rows if (r["frame_index"] - start) % skip == 0]
    returned = wanted[:MAX_N_ANNOTATIONS_RETURNED]
    label_only = call.bool_query("label_only")
    scenes = [_render(call, loads(r["doc"]), info, project, label_only) for r in returned]
    return {"video_annotations": scenes, "video_annotation_properties": {
        "total_count": len(wanted),
        "start_frame": returned[0]["frame_index"] if returned else None,
        "end_frame": returned[-1]["frame_index"] if returned else None,
        "total_requested_count": len(returned),
        "requested_start_frame": start, "requested_end_frame": end}}


def _ranges(call: Call, row: Any) -> dict:
    found = call.emu.store.one("SELECT doc FROM ranges WHERE video_id = ?", (row["id"],))
    return {"video_id": row["id"], "range_labels": loads(found["doc"]) if found else []}


@endpoint
def range_annotation(call: Call) -> dict:
    row, info, project = _resolve(call, "video")
    if call.method == "GET":
        return _ranges(call, row)
    body = call.json()
    raw = body.get("range_labels") if isinstance(body, dict) else None
    if not isinstance(raw, list):
        raise ApiError(400, "bad_request", "'range_labels' is a required property (a list of ranges)")
    stride = call.int_query("skip_frame", 0, 0) or info["frame_stride"]
    last = info["frame_count"] - 1
    ranges, scenes = [], {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not {"start_frame", "end_frame", "label_ids"} <= set(item):
            raise ApiError(400, "bad_request", f"range_labels[{i}] needs start_frame, end_frame and label_ids")
        start, end, labels = item["start_frame"], item["end_frame"], item["label_ids"]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= last):
            raise ApiError(400, "bad_request", f"range_labels[{i}]: frames {start}..{end} are not within 0..{last}")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ApiError(400, "bad_request", f"range_labels[{i}].label_ids must be a list of label IDs")
        ranges.append({"start_frame": start, "end_frame": end, "label_ids": labels})
        if not labels:
            continue
        box = {"type": "RECTANGLE", "x": 0, "y": 0, "width": info["width"], "height": info["height"]}
        for frame in range(start, end + 1, stride):
            ident = {"type": "video_frame", "video_id": row["id"], "frame_index": frame}
            body_one = {"annotations": [{"shape": box, "labels": [{"id": x} for x in labels]}]}
            scenes[frame] = build_scene(project, info["width"], info["height"], body_one, ident, call.emu.user_id)
    with call.emu.store.transaction() as conn:
        # The POST replaces every range: frames not covered any more become unannotated.
        conn.execute("UPDATE scenes SET latest = 0 WHERE media_id = ? AND latest = 1", (row["id"],))
        for frame, doc in scenes.items():
            save_scene(conn, row["id"], frame, doc)
        conn.execute("INSERT OR REPLACE INTO ranges (video_id, doc) VALUES (?, ?)", (row["id"], dumps(ranges)))
    return _ranges(call, row)


ROUTES = [
    Route(IMG + "/annotations", post_image, methods=["POST"]),
    Route(IMG + "/annotations/{annotation_id}", get_image, methods=["GET"]),
    Route(VID + "/frames/{frame_index}/annotations", post_frame, methods=["POST"]),
    Route(VID + "/frames/{frame_index}/annotations/{annotation_id}", get_frame, methods=["GET"]),
    Route(VID + "/annotations/latest", get_video, methods=["GET"]),
    Route(VID + "/range_annotation", range_annotation, methods=["GET", "POST"]),
]
