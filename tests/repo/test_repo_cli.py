"""The repository's commands as a user runs them: snapshots, verify, forget, prune; refusals in one line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from repo_helpers import cli, item, project

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def two_snapshots(registry: Any, root: Path) -> list[str]:
    ids = []
    for items in ([item(0), item(1), item(2)], [item(0), item(3)]):
        put_memory("live", project(), items)
        ids.append(transfer("memory:live", f"repo:{root}", registry=registry, quiet=True).sink_facts["snapshot"])
    return ids


def test_snapshots_lists_what_each_backup_added(registry: Any, tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "repo"
    ids = two_snapshots(registry, root)
    code, out, _ = cli(capsys, "snapshots", f"repo:{root}", "--json")
    listed = json.loads(out)
    assert code == 0 and [s["id"] for s in listed] == ids
    assert [(s["items"], s["new_media"], s["removed_media"]) for s in listed] == [(3, 3, 0), (2, 1, 2)]
    code, out, _ = cli(capsys, "snapshots", f"repo:{root}", "--project", "Cats")
    assert code == 0 and out.strip().splitlines() == [out.strip().splitlines()[0]]  # a header, no rows
    code, _, err = cli(capsys, "snapshots", str(tmp_path / "x.scz"))
    assert code == 2 and err.strip() == f"error: {tmp_path / 'x.scz'}: not a snapshot repository (give repo:PATH)"


def _last_byte_flipped(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def test_verify_finds_a_damaged_and_a_missing_blob(registry: Any, tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "repo"
    two_snapshots(registry, root)
    code, out, _ = cli(capsys, "verify", f"repo:{root}", "--read-data")
    assert code == 0 and "intact" in out
    images = sorted(p for p in (root / "blobs").rglob("*") if p.is_file() and p.suffix != ".zst")
    damaged, missing = images[0], images[1]
    damaged.write_bytes(_last_byte_flipped(damaged.read_bytes()))
    missing.unlink()
    code, out, _ = cli(capsys, "verify", f"repo:{root}")  # references only: finds the missing one
    assert code == 1 and "missing" in out and damaged.name not in out
    code, out, _ = cli(capsys, "verify", f"repo:{root}", "--read-data")
    lines = out.strip().splitlines()
    assert code == 1
    assert any(damaged.name in line and "do not hash" in line for line in lines)
    assert any(missing.name in line and "is missing" in line for line in lines)
    code, _, err = cli(capsys, "verify", f"repo:{root}", "--read-data-subset", "0/3")
    assert code == 2 and "N/M" in err


def test_forget_and_prune_from_the_command_line(registry: Any, tmp_path: Path, capsys: Any) -> None:
    root = tmp_path / "repo"
    ids = two_snapshots(registry, root)
    blobs = {p for p in (root / "blobs").rglob("*") if p.is_file()}
    code, out, err = cli(capsys, "forget", f"repo:{root}", "--keep-last", "1", "--prune", "-n")
    assert code == 0 and "would forget 1 of 2" in err and "would remove 4 unused blob(s)" in err
    assert {p for p in (root / "blobs").rglob("*") if p.is_file()} == blobs
    assert len(list((root / "snapshots").iterdir())) == 2
    code, out, err = cli(capsys, "forget", f"repo:{root}", "--keep-last", "1", "--prune")
    assert code == 0 and "forgot 1 of 2" in err and "removed 4 unused blob(s)" in err
    assert [p.stem for p in (root / "snapshots").iterdir()] == [ids[1]]
    code, _, err = cli(capsys, "prune", f"repo:{root}")
    assert code == 0 and "removed 0 unused" in err
    assert not (root / ".scmigrate.lock").exists()  # released
    code, _, err = cli(capsys, "forget", f"repo:{root}")
    assert code == 2 and "at least one --keep" in err


def test_one_lock_for_the_repository_backups_and_prune(registry: Any, tmp_path: Path, capsys: Any) -> None:
    from scmigrate.engine.locks import TargetLock
    from scmigrate.errors import InputError

    root = tmp_path / "repo"
    two_snapshots(registry, root)
    with TargetLock(root / ".scmigrate.lock", "a backup"):  # as a backup of any project holds it
        code, _, err = cli(capsys, "prune", f"repo:{root}")
        assert code == 2 and "another scmigrate run is writing it" in err
        put_memory("other", project("Cats"), [item(5)])
        try:
            transfer("memory:other", f"repo:{root}", registry=registry, quiet=True)
        except InputError as e:
            assert "another scmigrate run is writing it" in str(e)
        else:
            raise AssertionError("a second backup into a locked repository was not refused")
        code, _, _ = cli(capsys, "prune", f"repo:{root}", "-n")  # a dry run changes nothing, takes no lock
        assert code == 0


def test_dry_run_to_a_repo_that_cannot_be_made_says_so(tmp_path: Path, capsys: Any) -> None:
    """`-n` refuses a repository folder under a file, as the run does, in one line naming the file;
    a folder that can be made is still "a new repository would be made", and -n makes nothing."""
    from scmigrate.testing.coco import make_coco

    coco = make_coco(tmp_path / "coco", images=1, seed=8, image_size=(32, 24))
    src = ["run", "--from", coco.location, "--images", str(coco.images_dir), "--project-type", "detection"]
    (tmp_path / "a-file").write_text("not a folder")
    for extra in (["-n"], []):
        code, _, err = cli(capsys, *src, "--to", f"repo:{tmp_path / 'a-file' / 'repo'}", *extra)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "a-file" in err, err
    code, out, err = cli(capsys, *src, "--to", f"repo:{tmp_path / 'new' / 'repo'}", "-n")
    assert code == 0 and "a new repository would be made" in out + err, err
    assert not (tmp_path / "new").exists()
