"""Real ``scmigrate run`` processes against a real emulator: start, kill -9, resume, check.

Shared by ``tests/e2e/test_kill_resume.py`` and ``benchmarks/kill_campaign.py``. A *scenario* is
one transfer (backup: cluster → archive, restore: archive → cluster, migration: cluster →
cluster); :func:`kill_and_resume` kills its first run at a given instant, resumes it with
``--resume`` and nothing else (optionally killing the resume too), and says whether the target
ends identical to the source in ``scmigrate check`` with exactly the source's number of media.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "tests" / "cluster") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests" / "cluster"))

PROJECT = "Dogs"
RUN_TIMEOUT = 120


@dataclass
class Site:
    """Where runs happen: a state folder, and the clusters' tokens for the subprocesses."""

    tmp: Path
    token: str

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCMIGRATE_")}
        env.update(SCMIGRATE_TOKEN=self.token, XDG_STATE_HOME=str(self.tmp / "state"),
                   XDG_CONFIG_HOME=str(self.tmp / "config"), SCMIGRATE_CONFIG=str(self.tmp / "config.json"),
                   PYTHONUNBUFFERED="1")
        return env

    def start(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "scmigrate", *args], cwd=self.tmp, env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scmigrate", *args], cwd=self.tmp, env=self.env(),
                              capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)


@contextlib.contextmanager
def _token(token: str | None) -> Iterator[None]:
    """``SCMIGRATE_TOKEN`` for in-process plugin calls, as the subprocesses get it."""
    old = os.environ.get("SCMIGRATE_TOKEN")
    if token:
        os.environ["SCMIGRATE_TOKEN"] = token
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SCMIGRATE_TOKEN", None)
        else:
            os.environ["SCMIGRATE_TOKEN"] = old


def seed(to: str, n: int, token: str | None = None) -> None:
    """Write the test project (``n`` small images, boxes) to ``to`` (an archive path or a cluster URL)."""
    from cluster_helpers import detection_items, detection_project

    from scmigrate.engine.facade import transfer
    from scmigrate.plugins import make_plugin_manager
    from scmigrate.registry import Registry
    from scmigrate.testing import memory_plugin, put_memory

    with _token(token):
        reg = Registry(make_plugin_manager(load=True, plugins=[memory_plugin]))
        put_memory("seed", detection_project(PROJECT), detection_items(n))
        report = transfer("memory:seed", to, registry=reg, quiet=True, workers=4)
        assert report.complete, report.to_dict()


def media_count(url: str, token: str, project: str = PROJECT) -> int:
    """Images of ``project`` on the cluster at ``url`` (duplicates counted)."""
    from scmigrate.api import RunOptions
    from scmigrate_cluster import ClusterSource

    with _token(token):
        return sum(int(p["images"]) for p in ClusterSource().list_projects(url, RunOptions())
                   if p["name"] == project)


def wait_for_lock(site: Site, proc: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Until ``proc`` holds a target lock (a lock file names its pid)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the first run ended early: {proc.communicate()}"
        for lock in list((site.tmp / "state" / "scmigrate" / "locks").glob("*.lock")) + list(site.tmp.glob("*.lock")):
            try:
                if f'"pid": {proc.pid},' in lock.read_text():
                    return
            except OSError:
                pass
        time.sleep(0.05)
    raise AssertionError("the first run never took its lock")


@dataclass
class Outcome:
    """What one kill-and-resume did."""

    killed: list[float] = field(default_factory=list)  # the instants (s) the runs were killed at
    finished_first: bool = False  # the first run ended before its kill
    resumes: int = 0
    ok: bool = False
    detail: str = ""


def _run_killed(site: Site, args: list[str], at: float) -> bool:
    """Start a run and SIGKILL it ``at`` seconds later; True if it had ended by itself."""
    proc = site.start(*args)
    try:
        proc.wait(timeout=at)
        return True
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        return False
    finally:
        proc.communicate()


def kill_and_resume(site: Site, src: str, dst: str, at: float, second_kill: float | None = None,
                    to_project: str | None = None, count: tuple[str, str] | None = None,
                    expected: int = 0) -> Outcome:
    """Run ``src`` → ``dst`` (into ``to_project``), kill it at ``at`` s; resume (killed at ``second_kill``
    s, if given), then resume until it exits; check ``dst`` against ``src``, and on a cluster
    (``count`` = (url, token)) that it holds exactly ``expected`` media."""
    out = Outcome()
    renamed = ["--to-project", to_project] if to_project else []
    base = ["run", "--from", src, "--to", dst, "--workers", "4", *renamed]
    if src.startswith("http"):
        base += ["--project", PROJECT]
    out.finished_first = _run_killed(site, base, at)
    if not out.finished_first:
        out.killed.append(at)
    if second_kill is not None and not out.finished_first:
        out.resumes += 1
        if not _run_killed(site, [*base, "--resume"], second_kill):
            out.killed.append(second_kill)
    proc = site.run(*base, "--resume")
    out.resumes += 1
    if proc.returncode != 0:
        out.detail = f"--resume exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"
        return out
    check = site.run("check", "--from", src, "--to", dst, "--project", PROJECT, *renamed)
    if check.returncode != 0:
        out.detail = f"check exited {check.returncode}: {(check.stdout + check.stderr).strip()[-300:]}"
        return out
    if count is not None:
        n = media_count(*count, to_project or PROJECT)
        if n != expected:
            out.detail = f"{n} media on the target, not {expected}"
            return out
    out.ok = True
    return out


def reset_target(site: Site, dst: str, cluster: tuple[str, str, str] | None = None) -> None:
    """Remove what a scenario wrote (the archive ``dst``, or the project ``cluster`` = (url, token,
    name)) and the state folder (journals, locks)."""
    import shutil

    if cluster is None:
        for p in (Path(dst), Path(dst + ".journal"), Path(dst + ".lock")):
            (site.tmp / p).unlink(missing_ok=True)
    else:
        _delete_project(*cluster)
    shutil.rmtree(site.tmp / "state", ignore_errors=True)


def _delete_project(url: str, token: str, project: str = PROJECT) -> None:
    from scmigrate.api import RunOptions
    from scmigrate_cluster.connection import connect
    from scmigrate_cluster.projects import find_project

    with _token(token):
        conn = connect(url, RunOptions())
        try:
            while (doc := find_project(conn, project)) is not None:  # duplicates too, should a run make them
                conn.http.request("DELETE", conn.dialect.project(conn.w, str(doc["id"])))
        finally:
            conn.http.close()
