"""Persistent state of one emulated cluster: SQLite (WAL) plus content-addressed blob files.

Every request thread gets its own SQLite connection; writes are serialised by one lock so that the
multi-statement updates (a new annotation scene replacing "latest", a project with its datasets) are
atomic without relying on SQLite's busy retries. Documents are stored as JSON next to the few columns
that queries filter or sort on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    created TEXT NOT NULL, doc TEXT NOT NULL, config TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, created TEXT NOT NULL, use_for_training INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS media (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, upload_time TEXT NOT NULL,
    info TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS media_by_dataset ON media (dataset_id);
-- listing pages in name or upload order (media:query) read their page from these, not the whole dataset
CREATE INDEX IF NOT EXISTS media_by_name ON media (dataset_id, name, seq);
CREATE INDEX IF NOT EXISTS media_by_upload ON media (dataset_id, upload_time, seq);
CREATE TABLE IF NOT EXISTS scenes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, media_id TEXT NOT NULL,
    frame_index INTEGER NOT NULL, latest INTEGER NOT NULL, created TEXT NOT NULL,
    labels TEXT NOT NULL, state TEXT NOT NULL, doc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS scenes_latest ON scenes (media_id, frame_index, latest);
CREATE TABLE IF NOT EXISTS ranges (video_id TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS model_groups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS models (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, group_id TEXT NOT NULL,
    project_id TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT,
    created TEXT NOT NULL, doc TEXT NOT NULL);
"""

# Tables cleared by an admin reset; `meta` keeps the organisation, workspace and token.
_DATA_TABLES = ("projects", "datasets", "media", "scenes", "ranges", "model_groups", "models", "jobs")


class Store:
    """SQLite database and blob directory under ``data_dir``.

    The schema, the tables an admin reset clears and the database file name are class attributes, so
    the Geti 3.x application (``sc_emulator.geti3``) keeps its own tables with the same machinery."""

    schema = _SCHEMA
    data_tables: tuple[str, ...] = _DATA_TABLES
    db_name = "emulator.sqlite3"

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.blob_dir = self.data_dir / "blobs"
        self.tmp_dir = self.data_dir / "tmp"
        self.cache_dir = self.data_dir / "cache"
        for folder in (self.blob_dir, self.tmp_dir, self.cache_dir):
            folder.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / self.db_name
        self._local = threading.local()
        self.write_lock = threading.RLock()
        with self.write_lock:
            conn = self.conn()
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(self.schema)
        # Leftovers of uploads interrupted by a crash or SIGKILL.
        for stale in self.tmp_dir.iterdir():
            stale.unlink(missing_ok=True)

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (autocommit; transactions are explicit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A serialised write transaction: committed on success, rolled back on any exception."""
        with self.write_lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def one(self, sql: str, args: tuple = ()) -> sqlite3.Row | None:
        return self.conn().execute(sql, args).fetchone()

    def all(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        return self.conn().execute(sql, args).fetchall()

    # -- meta ------------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.one("SELECT value FROM meta WHERE key = ?", (key,))
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def reset(self) -> None:
        """Forget every project, media, annotation, model and job (admin reset); blobs go too."""
        with self.transaction() as conn:
            for table in self.data_tables:
                conn.execute(f"DELETE FROM {table}")
        for folder in (self.blob_dir, self.cache_dir):
            for path in folder.rglob("*"):
                if path.is_file():
                    path.unlink(missing_ok=True)

    # -- blobs -----------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blob_dir / digest[:2] / digest

    def adopt_blob(self, temp_path: Path, digest: str) -> Path:
        """Move a fully written temp file into the blob store under its SHA-256 (dedupes equal files)."""
        target = self.blob_path(digest)
        target.parent.mkdir(exist_ok=True)
        if target.exists():
            temp_path.unlink(missing_ok=True)
        else:
            os.replace(temp_path, target)
        return target

    def put_blob_bytes(self, data: bytes) -> str:
        """Store small in-memory bytes (model exports placed by tests) and return their digest."""
        digest = hashlib.sha256(data).hexdigest()
        target = self.blob_path(digest)
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            temp = self.tmp_dir / f"put-{digest}-{threading.get_ident()}"
            temp.write_bytes(data)
            os.replace(temp, target)
        return digest

    def drop_blob_if_unused(self, digest: str) -> None:
        """Delete a blob once no media or model refers to it any more (equal bytes share one blob)."""
        pattern = f'%"{digest}"%'
        if (self.one("SELECT 1 FROM media WHERE info LIKE ?", (pattern,)) is None
                and self.one("SELECT 1 FROM models WHERE doc LIKE ?", (pattern,)) is None):
            self.blob_path(digest).unlink(missing_ok=True)


def dumps(value: Any) -> str:
    """Compact JSON for document columns."""
    return json.dumps(value, separators=(",", ":"))


def loads(text: str) -> Any:
    return json.loads(text)
