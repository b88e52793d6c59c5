"""The run journal: what ``--resume`` needs to finish an interrupted transfer.

JSON lines, appended and flushed as items land, so a killed process leaves every completed
item recorded (a half-written last line is ignored). For a sink that is a file the journal sits
next to it (``<path>.journal``); for anything else (a cluster) under
``$XDG_STATE_HOME/scmigrate/journals/``. A run that moved everything removes its journal.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

__all__ = ["Journal", "journal_path"]

_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "scmigrate" / "journals"


def journal_path(location: str, project: str) -> Path:
    """Where the journal of a run writing ``project`` to ``location`` lives.

    A location without a scheme that names a file (it has a directory part or a suffix) gets a
    journal beside it, and anything else one in the state directory keyed by location and project.
    """
    is_url = "://" in location or (_SCHEME.match(location) and not re.match(r"^[A-Za-z]:[\\/]", location))
    if not is_url and (os.sep in location or "/" in location or Path(location).suffix):
        return Path(location + ".journal")
    digest = hashlib.sha256(f"{location}\0{project}".encode()).hexdigest()[:16]
    safe = re.sub(r"[^\w.-]+", "_", f"{location}-{project}")[:60]
    return _state_dir() / f"{safe}-{digest}.journal"


class Journal:
    """Appends records; reads back the state and the keys of completed items."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fh: Any = None
        self.state: dict[str, Any] | None = None
        #: the run that wrote it (from its last ``begin`` record): a journal only resumes that run
        self.source: str | None = None
        self.project: str | None = None
        self.keys: set[str] = set()
        self.ids: dict[str, Any] = {}

    def load(self) -> bool:
        """Read an existing journal; returns whether there was one."""
        if not self.path.exists():
            return False
        with open(self.path, "rb") as fh:
            for raw in fh:
                try:
                    rec = json.loads(raw)
                except ValueError:
                    continue  # the line being written when the process died
                if rec.get("type") == "begin":
                    self.state = rec.get("state")
                    self.source, self.project = rec.get("source"), rec.get("project")
                elif rec.get("type") == "item":
                    self.keys.add(rec["key"])
                    if rec.get("source_id") is not None and rec.get("ids"):
                        self.ids[rec["source_id"]] = rec["ids"]
        return True

    def open(self, fresh: bool) -> None:
        """Start appending; ``fresh`` discards what an earlier run recorded."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "w" if fresh else "a", encoding="utf-8")
        os.chmod(self.path, 0o600)

    def _append(self, rec: dict[str, Any]) -> None:
        line = json.dumps(rec, separators=(",", ":"), default=str)
        with self._lock:
            if self._fh is not None:
                self._fh.write(line + "\n")
                self._fh.flush()

    def begin(self, state: dict[str, Any], project: str, source: str) -> None:
        self._append({"type": "begin", "state": state, "project": project, "source": source})

    def item(self, key: str, source_id: str | None, ids: dict[str, str]) -> None:
        self._append({"type": "item", "key": key, "source_id": source_id, "ids": ids})

    def close(self, remove: bool) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
        if remove:
            try:
                self.path.unlink()
            except FileNotFoundError:
                pass
