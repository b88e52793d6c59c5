"""Crash safety: a real SIGKILL at random points, then --resume; a full disk; unwritable paths."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from archive_helpers import items, open_archive, project, write_archive

from scmigrate.api import RunOptions
from scmigrate.errors import InputError
from scmigrate_archive import ArchiveSink

PROC = Path(__file__).resolve().parent / "archive_writer_proc.py"
N = 24


def _run(path: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(PROC), str(path), str(N), *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="module")
def full_size(tmp_path_factory) -> int:
    path = tmp_path_factory.mktemp("ref") / "ref.scz"
    write_archive(path, items(N, dup_every=4, side=24))
    return path.stat().st_size


def _check_complete(path: Path) -> None:
    """The archive verifies and holds every item exactly once, with the right bytes and scenes."""
    expected = {it.key: it for it in items(N, dup_every=4, side=24)}
    names = subprocess.run(["tar", "--zstd", "-tf", str(path)], capture_output=True, text=True,
                           check=True).stdout.split()
    assert len(names) == len(set(names)), "a member was written twice"
    with open_archive(path) as reader:
        assert reader.verify() == []
        assert reader.project() == project()
        keys = [it.key for it in reader.items()]
        assert sorted(keys) == sorted(expected) and len(keys) == N
        for it in reader.items():
            assert it.open().read() == expected[it.key].open().read()
            assert it.scenes == expected[it.key].scenes


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_kill_9_at_a_random_byte_then_resume(tmp_path: Path, full_size: int, seed: int) -> None:
    rng = random.Random(seed)
    path = tmp_path / "k.scz"
    kills = 2 if seed % 2 == 0 else 1  # even seeds die again while resuming
    for attempt in range(kills):
        size = path.stat().st_size if path.exists() else 0
        at = rng.randrange(size + 1, full_size - 1) if attempt else rng.randrange(1, full_size - 1)
        proc = _run(path, "--kill-at", str(at), *(["--resume"] if attempt else []))
        assert proc.returncode == -signal.SIGKILL, proc.stderr
        assert path.stat().st_size == at  # it died exactly there, inside a frame or at its edge
        try:
            with open_archive(path) as reader:
                incomplete = (r"incomplete archive \(its end is missing: a write was interrupted or the "
                              r"file was cut short\); a write of yours finishes with --resume")
                with pytest.raises(InputError, match=incomplete):
                    reader.project()
        except InputError as e:  # died inside the very first frame
            assert "not a scmigrate archive" in str(e)
    proc = _run(path, "--resume")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.splitlines()[0])
    assert 0 <= report["done_before"] <= N  # N: it died while writing the index or trailer
    _check_complete(path)


def test_kill_9_from_outside_while_threads_write(tmp_path: Path, full_size: int) -> None:
    path = tmp_path / "x.scz"
    child = subprocess.Popen([sys.executable, str(PROC), str(path), str(N), "--workers", "4", "--delay", "0.05"],
                             stdout=subprocess.PIPE, text=True)
    assert json.loads(child.stdout.readline())["started"]
    # kill once about half is written (not after a fixed sleep: on a busy machine that could be
    # before the first item or after the last)
    deadline = time.monotonic() + 60
    while path.stat().st_size < full_size // 2 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    child.stdout.close()
    with pytest.raises(InputError, match="incomplete archive"):
        open_archive(path).project()
    w = ArchiveSink().open(str(path), RunOptions(resume=True))
    w.begin(project(), None)
    done = w.done_keys()
    assert 0 < len(done) < N
    for it in items(N, dup_every=4, side=24):
        if it.key not in done:
            w.write(it)
    w.finish(True)
    _check_complete(path)


def test_resume_a_complete_archive_says_nothing_to_resume(tmp_path: Path, capsys: Any) -> None:
    """A finished archive is one snapshot: --resume leaves it byte for byte (exit 0), no run appends to it."""
    path, other = tmp_path / "c.scz", tmp_path / "more.scz"
    write_archive(path, items(N, dup_every=4, side=24)[:10])
    write_archive(other, items(N, dup_every=4, side=24))  # 14 items more than c.scz holds
    before = path.read_bytes()
    w = ArchiveSink().open(str(path), RunOptions(resume=True))
    assert w.finished() == f"{path} is a finished archive (recurring backups go to a repo:PATH)"
    with pytest.raises(InputError, match="a finished archive; nothing to resume"):
        w.begin(project(), None)
    w.close()

    from scmigrate.cli import main

    for args in (["--resume"], []):
        with pytest.raises(SystemExit) as done:
            main(["run", "--from", str(other), "--to", str(path), *args])
        out, err = capsys.readouterr()
        if args:
            assert done.value.code == 0 and f"nothing to resume: {path} is a finished archive" in out + err
        else:
            assert done.value.code == 2 and "already exists; run with --resume" in err
        assert path.read_bytes() == before
    with open_archive(path) as reader:
        assert len(list(reader.items())) == 10


def test_unfinished_archive_is_resumable(tmp_path: Path) -> None:
    path = tmp_path / "u.scz"
    its = items(N, dup_every=4, side=24)
    write_archive(path, its[:5], complete=False)
    write_archive(path, its[5:], resume=True)
    _check_complete(path)


def test_disk_full_is_an_input_error_and_stays_resumable(tmp_path: Path, full_size: int) -> None:
    path = tmp_path / "f.scz"
    proc = _run(path, "--fsize-limit", str(full_size // 2), "--workers", "3")
    assert proc.returncode == 2
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"{path}: cannot write (File too large)") and "--resume" in line
    assert path.stat().st_size <= full_size // 2
    proc = _run(path, "--resume")
    assert proc.returncode == 0, proc.stderr
    _check_complete(path)


def test_existing_file_without_resume_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.scz"
    path.write_bytes(b"precious")
    with pytest.raises(InputError, match=r"already exists; run with --resume"):
        ArchiveSink().open(str(path), RunOptions())
    assert path.read_bytes() == b"precious"


@pytest.mark.parametrize("where", ["missing/x.scz", "file/x.scz", "/proc/x.scz"])
def test_unwritable_path_is_an_input_error(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("not a folder")
    path = Path(where) if where.startswith("/") else tmp_path / where
    with pytest.raises(InputError) as err:
        ArchiveSink().open(str(path), RunOptions())
    assert str(err.value).startswith(f"{path}: cannot write")
    if where == "file/x.scz":  # not "does not exist": the name is there, it is a file
        assert str(err.value).endswith("is not a folder)")


def test_resume_into_a_foreign_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "z.scz"
    import zstandard

    path.write_bytes(zstandard.ZstdCompressor().compress(b"x" * 2000) * 2)
    with pytest.raises(InputError, match="cannot resume"):
        ArchiveSink().open(str(path), RunOptions(resume=True))


def test_resume_refuses_to_cut_away_damage_in_the_middle(tmp_path: Path) -> None:
    """Only a cut-short last frame is crash debris; damage elsewhere must not silently lose members."""
    path = tmp_path / "d.scz"
    write_archive(path, items(6, side=24), complete=False)
    with open_archive(path) as reader:
        size = reader.size
    data = bytearray(path.read_bytes())
    data[size // 2] ^= 0xFF
    path.write_bytes(data)
    with pytest.raises(InputError, match=r"cannot resume: .* is damaged"):
        ArchiveSink().open(str(path), RunOptions(resume=True))
    assert path.read_bytes() == data  # nothing was cut


def test_resume_with_other_labels_is_refused(tmp_path: Path) -> None:
    """Items written after the resume would refer to labels that the archive's project.json lacks."""
    import dataclasses

    from scmigrate.model import Label

    path = tmp_path / "l.scz"
    its = items(6, side=24)
    write_archive(path, its[:3], complete=False)
    full = project()
    more = [dataclasses.replace(t, labels=[*t.labels, Label("cat")]) if t.task_type == "detection" else t
            for t in full.tasks]
    fewer = dataclasses.replace(full, tasks=more)  # as with another --labels: one label more
    w = ArchiveSink().open(str(path), RunOptions(resume=True))
    with pytest.raises(InputError, match=r"holds project .* with other tasks or labels .*; resume with the options "
                                         r"of the interrupted run"):
        w.begin(fewer, None)
    w.close()
    write_archive(path, its[3:], resume=True)  # the same project resumes
    with open_archive(path) as reader:
        assert len(list(reader.items())) == 6 and reader.verify() == []


