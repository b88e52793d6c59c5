"""One run per target, and ``--resume`` after kill -9 at any instant: real processes, a real emulator.

The first run is made slow by the emulator's latency, so the second starts while the first
holds its target; a run killed with SIGKILL is resumed with ``--resume`` and nothing else.
Three second runs per target here; ``benchmarks/kill_campaign.py --concurrent 10`` runs ten.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kill_helpers import (
    PROJECT,
    Site,
    kill_and_resume,
    media_count,
    reset_target,
    seed,
    wait_for_lock,
)

N_ITEMS = 6


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from sc_emulator import running

    with running(tmp_path_factory.mktemp("emu")) as c:
        seed(c.url, N_ITEMS, c.token)  # the source project of the backups
        yield c


@pytest.fixture
def site(tmp_path: Path, emu: Any) -> Iterator[Site]:
    emu.admin.knobs(latency_ms=0)
    seed(str(tmp_path / "src.scz"), N_ITEMS)  # the source archive of the restores
    yield Site(tmp_path, emu.token)
    emu.admin.knobs(latency_ms=0)


def _refused(proc: subprocess.Popen[str], holder: int) -> None:
    _, err = proc.communicate(timeout=60)
    lines = err.strip().splitlines()
    assert proc.returncode == 2, err
    assert len(lines) == 1, err
    assert f"pid {holder} on {socket.gethostname()}, started " in lines[0], err
    assert "another scmigrate run is writing it" in lines[0]


def _second_runs_refused(site: Site, emu: Any, first: list[str], seconds: list[list[str]]) -> subprocess.Popen[str]:
    """Start ``first`` on a slow cluster, then every run of ``seconds`` at once while it writes; then
    let the first one finish at full speed."""
    emu.admin.knobs(latency_ms=100)
    proc = site.start(*first)
    wait_for_lock(site, proc)
    emu.admin.knobs(latency_ms=2000)  # now it holds its lock: make sure it still does when the others try
    others = [site.start(*args) for args in seconds]
    for other in others:
        _refused(other, proc.pid)
    assert proc.poll() is None, "the first run ended before every second run was refused: the test proved nothing"
    emu.admin.knobs(latency_ms=0)
    return proc


def test_second_run_on_an_archive_is_refused(site: Site, emu: Any) -> None:
    run = ["run", "--from", emu.url, "--project", PROJECT, "--to", "x.scz", "--workers", "1"]
    # the second runs read another copy of the project (an archive): reading the slowed cluster
    # would make each take many seconds before it reaches the lock
    other = ["run", "--from", "src.scz", "--to", "x.scz"]
    first = _second_runs_refused(site, emu, run, [other + ["--resume"], other + ["--resume"], other])
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert site.run("verify", "x.scz").returncode == 0
    assert site.run("check", "--from", emu.url, "--project", PROJECT, "--to", "x.scz").returncode == 0
    assert not (site.tmp / "x.scz.lock").exists()  # released, and removed with it


def test_second_run_on_a_cluster_project_is_refused(site: Site, emu: Any) -> None:
    dst = emu.url + "/"  # another spelling of the same cluster: the same lock
    run = ["run", "--from", "src.scz", "--to", emu.url, "--to-project", "Copy", "--workers", "1"]
    other = ["run", "--from", "src.scz", "--to", dst, "--to-project", "Copy"]
    first = _second_runs_refused(site, emu, run, [other + ["--resume"], other + ["--into-existing"], other])
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert media_count(emu.url, emu.token, "Copy") == N_ITEMS  # no second run added any
    check = site.run("check", "--from", "src.scz", "--to", emu.url, "--to-project", "Copy")
    assert check.returncode == 0, check.stdout + check.stderr
    reset_target(site, emu.url, (emu.url, emu.token, "Copy"))


def test_a_killed_holder_s_lock_is_taken_over(site: Site, emu: Any) -> None:
    emu.admin.knobs(latency_ms=100)
    run = ["run", "--from", "src.scz", "--to", emu.url, "--to-project", "Stale", "--workers", "1"]
    first = site.start(*run)
    wait_for_lock(site, first)
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()
    locks = list((site.tmp / "state" / "scmigrate" / "locks").glob("*.lock"))
    assert len(locks) == 1 and f'"pid": {first.pid},' in locks[0].read_text()  # the dead holder's file stays
    emu.admin.knobs(latency_ms=0)
    resumed = site.run(*run, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert not locks[0].exists()
    assert media_count(emu.url, emu.token, "Stale") == N_ITEMS
    reset_target(site, emu.url, (emu.url, emu.token, "Stale"))


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.35, 0.5, 0.7, 0.9])
def test_restore_killed_at_any_instant_resumes(site: Site, emu: Any, fraction: float) -> None:
    """Kill -9 a restore (archive → cluster) at a point of its run, from before the project exists
    to its last items; ``--resume`` alone finishes it, and the project equals the archive."""
    emu.admin.knobs(latency_ms=40)
    duration = _restore_duration(site, emu)
    outcome = kill_and_resume(site, "src.scz", emu.url, 0.4 + fraction * duration, to_project="Restored",
                              count=(emu.url, emu.token), expected=N_ITEMS)
    reset_target(site, emu.url, (emu.url, emu.token, "Restored"))
    assert outcome.ok, outcome


_DURATION: dict[str, float] = {}


def _restore_duration(site: Site, emu: Any) -> float:
    """How long an uninterrupted restore runs past its start-up (measured once per module)."""
    import time

    if "restore" not in _DURATION:
        t = time.monotonic()
        proc = site.run("run", "--from", "src.scz", "--to", emu.url, "--to-project", "Restored", "--workers", "4")
        assert proc.returncode == 0, proc.stderr
        _DURATION["restore"] = max(0.5, time.monotonic() - t - 0.4)
        reset_target(site, emu.url, (emu.url, emu.token, "Restored"))
    return _DURATION["restore"]


def test_resume_finds_the_project_a_killed_run_created_before_its_journal_said_so(
        site: Site, emu: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The window a random kill hits only sometimes, made exact: the project exists, empty, and the
    journal holds only the intent (the run died after the POST and before the begin record)."""
    import dataclasses

    from scmigrate.api import RunOptions
    from scmigrate.engine.journal import Journal, journal_path
    from scmigrate_archive import ArchiveSource
    from scmigrate_cluster.connection import connect
    from scmigrate_cluster.writer import ClusterWriter

    monkeypatch.setenv("XDG_STATE_HOME", str(site.tmp / "state"))
    monkeypatch.setenv("SCMIGRATE_TOKEN", emu.token)
    with ArchiveSource().open(str(site.tmp / "src.scz"), RunOptions()) as reader:
        target = dataclasses.replace(reader.project(), name="Window")
    journal = Journal(journal_path(emu.url, "Window"))
    journal.open(fresh=True)
    journal.intend("Window", "src.scz", emu.url)
    journal.close(remove=False)
    writer = ClusterWriter(connect(emu.url, RunOptions()), RunOptions())
    writer._create(target)  # the POST of the killed run
    writer.close()

    plain = site.run("run", "--from", "src.scz", "--to", emu.url, "--to-project", "Window")
    assert plain.returncode == 2 and "already exists" in plain.stderr  # without --resume: a clash, as before
    assert Journal(journal.path).load()  # ... and the refused run left the journal as it was
    resumed = site.run("run", "--from", "src.scz", "--to", emu.url, "--to-project", "Window", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "no journal" not in resumed.stderr
    assert media_count(emu.url, emu.token, "Window") == N_ITEMS
    check = site.run("check", "--from", "src.scz", "--to", emu.url, "--to-project", "Window")
    assert check.returncode == 0, check.stdout + check.stderr
    assert not journal.path.exists()  # complete: removed
    reset_target(site, emu.url, (emu.url, emu.token, "Window"))
