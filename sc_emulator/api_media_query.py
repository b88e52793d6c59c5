"""``media:query`` and ``videos/{id}:query`` (docs/rest-api.md §6.2, §6.3, §9.3): filters, sorting and paging.

Field and operator names are case-insensitive (official clients send ``MEDIA_TYPE``/``EQUAL``).
``next_page`` appears only when the page is full, carrying limit, skip, sort_by and sort_direction; the
client re-POSTs the same filter body to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from starlette.routing import Route

from .api_media import VID, media_body
from .errors import ApiError
from .records import dataset_record, media_record, project_record
from .scenes import SceneSummary, empty_states, summaries, summaries_of
from .store import loads
from .web import DS, Call, endpoint

SORT_KEYS = ("media_name", "media_upload_date", "media_width", "media_height", "media_size",
             "annotation_creation_date")
OPERATORS = ("greater", "less", "greater_or_equal", "less_or_equal", "equal", "not_equal", "in", "not_in",
             "contains", "regex")
_STATES = ("annotated", "partially_annotated", "unannotated")
#: the fields whose value comes from a media's scenes
_SCENE_FIELDS = frozenset({"annotation_creation_date", "annotation_scene_state", "label_id"})


class Item:
    """One media row with what filters and sorting need."""

    def __init__(self, row: Any, summary: SceneSummary) -> None:
        self.row, self.info, self.summary = row, loads(row["info"]), summary

    def field(self, name: str) -> Any:
        # one getter per field: building every field (scene state, dates) for each lookup made a
        # listing page cost a full pass over the dataset several times over
        return _FIELDS[name](self)


_FIELDS: dict[str, Callable[[Item], Any]] = {
    "media_type": lambda it: it.row["type"],
    "media_name": lambda it: it.row["name"],
    "media_upload_date": lambda it: it.row["upload_time"],
    "media_width": lambda it: it.info["width"],
    "media_height": lambda it: it.info["height"],
    "media_size": lambda it: it.info["size"],
    "annotation_creation_date": lambda it: it.summary.last_created() or None,
    "annotation_scene_state": lambda it: it.summary.state(),
    "label_id": lambda it: it.summary.labels,
    "video_frame_count": lambda it: it.info.get("frame_count"),
    "video_frame_rate": lambda it: it.info.get("fps"),
    "video_duration": lambda it: it.info.get("duration"),
}
#: the summary of a media whose scenes a listing has not read (yet): never shown, never matched against
_NOT_READ = SceneSummary()


def _invalid(message: str) -> ApiError:
    return ApiError(400, "invalid_filter", message)


def _compare(op: str, actual: Any, value: Any, field: str) -> bool:
    """Apply one operator; sets (label ids) match when any element satisfies it."""
    if isinstance(actual, set):
        if op in ("equal", "in"):
            wanted = set(value) if isinstance(value, list) else {value}
            return bool(actual & wanted)
        if op in ("not_equal", "not_in"):
            unwanted = set(value) if isinstance(value, list) else {value}
            return not (actual & unwanted)
        raise _invalid(f"Operator '{op}' cannot be used with field '{field}'.")
    if op == "in" or op == "not_in":
        if not isinstance(value, list):
            raise _invalid(f"Operator '{op}' on field '{field}' needs a list value.")
        found = actual in value or (isinstance(actual, str) and actual.lower() in [str(v).lower() for v in value])
        return found if op == "in" else not found
    if actual is None:
        return op == "not_equal"
    if op in ("contains", "regex"):
        if not isinstance(actual, str) or not isinstance(value, str):
            raise _invalid(f"Operator '{op}' works only on text fields, not '{field}'.")
        try:
            return re.search(value if op == "regex" else re.escape(value), actual, re.IGNORECASE) is not None
        except re.error as exc:
            raise _invalid(f"Invalid regular expression for '{field}': {exc}") from None
    if isinstance(actual, (int, float)) and not isinstance(value, (int, float)) or isinstance(value, bool):
        raise _invalid(f"Field '{field}' needs a numeric value, got {value!r}.")
    if op == "equal":
        return actual == value or (isinstance(actual, str) and isinstance(value,
                                                                          str) and actual.lower() == value.lower())
    if op == "not_equal":
        return actual != value
    ops: dict[str, Callable[[Any, Any], bool]] = {"greater": lambda a, b: a > b, "less": lambda a, b: a < b,
                                                  "greater_or_equal": lambda a, b: a >= b,
                                                  "less_or_equal": lambda a, b: a <= b}
    try:
        return ops[op](actual, value)
    except TypeError:
        raise _invalid(f"Value {value!r} cannot be compared with field '{field}'.") from None


def _rules(body: Any) -> tuple[str, list[tuple[str, str, Any]]]:
    """Validate the filter body: (condition, [(field, operator, value)])."""
    if body in (None, {}):
        return "and", []
    if not isinstance(body, dict):
        raise _invalid("The filter must be a JSON object {\"condition\", \"rules\"}.")
    condition = str(body.get("condition", "and")).lower()
    if condition not in ("and", "or"):
        raise _invalid(f"Unknown filter condition '{body.get('condition')}'; use 'and' or 'or'.")
    rules = body.get("rules", [])
    if not isinstance(rules, list):
        raise _invalid("'rules' must be a list.")
    parsed = []
    for rule in rules:
        if not isinstance(rule, dict) or not {"field", "operator", "value"} <= set(rule):
            raise _invalid("Each rule needs 'field', 'operator' and 'value'.")
        field, op = str(rule["field"]).lower(), str(rule["operator"]).lower()
        if op not in OPERATORS:
            raise _invalid(f"Unknown operator '{rule['operator']}'.")
        if field not in KNOWN_FIELDS:
            raise _invalid(f"Filtering on field '{rule['field']}' is not supported.")
        value = rule["value"]
        if field == "media_type" and (value if isinstance(value, list) else [value]) and not all(
                str(v).lower() in ("image", "video") for v in (value if isinstance(value, list) else [value])):
            raise _invalid(f"media_type must be 'image' or 'video', not {value!r}.")
        if field == "annotation_scene_state":
            values = value if isinstance(value, list) else [value]
            if not all(str(v).lower() in _STATES for v in values):
                raise _invalid(f"annotation_scene_state must be one of {', '.join(_STATES)}.")
            value = [str(v).lower() for v in values] if isinstance(value, list) else str(value).lower()
        if field == "media_type":
            value = [str(v).lower() for v in value] if isinstance(value, list) else str(value).lower()
        if field == "label_id" and not all(isinstance(v, str) for v in (value if isinstance(value, list) else [value])):
            raise _invalid(f"label_id needs a label ID or a list of label IDs, not {value!r}.")
        parsed.append((field, op, value))
    return condition, parsed


KNOWN_FIELDS = frozenset({"media_type", "media_name", "media_upload_date", "media_width", "media_height", "media_size",
            "annotation_creation_date", "annotation_scene_state", "label_id", "video_frame_count",
            "video_frame_rate", "video_duration"})


def _matches(item: Item, condition: str, rules: list[tuple[str, str, Any]]) -> bool:
    if not rules:
        return True
    results = (_compare(op, item.field(field), value, field) for field, op, value in rules)
    return all(results) if condition == "and" else any(results)


def _paging(call: Call, default_limit: int = 1000) -> tuple[int, int, str, str]:
    limit = call.int_query("limit", default_limit, 1, 1000)
    skip = call.int_query("skip", 0)
    sort_by = call.query.get("sort_by", "media_name").lower()
    direction = call.query.get("sort_direction", "asc").lower()
    if sort_by not in SORT_KEYS or direction not in ("asc", "dsc", "desc"):
        raise ApiError(400, "bad_request", f"sort_by must be one of {', '.join(SORT_KEYS)} and sort_direction asc|dsc.")
    return limit, skip, sort_by, "dsc" if direction == "desc" else direction


def _next_page(call: Call, count: int, limit: int, skip: int, extra: dict[str, str]) -> dict[str, str]:
    if count != limit:
        return {}
    query = {"limit": str(limit), "skip": str(skip + limit), **extra}
    return {"next_page": f"{call.request.url.path}?{urlencode(query)}"}


#: sort keys that are columns of the media table (each has an index by dataset, then that column, then seq)
_SORT_COLUMNS = {"media_name": "name", "media_upload_date": "upload_time"}
_TYPE_OPS = {"equal": "type = ?", "not_equal": "type <> ?", "in": "type IN ({})", "not_in": "type NOT IN ({})"}


def _sql_filter(condition: str, rules: list[tuple[str, str, Any]]) -> tuple[str, list[Any]] | None:
    """The filter as an SQL condition, when it only names the media type with an operator that means the
    same in SQL as in :func:`_compare` (the stored type is lower case, as the validated value is); else None."""
    parts, args = [], []
    for field, op, value in rules:
        if field != "media_type" or op not in _TYPE_OPS:
            return None
        values = value if isinstance(value, list) else [value]
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                return None  # _compare's own answer (an error, or nothing in an empty list) is kept
            parts.append(_TYPE_OPS[op].format(",".join("?" * len(values))))
        elif isinstance(value, str):
            parts.append(_TYPE_OPS[op])
        else:
            return None
        args += values
    if not parts:
        return "1", []
    return "(" + f" {condition.upper()} ".join(parts) + ")", args


def _sql_query(call: Call, project: dict[str, Any], dataset_id: str, where: tuple[str, list[Any]], limit: int,
               skip: int, sort_by: str, direction: str) -> dict[str, Any]:
    """One listing page found, counted and ordered by SQLite: a page costs its page, not a pass over the
    dataset in Python (a listing of N media in pages of 100 was N²/100 rows parsed)."""
    store = call.emu.store
    cond, args = where
    order = "DESC" if direction == "dsc" else "ASC"
    rows = store.all(f"SELECT * FROM media WHERE dataset_id = ? AND {cond} "
                     f"ORDER BY {_SORT_COLUMNS[sort_by]} {order}, seq {order} LIMIT ? OFFSET ?",
                     (dataset_id, *args, limit, skip))
    page = [Item(r, SceneSummary()) for r in rows]
    page_sums = summaries_of(store, [it.row["id"] for it in page])
    for it in page:
        it.summary = page_sums.get(it.row["id"], SceneSummary())
    counts = store.one("SELECT COUNT(*) FILTER (WHERE type = 'image') AS images, "
                       "COUNT(*) FILTER (WHERE type = 'video') AS videos, "
                       f"COUNT(*) FILTER (WHERE type = 'image' AND {cond}) AS m_images, "
                       f"COUNT(*) FILTER (WHERE type = 'video' AND {cond}) AS m_videos, "
                       "TOTAL(CASE WHEN type = 'video' AND " + cond + " THEN "
                       "COALESCE(json_extract(info, '$.frame_count'), 0) END) AS m_frames "
                       "FROM media WHERE dataset_id = ?", (*args, *args, *args, dataset_id))
    assert counts is not None  # an aggregate always has its row
    return {
        "media": [media_body(call, it.row, it.info, project, it.summary, for_query=True) for it in page],
        "total_matched_images": counts["m_images"], "total_matched_videos": counts["m_videos"],
        "total_matched_video_frames": int(counts["m_frames"]),
        "total_images": counts["images"], "total_videos": counts["videos"],
    }


@endpoint
def query_media(call: Call) -> dict:
    _, project = project_record(call)
    ds = dataset_record(call)
    limit, skip, sort_by, direction = _paging(call)
    condition, rules = _rules(call.json(allow_empty=True))
    store = call.emu.store
    # the scenes matter to the filter or the order only when they name annotation fields; else only the
    # page's own media need theirs (a listing page then costs its page, not the dataset's every scene)
    by_scenes = sort_by in _SCENE_FIELDS or any(field in _SCENE_FIELDS for field, _, _ in rules)
    where = _sql_filter(condition, rules)
    if not by_scenes and where is not None and sort_by in _SORT_COLUMNS:
        body = _sql_query(call, project, ds["id"], where, limit, skip, sort_by, direction)
        body.update(_next_page(call, len(body["media"]), limit, skip,
                               {"sort_by": sort_by, "sort_direction": direction}))
        return body
    sums = summaries(store, ds["id"]) if by_scenes else {}
    items = [Item(r, sums.get(r["id"], _NOT_READ))
             for r in store.all("SELECT * FROM media WHERE dataset_id = ? ORDER BY seq", (ds["id"],))]
    matched = [it for it in items if _matches(it, condition, rules)]

    def key(it: Item) -> tuple:
        value = it.field(sort_by)
        return (value is None, value if value is not None else 0, it.row["seq"])

    matched.sort(key=key, reverse=direction == "dsc")
    page = matched[skip:skip + limit]
    if not by_scenes:
        page_sums = summaries_of(store, [it.row["id"] for it in page])
        for it in page:
            it.summary = page_sums.get(it.row["id"], SceneSummary())
    body = {
        "media": [media_body(call, it.row, it.info, project, it.summary, for_query=True) for it in page],
        "total_matched_images": sum(1 for it in matched if it.row["type"] == "image"),
        "total_matched_videos": sum(1 for it in matched if it.row["type"] == "video"),
        "total_matched_video_frames": sum(it.info.get("frame_count", 0) for it in matched if it.row["type"] == "video"),
        "total_images": sum(1 for it in items if it.row["type"] == "image"),
        "total_videos": sum(1 for it in items if it.row["type"] == "video"),
    }
    body.update(_next_page(call, len(page), limit, skip, {"sort_by": sort_by, "sort_direction": direction}))
    return body


@endpoint
def query_frames(call: Call) -> dict:
    _, project = project_record(call)
    dataset_record(call)
    row, info = media_record(call, "video")
    limit, skip, _, _ = _paging(call)
    condition, rules = _rules(call.json(allow_empty=True))
    details = call.bool_query("include_frame_details", True)
    fps_raw = call.query.get("fps")
    stride = 1
    if fps_raw:
        try:
            stride = max(1, round(info["fps"] / float(fps_raw)))
        except (ValueError, ZeroDivisionError):
            raise ApiError(400, "bad_request", f"Invalid fps '{fps_raw}'.") from None
    store = call.emu.store
    frames_summary = SceneSummary()
    for srow in store.all("SELECT id, media_id, frame_index, labels, state, created FROM scenes "
                          "WHERE media_id = ? AND latest = 1", (row["id"],)):
        frames_summary.add(srow)
    selected = []
    for index in range(0, info["frame_count"], stride):
        frame = frames_summary.frames.get(index)
        single = SceneSummary()
        if frame:
            single.labels, single.frames = set(frame["labels"]), {index: frame}
        if _matches(Item(row, single), condition, rules):
            selected.append((index, frame))
    page = selected[skip:skip + limit]
    base = f"{call.prefix()}/projects/{row['project_id']}/datasets/{row['dataset_id']}/media/videos/{row['id']}"
    body: dict[str, Any] = {"video_frame_indices": [i for i, _ in page],
                            "total_matched_video_frames": len(selected),
                            "video_information": {"display_url": f"{base}/display/stream", "width": info["width"],
                                                  "height": info["height"], "size": info["size"],
                                                  "extension": info["extension"], "frame_count": info["frame_count"],
                                                  "frame_stride": info["frame_stride"], "frame_rate": info["fps"],
                                                  "duration": info["duration"]}}
    if details:
        body["video_frames"] = [{
            "video_id": row["id"], "frame_index": i, "name": f"{row['name']}_{i}", "type": "video_frame",
            "upload_time": row["upload_time"], "uploader_id": call.emu.user_id,
            "media_information": {"display_url": f"{base}/frames/{i}/display/full", "width": info["width"],
                                  "height": info["height"]},
            "thumbnail": f"{base}/frames/{i}/display/thumb",
            "annotation_state_per_task": frame["states"] if frame else empty_states(project),
            "annotation_scene_id": frame["id"] if frame else None, "roi_id": None,
            "last_annotator_id": call.emu.user_id if frame else None,
        } for i, frame in page]
    extra = {"include_frame_details": str(details).lower()}
    if fps_raw:
        extra["fps"] = fps_raw
    body.update(_next_page(call, len(page), limit, skip, extra))
    return body


ROUTES = [
    Route(DS + "/media:query", query_media, methods=["POST"]),
    Route(VID + ":query", query_frames, methods=["POST"]),
]
