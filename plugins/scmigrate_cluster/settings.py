"""Project configuration: read both styles, switch auto-training, validate and apply ``--set``.

Two styles exist. The legacy "configurable parameters" documents (``configuration``, with the
``TASK_NODE.auto_training`` switch) are on every 2.x cluster; ``project_configuration`` and
``training_configuration`` (``{"key", "value"}`` trees, PATCH → 204) exist from 2.12. Both are
read and kept verbatim in ``Configuration.raw``; values are flattened to dotted keys
(``training.max_epochs``) so ``--set`` can name them, by full key or by a unique last part.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from scmigrate.errors import InputError
from scmigrate.model import Configuration

from .connection import Connection
from .http import HttpError
from .projects import LabelIndex

__all__ = ["read_configuration", "TargetSettings", "parse_sets"]

_TRUE = {"1", "true", "on", "yes"}
_FALSE = {"0", "false", "off", "no"}


@dataclass
class Param:
    """One settable value: where it lives (for the PATCH/POST body) and its constraints."""

    path: str
    container: tuple[str, ...]
    key: str
    value: Any
    type: str
    min_value: Any = None
    max_value: Any = None
    allowed: list[Any] | None = None
    entity: dict[str, Any] | None = None  # legacy: the component's entity_identifier
    group: str | None = None  # legacy: the parameter group inside the component
    doc: str = "training"  # new style: "training" (training_configuration) or "project" (project_configuration)


def _walk_new(node: Any, container: tuple[str, ...]) -> Iterator[Param]:
    """The ``{"key","value"}`` parameters of a ``training_configuration`` tree."""
    if isinstance(node, dict):
        if "key" in node and "value" in node and not isinstance(node["value"], (dict, list)):
            yield Param(
                ".".join(container + (str(node["key"]),)), container, str(node["key"]), node["value"],
                str(node.get("type") or type(node["value"]).__name__), node.get("min_value"),
                node.get("max_value"), node.get("allowed_values"),
            )
            return
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                yield from _walk_new(v, container + (str(k),))
    elif isinstance(node, list):
        for v in node:
            yield from _walk_new(v, container)


def _legacy_params(task_doc: dict[str, Any]) -> Iterator[Param]:
    """The parameters of one legacy ``task_chain`` entry (components and their groups)."""
    for comp in task_doc.get("components") or []:
        ent = comp.get("entity_identifier") or {}
        cname = str(ent.get("component") or comp.get("name") or comp.get("header") or "component").lower()
        nested = [(None, comp.get("parameters") or [])] + [
            (g.get("name"), g.get("parameters") or []) for g in comp.get("groups") or []
        ]
        for group, params in nested:
            for p in params:
                path = ".".join(x for x in (cname, group, p["name"]) if x)
                yield Param(
                    path, (cname,), str(p["name"]), p.get("value"), str(p.get("data_type") or "string"),
                    p.get("min_value"), p.get("max_value"), p.get("options"), ent, group,
                )


def _flatten(params: Iterator[Param]) -> dict[str, Param]:
    return {p.path: p for p in params}


def _project_params(doc: dict[str, Any], tid: str) -> dict[str, Param]:
    """One task's ``project_configuration`` values other than the auto-training switch, as
    ``project.<section>.<key>`` (the switch is carried by ``Configuration.auto_training``)."""
    out: dict[str, Param] = {}
    for tc in doc.get("task_configs") or []:
        if str(tc.get("task_id")) != tid:
            continue
        body = {k: v for k, v in tc.items() if k != "task_id"}
        for p in _walk_new(body, ()):
            if p.container == ("auto_training",) and p.key == "enable":
                continue
            p.doc = "project"
            p.path = "project." + p.path
            out[p.path] = p
    return out


def _documents(conn: Connection, p: str, idx: LabelIndex, tasks: list[str]) -> tuple[Any, Any, dict[str, Any]]:
    """The legacy ``configuration``, ``project_configuration`` and each task's ``training_configuration``
    (None where the dialect has no new style; an :class:`HttpError` where the cluster refused one).

    The documents are independent GETs, so they are asked for at once (a project read is a few
    requests one after another: each saved is one round trip off every run's start)."""

    def get(path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return conn.http.get_json(path, params=params)
        except HttpError as exc:
            return exc  # each is optional: the callers handle it, in the order the documents depend on each other

    new_style = conn.dialect.has_project_configuration
    with ThreadPoolExecutor(2 + len(tasks) if new_style else 1) as pool:
        legacy_f = pool.submit(get, f"{p}/configuration")
        doc_f = pool.submit(get, f"{p}/project_configuration") if new_style else None
        training_f = {title: pool.submit(get, f"{p}/training_configuration",
                                         {"task_id": idx.task_id_by_title[title]})
                      for title in (tasks if new_style else [])}
    return (legacy_f.result(), doc_f.result() if doc_f is not None else None,
            {title: f.result() for title, f in training_f.items()})


def read_configuration(conn: Connection, pid: str, idx: LabelIndex, tasks: list[str]) -> Configuration:
    """Both configuration styles of a project, raw and flattened, keyed by task title."""
    cfg = Configuration()
    legacy, doc, training = _documents(conn, conn.dialect.project(conn.w, pid), idx, tasks)
    if not isinstance(legacy, HttpError):  # else a cluster without the legacy API: the new one carries the same facts
        cfg.raw["configuration"] = legacy
        for entry in legacy.get("task_chain") or []:
            title = entry.get("task_title") or idx.task_title_by_id.get(str(entry.get("task_id")))
            if not title:
                continue
            params = _flatten(_legacy_params(entry))
            switch = next((v for k, v in params.items() if v.key == "auto_training"), None)
            if switch is not None:
                cfg.auto_training[title] = bool(switch.value)
            cfg.training_parameters[title] = {k: v.value for k, v in params.items() if v.key != "auto_training"}
    if doc is None or isinstance(doc, HttpError):
        return cfg  # 403 feature_not_available on clusters with the flag off
    cfg.raw["project_configuration"] = doc
    for tc in doc.get("task_configs") or []:
        title = idx.task_title_by_id.get(str(tc.get("task_id")))
        enable = next((a.get("value") for a in tc.get("auto_training") or [] if a.get("key") == "enable"), None)
        if title and enable is not None:
            cfg.auto_training[title] = bool(enable)
    for title in tasks:
        tdoc = training[title]
        if isinstance(tdoc, HttpError):
            break
        cfg.raw[f"training_configuration/{title}"] = tdoc
        params = _flatten(_walk_new(tdoc, ()))
        params.update(_project_params(doc, idx.task_id_by_title[title]))
        merged = cfg.training_parameters.setdefault(title, {})  # both styles, each by its own keys
        merged.update({k: v.value for k, v in params.items()})
    return cfg


_NEW_SECTIONS = ("training.", "dataset_preparation.", "evaluation.", "project.")


def _style(path: str) -> str:
    """Which configuration style a flattened key comes from: ``"new"`` or ``"legacy"``."""
    return "new" if path.startswith(_NEW_SECTIONS) else "legacy"


def parse_sets(values: Any) -> list[tuple[str, str]]:
    """``--set KEY=VALUE`` (repeatable, or comma-separated) as pairs."""
    if not values:
        return []
    if isinstance(values, str):
        values = [values]
    out = []
    for item in values:
        for part in str(item).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise InputError(f"--set {part!r}: expected KEY=VALUE")
            k, v = part.split("=", 1)
            out.append((k.strip(), v.strip()))
    return out


def coerce(param: Param, value: Any, what: str) -> Any:
    """``value`` converted to the parameter's type and checked against its range/options."""
    t = param.type.lower()
    try:
        if t in ("bool", "boolean"):
            if isinstance(value, bool):
                out: Any = value
            elif str(value).lower() in _TRUE | _FALSE:
                out = str(value).lower() in _TRUE
            else:
                raise ValueError
        elif t in ("int", "integer"):
            out = int(value) if not isinstance(value, float) or value.is_integer() else None
            if out is None:
                raise ValueError
        elif t == "float":
            out = float(value)
        else:
            out = value if isinstance(value, str) else str(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: {value!r} is not a valid {t} for {param.path}") from None
    if param.min_value is not None and isinstance(out, (int, float)) and out < param.min_value:
        raise InputError(f"{what}: {param.path}={out} is below the minimum {param.min_value}")
    if param.max_value is not None and isinstance(out, (int, float)) and out > param.max_value:
        raise InputError(f"{what}: {param.path}={out} is above the maximum {param.max_value}")
    if param.allowed and out not in param.allowed:
        raise InputError(f"{what}: {param.path}={out!r} is not one of {param.allowed}")
    return out


class TargetSettings:
    """The configuration of a project on the target cluster, as it can be changed."""

    def __init__(self, conn: Connection, pid: str, idx: LabelIndex, tasks: list[str]) -> None:
        self.conn, self.idx, self.tasks = conn, idx, tasks
        self.p = conn.dialect.project(conn.w, pid)
        self.new_style = False
        #: per task: every settable value of both styles the target speaks (legacy ones have doc "legacy")
        self.params: dict[str, dict[str, Param]] = {t: {} for t in tasks}
        self.legacy: dict[str, dict[str, Param]] = {}
        doc, pdoc, training = _documents(conn, self.p, idx, tasks)
        if not isinstance(doc, HttpError):
            for entry in doc.get("task_chain") or []:
                title = entry.get("task_title") or idx.task_title_by_id.get(str(entry.get("task_id")))
                if title:
                    self.legacy[title] = _flatten(_legacy_params(entry))
                    for path, param in self.legacy[title].items():
                        if param.key != "auto_training":
                            param.doc = "legacy"
                            self.params.setdefault(title, {})[path] = param
        #: ``project_configuration`` as read here, until a PATCH of ours: auto_training() needs no second GET
        self._pdoc: dict[str, Any] | None = None
        # any refusal (403 feature_not_available) leaves the legacy style as all there is
        if pdoc is not None and not isinstance(pdoc, HttpError) \
                and not any(isinstance(t, HttpError) for t in training.values()):
            for title in tasks:
                fresh = _flatten(_walk_new(training[title], ()))
                fresh.update(_project_params(pdoc, idx.task_id_by_title[title]))
                self.params.setdefault(title, {}).update(fresh)
            self.new_style, self._pdoc = True, pdoc
        self.styles = {_style(p) for params in self.params.values() for p in params}

    def lookup(self, title: str, key: str) -> Param | None:
        """A parameter by dotted key or by a unique trailing part; InputError when ambiguous.

        The new style is searched first: on clusters that speak both, ``batch_size`` means the new
        ``training.batch_size``, and the legacy spelling stays reachable by its full key.
        """
        params = self.params.get(title, {})
        if key in params:
            return params[key]
        for style in ("new", "legacy"):
            hits = [p for path, p in params.items() if path.endswith("." + key) and _style(path) == style]
            if len(hits) > 1:
                raise InputError(f"--set {key}: ambiguous in task {title!r}: " + ", ".join(p.path for p in hits))
            if hits:
                return hits[0]
        return None

    def validate_sets(self, sets: list[tuple[str, str]]) -> dict[str, dict[str, Any]]:
        """Check every ``--set`` against every task; return the typed values per task title."""
        out: dict[str, dict[str, Any]] = {t: {} for t in self.tasks}
        for key, value in sets:
            for title in self.tasks:
                param = self.lookup(title, key)
                if param is None:
                    known = ", ".join(sorted(self.params.get(title, {}))[:12])
                    raise InputError(f"--set {key}: no such setting in task {title!r} (known: {known}, ...)")
                out[title][param.path] = coerce(param, value, f"--set {key}")
        return out

    def carry(self, title: str, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Source values the target accepts (and that differ), and a line per refused one.

        A source that spoke both styles describes each value twice; when the target speaks only
        one, the other spelling is not "refused": the same value arrives through the shared style.
        """
        accepted: dict[str, Any] = {}
        refused: list[str] = []
        shared = {_style(p) for p in values} & self.styles
        for path, value in values.items():
            param = self.params.get(title, {}).get(path)
            if param is None:
                if _style(path) not in self.styles and shared:
                    continue
                refused.append(f"{title}: {path}={value!r}: not a setting of the target cluster")
                continue
            try:
                typed = coerce(param, value, title)
            except InputError as exc:
                refused.append(str(exc))
                continue
            if typed != param.value:
                accepted[path] = typed
        return accepted, refused

    def apply(self, title: str, values: dict[str, Any]) -> list[str]:
        """Send ``values`` (dotted keys) for one task; return lines for what the cluster refused.

        Legacy values go first and new-style ones after, so that where both spell the same value
        (a cluster speaking both styles) the new style, which ``--set`` prefers, has the last word.
        """
        if not values:
            return []
        params = self.params.get(title, {})
        tid = self.idx.task_id_by_title[title]
        try:
            legacy = [(params[path], value) for path, value in values.items() if params[path].doc == "legacy"]
            if legacy:
                self._post_legacy(tid, legacy)
            trees: dict[str, dict[str, Any]] = {}
            for path, value in values.items():
                param = params[path]
                if param.doc == "legacy":
                    continue
                node = trees.setdefault(param.doc, {})
                for k in param.container[:-1]:
                    node = node.setdefault(k, {})
                slot = param.container[-1] if param.container else "training"
                node.setdefault(slot, []).append({"key": param.key, "value": value})
            if "training" in trees:
                self.conn.http.send_json("PATCH", f"{self.p}/training_configuration", trees["training"],
                                         params={"task_id": tid})
            if "project" in trees:
                body = {"task_configs": [dict(trees["project"], task_id=tid)]}
                self._pdoc = None
                self.conn.http.send_json("PATCH", f"{self.p}/project_configuration", body)
        except HttpError as exc:
            return [f"{title}: the target refused {sorted(values)}: {exc}"]
        for path, value in values.items():
            params[path].value = value
        return []

    def _post_legacy(self, tid: str, items: list[tuple[Param, Any]], retries: int | None = None) -> None:
        comps: dict[str, dict[str, Any]] = {}
        for param, value in items:
            ent = param.entity or {}
            key = repr(sorted(ent.items()))
            comp = comps.setdefault(key, {"entity_identifier": ent, "parameters": [], "groups": []})
            entry = {"name": param.key, "value": value}
            if param.group:
                grp = next((g for g in comp["groups"] if g["name"] == param.group), None)
                if grp is None:
                    grp = {"name": param.group, "parameters": []}
                    comp["groups"].append(grp)
                grp["parameters"].append(entry)
            else:
                comp["parameters"].append(entry)
        body = {"task_chain": [{"task_id": tid, "components": list(comps.values())}]}
        self.conn.http.send_json("POST", f"{self.p}/configuration/task_chain", body, retries=retries)

    # ------------------------------------------------------------------ auto-training

    def auto_training(self) -> dict[str, bool]:
        """The auto-training switch per task, as the target has it now."""
        out: dict[str, bool] = {}
        if self.new_style:
            doc = self._pdoc or self.conn.http.get_json(f"{self.p}/project_configuration")
            for tc in doc.get("task_configs") or []:
                title = self.idx.task_title_by_id.get(str(tc.get("task_id")))
                enable = next((a.get("value") for a in tc.get("auto_training") or [] if a.get("key") == "enable"), None)
                if title and enable is not None:
                    out[title] = bool(enable)
            return out
        for title, params in self.legacy.items():
            switch = next((p for p in params.values() if p.key == "auto_training"), None)
            if switch is not None:
                out[title] = bool(switch.value)
        return out

    def set_auto_training(self, wanted: dict[str, bool], retries: int | None = None) -> None:
        """Switch auto-training per task (PATCH project_configuration, or legacy TASK_NODE).

        ``retries`` caps the retries of each request (few when restoring it on the way out).
        """
        wanted = {t: v for t, v in wanted.items() if t in self.idx.task_id_by_title}
        if not wanted:
            return
        if self.new_style:
            body = {
                "task_configs": [
                    {"task_id": self.idx.task_id_by_title[t], "auto_training": [{"key": "enable", "value": v}]}
                    for t, v in wanted.items()
                ]
            }
            self._pdoc = None
            self.conn.http.send_json("PATCH", f"{self.p}/project_configuration", body, retries=retries)
            return
        for title, value in wanted.items():
            switch = next((p for p in self.legacy.get(title, {}).values() if p.key == "auto_training"), None)
            if switch is not None:
                self._post_legacy(self.idx.task_id_by_title[title], [(switch, value)], retries=retries)
                switch.value = value
