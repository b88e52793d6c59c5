"""Backups into a snapshot repository: each one stores only what changed, and each restores exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from repo_helpers import held, item, project

from scmigrate.engine.facade import transfer
from scmigrate.errors import InputError
from scmigrate.testing import put_memory


def backup(registry: Any, repo: str, items: list[Any], name: str = "Dogs", **kw: Any) -> Any:
    put_memory("live", project(name), items)
    return transfer("memory:live", repo, registry=registry, quiet=True, workers=2, **kw)


def test_three_snapshots_each_restores_as_it_was(registry: Any, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    repo = f"repo:{root}"

    def added_files() -> int:
        """Bytes of the blob files that appeared since the last call."""
        now = {p: p.stat().st_size for p in (root / "blobs").rglob("*") if p.is_file()}
        new = sum(n for p, n in now.items() if p not in seen)
        seen.update(now)
        return new

    seen: dict[Path, int] = {}
    v1 = [item(i) for i in range(4)]
    first = backup(registry, repo, v1).sink_facts
    assert first["bytes_added"] == added_files() > 0
    assert (first["new_media"], first["changed_annotations"], first["removed_media"]) == (4, 0, 0)
    expect1 = held(registry, "memory:live")

    v2 = [item(0), item(1, x=9.0), item(3), item(4), item(5)]  # m1 edited, m2 deleted, m4 m5 added
    second = backup(registry, repo, v2).sink_facts
    assert (second["new_media"], second["changed_annotations"], second["removed_media"]) == (2, 1, 1)  # m1
    assert second["removed"] == ["m2"]
    assert second["bytes_added"] == added_files() < first["bytes_added"]
    expect2 = held(registry, "memory:live")

    v3 = [item(0, seed=99), item(1, x=9.0), item(5, label="cat")]  # m0's bytes replaced, m5 relabelled
    third = backup(registry, repo, v3).sink_facts
    assert (third["new_media"], third["changed_annotations"], third["removed_media"]) == (1, 1, 2)  # m0: same boxes
    assert third["bytes_added"] == added_files() < second["bytes_added"]
    expect3 = held(registry, "memory:live")
    ids = [first["snapshot"], second["snapshot"], third["snapshot"]]
    for sid, expect in zip(ids, (expect1, expect2, expect3), strict=True):
        assert held(registry, f"{repo}@{sid[:8]}") == expect
    assert held(registry, repo) == expect3  # no @: the latest
    assert held(registry, f"{repo}@latest", "Dogs") == expect3


def test_restore_a_snapshot_to_an_archive(registry: Any, tmp_path: Path) -> None:
    repo = f"repo:{tmp_path / 'repo'}"
    sid = backup(registry, repo, [item(i) for i in range(3)]).sink_facts["snapshot"]
    expect = held(registry, "memory:live")
    backup(registry, repo, [item(0)])
    out = tmp_path / "then.scz"
    report = transfer(f"{repo}@{sid[:6]}", str(out), registry=registry, quiet=True)
    assert report.complete and report.project == "Dogs"
    assert held(registry, str(out)) == expect


def test_projects_share_one_repository_and_its_blobs(registry: Any, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    backup(registry, f"repo:{root}", [item(i) for i in range(3)], name="Dogs")
    blobs = len(list((root / "blobs").rglob("*")))
    cats = backup(registry, f"repo:{root}", [item(i) for i in range(3)], name="Cats").sink_facts
    assert cats["new_media"] == 3 and cats["bytes_added"] == 0  # the same bytes: nothing stored twice
    assert len(list((root / "blobs").rglob("*"))) == blobs
    names = [p["name"] for p in registry.resolve_source(f"repo:{root}").list_projects(f"repo:{root}", None)]
    assert names == ["Cats", "Dogs"]
    with pytest.raises(InputError, match="holds 2 projects"):
        held(registry, f"repo:{root}")
    assert set(held(registry, f"repo:{root}", "Cats")) == {"labels", "m0", "m1", "m2"}


def test_bad_locations_are_refused_in_one_line(registry: Any, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(InputError, match="holds other files"):
        backup(registry, f"repo:{tmp_path / 'full'}", [item(0)])
    with pytest.raises(InputError, match="not a scmigrate snapshot repository"):
        held(registry, f"repo:{tmp_path / 'none'}")
    repo = f"repo:{tmp_path / 'repo'}"
    backup(registry, repo, [item(0)])
    with pytest.raises(InputError, match="no snapshot 'abcd'"):
        held(registry, f"{repo}@abcd")
    with pytest.raises(InputError, match="leave out @latest"):
        backup(registry, f"{repo}@latest", [item(0)])


def test_listings_read_summaries_not_snapshots_and_the_snapshot_decides(registry: Any, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A backup finds its parent, and ``snapshots`` lists, from ``index/<id>.json``: reading every
    snapshot's items would cost each backup as much per snapshot kept. A missing summary falls back
    on its snapshot; a wrong one is found by verify, and a restore it misleads stops in one line."""
    import json

    from scmigrate_repo.layout import Repository, SnapshotInfo
    from scmigrate_repo.reader import verify_repository

    root = tmp_path / "repo"
    repo_loc = f"repo:{root}"
    for n in range(3):
        backup(registry, repo_loc, [item(0), item(1 + n)])
    backup(registry, repo_loc, [item(7)], name="Cats")
    repo = Repository.open(str(root))
    read: list[str] = []
    real = repo.storage.read_bytes
    monkeypatch.setattr(repo.storage, "read_bytes", lambda name: read.append(name) or real(name))
    infos = repo.infos()
    assert [i.project for i in infos] == ["Dogs", "Dogs", "Dogs", "Cats"] and infos[1].parent == infos[0].id
    assert read and all(name.startswith("index/") for name in read)
    assert infos == [SnapshotInfo.of(i.id, repo.snapshot(i.id)) for i in infos]

    (root / "index" / f"{infos[2].id}.json").unlink()  # e.g. killed between the snapshot and its summary
    assert repo.infos() == infos
    fourth = backup(registry, repo_loc, [item(0), item(3)]).sink_facts
    assert fourth["new_media"] == 0  # its parent (the third snapshot, listed from its document) held them

    cats = root / "index" / f"{infos[3].id}.json"
    doc = json.loads(cats.read_bytes())
    cats.write_text(json.dumps({**doc, "project": "Dogs", "time": "2099-01-01T00:00:00.000000Z"}))
    assert any(line.endswith("not valid, or does not match its snapshot") and infos[3].id in line
               for line in verify_repository(repo))
    with pytest.raises(InputError, match="does not match its snapshot, which is of project 'Cats'"):
        transfer(repo_loc, "memory:out", project="Dogs", registry=registry, quiet=True)
