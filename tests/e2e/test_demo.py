"""``make demo`` end to end: ``examples/demo.sh`` in a temporary directory, as ``make demo`` runs it.

The script generates COCO data, starts two emulated HTTPS clusters, seeds one, backs it up,
restores the backup on the other and compares, then migrates the chain project to an emulated
Geti 3.x and, through an emulated SC 1.x cluster, back to Geti 2.x. The test holds it to its
promise: exit 0, every comparison identical over exactly the images of the dataset that have a
dog, one Geti 3.x project per task with every image, and no emulator left running afterwards.
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
    # the two `check` lines follow the "Compare" step
    compare = next(i for i, ln in enumerate(lines) if "== Compare" in ln)
    counts = []
    for line in lines[compare + 1:compare + 3]:
        m = IDENTICAL.match(line)
        assert m, f"not an 'identical' check line: {line!r}"
        counts.append(int(m.group(1)))

    # both comparisons covered every image of the dataset with a dog (the demo's selection), not 0 or a few
    doc = json.loads((out_dir / "coco" / "annotations" / "instances_default.json").read_text())
    dog_id = next(c["id"] for c in doc["categories"] if c["name"] == "dog")
    with_dogs = {a["image_id"] for a in doc["annotations"] if a["category_id"] == dog_id}
    assert counts == [len(with_dogs), len(with_dogs)] and len(with_dogs) > 0

    # the Geti 3.x step: the plan names the split before anything is written, then the Geti 3.x
    # cluster lists one project per task of the chain, each with every image
    geti3 = next(i for i, ln in enumerate(lines) if "== Migrate the chain project to Geti 3.x" in ln)
    step = lines[geti3:]
    assert any("one Geti 3.x project per task" in ln for ln in step), step
    listed = {m.group(1): (m.group(2), int(m.group(3))) for ln in step
              if (m := re.match(r"^(Dogs · \w+)\s+[0-9a-f-]{36}\s+(\w+)\s+(\d+)\s+0$", ln))}
    assert listed == {"Dogs · Detection": ("detection", len(with_dogs)),
                      "Dogs · Segmentation": ("instance_segmentation", len(with_dogs))}, step

    # the SC 1.x step: the project went down to a login cluster and up again, and `check` (by pixels:
    # SC 1.x re-encodes) found every image identical
    old = next(i for i, ln in enumerate(lines) if "== An old SC 1.x cluster" in ln)
    checked = [int(m.group(1)) for ln in lines[old:] if (m := IDENTICAL.match(ln))]
    assert checked == [len(with_dogs)], lines[old:]

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
