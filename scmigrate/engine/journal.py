"""The run journal: what ``--resume`` needs to finish an interrupted transfer.

JSON lines, appended and flushed as items land, so a killed process leaves every completed
item recorded (a half-written last line is ignored). For a sink that is a file the journal sits
next to it (``<path>.journal``); for anything else (a cluster) under
``$XDG_STATE_HOME/scmigrate/journals/``. A run that moved everything removes its journal and
leaves a one-line note of that under ``$XDG_STATE_HOME/scmigrate/finished/``, so that a later
``--resume`` of it says there is nothing to resume instead of reading everything again.

The guarantee ``--resume`` rests on: an ``intent`` record (target project, source, sink) is on
disk before the writer's ``begin`` touches the target, and a ``begin`` record with the writer's
state (e.g. the new project's id) before the first item is written. So a run killed at any
instant leaves either nothing in the target, or a journal that says what it began. A journal
with an intent but no ``begin`` record resumes with the state ``{UNCONFIRMED: True}``: the writer
must find what it may have created by name (a cluster project) rather than refuse it as a clash.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

__all__ = ["UNCONFIRMED", "Journal", "journal_path", "local_path", "state_dir"]

#: the key of the state a writer's ``begin`` gets when the interrupted run had begun creating the
#: target but never recorded what ``begin`` returned
UNCONFIRMED = "begin_unconfirmed"

_SCHEME = re.compile(r"^[A-Za-z][\w+.-]*:")


def state_dir(kind: str = "journals") -> Path:
    """``$XDG_STATE_HOME/scmigrate/<kind>``: journals and locks of targets that are not files."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "scmigrate" / kind


def local_path(location: str) -> Path | None:
    """The location as a local path, if it is one: no scheme, and a directory part or a suffix.

    Anything else (a URL, a configured cluster's name) is None.
    """
    is_url = "://" in location or (_SCHEME.match(location) and not re.match(r"^[A-Za-z]:[\\/]", location))
    if not is_url and (os.sep in location or "/" in location or Path(location).suffix):
        return Path(location)
    return None


def journal_path(location: str, project: str) -> Path:
    """Where the journal of a run writing ``project`` to ``location`` lives.

    A location that names a file (:func:`local_path`) gets a journal beside it, and anything else
    one in the state directory keyed by location and project.
    """
    if local_path(location) is not None:
        return Path(location + ".journal")
    digest = hashlib.sha256(f"{location}\0{project}".encode()).hexdigest()[:16]
    safe = re.sub(r"[^\w.-]+", "_", f"{location}-{project}")[:60]
    return state_dir() / f"{safe}-{digest}.journal"


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
        #: an ``intent`` record was read: the run that wrote it may have begun writing the target
        self.intent = False
        self.keys: set[str] = set()
        self.ids: dict[str, Any] = {}
        self._fresh, self._start = False, 0

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
                if rec.get("type") == "intent":
                    if rec.get("fresh"):  # a new run (not --resume) started over here: forget the one before
                        self.state, self.keys, self.ids = None, set(), {}
                    self.intent = True
                    self.source, self.project = rec.get("source"), rec.get("project")
                elif rec.get("type") == "begin":
                    self.state = rec.get("state")
                    self.source, self.project = rec.get("source"), rec.get("project")
                elif rec.get("type") == "item":
                    self.keys.add(rec["key"])
                    if rec.get("source_id") is not None and rec.get("ids"):
                        self.ids[rec["source_id"]] = rec["ids"]
        return True

    def open(self, fresh: bool) -> None:
        """Start appending; ``fresh`` (its intent record says so) discards what an earlier run recorded.

        Appended even then, not truncated: a fresh run the target refuses (a name clash) must
        leave the journal of the interrupted run as it was (:meth:`retract`).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")
        os.chmod(self.path, 0o600)
        self._fresh = fresh
        self._start = self._fh.tell()

    def retract(self) -> None:
        """Undo this run's records (its ``begin`` was refused: nothing to resume); close."""
        with self._lock:
            if self._fh is None:
                return
            self._fh.truncate(self._start)
            self._fh.close()
            self._fh = None
        if self._start == 0:
            self.path.unlink(missing_ok=True)

    def _append(self, rec: dict[str, Any], sync: bool = False) -> None:
        """Write one line; a flush survives the process being killed, ``sync`` also a power cut
        (once or twice a run: the records ``--resume`` cannot do without)."""
        line = json.dumps(rec, separators=(",", ":"), default=str)
        with self._lock:
            if self._fh is not None:
                self._fh.write(line + "\n")
                self._fh.flush()
                if sync:
                    os.fsync(self._fh.fileno())

    def resume_state(self) -> dict[str, Any] | None:
        """What the writer's ``begin`` gets on ``--resume``: the recorded state, or the unconfirmed
        intent when the interrupted run died inside ``begin``, or None (it never began)."""
        if self.state is not None:
            return self.state
        return {UNCONFIRMED: True} if self.intent else None

    def intend(self, project: str, source: str, sink: str) -> None:
        """Record, durably, that this run is about to begin writing ``project`` at ``sink``."""
        self._append({"type": "intent", "fresh": self._fresh, "project": project, "source": source, "sink": sink,
                      "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, sync=True)

    def begin(self, state: dict[str, Any], project: str, source: str) -> None:
        self._append({"type": "begin", "state": state, "project": project, "source": source}, sync=True)

    def item(self, key: str, source_id: str | None, ids: dict[str, str]) -> None:
        self._append({"type": "item", "key": key, "source_id": source_id, "ids": ids})

    def _finished_path(self) -> Path:
        digest = hashlib.sha256(str(self.path.absolute()).encode()).hexdigest()[:24]
        return state_dir("finished") / f"{digest}.json"

    def mark_finished(self, source: str, project: str) -> None:
        """Note that the run from ``source`` to ``project`` moved everything (best effort: it only saves time)."""
        note = self._finished_path()
        try:
            note.parent.mkdir(parents=True, exist_ok=True)
            note.write_text(json.dumps({"source": source, "project": project,
                                        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}) + "\n")
        except OSError:
            pass

    def finished(self, source: str, project: str) -> str | None:
        """When the run from ``source`` to ``project`` finished, if it did and no journal came after it."""
        if self.path.exists():
            return None
        try:
            note = json.loads(self._finished_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(note, dict) or (note.get("source"), note.get("project")) != (source, project):
            return None
        return str(note.get("at") or "earlier")

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
