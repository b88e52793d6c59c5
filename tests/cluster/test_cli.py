"""The user's commands end to end, in subprocesses, against emulated clusters over HTTPS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory

from cluster_helpers import detection_items, detection_project, snapshot
from test_errors import scmigrate


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
    proc = scmigrate("run", "--from", str(archive), "--to", "c", "-q", "--report", str(report_path))
    assert proc.returncode == 0, proc.stderr
    report = json.loads(report_path.read_text())
    assert a.token not in report_path.read_text() and b.token not in report_path.read_text()
    assert snapshot("c", "Dogs") == snapshot("a", "Dogs")
    # the report maps every source media id to the new one
    ids = report.get("id_map") or report.get("ids") or {}
    assert len(ids) == 6 and all(isinstance(v, str) and len(v) == 24 for v in ids.values())

    # restoring again is refused (name clash), in one line
    proc = scmigrate("run", "--from", str(archive), "--to", "c", "-q")
    assert proc.returncode == 2 and "already exists" in proc.stderr


def test_insecure_only_on_request_and_with_a_warning(clusters: Any) -> None:
    c = clusters("s", tls=True)
    proc = scmigrate("projects", c.url, "--insecure", env={"SCMIGRATE_TOKEN": c.token})
    assert proc.returncode == 0, proc.stderr
    assert "TLS certificate verification is OFF" in proc.stderr
    assert c.token not in proc.stdout + proc.stderr
