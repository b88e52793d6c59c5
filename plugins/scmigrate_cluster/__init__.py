"""The cluster plugin: read projects from, and write projects to, SC / Intel Geti clusters.

A location is a configured cluster name (``scmigrate clusters add``) or an inline
``https://host`` URL (token from ``SCMIGRATE_TOKEN`` or ``--token-stdin``). ``claims`` is
cheap: the HTTP machinery (requests, the dialects) is imported only when a location opens.
"""

from __future__ import annotations

from typing import Any, ClassVar

import scmigrate
from scmigrate.api import PluginOption, Reader, RunOptions, Sink, Source, Writer

# light (no requests): the threads the engine runs against a cluster without --workers
from .limiter import AUTO_MAXIMUM

__all__ = ["ClusterSource", "ClusterSink", "register_sources", "register_sinks"]

_LOCATION_HELP = "NAME (a configured cluster) or https://HOST"

#: options shared by reading and writing: how to reach and authenticate to the cluster
_CONNECT_OPTIONS: tuple[PluginOption, ...] = (
    PluginOption("ca-bundle", "path", None, "CA certificate(s) to trust for the cluster's TLS certificate"),
    PluginOption("insecure", bool, False, "do not verify the cluster's TLS certificate (warns; avoid)"),
    PluginOption("allow-plain-http", bool, False,
                 "accept an http:// URL to a host on the network (the token travels unencrypted; warns)"),
    PluginOption("token-stdin", bool, False, "read the cluster's access token from one line of standard input"),
    PluginOption("workspace", str, None, "the workspace by name or id (default: the only one)"),
    PluginOption("timeout", float, 60.0, "read timeout of one cluster request, seconds"),
    PluginOption("low-level-retries", int, 10, "retries of one cluster request (connection errors, 429, 5xx)"),
)


def _claims(location: str) -> bool:
    from .locations import configured, is_url

    return is_url(location) or configured(location) is not None


class ClusterSource(Source):
    """Reads one project (``--project NAME``) from a cluster."""

    name: ClassVar[str] = "cluster"
    location_help: ClassVar[str] = _LOCATION_HELP
    description: ClassVar[str] = "a project on an SC / Intel Geti cluster (SC 1.x, Geti 1.0 – 2.13, and Geti 3.x)"
    options: ClassVar[tuple[PluginOption, ...]] = _CONNECT_OPTIONS
    selects_project: ClassVar[bool] = True
    auto_workers: ClassVar[int] = AUTO_MAXIMUM

    @classmethod
    def claims(cls, location: str) -> bool:
        return _claims(location)

    def open(self, location: str, options: RunOptions) -> Reader:
        from .connection import connect
        from .geti3.api import Geti3Connection

        conn = connect(location, options)
        try:
            if isinstance(conn, Geti3Connection):
                from .geti3.reader import Geti3Reader

                return Geti3Reader(conn, options)
            from .reader import ClusterReader

            return ClusterReader(conn, options)
        except BaseException:
            conn.http.close()
            raise

    def list_projects(self, location: str, options: RunOptions) -> list[dict[str, Any]]:
        from .connection import connect
        from .geti3.api import Geti3Connection
        from .projects import list_projects

        conn = connect(location, options)
        try:
            if isinstance(conn, Geti3Connection):
                return _geti3_projects(conn)
            out = []
            for p in list_projects(conn):
                tasks = [t.get("task_type") for t in p.get("pipeline", {}).get("tasks", [])]
                entry = {"name": p.get("name"), "id": p.get("id"),
                         "task_types": [t for t in tasks if t not in ("dataset", "crop")]}
                entry.update(_media_counts(conn, p))
                out.append(entry)
            return out
        finally:
            conn.http.close()

    def probe(self, location: str, options: RunOptions) -> dict[str, Any]:
        from .connection import connect

        conn = connect(location, options)
        try:
            return conn.facts()
        finally:
            conn.http.close()


def _geti3_projects(conn: Any) -> list[dict[str, Any]]:
    out = []
    for p in conn.projects():
        task = p.get("task") or {}
        kind = task.get("task_type")
        if kind == "classification":
            kind += " (multi-class)" if task.get("exclusive_labels") else " (multi-label)"
        counts = conn.http.get_json(f"/api/projects/{p['id']}/dataset/statistics").get("media_counts") or {}
        out.append({"name": p.get("name"), "id": p.get("id"), "task_types": [kind],
                    "images": int(counts.get("images") or 0), "videos": int(counts.get("videos") or 0)})
    return out


