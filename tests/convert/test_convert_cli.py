"""End to end: a COCO dataset to a detection → segmentation archive, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from scmigrate.testing.coco import make_coco

SCMIGRATE = str(Path(sys.executable).with_name("scmigrate"))


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([SCMIGRATE, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_coco_to_dog_and_dog_shape_archive(tmp_path):
    fx = make_coco(tmp_path / "ds", 8, seed=3)
    dogs = [o for im in fx.images for o in im.objects if o.category == "dog"]
    # a crowd mask in several parts is read as one polygon per part: one box around them, one "dog shape" each
    parts = sum(o.parts if o.kind == "rle" else 1 for o in dogs)
    assert parts > len(dogs)
    dog_images = {im.key for im in fx.images if any(o.category == "dog" for o in im.objects)}
    assert dogs and len(dog_images) < len(fx.images)  # the dataset has dogs and images without

    done = _run("run", "--from", fx.location, "--images", str(fx.images_dir), "--to", "x.scz",
                "--project-type", "detection_to_segmentation", "--labels", "dog", "--keep-empty",
                "-q", "--report", "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = _run("inspect", "x.scz", "--json", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    info = json.loads(shown.stdout)
    assert info["project_type"] == "detection_to_segmentation"
    labels = {lb["name"]: lb for t in info["tasks"] for lb in t["labels"]}
    assert [(t["task_type"], [lb["name"] for lb in t["labels"]]) for t in info["tasks"]] == [
        ("dataset", []), ("detection", ["dog", "No object"]), ("crop", []), ("segmentation", ["dog shape", "Empty"])]
    assert labels["No object"]["is_empty"] and labels["Empty"]["is_empty"]
    # every dog object is one box and one outline, on the images that hold dogs
    assert (labels["dog"]["annotations"], labels["dog shape"]["annotations"]) == (len(dogs), parts)
    assert labels["dog"]["media"] == labels["dog shape"]["media"] == len(dog_images)
    # every other image is annotated as empty: a scene without annotations (no empty label in the archive)
    assert info["media"]["annotated_empty"] == len(fx.images) - len(dog_images)
    assert labels["No object"]["media"] == 0
    report = json.loads((tmp_path / "r.json").read_text())
    converted = report["conversions"]["converted"]
    assert sum(n for what, n in converted.items() if "→ RECTANGLE + " in what) == len(dogs)
    assert report["conversions"]["dropped"] == {}

    plan = _run("run", "--from", fx.location, "--images", str(fx.images_dir), "--to", "y.scz",
                "--project-type", "detection_to_segmentation", "--labels", "dog", "--dry-run", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    assert "each object X → RECTANGLE 'X' (detection) + its outline 'X shape' (segmentation)" in plan.stdout
    assert not (tmp_path / "y.scz").exists()
