"""A backup killed with SIGKILL leaves no snapshot, and ``--resume`` finishes it without re-sending items."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from repo_helpers import counting_opens, entries_in, held, item, project

from scmigrate.engine.facade import transfer
from scmigrate.testing import put_memory

HERE = Path(__file__).resolve().parent


def stored_entries(root: Path) -> int:
    """Item entries the backup has stored under ``pending/``: batch files hold one or more each, and a
    write cut short leaves a hidden temporary file (``.~tmp-…``) that is not an entry."""
    return entries_in([p.read_bytes() for p in (root / "pending").rglob("items/*.json") if not p.name.startswith(".")])


def test_killed_backup_resumes(registry: Any, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(HERE.parent)]))
    proc = subprocess.Popen([sys.executable, str(HERE / "repo_backup_proc.py"), f"repo:{root}"], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and stored_entries(root) < 4:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = stored_entries(root)
    assert 4 <= written < 12
    assert not list((root / "snapshots").glob("*.json"))  # no half snapshot

    items, opened = counting_opens([item(i) for i in range(12)])
    put_memory("live", project(), items)
    report = transfer("memory:live", f"repo:{root}", registry=registry, quiet=True, resume=True)
    assert report.complete
    assert len(opened) == 12 - written  # what the killed run had stored was not read again
    assert report.sink_facts["items"] == 12
    assert held(registry, f"repo:{root}") == held(registry, "memory:live")
    assert not (root / "pending").exists()
