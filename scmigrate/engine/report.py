"""The run report (``--report report.json``): what moved, what did not and why."""

from __future__ import annotations

import json
import os
import stat
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..scratch import KeyMap

__all__ = ["STDOUT", "Failure", "ProjectsReport", "Report", "write_json", "write_text"]


@dataclass
class Failure:
    """One item that did not move, with the reason from its last attempt."""

    key: str
    name: str
    error: str
    input_error: bool = False  # bad input: retrying cannot help

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "name": self.name, "error": self.error}


@dataclass
class Report:
    """Counts per kind, bytes, duration, failures, the id map, conversions, skips and sink facts."""

    source: str = ""
    sink: str = ""
    project: str = ""
    target_project: str = ""
    dry_run: bool = False
    complete: bool = False
    interrupted: bool = False
    total: int = 0  # items the run tried to move (excluding skips)
    counts: Counter[str] = field(default_factory=Counter)
    bytes: int = 0
    duration: float = 0.0
    failures: list[Failure] = field(default_factory=list)
    #: source id -> the target's id(s); on disk past 1,024 items (:mod:`scmigrate.scratch`)
    id_map: KeyMap = field(default_factory=KeyMap)
    conversions: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: Counter[str] = field(default_factory=Counter)
    sink_facts: dict[str, Any] = field(default_factory=dict)
    retry_passes: int = 0
    plan: list[str] = field(default_factory=list)
    #: the reader's notes after the run: what it detected, and what it had to leave out, counted
    source_notes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_moved(self, counts: dict[str, int], nbytes: int, src_id: str | None, ids: dict[str, str]) -> None:
        """Record one item that landed (thread-safe)."""
        with self._lock:
            self.counts.update(counts)
            self.bytes += nbytes
            if src_id is not None and ids:
                self.id_map[src_id] = ids["media"] if set(ids) == {"media"} else dict(ids)

    def skip(self, reason: str, n: int = 1) -> None:
        with self._lock:
            self.skipped[reason] += n

    @property
    def moved(self) -> int:
        return self.counts.get("items", 0)

    def summary(self) -> str:
        """One line for the end of a run."""
        c = self.counts
        parts = [f"{c.get('images', 0)} images", f"{c.get('videos', 0)} videos"]
        if c.get("frames"):
            parts.append(f"{c['frames']} annotated frames")
        parts.append(f"{c.get('annotations', 0)} annotations")
        if c.get("models"):
            parts.append(f"{c['models']} models")
        rate = self.bytes / self.duration / 1e6 if self.duration > 0 else 0.0
        line = f"moved {', '.join(parts)}; {self.bytes / 1e6:.1f} MB in {self.duration:.1f} s ({rate:.1f} MB/s)"
        skipped = sum(self.skipped.values())
        if skipped:
            line += f"; skipped {skipped} (" + ", ".join(f"{n} {r}" for r, n in sorted(self.skipped.items())) + ")"
        if self.failures:
            line += f"; {len(self.failures)} failed"
        if isinstance(self.sink_facts.get("summary"), str):  # Writer.finish's own line (a snapshot's)
            line += "; " + self.sink_facts["summary"]
        return line

    def to_dict(self, id_map: bool = True) -> dict[str, Any]:
        """The report as JSON holds it; without ``id_map``, the map (one entry per item) is left empty."""
        return {
            "source": self.source,
            "sink": self.sink,
            "project": self.project,
            "target_project": self.target_project,
            "dry_run": self.dry_run,
            "complete": self.complete,
            "interrupted": self.interrupted,
            "total": self.total,
            "counts": dict(self.counts),
            "bytes": self.bytes,
            "duration_s": round(self.duration, 3),
            "failures": [f.to_dict() for f in self.failures],
            "id_map": dict(self.id_map.items()) if id_map else {},
            "conversions": self.conversions,
            "skipped": dict(self.skipped),
            "sink_facts": self.sink_facts,
            "retry_passes": self.retry_passes,
            "plan": list(self.plan),
            "source_notes": list(self.source_notes),
        }

    @staticmethod
    def check_writable(path: str | os.PathLike[str], what: str = "the report") -> None:
        """Raise ``InputError`` now if ``what`` (a report) could not be written at ``path`` later."""
        if str(path) == STDOUT:
            return
        target = Path(path)
        if target.is_dir():
            raise InputError(f"{target}: cannot write {what} (it is a folder)")
        if target.exists() and not _replaceable(target):  # a device, a pipe, a symlink: written in place
            if not os.access(target, os.W_OK):
                raise InputError(f"{target}: cannot write {what} (permission denied)")
            return
        folder = target.parent
        if not folder.is_dir():
            why = "is not a folder" if folder.exists() else "does not exist"
            raise InputError(f"{target}: cannot write {what} (folder {folder} {why})")
        if not os.access(folder, os.W_OK | os.X_OK) or (target.exists() and not os.access(target, os.W_OK)):
            raise InputError(f"{target}: cannot write {what} (permission denied)")

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the JSON report: see :func:`write_text`."""
        write_json(path, self.to_dict())


@dataclass
class ProjectsReport:
    """The report of ``--all-projects``: one entry per project of the source, in its order.

    An entry is the project's :class:`Report`, or ``{"project": name, "error": why}`` for a project
    that failed before its report existed (it could not be opened, the run was interrupted).
    """

    source: str = ""
    sink: str = ""
    dry_run: bool = False
    entries: list[Report | dict[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # names of the projects that did not move completely

    @property
    def reports(self) -> list[Report]:
        return [e for e in self.entries if isinstance(e, Report)]

    @property
    def complete(self) -> bool:
        return not self.failed and all(r.complete for r in self.reports)

    @property
    def plan(self) -> list[str]:
        return [line for r in self.reports for line in r.plan]

    def summary(self) -> str:
        """One line for the end of the run: how many projects moved, then each project's summary."""
        done = len(self.entries) - len(self.failed)
        lines = [f"{done} of {len(self.entries)} projects moved completely"]
        lines += [f"{r.project}: {r.summary()}" for r in self.reports]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"projects": [e.to_dict() if isinstance(e, Report) else dict(e) for e in self.entries]}

    def write(self, path: str | os.PathLike[str]) -> None:
        """Write the combined JSON report, atomically like a single one."""
        write_json(path, self.to_dict())


def write_json(path: str | os.PathLike[str], data: Any, what: str = "the report") -> None:
    """Write ``data`` as JSON at ``path``: see :func:`write_text`."""
    write_text(path, json.dumps(data, indent=2, default=str) + "\n", what)


#: the path that means standard output (``--report -``)
STDOUT = "-"


def write_text(path: str | os.PathLike[str], text: str, what: str) -> None:
    """Write ``text`` at ``path``: ``-`` is standard output; a regular file (or a path that does not
    exist yet) is replaced atomically, so a reader never sees half of it; anything else — a symlink
    such as ``/dev/stdout``, a device, a named pipe — is opened and written in place, never replaced.
    """
    if str(path) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    try:
        if not _replaceable(target):
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(text)
            return
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as e:
        raise InputError(f"{path}: cannot write {what} ({e.strerror or e})") from None


def _replaceable(path: Path) -> bool:
    """Whether a rename may replace ``path``: it is a regular file itself (not a link to one), or absent."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except FileNotFoundError:
        return True
