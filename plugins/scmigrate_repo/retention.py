"""Which snapshots a retention policy keeps (``scmigrate forget``), and which blobs none refers to (prune).

The policy is restic's: per project, snapshots newest first; ``last`` keeps the N newest, and each
period policy (``hourly`` ... ``yearly``) keeps the newest snapshot of each of the last N periods
that have one. A snapshot is kept if any policy keeps it; everything else is forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from scmigrate.errors import InputError

from .layout import Repository, SnapshotInfo
from .pending import pending_entries

__all__ = ["PERIODS", "Decision", "PruneResult", "apply_policy", "forget", "prune"]

#: each period policy and how it names a snapshot's period (ISO weeks for weekly)
PERIODS: dict[str, Callable[[datetime], str]] = {
    "hourly": lambda t: t.strftime("%Y-%m-%d %H"),
    "daily": lambda t: t.strftime("%Y-%m-%d"),
    "weekly": lambda t: "{:04d}-W{:02d}".format(*t.isocalendar()[:2]),
    "monthly": lambda t: t.strftime("%Y-%m"),
    "yearly": lambda t: t.strftime("%Y"),
}


@dataclass
class Decision:
    """One snapshot and why it is kept (empty ``reasons``: it is forgotten)."""

    info: SnapshotInfo
    reasons: list[str] = field(default_factory=list)

    @property
    def keep(self) -> bool:
        return bool(self.reasons)


def _when(info: SnapshotInfo) -> datetime:
    return datetime.strptime(info.time.rstrip("Z").split(".")[0], "%Y-%m-%dT%H:%M:%S")


def apply_policy(infos: list[SnapshotInfo], keep: dict[str, int]) -> list[Decision]:
    """Decide for every snapshot of ``infos`` (any projects, any order), newest first within each project.

    ``keep`` maps ``last`` and the names of :data:`PERIODS` to N (0 or absent: that policy keeps none).
    """
    unknown = set(keep) - {"last", *PERIODS}
    if unknown:
        raise ValueError(f"unknown retention policies: {sorted(unknown)}")
    if not any(n > 0 for n in keep.values()):
        raise InputError("forget: give at least one --keep-* policy (nothing would be kept)")
    out: list[Decision] = []
    for project in sorted({i.project for i in infos}):
        mine = sorted((i for i in infos if i.project == project), key=lambda i: (i.time, i.id), reverse=True)
        left = dict(keep)
        seen: dict[str, str | None] = {name: None for name in PERIODS}
        for info in mine:
            d = Decision(info)
            if left.get("last", 0) > 0:
                d.reasons.append("last")
                left["last"] -= 1
            when = _when(info)
            for name, period_of in PERIODS.items():
                period = period_of(when)
                if left.get(name, 0) > 0 and period != seen[name]:
                    seen[name] = period
                    d.reasons.append(name)
                    left[name] -= 1
            out.append(d)
    return out


def forget(repo: Repository, keep: dict[str, int], project: str | None, dry_run: bool) -> list[Decision]:
    """Apply the policy to the snapshots (of ``project``); delete the forgotten ones unless ``dry_run``."""
    decisions = apply_policy(repo.infos(project), keep)
    if not dry_run:
        for d in decisions:
            if not d.keep:
                repo.forget_snapshot(d.info.id)
    return decisions


@dataclass
class PruneResult:
    unused: list[str]
    bytes: int
    kept: int


def referenced(repo: Repository, without: frozenset[str] = frozenset()) -> set[str]:
    """Every blob a snapshot (but those ``without``), or an unfinished backup's pending entries, names."""
    names: set[str] = set()
    for sid in repo.snapshot_ids():
        if sid in without:
            continue
        for e in repo.snapshot(sid)["items"]:
            names.update((e["blob"], e["annotations"]))
    for _, e in pending_entries(repo):
        names.update((e["blob"], e["annotations"]))
    return names


def prune(repo: Repository, dry_run: bool, without: frozenset[str] = frozenset()) -> PruneResult:
    """Remove (unless ``dry_run``) the blobs no snapshot refers to; the caller holds the repository's lock.

    ``without``: snapshots to count as gone already (``forget --prune -n`` shows what both would do).

    Reading every snapshot first means a damaged one stops the prune (``InputError``) before anything
    is removed: a blob only it named would otherwise look unused.
    """
    used = referenced(repo, without)
    unused = [b for b in repo.blobs() if b not in used]
    total = sum(repo.storage.size(b) for b in unused)
    if not dry_run:
        for b in unused:
            repo.storage.delete(b)
        for name in repo.orphan_summaries():
            repo.storage.delete(name)
    return PruneResult(unused, total, len(used))