def _media_counts(conn: Any, p: dict[str, Any]) -> dict[str, int]:
    """Images and videos of a project over all its datasets (one small query each)."""
    counts = {"images": 0, "videos": 0}
    pp = conn.dialect.project(conn.w, p["id"])
    for d in conn.http.get_json(f"{pp}/datasets").get("datasets", []):
        dpath = conn.dialect.dataset(conn.w, p["id"], d["id"])
        counts["images"] += conn.dialect.count_media(conn.http, dpath, "image")
        counts["videos"] += conn.dialect.count_media(conn.http, dpath, "video")
    return counts


class ClusterSink(Sink):
    """Creates a project on a cluster (or continues one) and uploads media and annotations."""

    name: ClassVar[str] = "cluster"
    location_help: ClassVar[str] = _LOCATION_HELP
    description: ClassVar[str] = "a new project on an SC / Intel Geti cluster"
    holds_projects: ClassVar[bool] = True
    auto_workers: ClassVar[int] = AUTO_MAXIMUM
    options: ClassVar[tuple[PluginOption, ...]] = _CONNECT_OPTIONS + (
        PluginOption("into-existing", bool, False,
                     "write into a project of the same name (media already there are skipped)"),
        PluginOption("auto-train", str, None, "auto-training of the new project after the upload: on or off"),
        PluginOption("set", str, None, "a training parameter for every task, KEY=VALUE (repeatable)",
                     multiple=True),
    )

    @classmethod
    def claims(cls, location: str) -> bool:
        return _claims(location)

    def open(self, location: str, options: RunOptions) -> Writer:
        from .connection import connect
        from .geti3.api import Geti3Connection

        conn = connect(location, options)
        try:
            if isinstance(conn, Geti3Connection):
                from .geti3.writer import Geti3Writer

                return Geti3Writer(conn, options)
            from .writer import ClusterWriter

            return ClusterWriter(conn, options)
        except BaseException:
            conn.http.close()
            raise

    def lock_scope(self, location: str, options: RunOptions) -> str:
        """What keys the local lock of a run writing here (issue 9): the cluster's URL and workspace,
        so a configured name and its URL share one lock; no token is read."""
        from .connection import configured, is_url, opt

        url = location if is_url(location) else str(getattr(configured(location), "url", location))
        workspace = opt(options, "workspace") or getattr(configured(location), "workspace", None) or ""
        return f"{url.rstrip('/').lower()}#{workspace}"

    def preflight(self, location: str, target: Any, options: RunOptions) -> list[str]:
        """Dry run: reach the cluster (token, TLS), parse --auto-train/--set, refuse a name clash."""
        from scmigrate.errors import InputError

        from .connection import connect
        from .geti3.api import Geti3Connection
        from .projects import find_project
        from .writer import ClusterWriter

        conn = connect(location, options)
        try:
            if isinstance(conn, Geti3Connection):
                from .geti3.writer import preflight

                return preflight(conn, target, options)
            writer = ClusterWriter(conn, options)  # parses --auto-train and --set, as the real run does
            lost = [f"{conn.http.label}: cannot hold {what}" for what in conn.dialect.cannot_hold(target)]
            if lost and options.strict:
                raise InputError(f"{lost[0]} (--strict)")
            if options.resume:
                return lost + [f"{conn.http.label}: continues the project {target.name!r} of the interrupted run"]
            if find_project(conn, target.name) is None:
                return lost + [f"{conn.http.label}: a new project {target.name!r} would be created"]
            if not writer.into_existing:
                raise InputError(
                    f"{conn.http.label}: a project named {target.name!r} already exists; pass --into-existing "
                    "to add to it (media already there are skipped) or choose another name with --to-project"
                )
            return lost + [f"{conn.http.label}: media would be added to the existing project {target.name!r}"]
        finally:
            conn.http.close()


@scmigrate.hookimpl
def register_sources(register: Any) -> None:
    register(ClusterSource)


@scmigrate.hookimpl
def register_sinks(register: Any) -> None:
    register(ClusterSink)
