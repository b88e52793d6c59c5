"""Projects on a cluster: listing, finding by name, and the pipeline ↔ model conversion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scmigrate.errors import InputError
from scmigrate.model import Dataset, Label, Project, Task

from .connection import Connection
from .http import HttpError

__all__ = ["list_projects", "find_project", "remove_project_copies", "LabelIndex", "project_from_api",
           "create_body", "generated_labels_put", "label_ids", "edit_labels"]


def list_projects(conn: Connection) -> list[dict[str, Any]]:
    """Every project of the workspace (id, name, pipeline), paging with limit/skip.

    The server sets ``next_page`` even on its last page, so we stop on an empty page or at
    ``project_counts``, whichever comes first.
    """
    out: list[dict[str, Any]] = []
    skip, limit = 0, 100
    while True:
        page = conn.http.get_json(f"{conn.w}/projects", params={"limit": limit, "skip": skip})
        items = page.get("projects") or page.get("items") or []
        out.extend(items)
        if not conn.dialect.paged_projects:  # SC 1.x: all of them at once, limit and skip ignored
            return out
        skip += len(items)
        total = page.get("project_counts")
        if not items or (isinstance(total, int) and skip >= total) or len(items) < limit:
            return out


def find_project(conn: Connection, name: str) -> dict[str, Any] | None:
    """The full project document named exactly ``name``, or None."""
    for p in list_projects(conn):
        if p.get("name") == name:
            return conn.dialect.project_doc(conn.http.get_json(conn.dialect.project(conn.w, p["id"])))
    return None


def remove_project_copies(conn: Connection, keep: str, name: str) -> list[str]:
    """Remove the empty projects named ``name`` other than ``keep``: copies that a create whose answer was
    lost left when a gateway stored it after the look-up that found nothing (what was done, in words)."""
    out = []
    for p in list_projects(conn):
        pid = str(p.get("id"))
        if p.get("name") != name or pid == keep:
            continue
        doc = conn.http.get_json(conn.dialect.project(conn.w, pid))
        held = any(next(iter(conn.dialect.iter_media(conn.http, conn.dialect.dataset(conn.w, pid, str(d["id"])), kind)),
                        None) is not None for d in doc.get("datasets") or [] for kind in ("image", "video"))
        if held:
            out.append(f"project {name!r}: another project of this name ({pid}) appeared during the run; "
                       "it holds media, so it was left alone")
            continue
        conn.http.request("DELETE", conn.dialect.project(conn.w, pid))
        out.append(f"project {name!r}: removed an empty second copy ({pid}) that a create whose answer was lost "
                   "had made")
    return out


def require_project(conn: Connection, name: str | None) -> dict[str, Any]:
    """The project to read; a missing or unknown name is an error that lists the names."""
    projects = list_projects(conn)
    names = sorted(str(p.get("name")) for p in projects)
    listing = ", ".join(repr(n) for n in names) or "none"
    if not name:
        if len(projects) == 1:
            name = str(projects[0]["name"])
        else:
            raise InputError(f"{conn.http.label}: choose a project with --project (projects: {listing})")
    for p in projects:
        if p.get("name") == name:
            return conn.dialect.project_doc(conn.http.get_json(conn.dialect.project(conn.w, p["id"])))
    raise InputError(f"{conn.http.label}: no project named {name!r} (projects: {listing})")


@dataclass
class LabelIndex:
    """Ids of one cluster project: labels and tasks both ways, per task."""

    label_by_id: dict[str, Label] = field(default_factory=dict)
    id_by_name: dict[str, str] = field(default_factory=dict)
    task_title_by_id: dict[str, str] = field(default_factory=dict)
    task_id_by_title: dict[str, str] = field(default_factory=dict)
    #: task title → {"empty": id, "anomalous": id, "normal": id}
    special: dict[str, dict[str, str]] = field(default_factory=dict)
    labels_of_task: dict[str, list[str]] = field(default_factory=dict)


def project_from_api(doc: dict[str, Any], origin: dict[str, Any]) -> tuple[Project, LabelIndex]:
    """A cluster project document as a model :class:`Project` (ids resolved to names)."""
    idx = LabelIndex()
    raw_tasks = doc.get("pipeline", {}).get("tasks", [])
    for t in raw_tasks:
        idx.task_title_by_id[str(t["id"])] = t["title"]
        idx.task_id_by_title[t["title"]] = str(t["id"])
        for lb in t.get("labels") or []:
            idx.label_by_id[str(lb["id"])] = Label(name=lb["name"])
            idx.id_by_name[lb["name"]] = str(lb["id"])
    tasks: list[Task] = []
    for t in raw_tasks:
        labels = []
        special: dict[str, str] = {}
        for lb in t.get("labels") or []:
            if lb.get("is_deleted"):
                continue
            parent_id = lb.get("parent_id")
            parent = idx.label_by_id[str(parent_id)].name if parent_id and str(parent_id) in idx.label_by_id else None
            label = Label(
                name=lb["name"], color=lb.get("color"), group=lb.get("group"), parent=parent,
                hotkey=lb.get("hotkey") or "", is_empty=bool(lb.get("is_empty")),
                is_anomalous=bool(lb.get("is_anomalous")),
            )
            idx.label_by_id[str(lb["id"])] = label
            labels.append(label)
            if label.is_empty:
                special["empty"] = str(lb["id"])
            elif label.is_anomalous:
                special["anomalous"] = str(lb["id"])
            elif t.get("task_type") == "anomaly":
                special["normal"] = str(lb["id"])
        idx.special[t["title"]] = special
        idx.labels_of_task[t["title"]] = [lb.name for lb in labels]
        tasks.append(
            Task(
                title=t["title"], task_type=t["task_type"], labels=labels,
                keypoint_structure=_keypoints_by_name(t.get("keypoint_structure"), idx),
            )
        )
    connections = [
        (idx.task_title_by_id.get(str(c["from"]), str(c["from"])), idx.task_title_by_id.get(str(c["to"]), str(c["to"])))
        for c in doc.get("pipeline", {}).get("connections", [])
    ]
    datasets = [
        Dataset(d["name"], bool(d.get("use_for_training")), source_id=str(d["id"])) for d in doc.get("datasets") or []
    ]
    project = Project(
        name=doc["name"], tasks=tasks, connections=connections,
        datasets=datasets or [Dataset("Dataset", True)], origin=dict(origin, project_id=doc.get("id")),
    )
    return project, idx


def _keypoints_by_name(ks: Any, idx: LabelIndex) -> dict[str, Any] | None:
    """Keypoint structure with label ids replaced by names (the model's form)."""
    if not ks:
        return None

    def name(v: Any) -> Any:
        lb = idx.label_by_id.get(str(v))
        return lb.name if lb is not None else v

    edges = [{"nodes": [name(n) for n in e.get("nodes", [])]} for e in ks.get("edges", [])]
    positions = [dict(p, label=name(p.get("label"))) for p in ks.get("positions", [])]
    return {"edges": edges, "positions": positions}


def create_body(project: Project) -> dict[str, Any]:
    """The POST body that creates ``project``: labels by name, parents by name.

    Empty labels are left out (the cluster adds its own; the writer matches them by flag);
    anomaly tasks send no labels, because the create schema has no ``is_anomalous`` field and
    the cluster creates Normal/Anomalous itself.
    """
    tasks = []
    for t in project.tasks:
        body: dict[str, Any] = {"title": t.title, "task_type": t.task_type}
        if t.trainable and t.task_type != "anomaly":
            labels = []
            for lb in t.labels:
                if lb.is_empty:
                    continue
                d: dict[str, Any] = {"name": lb.name, "hotkey": lb.hotkey or ""}
                if lb.color:
                    d["color"] = lb.color
                if lb.group:
                    d["group"] = lb.group
                if lb.parent:
                    d["parent_id"] = lb.parent
                labels.append(d)
            body["labels"] = labels
        if t.keypoint_structure:
            body["keypoint_structure"] = t.keypoint_structure
        tasks.append(body)
    conns = [{"from": a, "to": b} for a, b in project.connections]
    return {"name": project.name, "pipeline": {"tasks": tasks, "connections": conns}}


def generated_labels_put(project: Project, doc: dict[str, Any]) -> dict[str, Any] | None:
    """The PUT body that gives the labels a new project's cluster generated (empty, Normal/Anomalous) the
    source's name, colour and hotkey, which the create schema cannot carry; None when they already match."""
    sources = {t.title: t for t in project.trainable_tasks}
    tasks, changed = [], False
    for t in doc["pipeline"]["tasks"]:
        body: dict[str, Any] = {k: t[k] for k in ("id", "title", "task_type") if k in t}
        src = sources.get(t["title"])
        if "labels" in t:
            body["labels"] = []
            for lb in t["labels"]:
                out = {k: lb.get(k) for k in ("id", "name", "color", "group", "hotkey", "parent_id")}
                match = None
                if src is not None and lb.get("is_empty"):
                    match = src.empty_label()
                elif src is not None and t["task_type"] == "anomaly":
                    match = next((s for s in src.labels if not s.is_empty
                                  and s.is_anomalous == bool(lb.get("is_anomalous"))), None)
                if match is not None:
                    for key, value in (("name", match.name), ("color", match.color), ("hotkey", match.hotkey)):
                        if value is not None and _norm(key, value) != _norm(key, out[key]):
                            out[key] = value
                            changed = True
                body["labels"].append(out)
        if t.get("keypoint_structure"):
            body["keypoint_structure"] = t["keypoint_structure"]
        tasks.append(body)
    if not changed:
        return None
    return {"id": doc["id"], "name": doc["name"],
            "pipeline": {"tasks": tasks, "connections": doc["pipeline"]["connections"]}}


def edit_labels(conn: Connection, project: Project, add: list[str], delete: list[str]) -> None:
    """Give the cluster's project named ``project.name`` the labels ``add`` of ``project`` and delete the
    labels ``delete`` (``scmigrate sync``), in one project ``PUT``; a refusal is bad input naming them."""
    doc = find_project(conn, project.name)
    if doc is None:
        raise InputError(f"{conn.http.label}: no project named {project.name!r}")
    path = conn.dialect.project(conn.w, str(doc["id"]))
    try:
        conn.http.send_json("PUT", path, conn.dialect.edit_body(labels_edit_put(project, doc, add, delete)))
    except HttpError as exc:
        what = "; ".join(x for x in (f"adding {', '.join(map(repr, add))}" if add else "",
                                     f"deleting {', '.join(map(repr, delete))}" if delete else "") if x)
        raise InputError(f"{conn.http.label}: project {project.name!r}: the cluster refused {what}: {exc}") from None


def labels_edit_put(project: Project, doc: dict[str, Any], add: list[str], delete: list[str]) -> dict[str, Any]:
    """The PUT body that adds ``project``'s labels named ``add`` to the existing project ``doc`` (each to
    the task of the same title, else the trainable task at the same position) and marks the labels
    named ``delete`` deleted; every other label is sent back as it is, as the edit rules ask."""
    sources = {t.title: t for t in project.trainable_tasks}
    trainable = [t for t in doc["pipeline"]["tasks"] if "labels" in t and t["task_type"] not in ("dataset", "crop")]
    by_position = dict(zip((t["title"] for t in trainable), project.trainable_tasks, strict=False))
    tasks = []
    for t in doc["pipeline"]["tasks"]:
        body: dict[str, Any] = {k: t[k] for k in ("id", "title", "task_type") if k in t}
        if "labels" in t:
            body["labels"] = []
            for lb in t["labels"]:
                out = {k: lb.get(k) for k in ("id", "name", "color", "group", "hotkey", "parent_id")}
                if lb.get("name") in delete and not lb.get("is_empty"):
                    out["is_deleted"] = True
                body["labels"].append(out)
            src = sources.get(t["title"]) or by_position.get(t["title"])
            for lb in src.labels if src is not None else []:
                if lb.name in add:
                    new: dict[str, Any] = {"name": lb.name, "color": lb.color or "#808080ff", "hotkey": lb.hotkey or ""}
                    if lb.group:
                        new["group"] = lb.group
                    if lb.parent:
                        new["parent_id"] = lb.parent  # by name: the cluster resolves it, also to a label added now
                    body["labels"].append(new)
        if t.get("keypoint_structure"):
            body["keypoint_structure"] = t["keypoint_structure"]
        tasks.append(body)
    return {"id": doc["id"], "name": doc["name"],
            "pipeline": {"tasks": tasks, "connections": doc["pipeline"]["connections"]}}


def _norm(key: str, value: Any) -> Any:
    """Compare colours without case and with an implicit opaque alpha."""
    if key != "color" or not isinstance(value, str):
        return value or ("" if key == "hotkey" else value)
    v = value.lower()
    return v + "ff" if len(v) == 7 else v


def label_ids(project: Project, idx: LabelIndex) -> tuple[dict[str, str], str | None]:
    """Source label name → target label id (empty and anomaly labels matched by their flags, since the
    cluster names them itself), and the id of the first task's empty label."""
    ids = dict(idx.id_by_name)
    dst_titles = [t for t in idx.task_id_by_title if idx.special.get(t) is not None and t in idx.labels_of_task]
    dst_titles = [t for t in dst_titles if idx.labels_of_task[t] or idx.special[t]]
    for i, task in enumerate(project.trainable_tasks):
        title = task.title if task.title in idx.special else (dst_titles[i] if i < len(dst_titles) else None)
        if title is None:
            continue
        special = idx.special.get(title, {})
        for lb in task.labels:
            if lb.is_empty and "empty" in special:
                ids[lb.name] = special["empty"]
            elif lb.name in idx.labels_of_task.get(title, []):
                continue
            elif lb.is_anomalous and "anomalous" in special:
                ids[lb.name] = special["anomalous"]
            elif task.task_type == "anomaly" and "normal" in special:
                ids[lb.name] = special["normal"]
    first = next((t for t in dst_titles), None)
    return ids, idx.special.get(first or "", {}).get("empty")
