"""What the documents of one archive say about each other, checked (SPEC §4 and §11).

A schema checks one document alone; these rules check that the documents fit together: an item's
blob is in the archive and holds the item's bytes, every label an item uses is a label of
``project.json``, scene frames exist in their media, and so on. Each function returns one phrase
per problem (empty: consistent); the reader refuses the first, ``verify`` lists them all.
All documents passed in have already been validated against their schemas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .layout import item_member, model_member

__all__ = ["ProjectFacts", "item_problems", "model_problems", "project_problems"]

#: index entry fields by member name (what the reader and verify hold in memory)
Entries = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class ProjectFacts:
    """The names that items refer to, taken from a validated ``project.json``."""

    labels: frozenset[str]
    tasks: frozenset[str]
    datasets: frozenset[str]

    @classmethod
    def of(cls, doc: Mapping[str, Any]) -> ProjectFacts:
        tasks = doc["pipeline"]["tasks"]
        # Project.from_dict falls back to one dataset named "Dataset" when none is listed
        datasets = [d["name"] for d in doc.get("datasets") or []] or ["Dataset"]
        return cls(frozenset(lb["name"] for t in tasks for lb in t.get("labels", [])),
                   frozenset(t["title"] for t in tasks), frozenset(datasets))


def _twice(names: list[str]) -> list[str]:
    return sorted(n for n, k in Counter(names).items() if k > 1)


def project_problems(doc: Mapping[str, Any]) -> list[str]:
    """Names in ``project.json`` that must be unique, and what its connections and parents point at."""
    tasks = doc["pipeline"]["tasks"]
    titles = [t["title"] for t in tasks]
    labels = [lb["name"] for t in tasks for lb in t.get("labels", [])]
    out = [f"task title {n!r} occurs twice" for n in _twice(titles)]
    out += [f"label {n!r} occurs twice (items refer to labels by name)" for n in _twice(labels)]
    out += [f"dataset {n!r} occurs twice" for n in _twice([d["name"] for d in doc.get("datasets") or []])]
    for c in doc["pipeline"].get("connections", []):
        out += [f"a connection refers to task {c[end]!r}, which the pipeline does not have"
                for end in ("from", "to") if c[end] not in titles]
    for t in tasks:
        for lb in t.get("labels", []):
            if lb.get("parent") and lb["parent"] not in labels:
                out.append(f"label {lb['name']!r} has parent {lb['parent']!r}, which is not a label of the project")
    return out


def _blob_problems(blob: str, size: int, sha256: str, entries: Entries, what: str) -> list[str]:
    refers = f"{what} refers to {blob}" if what else f"refers to {blob}"
    entry = entries.get(blob)
    if entry is None:
        return [f"{refers}, which the archive does not hold"]
    if not blob.startswith(f"blobs/{sha256}"):
        return [f"{refers}, whose name does not carry the sha256 of its media"]
    if entry["sha256"] != sha256 or entry["size"] != size:
        return [f"{refers}, which holds other bytes (its size or sha256 differ)"]
    return []


def _frame_problems(media: Mapping[str, Any], ann: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    video = media["kind"] == "video"
    count = media.get("frame_count") if video else None
    seen: Counter[tuple[Any, str]] = Counter()
    for s in ann["scenes"]:
        frame = s.get("frame")
        seen[(frame, s["kind"])] += 1
        if not video and frame is not None:
            out.append(f"a scene of image media has frame {frame}")
        elif video and frame is None:
            out.append("a scene of video media has no frame")
        elif count and frame is not None and frame >= count:
            out.append(f"a scene is on frame {frame}, past the video's {count} frames")
    out += [f"{kind} scene of {'frame ' + str(frame) if frame is not None else 'the image'} occurs {n} times"
            for (frame, kind), n in seen.items() if n > 1]
    for r in ann["ranges"]:
        if not video:
            out.append("image media has a frame range")
        elif r["start_frame"] > r["end_frame"]:
            out.append(f"a range starts at frame {r['start_frame']}, after its end frame {r['end_frame']}")
        elif count and r["end_frame"] >= count:
            out.append(f"a range ends on frame {r['end_frame']}, past the video's {count} frames")
    return out


def item_problems(name: str, doc: Mapping[str, Any], facts: ProjectFacts | None, entries: Entries) -> list[str]:
    """An item document against its member name, the index's blobs and the project's names
    (``facts`` None: the project could not be read, so only what does not need it)."""
    media, ann = doc["media"], doc["annotations"]
    if item_member(media["key"]) != name or ann["key"] != media["key"]:
        return ["its key does not match the member name"]
    out = _blob_problems(doc["blob"], media["size"], media["sha256"], entries, "")
    if facts is None:
        return out + _frame_problems(media, ann)
    if media.get("dataset") is not None and media["dataset"] not in facts.datasets:
        out.append(f"its media is in dataset {media['dataset']!r}, which is not a dataset of the project")
    used = {lb["name"] for s in ann["scenes"] for a in s["annotations"] for lb in a["labels"]}
    used |= {lb for r in ann["ranges"] for lb in r["labels"]}
    out += [f"label {n!r} is not a label of the project" for n in sorted(used - facts.labels)]
    tasks = {t for s in ann["scenes"] for t in s.get("state_per_task") or {}}
    out += [f"state_per_task names task {t!r}, which the pipeline does not have" for t in sorted(tasks - facts.tasks)]
    return out + _frame_problems(media, ann)


def model_problems(name: str, doc: Mapping[str, Any], entries: Entries) -> list[str]:
    """A model document against its member name and the index's blobs."""
    if model_member(doc["key"]) != name:
        return ["its key does not match the member name"]
    out: list[str] = []
    for f in doc["files"]:
        out += _blob_problems(f["blob"], f["size"], f["sha256"], entries, f"file {f['name']!r}")
    return out
