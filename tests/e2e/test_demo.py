"""``make demo`` end to end: ``examples/demo.sh`` in a temporary directory, as ``make demo`` runs it.

The script generates COCO data, starts two emulated HTTPS clusters, seeds one, backs it up,
restores the backup on the other and compares. The test holds it to its promise: exit 0, both
comparisons identical, over exactly the images of the dataset that have a dog, and no emulator
left running afterwards.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
IDENTICAL = re.compile(r"^identical: (\d+) identical, 0 differ, 0 only in source, 0 only in destination, 0 errors$")


def test_demo_script(tmp_path: Path) -> None:
    out_dir = tmp_path / "demo"
    env = dict(os.environ)
    for key in ("SCMIGRATE_CONFIG", "SCMIGRATE_TOKEN", "SCMIGRATE_LOAD_PLUGINS", "SCMIGRATE_STRICT_PLUGINS"):
        env.pop(key, None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["DEMO_DIR"] = str(out_dir)
    proc = subprocess.run(["bash", str(ROOT / "examples" / "demo.sh")], cwd=tmp_path, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180, check=False)
    output = proc.stdout
    assert proc.returncode == 0, output[-4000:]

    lines = [ln for ln in output.splitlines() if ln.strip()]
    assert "== Done" in lines[-1], lines[-3:]
    # the two `check` lines close the output, right after the "Compare" step, before "Done"
    assert "== Compare" in lines[-4], lines[-4:]
    counts = []
    for line in lines[-3:-1]:
        m = IDENTICAL.match(line)
        assert m, f"not an 'identical' check line: {line!r}"
        counts.append(int(m.group(1)))

    # both comparisons covered every image of the dataset with a dog (the demo's selection), not 0 or a few
    doc = json.loads((out_dir / "coco" / "annotations" / "instances_default.json").read_text())
    dog_id = next(c["id"] for c in doc["categories"] if c["name"] == "dog")
    with_dogs = {a["image_id"] for a in doc["annotations"] if a["category_id"] == dog_id}
    assert counts == [len(with_dogs), len(with_dogs)] and len(with_dogs) > 0

    # the script's EXIT trap stopped both emulators (it signals them without waiting: allow them to finish)
    leftovers = []
    for p in psutil.process_iter(["cmdline"]):
        try:
            cmd = " ".join(p.info["cmdline"] or [])
        except psutil.Error:
            continue
        if ("sc_emulator" in cmd or "sc-emulator" in cmd) and str(out_dir) in cmd:
            leftovers.append(p)
    _, alive = psutil.wait_procs(leftovers, timeout=15)
    assert not alive, f"emulators still running: {[p.pid for p in alive]}"
