"""The target lock (flock on a file naming its holder) and where lock files live."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scmigrate.engine.locks import FOLDER_LOCK, Holder, TargetLock, lock_path
from scmigrate.errors import InputError

# a holder in another process: takes the lock, says so, then sleeps until killed
_HOLDER = """
import sys, time
from pathlib import Path
from scmigrate.engine.locks import TargetLock
lock = TargetLock(Path(sys.argv[1]), "x.scz")
lock.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_second_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "x.scz.lock"
    with TargetLock(path, "x.scz"):
        holder = Holder.parse(path.read_bytes())
        assert holder is not None and holder.pid == os.getpid() and holder.host == socket.gethostname()
        with pytest.raises(InputError) as err:
            TargetLock(path, "x.scz").acquire()  # another open file description: flock conflicts
        assert str(err.value).startswith(f"x.scz: another scmigrate run is writing it (pid {os.getpid()} on ")
        assert holder.started in str(err.value)
    assert not path.exists()  # released and removed
    with TargetLock(path, "x.scz") as again:
        assert again.took_over is None  # a clean release leaves nothing to take over


def test_a_killed_holder_s_lock_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "x.scz.lock"
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(InputError, match=f"pid {proc.pid} on "):
            TargetLock(path, "x.scz").acquire()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert json.loads(path.read_text())["pid"] == proc.pid  # the dead holder's file is still there
    lock = TargetLock(path, "x.scz")
    lock.acquire()
    try:
        assert lock.took_over is not None and lock.took_over.pid == proc.pid
        assert json.loads(path.read_text())["pid"] == os.getpid()
    finally:
        lock.release()


def test_an_empty_lock_file_does_not_block(tmp_path: Path) -> None:
    path = tmp_path / "x.scz.lock"
    path.write_bytes(b"")  # a holder killed between creating and writing it
    with TargetLock(path, "x.scz") as lock:
        assert lock.took_over is None


def test_a_run_that_locked_a_released_file_locks_the_new_one(tmp_path: Path) -> None:
    """The release unlinks the file while holding the lock: a run that opened it just before must
    not keep a lock on the unlinked file (it would then hold one no one else can see)."""
    path = tmp_path / "x.scz.lock"
    first = TargetLock(path, "x.scz")
    first.acquire()
    stale = open(path, "a+b")  # what a second run holds between its open() and its flock()
    first.release()
    third = TargetLock(path, "x.scz")
    third.acquire()  # creates and locks a new file at the path
    try:
        late = TargetLock(path, "x.scz")
        with pytest.raises(InputError, match="another scmigrate run"):
            late.acquire()
    finally:
        stale.close()
        third.release()


def test_where_lock_files_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    assert lock_path("x.scz", "P") == tmp_path / "x.scz.lock"
    assert lock_path(str(tmp_path / "x.scz"), "Q") == tmp_path / "x.scz.lock"  # one file: one lock
    (tmp_path / "real.scz").write_bytes(b"")
    (tmp_path / "link.scz").symlink_to(tmp_path / "real.scz")
    assert lock_path("link.scz", "P") == tmp_path / "real.scz.lock"  # through the symlink
    (tmp_path / "repo").mkdir()
    assert lock_path("repo/", "P") == tmp_path / "repo" / FOLDER_LOCK  # a repository folder
    cluster = lock_path("prod", "P", scope="https://geti.example#")
    assert cluster.parent == tmp_path / "state" / "scmigrate" / "locks"
    assert cluster == lock_path("https://geti.example", "P", scope="https://geti.example#")  # by scope
    assert cluster != lock_path("prod", "Other", scope="https://geti.example#")


def test_a_cluster_name_and_its_url_share_one_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scmigrate.api import RunOptions
    from scmigrate.config import ClusterConfig, save_cluster
    from scmigrate_cluster import ClusterSink

    monkeypatch.setenv("SCMIGRATE_CONFIG", str(tmp_path / "config.json"))
    save_cluster(ClusterConfig(name="prod", url="https://Geti.example/"))
    sink = ClusterSink()
    by_name = sink.lock_scope("prod", RunOptions())
    assert by_name == sink.lock_scope("https://geti.example", RunOptions()) == "https://geti.example#"
    assert sink.lock_scope("prod", RunOptions(extra={"workspace": "w2"})) != by_name


def test_holder_lines_round_trip() -> None:
    me = Holder.me("x.scz")
    assert Holder.parse(me.to_bytes()) == me
    assert Holder.parse(b"not json") is None
    assert time.strptime(me.started, "%Y-%m-%dT%H:%M:%SZ")


def test_lock_objects_exclude_refresh_and_release(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lock objects (object stores, no flock), on fsspec's in-memory store: a second lock is refused
    while the first is held, the holder rewrites its object, and release removes it."""
    import uuid

    from scmigrate.engine import lock_objects
    from scmigrate.engine.locks import lock_at

    url = f"memory://locks-{uuid.uuid4().hex[:8]}/x.scz.lock"
    monkeypatch.setattr(lock_objects, "REFRESH", 0.05)
    first = lock_at(url, "s3://b/x.scz")
    assert isinstance(first, lock_objects.ObjectLock)
    with first:
        with pytest.raises(InputError, match=r"^s3://b/x.scz: another scmigrate run is writing it \(pid "):
            lock_at(url, "s3://b/x.scz").acquire()
        before = json.loads(first.storage.read_bytes(first.name))["refreshed"]
        deadline = time.monotonic() + 5
        while json.loads(first.storage.read_bytes(first.name))["refreshed"] == before:
            assert time.monotonic() < deadline, "the held lock was not refreshed"
            time.sleep(0.02)
    assert list(first.storage.list()) == []
    with lock_at(url, "s3://b/x.scz") as again:
        assert again.took_over is None


def test_a_lock_object_that_cannot_be_refreshed_stops_the_run(monkeypatch: pytest.MonkeyPatch,
                                                               caplog: pytest.LogCaptureFixture,
                                                               sigint_raises: None) -> None:
    """The store stops taking writes (a fault injected: no real store fails on cue): once another run
    could call the lock stale, the run is interrupted, as Ctrl-C would, and says why."""
    import uuid

    from scmigrate.engine import lock_objects
    from scmigrate.engine.locks import lock_at
    from scmigrate.storage import StorageError

    monkeypatch.setattr(lock_objects, "REFRESH", 0.05)
    monkeypatch.setattr(lock_objects, "STALE", 0.4)
    lock = lock_at(f"memory://locks-{uuid.uuid4().hex[:8]}/x.scz.lock", "s3://b/x.scz")
    assert isinstance(lock, lock_objects.ObjectLock)
    with pytest.raises(KeyboardInterrupt):  # the interrupt arrives while the run waits
        with lock:
            def refuse(name: str, data: bytes) -> None:
                raise StorageError(f"{name}: the store is unreachable")

            monkeypatch.setattr(lock.storage, "put_bytes", refuse)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                time.sleep(0.01)
            pytest.fail("the run went on writing with a lock it could not refresh")
    assert lock.lost
    assert "could not be refreshed" in caplog.text and "--resume continues" in caplog.text
    assert "cannot refresh the lock of s3://b/x.scz" in caplog.text  # the warnings before it
