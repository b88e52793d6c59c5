"""The user's commands end to end, in subprocesses, against emulated clusters over HTTPS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cluster_helpers import detection_items, detection_project, snapshot
from test_cluster_errors import scmigrate

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory


def test_backup_restore_and_listing_over_https(clusters: Any, registry: Any, tmp_path: Path) -> None:
    a = clusters("a", tls=True)
    b = clusters("b", tls=True)
    datasets = ("Dataset", "Testing set")
    put_memory("seed", detection_project("Dogs", datasets), detection_items(3, datasets))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete

    # a cluster added by the user: token on stdin, private CA
    proc = scmigrate("clusters", "add", "c", "--url", b.url, "--token-stdin", "--ca-bundle", b.ca_bundle,
                     stdin=b.token + "\n")
    assert proc.returncode == 0, proc.stderr
    proc = scmigrate("clusters", "test", "c")
    assert proc.returncode == 0, proc.stderr
    assert "2.13.0" in proc.stdout and b.token not in proc.stdout + proc.stderr

    proc = scmigrate("projects", "a", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    entry = next(p for p in (listed if isinstance(listed, list) else listed["projects"]) if p["name"] == "Dogs")
    assert entry["task_types"] == ["detection"] and entry["images"] == 6

    archive = tmp_path / "dogs.scz"
    report_path = tmp_path / "report.json"
    proc = scmigrate("run", "--from", "a", "--project", "Dogs", "--to", str(archive), "-q")
    assert proc.returncode == 0, proc.stderr
    proc = scmigrate("-vv", "run", "--from", str(archive), "--to", "c", "-q", "--report", str(report_path))
    assert proc.returncode == 0, proc.stderr
    assert "urllib3" in proc.stderr and b.token not in proc.stderr + proc.stdout  # debug logs: requests, no token
    report = json.loads(report_path.read_text())
    assert a.token not in report_path.read_text() and b.token not in report_path.read_text()
    assert snapshot("c", "Dogs") == snapshot("a", "Dogs")
    # the report maps every source media id to the new one
    ids = report.get("id_map") or report.get("ids") or {}
    assert len(ids) == 6 and all(isinstance(v, str) and len(v) == 24 for v in ids.values())

    # restoring again is refused (name clash), in one line
    proc = scmigrate("run", "--from", str(archive), "--to", "c", "-q")
    assert proc.returncode == 2 and "already exists" in proc.stderr

    # every project of a cluster, one archive each, named after the project
    put_memory("seed", detection_project("Cats / small"), detection_items(2))
    assert transfer("memory:seed", "a", registry=registry, quiet=True).complete
    proc = scmigrate("run", "--from", "a", "--all-projects", "--to", str(tmp_path / "backups"), "-q")
    assert proc.returncode == 0, proc.stderr
    archives = sorted((tmp_path / "backups").iterdir())
    assert len(archives) == 2 and archives[1].name == "Dogs.scz", archives
    for path, name, images in ((archives[0], "Cats / small", 2), (archives[1], "Dogs", 6)):
        info = json.loads(scmigrate("inspect", "--json", str(path)).stdout)
        assert info["project"] == name and info["media"]["images"] == images


def test_insecure_only_on_request_and_with_a_warning(clusters: Any) -> None:
    c = clusters("s", tls=True)
    proc = scmigrate("projects", c.url, "--insecure", env={"SCMIGRATE_TOKEN": c.token})
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("TLS certificate verification is OFF") == 1
    assert "InsecureRequestWarning" not in proc.stderr  # once from us, not twice per request from urllib3
    assert c.token not in proc.stdout + proc.stderr


def test_cluster_gone_mid_restore_exit_1_then_resume(clusters: Any, registry: Any, tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    archive = tmp_path / "dogs.scz"
    put_memory("seed", detection_project("Dogs"), detection_items(12))
    assert transfer("memory:seed", str(archive), registry=registry, quiet=True).complete
    c = clusters("a", latency_ms=40)
    report1, report2 = tmp_path / "r1.json", tmp_path / "r2.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scmigrate", "run", "--from", str(archive), "--to", "a", "-q", "--workers", "2",
         "--retries", "0", "--low-level-retries", "2", "--timeout", "5", "--report", str(report1)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while c.admin.count("POST", "/media/images") < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    c.kill()  # the cluster goes away without a goodbye
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, (out, err)
    assert "Traceback" not in err and c.token not in out + err
    assert "auto-training of project" in err and "still OFF" in err  # said, not only in the report
    first = json.loads(report1.read_text())
    assert first["failures"], first  # what did not move is named
    moved = len(first.get("id_map") or {})
    assert moved < 12

    c.restart()
    proc2 = scmigrate("run", "--from", str(archive), "--to", "a", "-q", "--resume", "--report", str(report2))
    assert proc2.returncode == 0, proc2.stderr
    s = snapshot("a", "Dogs")
    assert sum(len(v) for v in s["media"].values()) == 12  # everything, once
    assert c.admin.count("POST", "/media/images") <= 12 - moved  # what had arrived was not re-sent


def test_all_projects_to_a_cluster_migrates_each_project(clusters: Any, registry: Any, tmp_path: Path,
                                                         monkeypatch: Any) -> None:
    clusters("from", tls=True)
    clusters("dest", tls=True)
    for name in ("Dogs", "Cats / small"):
        put_memory(f"seed-{len(name)}", detection_project(name), detection_items(2))
        assert transfer(f"memory:seed-{len(name)}", "from", registry=registry, quiet=True).complete
    monkeypatch.chdir(tmp_path)  # the wrong behaviour made a local folder named after the cluster
    proc = scmigrate("run", "--from", "from", "--all-projects", "--to", "dest", "-q")
    assert proc.returncode == 0, proc.stderr
    assert not (tmp_path / "dest").exists()
    for name in ("Dogs", "Cats / small"):
        assert snapshot("dest", name) == snapshot("from", name)
