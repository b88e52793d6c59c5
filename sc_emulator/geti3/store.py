"""The Geti 3.x application's tables, on the shared SQLite + blob machinery of ``sc_emulator.store``.

One dataset per project: every image and every annotated video frame has one dataset item (id = media
id) holding its annotations (``NULL`` = never annotated), subset and review flag. Label ids are a global
primary key, as in the real schema, so reusing one in another project is a conflict.
"""

from __future__ import annotations

from ..store import Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS projects (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    task_type TEXT NOT NULL, exclusive_labels INTEGER NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, color TEXT NOT NULL, hotkey TEXT,
    UNIQUE (project_id, name), UNIQUE (project_id, hotkey));
CREATE TABLE IF NOT EXISTS media (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    type TEXT NOT NULL, name TEXT NOT NULL, format TEXT NOT NULL, created TEXT NOT NULL,
    video_id TEXT, frame_index INTEGER, info TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS media_by_project ON media (project_id, type);
CREATE INDEX IF NOT EXISTS frames_by_video ON media (video_id, frame_index);
CREATE TABLE IF NOT EXISTS items (
    media_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, seq INTEGER NOT NULL, created TEXT NOT NULL,
    subset TEXT NOT NULL, user_reviewed INTEGER NOT NULL, annotations TEXT, label_ids TEXT NOT NULL,
    prediction_model_id TEXT);
CREATE TABLE IF NOT EXISTS views (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, project_id TEXT NOT NULL,
    name TEXT NOT NULL, created TEXT NOT NULL, UNIQUE (project_id, name));
CREATE TABLE IF NOT EXISTS view_media (view_id TEXT NOT NULL, media_id TEXT NOT NULL,
    PRIMARY KEY (view_id, media_id));
CREATE TABLE IF NOT EXISTS training_configs (project_id TEXT NOT NULL, architecture_id TEXT NOT NULL,
    overrides TEXT NOT NULL, PRIMARY KEY (project_id, architecture_id));
CREATE TABLE IF NOT EXISTS uploads (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, filename TEXT NOT NULL,
    filetype TEXT, size INTEGER, offset INTEGER NOT NULL, state TEXT NOT NULL, created TEXT NOT NULL,
    expires REAL NOT NULL);
"""


class Geti3Store(Store):
    """SQLite file ``geti3.sqlite3`` (a 2.x data dir is left alone) plus the shared blob directory."""

    schema = _SCHEMA
    data_tables = ("projects", "labels", "media", "items", "views", "view_media", "training_configs", "uploads")
    db_name = "geti3.sqlite3"

    def __init__(self, data_dir: object) -> None:
        super().__init__(data_dir)  # type: ignore[arg-type]
        self.uploads_dir = self.data_dir / "uploads"
        self.uploads_dir.mkdir(exist_ok=True)

    def reset(self) -> None:
        super().reset()
        for path in self.uploads_dir.iterdir():
            path.unlink(missing_ok=True)

    def drop_blob_if_unused(self, digest: str) -> None:
        """Delete a blob once no media refers to it (equal uploads share one blob)."""
        if self.one("SELECT 1 FROM media WHERE info LIKE ?", (f'%"{digest}"%',)) is None:
            self.blob_path(digest).unlink(missing_ok=True)
