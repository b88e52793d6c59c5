"""Retention (restic's policy) on synthetic timestamps, and forget/prune on a real repository."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from repo_helpers import held, item, project
from scmigrate_repo.layout import Repository, SnapshotInfo
from scmigrate_repo.retention import apply_policy, forget, prune

from scmigrate.engine.facade import transfer
from scmigrate.errors import InputError
from scmigrate.testing import put_memory


def infos(times: list[datetime], project_name: str = "Dogs") -> list[SnapshotInfo]:
    return [SnapshotInfo(f"{project_name}{n:04d}", t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), project_name, None, {})
            for n, t in enumerate(times)]


def kept(decisions: Any) -> list[str]:
    return sorted(d.info.id for d in decisions if d.keep)


def test_keep_last_and_daily() -> None:
    start = datetime(2026, 1, 1, 9)
    # three snapshots a day (9, 13, 17 h) for five days
    snaps = infos([start + timedelta(days=d, hours=h) for d in range(5) for h in (0, 4, 8)])
    assert kept(apply_policy(snaps, {"last": 2})) == ["Dogs0013", "Dogs0014"]
    # the newest of each of the last 3 days: 17 h of days 5, 4, 3
    assert kept(apply_policy(snaps, {"daily": 3})) == ["Dogs0008", "Dogs0011", "Dogs0014"]
    assert kept(apply_policy(snaps, {"last": 2, "daily": 3})) == ["Dogs0008", "Dogs0011", "Dogs0013", "Dogs0014"]


def test_periods_without_snapshots_do_not_count() -> None:
    # weekly snapshots with a gap of three weeks: keep-weekly 3 keeps the 3 newest weeks that have one
    times = [datetime(2026, 3, 2) + timedelta(weeks=w) for w in (0, 1, 5, 6)]
    assert kept(apply_policy(infos(times), {"weekly": 3})) == ["Dogs0001", "Dogs0002", "Dogs0003"]
    months = [datetime(2025, m, 10) for m in (1, 1, 2, 6, 12)] + [datetime(2026, 1, 5)]
    assert kept(apply_policy(infos(months), {"monthly": 2, "yearly": 2})) == ["Dogs0004", "Dogs0005"]
    assert kept(apply_policy(infos(months), {"monthly": 4})) == ["Dogs0002", "Dogs0003", "Dogs0004", "Dogs0005"]
    hours = [datetime(2026, 1, 1, 10, m) for m in (0, 30)] + [datetime(2026, 1, 1, 12)]
    assert kept(apply_policy(infos(hours), {"hourly": 5})) == ["Dogs0001", "Dogs0002"]


def test_policy_is_per_project_and_needs_a_rule() -> None:
    t = [datetime(2026, 1, d) for d in (1, 2, 3)]
    decisions = apply_policy(infos(t, "Dogs") + infos(t, "Cats"), {"last": 1})
    assert kept(decisions) == ["Cats0002", "Dogs0002"]
    with pytest.raises(InputError, match="at least one --keep"):
        apply_policy(infos(t), {"last": 0})


def test_forget_and_prune_remove_exactly_what_no_snapshot_keeps(registry: Any, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    ids = []
    for n in range(3):  # each backup replaces one image: its old bytes are in the older snapshots only
        put_memory("live", project(), [item(0), item(1 + n)])
        ids.append(transfer("memory:live", f"repo:{root}", registry=registry, quiet=True).sink_facts["snapshot"])
    expect = held(registry, "memory:live")
    repo = Repository.open(str(root))
    blobs = set(repo.blobs())
    named = [{b for e in repo.snapshot(sid)["items"] for b in (e["blob"], e["annotations"])} for sid in ids]
    only_old = (named[0] | named[1]) - named[2]
    assert len(only_old) == 4  # m1's and m2's image and annotations

    dry = forget(repo, {"last": 1}, None, dry_run=True)
    assert kept(dry) == [ids[2]] and len(repo.snapshot_ids()) == 3
    assert prune(repo, dry_run=True).unused == []  # every blob is still referenced

    forget(repo, {"last": 1}, None, dry_run=False)
    assert repo.snapshot_ids() == [ids[2]]
    assert sorted(p.name for p in (root / "index").iterdir()) == [f"{ids[2]}.json"]  # their summaries went too
    preview = prune(repo, dry_run=True)
    assert set(repo.blobs()) == blobs
    result = prune(repo, dry_run=False)
    assert result.unused == preview.unused and set(result.unused) == only_old
    assert set(repo.blobs()) == blobs - set(result.unused)
    assert held(registry, f"repo:{root}") == expect
    from scmigrate_repo.reader import verify_repository

    assert verify_repository(repo, read_data=True) == []


def test_a_summary_left_by_an_interrupted_forget_is_ignored_then_pruned(registry: Any, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    for n in range(2):
        put_memory("live", project(), [item(n)])
        transfer("memory:live", f"repo:{root}", registry=registry, quiet=True)
    repo = Repository.open(str(root))
    old, new = (i.id for i in repo.infos())
    (root / "snapshots" / f"{old}.json").unlink()  # killed between the snapshot's deletion and its summary's
    assert [i.id for i in repo.infos()] == [new]
    assert repo.orphan_summaries() == [f"index/{old}.json"]
    prune(repo, dry_run=True)
    assert (root / "index" / f"{old}.json").exists()
    prune(repo, dry_run=False)
    assert repo.orphan_summaries() == [] and (root / "index" / f"{new}.json").exists()