def test_a_refused_resume_leaves_a_complete_archive_untouched(tmp_path: Path) -> None:
    import dataclasses

    path = tmp_path / "done.scz"
    write_archive(path, items(4, side=24))
    before = path.read_bytes()
    w = ArchiveSink().open(str(path), RunOptions(resume=True))
    with pytest.raises(InputError, match="a finished archive; nothing to resume"):
        w.begin(dataclasses.replace(project(), name="Cats"), None)
    w.close()
    assert path.read_bytes() == before  # still sealed: index and trailer were not cut
    with open_archive(path) as reader:
        assert reader.verify() == [] and len(list(reader.items())) == 4


def test_dry_run_preflight_refuses_what_open_would(tmp_path: Path) -> None:
    from scmigrate.model import Project

    sink, target = ArchiveSink(), Project(name="P", tasks=[])
    (tmp_path / "file").write_text("not a folder")
    (tmp_path / "old.scz").write_bytes(b"precious")
    with pytest.raises(InputError, match=r"already exists; run with --resume"):
        sink.preflight(str(tmp_path / "old.scz"), target, RunOptions())
    with pytest.raises(InputError, match=r"folder .*file is not a folder"):
        sink.preflight(str(tmp_path / "file" / "x.scz"), target, RunOptions())
    assert sink.preflight(str(tmp_path / "new.scz"), target, RunOptions()) == [
        f"{tmp_path / 'new.scz'}: a new archive would be written"]
    assert not (tmp_path / "new.scz").exists() and (tmp_path / "old.scz").read_bytes() == b"precious"
