"""Ctrl-C: the writer is aborted, the journal kept, exit 1; ``--resume`` finishes without re-sending."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_sigint_then_resume(fixture_site, tmp_path, sigint_raises):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(fixture_site), str(TESTS)])
    env["SCMIGRATE_LOAD_PLUGINS"] = "memfixture"
    env["SCMIGRATE_TEST_MEMORY"] = json.dumps({"items": 60, "delay": 0.05})
    cmd = [sys.executable, "-m", "scmigrate", "run", "--from", "memory:src", "--to", "memory:dst",
           "--workers", "2", "--report", "r1.json"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journals = Path(env["XDG_STATE_HOME"]) / "scmigrate" / "journals"
    deadline = time.monotonic() + 30
    # interrupt once some items have landed (the journal has item lines)
    while time.monotonic() < deadline:
        files = list(journals.glob("*.journal")) if journals.exists() else []
        if files and files[0].read_text().count('"type":"item"') >= 5:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "interrupted: what moved is kept; run again with --resume to finish"
    assert err.count("interrupted") == 1, err  # one line says it, not the engine and the command line both
    report = json.loads((tmp_path / "r1.json").read_text())
    assert report["interrupted"] is True and not report["complete"]
    moved_first = report["counts"]["items"]
    assert 5 <= moved_first < 60
    (journal,) = journals.glob("*.journal")
    done = {json.loads(line)["key"] for line in journal.read_text().splitlines() if '"type":"item"' in line}
    assert len(done) == moved_first

    env["SCMIGRATE_TEST_MEMORY"] = json.dumps({"items": 60})
    second = subprocess.run([*cmd[:-1], "r2.json", "--resume"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    report2 = json.loads((tmp_path / "r2.json").read_text())
    assert report2["counts"]["items"] == 60 - moved_first
    assert report2["skipped"] == {"already in the target": moved_first}
    # the map covers every source id: those moved now and, from the journal, those moved before
    assert set(report2["id_map"]) == {f"s{i}" for i in range(60)}
    assert all(report2["id_map"][s] == new_id for s, new_id in report["id_map"].items())
    assert not journal.exists()  # the finished run removed its journal
